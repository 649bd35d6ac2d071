//! The two MD5s a copy computes on the way: the whole object's (checked against the source's
//! listed MD5 before the upload is committed) and, for S3 multipart uploads, each part's (the
//! server's `md5(part md5s)-N` ETag proves it stored what was sent).
//!
//! Both are aws-lc's MD5 ([`Md5Hasher`]). Each can run in a task of its own, fed the body's
//! buffers (reference-counted, not copied) through a queue of a few MiB, so that the two
//! passes use two cores while the copy's own task keeps reading and writing; a full queue
//! holds the copy back. Which objects do is [`TASK_HASHING_FROM`]: today none (see there).

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use ocisync_backend::fast_md5::Md5Hasher;
use ocisync_backend::{Error, ErrorKind, Md5, ObjectInfo, Remote, Result as BackendResult};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinHandle;

/// Objects at least this large hash in tasks of their own (`None`: none). Measured in W3
/// (docs/performance.md), on a quiet machine with two cores: in tasks 68% of the ceiling at a
/// peak RSS of 168 MiB, inline 67% at 96 MiB (the writer keeps every part buffer full when
/// the hashing leaves the copy's task). The tasks stay, tested, for machines with cores to
/// spare; lower this to use them.
pub(crate) const TASK_HASHING_FROM: Option<u64> = None;

/// Bytes waiting for one hashing task. The buffers queued are the body's own (shared with the
/// writer), but a buffer still queued keeps its memory alive after the writer has sent it.
const QUEUE_BYTES: usize = 4 << 20;

/// `sync --checksum` from a source whose MD5 costs a read (local files): the MD5s are computed
/// as the source is listed, in listing order, so the hashing overlaps the destination's
/// listing — which every comparison waits for — instead of following it (a 3,000-file no-op
/// to S3 was listing, then hashing), in groups ([`hash_ahead`]). Only
/// objects the filters and the shard keep are read; one that cannot be read here is passed on
/// unhashed, for the comparison to read again and report.
pub(crate) fn prehash(
    src: &Remote,
    list: BoxStream<'static, BackendResult<ObjectInfo>>,
    o: &super::sync::RunOptions,
    filter: &crate::filter::Filter,
) -> BoxStream<'static, BackendResult<ObjectInfo>> {
    if o.compare.mode != super::decide::Compare::Checksum || !src.features.md5_by_reading {
        return list;
    }
    let (filter, shard) = (filter.clone(), o.shard);
    hash_ahead(src, list, o.checkers, move |obj| {
        obj.md5.is_none()
            && obj.md5_obtainable
            && filter.included(&obj.path, obj.size, obj.mtime)
            && super::shard::owns(shard.as_ref(), &obj.path)
    })
}

/// The listing `list` of `src` with the MD5 of every object `wanted` picks read and filled in
/// (the rest, and objects that could not be read, pass as they are), in order: in groups of
/// up to [`GROUP`] objects the listing has ready, each group read and hashed together by the
/// backend ([`Remote::read_md5_many`]). Groups in flight: one per [`GROUP`] checkers, but at
/// least two (one with `--checkers 1`), so that two cores hash; the local backend reads a
/// group's files one after the other on one blocking thread.
pub(crate) fn hash_ahead(
    src: &Remote,
    list: BoxStream<'static, BackendResult<ObjectInfo>>,
    checkers: usize,
    wanted: impl Fn(&ObjectInfo) -> bool + Send + 'static,
) -> BoxStream<'static, BackendResult<ObjectInfo>> {
    let src = src.clone();
    let checkers = checkers.max(1);
    let in_flight = checkers.div_ceil(GROUP).max(checkers.min(2));
    list.ready_chunks(GROUP)
        .map(move |items| {
            let src = src.clone();
            let picked: Vec<bool> = items
                .iter()
                .map(|item| matches!(item, Ok(obj) if wanted(obj)))
                .collect();
            async move {
                let paths: Vec<String> = items
                    .iter()
                    .zip(&picked)
                    .filter_map(|(item, &p)| match item {
                        Ok(obj) if p => Some(obj.path.to_string()),
                        _ => None,
                    })
                    .collect();
                let mut md5s = if paths.is_empty() {
                    Vec::new()
                } else {
                    src.read_md5_many(&paths).await
                }
                .into_iter();
                let items: Vec<_> = items
                    .into_iter()
                    .zip(picked)
                    .map(|(item, p)| match item {
                        Ok(mut obj) if p => {
                            if let Some(Ok(md5)) = md5s.next() {
                                obj.md5 = Some(md5);
                                obj.md5_obtainable = false;
                            }
                            Ok(obj)
                        }
                        other => other,
                    })
                    .collect();
                futures::stream::iter(items)
            }
        })
        .buffered(in_flight)
        .flatten()
        .boxed()
}

/// Objects one group of [`hash_ahead`] may hold: twice the lanes, so that lanes freed by short
/// files are refilled from the same group.
const GROUP: usize = 2 * ocisync_backend::md5_lanes::LANES;

/// Something that consumes the bytes in order.
pub(crate) trait Consume: Send + 'static {
    fn consume(&mut self, data: &[u8]);
}

impl Consume for Md5Hasher {
    fn consume(&mut self, data: &[u8]) {
        self.update(data);
    }
}

/// A hash computed on the spot or in a task of its own.
enum Hashing<H: Consume> {
    Inline(H),
    Task {
        queue: mpsc::UnboundedSender<(Bytes, OwnedSemaphorePermit)>,
        /// [`QUEUE_BYTES`] of permits: a buffer holds its length's worth until it is hashed.
        room: Arc<Semaphore>,
        task: JoinHandle<H>,
    },
}

impl<H: Consume> Hashing<H> {
    fn new(h: H, in_task: bool) -> Self {
        if !in_task {
            return Hashing::Inline(h);
        }
        let (queue, mut rx) = mpsc::unbounded_channel::<(Bytes, OwnedSemaphorePermit)>();
        let task = tokio::spawn(async move {
            let mut h = h;
            while let Some((b, _room)) = rx.recv().await {
                h.consume(&b);
            }
            h
        });
        let room = Arc::new(Semaphore::new(QUEUE_BYTES));
        Hashing::Task { queue, room, task }
    }

    async fn update(&mut self, b: &Bytes) {
        match self {
            Hashing::Inline(h) => h.consume(b),
            // A task that is gone (it panicked) is reported by `finish`.
            Hashing::Task { queue, room, .. } => {
                let want = b.len().clamp(1, QUEUE_BYTES) as u32;
                // The semaphore is never closed.
                if let Ok(permit) = room.clone().acquire_many_owned(want).await {
                    let _ = queue.send((b.clone(), permit));
                }
            }
        }
    }

    async fn finish(self) -> Result<H, Error> {
        match self {
            Hashing::Inline(h) => Ok(h),
            Hashing::Task { queue, task, .. } => {
                drop(queue);
                task.await
                    .map_err(|e| Error::new(ErrorKind::Other, format!("hashing task: {e}")))
            }
        }
    }
}

/// The whole object's MD5 and, where asked, the parts'.
pub(crate) struct CopyHashes {
    whole: Hashing<Md5Hasher>,
    parts: Option<Hashing<PartHasher>>,
}

/// What [`CopyHashes::finish`] gives.
pub(crate) struct Hashed {
    pub whole: Md5,
    pub parts: PartHasher,
}

impl CopyHashes {
    /// `part_size`: hash parts of this size too (S3 multipart ETags).
    pub fn new(size: u64, part_size: Option<usize>) -> CopyHashes {
        CopyHashes::hashing(
            TASK_HASHING_FROM.is_some_and(|from| size >= from),
            part_size,
        )
    }

    fn hashing(in_task: bool, part_size: Option<usize>) -> CopyHashes {
        CopyHashes {
            whole: Hashing::new(Md5Hasher::new(), in_task),
            parts: part_size.map(|c| Hashing::new(PartHasher::new(Some(c)), in_task)),
        }
    }

    /// One body buffer, in order.
    pub async fn update(&mut self, b: &Bytes) {
        self.whole.update(b).await;
        if let Some(p) = &mut self.parts {
            p.update(b).await;
        }
    }

    pub async fn finish(self) -> Result<Hashed, Error> {
        let whole = self.whole.finish().await?.finalize();
        let parts = match self.parts {
            Some(p) => p.finish().await?,
            None => PartHasher::new(None),
        };
        Ok(Hashed { whole, parts })
    }
}

/// MD5s of each `chunk`-sized part, for S3's multipart ETag: hex(md5(part md5s))-N.
pub(crate) struct PartHasher {
    chunk: Option<usize>,
    filled: usize,
    current: Md5Hasher,
    done: Vec<u8>,
    count: usize,
}

impl Consume for PartHasher {
    fn consume(&mut self, data: &[u8]) {
        self.update(data);
    }
}

impl PartHasher {
    pub fn new(chunk: Option<usize>) -> Self {
        PartHasher {
            chunk,
            filled: 0,
            current: Md5Hasher::new(),
            done: Vec::new(),
            count: 0,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        let Some(chunk) = self.chunk else { return };
        while !data.is_empty() {
            let take = (chunk - self.filled).min(data.len());
            self.current.update(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled == chunk {
                self.finish_part();
            }
        }
    }

    fn finish_part(&mut self) {
        let h = std::mem::take(&mut self.current).finalize();
        self.done.extend_from_slice(&h.0);
        self.count += 1;
        self.filled = 0;
    }

    /// `None` when no part was hashed (the upload was not expected to be multipart).
    pub fn multipart_etag(mut self) -> Option<String> {
        self.chunk?;
        if self.filled > 0 {
            self.finish_part();
        }
        Some(format!("{}-{}", Md5::of(&self.done).to_hex(), self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_etag_like_s3() {
        let data = [7u8; 25];
        let mut p = PartHasher::new(Some(10));
        p.update(&data[..3]);
        p.update(&data[3..]);
        let parts: Vec<u8> = data.chunks(10).flat_map(|c| Md5::of(c).0).collect();
        assert_eq!(
            p.multipart_etag(),
            Some(format!("{}-3", Md5::of(&parts).to_hex()))
        );
        assert_eq!(
            PartHasher::new(None).multipart_etag(),
            None,
            "nothing hashed, nothing to check"
        );
    }

    /// In tasks or inline, the same digests, whatever the buffers' boundaries.
    #[tokio::test]
    async fn tasks_and_inline_agree() {
        let data: Vec<u8> = (0..(3 * 1024 * 1024 + 5))
            .map(|i| (i % 253) as u8)
            .collect();
        let part = 1024 * 1024;
        let mut want_parts = Vec::new();
        for c in data.chunks(part) {
            want_parts.extend_from_slice(&Md5::of(c).0);
        }
        let want_etag = format!("{}-4", Md5::of(&want_parts).to_hex());
        for in_task in [false, true] {
            let mut h = CopyHashes::hashing(in_task, Some(part));
            for piece in data.chunks(100_003) {
                h.update(&Bytes::copy_from_slice(piece)).await;
            }
            let done = h.finish().await.unwrap();
            assert_eq!(done.whole, Md5::of(&data), "in a task: {in_task}");
            assert_eq!(done.parts.multipart_etag(), Some(want_etag.clone()));
        }
    }
}
