//! `ls`, `lsl`, `lsf`, `lsjson`, `size`: listings printed as rclone 1.75 prints them. Sizes,
//! times and MD5s come from the listing; a HEAD is made only for `--hash` on an object whose
//! listing carries no MD5 (and reading, for local files).
//!
//! Order and directories follow rclone: a directory listing is sorted by name; a recursive
//! listing gives the objects in listing order, then the directories above them, sorted (rclone's
//! ListR). Names written to a terminal have their control characters escaped, so an object name
//! cannot move the cursor or recolour the screen; piped output (and JSON, which escapes them
//! itself) keeps names byte for byte.

/// `println!` that ignores a closed stdout (`ocisync ... | head`) instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering::Relaxed;

use futures::StreamExt;
use ocisync_backend::{ObjectInfo, Remote, Result};
use serde::Serialize;

use crate::engine::stats::{Stats, human_bytes};
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

/// One line of a listing.
struct Entry {
    o: ObjectInfo,
    /// A directory made up from the objects' paths (recursive listings): rclone gives it no
    /// size (-1) and the time of the listing.
    synthesized: bool,
}

/// rclone's `--default-time`: what a listing shows for an unknown modification time
/// (2000-01-01T00:00:00Z unless set).
fn default_time() -> jiff::Timestamp {
    DEFAULT_TIME.get().copied().unwrap_or_else(|| {
        jiff::Timestamp::from_second(946_684_800).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    })
}

static DEFAULT_TIME: std::sync::OnceLock<jiff::Timestamp> = std::sync::OnceLock::new();

/// Sets `--default-time` (once, at start).
pub fn set_default_time(t: jiff::Timestamp) {
    let _ = DEFAULT_TIME.set(t);
}

impl Listing<'_> {
    /// Calls `each` for every listed entry that passes the filters, in rclone's order (see the
    /// module docs).
    async fn for_each(&self, mut each: impl FnMut(Entry) -> Result<()>) -> Result<()> {
        let mut stream = if self.recursive {
            crate::engine::listing::list(self.remote).await?
        } else {
            self.remote.list(false).await?
        };
        let mut dirs = std::collections::BTreeSet::new();
        let mut level = Vec::new();
        while let Some(item) = stream.next().await {
            let o = item?;
            if self.recursive && !self.files_only {
                // As rclone's dirMap: every object's directories, whether the object passes the
                // filters or not.
                let mut end = o.path.len();
                while let Some(i) = o.path[..end].rfind('/') {
                    // With --max-depth rclone walks no deeper: no directory below it is seen.
                    // A directory the filters' directory rules exclude (or below --max-depth)
                    // is never walked into by rclone, so never listed; without directory rules
                    // every directory passes, as rclone's dirMap has them.
                    let walked = self.filter.dir_included(&o.path[..i]);
                    if walked && !dirs.insert(o.path[..i].to_string()) {
                        break;
                    }
                    end = i;
                }
            }
            let passes = if o.is_dir {
                !self.files_only && self.filter.dir_included(&o.path)
            } else {
                !self.dirs_only && self.filter.included(&o.path, o.size, o.mtime)
            };
            if !passes {
                continue;
            }
            let entry = Entry {
                o,
                synthesized: false,
            };
            if self.recursive {
                each(entry)?;
            } else {
                level.push(entry);
            }
        }
        level.sort_by(|a, b| {
            a.o.path
                .trim_end_matches('/')
                .cmp(b.o.path.trim_end_matches('/'))
        });
        for entry in level {
            each(entry)?;
        }
        let now = jiff::Timestamp::now();
        for dir in dirs {
            let mut o = ObjectInfo::file(format!("{dir}/"), 0);
            o.is_dir = true;
            o.mtime = Some(now);
            each(Entry {
                o,
                synthesized: true,
            })?;
        }
        Ok(())
    }
}

fn out() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::new(std::io::stdout().lock())
}

/// How names are printed: escaped on a terminal, as they are otherwise.
#[derive(Clone, Copy)]
struct Names {
    escape: bool,
}

impl Names {
    fn for_stdout() -> Names {
        Names {
            escape: std::io::stdout().is_terminal(),
        }
    }

    fn show<'a>(&self, name: &'a str) -> Cow<'a, str> {
        if self.escape {
            crate::log::escape_controls(name)
        } else {
            Cow::Borrowed(name)
        }
    }
}

fn time_local(t: jiff::Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M:%S%.9f")
        .to_string()
}

pub async fn ls(l: Listing<'_>, long: bool) -> Result<()> {
    let names = Names::for_stdout();
    let mut w = out();
    l.for_each(|Entry { o, .. }| {
        if o.is_dir {
            return Ok(());
        }
        let path = names.show(&o.path);
        let _ = if long {
            let t = o.mtime.map(time_local).unwrap_or_else(|| "-".into());
            writeln!(w, "{:>9} {t} {path}", o.size)
        } else {
            writeln!(w, "{:>9} {path}", o.size)
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
) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    l.for_each(|e| {
        entries.push(e);
        Ok(())
    })
    .await?;
    if hash {
        let remote = l.remote;
        let done: Vec<Result<Entry>> = futures::stream::iter(entries)
            .map(|mut e| async move {
                complete_md5(remote, &mut e.o, stats).await?;
                Ok(e)
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
    let names = Names::for_stdout();
    let entries = collect(&l, format.contains('h'), checkers, stats).await?;
    let mut w = out();
    for Entry { o, .. } in entries {
        let fields: Vec<String> = format
            .chars()
            .map(|c| match c {
                'p' => names.show(&o.path).into_owned(),
                // rclone's lsf: -1 for every directory.
                's' if o.is_dir => "-1".into(),
                's' => o.size.to_string(),
                't' => time_local(o.mtime.unwrap_or_else(default_time))[..19].to_string(),
                'h' => o.md5.map(|m| m.to_hex()).unwrap_or_default(),
                'm' if o.is_dir => "inode/directory".into(),
                'm' => mime::guess(&o.path).into(),
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
    for (i, Entry { o, synthesized }) in entries.iter().enumerate() {
        let path = o.path.trim_end_matches('/');
        let entry = JsonEntry {
            path,
            name: path.rsplit('/').next().unwrap_or(path),
            // A listed directory has the size its listing gave (0 for a bucket's prefixes);
            // one made up from object paths has none.
            size: if *synthesized { -1 } else { o.size as i64 },
            mime_type: (!f.no_mimetype).then(|| {
                if o.is_dir {
                    "inode/directory"
                } else {
                    mime::guess(path)
                }
            }),
            mod_time: (!f.no_modtime).then(|| rfc3339_nanos(o.mtime.unwrap_or_else(default_time))),
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

/// rclone's `size --json`, keys in its order.
#[derive(Serialize)]
struct SizeJson {
    count: u64,
    bytes: u64,
    sizeless: u64,
}

pub async fn size(l: Listing<'_>, json: bool) -> Result<()> {
    let (mut count, mut bytes) = (0u64, 0u64);
    l.for_each(|Entry { o, .. }| {
        if !o.is_dir {
            count += 1;
            bytes += o.size;
        }
        Ok(())
    })
    .await?;
    if json {
        let line = serde_json::to_string(&SizeJson {
            count,
            bytes,
            sizeless: 0,
        })
        .unwrap_or_default();
        outln!("{line}");
    } else {
        for line in size_lines(count, bytes) {
            outln!("{line}");
        }
    }
    Ok(())
}

/// rclone 1.75's `size` lines: the exact count in parentheses only when the short form
/// differs, sizes with `Byte`.
fn size_lines(count: u64, bytes: u64) -> [String; 2] {
    let short = count_suffix(count);
    let objects = if short == count.to_string() {
        format!("Total objects: {short}")
    } else {
        format!("Total objects: {short} ({count})")
    };
    [
        objects,
        format!("Total size: {} ({bytes} Byte)", human_bytes(bytes)),
    ]
}

/// rclone's `CountSuffix`: `999`, `1k`, `1.001k`, `12.346M`.
fn count_suffix(n: u64) -> String {
    const UNITS: [&str; 7] = ["", "k", "M", "G", "T", "P", "E"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0}{}", UNITS[i])
    } else {
        format!("{v:.3}{}", UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_lines_are_rclones() {
        // rclone 1.75.2 `rclone size` on local trees of these shapes.
        assert_eq!(
            size_lines(6, 30),
            ["Total objects: 6", "Total size: 30 B (30 Byte)"]
        );
        assert_eq!(size_lines(1000, 1536)[0], "Total objects: 1k (1000)");
        assert_eq!(size_lines(1001, 1536)[0], "Total objects: 1.001k (1001)");
        assert_eq!(
            size_lines(12346, 1536),
            [
                "Total objects: 12.346k (12346)",
                "Total size: 1.500 KiB (1536 Byte)"
            ]
        );
        assert_eq!(
            size_lines(0, 0),
            ["Total objects: 0", "Total size: 0 B (0 Byte)"]
        );
    }
}
