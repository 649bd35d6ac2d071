//! From flags to options (ripgrep's low-level/high-level split): [`crate::cli`] holds what the
//! user typed; this module turns it into the typed option structs the engine and the
//! operations layer take, reporting mistakes clap cannot see (bad durations, sizes, patterns)
//! as usage errors (exit 2).

use std::path::PathBuf;
use std::time::Duration;

use ocisync_backend::{GlobalOptions, Size};

use crate::cli::{Flags, Parsed};
use crate::commands::run::Reporting;
use crate::engine::check::CheckOptions;
use crate::engine::decide::{Compare, CompareOptions};
use crate::engine::shard::Shard;
use crate::engine::sync::{Mode, RunOptions};
use crate::filter::Filter;
use crate::log::LogLevel;

pub mod rclone;

/// A mistake in the command line found after parsing (bad duration, bad pattern): exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn usage(msg: impl Into<String>) -> UsageError {
    UsageError(msg.into())
}

pub fn log_level(f: &Flags) -> Result<LogLevel, UsageError> {
    if let Some(l) = &f.log_level {
        return LogLevel::parse(l).ok_or_else(|| {
            usage(format!(
                "--log-level {l:?}: use DEBUG, INFO, NOTICE or ERROR"
            ))
        });
    }
    Ok(match (f.quiet, f.verbose) {
        (true, _) => LogLevel::Error,
        (false, 0) => LogLevel::Notice,
        (false, 1) => LogLevel::Info,
        (false, _) => LogLevel::Debug,
    })
}

pub fn duration(flag: &str, v: &str) -> Result<Duration, UsageError> {
    ocisync_backend::Duration::parse(v)
        .map(|d| d.0)
        .map_err(|e| usage(format!("--{flag}: {e}")))
}

pub fn size(flag: &str, v: &str) -> Result<u64, UsageError> {
    Size::parse(v)
        .map(|s| s.0)
        .map_err(|e| usage(format!("--{flag}: {e}")))
}

/// `--min-age`/`--max-age` take a duration before now or a date.
fn age_to_time(flag: &str, v: &str) -> Result<jiff::Timestamp, UsageError> {
    if let Ok(d) = ocisync_backend::Duration::parse(v) {
        let d = jiff::SignedDuration::try_from(d.0).map_err(|e| usage(format!("--{flag}: {e}")))?;
        return Ok(jiff::Timestamp::now() - d);
    }
    if let Ok(t) = v.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let civil = v
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| {
            v.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .map_err(|_| {
            usage(format!(
                "--{flag} {v:?}: expected a duration (1d2h) or a date (2006-01-02[T15:04:05])"
            ))
        })?;
    civil
        .to_zoned(jiff::tz::TimeZone::system())
        .map(|z| z.timestamp())
        .map_err(|e| usage(format!("--{flag}: {e}")))
}

pub fn build_filter(p: &Parsed) -> Result<Filter, UsageError> {
    let f = &p.cli.flags;
    let mut filter = Filter::default();
    for (action, pattern) in &p.filter_rules {
        filter
            .add(*action, pattern)
            .map_err(|e| usage(e.to_string()))?;
    }
    if let Some(v) = &f.min_age {
        filter.modified_before = Some(age_to_time("min-age", v)?);
    }
    if let Some(v) = &f.max_age {
        filter.modified_after = Some(age_to_time("max-age", v)?);
    }
    filter.min_size = f
        .min_size
        .as_deref()
        .map(|v| size("min-size", v))
        .transpose()?;
    filter.max_size = f
        .max_size
        .as_deref()
        .map(|v| size("max-size", v))
        .transpose()?;
    rclone::extend_filter(f, &mut filter)?;
    Ok(filter)
}

/// `--timeout`/`--contimeout`: 0 disables the timeout, as in rclone (the longest wait tokio
/// can schedule stands for "never").
fn timeout(flag: &str, v: &str) -> Result<Duration, UsageError> {
    let d = duration(flag, v)?;
    Ok(if d.is_zero() { Duration::MAX } else { d })
}

/// `--transfers` when not given (rclone's default), for objects that are not small.
pub const DEFAULT_TRANSFERS: usize = 4;

pub fn global_options(f: &Flags) -> Result<GlobalOptions, UsageError> {
    Ok(GlobalOptions {
        low_level_retries: f.low_level_retries.max(1),
        timeout: timeout("contimeout", &f.contimeout)?,
        io_timeout: timeout("timeout", &f.timeout)?,
        transfers: f.transfers.unwrap_or(DEFAULT_TRANSFERS).max(1),
        checkers: f.checkers.max(1),
    })
}

/// `sync`/`copy` options.
pub fn run_options(f: &Flags, mode: Mode, filter: Filter) -> Result<RunOptions, UsageError> {
    if f.checksum && f.size_only {
        return Err(usage("--checksum and --size-only cannot be used together"));
    }
    let compare = CompareOptions {
        mode: if f.size_only {
            Compare::SizeOnly
        } else if f.checksum {
            Compare::Checksum
        } else {
            Compare::ModTime
        },
        update: f.update,
        use_server_modtime: f.use_server_modtime,
        window: duration("modify-window", &f.modify_window)?,
    };
    Ok(RunOptions {
        mode,
        dry_run: f.dry_run,
        compare,
        transfers: f.transfers.unwrap_or(DEFAULT_TRANSFERS).max(1),
        // Not given: small objects may use more slots (engine::sync::AUTO_SMALL_TRANSFERS).
        small_transfers: f
            .transfers
            .map_or(crate::engine::sync::AUTO_SMALL_TRANSFERS, |n| n.max(1)),
        checkers: f.checkers.max(1),
        filter,
        max_delete: u64::try_from(f.max_delete).ok(),
        allow_empty_source: f.allow_empty_source,
        max_transfer: f
            .max_transfer
            .as_deref()
            .map(|v| size("max-transfer", v))
            .transpose()?,
        no_update_modtime: f.no_update_modtime,
        shard: f.shard,
        rules: rclone::rules(f, mode)?,
    })
}

/// `check` options.
pub fn check_options(f: &Flags, one_way: bool, filter: Filter) -> CheckOptions {
    CheckOptions {
        size_only: f.size_only,
        one_way,
        filter,
        checkers: f.checkers.max(1),
        shard: f.shard,
    }
}

/// `--shard K/N` (clap's value parser: a bad value is a usage error, exit 2).
pub fn parse_shard(v: &str) -> Result<Shard, String> {
    // clap names the value and the flag already.
    Shard::parse(v).map_err(|_| "expected K/N with 0 <= K < N (e.g. 0/3, 1/3, 2/3)".to_string())
}

/// How a transfer run reports itself while it runs.
pub fn reporting(f: &Flags) -> Result<Reporting, UsageError> {
    let every = duration("stats", &f.stats)?;
    Ok(Reporting {
        retries: f.retries,
        // As rclone: periodic stats show where --stats-log-level is shown (INFO: with -v).
        stats_every: (!every.is_zero() && (f.verbose > 0 || stats_shown_without_v(f)))
            .then_some(every),
        progress: f.progress,
        error_on_no_transfer: f.error_on_no_transfer,
    })
}

/// `--stats-log-level NOTICE` (or ERROR) shows the statistics at the default level.
fn stats_shown_without_v(f: &Flags) -> bool {
    LogLevel::parse(&f.io.stats_log_level).is_some_and(|l| l <= LogLevel::Notice)
}

/// What an unattended run does around the command: lock, report file, metrics, alerts.
#[derive(Debug, Clone)]
pub struct Unattended {
    pub lock_file: Option<PathBuf>,
    /// A lock held longer than this makes the skipped run a failure.
    pub lock_stale: Duration,
    pub report_json: Option<PathBuf>,
    pub metrics_file: Option<PathBuf>,
    /// `job` label of the metrics; derived from SRC and DST when not given.
    pub job_name: Option<String>,
    pub alerts: bool,
    pub log_file: Option<PathBuf>,
}

pub fn unattended(f: &Flags) -> Result<Unattended, UsageError> {
    Ok(Unattended {
        lock_file: f.lock_file.clone(),
        lock_stale: duration("lock-stale", &f.lock_stale)?,
        report_json: f.report_json.clone(),
        metrics_file: f.metrics_file.clone(),
        job_name: f.job_name.clone(),
        alerts: !f.no_alerts,
        log_file: f.log_file.clone(),
    })
}
