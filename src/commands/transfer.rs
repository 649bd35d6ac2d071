//! `sync`, `copy` and `check`: whole-run retries (`--retries`), periodic stats (`--stats`,
//! `-P`), the end-of-run summary and the exit code.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use ocisync_backend::Remote;

use crate::engine::check::{self, CheckOptions};
use crate::engine::stats::Stats;
use crate::engine::sync::{self, RunOptions, Stop};
use crate::exitcode;

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
                tracing::info!("\n{}", stats.summary());
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

pub async fn sync_or_copy(src: &Remote, dst: &Remote, o: &RunOptions, r: &Reporting) -> u8 {
    let verb = if o.mode == sync::Mode::Sync {
        "sync"
    } else {
        "copy"
    };
    let stats = Arc::new(Stats::default());
    let reporter = start_reporter(stats.clone(), r);
    let attempts = r.retries.max(1);
    let mut outcome = Ok(());
    for attempt in 1..=attempts {
        stats.errors.store(0, Relaxed);
        outcome = sync::run(src, dst, o, &stats).await;
        let errors = stats.errors.load(Relaxed);
        let retryable = match &outcome {
            Ok(()) => errors > 0,
            Err(Stop::Failed(_)) => true,
            Err(_) => false,
        };
        if !retryable || attempt == attempts {
            break;
        }
        let last = match &outcome {
            Err(e) => e.to_string(),
            Ok(()) => stats.last_error().unwrap_or_default(),
        };
        tracing::error!("Attempt {attempt}/{attempts} failed with {errors} errors and: {last}");
    }
    stop_reporter(reporter, r.progress);
    if stats.heads.load(Relaxed) > 0 {
        tracing::info!(
            "{} objects needed a HEAD request (their listing could not answer)",
            stats.heads.load(Relaxed)
        );
    }
    if stats.transfers_total.load(Relaxed) == 0
        && stats.errors.load(Relaxed) == 0
        && outcome.is_ok()
    {
        tracing::info!("There was nothing to transfer");
    }
    if o.dry_run || r.progress {
        tracing::warn!("\n{}", stats.summary());
    } else {
        tracing::info!("\n{}", stats.summary());
    }
    let errors = stats.errors.load(Relaxed);
    match outcome {
        Err(Stop::DirNotFound(e)) => {
            tracing::error!("Failed to {verb}: directory not found: {e}");
            exitcode::DIR_NOT_FOUND
        }
        Err(Stop::Fatal(m)) => {
            tracing::error!("Failed to {verb}: fatal error encountered: {m}");
            exitcode::FATAL
        }
        Err(Stop::TransferLimit(m)) => {
            tracing::error!("Failed to {verb}: {m}");
            exitcode::TRANSFER_EXCEEDED
        }
        Err(Stop::Failed(e)) => {
            tracing::error!("Failed to {verb}: {e}");
            exitcode::for_kind(e.kind)
        }
        Ok(()) if errors > 0 => {
            let last = stats.last_error().unwrap_or_default();
            tracing::error!("Failed to {verb} with {errors} errors: last error was: {last}");
            if stats.is_retryable() {
                exitcode::RETRY
            } else {
                exitcode::UNCATEGORIZED
            }
        }
        Ok(()) if r.error_on_no_transfer && stats.transfers.load(Relaxed) == 0 => {
            exitcode::NO_FILES_TRANSFERRED
        }
        Ok(()) => exitcode::SUCCESS,
    }
}

pub async fn check(src: &Remote, dst: &Remote, o: &CheckOptions) -> u8 {
    let stats = Stats::default();
    match check::run(src, dst, o, &stats).await {
        Ok(report) if report.ok() => exitcode::SUCCESS,
        Ok(report) => {
            tracing::error!("Failed to check: {} differences found", report.differences);
            exitcode::UNCATEGORIZED
        }
        Err(Stop::DirNotFound(e)) => {
            tracing::error!("Failed to check: directory not found: {e}");
            exitcode::DIR_NOT_FOUND
        }
        Err(e) => {
            tracing::error!("Failed to check: {e}");
            exitcode::UNCATEGORIZED
        }
    }
}
