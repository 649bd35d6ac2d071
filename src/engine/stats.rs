//! Run counters, the end-of-run summary in rclone's layout, and the live progress line.

use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// How many error messages a run keeps for its report (the count is kept in full).
pub const FIRST_ERRORS: usize = 10;

/// Counters shared by every task of a run.
#[derive(Debug)]
pub struct Stats {
    start: Instant,
    /// Bytes moved so far, and bytes of the transfers decided on.
    pub bytes: AtomicU64,
    pub bytes_total: AtomicU64,
    pub transfers: AtomicU64,
    pub transfers_total: AtomicU64,
    pub checks: AtomicU64,
    pub checks_total: AtomicU64,
    /// Objects listed on each side (rclone's summary shows their sum as "Listed").
    pub listed_src: AtomicU64,
    pub listed_dst: AtomicU64,
    pub deletes: AtomicU64,
    pub deleted_bytes: AtomicU64,
    pub errors: AtomicU64,
    /// Per-object HEADs issued because a listing could not answer (count shown with -v).
    pub heads: AtomicU64,
    /// Objects whose modification time was updated in place.
    pub modtime_updates: AtomicU64,
    /// Objects skipped as unreadable (archived) or filtered.
    pub skipped: AtomicU64,
    last_error: Mutex<Option<String>>,
    /// The first [`FIRST_ERRORS`] error messages of the attempt, for the run report and alerts.
    first_errors: Mutex<Vec<String>>,
    fatal: Mutex<bool>,
    retryable: Mutex<bool>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            start: Instant::now(),
            bytes: AtomicU64::new(0),
            bytes_total: AtomicU64::new(0),
            transfers: AtomicU64::new(0),
            transfers_total: AtomicU64::new(0),
            checks: AtomicU64::new(0),
            checks_total: AtomicU64::new(0),
            listed_src: AtomicU64::new(0),
            listed_dst: AtomicU64::new(0),
            deletes: AtomicU64::new(0),
            deleted_bytes: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            heads: AtomicU64::new(0),
            modtime_updates: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            last_error: Mutex::new(None),
            first_errors: Mutex::new(Vec::new()),
            fatal: Mutex::new(false),
            retryable: Mutex::new(false),
        }
    }
}

impl Stats {
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Records a failed operation (already logged by the caller).
    pub fn error(&self, message: String, retryable: bool) {
        self.errors.fetch_add(1, Relaxed);
        {
            let mut first = self.first_errors.lock().unwrap_or_else(|p| p.into_inner());
            if first.len() < FIRST_ERRORS {
                first.push(message.clone());
            }
        }
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(message);
        if retryable {
            *self.retryable.lock().unwrap_or_else(|p| p.into_inner()) = true;
        }
    }

    pub fn fatal(&self, message: String) {
        self.error(message, false);
        *self.fatal.lock().unwrap_or_else(|p| p.into_inner()) = true;
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The first error messages (at most [`FIRST_ERRORS`]).
    pub fn first_errors(&self) -> Vec<String> {
        self.first_errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Forgets the errors of a failed attempt before the next one (`--retries`).
    pub fn reset_errors(&self) {
        self.errors.store(0, Relaxed);
        self.first_errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Objects listed on both sides.
    pub fn listed(&self) -> u64 {
        Self::get(&self.listed_src) + Self::get(&self.listed_dst)
    }

    pub fn is_fatal(&self) -> bool {
        *self.fatal.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_retryable(&self) -> bool {
        *self.retryable.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(c: &AtomicU64) -> u64 {
        c.load(Relaxed)
    }

    /// rclone's end-of-run block; lines with nothing to say are left out.
    pub fn summary(&self) -> String {
        let elapsed = self.elapsed().as_secs_f64();
        let bytes = Self::get(&self.bytes);
        let total = Self::get(&self.bytes_total).max(bytes);
        let rate = if elapsed > 0.0 {
            bytes as f64 / elapsed
        } else {
            0.0
        };
        let mut out = String::new();
        let pct = |a: u64, b: u64| (a * 100).checked_div(b).map_or(100, |p| p.min(100));
        let _ = writeln!(
            out,
            "Transferred:   \t{:>15} / {}, {}%, {}/s, ETA {}",
            human_bytes(bytes),
            human_bytes(total),
            pct(bytes, total),
            human_bytes(rate as u64),
            eta(bytes, total, rate)
        );
        let errors = Self::get(&self.errors);
        if errors > 0 {
            let why = if self.is_fatal() {
                "fatal error encountered"
            } else if self.is_retryable() {
                "retrying may help"
            } else {
                "no need to retry"
            };
            let _ = writeln!(out, "Errors:        {errors:>10} ({why})");
        }
        let (checks, checks_total, listed) = (
            Self::get(&self.checks),
            Self::get(&self.checks_total),
            self.listed(),
        );
        if checks_total > 0 || listed > 0 {
            let _ = writeln!(
                out,
                "Checks:        {checks:>10} / {}, {}%, Listed {listed}",
                checks_total.max(checks),
                pct(checks, checks_total.max(checks))
            );
        }
        let deletes = Self::get(&self.deletes);
        if deletes > 0 {
            let _ = writeln!(
                out,
                "Deleted:       {deletes:>10} (files), 0 (dirs), {} (freed)",
                human_bytes(Self::get(&self.deleted_bytes))
            );
        }
        let (t, tt) = (Self::get(&self.transfers), Self::get(&self.transfers_total));
        if tt > 0 || t > 0 {
            let _ = writeln!(
                out,
                "Transferred:   {t:>10} / {}, {}%",
                tt.max(t),
                pct(t, tt.max(t))
            );
        }
        let _ = write!(out, "Elapsed time:  {:>10.1}s", elapsed);
        out
    }

    /// One line for `-P`: bytes, rate, ETA and files.
    pub fn progress_line(&self) -> String {
        let elapsed = self.elapsed().as_secs_f64();
        let bytes = Self::get(&self.bytes);
        let total = Self::get(&self.bytes_total).max(bytes);
        let rate = if elapsed > 0.0 {
            bytes as f64 / elapsed
        } else {
            0.0
        };
        format!(
            "Transferred: {} / {}, {}/s, ETA {} | files {} / {} | checks {} | errors {} | {:.0}s",
            human_bytes(bytes),
            human_bytes(total),
            human_bytes(rate as u64),
            eta(bytes, total, rate),
            Self::get(&self.transfers),
            Self::get(&self.transfers_total),
            Self::get(&self.checks),
            Self::get(&self.errors),
            elapsed
        )
    }
}

fn eta(done: u64, total: u64, rate: f64) -> String {
    if done >= total {
        return "0s".into();
    }
    if rate <= 0.0 {
        return "-".into();
    }
    let secs = ((total - done) as f64 / rate).round() as u64;
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{}s", s / 60, s % 60),
        s => format!("{}h{}m", s / 3600, (s % 3600) / 60),
    }
}

/// `1014 B`, `1.500 KiB`, `200 MiB` as rclone prints sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[i])
    } else {
        format!("{v:.3} {}", UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_has_rclone_lines() {
        let s = Stats::default();
        s.bytes.store(1014, Relaxed);
        s.bytes_total.store(1014, Relaxed);
        s.transfers.store(3, Relaxed);
        s.transfers_total.store(3, Relaxed);
        s.checks.store(1, Relaxed);
        s.checks_total.store(1, Relaxed);
        s.listed_src.store(3, Relaxed);
        s.listed_dst.store(2, Relaxed);
        s.deletes.store(1, Relaxed);
        s.deleted_bytes.store(4, Relaxed);
        let text = s.summary();
        assert!(text.contains("1014 B / 1014 B, 100%"), "{text}");
        assert!(
            text.contains("Checks:                 1 / 1, 100%, Listed 5"),
            "{text}"
        );
        assert!(
            text.contains("Deleted:                1 (files), 0 (dirs), 4 B (freed)"),
            "{text}"
        );
        assert!(
            text.contains("Transferred:            3 / 3, 100%"),
            "{text}"
        );
        assert!(!text.contains("Errors"));
        s.error("boom".into(), true);
        assert!(
            s.summary()
                .contains("Errors:                 1 (retrying may help)")
        );
    }

    #[test]
    fn sizes_print_like_rclone() {
        assert_eq!(human_bytes(1014), "1014 B");
        assert_eq!(human_bytes(200 << 20), "200 MiB");
        assert_eq!(human_bytes(1536), "1.500 KiB");
    }
}
