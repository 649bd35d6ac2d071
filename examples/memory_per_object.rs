//! Measures what the sync engine holds per listed destination object: fills the same
//! [`Index`](ocisync::engine::index::Index) a sync fills, for N cost-report-shaped names, and
//! prints the resident memory it took.
//!
//!     cargo run --release --example memory_per_object -- 1000000

use ocisync::engine::index::Index;
use ocisync_backend::{Md5, ObjectInfo};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let before = rss_bytes();
    let mut index = Index::default();
    for i in 0..n {
        // Shaped like `reports/cost-csv/0001000000670898-00001.csv.gz` (45 bytes).
        let path = format!("reports/cost-csv/{:016}-00001.csv.gz", 1_000_000_000 + i);
        let mut o = ObjectInfo::file(path.as_str(), 40_000 + i as u64);
        o.mtime = jiff::Timestamp::from_second(1_764_000_000 + i as i64).ok();
        o.md5 = Some(Md5::of(path.as_bytes()));
        index.push(&o);
    }
    index.finish();
    let after = rss_bytes();
    println!(
        "{n} objects (45-byte names): {:.1} MiB resident for the destination index, {:.0} bytes per object",
        (after - before) as f64 / (1 << 20) as f64,
        (after - before) as f64 / n as f64
    );
    std::hint::black_box(&index);
}
