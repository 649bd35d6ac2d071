//! `copy` and `sync`: list both sides at once, decide per object, transfer, then (sync only, and
//! only if nothing failed) delete what the source no longer has.
//!
//! The destination listing is held in memory (the compact [`Index`]); the source listing
//! streams through a bounded channel, so transfers start while the source is still being
//! listed and memory stays proportional to the destination, not to both sides. Both sides are
//! listed at once, and a source object is compared as soon as the destination listing has
//! passed its key ([`Growing`]), so a no-op run costs about the longer listing, not the sum.
//!
//! One attempt is a [`SyncRun`]: the state every concurrent task shares lives in its fields
//! rather than in closure captures, and each phase — admitting a listed source object, comparing
//! it, copying it, deleting extraneous objects — is one method.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use futures::StreamExt;
use ocisync_backend::{Error, ErrorKind, ObjectInfo, Remote, Result, SetModtime};
use tokio::sync::Semaphore;

use super::backup::{self, Found};
use super::copy_object::{self, CopyTo};
use super::decide::{CompareOptions, Verdict, decide};
use super::growing::Growing;
use super::index::Index;
use super::markers;
use super::overlap;
use super::pairing::{self, compare, stop_for_listing};
use super::report::Stop;
use super::rules::{Before, Rules};
use super::shard::{self, Shard};
use super::stats::{Stats, size_suffix};
use crate::filter::Filter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Copy,
    Sync,
}

/// Below this size an object's copy time is its round trips (a GET and a PUT, each waiting a
/// round trip before the first byte), not its bytes: at a 30 ms cross-cloud round trip a
/// 64 KiB object spends ~60 ms waiting and ~1 ms moving. Such objects may use the extra
/// transfer slots of [`AUTO_SMALL_TRANSFERS`] when `--transfers` is not given.
pub const SMALL_OBJECT: u64 = 1024 * 1024;
/// Transfers in flight when `--transfers` is not given and the objects are small: 16, as many
/// round trips in flight as parallel listing and rclone's checkers use — bounded, because each
/// holds a connection to each side and at most one [`SMALL_OBJECT`] of buffers. Objects of
/// [`SMALL_OBJECT`] and more still take one of rclone's default 4 slots each (their time is
/// bandwidth, which more streams only split).
pub const AUTO_SMALL_TRANSFERS: usize = 16;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub mode: Mode,
    pub dry_run: bool,
    pub compare: CompareOptions,
    /// `--transfers`: objects copied at once. When the flag is not given, this is rclone's 4
    /// for objects of [`SMALL_OBJECT`] and more, and `small_transfers` counts too.
    pub transfers: usize,
    /// Objects copied at once when all of them are smaller than [`SMALL_OBJECT`]: `transfers`
    /// when `--transfers` is given, [`AUTO_SMALL_TRANSFERS`] when it is not.
    pub small_transfers: usize,
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
    /// `--shard K/N`: compare, copy and delete only this shard's objects (both listings stay
    /// whole: the guards below look at all of them).
    pub shard: Option<Shard>,
    /// rclone's Copy and Sync flags beyond these ([`Rules`]: ignore-existing, backups, order,
    /// cutoff mode, move...).
    pub rules: Rules,
}

impl RunOptions {
    /// Transfers in flight at most, small objects included.
    pub fn all_transfers(&self) -> usize {
        self.small_transfers.max(self.transfers).max(1)
    }
}

/// Source objects waiting for the destination listing to finish.
const SOURCE_BUFFER: usize = 4096;

/// Runs one attempt of a sync or copy.
pub async fn run(
    src: &Remote,
    dst: &Remote,
    o: &RunOptions,
    stats: &Stats,
) -> std::result::Result<(), Stop> {
    SyncRun::new(src, dst, o, stats).execute().await
}

/// A source object admitted for comparison, with its destination copy if there is one.
type Job = (ObjectInfo, Option<ObjectInfo>);

/// One attempt of a sync or copy and the state its concurrent tasks share.
pub struct SyncRun<'a> {
    src: &'a Remote,
    dst: &'a Remote,
    o: &'a RunOptions,
    stats: &'a Stats,
    check_slots: Semaphore,
    /// Every transfer takes one (`small_transfers` of them)...
    transfer_slots: Semaphore,
    /// ...and one of these (`transfers`) first when its object is not small.
    large_slots: Semaphore,
    /// A source listing error was seen: nothing may be deleted.
    source_failed: AtomicBool,
    /// Source objects that passed the filters (an empty source must not empty the destination).
    /// With `--shard`, all of them, not only this shard's: an empty source is empty for every
    /// shard.
    source_count: AtomicU64,
    /// Of those, the ones in this shard (`--shard`).
    shard_count: AtomicU64,
    /// Bytes of transfers started, for `--max-transfer`.
    scheduled: AtomicU64,
    limit_hit: AtomicBool,
    no_hash_logged: AtomicBool,
    /// The source bucket/directory does not exist (reported on the first listing page).
    missing_source: Mutex<Option<Error>>,
    /// The filter as each side sees it (`--exclude-if-present` markers differ per side).
    src_filter: Filter,
    dst_filter: Filter,
    /// Transfers held back until every comparison is done (`--check-first`, `--order-by`,
    /// `--delete-before`): the object and whether it replaces one.
    queue: Mutex<Vec<(ObjectInfo, Option<ObjectInfo>)>>,
    /// The comparison's options for these two remotes, for pairs the listings decide.
    listed_compare: CompareOptions,
}

impl<'a> SyncRun<'a> {
    pub fn new(src: &'a Remote, dst: &'a Remote, o: &'a RunOptions, stats: &'a Stats) -> Self {
        SyncRun {
            src,
            dst,
            o,
            stats,
            check_slots: Semaphore::new(o.checkers.max(1)),
            transfer_slots: Semaphore::new(o.all_transfers()),
            large_slots: Semaphore::new(o.transfers.max(1)),
            source_failed: AtomicBool::new(false),
            source_count: AtomicU64::new(0),
            shard_count: AtomicU64::new(0),
            scheduled: AtomicU64::new(0),
            limit_hit: AtomicBool::new(false),
            no_hash_logged: AtomicBool::new(false),
            missing_source: Mutex::new(None),
            src_filter: o.filter.clone(),
            dst_filter: o.filter.clone(),
            queue: Mutex::new(Vec::new()),
            listed_compare: pairing::for_remotes(src, dst, &o.compare),
        }
    }

    pub async fn execute(mut self) -> std::result::Result<(), Stop> {
        // Before anything is listed: a destination inside its source (or around it) is refused.
        if let Err(msg) = overlap::check(self.src, self.dst, &self.o.filter) {
            tracing::error!("{msg}");
            return Err(Stop::Fatal(msg));
        }
        if !self.o.filter.marker_names().is_empty() {
            self.src_filter = markers::for_remote(self.src, &self.o.filter)
                .await
                .map_err(stop_for_listing)?;
            self.dst_filter = markers::for_remote(self.dst, &self.o.filter)
                .await
                .map_err(stop_for_listing)?;
        }
        let this = self;
        this.execute_listed().await
    }

    async fn execute_listed(self) -> std::result::Result<(), Stop> {
        // Start listing the source now, in its own task; it fills a bounded queue.
        let src_list = super::listing::list(self.src)
            .await
            .map_err(stop_for_listing)?;
        let mut src_list = super::hash::prehash(self.src, src_list, self.o, &self.src_filter);
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<ObjectInfo>>(SOURCE_BUFFER);
        let lister = tokio::spawn(async move {
            while let Some(item) = src_list.next().await {
                if tx.send(item).await.is_err() {
                    break;
                }
            }
        });

        backup::list_other_dests(&self.o.rules.other_dests, &self.src_filter)
            .await
            .map_err(|e| {
                lister.abort();
                stop_for_listing(e)
            })?;

        // The destination is listed while the source is compared with what is listed so far:
        // a source object waits only until the destination listing has passed its key (see
        // engine/growing.rs). --no-check-dest: nothing is looked up, everything is copied.
        let no_check_dest = self.o.rules.no_check_dest;
        let growing = if no_check_dest {
            Growing::empty()
        } else {
            Growing::new(self.dst)
        };
        let fill = async {
            if no_check_dest {
                return Ok(());
            }
            growing.fill(self.dst, self.stats).await
        };
        let concurrency = self.o.checkers.max(1) + self.o.all_transfers();
        let g = &growing;
        let compare = futures::stream::poll_fn(|cx| rx.poll_recv(cx))
            .then(move |item| async move {
                let go_on = match &item {
                    Ok(obj) => g.reached(&obj.path).await,
                    Err(_) => true,
                };
                (go_on, item)
            })
            // A failed destination listing: nothing more is admitted (the run fails below).
            .take_while(|(go_on, _)| std::future::ready(*go_on))
            .filter_map(|(_, item)| {
                let job = self.admit(item, &mut g.lock());
                std::future::ready(job.and_then(|job| self.settle_from_listings(job)))
            })
            .for_each_concurrent(concurrency, |job| self.handle(job));
        let (filled, ()) = tokio::join!(fill, compare);
        if let Err(stop) = filled {
            lister.abort();
            return Err(stop);
        }
        let _ = lister.await;
        let dst_index = growing.into_index();
        let dst_listed = dst_index.len();
        // --check-first, --order-by, --delete-before: every comparison is done; deletions
        // first if asked (a failed guard stops the run before any transfer), then the queue.
        let mut deleted = false;
        if self.o.rules.queue_transfers() {
            if self.o.rules.delete_before && self.o.mode == Mode::Sync {
                self.delete_phase(&dst_index, dst_listed).await?;
                deleted = true;
            }
            self.run_queue().await;
        }
        remove_partial_dir(self.dst).await;
        if let Some(s) = &self.o.shard {
            tracing::info!(
                "shard {s}: {} of the {} source objects that pass the filters are in this shard",
                self.shard_count.load(Relaxed),
                self.source_count.load(Relaxed)
            );
        }

        if let Some(e) = self
            .missing_source
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            return Err(Stop::DirNotFound(e));
        }
        self.note_empty_source();
        if self.limit_hit.load(Relaxed) {
            return Err(Stop::TransferLimit(
                "max transfer limit reached as set by --max-transfer".into(),
            ));
        }
        if self.o.mode == Mode::Copy || deleted {
            return Ok(());
        }
        self.delete_phase(&dst_index, dst_listed).await
    }

    /// Runs the transfers held back by `--check-first` (in `--order-by` order), as many at a
    /// time as `--transfers` allows.
    async fn run_queue(&self) {
        let mut queued = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()));
        if let Some(order) = self.o.rules.order_by {
            order.sort(&mut queued, |(o, _)| o);
        }
        let concurrency = self.o.all_transfers();
        if self.o.rules.order_by.is_some() && concurrency == 1 {
            // One at a time, in order (for_each_concurrent may start them in any order).
            for (obj, existing) in queued {
                self.transfer_now(obj, existing).await;
            }
            return;
        }
        futures::stream::iter(queued)
            .for_each_concurrent(concurrency, |(obj, existing)| {
                self.transfer_now(obj, existing)
            })
            .await;
    }

    /// An empty source is not an error (rclone exits 0 too), but never a silent one: a mistyped
    /// prefix looks exactly like this. Said at NOTICE and kept for the run report.
    fn note_empty_source(&self) {
        if self.source_count.load(Relaxed) > 0 || self.source_failed.load(Relaxed) {
            return;
        }
        let src = self.src.display();
        let message = match self.stats.listed_src.load(Relaxed) {
            0 => format!(
                "{src}: the source lists no objects, so nothing was copied: is the path mistyped?"
            ),
            n => format!(
                "{src}: none of the {n} objects the source lists passes the filters, so nothing was copied"
            ),
        };
        tracing::warn!("{message}");
        self.stats.warning(message);
    }

    /// One item of the source listing: counted, filtered, paired with its destination copy
    /// (taken out of the index, so whatever is left there at the end is extraneous).
    fn admit(&self, item: Result<ObjectInfo>, dst_index: &mut Index) -> Option<Job> {
        let stats = self.stats;
        let obj = match item {
            Err(e) if e.kind == ErrorKind::DirNotFound && self.source_count.load(Relaxed) == 0 => {
                // Object stores report a missing bucket on the first listing page.
                *self
                    .missing_source
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(e);
                self.source_failed.store(true, Relaxed);
                return None;
            }
            Err(e) => {
                tracing::error!("{e}");
                stats.error_of(&e);
                self.source_failed.store(true, Relaxed);
                return None;
            }
            Ok(obj) => obj,
        };
        stats.listed_src.fetch_add(1, Relaxed);
        if !self.src_filter.included(&obj.path, obj.size, obj.mtime) {
            tracing::debug!(object = %obj.path, "Excluded");
            return None;
        }
        // Counted after filtering: a filter that matches nothing is as suspicious as an empty
        // source.
        self.source_count.fetch_add(1, Relaxed);
        let existing = dst_index.take(&obj.path);
        // Another shard's object: its destination copy is out of the index too, so it is
        // never taken for extraneous here; that worker compares, copies and deletes it.
        if !shard::owns(self.o.shard.as_ref(), &obj.path) {
            return None;
        }
        self.shard_count.fetch_add(1, Relaxed);
        // A key the storage library would rewrite reaches another object: never read, written
        // or compared under it. An error, so nothing is deleted this run.
        if let Err(e) = self
            .src
            .check_key(&obj.path)
            .and_then(|()| self.dst.check_key(&obj.path))
        {
            tracing::error!(object = %obj.path, "Not copied: {e}");
            stats.error(e.to_string(), false);
            return None;
        }
        if let Some(why) = &obj.unreadable {
            // Skipped, and its copy (if any) is kept: it was taken out of the index.
            tracing::warn!(object = %obj.path, "skipped: {why}");
            stats.skipped.fetch_add(1, Relaxed);
            return None;
        }
        if existing.is_some() {
            stats.checks_total.fetch_add(1, Relaxed);
        }
        Some((obj, existing))
    }

    /// A pair the two listings alone show equal (the common case of a no-op run) is counted
    /// and logged here, and `None` returned; anything else is returned for [`SyncRun::handle`].
    /// The same decision `handle` would make, without the future it costs per object: moving
    /// that future (it can copy, so it is large) into the concurrent set was a measurable
    /// part of a 500,000-object no-op's CPU.
    fn settle_from_listings(&self, job: Job) -> Option<Job> {
        let rules = &self.o.rules;
        let settled = match &job {
            (obj, Some(d))
                if !rules.move_source
                    && matches!(rules.before_compare(), Before::Compare)
                    && !self.stats.stop_requested() =>
            {
                // Only --ignore-size changes what the comparison sees: no copy per pair
                // otherwise.
                let adjusted;
                let seen = if rules.ignore_size {
                    adjusted = rules.for_compare(obj, d.clone());
                    &adjusted
                } else {
                    d
                };
                match decide(obj, seen, &self.listed_compare) {
                    v @ (Verdict::Same(_) | Verdict::DstNewer | Verdict::SameBySizeNoHash) => {
                        Some(v)
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let Some(verdict) = settled else {
            return Some(job);
        };
        self.stats.checks.fetch_add(1, Relaxed);
        self.log_unchanged(&job.0, verdict);
        None
    }

    /// What a verdict that leaves the destination as it is says in the log.
    fn log_unchanged(&self, obj: &ObjectInfo, verdict: Verdict) {
        match verdict {
            Verdict::Same(why) => tracing::debug!(object = %obj.path, "Unchanged skipping ({why})"),
            // Said once per run.
            Verdict::SameBySizeNoHash if !self.no_hash_logged.swap(true, Relaxed) => {
                tracing::warn!(
                    "--checksum is in use but the source and destination have no hashes in common; falling back to --size-only"
                );
            }
            Verdict::DstNewer => {
                tracing::debug!(object = %obj.path, "Destination is newer than source, skipping")
            }
            _ => {}
        }
    }

    /// Copies a new object, or compares an existing pair and acts on the verdict.
    async fn handle(&self, (obj, existing): Job) {
        if self.stats.stop_requested() {
            return;
        }
        let rules = &self.o.rules;
        let Some(d) = existing else {
            return self.transfer(obj, None).await;
        };
        match rules.before_compare() {
            Before::Compare => {}
            Before::Skip(why) => {
                // A move leaves the source too: nothing was compared, nothing proven.
                tracing::debug!(object = %obj.path, "{why}");
                return;
            }
            Before::Transfer(why) => {
                tracing::debug!(object = %obj.path, "{why}");
                return self.transfer(obj, Some(d)).await;
            }
        }
        let verdict = {
            let _slot = self.check_slots.acquire().await;
            let seen = rules.for_compare(&obj, d.clone());
            let v = compare(self.src, self.dst, obj, seen, &self.o.compare, self.stats).await;
            self.stats.checks.fetch_add(1, Relaxed);
            v
        };
        match verdict {
            Ok((obj, verdict)) => self.act(obj, verdict, d).await,
            Err(e) => {
                tracing::error!("{e}");
                self.stats.error_of(&e);
            }
        }
    }

    async fn act(&self, obj: ObjectInfo, verdict: Verdict, existing: ObjectInfo) {
        match verdict {
            Verdict::Same(_) | Verdict::SameBySizeNoHash | Verdict::DstNewer => {
                self.log_unchanged(&obj, verdict)
            }
            Verdict::UpdateModtime if self.o.no_update_modtime => {}
            Verdict::UpdateModtime if self.dst.features.set_modtime == SetModtime::Yes => {
                self.set_modtime(&obj).await
            }
            Verdict::UpdateModtime => return self.transfer(obj, Some(existing)).await,
            Verdict::Differ(why) => {
                tracing::debug!(object = %obj.path, "{why}");
                return self.transfer(obj, Some(existing)).await;
            }
            Verdict::Need(_) => unreachable!("compare resolves every need"),
        }
        // Equal (or newer) on the destination: a move's source goes now.
        if self.o.rules.move_source {
            backup::delete_source(self.src, &obj, self.o.dry_run, self.stats).await;
        }
    }

    /// A source object that needs a transfer: `--immutable` refuses to replace, an equal copy
    /// in a `--compare-dest`/`--copy-dest` place spares it, `--check-first` queues it.
    async fn transfer(&self, obj: ObjectInfo, existing: Option<ObjectInfo>) {
        let rules = &self.o.rules;
        if rules.immutable && existing.is_some() {
            let e = Error::new(
                ErrorKind::PermissionDenied,
                "Source and destination exist but do not match: immutable file modified",
            )
            .with_remote(self.dst.name.clone())
            .with_path(&*obj.path);
            tracing::error!(object = %obj.path, "Source and destination exist but do not match: immutable file modified");
            self.stats.error_of(&e);
            return;
        }
        if !rules.other_dests.is_empty() {
            match backup::other_dests(
                rules,
                self.src,
                self.dst,
                &obj,
                existing.as_ref(),
                &self.o.compare,
                self.o.dry_run,
                self.stats,
            )
            .await
            {
                Ok(Found::Done) => {
                    if rules.move_source {
                        backup::delete_source(self.src, &obj, self.o.dry_run, self.stats).await;
                    }
                    return;
                }
                Ok(Found::Nothing) => {}
                Err(e) => {
                    tracing::error!(object = %obj.path, "{e}");
                    self.stats.error_of(&e);
                    return;
                }
            }
        }
        if rules.queue_transfers() {
            self.queue
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((obj, existing));
            return;
        }
        self.transfer_now(obj, existing).await
    }

    /// Keeps the object about to be replaced (`--backup-dir`, `--suffix`), then copies.
    async fn transfer_now(&self, obj: ObjectInfo, existing: Option<ObjectInfo>) {
        if self.stats.stop_requested() {
            return;
        }
        if let (Some(d), Some(b)) = (&existing, &self.o.rules.backup)
            && !self.transfer_limit_reached(&obj)
            && let Err(e) =
                backup::save(b, &self.o.rules, self.dst, d, self.o.dry_run, self.stats).await
        {
            tracing::error!(object = %d.path, "Couldn't move into backup dir: {e}");
            self.stats.error_of(&e);
            return;
        }
        self.copy(obj, existing.is_some()).await
    }

    /// Whether `--max-transfer` (or `--max-duration`, soft or cautious) would refuse `obj`:
    /// checked before its old version is moved into a backup that no new copy would follow.
    fn transfer_limit_reached(&self, obj: &ObjectInfo) -> bool {
        let rules = &self.o.rules;
        if rules.past_deadline() {
            return true;
        }
        self.o.max_transfer.is_some_and(|max| {
            !rules.cutoff.may_start(
                max,
                self.stats.bytes.load(Relaxed),
                self.scheduled.load(Relaxed),
                obj.size,
            )
        })
    }

    /// Copies one object, within `--transfers` slots and the `--max-transfer` budget.
    async fn copy(&self, obj: ObjectInfo, replacing: bool) {
        let stats = self.stats;
        let rules = &self.o.rules;
        if rules.past_deadline() {
            // --max-duration with a soft or cautious cutoff: nothing new starts.
            return;
        }
        if let Some(max) = self.o.max_transfer
            && !rules.cutoff.may_start(
                max,
                stats.bytes.load(Relaxed),
                self.scheduled.fetch_add(obj.size, Relaxed),
                obj.size,
            )
        {
            if !self.limit_hit.swap(true, Relaxed) {
                tracing::error!(
                    object = %obj.path,
                    "max transfer limit reached as set by --max-transfer"
                );
                stats.fatal("max transfer limit reached as set by --max-transfer".into());
            }
            return;
        }
        stats.transfers_total.fetch_add(1, Relaxed);
        stats.bytes_total.fetch_add(obj.size, Relaxed);
        if self.o.dry_run {
            let what = if rules.move_source { "move" } else { "copy" };
            tracing::warn!(
                object = %obj.path,
                skipped = what,
                size = obj.size,
                "Skipped {what} as --dry-run is set (size {})",
                size_suffix(obj.size)
            );
            stats.transfers.fetch_add(1, Relaxed);
            stats.bytes.fetch_add(obj.size, Relaxed);
            return;
        }
        // A large object waits for one of the `transfers` slots before taking a shared one, so
        // that waiting large objects never hold slots small ones could use.
        let _large = if obj.size >= SMALL_OBJECT {
            Some(self.large_slots.acquire().await)
        } else {
            None
        };
        let _slot = self.transfer_slots.acquire().await;
        let to = CopyTo {
            path: None,
            options: Some(&rules.copy),
        };
        match copy_object::copy_to(self.src, self.dst, &obj, stats, to).await {
            Ok(()) => {
                stats.transfers.fetch_add(1, Relaxed);
                let what = if replacing {
                    "Copied (replaced existing)"
                } else {
                    "Copied (new)"
                };
                tracing::info!(object = %obj.path, size = obj.size, "{what}");
                if rules.move_source {
                    backup::delete_source(self.src, &obj, false, stats).await;
                }
            }
            Err(e) => {
                tracing::error!(object = %obj.path, "Failed to copy: {e}");
                if e.kind == ErrorKind::Corrupted {
                    // A corrupted transfer may go right next time.
                    stats.error(e.to_string(), true);
                } else {
                    stats.error_of(&e);
                }
            }
        }
    }

    async fn set_modtime(&self, obj: &ObjectInfo) {
        let Some(t) = obj.mtime else { return };
        if self.o.dry_run {
            tracing::warn!(
                object = %obj.path,
                skipped = "set modification time",
                "Skipped set modification time as --dry-run is set"
            );
            return;
        }
        match self.dst.set_modtime(&obj.path, t).await {
            Ok(()) => {
                self.stats.modtime_updates.fetch_add(1, Relaxed);
                tracing::info!(object = %obj.path, "Updated modification time in destination");
            }
            Err(e) => {
                tracing::error!(object = %obj.path, "Failed to set modification time: {e}");
                self.stats.error_of(&e);
            }
        }
    }

    /// Deletions: only after every transfer, never after an error, never from an empty source
    /// (unless allowed) and never more than `--max-delete`. With `--shard`, only this shard's
    /// extraneous objects are deleted, but both guards look at the whole listing: the source
    /// is empty for every shard or for none, and `--max-delete` counts every shard's
    /// deletions, so N workers refuse together exactly when one unsharded run would.
    async fn delete_phase(
        &self,
        dst_index: &Index,
        dst_listed: usize,
    ) -> std::result::Result<(), Stop> {
        if self.stats.stop_requested() {
            return Ok(());
        }
        if self.stats.errors.load(Relaxed) > 0 || self.source_failed.load(Relaxed) {
            tracing::error!(
                "{}: not deleting files as there were IO errors",
                self.dst.display()
            );
            return Ok(());
        }
        let (extraneous, all_shards) = self.extraneous(dst_index);
        if extraneous.is_empty() {
            return Ok(());
        }
        self.check_deletion_limits(&extraneous, all_shards, dst_listed)?;
        if self.refuse_unaddressable(&extraneous) {
            return Ok(());
        }
        if self.o.dry_run {
            self.announce_dry_run(&extraneous);
        }
        self.delete_all(extraneous).await;
        Ok(())
    }

    /// The destination objects no source object matched (and the filters let through, unless
    /// --delete-excluded), in this run's shard; with the count over all shards, which is what
    /// --max-delete looks at.
    fn extraneous(&self, dst_index: &Index) -> (Vec<ObjectInfo>, u64) {
        let o = self.o;
        let mut all_shards = 0u64;
        let extraneous = dst_index
            .unmatched()
            .filter(|d| {
                o.rules.delete_excluded || self.dst_filter.included(&d.path, d.size, d.mtime)
            })
            .inspect(|_| all_shards += 1)
            .filter(|d| shard::owns(o.shard.as_ref(), &d.path))
            .collect();
        (extraneous, all_shards)
    }

    /// The guards that stop a run before its first deletion: an empty source, --max-delete
    /// and --max-delete-size.
    fn check_deletion_limits(
        &self,
        extraneous: &[ObjectInfo],
        all_shards: u64,
        dst_listed: usize,
    ) -> std::result::Result<(), Stop> {
        let (src, dst, o) = (self.src, self.dst, self.o);
        let fatal = |msg: String| {
            tracing::error!("{msg}");
            Err(Stop::Fatal(msg))
        };
        if self.source_count.load(Relaxed) == 0 && !o.allow_empty_source {
            return fatal(format!(
                "{}: source is empty (or nothing in it passes the filters); refusing to delete {} of {} objects from {} (a mistyped prefix looks like this; use --allow-empty-source if it is meant)",
                src.display(),
                extraneous.len(),
                dst_listed,
                dst.display()
            ));
        }
        if let Some(max) = o.max_delete
            && all_shards > max
        {
            return fatal(match &o.shard {
                None => format!(
                    "{}: {all_shards} objects to delete exceeds --max-delete {max}; deleted nothing",
                    dst.display()
                ),
                Some(s) => format!(
                    "{}: {all_shards} objects to delete in all {} shards ({} of them in shard {s}) exceeds --max-delete {max}; deleted nothing",
                    dst.display(),
                    s.count(),
                    extraneous.len()
                ),
            });
        }
        if let Some(max) = o.rules.max_delete_size {
            let bytes: u64 = extraneous.iter().map(|d| d.size).sum();
            if bytes > max {
                return fatal(format!(
                    "{}: {} of objects to delete exceeds --max-delete-size {}; deleted nothing",
                    dst.display(),
                    size_suffix(bytes),
                    size_suffix(max)
                ));
            }
        }
        Ok(())
    }

    /// A key the storage library would rewrite: deleting it would delete another object. Each
    /// is an error, and then nothing is deleted (as after any IO error). True when so.
    fn refuse_unaddressable(&self, extraneous: &[ObjectInfo]) -> bool {
        let unaddressable: Vec<_> = extraneous
            .iter()
            .filter_map(|d| self.dst.check_key(&d.path).err())
            .collect();
        if unaddressable.is_empty() {
            return false;
        }
        for e in unaddressable {
            tracing::error!(object = %e.path.as_deref().unwrap_or_default(), "Not deleted: {e}");
            self.stats.error(e.to_string(), false);
        }
        tracing::error!(
            "{}: not deleting files as there were IO errors",
            self.dst.display()
        );
        true
    }

    /// The deletions a real run would make, in one line (each is listed as it is skipped).
    fn announce_dry_run(&self, extraneous: &[ObjectInfo]) {
        let bytes: u64 = extraneous.iter().map(|d| d.size).sum();
        let kept = match &self.o.rules.backup {
            Some(b) => format!(", kept in {}", b.shown),
            None => String::new(),
        };
        tracing::warn!(
            "{}: --dry-run: a sync would delete {} objects ({}){kept}",
            self.dst.display(),
            extraneous.len(),
            super::stats::human_bytes(bytes)
        );
    }

    async fn delete_all(&self, objects: Vec<ObjectInfo>) {
        let (dst, stats) = (self.dst, self.stats);
        futures::stream::iter(objects)
            .for_each_concurrent(self.o.checkers.max(1), |obj| async move {
                if stats.stop_requested() {
                    return;
                }
                if let Some(b) = &self.o.rules.backup {
                    // Kept, not deleted: moved into the backup place.
                    match backup::save(b, &self.o.rules, dst, &obj, self.o.dry_run, stats).await {
                        Ok(()) => {
                            stats.deletes.fetch_add(1, Relaxed);
                            stats.deleted_bytes.fetch_add(obj.size, Relaxed);
                        }
                        Err(e) => {
                            tracing::error!(object = %obj.path, "Couldn't move into backup dir: {e}");
                            stats.error_of(&e);
                        }
                    }
                    return;
                }
                if self.o.dry_run {
                    tracing::warn!(
                        object = %obj.path,
                        skipped = "delete",
                        size = obj.size,
                        "Skipped delete as --dry-run is set (size {})",
                        size_suffix(obj.size)
                    );
                    stats.deletes.fetch_add(1, Relaxed);
                    stats.deleted_bytes.fetch_add(obj.size, Relaxed);
                    return;
                }
                match dst.op.delete(&obj.path).await {
                    Ok(()) => {
                        stats.deletes.fetch_add(1, Relaxed);
                        stats.deleted_bytes.fetch_add(obj.size, Relaxed);
                        tracing::info!(object = %obj.path, "Deleted");
                    }
                    Err(e) => {
                        let e = dst.error(e, "delete", &obj.path);
                        tracing::error!(object = %obj.path, "Couldn't delete: {e}");
                        stats.error_of(&e);
                    }
                }
            })
            .await;
    }
}

/// The backend's own scratch directory (local partial files) goes once empty.
async fn remove_partial_dir(dst: &Remote) {
    if let Some(p) = dst.features.skip_prefix
        && let Err(e) = dst.op.delete(&format!("{p}/")).await
    {
        tracing::debug!("{}: {p}/ not removed: {e}", dst.display());
    }
}
