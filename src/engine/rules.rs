//! What rclone's Copy and Sync flags change about a sync, copy or move — kept out of the main
//! loop ([`super::sync`]) as data and pure decisions it asks about:
//!
//! - before comparing a pair: `--ignore-existing` (skip), `--ignore-times` (transfer),
//!   `--ignore-size` (compare without sizes); after: `--immutable` (a difference is an error);
//! - when transfers may start: `--cutoff-mode` for `--max-transfer` and `--max-duration`;
//! - in which order: `--check-first`, `--order-by`, `--delete-before`;
//! - what replaces a deletion or an overwrite: `--backup-dir`/`--suffix` ([`Backup`]);
//! - where else an equal copy may already be: `--compare-dest`/`--copy-dest` ([`OtherDest`]);
//! - what a move deletes: the source object, once its copy is proven.

use std::time::Duration;

use ocisync_backend::{ObjectInfo, Remote};

use super::index::Index;

/// `--cutoff-mode`: how `--max-transfer` and `--max-duration` stop a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cutoff {
    /// Stop at once: uploads in flight are aborted. (For `--max-transfer`, a transfer that
    /// would cross the limit is not started: rclone starts it and cuts it, with the same end
    /// state.)
    #[default]
    Hard,
    /// Start no transfer once the limit is reached; let those in flight finish.
    Soft,
    /// Start no transfer that would take the total to the limit or past it.
    Cautious,
}

impl Cutoff {
    pub fn name(self) -> &'static str {
        match self {
            Cutoff::Hard => "HARD",
            Cutoff::Soft => "SOFT",
            Cutoff::Cautious => "CAUTIOUS",
        }
    }

    /// Whether a transfer of `size` bytes may start under `--max-transfer max`, given the bytes
    /// moved so far (`done`, transfers in flight included) and those of transfers started
    /// (`started`, before this one). rclone's `checkLimits`, with Hard as described above.
    pub fn may_start(self, max: u64, done: u64, started: u64, size: u64) -> bool {
        match self {
            Cutoff::Hard => started + size <= max,
            Cutoff::Soft => done < max,
            Cutoff::Cautious => started + size < max,
        }
    }
}

/// The key of `--order-by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKey {
    Size,
    Name,
    Modtime,
}

/// `--order-by KEY[,ascending|descending]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderBy {
    pub key: OrderKey,
    pub descending: bool,
}

#[allow(non_upper_case_globals)]
impl OrderBy {
    pub const Size: OrderBy = OrderBy {
        key: OrderKey::Size,
        descending: false,
    };
    pub const Name: OrderBy = OrderBy {
        key: OrderKey::Name,
        descending: false,
    };
    pub const Modtime: OrderBy = OrderBy {
        key: OrderKey::Modtime,
        descending: false,
    };

    pub fn descending(self) -> OrderBy {
        OrderBy {
            descending: true,
            ..self
        }
    }

    /// Sorts queued transfers (stable: equal keys keep their listing order).
    pub fn sort<T>(self, items: &mut [T], obj: impl Fn(&T) -> &ObjectInfo) {
        items.sort_by(|a, b| {
            let (a, b) = (obj(a), obj(b));
            let o = match self.key {
                OrderKey::Size => a.size.cmp(&b.size),
                OrderKey::Name => a.path.cmp(&b.path),
                OrderKey::Modtime => a.mtime.cmp(&b.mtime),
            };
            if self.descending { o.reverse() } else { o }
        });
    }
}

/// What to do with a pair before comparing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    /// Compare as usual.
    Compare,
    /// Leave the destination as it is (`--ignore-existing`).
    Skip(&'static str),
    /// Transfer without comparing (`--ignore-times`).
    Transfer(&'static str),
}

/// The Copy and Sync groups' rules for one run (`crate::args::rclone::rules` builds them).
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub ignore_existing: bool,
    pub ignore_times: bool,
    pub ignore_size: bool,
    pub immutable: bool,
    /// Compare everything before the first transfer (also implied by `--order-by`, whose order
    /// only means something over the whole queue, and by `--delete-before`).
    pub check_first: bool,
    pub order_by: Option<OrderBy>,
    /// Sync: deletions before the transfers (after the whole source is listed and compared).
    pub delete_before: bool,
    /// Sync: delete destination objects the filters exclude.
    pub delete_excluded: bool,
    /// Sync: refuse (deleting nothing) when the deletions would free more than this.
    pub max_delete_size: Option<u64>,
    pub cutoff: Cutoff,
    /// Copy everything without listing the destination.
    pub no_check_dest: bool,
    pub suffix: Option<String>,
    pub suffix_keep_extension: bool,
    /// `--backup-dir` (or `--suffix` alone), opened by the caller.
    pub backup: Option<Backup>,
    /// `--compare-dest` / `--copy-dest`, opened by the caller (listed by the run).
    pub other_dests: Vec<OtherDest>,
    /// Move: delete each source object once its copy is proven (or found equal).
    pub move_source: bool,
    /// `--max-duration` with a soft or cautious cutoff: no transfer starts after this.
    pub deadline: Option<tokio::time::Instant>,
    /// Copy options for every transfer (`-M`, `--header-upload`, `--ignore-checksum`).
    pub copy: CopyOptions,
}

impl Rules {
    /// `--check-first`, or anything that needs the whole queue before transferring.
    pub fn queue_transfers(&self) -> bool {
        self.check_first || self.order_by.is_some() || self.delete_before
    }

    /// rclone's `NeedTransfer` shortcuts, before any comparison.
    pub fn before_compare(&self) -> Before {
        if self.ignore_existing {
            Before::Skip("Destination exists, skipping")
        } else if self.ignore_times {
            Before::Transfer("Transferring unconditionally as --ignore-times is in use")
        } else {
            Before::Compare
        }
    }

    /// The destination as the comparison should see it: with `--ignore-size`, its size is
    /// the source's (only times or hashes decide).
    pub fn for_compare(&self, src: &ObjectInfo, mut dst: ObjectInfo) -> ObjectInfo {
        if self.ignore_size {
            dst.size = src.size;
        }
        dst
    }

    /// Whether a transfer may still start now (`--max-duration` soft or cautious).
    pub fn past_deadline(&self) -> bool {
        self.deadline
            .is_some_and(|d| tokio::time::Instant::now() >= d)
    }

    /// The name a replaced or deleted object is kept under (`--suffix`,
    /// `--suffix-keep-extension`).
    pub fn backup_name(&self, path: &str) -> String {
        match &self.suffix {
            None => path.to_string(),
            Some(s) if self.suffix_keep_extension => suffix_keep_extension(path, s),
            Some(s) => format!("{path}{s}"),
        }
    }
}

/// rclone's `SuffixKeepExtension`: the suffix goes before the extensions — the last one, and
/// the ones before it that are known MIME types (`file.tar.gz` → `file-1.tar.gz`).
pub fn suffix_keep_extension(path: &str, suffix: &str) -> String {
    let (dir, name) = match path.rfind('/') {
        Some(i) => (&path[..=i], &path[i + 1..]),
        None => ("", path),
    };
    let mut base = name;
    let mut first = true;
    while let Some(i) = base.rfind('.') {
        let ext = &base[i..];
        if !first && crate::mime::guess(&format!("x{ext}")) == "application/octet-stream" {
            break;
        }
        base = &base[..i];
        first = false;
    }
    // Go's path.Ext of ".hidden" is ".hidden": the whole name is an extension.
    format!("{dir}{base}{suffix}{}", &name[base.len()..])
}

/// Options for one object copy.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// `-M`: copy the source's user metadata and content headers.
    pub metadata: bool,
    /// `--ignore-checksum`: the bytes read are not compared with the source's MD5.
    pub ignore_checksum: bool,
    /// `--header-upload` values, by kind.
    pub headers: UploadHeaders,
}

/// The `--header-upload` headers uploads can carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadHeaders {
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_type: Option<String>,
    /// `X-Amz-Meta-*` / `Opc-Meta-*`: user metadata, key lower-cased without the prefix.
    pub metadata: Vec<(String, String)>,
}

impl UploadHeaders {
    /// Parses `Name: value` headers; one an upload cannot carry is refused, naming it.
    pub fn parse(headers: &[String]) -> Result<UploadHeaders, String> {
        let mut h = UploadHeaders::default();
        for line in headers {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("--header-upload {line:?}: expected \"Name: value\""))?;
            let value = value.trim().to_string();
            let lower = name.trim().to_ascii_lowercase();
            let meta = lower
                .strip_prefix("x-amz-meta-")
                .or_else(|| lower.strip_prefix("opc-meta-"));
            match (lower.as_str(), meta) {
                (_, Some(key)) if !key.is_empty() => h.metadata.push((key.to_string(), value)),
                ("cache-control", _) => h.cache_control = Some(value),
                ("content-disposition", _) => h.content_disposition = Some(value),
                ("content-encoding", _) => h.content_encoding = Some(value),
                ("content-type", _) => h.content_type = Some(value),
                _ => {
                    return Err(format!(
                        "--header-upload {:?}: ocisync can set Cache-Control, Content-Disposition, \
                         Content-Encoding, Content-Type and X-Amz-Meta-* / Opc-Meta-* on uploads \
                         (it sends them signed); other headers are refused",
                        name.trim()
                    ));
                }
            }
        }
        Ok(h)
    }

    pub fn is_empty(&self) -> bool {
        *self == UploadHeaders::default()
    }
}

/// Where replaced and deleted objects go instead (`--backup-dir`, or `--suffix` alone: the
/// destination itself). Moves are server-side (copy, then delete) through a remote rooted
/// where both paths meet when the backend can copy; otherwise the object is streamed there.
#[derive(Debug, Clone)]
pub struct Backup {
    /// What the operator named, for messages.
    pub shown: String,
    pub via: BackupVia,
}

#[derive(Debug, Clone)]
pub enum BackupVia {
    /// One remote rooted above both: keys are `dst_prefix + path` and `backup_prefix + name`.
    ServerSide {
        root: Remote,
        dst_prefix: String,
        backup_prefix: String,
    },
    /// The backup place opened on its own: the object is streamed there, then deleted.
    Stream(Remote),
}

/// A `--compare-dest` or `--copy-dest` place, listed once into an index at the start.
pub struct OtherDest {
    pub remote: Remote,
    /// `--copy-dest`: copy from here (server-side) rather than only skipping.
    pub copy_from: bool,
    /// Server-side copies: the same remote rooted above both, and the two prefixes.
    pub server_side: Option<(Remote, String, String)>,
    pub index: std::sync::Mutex<Index>,
}

impl std::fmt::Debug for OtherDest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtherDest")
            .field("remote", &self.remote)
            .field("copy_from", &self.copy_from)
            .finish()
    }
}

impl Clone for OtherDest {
    fn clone(&self) -> Self {
        // An index is built per run; a cloned place starts unlisted.
        OtherDest {
            remote: self.remote.clone(),
            copy_from: self.copy_from,
            server_side: self.server_side.clone(),
            index: std::sync::Mutex::new(Index::default()),
        }
    }
}

/// How long rclone waits before it says "Transfer session deadline" — for the log line.
pub fn deadline_line(cutoff: Cutoff, after: Duration) -> String {
    let at = jiff::Zoned::now()
        .checked_add(jiff::SignedDuration::try_from(after).unwrap_or_default())
        .map(|z| z.strftime("%Y/%m/%d %H:%M:%S").to_string())
        .unwrap_or_default();
    format!("Transfer session {} deadline: {at}", cutoff.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_modes_are_rclones() {
        // 300 KiB objects, --max-transfer 400Ki, one at a time: rclone 1.75 copies one
        // (hard: the second is cut), two (soft: the second starts below the limit) and one
        // (cautious: the second would reach it).
        let (max, obj) = (400 << 10, 300 << 10);
        assert!(Cutoff::Hard.may_start(max, 0, 0, obj));
        assert!(!Cutoff::Hard.may_start(max, obj, obj, obj));
        assert!(Cutoff::Soft.may_start(max, obj, obj, obj));
        assert!(!Cutoff::Soft.may_start(max, 2 * obj, 2 * obj, obj));
        assert!(!Cutoff::Cautious.may_start(max, obj, obj, obj));
        // Exactly reaching the limit: hard allows it, cautious does not.
        assert!(Cutoff::Hard.may_start(2 * obj, obj, obj, obj));
        assert!(!Cutoff::Cautious.may_start(2 * obj, obj, obj, obj));
    }

    #[test]
    fn suffixes_are_rclones() {
        let r = Rules {
            suffix: Some("-2026".into()),
            ..Rules::default()
        };
        assert_eq!(r.backup_name("a/file.txt"), "a/file.txt-2026");
        let r = Rules {
            suffix_keep_extension: true,
            ..r
        };
        assert_eq!(r.backup_name("a/file.txt"), "a/file-2026.txt");
        assert_eq!(r.backup_name("a/file.tar.gz"), "a/file-2026.tar.gz");
        assert_eq!(r.backup_name("a/x.y.csv"), "a/x.y-2026.csv");
        assert_eq!(r.backup_name("noext"), "noext-2026");
        assert_eq!(r.backup_name("d.x/noext"), "d.x/noext-2026");
    }

    #[test]
    fn upload_headers() {
        let h = UploadHeaders::parse(&[
            "Cache-Control: max-age=3600".into(),
            "X-Amz-Meta-Owner: finops".into(),
            "content-type:text/csv".into(),
        ])
        .unwrap();
        assert_eq!(h.cache_control.as_deref(), Some("max-age=3600"));
        assert_eq!(h.content_type.as_deref(), Some("text/csv"));
        assert_eq!(h.metadata, [("owner".to_string(), "finops".to_string())]);
        let e = UploadHeaders::parse(&["X-Amz-Acl: public-read".into()]).unwrap_err();
        assert!(e.contains("\"X-Amz-Acl\"") && e.contains("refused"), "{e}");
        assert!(UploadHeaders::parse(&["nocolon".into()]).is_err());
    }

    #[test]
    fn order_by_sorts_stably() {
        let mut v: Vec<ObjectInfo> = [("b", 2), ("a", 2), ("c", 1)]
            .iter()
            .map(|(p, s)| ObjectInfo::file(*p, *s))
            .collect();
        OrderBy::Size.sort(&mut v, |o| o);
        let names: Vec<&str> = v.iter().map(|o| &*o.path).collect();
        assert_eq!(names, ["c", "b", "a"]);
        OrderBy::Name.descending().sort(&mut v, |o| o);
        let names: Vec<&str> = v.iter().map(|o| &*o.path).collect();
        assert_eq!(names, ["c", "b", "a"]);
    }
}
