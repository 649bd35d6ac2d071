//! Which listed keys a backend can address exactly.
//!
//! Listings return keys as the service stores them, but every OpenDAL operation normalises the
//! path it is given: surrounding whitespace is trimmed, a leading `/` dropped, `//` collapsed,
//! and a trailing `/` names a directory. A stat, read, write or delete of such a key reaches
//! *another* object (` a` reads `a`; deleting `a//b` deletes `a/b`). On top of that each
//! service has limits of its own: URLs resolve `.` and `..` segments (S3 path segments, and
//! OCI's whole-name segment), file systems refuse long names, OCI refuses line feeds.
//!
//! The engine asks [`KeyRules::check`] before it copies, compares or deletes a key; a key that
//! fails is skipped with an error naming it (so a `sync` deletes nothing that run), never sent.

/// How a backend treats `.` and `..` path segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DotSegments {
    /// Stored and addressed like any other name.
    Allowed,
    /// Any `.` or `..` segment is resolved away on the way (URL paths, file systems).
    Refused,
    /// Only a whole key of `.` or `..` is (the key travels as one URL segment: OCI).
    WholeKey,
}

/// What keys a backend can address exactly (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRules {
    /// The longest full key in bytes, the root's prefix included (S3 and OCI: 1024; file
    /// systems: the longest path).
    pub max_key_bytes: Option<usize>,
    /// The longest path segment in bytes (file systems: 255).
    pub max_segment_bytes: Option<usize>,
    pub dot_segments: DotSegments,
    /// Characters the service refuses in names (OCI: line feed, carriage return, NUL).
    pub forbidden: &'static [char],
    /// Bytes the root puts in front of every key (`prefix/`), counted in `max_key_bytes`.
    pub prefix_bytes: usize,
    /// What the limits are called in messages: `S3`, `OCI Object Storage`, `the file system`.
    pub service: &'static str,
}

impl Default for KeyRules {
    /// OpenDAL's normalisation only: what any OpenDAL service can address.
    fn default() -> Self {
        KeyRules {
            max_key_bytes: None,
            max_segment_bytes: None,
            dot_segments: DotSegments::Allowed,
            forbidden: &[],
            prefix_bytes: 0,
            service: "the storage service",
        }
    }
}

impl KeyRules {
    /// S3: keys of at most 1024 bytes; `.`/`..` segments are resolved by the URL.
    pub fn s3(prefix: &str) -> KeyRules {
        KeyRules {
            max_key_bytes: Some(1024),
            dot_segments: DotSegments::Refused,
            prefix_bytes: prefix_bytes(prefix),
            service: "S3",
            ..KeyRules::default()
        }
    }

    /// `prefix/` in front of keys under a root of `prefix` (OpenDAL form or not).
    pub fn with_prefix(self, prefix: &str) -> KeyRules {
        KeyRules {
            prefix_bytes: prefix_bytes(prefix),
            ..self
        }
    }

    /// Why `key` (relative to the root, as listed) cannot be addressed exactly; `None` when it
    /// can.
    pub fn check(&self, key: &str) -> Option<String> {
        if key.is_empty() {
            return Some("an empty key".into());
        }
        if key.ends_with('/') {
            return Some(
                "a key ending in '/' is a directory to the storage library: it cannot be read, \
                 written or deleted as an object"
                    .into(),
            );
        }
        if key.trim() != key {
            return Some(
                "the storage library trims whitespace around keys, so this one would reach \
                 another object"
                    .into(),
            );
        }
        if key.starts_with('/') {
            return Some(
                "the storage library drops a leading '/', so this key would reach another object"
                    .into(),
            );
        }
        if key.contains("//") {
            return Some(
                "the storage library collapses '//' to '/', so this key would reach another \
                 object"
                    .into(),
            );
        }
        // The checks above are all of OpenDAL 0.59's `normalize_path`; not calling it here
        // saves two allocations per key on both sides of every comparison (5% of a
        // 500,000-object no-op's CPU). `checked_keys_are_what_opendal_leaves_alone` fails
        // should a newer OpenDAL rewrite more.
        if let Some(c) = key.chars().find(|c| self.forbidden.contains(c)) {
            return Some(format!(
                "{} does not allow {} in names",
                self.service,
                c.escape_debug()
            ));
        }
        let dots = |s: &str| s == "." || s == "..";
        match self.dot_segments {
            DotSegments::Refused if key.split('/').any(dots) => {
                return Some(format!(
                    "'.' and '..' path segments are resolved on the way to {}, so this key \
                     would reach another object",
                    self.service
                ));
            }
            DotSegments::WholeKey if self.prefix_bytes == 0 && dots(key) => {
                return Some(format!(
                    "a key of '.' or '..' is resolved on the way to {}",
                    self.service
                ));
            }
            _ => {}
        }
        if let Some(max) = self.max_segment_bytes
            && let Some(long) = key.split('/').find(|s| s.len() > max)
        {
            return Some(format!(
                "a path segment of {} bytes is over the {max} {} allows",
                long.len(),
                self.service
            ));
        }
        if let Some(max) = self.max_key_bytes {
            let full = self.prefix_bytes + key.len();
            if full > max {
                let with = if self.prefix_bytes > 0 {
                    format!(" with the prefix ({} bytes)", self.prefix_bytes)
                } else {
                    String::new()
                };
                return Some(format!(
                    "the key is {full} bytes{with}, over the {max} {} allows",
                    self.service
                ));
            }
        }
        None
    }
}

/// The bytes a root of `prefix` adds in front of every key: `prefix/`, or nothing.
fn prefix_bytes(prefix: &str) -> usize {
    let p = prefix.trim_matches('/');
    if p.is_empty() { 0 } else { p.len() + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_opendal_would_rewrite_is_refused_everywhere() {
        let any = KeyRules::default();
        for ok in [
            "a",
            "a/b",
            "d/ x",
            "a b",
            "café",
            "cafe\u{301}",
            "ctl\u{1}x",
            "x.",
            ".x",
        ] {
            assert_eq!(any.check(ok), None, "{ok:?}");
        }
        for (bad, why) in [
            (" lead", "whitespace"),
            ("trail ", "whitespace"),
            ("tab\t", "whitespace"),
            ("nbsp\u{a0}", "whitespace"),
            ("/abs", "leading '/'"),
            ("a//b", "'//'"),
            ("dir/", "ending in '/'"),
            ("", "empty"),
        ] {
            let got = any.check(bad).unwrap_or_else(|| panic!("{bad:?} passed"));
            assert!(got.contains(why), "{bad:?}: {got}");
        }
        // Dots are the service's business: allowed by OpenDAL itself.
        assert_eq!(any.check("a/../b"), None);
    }

    /// `check` no longer calls OpenDAL's `normalize_path` for every key; this is what makes
    /// that safe: every key it lets through, OpenDAL leaves as it is.
    #[test]
    fn checked_keys_are_what_opendal_leaves_alone() {
        let any = KeyRules::default();
        let parts = [
            "", " ", "/", "//", "a", "b c", ".", "..", "\u{a0}", "\t", "\u{3000}", "é", "x\u{0}",
            "\n", "~", "%2F",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    let key = format!("{a}{b}{c}");
                    if any.check(&key).is_none() {
                        checked += 1;
                        assert_eq!(opendal::raw::normalize_path(&key), key, "{key:?}");
                    }
                }
            }
        }
        assert!(checked > 500, "only {checked} keys passed the check");
    }

    #[test]
    fn service_limits() {
        let s3 = KeyRules::s3("reports");
        assert!(s3.check("a/./b").unwrap().contains("'.' and '..'"));
        assert!(s3.check("..").is_some());
        assert_eq!(s3.check("a/.../b"), None);
        // 1024 bytes in all: "reports/" is 8.
        assert_eq!(s3.check(&"k".repeat(1016)), None);
        let e = s3.check(&"k".repeat(1017)).unwrap();
        assert!(e.contains("1025 bytes") && e.contains("1024"), "{e}");
        let oci = KeyRules {
            max_key_bytes: Some(1024),
            dot_segments: DotSegments::WholeKey,
            forbidden: &['\n', '\r', '\0'],
            service: "OCI Object Storage",
            ..KeyRules::default()
        };
        assert!(oci.check("..").is_some());
        assert_eq!(oci.check("a/../b"), None, "one URL segment: not resolved");
        assert_eq!(
            oci.with_prefix("p").check(".."),
            None,
            "p%2F.. is one segment"
        );
        assert!(oci.check("nl\nx").unwrap().contains("\\n"));
        let fs = KeyRules {
            max_segment_bytes: Some(255),
            dot_segments: DotSegments::Refused,
            forbidden: &['\0'],
            ..KeyRules::default()
        };
        assert_eq!(fs.check(&"n".repeat(255)), None);
        assert!(fs.check(&format!("d/{}", "n".repeat(256))).is_some());
    }
}
