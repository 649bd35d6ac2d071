//! Percent-encoding for object names in URLs: OCI object names as one path segment (`/` as
//! `%2F`), S3 keys with `/` kept as the path separator.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// As [`SEGMENT`], keeping `/`.
const KEY: &AsciiSet = &SEGMENT.remove(b'/');

pub fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

pub fn key(s: &str) -> String {
    utf8_percent_encode(s, KEY).to_string()
}

/// A query value.
pub fn query(s: &str) -> String {
    segment(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(
            super::segment("FOCUS Reports/a+b"),
            "FOCUS%20Reports%2Fa%2Bb"
        );
        assert_eq!(super::key("p/FOCUS Reports/a+b"), "p/FOCUS%20Reports/a%2Bb");
    }
}
