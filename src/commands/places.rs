//! The other places a sync, copy or move may touch, named by flags and opened before it runs:
//! `--backup-dir` (or the destination itself for `--suffix` alone), `--compare-dest` and
//! `--copy-dest` — with rclone's checks: a backup or copy-dest place on the destination's own
//! remote, not overlapping the source or the destination (unless a filter excludes it).
//!
//! Server-side moves and copies need one remote seeing both keys: it is opened where the two
//! paths meet (the bucket for `s3:b/oci-sync` and `s3:b/archive`). When they meet nowhere a
//! remote can be opened (two buckets), or the backend cannot copy, objects are streamed.

use ocisync_backend::Remote;

use super::objects::{self, Failure};
use crate::cli::Flags;
use crate::engine::backup::can_copy;
use crate::engine::index::Index;
use crate::engine::rules::{Backup, BackupVia, OtherDest, Rules};
use crate::exitcode;
use crate::filter::Filter;
use crate::remote_path::{RemotePath, RemoteRef};
use crate::resolve::Resolver;

fn fatal(message: impl Into<String>) -> Failure {
    Failure::new(exitcode::FATAL, message)
}

fn parse(spec: &str) -> Result<RemotePath, Failure> {
    RemotePath::parse(spec).map_err(|e| Failure::new(exitcode::USAGE, e.to_string()))
}

/// Whether two paths name the same remote (the same configured remote, or the same local file
/// system), as rclone's `SameConfig`.
fn same_remote(a: &RemotePath, b: &RemotePath) -> bool {
    a.remote == b.remote && a.params == b.params
}

/// The longest common leading run of `/`-separated segments of two paths.
fn common_root(a: &str, b: &str) -> String {
    let (a, b) = (a.trim_end_matches('/'), b.trim_end_matches('/'));
    let absolute = a.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for (x, y) in a.split('/').zip(b.split('/')) {
        if x != y {
            break;
        }
        out.push(x);
    }
    let joined = out.join("/");
    if absolute && joined.is_empty() {
        "/".to_string()
    } else {
        joined
    }
}

/// `path` relative to `root`, ending in `/` (or empty).
fn below(root: &str, path: &str) -> String {
    let rest = path
        .trim_end_matches('/')
        .strip_prefix(root.trim_end_matches('/'))
        .unwrap_or("")
        .trim_start_matches('/');
    if rest.is_empty() {
        String::new()
    } else {
        format!("{rest}/")
    }
}

/// A remote rooted where `a` and `b` meet, with both paths' prefixes below it — when it can
/// copy server-side.
async fn meeting_point(
    resolver: &Resolver,
    a: &RemotePath,
    b: &RemotePath,
) -> Option<(Remote, String, String)> {
    let root = common_root(&a.path, &b.path);
    // Object stores need a bucket to open.
    if root.is_empty() && a.remote != RemoteRef::Local {
        return None;
    }
    let mut at = a.clone();
    at.path = root.clone();
    let remote = resolver.open(&at).await.ok()?;
    can_copy(&remote).then(|| (remote, below(&root, &a.path), below(&root, &b.path)))
}

/// Whether `inner`'s location is `outer`'s or below it, where the filter does not exclude it.
fn overlaps(outer: &Remote, inner: &Remote, filter: &Filter) -> bool {
    let (Some(o), Some(i)) = (&outer.features.location, &inner.features.location) else {
        return false;
    };
    match i.strip_prefix(o.as_str()) {
        Some("") => true,
        Some(rel) => filter.dir_included(rel.trim_end_matches('/')),
        None => false,
    }
}

/// Opens the places `rules` needs (backup, compare-dest, copy-dest) and checks them.
pub async fn open(
    resolver: &Resolver,
    f: &Flags,
    dst_spec: &str,
    src: &Remote,
    dst: &Remote,
    filter: &Filter,
    rules: &mut Rules,
) -> Result<(), Failure> {
    let dst_path = parse(dst_spec)?;
    let c = &f.copy;
    if let Some(spec) = &c.backup_dir {
        let path = parse(spec)?;
        if !same_remote(&dst_path, &path) {
            return Err(fatal(
                "parameter to --backup-dir has to be on the same remote as destination",
            ));
        }
        let place = objects::open(resolver, spec).await?;
        if overlaps(dst, &place, filter) || overlaps(&place, dst, filter) {
            return Err(fatal(
                "destination and parameter to --backup-dir mustn't overlap",
            ));
        }
        if overlaps(src, &place, filter) || overlaps(&place, src, filter) {
            return Err(fatal(
                "source and parameter to --backup-dir mustn't overlap",
            ));
        }
        let via = match meeting_point(resolver, &dst_path, &path).await {
            Some((root, dst_prefix, backup_prefix)) => BackupVia::ServerSide {
                root,
                dst_prefix,
                backup_prefix,
            },
            None => BackupVia::Stream(place),
        };
        rules.backup = Some(Backup {
            shown: crate::app::shown(spec),
            via,
        });
    } else if rules.suffix.is_some() {
        // --suffix alone: replaced and deleted objects are renamed in place.
        let via = if can_copy(dst) {
            BackupVia::ServerSide {
                root: dst.clone(),
                dst_prefix: String::new(),
                backup_prefix: String::new(),
            }
        } else {
            BackupVia::Stream(dst.clone())
        };
        rules.backup = Some(Backup {
            shown: crate::app::shown(dst_spec),
            via,
        });
    }
    let (specs, copy_from) = if !c.copy_dest.is_empty() {
        (&c.copy_dest, true)
    } else {
        (&c.compare_dest, false)
    };
    for spec in specs {
        let path = parse(spec)?;
        if copy_from && !same_remote(&dst_path, &path) {
            return Err(fatal(
                "parameter to --copy-dest has to be on the same remote as destination",
            ));
        }
        let remote = objects::open(resolver, spec).await?;
        // rclone's local backend has no server-side copy, and refuses --copy-dest there.
        if copy_from && objects::has_directories(&remote) {
            return Err(fatal(
                "can't use --copy-dest on a remote which doesn't support server side copy",
            ));
        }
        let server_side = if copy_from {
            meeting_point(resolver, &path, &dst_path).await
        } else {
            None
        };
        rules.other_dests.push(OtherDest {
            remote,
            copy_from,
            server_side,
            index: std::sync::Mutex::new(Index::default()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_meet_where_their_segments_stop_agreeing() {
        assert_eq!(common_root("b/oci-sync", "b/archive/2026"), "b");
        assert_eq!(below("b", "b/archive/2026"), "archive/2026/");
        assert_eq!(below("b", "b"), "");
        assert_eq!(common_root("/tmp/x/dst", "/tmp/x/bak"), "/tmp/x");
        assert_eq!(common_root("/a", "/b"), "/");
        assert_eq!(common_root("b1/x", "b2/x"), "");
        assert_eq!(
            common_root("b/ab", "b/abc"),
            "b",
            "a common string is not a common folder"
        );
    }
}
