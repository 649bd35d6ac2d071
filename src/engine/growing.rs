//! The destination index of a sync, filled while the source is already being compared with
//! it. Waiting for the whole destination listing before the first comparison made a no-op
//! sync cost the destination's listing *plus* the source's (the source listing stalls once its
//! queue is full): at 500,000 objects and 30 ms per request, most of the run.
//!
//! Why a partial index can answer. A sorted destination (object stores; [`Features::sorted_listing`])
//! lists its keys in strictly increasing byte order — [`Remote::list`] stops a listing whose
//! keys do not increase, and [`Growing::fill`] checks again. So once the destination listing
//! has handed out a key at or past `p`, every destination key up to `p` is in the index, and
//! looking `p` up gives the same answer as in the finished index. [`Growing::reached`] waits
//! for exactly that (or for the listing's end). A destination that is not sorted (local
//! directories, SFTP) is listed completely first, as before.
//!
//! What never changes: the index holds the whole destination at the end (what is left
//! unmatched is what a sync deletes), and a destination listing that fails stops admitting
//! source objects and fails the run, so nothing is deleted.
//!
//! [`Features::sorted_listing`]: ocisync_backend::Features::sorted_listing

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use futures::{Stream, StreamExt};
use ocisync_backend::{Error, ErrorKind, ObjectInfo, Remote};
use tokio::sync::Notify;

use super::index::Index;
use super::pairing::stop_for_listing;
use super::report::Stop;
use super::stats::Stats;

/// Listed objects handed to the index at a time: what the listing has ready, at most this many.
const BATCH: usize = 512;

const LISTING: u8 = 0;
const COMPLETE: u8 = 1;
const FAILED: u8 = 2;

pub struct Growing {
    index: Mutex<Index>,
    state: AtomicU8,
    /// The index grew or the listing ended.
    changed: Notify,
    /// Whether lookups may go ahead of the listing (a sorted destination).
    streaming: bool,
}

impl Growing {
    /// An index to be filled by [`Growing::fill`] from `dst`.
    pub fn new(dst: &Remote) -> Growing {
        Growing::with(dst.features.sorted_listing, LISTING)
    }

    /// A finished, empty index (`--no-check-dest`: nothing is looked up).
    pub fn empty() -> Growing {
        Growing::with(false, COMPLETE)
    }

    fn with(streaming: bool, state: u8) -> Growing {
        Growing {
            index: Mutex::new(Index::default()),
            state: AtomicU8::new(state),
            changed: Notify::new(),
            streaming,
        }
    }

    /// Lists `dst` into the index, waking [`Growing::reached`] as it grows. A missing local
    /// directory is empty (it will be created); a missing bucket is an error.
    pub async fn fill(&self, dst: &Remote, stats: &Stats) -> Result<(), Stop> {
        let missing_is_empty = dst.features.check_root_exists;
        match super::listing::list(dst).await {
            Ok(list) => self
                .fill_from(list, missing_is_empty, &stats.listed_dst)
                .await
                .map_err(|e| stop_for_listing(e.with_remote(dst.name.clone()))),
            Err(e) if e.kind == ErrorKind::DirNotFound && missing_is_empty => {
                self.end(true);
                Ok(())
            }
            Err(e) => {
                self.end(false);
                Err(stop_for_listing(e))
            }
        }
    }

    fn end(&self, complete: bool) {
        let state = if complete { COMPLETE } else { FAILED };
        self.state.store(state, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Fills the index from `list` and ends it: complete, or failed with the listing's error.
    async fn fill_from(
        &self,
        list: impl Stream<Item = ocisync_backend::Result<ObjectInfo>>,
        missing_is_empty: bool,
        listed: &AtomicU64,
    ) -> ocisync_backend::Result<()> {
        let result = self.push_all(list, missing_is_empty, listed).await;
        self.end(result.is_ok());
        result
    }

    async fn push_all(
        &self,
        list: impl Stream<Item = ocisync_backend::Result<ObjectInfo>>,
        missing_is_empty: bool,
        listed: &AtomicU64,
    ) -> ocisync_backend::Result<()> {
        let mut batches = std::pin::pin!(list.ready_chunks(BATCH));
        while let Some(batch) = batches.next().await {
            let mut index = self.lock();
            for item in batch {
                let obj = match item {
                    Ok(obj) => obj,
                    Err(e) if e.kind == ErrorKind::DirNotFound && missing_is_empty => {
                        index.finish();
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                };
                listed.fetch_add(1, Ordering::Relaxed);
                if self.streaming
                    && let Some(last) = index.last_name()
                    && &*obj.path <= last
                {
                    // Lookups made so far trusted the order: a key out of it may be one a
                    // lookup missed, which a sync would then delete. Fail instead.
                    return Err(Error::new(
                        ErrorKind::Other,
                        format!(
                            "the destination listing is not in key order: {:?} came after \
                             {last:?}; stopped, nothing deleted",
                            obj.path
                        ),
                    ));
                }
                index.push(&obj);
            }
            drop(index);
            self.changed.notify_waiters();
        }
        self.lock().finish();
        Ok(())
    }

    /// Waits until a lookup of `path` gives its final answer: the listing has handed out a key
    /// at or past `path` (a sorted destination), or has ended. `false`: the listing failed, and
    /// nothing more should be admitted.
    pub async fn reached(&self, path: &str) -> bool {
        loop {
            // Made before looking, so that a change in between is not missed.
            let changed = self.changed.notified();
            match self.state.load(Ordering::Acquire) {
                COMPLETE => return true,
                FAILED => return false,
                _ => {}
            }
            if self.streaming && self.lock().last_name().is_some_and(|last| last >= path) {
                return true;
            }
            changed.await;
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The finished index.
    pub fn into_index(self) -> Index {
        self.index.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;
    use tokio::sync::mpsc;

    fn growing(sorted: bool) -> Growing {
        Growing::with(sorted, LISTING)
    }

    /// `lookup` stays unanswered over a few turns of the runtime.
    async fn still_waiting(
        mut lookup: std::pin::Pin<&mut impl std::future::Future<Output = bool>>,
    ) {
        for _ in 0..3 {
            assert!(
                lookup.as_mut().now_or_never().is_none(),
                "answered too early"
            );
            tokio::task::yield_now().await;
        }
    }

    /// A listing fed by hand: `send` hands out keys, dropping the sender ends it.
    fn listing() -> (
        mpsc::UnboundedSender<ocisync_backend::Result<ObjectInfo>>,
        impl Stream<Item = ocisync_backend::Result<ObjectInfo>>,
    ) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        (tx, futures::stream::poll_fn(move |cx| rx.poll_recv(cx)))
    }

    fn key(k: &str) -> ocisync_backend::Result<ObjectInfo> {
        Ok(ObjectInfo::file(k, 1))
    }

    #[tokio::test]
    async fn a_lookup_waits_until_the_sorted_listing_has_passed_its_key() {
        let g = growing(true);
        let (tx, list) = listing();
        let listed = AtomicU64::new(0);
        let fill = g.fill_from(list, false, &listed);
        let lookups = async {
            tx.send(key("a")).unwrap();
            tx.send(key("c")).unwrap();
            assert!(g.reached("b").await, "c is past b: b's answer is final");
            assert!(g.lock().take("b").is_none());
            assert!(g.reached("c").await);
            assert!(g.lock().take("c").is_some());
            // d is not reached yet: the lookup waits for the listing.
            let mut d = std::pin::pin!(g.reached("d"));
            still_waiting(d.as_mut()).await;
            tx.send(key("d")).unwrap();
            assert!(d.await);
            assert!(g.lock().take("d").is_some());
            drop(tx);
            assert!(g.reached("zzz").await, "the end answers everything");
        };
        let (filled, ()) = tokio::join!(fill, lookups);
        filled.unwrap();
        assert_eq!(listed.load(Ordering::Relaxed), 3);
        let left: Vec<String> = g
            .into_index()
            .unmatched()
            .map(|o| o.path.to_string())
            .collect();
        assert_eq!(left, ["a"], "what no lookup took is left for deletion");
    }

    #[tokio::test]
    async fn a_key_out_of_order_fails_the_listing_and_stops_the_lookups() {
        let g = growing(true);
        let (tx, list) = listing();
        let listed = AtomicU64::new(0);
        let fill = g.fill_from(list, false, &listed);
        let lookups = async {
            tx.send(key("b")).unwrap();
            tx.send(key("c")).unwrap();
            assert!(g.reached("b").await);
            // "a" after "c": a lookup of "a" may already have been answered "absent".
            tx.send(key("a")).unwrap();
            assert!(
                !g.reached("x").await,
                "a failed listing admits nothing more"
            );
        };
        let (filled, ()) = tokio::join!(fill, lookups);
        let e = filled.unwrap_err();
        assert!(e.to_string().contains("not in key order"), "{e}");
    }

    #[tokio::test]
    async fn an_unsorted_destination_answers_only_when_listed_completely() {
        let g = growing(false);
        let (tx, list) = listing();
        let listed = AtomicU64::new(0);
        let fill = g.fill_from(list, false, &listed);
        let lookups = async {
            tx.send(key("b")).unwrap();
            tx.send(key("a")).unwrap();
            let mut a = std::pin::pin!(g.reached("a"));
            still_waiting(a.as_mut()).await;
            drop(tx);
            assert!(a.await);
            assert!(g.lock().take("a").is_some(), "sorted at the end");
        };
        let (filled, ()) = tokio::join!(fill, lookups);
        filled.unwrap();
    }
}
