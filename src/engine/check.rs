//! `check`: are the two sides the same? Sizes, then MD5s (fetched where the listing has none)
//! unless `--size-only`. Reports like rclone: one ERROR line per difference, then counts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use futures::StreamExt;
use ocisync_backend::{ErrorKind, ObjectInfo, Remote};
use tokio::sync::Semaphore;

use super::decide::{Compare, CompareOptions, Verdict};
use super::stats::Stats;
use super::sync::Stop;
use crate::filter::Filter;

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub size_only: bool,
    /// `--one-way`: don't report objects only on the destination.
    pub one_way: bool,
    pub filter: Filter,
    pub checkers: usize,
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

async fn listing(
    r: &Remote,
    filter: &Filter,
    stats: &Stats,
) -> Result<HashMap<Box<str>, ObjectInfo>, Stop> {
    let mut list = r.list(true).await.map_err(|e| {
        if e.kind == ErrorKind::DirNotFound {
            Stop::DirNotFound(e)
        } else {
            Stop::Failed(e)
        }
    })?;
    let mut out = HashMap::new();
    while let Some(item) = list.next().await {
        let obj = item.map_err(Stop::Failed)?;
        stats.listed.fetch_add(1, Relaxed);
        if filter.included(&obj.path, obj.size, obj.mtime) {
            out.insert(obj.path.clone(), obj);
        }
    }
    Ok(out)
}

pub async fn run(
    src: &Remote,
    dst: &Remote,
    o: &CheckOptions,
    stats: &Stats,
) -> Result<CheckReport, Stop> {
    let (s, mut d) = tokio::try_join!(
        listing(src, &o.filter, stats),
        listing(dst, &o.filter, stats)
    )?;
    let (differences, matching, no_hash) =
        (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let mut missing_on_dst = 0;
    let mut pairs = Vec::new();
    let mut src_sorted: Vec<ObjectInfo> = s.into_values().collect();
    src_sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for obj in src_sorted {
        match d.remove(&obj.path) {
            Some(other) => pairs.push((obj, other)),
            None => {
                missing_on_dst += 1;
                tracing::error!("{}: file not in {}", obj.path, dst.display());
            }
        }
    }
    let mut missing_on_src = 0;
    if !o.one_way {
        let mut rest: Vec<_> = d.into_keys().collect();
        rest.sort();
        for path in rest {
            missing_on_src += 1;
            tracing::error!("{path}: file not in {}", src.display());
        }
    }
    stats.checks_total.store(pairs.len() as u64, Relaxed);
    let opts = CompareOptions {
        mode: if o.size_only {
            Compare::SizeOnly
        } else {
            Compare::Checksum
        },
        ..Default::default()
    };
    let slots = Semaphore::new(o.checkers.max(1));
    futures::stream::iter(pairs)
        .for_each_concurrent(o.checkers.max(1), |(a, b)| {
            let (opts, slots, differences, matching, no_hash) =
                (&opts, &slots, &differences, &matching, &no_hash);
            async move {
                let _slot = slots.acquire().await;
                let path = a.path.clone();
                let verdict = super::sync::compare_pair(src, dst, a, b, opts, stats).await;
                stats.checks.fetch_add(1, Relaxed);
                match verdict {
                    Ok(Verdict::Same(_)) => {
                        matching.fetch_add(1, Relaxed);
                        tracing::debug!("{path}: OK");
                    }
                    Ok(Verdict::SameBySizeNoHash) => {
                        no_hash.fetch_add(1, Relaxed);
                        matching.fetch_add(1, Relaxed);
                    }
                    Ok(Verdict::Differ(why)) => {
                        differences.fetch_add(1, Relaxed);
                        tracing::error!("{path}: {why}");
                    }
                    Ok(other) => tracing::debug!("{path}: {other:?}"),
                    Err(e) => {
                        differences.fetch_add(1, Relaxed);
                        tracing::error!("{e}");
                        stats.error(e.to_string(), e.is_temporary());
                    }
                }
            }
        })
        .await;
    let report = CheckReport {
        differences: differences.load(Relaxed) + missing_on_dst + missing_on_src,
        missing_on_dst,
        missing_on_src,
        matching: matching.load(Relaxed),
        no_hash: no_hash.load(Relaxed),
    };
    let dn = dst.display();
    if report.missing_on_dst > 0 {
        tracing::warn!("{dn}: {} files missing", report.missing_on_dst);
    }
    if report.missing_on_src > 0 {
        tracing::warn!("{}: {} files missing", src.display(), report.missing_on_src);
    }
    if report.no_hash > 0 {
        tracing::warn!("{dn}: {} hashes could not be checked", report.no_hash);
    }
    tracing::warn!("{dn}: {} matching files", report.matching);
    if report.differences > 0 {
        tracing::warn!("{dn}: {} differences found", report.differences);
    } else {
        tracing::warn!("{dn}: 0 differences found");
    }
    Ok(report)
}
