//! `sync`, `copy` and `check` as commands: whole-run retries (`--retries`), periodic stats
//! (`--stats`, `-P`) and the end-of-run summary. They return the engine's [`RunReport`]; the
//! exit code, run report file, metrics and alerts are made from it by the caller.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use ocisync_backend::Remote;

use crate::engine::check::{self, CheckOptions};
use crate::engine::report::{Command, RunReport, Stop};
use crate::engine::stats::Stats;
use crate::engine::sync::{self, RunOptions};

/// How the run reports itself.
pub struct Reporting {
    pub retries: u32,
    pub stats_every: Option<Duration>,
    pub progress: bool,
    pub error_on_no_transfer: bool,
}

/// Prints stats every `every` (at INFO, like rclone) and/or a live progress line on a terminal.
fn start_reporter(stats: Arc<Stats>, r: &Reporting) -> Option<tokio::task::JoinHandle<()>> {
    let progress = r.progress && std::io::stderr().is_terminal();
    let every = r.stats_every;
    if !progress && every.is_none() {
        return None;
    }
    Some(tokio::spawn(async move {
        let tick = if progress {
            Duration::from_millis(500)
        } else {
            every.unwrap_or(Duration::from_secs(60))
        };
        let mut since_stats = Duration::ZERO;
        loop {
            tokio::time::sleep(tick).await;
            since_stats += tick;
            if progress {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[K{}", stats.progress_line());
                let _ = err.flush();
            }
            if let Some(e) = every
                && since_stats >= e
            {
                since_stats = Duration::ZERO;
                stats.log_info();
            }
        }
    }))
}

fn stop_reporter(handle: Option<tokio::task::JoinHandle<()>>, progress: bool) {
    if let Some(h) = handle {
        h.abort();
        if progress && std::io::stderr().is_terminal() {
            eprint!("\r\x1b[K");
        }
    }
}

/// Runs a sync or copy with whole-run retries; returns the typed outcome (nothing is decided
/// about the exit code here).
pub async fn sync_or_copy(
    src: &Remote,
    dst: &Remote,
    o: &RunOptions,
    r: &Reporting,
    stats: Arc<Stats>,
) -> RunReport {
    let command = if o.mode == sync::Mode::Sync {
        Command::Sync
    } else if o.rules.move_source {
        Command::Move
    } else {
        Command::Copy
    };
    let mut report = RunReport::new(command, jiff::Timestamp::now());
    report.dry_run = o.dry_run;
    let reporter = start_reporter(stats.clone(), r);
    let attempts = r.retries.max(1);
    let mut outcome = Ok(());
    for attempt in 1..=attempts {
        report.attempts = attempt;
        stats.reset_errors();
        outcome = sync::run(src, dst, o, &stats).await;
        if let Err(stop) = &outcome {
            count_stop(&stats, stop);
        }
        // rclone's cmd.Run, line for line: success, then a fatal error, then errors retrying
        // cannot fix, each end the loop with their own line; only a retryable failure is
        // logged as a failed attempt (the last one too).
        let errors = stats.errors.load(Relaxed);
        // A stopped run (SIGTERM, --max-duration) starts no other attempt.
        if stats.stop_requested() {
            break;
        }
        if errors == 0 {
            if attempt > 1 {
                tracing::error!("Attempt {attempt}/{attempts} succeeded");
            }
            break;
        }
        if stats.is_fatal() {
            tracing::error!("Fatal error received - not attempting retries");
            break;
        }
        if !stats.is_retryable() {
            tracing::error!("Can't retry any of the errors - not attempting retries");
            break;
        }
        let last = stats.last_error().unwrap_or_default();
        tracing::error!("Attempt {attempt}/{attempts} failed with {errors} errors and: {last}");
    }
    stop_reporter(reporter, r.progress);
    report.stop = outcome.err();
    report.record(&stats);
    if report.counts.heads > 0 {
        tracing::info!(
            "{} objects needed a HEAD request (their listing could not answer)",
            report.counts.heads
        );
    }
    if report.transfers_decided == 0 && report.counts.errors == 0 && report.stop.is_none() {
        tracing::info!("There was nothing to transfer");
    }
    if o.dry_run || r.progress {
        stats.log_notice();
    } else {
        stats.log_info();
    }
    report
}

/// Counts the error a run stopped with, as rclone's `fs.CountError` counts the command's error
/// (once: `--max-transfer` counted its own when it hit the limit).
fn count_stop(stats: &Stats, stop: &Stop) {
    match stop {
        Stop::Fatal(m) => stats.fatal(m.clone()),
        Stop::TransferLimit(m) if !stats.is_fatal() => stats.fatal(m.clone()),
        Stop::TransferLimit(_) => {}
        // Retrying cannot make a missing root appear.
        Stop::DirNotFound(e) => stats.error(e.to_string(), false),
        Stop::Failed(e) => stats.error_of(e),
    }
}

/// Runs a check; returns the typed outcome.
pub async fn check(src: &Remote, dst: &Remote, o: &CheckOptions, stats: &Stats) -> RunReport {
    let mut report = RunReport::new(Command::Check, jiff::Timestamp::now());
    match check::run(src, dst, o, stats).await {
        Ok(c) => report.check = Some(c),
        Err(stop) => report.stop = Some(stop),
    }
    report.record(stats);
    report
}

/// Logs why the run failed, in rclone's words (nothing on success).
pub fn log_failure(report: &RunReport) {
    if let Some(line) = report.failure_line() {
        tracing::error!("{line}");
    }
}
