//! `--metrics-file`: the last run as Prometheus gauges, in the text format node_exporter's
//! textfile collector reads (no client-side timestamps: the collector skips files with them).
//!
//! The file is rewritten after every run. `ocisync_last_success_timestamp_seconds` is the one
//! value that outlives a run: when this run failed, it is carried over from the previous file,
//! so "no success for 13 hours" can be alerted on.
//!
//! Every series has a `job` label; a run with `--shard K/N` adds `shard="K/N"`, so N workers
//! writing to one collector (or one file each) stay N series.

use std::fmt::Write as _;
use std::path::Path;

use super::atomic::write_atomic;
use super::document::{RunDocument, RunResult};

const LAST_SUCCESS: &str = "ocisync_last_success_timestamp_seconds";

/// The file's text for `doc`, with `previous_success` carried over when this run did not
/// succeed.
pub fn render(doc: &RunDocument, now_seconds: f64, previous_success: Option<f64>) -> String {
    let succeeded = matches!(doc.result, RunResult::Ok | RunResult::NothingToTransfer);
    let last_success = if succeeded {
        Some(now_seconds)
    } else {
        previous_success
    };
    let labels = labels(doc);
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: f64| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        let _ = writeln!(out, "{name}{{{labels}}} {}", number(value));
    };
    gauge(
        "ocisync_last_run_timestamp_seconds",
        "When the last run ended (Unix time).",
        now_seconds,
    );
    if let Some(t) = last_success {
        gauge(
            LAST_SUCCESS,
            "When the last successful run ended (Unix time); kept across failed runs.",
            t,
        );
    }
    gauge(
        "ocisync_last_run_exit_code",
        "Exit code of the last run (rclone's codes; 0 success).",
        f64::from(doc.exit_code),
    );
    gauge(
        "ocisync_last_run_success",
        "1 when the last run succeeded (or was skipped by a fresh lock), else 0.",
        if succeeded || doc.result == RunResult::Skipped {
            1.0
        } else {
            0.0
        },
    );
    gauge(
        "ocisync_last_run_duration_seconds",
        "Duration of the last run.",
        doc.duration_seconds,
    );
    gauge(
        "ocisync_last_run_objects_transferred",
        "Objects copied by the last run.",
        doc.transferred as f64,
    );
    gauge(
        "ocisync_last_run_bytes_transferred",
        "Bytes copied by the last run.",
        doc.transferred_bytes as f64,
    );
    gauge(
        "ocisync_last_run_objects_deleted",
        "Objects deleted from the destination by the last run.",
        doc.deleted as f64,
    );
    gauge(
        "ocisync_last_run_objects_checked",
        "Objects compared with their destination copy by the last run.",
        doc.checked as f64,
    );
    gauge(
        "ocisync_last_run_errors",
        "Errors in the last run's last attempt.",
        doc.errors as f64,
    );
    let _ = writeln!(
        out,
        "# HELP ocisync_build_info The ocisync version that wrote this file."
    );
    let _ = writeln!(out, "# TYPE ocisync_build_info gauge");
    let _ = writeln!(
        out,
        "ocisync_build_info{{{labels},version=\"{}\"}} 1",
        escape_label(&doc.version)
    );
    out
}

/// Writes the metrics for `doc` to `path`, atomically, carrying the last success over.
pub fn write(path: &Path, doc: &RunDocument) -> std::io::Result<()> {
    let previous = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| last_success(&text, &labels(doc)));
    let now = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
    write_atomic(path, render(doc, now, previous).as_bytes())?;
    // Read by node_exporter (another user) whatever the unit's UMask=0077: it holds no secret.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
}

/// The labels of every series: `job="JOB"`, and `shard="K/N"` for a sharded run.
fn labels(doc: &RunDocument) -> String {
    let mut labels = format!("job=\"{}\"", escape_label(&doc.job));
    if let Some(shard) = &doc.shard {
        let _ = write!(labels, ",shard=\"{}\"", escape_label(shard));
    }
    labels
}

/// `ocisync_last_success_timestamp_seconds{LABELS}` from a previous file (the same job and
/// shard).
fn last_success(text: &str, labels: &str) -> Option<f64> {
    let wanted = format!("{LAST_SUCCESS}{{{labels}}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&wanted))
        .and_then(|v| v.trim().parse().ok())
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Integers without a fraction, others with millisecond precision.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unattended::document::{RequestCounts, RunContext};

    fn doc(result: RunResult) -> RunDocument {
        let ctx = RunContext {
            command: "sync".into(),
            src: "a:".into(),
            dst: "b:".into(),
            host: "h".into(),
            job: "a \"quoted\" job".into(),
            log_file: None,
            shard: None,
        };
        let mut d = RunDocument::not_run(&ctx, result, 0, jiff::Timestamp::now(), "x".into());
        d.requests = RequestCounts::new();
        d
    }

    #[test]
    fn success_sets_and_failure_carries_the_last_success() {
        let ok = render(&doc(RunResult::Ok), 1000.0, Some(5.0));
        assert!(
            ok.contains(
                "ocisync_last_success_timestamp_seconds{job=\"a \\\"quoted\\\" job\"} 1000\n"
            ),
            "{ok}"
        );
        let failed = render(
            &doc(RunResult::Failed),
            2000.0,
            last_success(&ok, &labels(&doc(RunResult::Failed))),
        );
        assert!(
            failed.contains(
                "ocisync_last_success_timestamp_seconds{job=\"a \\\"quoted\\\" job\"} 1000\n"
            ),
            "{failed}"
        );
        assert!(
            failed.contains(
                "ocisync_last_run_timestamp_seconds{job=\"a \\\"quoted\\\" job\"} 2000\n"
            )
        );
        assert!(failed.contains("ocisync_last_run_success{job=\"a \\\"quoted\\\" job\"} 0\n"));
        let never = render(&doc(RunResult::Failed), 2000.0, None);
        assert!(!never.contains(LAST_SUCCESS), "no success yet, no series");
    }

    #[test]
    fn a_shard_is_a_label_of_every_series_and_keeps_its_own_last_success() {
        let mut ok = doc(RunResult::Ok);
        ok.shard = Some("1/3".into());
        let text = render(&ok, 1000.0, None);
        let series: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(series.len(), 11, "{text}");
        for line in &series {
            assert!(
                line.contains("{job=\"a \\\"quoted\\\" job\",shard=\"1/3\""),
                "{line}"
            );
        }
        // A failed run of the same shard carries its success over; another shard's does not
        // see it, nor does the unsharded job.
        let mut failed = doc(RunResult::Failed);
        failed.shard = Some("1/3".into());
        assert_eq!(last_success(&text, &labels(&failed)), Some(1000.0));
        failed.shard = Some("2/3".into());
        assert_eq!(last_success(&text, &labels(&failed)), None);
        assert_eq!(last_success(&text, &labels(&doc(RunResult::Failed))), None);
    }
}
