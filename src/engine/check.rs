//! `check`: are the two sides the same? Sizes, then MD5s (fetched where the listing has none)
//! unless `--size-only`. Reports like rclone: one ERROR line per difference, then counts.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use futures::StreamExt;
use ocisync_backend::{ObjectInfo, Remote};

use super::decide::{Compare, CompareOptions, Verdict};
use super::pairing::{compare, list_into_index};
use super::report::Stop;
use super::shard::{self, Shard};
use super::stats::Stats;
use crate::filter::Filter;

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub size_only: bool,
    /// `--one-way`: don't report objects only on the destination.
    pub one_way: bool,
    pub filter: Filter,
    pub checkers: usize,
    /// `--shard K/N`: compare only this shard's objects (the listings stay whole).
    pub shard: Option<Shard>,
}

#[derive(Debug, Default)]
pub struct CheckReport {
    pub differences: u64,
    pub missing_on_dst: u64,
    pub missing_on_src: u64,
    pub matching: u64,
    pub no_hash: u64,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.differences == 0
    }
}

pub async fn run(
    src: &Remote,
    dst: &Remote,
    o: &CheckOptions,
    stats: &Stats,
) -> Result<CheckReport, Stop> {
    // Both sides into compact indexes (about 100 bytes an object), listed at the same time.
    let (src_index, mut dst_index) = tokio::try_join!(
        list_into_index(src, Some(&o.filter), &stats.listed_src, false),
        list_into_index(dst, Some(&o.filter), &stats.listed_dst, false)
    )?;
    let mut missing_on_dst = 0;
    let mine = |obj: &ObjectInfo| shard::owns(o.shard.as_ref(), &obj.path);
    // Source objects in key order; each is paired with its destination copy as it is reached,
    // so no list of pairs is built.
    let pairs =
        src_index
            .unmatched()
            .filter(mine)
            .filter_map(|obj| match dst_index.take(&obj.path) {
                Some(other) => {
                    stats.checks_total.fetch_add(1, Relaxed);
                    Some((obj, other))
                }
                None => {
                    missing_on_dst += 1;
                    tracing::error!(object = %obj.path, "file not in {}", dst.display());
                    None
                }
            });
    let tally = Tally::default();
    compare_pairs(src, dst, o, stats, pairs, &tally).await;
    let mut missing_on_src = 0;
    if !o.one_way {
        // Left over on the destination, in key order.
        for obj in dst_index.unmatched().filter(mine) {
            missing_on_src += 1;
            tracing::error!(object = %obj.path, "file not in {}", src.display());
        }
    }
    let report = CheckReport {
        differences: tally.differences.load(Relaxed) + missing_on_dst + missing_on_src,
        missing_on_dst,
        missing_on_src,
        matching: tally.matching.load(Relaxed),
        no_hash: tally.no_hash.load(Relaxed),
    };
    log_summary(src, dst, &report);
    Ok(report)
}

/// Counts of compared pairs, shared by the concurrent comparisons.
#[derive(Default)]
struct Tally {
    differences: AtomicU64,
    matching: AtomicU64,
    no_hash: AtomicU64,
}

/// Compares every pair, `--checkers` at a time, by size and MD5 (size only with
/// `--size-only`); one ERROR line per difference.
async fn compare_pairs(
    src: &Remote,
    dst: &Remote,
    o: &CheckOptions,
    stats: &Stats,
    pairs: impl Iterator<Item = (ObjectInfo, ObjectInfo)>,
    tally: &Tally,
) {
    let opts = CompareOptions {
        mode: if o.size_only {
            Compare::SizeOnly
        } else {
            Compare::Checksum
        },
        ..Default::default()
    };
    let opts = &opts;
    futures::stream::iter(pairs)
        .for_each_concurrent(o.checkers.max(1), |(a, b)| async move {
            let path = a.path.clone();
            // A key the storage library would rewrite: a HEAD or read would compare another
            // object.
            let addressable = src.check_key(&path).and_then(|()| dst.check_key(&path));
            let verdict = match addressable {
                Ok(()) => compare(src, dst, a, b, opts, stats).await.map(|(_, v)| v),
                Err(e) => Err(e),
            };
            stats.checks.fetch_add(1, Relaxed);
            match verdict {
                Ok(Verdict::Same(_)) => {
                    tally.matching.fetch_add(1, Relaxed);
                    tracing::debug!(object = %path, "OK");
                }
                Ok(Verdict::SameBySizeNoHash) => {
                    tally.no_hash.fetch_add(1, Relaxed);
                    tally.matching.fetch_add(1, Relaxed);
                }
                Ok(Verdict::Differ(why)) => {
                    tally.differences.fetch_add(1, Relaxed);
                    tracing::error!(object = %path, "{why}");
                }
                Ok(other) => tracing::debug!(object = %path, "{other:?}"),
                Err(e) => {
                    tally.differences.fetch_add(1, Relaxed);
                    tracing::error!("{e}");
                    stats.error_of(&e);
                }
            }
        })
        .await;
}

/// rclone's closing NOTICE lines, in its order (operations/check.go `reportResults`).
fn log_summary(src: &Remote, dst: &Remote, report: &CheckReport) {
    let dn = dst.display();
    if report.missing_on_dst > 0 {
        tracing::warn!("{dn}: {} files missing", report.missing_on_dst);
    }
    if report.missing_on_src > 0 {
        tracing::warn!("{}: {} files missing", src.display(), report.missing_on_src);
    }
    tracing::warn!("{dn}: {} differences found", report.differences);
    // rclone counts each difference as an error.
    if report.differences > 0 {
        tracing::warn!("{dn}: {} errors while checking", report.differences);
    }
    if report.no_hash > 0 {
        tracing::warn!("{dn}: {} hashes could not be checked", report.no_hash);
    }
    if report.matching > 0 {
        tracing::warn!("{dn}: {} matching files", report.matching);
    }
}
