//! rclone's `headers` option: extra HTTP headers for every request, written as one CSV record
//! of name,value pairs (`Cookie,name=value` or `"Cookie","a=b,c=d"`; Go's `encoding/csv`
//! rules: a field that starts with `"` is quoted, `""` inside it is one `"`, nothing is
//! trimmed). Values are marked sensitive: they often carry a cookie or a token, and must never
//! be printed — errors name the header, never its value.

use http::{HeaderMap, HeaderName, HeaderValue};

/// One CSV record's fields, as Go's `encoding/csv` reads them with a `,` separator.
pub fn csv_fields(s: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("a quoted field is not closed".into()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err("extraneous text after a closing quote".into()),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err("a bare \" in an unquoted field".into()),
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

/// The headers of `fields` (name, value, name, value...). Errors name the problem and the
/// header name, never a value.
pub fn header_map(fields: &[String]) -> Result<HeaderMap, String> {
    if !fields.len().is_multiple_of(2) {
        return Err(format!(
            "{} fields: an odd number (name,value pairs expected)",
            fields.len()
        ));
    }
    let mut map = HeaderMap::new();
    for pair in fields.chunks(2) {
        let name = HeaderName::from_bytes(pair[0].trim().as_bytes())
            .map_err(|_| format!("{:?} is not an HTTP header name", pair[0]))?;
        let mut value = HeaderValue::from_str(&pair[1])
            .map_err(|_| format!("the value of header {name} is not a valid header value"))?;
        value.set_sensitive(true);
        map.append(name, value);
    }
    Ok(map)
}

/// `headers` as given: text (rclone.conf, flags: CSV) or a TOML list.
pub fn parse(raw: &ocisync_backend::RawValue) -> Result<HeaderMap, String> {
    use ocisync_backend::RawValue;
    let fields = match raw {
        RawValue::List(items) => items.clone(),
        other => match other.as_text() {
            Some("") => Vec::new(),
            Some(t) => csv_fields(t)?,
            None => return Err("expected a list of strings".into()),
        },
    };
    header_map(&fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_as_go_reads_it() {
        assert_eq!(
            csv_fields("Cookie,name=value").unwrap(),
            ["Cookie", "name=value"]
        );
        assert_eq!(
            csv_fields(r#""Cookie","a=b,c=d","X-Q","say ""hi""""#).unwrap(),
            ["Cookie", "a=b,c=d", "X-Q", "say \"hi\""]
        );
        assert_eq!(csv_fields("a, b").unwrap(), ["a", " b"]);
        assert_eq!(csv_fields("a,").unwrap(), ["a", ""]);
        assert!(csv_fields(r#""open"#).is_err());
        assert!(csv_fields(r#"a"b,c"#).is_err());
        assert!(csv_fields(r#""a"x,c"#).is_err());
    }

    #[test]
    fn pairs_become_sensitive_headers_and_errors_hide_values() {
        let m = header_map(&["Authorization".into(), "Bearer s3cr3t".into()]).unwrap();
        let v = m.get("authorization").unwrap();
        assert!(v.is_sensitive());
        assert!(!format!("{m:?}").contains("s3cr3t"));
        let e = header_map(&["X".into()]).unwrap_err();
        assert!(e.contains("odd"), "{e}");
        let e = header_map(&["X-Token".into(), "bad\nvalue-s3cr3t".into()]).unwrap_err();
        assert!(e.contains("x-token") && !e.contains("s3cr3t"), "{e}");
        let e = header_map(&["bad name".into(), "v".into()]).unwrap_err();
        assert!(e.contains("bad name"), "{e}");
    }
}
