//! What the engine knows about one object: small, because a sync holds one per destination object.

use std::fmt;

use base64::Engine;
use jiff::Timestamp;

/// An MD5 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Md5(pub [u8; 16]);

impl Md5 {
    /// From 32 hex digits (case-insensitive), as S3 ETags and rclone print them.
    pub fn from_hex(s: &str) -> Option<Md5> {
        let s = s.trim().trim_matches('"');
        if s.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, pair) in s.as_bytes().chunks(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Some(Md5(out))
    }

    /// From standard base64 of the 16 raw bytes (Content-MD5, OCI `md5`, rclone `md5chksum`).
    /// Multipart forms such as `…==-3` are not whole-object MD5s and give `None`.
    pub fn from_base64(s: &str) -> Option<Md5> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .ok()?;
        Some(Md5(bytes.try_into().ok()?))
    }

    /// From either form.
    pub fn parse(s: &str) -> Option<Md5> {
        Md5::from_hex(s).or_else(|| Md5::from_base64(s))
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    pub fn of(data: &[u8]) -> Md5 {
        use md5::Digest;
        Md5(md5::Md5::digest(data).into())
    }
}

impl fmt::Display for Md5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Md5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Md5({})", self.to_hex())
    }
}

/// One listed (or stat'ed) object, path relative to the remote's root.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectInfo {
    pub path: Box<str>,
    pub is_dir: bool,
    pub size: u64,
    /// The modification time as known so far.
    pub mtime: Option<Timestamp>,
    /// `mtime` is the object's real modification time. `false` when it is the server's upload
    /// time and the real one may sit in user metadata (only a HEAD/GET can tell).
    pub mtime_exact: bool,
    pub md5: Option<Md5>,
    /// No MD5 yet, but one may be had: from user metadata (HEAD) or by reading the content.
    pub md5_obtainable: bool,
    /// Set when the object cannot be read as it is (for example an OCI Archive-tier object that
    /// is not restored): the engine warns and skips it.
    pub unreadable: Option<Box<str>>,
    /// MIME type when the backend knows one.
    pub content_type: Option<Box<str>>,
    /// The version the listing (or HEAD) saw, as the service's ETag: a read sends it as
    /// `If-Match`, so an object replaced since is refused rather than mixed with the old one.
    pub etag: Option<Box<str>>,
}

impl ObjectInfo {
    pub fn file(path: impl Into<Box<str>>, size: u64) -> Self {
        ObjectInfo {
            path: path.into(),
            is_dir: false,
            size,
            mtime: None,
            mtime_exact: false,
            md5: None,
            md5_obtainable: false,
            unreadable: None,
            content_type: None,
            etag: None,
        }
    }

    /// The last path segment.
    pub fn name(&self) -> &str {
        let p = self.path.trim_end_matches('/');
        p.rsplit('/').next().unwrap_or(p)
    }
}

/// rclone's `mtime` metadata value: decimal Unix seconds, up to 9 fractional digits, trailing
/// zeros dropped (`1704164645.123456789`, `1714979289`).
pub fn format_mtime(t: Timestamp) -> String {
    let secs = t.as_second();
    let nanos = t.subsec_nanosecond();
    if nanos == 0 {
        return secs.to_string();
    }
    // Negative times carry a negative nanosecond part in jiff; rclone never writes them, but keep
    // the arithmetic right anyway.
    let (secs, nanos) = if nanos < 0 {
        (secs - 1, nanos + 1_000_000_000)
    } else {
        (secs, nanos)
    };
    let frac = format!("{nanos:09}");
    format!("{secs}.{}", frac.trim_end_matches('0'))
}

/// Parses rclone's `mtime` metadata (also accepts RFC 3339, which some tools write).
pub fn parse_mtime(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = int.parse().ok()?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: i32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Timestamp::new(secs, nanos).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_forms() {
        let m = Md5::of(b"hello");
        assert_eq!(m.to_hex(), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(
            Md5::from_hex("\"5D41402ABC4B2A76B9719D911017C592\""),
            Some(m)
        );
        assert_eq!(Md5::from_base64(&m.to_base64()), Some(m));
        assert_eq!(Md5::from_base64("XUFAKrxLKna5cZ2REBfFkg==-3"), None);
        assert_eq!(Md5::from_hex("abc"), None);
    }

    #[test]
    fn mtime_like_rclone() {
        let t = Timestamp::new(1704164645, 123456789).unwrap();
        assert_eq!(format_mtime(t), "1704164645.123456789");
        assert_eq!(
            format_mtime(Timestamp::new(1714979289, 0).unwrap()),
            "1714979289"
        );
        assert_eq!(
            format_mtime(Timestamp::new(1714979289, 500_000_000).unwrap()),
            "1714979289.5"
        );
        assert_eq!(parse_mtime("1704164645.123456789"), Some(t));
        assert_eq!(
            parse_mtime("1714979289.5"),
            Timestamp::new(1714979289, 500_000_000).ok()
        );
        assert_eq!(
            parse_mtime("2024-01-02T03:04:05.123456789Z"),
            Timestamp::new(1704164645, 123456789).ok()
        );
        assert_eq!(parse_mtime("garbage"), None);
    }
}
