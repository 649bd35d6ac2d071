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
//! ranges exist at once (a range counts until the consumer has taken all of it), each holding
//! at most [`RANGE_BUFFER`] objects ahead of the consumer: memory stays bounded whatever the
//! bucket's size. A listing error ends the whole listing with that error (the engine then
//! deletes nothing), as a failed page ends a sequential listing.
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
use std::sync::{Arc, OnceLock};
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
        outstanding: AtomicUsize::new(1),
        ranges: AtomicUsize::new(1),
    });
    let (tx, rx) = mpsc::channel(RANGE_BUFFER);
    tokio::spawn(run_range(shared.clone(), first, None, tx, Some(started)));
    let merge = Merge {
        ranges: VecDeque::from([rx]),
        shared,
    };
    Ok(futures::stream::unfold(merge, Merge::next).boxed())
}

/// What the ranges of one listing share.
struct Shared {
    remote: Remote,
    /// Ranges allowed at once (0 until the first page has measured it).
    fanout: AtomicUsize,
    /// Ranges made and not yet taken whole by the consumer.
    outstanding: AtomicUsize,
    /// Ranges made in all (for the debug log).
    ranges: AtomicUsize,
}

/// What a range sends the consumer.
enum Msg {
    Item(Result<ObjectInfo>),
    /// The range was cut: these ranges follow it, in order.
    Split(Vec<mpsc::Receiver<Msg>>),
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
                    tokio::spawn(async move {
                        match shared.remote.list_after(Some(&start)).await {
                            Ok(s) => run_range(shared, s, range_end, rtx, None).await,
                            Err(e) => {
                                let _ = rtx.send(Msg::Item(Err(e))).await;
                            }
                        }
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
/// fan-out leaves room for. Reserves one range per cut (each cut starts a new range).
fn plan_split(shared: &Shared, first: &str, last: &str, end: Option<&str>) -> Vec<String> {
    let room = shared
        .fanout
        .load(Relaxed)
        .saturating_sub(shared.outstanding.load(Relaxed));
    if room == 0 {
        return Vec::new();
    }
    let mut bounds = cuts(first, last, room);
    bounds.retain(|q| end.is_none_or(|end| q.as_str() < end));
    // Reserved atomically: ranges cutting at once never pass the fan-out together.
    let fanout = shared.fanout.load(Relaxed);
    let mut granted = 0;
    let _ = shared
        .outstanding
        .fetch_update(Relaxed, Relaxed, |outstanding| {
            granted = fanout.saturating_sub(outstanding).min(bounds.len());
            Some(outstanding + granted)
        });
    bounds.truncate(granted);
    if !bounds.is_empty() {
        let made = shared.ranges.fetch_add(bounds.len(), Relaxed) + 1 + bounds.len();
        tracing::trace!(
            remote = %shared.remote.display(),
            "listing: {} new ranges after {last:?} ({made} in all)",
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
/// 10, a letter in base 26, anything else in base 95 (printable ASCII). Report names are
/// mostly digits, so a cut after `…0600999` lands at `…0602000`, not among `:;<=` where no key
/// is.
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
        let key = format!("{prefix}{key}");
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
    const OTHER: (u8, u8) = (b' ', 95);

    /// The classes of `tail`'s leading characters, as many as a u128 holds with room to add.
    fn of(tail: &[u8]) -> Radix {
        let mut digits = Vec::new();
        let mut span: u128 = 1;
        for &b in tail.iter().chain(std::iter::repeat(&b' ')) {
            let class = match b {
                b'0'..=b'9' => Self::DIGIT,
                b'a'..=b'z' => Self::LOWER,
                b'A'..=b'Z' => Self::UPPER,
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
        // Trailing spaces are padding: "x" sorts before "x ", so dropping them only moves a
        // cut down, never past its neighbour (cuts are checked to increase).
        while out.last() == Some(&b' ') {
            out.pop();
        }
        String::from_utf8(out).ok()
    }
}

/// The consumer's side: the ranges still to take, in key order.
struct Merge {
    ranges: VecDeque<mpsc::Receiver<Msg>>,
    shared: Arc<Shared>,
}

impl Merge {
    async fn next(mut self) -> Option<(Result<ObjectInfo>, Merge)> {
        loop {
            let front = self.ranges.front_mut()?;
            match front.recv().await {
                Some(Msg::Item(Ok(obj))) => return Some((Ok(obj), self)),
                Some(Msg::Item(Err(e))) => {
                    // The listing is incomplete: nothing after this error is believed (the
                    // other ranges' listings end when their receivers go).
                    self.ranges.clear();
                    return Some((Err(e), self));
                }
                Some(Msg::Split(next)) => {
                    for (i, rx) in next.into_iter().enumerate() {
                        self.ranges.insert(1 + i, rx);
                    }
                }
                None => {
                    self.ranges.pop_front();
                    self.shared.outstanding.fetch_sub(1, Relaxed);
                }
            }
        }
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
