//! Whether a destination object already equals its source, decided as rclone decides it:
//! sizes first; then, by mode, nothing more (`--size-only`), MD5s (`--checksum`) or
//! modification times within the modify window, where equal hashes with different times mean
//! "update the time", not "upload again".
//!
//! [`decide`] is pure: when it needs a fact a listing did not give (an MD5 in metadata, the real
//! modification time) it asks for it with [`Verdict::Need`], the caller fetches it (a HEAD, or
//! reading a local file) and asks again.

use std::time::Duration;

use jiff::Timestamp;
use ocisync_backend::ObjectInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compare {
    /// Size and modification time (rclone's default).
    #[default]
    ModTime,
    /// Size and MD5 (`--checksum`).
    Checksum,
    /// Size only (`--size-only`).
    SizeOnly,
}

#[derive(Debug, Clone, Default)]
pub struct CompareOptions {
    pub mode: Compare,
    /// `--update`: skip objects that are newer on the destination.
    pub update: bool,
    /// `--use-server-modtime`: listing times are good enough; never HEAD for `mtime`.
    pub use_server_modtime: bool,
    /// The larger of `--modify-window` and both sides' precision.
    pub window: Duration,
}

/// A fact to fetch before deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    SrcMd5,
    DstMd5,
    SrcModtime,
    DstModtime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Same(&'static str),
    /// Copy again, for this reason.
    Differ(&'static str),
    /// Same content, different time: set the destination's time.
    UpdateModtime,
    /// `--update` and the destination is newer.
    DstNewer,
    /// Equal by size because no hash is available on one side (`--checksum`).
    SameBySizeNoHash,
    Need(Need),
}

fn has_or_can(md5: bool, obtainable: bool) -> bool {
    md5 || obtainable
}

/// Asks for the missing MD5s, or compares them. `None` when one side can have none.
fn compare_md5(src: &ObjectInfo, dst: &ObjectInfo) -> Option<Verdict> {
    let src_ok = has_or_can(src.md5.is_some(), src.md5_obtainable);
    let dst_ok = has_or_can(dst.md5.is_some(), dst.md5_obtainable);
    if !(src_ok && dst_ok) {
        return None;
    }
    Some(match (src.md5, dst.md5) {
        (Some(a), Some(b)) if a == b => Verdict::Same("md5 matches"),
        (Some(_), Some(_)) => Verdict::Differ("md5 differs"),
        // The destination first: it is usually a listing field or a HEAD, the source may be a
        // whole local file to read.
        (_, None) => Verdict::Need(Need::DstMd5),
        (None, _) => Verdict::Need(Need::SrcMd5),
    })
}

fn modtime_exact(o: &ObjectInfo, opts: &CompareOptions) -> bool {
    opts.use_server_modtime || o.mtime_exact || o.mtime.is_none()
}

fn within(a: Timestamp, b: Timestamp, window: Duration) -> bool {
    let d = a.duration_since(b).unsigned_abs();
    d <= window
}

pub fn decide(src: &ObjectInfo, dst: &ObjectInfo, opts: &CompareOptions) -> Verdict {
    if opts.update {
        if !modtime_exact(src, opts) {
            return Verdict::Need(Need::SrcModtime);
        }
        if !modtime_exact(dst, opts) {
            return Verdict::Need(Need::DstModtime);
        }
        if let (Some(s), Some(d)) = (src.mtime, dst.mtime)
            && d > s
            && !within(s, d, opts.window)
        {
            return Verdict::DstNewer;
        }
    }
    if src.size != dst.size {
        return Verdict::Differ("sizes differ");
    }
    match opts.mode {
        Compare::SizeOnly => Verdict::Same("sizes match"),
        Compare::Checksum => compare_md5(src, dst).unwrap_or(Verdict::SameBySizeNoHash),
        Compare::ModTime => {
            if !modtime_exact(src, opts) {
                return Verdict::Need(Need::SrcModtime);
            }
            if !modtime_exact(dst, opts) {
                return Verdict::Need(Need::DstModtime);
            }
            match (src.mtime, dst.mtime) {
                (Some(s), Some(d)) if within(s, d, opts.window) => {
                    Verdict::Same("size and modification time match")
                }
                (Some(_), Some(_)) => match compare_md5(src, dst) {
                    Some(Verdict::Same(_)) => Verdict::UpdateModtime,
                    Some(Verdict::Differ(_)) => Verdict::Differ("modification time and md5 differ"),
                    Some(need) => need,
                    None => Verdict::Differ("modification times differ"),
                },
                _ => Verdict::Differ("modification time unknown"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocisync_backend::Md5;

    fn obj(size: u64, secs: i64, md5: Option<&[u8]>) -> ObjectInfo {
        let mut o = ObjectInfo::file("a", size);
        o.mtime = Some(Timestamp::new(secs, 0).unwrap());
        o.mtime_exact = true;
        o.md5 = md5.map(Md5::of);
        o
    }

    fn opts(mode: Compare) -> CompareOptions {
        CompareOptions {
            mode,
            window: Duration::from_nanos(1),
            ..Default::default()
        }
    }

    #[test]
    fn size_decides_first() {
        for mode in [Compare::ModTime, Compare::Checksum, Compare::SizeOnly] {
            assert_eq!(
                decide(
                    &obj(1, 10, Some(b"x")),
                    &obj(2, 10, Some(b"x")),
                    &opts(mode)
                ),
                Verdict::Differ("sizes differ")
            );
        }
        assert!(matches!(
            decide(
                &obj(1, 10, None),
                &obj(1, 99, None),
                &opts(Compare::SizeOnly)
            ),
            Verdict::Same(_)
        ));
    }

    #[test]
    fn modtime_mode() {
        let o = opts(Compare::ModTime);
        assert!(matches!(
            decide(&obj(1, 10, None), &obj(1, 10, None), &o),
            Verdict::Same(_)
        ));
        assert_eq!(
            decide(&obj(1, 10, None), &obj(1, 11, None), &o),
            Verdict::Differ("modification times differ")
        );
        assert_eq!(
            decide(&obj(1, 10, Some(b"x")), &obj(1, 11, Some(b"x")), &o),
            Verdict::UpdateModtime
        );
        assert_eq!(
            decide(&obj(1, 10, Some(b"x")), &obj(1, 11, Some(b"y")), &o),
            Verdict::Differ("modification time and md5 differ")
        );
        let wide = CompareOptions {
            window: Duration::from_secs(2),
            ..o.clone()
        };
        assert!(matches!(
            decide(&obj(1, 10, None), &obj(1, 11, None), &wide),
            Verdict::Same(_)
        ));
    }

    #[test]
    fn inexact_times_are_fetched_unless_server_modtime() {
        let o = opts(Compare::ModTime);
        let mut dst = obj(1, 11, None);
        dst.mtime_exact = false;
        assert_eq!(
            decide(&obj(1, 10, None), &dst, &o),
            Verdict::Need(Need::DstModtime)
        );
        let server = CompareOptions {
            use_server_modtime: true,
            ..o
        };
        assert_eq!(
            decide(&obj(1, 10, None), &dst, &server),
            Verdict::Differ("modification times differ")
        );
    }

    #[test]
    fn checksum_mode() {
        let o = opts(Compare::Checksum);
        assert!(matches!(
            decide(&obj(1, 10, Some(b"x")), &obj(1, 99, Some(b"x")), &o),
            Verdict::Same(_)
        ));
        assert_eq!(
            decide(&obj(1, 10, Some(b"x")), &obj(1, 10, Some(b"y")), &o),
            Verdict::Differ("md5 differs")
        );
        // No hash on one side and none to be had: equal by size, as rclone.
        assert_eq!(
            decide(&obj(1, 10, Some(b"x")), &obj(1, 10, None), &o),
            Verdict::SameBySizeNoHash
        );
        let mut dst = obj(1, 10, None);
        dst.md5_obtainable = true;
        assert_eq!(
            decide(&obj(1, 10, Some(b"x")), &dst, &o),
            Verdict::Need(Need::DstMd5)
        );
        let mut src = obj(1, 10, None);
        src.md5_obtainable = true;
        assert_eq!(
            decide(&src, &obj(1, 10, Some(b"x")), &o),
            Verdict::Need(Need::SrcMd5)
        );
        // Reading the source is pointless when the destination can have no hash.
        assert_eq!(
            decide(&src, &obj(1, 10, None), &o),
            Verdict::SameBySizeNoHash
        );
    }

    #[test]
    fn update_skips_newer_destination() {
        let o = CompareOptions {
            update: true,
            ..opts(Compare::ModTime)
        };
        assert_eq!(
            decide(&obj(1, 10, None), &obj(2, 20, None), &o),
            Verdict::DstNewer
        );
        assert_eq!(
            decide(&obj(1, 30, None), &obj(2, 20, None), &o),
            Verdict::Differ("sizes differ")
        );
    }
}
