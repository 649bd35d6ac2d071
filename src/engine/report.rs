//! The outcome of a `sync`, `copy` or `check` run as a typed value: what was counted, why the
//! run stopped early (if it did), and the exit code that follows. The command-line layer turns
//! it into log lines, the JSON run report, metrics and alerts; nothing here prints.

use std::sync::atomic::Ordering::Relaxed;

use jiff::Timestamp;
use ocisync_backend::Error;

use super::check::CheckReport;
use super::stats::Stats;
use crate::exitcode;

/// Why a run stopped before its end (besides per-object errors counted in [`Stats`]).
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    /// The source root (or destination bucket) does not exist: rclone exit 3.
    #[error("{0}")]
    DirNotFound(Error),
    /// A deliberate stop: `--max-delete` exceeded, empty source: rclone exit 7.
    #[error("{0}")]
    Fatal(String),
    /// `--max-transfer` reached: rclone exit 8.
    #[error("{0}")]
    TransferLimit(String),
    /// Listing failed outright.
    #[error("{0}")]
    Failed(Error),
}

/// Which command ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Sync,
    Copy,
    /// A copy that deletes each source object once its copy is proven.
    Move,
    Check,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Sync => "sync",
            Command::Copy => "copy",
            Command::Move => "move",
            Command::Check => "check",
        }
    }
}

/// The counters of the last attempt, read once at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub listed_src: u64,
    pub listed_dst: u64,
    /// Pairs compared.
    pub checked: u64,
    pub transferred: u64,
    pub transferred_bytes: u64,
    pub deleted: u64,
    pub deleted_bytes: u64,
    pub errors: u64,
    /// Per-object HEADs a listing could not spare.
    pub heads: u64,
    /// Objects skipped as unreadable (archived).
    pub skipped: u64,
    pub modtime_updates: u64,
}

impl Counts {
    pub fn read(stats: &Stats) -> Counts {
        Counts {
            listed_src: stats.listed_src.load(Relaxed),
            listed_dst: stats.listed_dst.load(Relaxed),
            checked: stats.checks.load(Relaxed),
            transferred: stats.transfers.load(Relaxed),
            transferred_bytes: stats.bytes.load(Relaxed),
            deleted: stats.deletes.load(Relaxed),
            deleted_bytes: stats.deleted_bytes.load(Relaxed),
            errors: stats.errors.load(Relaxed),
            heads: stats.heads.load(Relaxed),
            skipped: stats.skipped.load(Relaxed),
            modtime_updates: stats.modtime_updates.load(Relaxed),
        }
    }
}

/// Everything a finished run knows about itself.
#[derive(Debug)]
pub struct RunReport {
    pub command: Command,
    pub dry_run: bool,
    pub started: Timestamp,
    pub finished: Timestamp,
    /// Why the last attempt stopped early, if it did.
    pub stop: Option<Stop>,
    /// Attempts made (`--retries`); more than one means the earlier ones failed.
    pub attempts: u32,
    pub counts: Counts,
    /// The first error messages of the last attempt.
    pub first_errors: Vec<String>,
    /// What is not an error but needs a look (an empty source), from the last attempt.
    pub warnings: Vec<String>,
    /// The most recent error message (rclone's "last error was").
    pub last_error: Option<String>,
    /// Whether a retry could help (rclone exit 5 rather than 1).
    pub retryable: bool,
    /// An error was a refusal retrying cannot fix: credentials, permissions (rclone exit 6).
    pub refused: bool,
    /// Transfers decided on (including failed ones), for "nothing to transfer".
    pub transfers_decided: u64,
    /// `check` only: what differed.
    pub check: Option<CheckReport>,
}

impl RunReport {
    pub fn new(command: Command, started: Timestamp) -> RunReport {
        RunReport {
            command,
            dry_run: false,
            started,
            finished: started,
            stop: None,
            attempts: 1,
            counts: Counts::default(),
            first_errors: Vec::new(),
            warnings: Vec::new(),
            last_error: None,
            retryable: false,
            refused: false,
            transfers_decided: 0,
            check: None,
        }
    }

    /// Fills the counters from the last attempt's stats.
    pub fn record(&mut self, stats: &Stats) {
        self.counts = Counts::read(stats);
        self.first_errors = stats.first_errors();
        self.warnings = stats.warnings();
        self.last_error = stats.last_error();
        self.retryable = stats.is_retryable();
        self.refused = stats.is_refused();
        self.transfers_decided = stats.transfers_total.load(Relaxed);
        self.finished = Timestamp::now();
    }

    pub fn duration_seconds(&self) -> f64 {
        (self.finished - self.started)
            .total(jiff::Unit::Second)
            .unwrap_or(0.0)
            .max(0.0)
    }

    /// The run ended with a failure of any kind.
    pub fn failed(&self) -> bool {
        self.stop.is_some()
            || self.counts.errors > 0
            || self.check.as_ref().is_some_and(|c| !c.ok())
    }

    /// A successful run that changed the destination (copied, deleted or fixed a time).
    pub fn changed(&self) -> bool {
        !self.dry_run
            && !self.failed()
            && (self.counts.transferred > 0
                || self.counts.deleted > 0
                || self.counts.modtime_updates > 0)
    }

    /// rclone's exit code for this outcome.
    pub fn exit_code(&self, error_on_no_transfer: bool) -> u8 {
        match &self.stop {
            Some(Stop::DirNotFound(_)) => return exitcode::DIR_NOT_FOUND,
            Some(Stop::Fatal(_)) => return exitcode::FATAL,
            Some(Stop::TransferLimit(_)) => return exitcode::TRANSFER_EXCEEDED,
            // rclone's check says 1 for any failure to compare.
            Some(Stop::Failed(_)) if self.command == Command::Check => {
                return exitcode::UNCATEGORIZED;
            }
            Some(Stop::Failed(e)) => return exitcode::for_kind(e.kind),
            None => {}
        }
        if let Some(c) = &self.check {
            return if c.ok() {
                exitcode::SUCCESS
            } else {
                exitcode::UNCATEGORIZED
            };
        }
        if self.counts.errors > 0 {
            return if self.retryable {
                exitcode::RETRY
            } else if self.refused {
                exitcode::NO_RETRY
            } else {
                exitcode::UNCATEGORIZED
            };
        }
        if error_on_no_transfer && self.counts.transferred == 0 {
            return exitcode::NO_FILES_TRANSFERRED;
        }
        exitcode::SUCCESS
    }

    /// The line that says why the run failed, in rclone's words (cmd.Run's last line): `Failed
    /// to sync: ERR` when the run counted at most one error, `Failed to sync with N errors: last
    /// error was: ERR` otherwise — ERR being the error the run stopped with, else the last one.
    /// `None` on success.
    pub fn failure_line(&self) -> Option<String> {
        let verb = self.command.name();
        let (errors, err) = match (&self.stop, &self.check) {
            (Some(stop), _) => (self.counts.errors, stop.to_string()),
            // rclone's check counts each difference as an error and ends with "N differences
            // found", already counted.
            (None, Some(c)) if !c.ok() => (
                self.counts.errors.max(c.differences),
                format!("{} differences found", c.differences),
            ),
            (None, _) if self.counts.errors > 0 => (
                self.counts.errors,
                self.last_error.clone().unwrap_or_default(),
            ),
            _ => return None,
        };
        Some(if errors <= 1 {
            format!("Failed to {verb}: {err}")
        } else {
            format!("Failed to {verb} with {errors} errors: last error was: {err}")
        })
    }
}
