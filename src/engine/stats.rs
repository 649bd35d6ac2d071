//! Run counters, the end-of-run summary in rclone's layout, and the live progress line.

use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
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
    /// Things that are not errors but need a look (an empty source), for the run report.
    warnings: Mutex<Vec<String>>,
    fatal: Mutex<bool>,
    retryable: Mutex<bool>,
    /// An error was a refusal retrying cannot fix (credentials, permissions): rclone's exit 6.
    refused: AtomicBool,
    /// A signal or `--max-duration` asked the run to stop: start nothing new, abort uploads in
    /// flight.
    stopping: AtomicBool,
    stop: tokio::sync::Notify,
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
            warnings: Mutex::new(Vec::new()),
            fatal: Mutex::new(false),
            retryable: Mutex::new(false),
            refused: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            stop: tokio::sync::Notify::new(),
        }
    }
}

impl Stats {
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Asks every task of the run to stop: transfers in flight abort their uploads (nothing
    /// half-written is committed), nothing new starts, nothing is deleted.
    pub fn request_stop(&self) {
        self.stopping.store(true, Relaxed);
        self.stop.notify_waiters();
    }

    pub fn stop_requested(&self) -> bool {
        self.stopping.load(Relaxed)
    }

    /// Resolves once [`request_stop`](Self::request_stop) was called.
    pub async fn stopped(&self) {
        loop {
            // Created before the flag is read, so a stop in between still wakes it.
            let woken = self.stop.notified();
            if self.stop_requested() {
                return;
            }
            woken.await;
        }
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

    /// Records a failed operation's error (already logged by the caller): retryable when it is
    /// temporary; a refusal (credentials, permissions) is remembered for the exit code.
    pub fn error_of(&self, e: &ocisync_backend::Error) {
        use ocisync_backend::ErrorKind as K;
        if matches!(e.kind, K::Auth | K::PermissionDenied) {
            self.refused.store(true, Relaxed);
        }
        self.error(e.to_string(), e.is_temporary());
    }

    /// Some error of the attempt was a refusal retrying cannot fix (rclone's exit 6).
    pub fn is_refused(&self) -> bool {
        self.refused.load(Relaxed)
    }

    /// Records a warning (already logged by the caller) for the run report.
    pub fn warning(&self, message: String) {
        let mut w = self.warnings.lock().unwrap_or_else(|p| p.into_inner());
        if w.len() < FIRST_ERRORS && !w.contains(&message) {
            w.push(message);
        }
    }

    /// The warnings of the attempt.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        // As rclone's ResetErrors: the next attempt's retry decision is its own.
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.fatal.lock().unwrap_or_else(|p| p.into_inner()) = false;
        *self.retryable.lock().unwrap_or_else(|p| p.into_inner()) = false;
        self.refused.store(false, Relaxed);
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

    /// rclone's end-of-run block (accounting/stats.go `String`), byte for byte: it starts with a
    /// line break, every line ends with one, and lines with nothing to say are left out.
    pub fn summary(&self) -> String {
        let elapsed = self.elapsed();
        let secs = elapsed.as_secs_f64();
        let bytes = Self::get(&self.bytes);
        let total = Self::get(&self.bytes_total).max(bytes);
        let rate = if secs > 0.0 { bytes as f64 / secs } else { 0.0 };
        let mut out = String::new();
        let style = super::stats_style::style();
        let speed = if style.bits {
            super::stats_style::bit_rate(rate as u64)
        } else {
            format!("{}/s", human_bytes(rate as u64))
        };
        if style.one_line {
            // --stats-one-line: rclone's one line, dated with --stats-one-line-date.
            let date = style
                .date_format
                .as_deref()
                .map(|f| jiff::Zoned::now().strftime(f).to_string())
                .unwrap_or_default();
            let _ = write!(
                out,
                "{date}{:>13} / {}, {}, {speed}, ETA {}",
                human_bytes(bytes),
                human_bytes(total),
                percent(bytes, total),
                eta(bytes, total, rate)
            );
            return out;
        }
        let _ = writeln!(
            out,
            "\nTransferred:   \t{:>13} / {}, {}, {speed}, ETA {}",
            human_bytes(bytes),
            human_bytes(total),
            percent(bytes, total),
            eta(bytes, total, rate)
        );
        let errors = Self::get(&self.errors);
        if errors > 0 {
            let why = if self.is_fatal() {
                " (fatal error encountered)"
            } else if self.is_retryable() {
                " (retrying may help)"
            } else {
                " (no need to retry)"
            };
            let _ = writeln!(out, "Errors:        {errors:>10}{why}");
        }
        let (checks, listed) = (Self::get(&self.checks), self.listed());
        let checks_total = Self::get(&self.checks_total).max(checks);
        if checks != 0 || checks_total != 0 || listed != 0 {
            let _ = writeln!(
                out,
                "Checks:        {checks:>10} / {checks_total}, {}, Listed {listed}",
                percent(checks, checks_total)
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
        let t = Self::get(&self.transfers);
        let tt = Self::get(&self.transfers_total).max(t);
        if t != 0 || tt != 0 {
            let _ = writeln!(out, "Transferred:   {t:>10} / {tt}, {}", percent(t, tt));
        }
        let _ = writeln!(out, "Elapsed time:  {:>10}s", elapsed_string(elapsed));
        out
    }

    /// The statistics as rclone's JSON log carries them (`RemoteStats`: keys sorted as Go
    /// sorts a map's).
    pub fn json(&self) -> serde_json::Value {
        let secs = self.elapsed().as_secs_f64();
        let bytes = Self::get(&self.bytes);
        let total = Self::get(&self.bytes_total).max(bytes);
        let speed = if secs > 0.0 { bytes as f64 / secs } else { 0.0 };
        let errors = Self::get(&self.errors);
        let checks = Self::get(&self.checks);
        let transfers = Self::get(&self.transfers);
        let mut v = serde_json::json!({
            "bytes": bytes,
            "checks": checks,
            "deletedDirs": 0,
            "deletes": Self::get(&self.deletes),
            "elapsedTime": secs,
            "errors": errors,
            "eta": eta_seconds(bytes, total, speed),
            "fatalError": self.is_fatal(),
            "listed": self.listed(),
            "renames": 0,
            "retryError": self.is_retryable(),
            "serverSideCopies": 0,
            "serverSideCopyBytes": 0,
            "serverSideMoveBytes": 0,
            "serverSideMoves": 0,
            "speed": speed,
            "totalBytes": total,
            "totalChecks": Self::get(&self.checks_total).max(checks),
            "totalTransfers": Self::get(&self.transfers_total).max(transfers),
            "transferTime": secs,
            "transfers": transfers,
        });
        if errors > 0
            && let Some(last) = self.last_error()
        {
            v["lastError"] = last.into();
        }
        v
    }

    /// Logs the end-of-run block at INFO, as rclone's `Stats.Log` (structured under `stats` in
    /// JSON logs).
    pub fn log_info(&self) {
        // --stats-log-level decides where the block goes.
        match super::stats_style::style().level {
            crate::log::LogLevel::Info => {
                tracing::info!(stats = %self.json(), "{}\n", self.summary())
            }
            crate::log::LogLevel::Debug => {
                tracing::debug!(stats = %self.json(), "{}\n", self.summary())
            }
            crate::log::LogLevel::Notice => self.log_notice(),
            crate::log::LogLevel::Error => {
                tracing::error!(stats = %self.json(), "{}\n", self.summary())
            }
        }
    }

    /// The same at NOTICE (dry runs and `--progress` show it without `-v`).
    pub fn log_notice(&self) {
        tracing::warn!(stats = %self.json(), "{}\n", self.summary());
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

/// rclone's `percent`: `-` when there is no total, else rounded.
fn percent(a: u64, b: u64) -> String {
    if b == 0 {
        return "-".into();
    }
    format!("{}%", (a as f64 * 100.0 / b as f64 + 0.5) as u64)
}

/// Seconds left, or `None` (rclone's `eta`: no total or no rate yet).
fn eta_seconds(done: u64, total: u64, rate: f64) -> Option<u64> {
    if total == 0 || rate <= 0.0 || done > total {
        return None;
    }
    Some(((total - done) as f64 / rate) as u64)
}

/// rclone's `etaString`: `-`, or the time left in at most three units (`1h2m5s`).
fn eta(done: u64, total: u64, rate: f64) -> String {
    match eta_seconds(done, total, rate) {
        None => "-".into(),
        Some(secs) => readable(Duration::from_secs(secs), 3),
    }
}

/// rclone's `Duration.readableString`: `0s`, or non-zero units from years to milliseconds.
fn readable(d: Duration, max_units: usize) -> String {
    if d.is_zero() {
        return "0s".into();
    }
    let total_ms = d.as_millis() as u64;
    let days_total = d.as_secs() / 86_400;
    let years = days_total / 365;
    let left_year_days = days_total % 365;
    let weeks = if left_year_days == 364 {
        52
    } else {
        left_year_days / 7
    };
    let days = left_year_days % 7;
    let hours = (d.as_secs() / 3600) % 24;
    let minutes = (d.as_secs() / 60) % 60;
    let seconds = d.as_secs() % 60;
    let ms = total_ms
        - seconds * 1000
        - minutes * 60_000
        - hours * 3_600_000
        - days * 86_400_000
        - weeks * 604_800_000
        - years * 31_536_000_000;
    let mut out = String::new();
    let mut units = 0;
    for (v, u) in [
        (years, "y"),
        (weeks, "w"),
        (days, "d"),
        (hours, "h"),
        (minutes, "m"),
        (seconds, "s"),
        (ms, "ms"),
    ] {
        if v == 0 {
            continue;
        }
        let _ = write!(out, "{v}{u}");
        units += 1;
        if max_units > 0 && units >= max_units {
            break;
        }
    }
    out
}

/// rclone's elapsed time: whole minutes and above readable (`1h2m`), then seconds with one
/// decimal (`1h2m5.3`, `0.0`); the caller adds the final `s`.
fn elapsed_string(elapsed: Duration) -> String {
    let whole_minutes = Duration::from_secs(elapsed.as_secs() / 60 * 60);
    let head = readable(whole_minutes, 0);
    let head = head.trim_end_matches(['0', 's']);
    let tenths = elapsed.as_millis() / 100 % 600;
    format!("{head}{:.1}", tenths as f64 / 10.0)
}

/// rclone's `SizeSuffix` as `--dry-run` lines print it: `4`, `292.969Ki`, `1Mi`.
pub fn size_suffix(n: u64) -> String {
    let unit = human_bytes(n);
    match unit.strip_suffix(" B") {
        Some(plain) => plain.to_string(),
        None => unit.replacen(' ', "", 1).trim_end_matches('B').to_string(),
    }
}

/// `1014 B`, `1.500 KiB`, `200 MiB` as rclone prints sizes (`SizeSuffix.ByteUnit`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
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
    fn an_empty_run_prints_rclones_block() {
        // rclone 1.75.2, `rclone sync empty/ dst/` with nothing anywhere: dashes, not 100%.
        let s = Stats::default();
        s.listed_dst.store(6, Relaxed);
        let text = s.summary();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "");
        assert_eq!(
            lines[1],
            "Transferred:   \t          0 B / 0 B, -, 0 B/s, ETA -"
        );
        assert_eq!(lines[2], "Checks:                 0 / 0, -, Listed 6");
        assert!(lines[3].starts_with("Elapsed time:         0."), "{text}");
        assert!(text.ends_with("s\n"));
        s.fatal("max transfer limit reached as set by --max-transfer".into());
        assert!(
            s.summary()
                .contains("\nErrors:                 1 (fatal error encountered)\n")
        );
        let json = s.json();
        assert_eq!(json["errors"], 1);
        assert_eq!(json["fatalError"], true);
        assert_eq!(json["eta"], serde_json::Value::Null);
        assert_eq!(
            json["lastError"],
            "max transfer limit reached as set by --max-transfer"
        );
    }

    #[test]
    fn durations_read_like_rclone() {
        assert_eq!(elapsed_string(Duration::from_millis(40)), "0.0");
        assert_eq!(elapsed_string(Duration::from_millis(65_340)), "1m5.3");
        assert_eq!(elapsed_string(Duration::from_secs(3600)), "1h0.0");
        assert_eq!(elapsed_string(Duration::from_secs(600)), "10m0.0");
        assert_eq!(readable(Duration::from_secs(3725), 3), "1h2m5s");
        assert_eq!(eta(0, 100, 0.0), "-");
        assert_eq!(eta(100, 100, 5.0), "0s");
        assert_eq!(eta(0, 100, 1.0), "1m40s");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(2, 3), "67%");
        assert_eq!(percent(0, 0), "-");
    }

    #[test]
    fn sizes_print_like_rclone() {
        assert_eq!(size_suffix(4), "4");
        assert_eq!(size_suffix(300_000), "292.969Ki");
        assert_eq!(size_suffix(1 << 20), "1Mi");
        assert_eq!(human_bytes(1014), "1014 B");
        assert_eq!(human_bytes(200 << 20), "200 MiB");
        assert_eq!(human_bytes(1536), "1.500 KiB");
    }
}
