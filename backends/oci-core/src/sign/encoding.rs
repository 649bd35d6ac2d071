//! Percent-encoding of object names and query values, done once, before the URI is built and
//! signed.
//!
//! Both encoders keep only RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) and escape
//! every other UTF-8 byte as `%XX` (uppercase hex); they differ only in the space, which is `%20`
//! in a path and `+` in a form-style query. This is byte-for-byte what Oracle's Python SDK sends
//! (`quote(name, safe='')` for Object Storage path parameters, `urlencode` for queries), so the
//! Python cross-check test can compare URLs exactly.
//!
//! `/` inside an object name becomes `%2F`, as the Python SDK does. The Go SDK (and so rclone)
//! leaves it unescaped by default; Object Storage accepts both. Escaping it keeps an object name
//! one path segment, so no URL library or proxy can merge `a/../b` or `a//b`, and it matches the
//! query side, where `prefix=reports%2F` is what every SDK sends.

/// Encodes one path segment (an object, bucket or namespace name) for a request URI.
///
/// Names that are exactly `.` or `..` come back as `%2E` / `%2E%2E`, the Python SDK's intent.
/// Be aware that WHATWG URL parsing (the `url` crate inside reqwest) still treats those as dot
/// segments, so such objects cannot be addressed through reqwest; [`super::sign_request`]
/// refuses the URI rather than sign a path that would be rewritten.
pub fn encode_path_segment(segment: &str) -> String {
    match segment {
        "." => "%2E".to_string(),
        ".." => "%2E%2E".to_string(),
        _ => encode(segment, "%20"),
    }
}

/// Encodes one query key or value, form style (space as `+`).
pub fn encode_query_component(value: &str) -> String {
    encode(value, "+")
}

/// `key=value&...` from pairs, in the order given (each part encoded with
/// [`encode_query_component`]).
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                encode_query_component(k),
                encode_query_component(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(input: &str, space: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(input.len() * 3);
    for &b in input.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push_str(space),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0f)]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_escape_everything_but_unreserved() {
        assert_eq!(
            encode_path_segment("FOCUS Reports/2026/11/27/x.csv.gz"),
            "FOCUS%20Reports%2F2026%2F11%2F27%2Fx.csv.gz"
        );
        assert_eq!(
            encode_path_segment("a+b%c#d?e&f=g"),
            "a%2Bb%25c%23d%3Fe%26f%3Dg"
        );
        assert_eq!(encode_path_segment("é~*"), "%C3%A9~%2A");
        assert_eq!(encode_path_segment("."), "%2E");
        assert_eq!(encode_path_segment(".."), "%2E%2E");
        assert_eq!(encode_path_segment("..."), "...");
    }

    #[test]
    fn queries_are_form_encoded_in_order() {
        assert_eq!(
            encode_query([("prefix", "FOCUS Reports/2026/"), ("fields", "name,size")]),
            "prefix=FOCUS+Reports%2F2026%2F&fields=name%2Csize"
        );
        assert_eq!(encode_query_component("a+b c"), "a%2Bb+c");
        assert_eq!(encode_query(std::iter::empty()), "");
    }
}
