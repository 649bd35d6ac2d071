//! What `sync` and `check` share: a listing into the compact [`Index`], and the
//! comparison of a source object with its destination copy, fetching (and counting) what the
//! listings could not say.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use futures::StreamExt;
use ocisync_backend::{ErrorKind, ObjectInfo, Remote, Result};

use super::decide::{CompareOptions, Need, Verdict, decide};
use super::index::Index;
use super::report::Stop;
use super::stats::Stats;
use crate::filter::Filter;

/// A listing that failed: a missing root is rclone's "directory not found" (exit 3).
pub(crate) fn stop_for_listing(e: ocisync_backend::Error) -> Stop {
    if e.kind == ErrorKind::DirNotFound {
        Stop::DirNotFound(e)
    } else {
        Stop::Failed(e)
    }
}

/// A listing into the compact [`Index`], counting into `listed`. With a `filter`, only what
/// passes it is kept (`check`); `sync` keeps everything and filters at deletion time. With
/// `missing_is_empty`, a root that does not exist is an empty listing (a local destination
/// directory that will be created); otherwise it is rclone's "directory not found".
pub(crate) async fn list_into_index(
    remote: &Remote,
    filter: Option<&Filter>,
    listed: &AtomicU64,
    missing_is_empty: bool,
) -> std::result::Result<Index, Stop> {
    let mut index = Index::default();
    let mut list = match super::listing::list(remote).await {
        Ok(l) => l,
        Err(e) if e.kind == ErrorKind::DirNotFound && missing_is_empty => return Ok(index),
        Err(e) => return Err(stop_for_listing(e)),
    };
    while let Some(item) = list.next().await {
        match item {
            Ok(obj) => {
                listed.fetch_add(1, Relaxed);
                if filter.is_none_or(|f| f.included(&obj.path, obj.size, obj.mtime)) {
                    index.push(&obj);
                }
            }
            Err(e) if e.kind == ErrorKind::DirNotFound && missing_is_empty => break,
            Err(e) => return Err(stop_for_listing(e)),
        }
    }
    index.finish();
    Ok(index)
}

/// `opts` for comparing objects of `src` with objects of `dst`: the modify window is at
/// least what either side can keep.
pub(crate) fn for_remotes(src: &Remote, dst: &Remote, opts: &CompareOptions) -> CompareOptions {
    let window = opts
        .window
        .max(src.features.modtime_precision)
        .max(dst.features.modtime_precision);
    CompareOptions {
        window,
        ..opts.clone()
    }
}

/// Decides one pair, fetching what the listings could not say (counted as HEADs). Returns the
/// source object as completed by what was fetched, with the verdict.
pub(crate) async fn compare(
    src: &Remote,
    dst: &Remote,
    mut s: ObjectInfo,
    mut d: ObjectInfo,
    opts: &CompareOptions,
    stats: &Stats,
) -> Result<(ObjectInfo, Verdict)> {
    let opts = for_remotes(src, dst, opts);
    loop {
        match decide(&s, &d, &opts) {
            Verdict::Need(need) => match need {
                Need::SrcMd5 if s.md5_obtainable && src.features.md5_by_reading => {
                    s.md5 = Some(src.read_md5(&s.path).await?);
                    s.md5_obtainable = false;
                }
                Need::SrcMd5 | Need::SrcModtime => {
                    stats.heads.fetch_add(1, Relaxed);
                    let head = src.stat(&s.path).await?;
                    s = merge(s, head);
                }
                Need::DstMd5 if d.md5_obtainable && dst.features.md5_by_reading => {
                    d.md5 = Some(dst.read_md5(&d.path).await?);
                    d.md5_obtainable = false;
                }
                Need::DstMd5 | Need::DstModtime => {
                    stats.heads.fetch_add(1, Relaxed);
                    let head = dst.stat(&d.path).await?;
                    d = merge(d, head);
                }
            },
            v => return Ok((s, v)),
        }
    }
}

/// A HEAD's answer over a listing's: it knows the metadata, the listing may know the MD5.
fn merge(listed: ObjectInfo, head: ObjectInfo) -> ObjectInfo {
    ObjectInfo {
        md5: head.md5.or(listed.md5),
        md5_obtainable: false,
        mtime: head.mtime.or(listed.mtime),
        mtime_exact: true,
        content_type: head.content_type.or(listed.content_type),
        etag: head.etag.or(listed.etag),
        ..listed
    }
}
