//! Parallel listing of one sorted remote: several key ranges listed at once and merged back
//! into key order, so that listing n objects costs about pages ÷ fan-out round trips instead
//! of one round trip per page one after another (500 per side for 500k objects: 15 s at a
//! 30 ms cross-cloud round trip, whatever the client's speed).
//!
//! How the ranges are made. The listing starts as one open range (everything). Each time the
//! open range (the *tail*) has received a page's worth of keys (`a` … `b`), it estimates how
//! far one page reaches in key space — the distance from `a` to `b`, taken as a base-256
//! number after their common prefix — and, while fewer than the fan-out of ranges are
//! outstanding, cuts the space after it into ranges one page-width each: it keeps `(lo, q1]`
//! and hands `(q1, q2]`, …, `(qK, ∞)` to new listings (`start-after` = the range's start; the
//! listing of a range stops at the first key past its end). The last one is the new tail and
//! does the same after its first page. A wrong estimate costs requests, never keys: a range
//! wider than guessed is listed page after page, a gap costs one request that finds its keys
//! in the next range. Keys whose next bytes are not ASCII are not cut (the listing of that
//! stretch goes on page after page).
//!
//! Order and memory. The consumer takes the ranges in key order: a range's successors come
//! right after it, each range's listing is sorted and checked by [`Remote::list_after`] (every
//! key after the range's start, strictly increasing), and every key of a range is at most its
//! end — so the merged stream is sorted with nothing missing or repeated. At most fan-out
//! ranges are being listed at once, and at most [`WAITING_PER_LISTING`] × fan-out exist (a
//! range counts until the consumer has taken all of it), each holding at most
//! [`RANGE_BUFFER`] objects ahead of the consumer: memory stays bounded whatever the bucket's
//! size. Ranges that are listed and wait for the consumer do not hold a listing slot: when
//! the range in front turns out to span many pages (a cut made across a month boundary
//! guesses a page 10 times too wide), it still finds room to cut the rest of its span
//! instead of being listed page after page while the ranges after it sit finished (seen at
//! 500,000 objects and 30 ms as a 0.7 s pause; docs/performance.md). A listing error ends
//! the whole listing with that error (the engine then deletes nothing), as a failed page ends
//! a sequential listing.
//!
//! What is trusted. Within a range, the server's own paging (continuation tokens), as in a
//! sequential listing. Where ranges meet, `start-after` is checked: a range that stops at its
//! end tells the consumer the key its listing saw past the end, and the next ranges must
//! reach that key. A server that keeps keys as a directory tree can answer `start-after`
//! with keys in tree order and pass over whole directories (SeaweedFS 4.48 after
//! `…/2026/11.73/…` answers from `reports/…`: measured, docs/performance.md). When that
//! happens the ranges are dropped and the rest is listed as one listing after the last key
//! handed out, with a NOTICE; a second skip is an error. So a parallel listing never drops
//! keys silently, which on a source would make the sync delete them from the destination.
//!
//! Fan-out. `--list-concurrency N` fixes it (1: one listing, as before). By default it is
//! decided from the round trip: one listing in flight per [`PAGE_COST`] of it, at most
//! [`AUTO_MAX`], and one listing below [`MIN_LATENCY`] — on loopback a page takes a few
//! milliseconds and the listing stays sequential (no extra requests); across clouds (30 ms and
//! more per request) it fans out. A slow first page alone does not say which it is: a server
//! that walks the whole prefix for every page (`rclone serve s3`, a loaded MinIO) is slow on
//! loopback too, and more listings in flight only multiply its work. So when the first page
//! took [`MIN_LATENCY`] or more, one HEAD of a key that is not expected to exist
//! ([`PROBE_KEY`]) measures the round trip without the listing's server work, and the
//! shorter of the two decides. That HEAD is the only request the automatic mode adds, and
//! only listings longer than a page whose first page was slow send it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::stream::{BoxStream, StreamExt};
use ocisync_backend::{ObjectInfo, Remote, Result};
use tokio::sync::mpsc;

/// Keys per listing page (S3 ListObjectsV2 and OCI ListObjects: 1,000).
const PAGE: usize = 1000;
/// The most listings in flight per remote in automatic mode.
pub const AUTO_MAX: usize = 16;
/// What taking in one page costs the client (parsing, indexing: about 2–4 ms of CPU on the
/// benchmark machine for 1,000 keys): listings in flight beyond latency ÷ this cannot be
/// consumed any faster.
pub const PAGE_COST: Duration = Duration::from_millis(4);
/// Below this first-page latency the listing stays one listing: a page that fast is the
/// server's own work (loopback, same region), which more listings in flight do not hide, and
/// every range costs about one extra request.
pub const MIN_LATENCY: Duration = Duration::from_millis(10);
/// What the round-trip probe HEADs, under the remote's root: a name no tool writes, so the
/// answer is a 404 whose time is the round trip (any answer will do; only its time is used).
pub const PROBE_KEY: &str = ".ocisync-round-trip-probe";
/// Objects one range may hold ahead of the consumer: two pages.
const RANGE_BUFFER: usize = 2 * PAGE;
/// Ranges that may exist per listing slot (fan-out), listed or waiting for the consumer.
const WAITING_PER_LISTING: usize = 2;

/// `--list-concurrency` (0: automatic), set once at start.
static CONCURRENCY: OnceLock<usize> = OnceLock::new();

/// Sets `--list-concurrency` (`None`: automatic), once, at start.
pub fn set_concurrency(n: Option<usize>) {
    let _ = CONCURRENCY.set(n.unwrap_or(0));
}

fn configured() -> usize {
    CONCURRENCY.get().copied().unwrap_or(0)
}

/// The automatic fan-out for a first page that took `latency`: one listing below
/// [`MIN_LATENCY`], else one per [`PAGE_COST`] of latency, at most [`AUTO_MAX`].
pub fn auto_fanout(latency: Duration) -> usize {
    if latency < MIN_LATENCY {
        return 1;
    }
    let n = latency.as_micros().div_ceil(PAGE_COST.as_micros().max(1));
    (n as usize).clamp(1, AUTO_MAX)
}

/// Lists every object under the remote's root, recursively, in key order: several key
/// ranges at once where the remote can list ranges ([`Remote::lists_ranges`]), one listing
/// otherwise. A missing root fails as [`Remote::list`] does.
pub async fn list(remote: &Remote) -> Result<BoxStream<'static, Result<ObjectInfo>>> {
    list_with(remote, configured()).await
}

/// [`list`] with a given fan-out (0: automatic).
pub async fn list_with(
    remote: &Remote,
    fanout: usize,
) -> Result<BoxStream<'static, Result<ObjectInfo>>> {
    if fanout == 1 || !remote.lists_ranges() {
        return remote.list(true).await;
    }
    let started = Instant::now();
    let first = remote.list_after(None).await?;
    let shared = Arc::new(Shared {
        remote: remote.clone(),
        fanout: AtomicUsize::new(fanout),
        slots: Mutex::new(Slots {
            listing: 1,
            outstanding: 1,
        }),
        ranges: AtomicUsize::new(1),
    });
    let (tx, rx) = mpsc::channel(RANGE_BUFFER);
    let merge_shared = shared.clone();
    let listing = Listing(shared.clone());
    tokio::spawn(async move {
        run_range(shared, first, None, tx, Some(started)).await;
        drop(listing);
    });
    let merge = Merge {
        ranges: VecDeque::from([rx]),
        shared: merge_shared,
        expect: None,
        last: None,
        resumed: false,
        failed: false,
    };
    Ok(futures::stream::unfold(merge, Merge::next).boxed())
}

/// What the ranges of one listing share.
struct Shared {
    remote: Remote,
    /// Ranges listed at once (0 until the first page has measured it).
    fanout: AtomicUsize,
    slots: Mutex<Slots>,
    /// Ranges made in all (for the debug log).
    ranges: AtomicUsize,
}

/// The ranges of one listing that count against its fan-out. Both are reserved together when
/// a range is cut, so ranges cutting at once never pass the limits together.
struct Slots {
    /// Ranges whose listing runs (or has not started): at most the fan-out.
    listing: usize,
    /// Ranges made and not yet taken whole by the consumer: at most
    /// [`WAITING_PER_LISTING`] × the fan-out.
    outstanding: usize,
}

impl Shared {
    fn slots(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many new ranges the limits allow now.
    fn room(&self, slots: &Slots) -> usize {
        let fanout = self.fanout.load(Relaxed);
        let listing = fanout.saturating_sub(slots.listing);
        let existing = (fanout * WAITING_PER_LISTING).saturating_sub(slots.outstanding);
        listing.min(existing)
    }
}

/// A range being listed: holds one listing slot until its task ends (the listing complete,
/// failed, or no longer wanted).
struct Listing(Arc<Shared>);

impl Drop for Listing {
    fn drop(&mut self) {
        let mut slots = self.0.slots();
        slots.listing = slots.listing.saturating_sub(1);
    }
}

/// What a range sends the consumer.
enum Msg {
    Item(Result<ObjectInfo>),
    /// The range was cut: these ranges follow it, in order.
    Split(Vec<mpsc::Receiver<Msg>>),
    /// The range is complete: its own listing (continuation tokens, which every server pages
    /// right) went on to this key, past the range's end. The next range, listed from a
    /// `start-after`, must reach this key: the check that makes ranges safe on a server whose
    /// `start-after` skips keys.
    Next(String),
}

/// Lists one range: the objects of `stream` (which starts after the range's start) up to and
/// including `end` (`None`: the tail, open-ended, which cuts the space after it into new
/// ranges as pages come). `measure`: this is the first range, started then, and the
/// automatic fan-out is taken from its first page's latency.
///
/// Boxed: a range starts ranges, and a recursive `async fn` has no nameable `Send` future.
fn run_range(
    shared: Arc<Shared>,
    stream: BoxStream<'static, Result<ObjectInfo>>,
    end: Option<String>,
    tx: mpsc::Sender<Msg>,
    measure: Option<Instant>,
) -> futures::future::BoxFuture<'static, ()> {
    range_body(shared, stream, end, tx, measure).boxed()
}

async fn range_body(
    shared: Arc<Shared>,
    mut stream: BoxStream<'static, Result<ObjectInfo>>,
    mut end: Option<String>,
    tx: mpsc::Sender<Msg>,
    measure: Option<Instant>,
) {
    let mut count = 0usize;
    let mut page_first: Option<String> = None;
    // The first page's latency (the first range, automatic fan-out), until it is used.
    let mut first_page: Option<Duration> = None;
    while let Some(item) = stream.next().await {
        let obj = match item {
            Ok(obj) => obj,
            Err(e) => {
                let _ = tx.send(Msg::Item(Err(e))).await;
                return;
            }
        };
        if end.as_deref().is_some_and(|end| &*obj.path > end) {
            // The next range's first key: this range is complete.
            let _ = tx.send(Msg::Next(obj.path.to_string())).await;
            return;
        }
        if count == 0
            && let Some(started) = measure
        {
            first_page = Some(started.elapsed());
        }
        count += 1;
        let first = page_first.get_or_insert_with(|| obj.path.to_string());
        if count.is_multiple_of(PAGE) {
            // A full first page: the listing goes on, so the fan-out is decided now (a
            // listing of one page never sends the probe).
            if let Some(page) = first_page.take()
                && shared.fanout.load(Relaxed) == 0
            {
                decide_fanout(&shared, page).await;
            }
            let bounds = plan_split(&shared, first, &obj.path, end.as_deref());
            page_first = None;
            if let Some(q1) = bounds.first() {
                // This range now ends at the first cut; new ranges take the rest up to its
                // old end, the last one open if this range was (the new tail).
                let old_end = end.replace(q1.clone());
                let mut receivers = Vec::with_capacity(bounds.len());
                for (i, start) in bounds.iter().enumerate() {
                    let range_end = bounds.get(i + 1).cloned().or_else(|| old_end.clone());
                    let (rtx, rrx) = mpsc::channel(RANGE_BUFFER);
                    receivers.push(rrx);
                    let shared = shared.clone();
                    let start = start.clone();
                    // The slot plan_split reserved for this range.
                    let listing = Listing(shared.clone());
                    tokio::spawn(async move {
                        match shared.remote.list_after(Some(&start)).await {
                            Ok(s) => run_range(shared, s, range_end, rtx, None).await,
                            Err(e) => {
                                let _ = rtx.send(Msg::Item(Err(e))).await;
                            }
                        }
                        drop(listing);
                    });
                }
                if tx.send(Msg::Split(receivers)).await.is_err() {
                    return;
                }
            }
        }
        if tx.send(Msg::Item(Ok(obj))).await.is_err() {
            return;
        }
    }
}

/// Sets the automatic fan-out from the first page's latency `page`, probing the round trip
/// when the page was slow.
async fn decide_fanout(shared: &Shared, page: Duration) {
    let latency = if page < MIN_LATENCY {
        page
    } else {
        round_trip(&shared.remote, page).await
    };
    let fanout = auto_fanout(latency);
    tracing::debug!(
        remote = %shared.remote.display(),
        "first listing page in {page:?}, round trip {latency:?}: {fanout} listing(s) in flight"
    );
    shared.fanout.store(fanout, Relaxed);
}

/// One request's round trip to `remote`, at most `page` (the first page's time, which bounds
/// it): the time of a HEAD of [`PROBE_KEY`], whatever it answers (a 404 normally; an error is
/// a round trip too).
async fn round_trip(remote: &Remote, page: Duration) -> Duration {
    let started = Instant::now();
    match tokio::time::timeout(page, remote.stat(PROBE_KEY)).await {
        Ok(_) => started.elapsed().min(page),
        Err(_) => page,
    }
}

/// Where to cut this range's key space after `last` (its latest key; `first` the first key
/// of its latest page; `end` its end): one page-width apart, before `end`, as many cuts as the
/// fan-out leaves room for. Reserves a listing slot and a range for each cut (each cut starts
/// a new range).
fn plan_split(shared: &Shared, first: &str, last: &str, end: Option<&str>) -> Vec<String> {
    let room = shared.room(&shared.slots());
    if room == 0 {
        return Vec::new();
    }
    let mut bounds = cuts(first, last, room);
    bounds.retain(|q| end.is_none_or(|end| q.as_str() < end));
    {
        // Reserved under the lock, with the room as it is now (another range may have cut
        // since it was read above).
        let mut slots = shared.slots();
        bounds.truncate(shared.room(&slots));
        slots.listing += bounds.len();
        slots.outstanding += bounds.len();
    }
    if !bounds.is_empty() {
        let made = shared.ranges.fetch_add(bounds.len(), Relaxed) + 1 + bounds.len();
        tracing::trace!(
            remote = %shared.remote.display(),
            "listing: {} new ranges after {last:?} ({made} in all), starting after {bounds:?}",
            bounds.len()
        );
    }
    bounds
}

/// Up to `n` keys after `last`, strictly increasing, each one page-width (the distance from
/// `first` to `last`) beyond the one before.
///
/// The distance is measured on the bytes after the two keys' common prefix, read as a
/// mixed-radix number whose digits follow `last`'s characters: a decimal digit counts in base
/// 10, a letter in base 26, a `/` stays a `/`, anything else counts in base 79 (`0` to `~`).
/// Report names are mostly digits, so a cut after `…0600999` lands at `…0602000`, not among
/// `:;<=` where no key is.
///
/// Servers that keep keys as a directory tree (SeaweedFS's S3 gateway, measured: 4.48) read
/// `start-after` as a path and compare it name by name. So every cut ends with `/` (after
/// `…/12/02` they answer from `…/12/03/`, although every `…/12/02/…` key sorts after
/// `…/12/02`), keeps `last`'s `/`s where they are, and has nothing below `0` in a name (after
/// `…/2026/05.01/` they passed over all of `…/2026/05/`, which sorts after it byte by byte).
/// The check where ranges meet (see the module) catches what a server still skips.
pub fn cuts(first: &str, last: &str, n: usize) -> Vec<String> {
    let mut common = first
        .bytes()
        .zip(last.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !last.is_char_boundary(common) {
        common -= 1;
    }
    let (prefix, tail) = last.split_at(common);
    let radix = Radix::of(tail.as_bytes());
    let from = radix.value(tail.as_bytes());
    let width = from.saturating_sub(radix.value(&first.as_bytes()[common..]));
    let mut out: Vec<String> = Vec::new();
    if width == 0 {
        return out;
    }
    for i in 1..=n as u128 {
        let Some(key) = width
            .checked_mul(i)
            .and_then(|w| from.checked_add(w))
            .and_then(|at| radix.key(at))
        else {
            break;
        };
        let mut key = format!("{prefix}{key}");
        if !key.ends_with('/') {
            key.push('/');
        }
        let previous = out.last().map_or(last, String::as_str);
        if key.as_str() <= previous {
            break;
        }
        out.push(key);
    }
    out
}

/// The digits of a key tail: per position, its character class (lowest byte, base).
struct Radix(Vec<(u8, u8)>);

impl Radix {
    const DIGIT: (u8, u8) = (b'0', 10);
    const LOWER: (u8, u8) = (b'a', 26);
    const UPPER: (u8, u8) = (b'A', 26);
    /// `0` to `~`: nothing below `/` in a cut's names. A tree-backed server (SeaweedFS)
    /// compares `start-after` name by name, and a name like `05.01` sorts before the
    /// directory `05` there but after every `05/…` key in byte order: it passed over the
    /// whole directory (measured). Real keys' `-` or `.` only ever count as `0`.
    const OTHER: (u8, u8) = (b'0', 79);
    /// A `/` of the last key stays where it is (a digit of base 1): cuts keep its
    /// directories, and a carry never turns a separator into a name character.
    const SEPARATOR: (u8, u8) = (b'/', 1);

    /// The classes of `tail`'s leading characters, as many as a u128 holds with room to add.
    fn of(tail: &[u8]) -> Radix {
        let mut digits = Vec::new();
        let mut span: u128 = 1;
        for &b in tail.iter().chain(std::iter::repeat(&b'0')) {
            let class = match b {
                b'0'..=b'9' => Self::DIGIT,
                b'a'..=b'z' => Self::LOWER,
                b'A'..=b'Z' => Self::UPPER,
                b'/' => Self::SEPARATOR,
                _ => Self::OTHER,
            };
            match span.checked_mul(u128::from(class.1)) {
                Some(s) if s < u128::MAX / 256 => span = s,
                _ => break,
            }
            digits.push(class);
        }
        Radix(digits)
    }

    /// A tail as a number in these digits: characters outside a position's class count as its
    /// lowest or highest digit, a missing character as the lowest.
    fn value(&self, tail: &[u8]) -> u128 {
        self.0
            .iter()
            .enumerate()
            .fold(0u128, |acc, (i, &(low, base))| {
                let digit = match tail.get(i) {
                    None => 0,
                    Some(&b) if b < low => 0,
                    Some(&b) => (b - low).min(base - 1),
                };
                acc * u128::from(base) + u128::from(digit)
            })
    }

    /// A number back into characters; `None` past the last number the digits hold.
    fn key(&self, mut n: u128) -> Option<String> {
        let mut out = vec![0u8; self.0.len()];
        for (i, &(low, base)) in self.0.iter().enumerate().rev() {
            out[i] = low + (n % u128::from(base)) as u8;
            n /= u128::from(base);
        }
        if n != 0 {
            return None;
        }
        // Trailing lowest digits are padding: "x" sorts before "x0", so dropping them only
        // moves a cut down, never past its neighbour (cuts are checked to increase).
        while out.len() > 1 && out.last() == Some(&b'0') {
            out.pop();
        }
        String::from_utf8(out).ok()
    }
}

/// The consumer's side: the ranges still to take, in key order.
struct Merge {
    ranges: VecDeque<mpsc::Receiver<Msg>>,
    shared: Arc<Shared>,
    /// A key an earlier range's own listing saw past its end ([`Msg::Next`]), not yet reached
    /// by the ranges after it.
    expect: Option<String>,
    /// The last key handed out.
    last: Option<String>,
    /// The ranges were given up once for one listing after `last`.
    resumed: bool,
    /// An error was handed out: the listing has ended.
    failed: bool,
}

/// What the first keys of a range say of a key `expected` that the range before it saw
/// past its end.
#[derive(Debug, PartialEq)]
enum Continuity {
    /// Not reached yet: a key before it (written since the other range listed) is fine.
    Before,
    /// Reached: the ranges join up.
    Reached,
    /// Passed over: the server's `start-after` skipped it (and maybe more).
    Skipped,
}

fn continuity(expected: &str, key: &str) -> Continuity {
    match key.cmp(expected) {
        std::cmp::Ordering::Less => Continuity::Before,
        std::cmp::Ordering::Equal => Continuity::Reached,
        std::cmp::Ordering::Greater => Continuity::Skipped,
    }
}

impl Merge {
    async fn next(mut self) -> Option<(Result<ObjectInfo>, Merge)> {
        if self.failed {
            return None;
        }
        loop {
            let Some(front) = self.ranges.front_mut() else {
                // Every range taken, and a key one of them saw was never reached.
                let missing = self.expect.clone()?;
                if let Err(e) = self.resume(&missing) {
                    return self.fail(e);
                }
                continue;
            };
            match front.recv().await {
                Some(Msg::Item(Ok(obj))) => {
                    if let Some(expected) = &self.expect {
                        match continuity(expected, &obj.path) {
                            Continuity::Before => {}
                            Continuity::Reached => self.expect = None,
                            Continuity::Skipped => {
                                let missing = expected.clone();
                                if let Err(e) = self.resume(&missing) {
                                    return self.fail(e);
                                }
                                continue;
                            }
                        }
                    }
                    // The buffer is reused: a new String per key was a visible part of a
                    // 500,000-key listing's CPU.
                    let last = self.last.get_or_insert_with(String::new);
                    last.clear();
                    last.push_str(&obj.path);
                    return Some((Ok(obj), self));
                }
                Some(Msg::Next(key)) => {
                    // An earlier expectation still open stays: it is the smaller key.
                    self.expect.get_or_insert(key);
                }
                Some(Msg::Item(Err(e))) => return self.fail(e),
                Some(Msg::Split(next)) => {
                    for (i, rx) in next.into_iter().enumerate() {
                        self.ranges.insert(1 + i, rx);
                    }
                }
                None => {
                    self.ranges.pop_front();
                    let mut slots = self.shared.slots();
                    slots.outstanding = slots.outstanding.saturating_sub(1);
                }
            }
        }
    }

    /// The listing is incomplete: `e` is its last item, and nothing after it is believed (the
    /// ranges' listings end when their receivers go). A listing that went on yielding its
    /// error made `sync`, which logs a source listing's errors and reads on, spin forever
    /// (found by reliability::a_range_whose_start_after_skips_a_key_is_caught_where_the_ranges_meet).
    fn fail(mut self, e: ocisync_backend::Error) -> Option<(Result<ObjectInfo>, Merge)> {
        self.failed = true;
        self.ranges.clear();
        self.expect = None;
        Some((Err(e), self))
    }

    /// The server skipped `missing` when asked to list after a range's start: the ranges are
    /// dropped and the rest is listed as one listing after the last key handed out (a key
    /// the server listed, so no cut of ours). Once: a second skip is an error, so the sync
    /// deletes nothing on an incomplete listing.
    fn resume(&mut self, missing: &str) -> Result<()> {
        let remote = self.shared.remote.display();
        if self.resumed {
            return Err(ocisync_backend::Error::new(
                ocisync_backend::ErrorKind::Other,
                format!(
                    "listing {remote}: the server skipped {missing:?} twice when asked to list \
                     after a key; its listing cannot be trusted past {:?} (--list-concurrency 1 \
                     lists it one page after another)",
                    self.last.as_deref().unwrap_or("")
                ),
            ));
        }
        tracing::warn!(
            "listing {remote}: the server skipped {missing:?} when asked to list after a key \
             in the middle; listing the rest one page after another (--list-concurrency 1 \
             avoids the retry)"
        );
        self.resumed = true;
        self.ranges.clear();
        // No more ranges: one listing in flight from here on (the dropped ranges' listings
        // end as they find their receivers gone, and a fan-out of 1 leaves no room to cut).
        self.shared.fanout.store(1, Relaxed);
        {
            let mut slots = self.shared.slots();
            slots.listing += 1;
            slots.outstanding = 1;
        }
        let (tx, rx) = mpsc::channel(RANGE_BUFFER);
        let (shared, after) = (self.shared.clone(), self.last.clone());
        let listing = Listing(shared.clone());
        tokio::spawn(async move {
            match shared.remote.list_after(after.as_deref()).await {
                Ok(s) => run_range(shared, s, None, tx, None).await,
                Err(e) => {
                    let _ = tx.send(Msg::Item(Err(e))).await;
                }
            }
            drop(listing);
        });
        self.ranges.push_back(rx);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_are_one_page_width_apart_and_increasing() {
        let c = cuts(
            "reports/cost-csv/0001000000600000.csv.gz",
            "reports/cost-csv/0001000000601998.csv.gz",
            3,
        );
        assert_eq!(c.len(), 3, "{c:?}");
        assert!(c[0].as_str() > "reports/cost-csv/0001000000601998.csv.gz");
        assert!(c.windows(2).all(|w| w[0] < w[1]), "{c:?}");
        assert!(c[0].starts_with("reports/cost-csv/00010000006"), "{c:?}");
        // About one page-width (1,998 apart) beyond the last key.
        assert!(
            c[0].as_str() > "reports/cost-csv/0001000000603"
                && c[0].as_str() < "reports/cost-csv/0001000000605",
            "{c:?}"
        );
    }

    #[test]
    fn a_range_must_reach_the_key_the_range_before_it_saw() {
        let seen = "FOCUS Reports/2026/11/01/0001.csv.gz";
        // SeaweedFS after the cut `FOCUS Reports/2026/11.73/…/` answers from `reports/…`.
        assert_eq!(
            continuity(seen, "reports/cost-csv/0001.csv.gz"),
            Continuity::Skipped
        );
        assert_eq!(continuity(seen, seen), Continuity::Reached);
        // Written since the range before listed it: still in order, keep waiting.
        assert_eq!(
            continuity(seen, "FOCUS Reports/2026/11/01/0000.csv.gz"),
            Continuity::Before
        );
    }

    #[test]
    fn cuts_end_with_a_slash_so_no_cut_names_a_directory() {
        // Key names as in the usage reports: a cut in the date part must not stop at
        // `…/2025/12/05`, which a tree-backed server takes as "after the directory 05".
        let c = cuts(
            "FOCUS Reports/2025/12/01/0001000000600007-00001.csv.gz",
            "FOCUS Reports/2025/12/03/0001000000602738-00001.csv.gz",
            6,
        );
        assert!(!c.is_empty());
        for k in &c {
            assert!(k.ends_with('/'), "{k:?}");
        }
        assert!(c.windows(2).all(|w| w[0] < w[1]), "{c:?}");
        assert!(c[0].as_str() > "FOCUS Reports/2025/12/03/0001000000602738-00001.csv.gz");
    }

    #[test]
    fn cuts_keep_the_last_keys_directories_and_put_nothing_below_0_in_a_name() {
        // A page that crosses a month: SeaweedFS compares `start-after` name by name, so a cut
        // like `…/2026/05.01/…` (`.` < `/`) made it pass over the whole `…/2026/05/` directory
        // (measured at 500,000 keys). Cuts keep `last`'s `/` where it has them, and their other
        // characters are `0` or above, so each name of a cut compares with the names of real
        // keys as the whole key does.
        let last = "FOCUS Reports/2026/05/01/0001000000806027-00001.csv.gz";
        for first in [
            "FOCUS Reports/2026/04/28/0001000000805028-00001.csv.gz",
            "FOCUS Reports/2025/12/30/0001000000600007-00001.csv.gz",
            "FOCUS Reports/2026/05/01/0001000000805028-00001.csv.gz",
        ] {
            let c = cuts(first, last, 8);
            assert!(!c.is_empty(), "{first}");
            assert!(c.windows(2).all(|w| w[0] < w[1]), "{c:?}");
            assert!(c[0].as_str() > last, "{c:?}");
            for k in &c {
                let body = &k[..k.len() - 1];
                for (i, b) in body.bytes().enumerate() {
                    if last.as_bytes().get(i) == Some(&b'/') {
                        assert_eq!(b, b'/', "{k:?} moves a directory separator");
                    } else if i >= "FOCUS Reports/".len() {
                        assert!(b > b'/', "{k:?} has {:?} in a name", b as char);
                    }
                }
            }
        }
    }

    #[test]
    fn cuts_stay_printable_ascii() {
        let c = cuts("a~~~", "b~~~", 8);
        assert!(!c.is_empty());
        for k in &c {
            assert!(k.bytes().all(|b| (0x20..=0x7e).contains(&b)), "{k:?}");
        }
        assert!(c.windows(2).all(|w| w[0] < w[1]), "{c:?}");
        // Nothing to measure a width on.
        assert!(cuts("same", "same", 4).is_empty());
        // Non-ASCII tails are not cut below their last key.
        for k in cuts("é1", "é9", 4) {
            assert!(k.as_str() > "é9");
        }
    }

    #[test]
    fn automatic_fanout_follows_latency() {
        assert_eq!(auto_fanout(Duration::from_micros(500)), 1);
        assert_eq!(auto_fanout(Duration::from_millis(4)), 1);
        assert_eq!(auto_fanout(Duration::from_millis(9)), 1);
        assert_eq!(auto_fanout(Duration::from_millis(10)), 3);
        assert_eq!(auto_fanout(Duration::from_millis(30)), 8);
        assert_eq!(auto_fanout(Duration::from_secs(1)), AUTO_MAX);
    }
}
