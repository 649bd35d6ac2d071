//! The `href` of every `<a>` element of an HTML page, as rclone's `golang.org/x/net/html` walk
//! finds them — without an HTML crate: directory indexes need only a tokenizer's view of start
//! tags. Comments, `<!DOCTYPE>`/`<?...>` declarations and the contents of raw-text elements
//! (`<script>`, `<style>`, `<title>`, `<textarea>`...) are skipped, so a link written inside
//! them is not a link; attribute names are matched case-insensitively, quoted and unquoted
//! values are read, and character references in values are decoded (`&amp;`, `&#43;`,
//! `&#x2B;`, and the named ones index pages use: `amp`, `lt`, `gt`, `quot`, `apos`, `nbsp`).
//! Other named references are left as written (the full HTML table is 2,000 names; servers
//! percent-encode hrefs, so none of them appears in a real index's links).

/// Elements whose content is text up to their end tag, never markup.
const RAW_TEXT: &[&str] = &[
    "script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// The `href` values of the `<a>` elements of `page`, in document order, entities decoded.
pub fn hrefs(page: &str) -> Vec<String> {
    let b = page.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(lt) = find(b, i, b"<") {
        i = lt + 1;
        if b[i..].starts_with(b"!--") {
            // A comment ends at the first `-->` (or the end of the page).
            i = find(b, i + 3, b"-->").map_or(b.len(), |e| e + 3);
            continue;
        }
        match b.get(i) {
            Some(b'!' | b'?') => {
                i = find(b, i, b">").map_or(b.len(), |e| e + 1);
                continue;
            }
            Some(b'/') => {
                i = find(b, i, b">").map_or(b.len(), |e| e + 1);
                continue;
            }
            Some(c) if c.is_ascii_alphabetic() => {}
            // A `<` that opens no tag is text.
            _ => continue,
        }
        let (name, attrs, end) = tag(page, i);
        i = end;
        if name == "a" {
            if let Some((_, v)) = attrs.into_iter().find(|(k, _)| k == "href") {
                out.push(v);
            }
        } else if RAW_TEXT.contains(&name.as_str()) {
            i = raw_text_end(b, i, &name);
        }
    }
    out
}

/// Where `needle` first occurs in `b` at or after `from`.
fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= b.len() {
        return None;
    }
    b[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// After the raw text of element `name` starting at `from`: past its `</name` end tag.
fn raw_text_end(b: &[u8], from: usize, name: &str) -> usize {
    let mut i = from;
    while let Some(lt) = find(b, i, b"</") {
        let after = lt + 2;
        let candidate = &b[after..(after + name.len()).min(b.len())];
        let boundary = b
            .get(after + name.len())
            .is_none_or(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/');
        if candidate.eq_ignore_ascii_case(name.as_bytes()) && boundary {
            return find(b, after, b">").map_or(b.len(), |e| e + 1);
        }
        i = after;
    }
    b.len()
}

/// A start tag at `i` (its name's first letter): lower-cased name, attributes (lower-cased
/// names, decoded values) and the position after its `>`.
fn tag(page: &str, mut i: usize) -> (String, Vec<(String, String)>, usize) {
    let b = page.as_bytes();
    let stop = |c: u8| c.is_ascii_whitespace() || c == b'/' || c == b'>';
    let start = i;
    while i < b.len() && !stop(b[i]) {
        i += 1;
    }
    let name = page[start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (name, attrs, i);
        }
        if b[i] == b'>' {
            return (name, attrs, i + 1);
        }
        // An attribute name runs to whitespace, '=', '>' or '/' (its first character may be
        // '=', as in the HTML tokenizer).
        let k0 = i;
        i += 1;
        while i < b.len() && !(stop(b[i]) || b[i] == b'=') {
            i += 1;
        }
        let key = page[k0..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let v0 = i + 1;
                    let v1 = find(b, v0, &[q]).unwrap_or(b.len());
                    value = decode_entities(&page[v0..v1]);
                    i = (v1 + 1).min(b.len());
                }
                _ => {
                    let v0 = i;
                    while i < b.len() && !(b[i].is_ascii_whitespace() || b[i] == b'>') {
                        i += 1;
                    }
                    value = decode_entities(&page[v0..i]);
                }
            }
        }
        attrs.push((key, value));
    }
}

/// Decodes character references in an attribute value.
pub fn decode_entities(v: &str) -> String {
    if !v.contains('&') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match reference(rest) {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character a reference at the start of `s` (`&...`) stands for, and its length.
fn reference(s: &str) -> Option<(char, usize)> {
    let body = &s[1..];
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 3),
            None => (num, 10, 2),
        };
        let n = digits
            .bytes()
            .take_while(|c| (*c as char).is_digit(radix))
            .count();
        if n == 0 {
            return None;
        }
        let code = u32::from_str_radix(&digits[..n], radix).unwrap_or(u32::MAX);
        // As HTML: NUL, surrogates and out-of-range values become U+FFFD.
        let c = match code {
            0 => '\u{FFFD}',
            _ => char::from_u32(code).unwrap_or('\u{FFFD}'),
        };
        let semi = usize::from(digits[n..].starts_with(';'));
        return Some((c, skip + n + semi));
    }
    for (name, c, legacy) in [
        ("amp", '&', true),
        ("lt", '<', true),
        ("gt", '>', true),
        ("quot", '"', true),
        ("nbsp", '\u{a0}', true),
        ("apos", '\'', false),
    ] {
        if let Some(after) = body.strip_prefix(name) {
            if after.starts_with(';') {
                return Some((c, 1 + name.len() + 1));
            }
            // Without ';' (legacy), and not when an attribute value goes on with a letter,
            // digit or '=' (HTML leaves `&ampx` and `&amp=` as written in attributes).
            let next = after.chars().next();
            if legacy && !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '=') {
                return Some((c, 1 + name.len()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_only_from_a_elements_outside_comments_and_raw_text() {
        let page = r##"<!DOCTYPE html><html><head><title>x <a href="no-title"></title>
            <style>a[href="no-style"] { }</style>
            <script>var s = '<a href="no-script">';</script></head>
            <body><!-- <a href="no-comment"> -->
            <svg><use xlink:href="#folder"></use></svg>
            <A HREF="upper">U</A> <a class=x href=unquoted>u</a>
            <a href = 'single'>s</a><a title="t" href="second-attr" href="dup">d</a>
            <a>no href</a> 1 < 2 <a href="after-lt">l</a></body></html>"##;
        assert_eq!(
            hrefs(page),
            ["upper", "unquoted", "single", "second-attr", "after-lt"]
        );
    }

    #[test]
    fn entities_in_values_are_decoded() {
        assert_eq!(
            decode_entities("a%20b&amp;c%23%3F.txt"),
            "a%20b&c%23%3F.txt"
        );
        assert_eq!(decode_entities("x&#43;y&#x2B;z&#X2b"), "x+y+z+");
        assert_eq!(decode_entities("&lt;&gt;&quot;&apos;&nbsp;"), "<>\"'\u{a0}");
        assert_eq!(decode_entities("&amp"), "&");
        assert_eq!(decode_entities("?a=1&ampx=2&amp=3"), "?a=1&ampx=2&amp=3");
        assert_eq!(decode_entities("&copy; & &#;"), "&copy; & &#;");
        assert_eq!(decode_entities("&#0;&#xD800;"), "\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn unterminated_markup_ends_the_scan() {
        assert_eq!(
            hrefs("<a href=\"x\"><!-- never closed <a href=\"y\">"),
            ["x"]
        );
        assert_eq!(hrefs("<a href=\"open"), ["open"]);
        assert!(hrefs("<script><a href=\"z\">").is_empty());
        assert!(hrefs("").is_empty());
    }
}
