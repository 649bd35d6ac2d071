//! Small wire-format helpers the fakes share: query strings, path decoding, OCI's date forms,
//! identifiers and digests.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use md5::{Digest, Md5};
use percent_encoding::percent_decode_str;

/// A query string's parameters, decoded form-style (`+` is a space), in order.
#[derive(Debug, Clone, Default)]
pub struct Query {
    params: Vec<(String, String)>,
}

impl Query {
    /// Parses the part after `?`. Undecodable parameters are kept raw rather than dropped, so
    /// the service still sees (and can reject) them.
    pub fn parse(query: &str) -> Query {
        let params = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (form_decode(name), form_decode(value))
            })
            .collect();
        Query { params }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn form_decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map_or_else(|_| spaced.clone(), |decoded| decoded.into_owned())
}

/// Decodes one path parameter exactly once (`%2F` becomes `/`, `+` stays `+`); `None` when the
/// result is not UTF-8.
pub fn decode_path(raw: &str) -> Option<String> {
    percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// The current time at millisecond precision, the precision OCI lists times with.
pub fn now_millis() -> Timestamp {
    truncate_to_millis(Timestamp::now())
}

pub fn truncate_to_millis(t: Timestamp) -> Timestamp {
    let ms = t.as_millisecond();
    Timestamp::from_millisecond(ms).unwrap_or(t)
}

/// RFC 3339 with milliseconds, as in list results: `2023-01-25T14:52:43.995Z`.
pub fn rfc3339_millis(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// IMF-fixdate for `last-modified`: `Wed, 25 Jan 2023 14:52:43 GMT`.
pub fn http_date(t: Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// A random identifier shaped like OCI's etags and upload ids (a v4-style UUID).
pub fn uuid_like() -> String {
    let mut b = [0u8; 16];
    // The system RNG only fails if the OS has none; then a time-derived id is still unique
    // enough for a fake.
    if aws_lc_rs::rand::fill(&mut b).is_err() {
        b = Timestamp::now().as_nanosecond().to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    )
}

pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

pub fn base64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_form_decoded() {
        let q = Query::parse("prefix=FOCUS+Reports%2F2024&fields=name%2Csize&x&limit=5&a%2Bb=c%2B");
        assert_eq!(q.get("prefix"), Some("FOCUS Reports/2024"));
        assert_eq!(q.get("fields"), Some("name,size"));
        assert_eq!(q.get("x"), Some(""));
        assert_eq!(q.get("a+b"), Some("c+"));
        assert_eq!(q.get("missing"), None);
    }

    #[test]
    fn paths_decode_once_and_keep_plus() {
        assert_eq!(
            decode_path("a%2Fb%20c+d%2525").as_deref(),
            Some("a/b c+d%25")
        );
        assert_eq!(decode_path("%FF"), None);
    }

    #[test]
    fn formats() {
        let t: Timestamp = "2023-01-25T14:52:43.995123Z".parse().unwrap();
        assert_eq!(
            rfc3339_millis(truncate_to_millis(t)),
            "2023-01-25T14:52:43.995Z"
        );
        assert_eq!(http_date(t), "Wed, 25 Jan 2023 14:52:43 GMT");
        let id = uuid_like();
        assert_eq!(id.len(), 36);
        assert_ne!(id, uuid_like());
    }
}
