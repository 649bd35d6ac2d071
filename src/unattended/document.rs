//! The run report as a JSON document: what `--report-json` writes and what webhook and command
//! alert sinks receive. Its fields are a public interface (documented in docs/operations.md);
//! add fields, never rename or remove them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::report::RunReport;
use crate::exitcode;

/// How a run ended, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunResult {
    /// Succeeded and changed something (or checked equal).
    Ok,
    /// Succeeded with nothing to copy or delete.
    NothingToTransfer,
    Failed,
    /// Not run: another run held the lock.
    Skipped,
}

/// Requests made, by remote name and operation (`list`, `get`, `head`, `put`, ...).
pub type RequestCounts = BTreeMap<String, BTreeMap<String, u64>>;

/// One run, as written to `--report-json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunDocument {
    pub version: String,
    pub command: String,
    pub src: String,
    pub dst: String,
    pub host: String,
    /// The `job` label of the metrics.
    pub job: String,
    /// RFC 3339.
    pub started: String,
    pub finished: String,
    pub duration_seconds: f64,
    pub exit_code: u8,
    /// What the exit code means, in rclone's words.
    pub exit_meaning: String,
    pub result: RunResult,
    pub dry_run: bool,
    pub listed_src: u64,
    pub listed_dst: u64,
    pub checked: u64,
    pub transferred: u64,
    pub transferred_bytes: u64,
    pub deleted: u64,
    pub deleted_bytes: u64,
    pub errors: u64,
    /// Whole-run retries made (`--retries`): attempts beyond the first.
    pub retries: u32,
    /// `check` only: objects that differ or are missing on one side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub differences: Option<u64>,
    pub requests: RequestCounts,
    /// At most ten error messages, first first.
    pub first_errors: Vec<String>,
    /// What is not an error but needs a look, e.g. a source that lists no objects (a
    /// mistyped prefix exits 0, as in rclone).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Where the full log is, when `--log-file` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_file: Option<String>,
    /// `--shard K/N`: the part of the job this run did, e.g. `"1/3"` (absent when unsharded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// Where and as what the run ran; everything a report needs besides the engine's outcome.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub command: String,
    pub src: String,
    pub dst: String,
    pub host: String,
    pub job: String,
    pub log_file: Option<String>,
    /// `--shard K/N`, when given.
    pub shard: Option<crate::engine::shard::Shard>,
}

impl RunDocument {
    /// The document for a finished run.
    pub fn from_report(
        report: &RunReport,
        exit_code: u8,
        ctx: &RunContext,
        requests: RequestCounts,
    ) -> RunDocument {
        let c = &report.counts;
        let result = if report.failed()
            || (exit_code != exitcode::SUCCESS && exit_code != exitcode::NO_FILES_TRANSFERRED)
        {
            RunResult::Failed
        } else if report.check.is_none() && c.transferred == 0 && c.deleted == 0 {
            RunResult::NothingToTransfer
        } else {
            RunResult::Ok
        };
        let mut first_errors = report.first_errors.clone();
        if first_errors.is_empty()
            && let Some(line) = report.failure_line()
        {
            first_errors.push(line);
        }
        RunDocument {
            version: env!("CARGO_PKG_VERSION").to_string(),
            command: ctx.command.clone(),
            src: ctx.src.clone(),
            dst: ctx.dst.clone(),
            host: ctx.host.clone(),
            job: ctx.job.clone(),
            started: report.started.to_string(),
            finished: report.finished.to_string(),
            duration_seconds: round_ms(report.duration_seconds()),
            exit_code,
            exit_meaning: exitcode::meaning(exit_code).to_string(),
            result,
            dry_run: report.dry_run,
            listed_src: c.listed_src,
            listed_dst: c.listed_dst,
            checked: c.checked,
            transferred: c.transferred,
            transferred_bytes: c.transferred_bytes,
            deleted: c.deleted,
            deleted_bytes: c.deleted_bytes,
            errors: c.errors,
            retries: report.attempts.saturating_sub(1),
            differences: report.check.as_ref().map(|c| c.differences),
            requests,
            first_errors,
            warnings: report.warnings.clone(),
            log_file: ctx.log_file.clone(),
            shard: ctx.shard.map(|s| s.to_string()),
        }
    }

    /// The document for a run that did not happen (lock held, or refused before starting).
    pub fn not_run(
        ctx: &RunContext,
        result: RunResult,
        exit_code: u8,
        started: jiff::Timestamp,
        why: String,
    ) -> RunDocument {
        let finished = jiff::Timestamp::now();
        RunDocument {
            version: env!("CARGO_PKG_VERSION").to_string(),
            command: ctx.command.clone(),
            src: ctx.src.clone(),
            dst: ctx.dst.clone(),
            host: ctx.host.clone(),
            job: ctx.job.clone(),
            started: started.to_string(),
            finished: finished.to_string(),
            duration_seconds: round_ms(
                (finished - started)
                    .total(jiff::Unit::Second)
                    .unwrap_or(0.0)
                    .max(0.0),
            ),
            exit_code,
            exit_meaning: exitcode::meaning(exit_code).to_string(),
            result,
            dry_run: false,
            listed_src: 0,
            listed_dst: 0,
            checked: 0,
            transferred: 0,
            transferred_bytes: 0,
            deleted: 0,
            deleted_bytes: 0,
            errors: u64::from(result == RunResult::Failed),
            retries: 0,
            differences: None,
            requests: RequestCounts::new(),
            first_errors: vec![why],
            warnings: Vec::new(),
            log_file: ctx.log_file.clone(),
            shard: ctx.shard.map(|s| s.to_string()),
        }
    }

    pub fn failed(&self) -> bool {
        self.result == RunResult::Failed
    }

    /// Succeeded and copied or deleted something.
    pub fn changed(&self) -> bool {
        self.result == RunResult::Ok && !self.dry_run && (self.transferred > 0 || self.deleted > 0)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }
}

fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}
