//! `ls`, `lsl`, `lsf`, `lsjson`, `size`: listings printed as rclone prints them. Sizes, times
//! and MD5s come from the listing; a HEAD is made only for `--hash` on an object whose listing
//! carries no MD5 (and reading, for local files).

/// `println!` that ignores a closed stdout (`ocisync ... | head`) instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!` counterpart of [`outln!`].
#[allow(unused_macros)]
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

use std::io::Write;
use std::sync::atomic::Ordering::Relaxed;

use futures::StreamExt;
use ocisync_backend::{ObjectInfo, Remote, Result};
use serde::Serialize;

use crate::engine::stats::Stats;
use crate::filter::Filter;
use crate::mime;

/// What to list and how.
pub struct Listing<'a> {
    pub remote: &'a Remote,
    pub recursive: bool,
    pub filter: &'a Filter,
    pub files_only: bool,
    pub dirs_only: bool,
}

impl Listing<'_> {
    /// Calls `each` for every listed entry that passes the filters. Recursive listings of
    /// object stores have no directory entries; like rclone, each directory is shown once,
    /// before the first object in it.
    async fn for_each(&self, mut each: impl FnMut(ObjectInfo) -> Result<()>) -> Result<()> {
        let mut stream = self.remote.list(self.recursive).await?;
        let mut dirs_seen = std::collections::HashSet::new();
        while let Some(item) = stream.next().await {
            let obj = item?;
            if self.recursive && !self.files_only {
                for (i, _) in obj.path.match_indices('/') {
                    let dir = &obj.path[..i];
                    if !dirs_seen.contains(dir) && self.filter.path_included(dir) {
                        dirs_seen.insert(dir.to_string());
                        let mut d = ObjectInfo::file(format!("{dir}/"), 0);
                        d.is_dir = true;
                        each(d)?;
                    }
                }
            }
            let passes = if obj.is_dir {
                !self.files_only && self.filter.path_included(obj.path.trim_end_matches('/'))
            } else {
                !self.dirs_only && self.filter.included(&obj.path, obj.size, obj.mtime)
            };
            if passes {
                each(obj)?;
            }
        }
        Ok(())
    }
}

fn out() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::new(std::io::stdout().lock())
}

fn time_local(t: jiff::Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M:%S%.9f")
        .to_string()
}

pub async fn ls(l: Listing<'_>, long: bool) -> Result<()> {
    let mut w = out();
    l.for_each(|o| {
        if o.is_dir {
            return Ok(());
        }
        let _ = if long {
            let t = o.mtime.map(time_local).unwrap_or_else(|| "-".into());
            writeln!(w, "{:>9} {t} {}", o.size, o.path)
        } else {
            writeln!(w, "{:>9} {}", o.size, o.path)
        };
        Ok(())
    })
    .await?;
    let _ = w.flush();
    Ok(())
}

/// Fills in a missing MD5 where one can be had (HEAD for metadata, reading for local files).
async fn complete_md5(remote: &Remote, o: &mut ObjectInfo, stats: &Stats) -> Result<()> {
    if o.md5.is_some() || !o.md5_obtainable || o.is_dir {
        return Ok(());
    }
    if remote.features.md5_by_reading {
        o.md5 = Some(remote.read_md5(&o.path).await?);
    } else {
        stats.heads.fetch_add(1, Relaxed);
        o.md5 = remote.stat(&o.path).await?.md5;
    }
    Ok(())
}

/// Collects entries, completing MD5s with bounded concurrency when asked.
async fn collect(
    l: &Listing<'_>,
    hash: bool,
    checkers: usize,
    stats: &Stats,
) -> Result<Vec<ObjectInfo>> {
    let mut entries = Vec::new();
    l.for_each(|o| {
        entries.push(o);
        Ok(())
    })
    .await?;
    if hash {
        let remote = l.remote;
        let done: Vec<Result<ObjectInfo>> = futures::stream::iter(entries)
            .map(|mut o| async move {
                complete_md5(remote, &mut o, stats).await?;
                Ok(o)
            })
            .buffered(checkers.max(1))
            .collect()
            .await;
        entries = done.into_iter().collect::<Result<_>>()?;
    }
    Ok(entries)
}

pub async fn lsf(
    l: Listing<'_>,
    format: &str,
    separator: &str,
    checkers: usize,
    stats: &Stats,
) -> Result<()> {
    let entries = collect(&l, format.contains('h'), checkers, stats).await?;
    let mut w = out();
    for o in entries {
        let fields: Vec<String> = format
            .chars()
            .map(|c| match c {
                'p' => o.path.to_string(),
                's' => {
                    if o.is_dir {
                        "-1".into()
                    } else {
                        o.size.to_string()
                    }
                }
                't' => o
                    .mtime
                    .map(time_local)
                    .map(|t| t[..19].to_string())
                    .unwrap_or_default(),
                'h' => o.md5.map(|m| m.to_hex()).unwrap_or_default(),
                'm' => {
                    if o.is_dir {
                        "inode/directory".into()
                    } else {
                        mime::guess(&o.path).into()
                    }
                }
                _ => String::new(),
            })
            .collect();
        let _ = writeln!(w, "{}", fields.join(separator));
    }
    let _ = w.flush();
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonEntry<'a> {
    path: &'a str,
    name: &'a str,
    size: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    mime_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mod_time: Option<String>,
    is_dir: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    hashes: Option<Hashes>,
}

#[derive(Serialize)]
struct Hashes {
    md5: String,
}

pub struct JsonFlags {
    pub hash: bool,
    pub no_modtime: bool,
    pub no_mimetype: bool,
}

/// rclone's `Timestamp` form: RFC 3339 with nine fractional digits, in UTC.
fn rfc3339_nanos(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

pub async fn lsjson(l: Listing<'_>, f: JsonFlags, checkers: usize, stats: &Stats) -> Result<()> {
    let entries = collect(&l, f.hash, checkers, stats).await?;
    let mut w = out();
    let _ = writeln!(w, "[");
    let last = entries.len().saturating_sub(1);
    for (i, o) in entries.iter().enumerate() {
        let path = o.path.trim_end_matches('/');
        let entry = JsonEntry {
            path,
            name: path.rsplit('/').next().unwrap_or(path),
            size: if o.is_dir { -1 } else { o.size as i64 },
            mime_type: (!f.no_mimetype).then(|| {
                if o.is_dir {
                    "inode/directory"
                } else {
                    mime::guess(path)
                }
            }),
            mod_time: (!f.no_modtime).then(|| {
                o.mtime
                    .map(rfc3339_nanos)
                    .unwrap_or_else(|| "2000-01-01T00:00:00.000000000Z".into())
            }),
            is_dir: o.is_dir,
            hashes: if f.hash && !o.is_dir {
                o.md5.map(|m| Hashes { md5: m.to_hex() })
            } else {
                None
            },
        };
        let json = serde_json::to_string(&entry).unwrap_or_default();
        let _ = writeln!(w, "{json}{}", if i < last { "," } else { "" });
    }
    let _ = writeln!(w, "]");
    let _ = w.flush();
    Ok(())
}

pub async fn size(l: Listing<'_>, json: bool) -> Result<()> {
    let (mut count, mut bytes) = (0u64, 0u64);
    l.for_each(|o| {
        if !o.is_dir {
            count += 1;
            bytes += o.size;
        }
        Ok(())
    })
    .await?;
    if json {
        outln!(
            "{}",
            serde_json::json!({"count": count, "bytes": bytes, "sizeless": 0})
        );
    } else {
        outln!("Total objects: {} ({count})", si(count));
        outln!(
            "Total size: {} ({bytes} B)",
            crate::engine::stats::human_bytes(bytes)
        );
    }
    Ok(())
}

/// `2.001k` as rclone prints counts.
fn si(n: u64) -> String {
    match n {
        n if n < 1000 => n.to_string(),
        n if n < 1_000_000 => format!("{:.3}k", n as f64 / 1e3),
        n => format!("{:.3}M", n as f64 / 1e6),
    }
}
