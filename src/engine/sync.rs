//! `copy` and `sync`: list both sides at once, decide per object, transfer, then (sync only, and
//! only if nothing failed) delete what the source no longer has.
//!
//! The destination listing is held in memory (path → [`ObjectInfo`]); the source listing streams
//! through a bounded channel, so transfers start while the source is still being listed and
//! memory stays proportional to the destination, not to both sides.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use futures::StreamExt;
use ocisync_backend::{Error, ErrorKind, ObjectInfo, Remote, Result, SetModtime};
use tokio::sync::Semaphore;

use super::decide::{CompareOptions, Need, Verdict, decide};
use super::index::Index;
use super::stats::{Stats, human_bytes};
use super::transfer;
use crate::filter::Filter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Copy,
    Sync,
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub mode: Mode,
    pub dry_run: bool,
    pub compare: CompareOptions,
    pub transfers: usize,
    pub checkers: usize,
    pub filter: Filter,
    /// `--max-delete`: more deletions than this stop the run before any is made.
    pub max_delete: Option<u64>,
    /// Let a sync from an empty source empty the destination.
    pub allow_empty_source: bool,
    /// `--max-transfer`: stop starting transfers beyond this many bytes.
    pub max_transfer: Option<u64>,
    /// `--no-update-modtime`: never fix a destination's time in place.
    pub no_update_modtime: bool,
}

/// Why a run stopped before its end (besides per-object errors counted in [`Stats`]).
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    /// The source root (or destination bucket) does not exist: rclone exit 3.
    #[error("{0}")]
    DirNotFound(Error),
    /// A deliberate stop: `--max-delete` exceeded, empty source: rclone exit 7.
    #[error("{0}")]
    Fatal(String),
    /// `--max-transfer` reached: rclone exit 8.
    #[error("{0}")]
    TransferLimit(String),
    /// Listing failed outright.
    #[error("{0}")]
    Failed(Error),
}

/// Source objects waiting for the destination listing to finish.
const SOURCE_BUFFER: usize = 4096;

pub async fn run(
    src: &Remote,
    dst: &Remote,
    o: &RunOptions,
    stats: &Stats,
) -> std::result::Result<(), Stop> {
    // Start listing the source now, in its own task; it fills a bounded queue.
    let mut src_list = src.list(true).await.map_err(stop_for_listing)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<ObjectInfo>>(SOURCE_BUFFER);
    let lister = tokio::spawn(async move {
        while let Some(item) = src_list.next().await {
            if tx.send(item).await.is_err() {
                break;
            }
        }
    });

    let mut dst_objects = list_destination(dst, stats)
        .await
        .inspect_err(|_| lister.abort())?;
    let dst_listed = dst_objects.len();

    let check_slots = Semaphore::new(o.checkers.max(1));
    let transfer_slots = Semaphore::new(o.transfers.max(1));
    let source_failed = AtomicBool::new(false);
    let source_count = AtomicU64::new(0);
    let scheduled = AtomicU64::new(0);
    let limit_hit = AtomicBool::new(false);
    let no_hash_logged = AtomicBool::new(false);
    let missing_source: std::sync::Mutex<Option<Error>> = std::sync::Mutex::new(None);

    let jobs = futures::stream::poll_fn(|cx| rx.poll_recv(cx)).filter_map(|item| {
        let job = match item {
            Err(e) if e.kind == ErrorKind::DirNotFound && source_count.load(Relaxed) == 0 => {
                // Object stores report a missing bucket on the first listing page.
                *missing_source.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                source_failed.store(true, Relaxed);
                None
            }
            Err(e) => {
                tracing::error!("{e}");
                stats.error(e.to_string(), e.is_temporary());
                source_failed.store(true, Relaxed);
                None
            }
            Ok(obj) => {
                stats.listed.fetch_add(1, Relaxed);
                if !o.filter.included(&obj.path, obj.size, obj.mtime) {
                    tracing::debug!("{}: Excluded", obj.path);
                    None
                } else {
                    // Counted after filtering: a filter that matches nothing is as suspicious
                    // as an empty source.
                    source_count.fetch_add(1, Relaxed);
                    let existing = dst_objects.take(&obj.path);
                    if let Some(why) = &obj.unreadable {
                        // Skipped, and its copy (if any) is kept: it was taken out of the map.
                        tracing::warn!("{}: skipped: {why}", obj.path);
                        stats.skipped.fetch_add(1, Relaxed);
                        None
                    } else {
                        if existing.is_some() {
                            stats.checks_total.fetch_add(1, Relaxed);
                        }
                        Some((obj, existing))
                    }
                }
            }
        };
        std::future::ready(job)
    });

    jobs.for_each_concurrent(o.checkers.max(1) + o.transfers.max(1), |(obj, existing)| {
        let (check_slots, transfer_slots) = (&check_slots, &transfer_slots);
        let (scheduled, limit_hit, no_hash_logged) = (&scheduled, &limit_hit, &no_hash_logged);
        async move {
            let Some(d) = existing else {
                return copy_action(src, dst, obj, false, o, stats, transfer_slots, scheduled, limit_hit).await;
            };
            let verdict = {
                let _slot = check_slots.acquire().await;
                let v = compare(src, dst, obj, d, &o.compare, stats).await;
                stats.checks.fetch_add(1, Relaxed);
                v
            };
            let (obj, verdict) = match verdict {
                Ok(v) => v,
                Err(e) => {
                    tracing::error!("{e}");
                    stats.error(e.to_string(), e.is_temporary());
                    return;
                }
            };
            match verdict {
                Verdict::Same(why) => tracing::debug!("{}: Unchanged skipping ({why})", obj.path),
                Verdict::SameBySizeNoHash => {
                    if !no_hash_logged.swap(true, Relaxed) {
                        tracing::warn!(
                            "--checksum is in use but the source and destination have no hashes in common; falling back to --size-only"
                        );
                    }
                }
                Verdict::DstNewer => tracing::debug!("{}: Destination is newer than source, skipping", obj.path),
                Verdict::UpdateModtime if o.no_update_modtime => {}
                Verdict::UpdateModtime if dst.features.set_modtime == SetModtime::Yes => {
                    set_modtime(dst, &obj, o, stats).await
                }
                Verdict::UpdateModtime | Verdict::Differ(_) => {
                    if let Verdict::Differ(why) = verdict {
                        tracing::debug!("{}: {why}", obj.path);
                    }
                    copy_action(src, dst, obj, true, o, stats, transfer_slots, scheduled, limit_hit).await
                }
                Verdict::Need(_) => unreachable!("compare resolves every need"),
            }
        }
    })
    .await;
    let _ = lister.await;
    remove_partial_dir(dst).await;
    if let Some(e) = missing_source
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
    {
        return Err(Stop::DirNotFound(e));
    }

    if limit_hit.load(Relaxed) {
        return Err(Stop::TransferLimit(
            "max transfer limit reached as set by --max-transfer".into(),
        ));
    }
    if o.mode == Mode::Copy {
        return Ok(());
    }

    // Deletions: only after every transfer, and never after an error.
    let errors = stats.errors.load(Relaxed);
    if errors > 0 || source_failed.load(Relaxed) {
        tracing::error!(
            "{}: not deleting files as there were IO errors",
            dst.display()
        );
        return Ok(());
    }
    let extraneous: Vec<ObjectInfo> = dst_objects
        .unmatched()
        .filter(|d| o.filter.included(&d.path, d.size, d.mtime))
        .collect();
    if extraneous.is_empty() {
        return Ok(());
    }
    if source_count.load(Relaxed) == 0 && !o.allow_empty_source {
        let msg = format!(
            "{}: source is empty (or nothing in it passes the filters); refusing to delete {} of {} objects from {} (a mistyped prefix looks like this; use --allow-empty-source if it is meant)",
            src.display(),
            extraneous.len(),
            dst_listed,
            dst.display()
        );
        tracing::error!("{msg}");
        return Err(Stop::Fatal(msg));
    }
    if let Some(max) = o.max_delete
        && extraneous.len() as u64 > max
    {
        let msg = format!(
            "{}: {} objects to delete exceeds --max-delete {max}; deleted nothing",
            dst.display(),
            extraneous.len()
        );
        tracing::error!("{msg}");
        return Err(Stop::Fatal(msg));
    }
    delete_all(dst, extraneous, o, stats).await;
    Ok(())
}

/// The backend's own scratch directory (local partial files) goes once empty.
async fn remove_partial_dir(dst: &Remote) {
    if let Some(p) = dst.features.skip_prefix
        && let Err(e) = dst.op.delete(&format!("{p}/")).await
    {
        tracing::debug!("{}: {p}/ not removed: {e}", dst.display());
    }
}

fn stop_for_listing(e: Error) -> Stop {
    if e.kind == ErrorKind::DirNotFound {
        Stop::DirNotFound(e)
    } else {
        Stop::Failed(e)
    }
}

/// The destination's objects by path. A missing local directory is empty (it will be
/// created); a missing bucket is an error.
async fn list_destination(dst: &Remote, stats: &Stats) -> std::result::Result<Index, Stop> {
    let mut index = Index::default();
    let mut list = match dst.list(true).await {
        Ok(l) => l,
        Err(e) if e.kind == ErrorKind::DirNotFound && dst.features.check_root_exists => {
            return Ok(index);
        }
        Err(e) => return Err(stop_for_listing(e)),
    };
    while let Some(item) = list.next().await {
        match item {
            Ok(obj) => {
                stats.listed.fetch_add(1, Relaxed);
                index.push(&obj);
            }
            Err(e) if e.kind == ErrorKind::DirNotFound && dst.features.check_root_exists => break,
            Err(e) => return Err(stop_for_listing(e)),
        }
    }
    index.finish();
    Ok(index)
}

/// Decides one pair, fetching what the listings could not say (counted as HEADs).
pub async fn compare_pair(
    src: &Remote,
    dst: &Remote,
    s: ObjectInfo,
    d: ObjectInfo,
    opts: &CompareOptions,
    stats: &Stats,
) -> Result<Verdict> {
    compare(src, dst, s, d, opts, stats).await.map(|(_, v)| v)
}

/// Decides, fetching what the listings could not say (counted as HEADs).
async fn compare(
    src: &Remote,
    dst: &Remote,
    mut s: ObjectInfo,
    mut d: ObjectInfo,
    opts: &CompareOptions,
    stats: &Stats,
) -> Result<(ObjectInfo, Verdict)> {
    let window = opts
        .window
        .max(src.features.modtime_precision)
        .max(dst.features.modtime_precision);
    let opts = CompareOptions {
        window,
        ..opts.clone()
    };
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
        ..listed
    }
}

#[allow(clippy::too_many_arguments)]
async fn copy_action(
    src: &Remote,
    dst: &Remote,
    obj: ObjectInfo,
    replacing: bool,
    o: &RunOptions,
    stats: &Stats,
    slots: &Semaphore,
    scheduled: &AtomicU64,
    limit_hit: &AtomicBool,
) {
    if let Some(max) = o.max_transfer
        && scheduled.fetch_add(obj.size, Relaxed) + obj.size > max
    {
        if !limit_hit.swap(true, Relaxed) {
            tracing::error!(
                "{}: max transfer limit reached as set by --max-transfer",
                obj.path
            );
            stats.fatal("max transfer limit reached as set by --max-transfer".into());
        }
        return;
    }
    stats.transfers_total.fetch_add(1, Relaxed);
    stats.bytes_total.fetch_add(obj.size, Relaxed);
    if o.dry_run {
        tracing::warn!(
            "{}: Skipped copy as --dry-run is set (size {})",
            obj.path,
            human_bytes(obj.size)
        );
        stats.transfers.fetch_add(1, Relaxed);
        stats.bytes.fetch_add(obj.size, Relaxed);
        return;
    }
    let _slot = slots.acquire().await;
    match transfer::copy(src, dst, &obj, stats).await {
        Ok(()) => {
            stats.transfers.fetch_add(1, Relaxed);
            let what = if replacing {
                "Copied (replaced existing)"
            } else {
                "Copied (new)"
            };
            tracing::info!("{}: {what}", obj.path);
        }
        Err(e) => {
            tracing::error!("{}: Failed to copy: {e}", obj.path);
            stats.error(
                e.to_string(),
                matches!(e.kind, ErrorKind::Temporary | ErrorKind::Corrupted),
            );
        }
    }
}

async fn set_modtime(dst: &Remote, obj: &ObjectInfo, o: &RunOptions, stats: &Stats) {
    let Some(t) = obj.mtime else { return };
    if o.dry_run {
        tracing::warn!(
            "{}: Skipped set modification time as --dry-run is set",
            obj.path
        );
        return;
    }
    match dst.set_modtime(&obj.path, t).await {
        Ok(()) => {
            stats.modtime_updates.fetch_add(1, Relaxed);
            tracing::info!("{}: Updated modification time in destination", obj.path);
        }
        Err(e) => {
            tracing::error!("{}: Failed to set modification time: {e}", obj.path);
            stats.error(e.to_string(), e.is_temporary());
        }
    }
}

async fn delete_all(dst: &Remote, objects: Vec<ObjectInfo>, o: &RunOptions, stats: &Stats) {
    futures::stream::iter(objects)
        .for_each_concurrent(o.checkers.max(1), |obj| async move {
            if o.dry_run {
                tracing::warn!(
                    "{}: Skipped delete as --dry-run is set (size {})",
                    obj.path,
                    human_bytes(obj.size)
                );
                stats.deletes.fetch_add(1, Relaxed);
                stats.deleted_bytes.fetch_add(obj.size, Relaxed);
                return;
            }
            match dst.op.delete(&obj.path).await {
                Ok(()) => {
                    stats.deletes.fetch_add(1, Relaxed);
                    stats.deleted_bytes.fetch_add(obj.size, Relaxed);
                    tracing::info!("{}: Deleted", obj.path);
                }
                Err(e) => {
                    let e = dst.error(e, "delete", &obj.path);
                    tracing::error!("{}: Couldn't delete: {e}", obj.path);
                    stats.error(e.to_string(), e.is_temporary());
                }
            }
        })
        .await;
}
