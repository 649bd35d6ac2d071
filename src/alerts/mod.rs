//! Alerts at the end of unattended runs: which `[alerts.NAME]` sinks hear about which outcome
//! (`on`), what the message says, and delivery that can never change the run's outcome — every
//! sink is given a bounded time, failures are logged at ERROR and the others still send.
//!
//! Sink types live where their protocol lives: `oci_notifications` in the Oracle crate,
//! [`webhook`] and [`command`] here; [`crate::registry`] lists them.

pub mod command;
pub mod webhook;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use ocisync_backend::alerts::{MAX_BODY_BYTES, truncate_with_marker};
use ocisync_backend::{AlertMessage, AlertSink, ConfigValues, RawValue};

use crate::config::Config;
use crate::engine::stats::human_bytes;
use crate::registry;
use crate::unattended::document::{RunDocument, RunResult};

/// The longest a sink may take, retries included, before the run ends without it.
pub const SINK_TIMEOUT: Duration = Duration::from_secs(30);

/// Outcomes a sink can be told about (`on = [...]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// Any failed run (the default).
    Failure,
    /// Any successful run, changed or not (heartbeats: healthchecks.io).
    Success,
    /// A successful run that copied or deleted something.
    Change,
}

impl On {
    fn parse(s: &str) -> Option<On> {
        match s.trim().to_ascii_lowercase().as_str() {
            "failure" => Some(On::Failure),
            "success" => Some(On::Success),
            "change" => Some(On::Change),
            _ => None,
        }
    }

    fn hears(self, doc: &RunDocument) -> bool {
        match self {
            On::Failure => doc.failed(),
            On::Success => matches!(doc.result, RunResult::Ok | RunResult::NothingToTransfer),
            On::Change => doc.changed(),
        }
    }
}

/// Takes `on` out of an alert section's values (it is common to every sink type, not an option
/// of one). Absent means `["failure"]`.
pub fn split_on(values: &ConfigValues) -> (ConfigValues, Result<Vec<On>, String>) {
    let mut rest = values.clone();
    let on = match rest.remove("on") {
        None => Ok(vec![On::Failure]),
        Some(raw) => {
            let items: Vec<String> = match raw {
                RawValue::List(items) => items,
                RawValue::String(s) => s.split(',').map(str::to_string).collect(),
                other => {
                    return (
                        rest,
                        Err(format!(
                            "key \"on\": expected a list such as [\"failure\", \"change\"], found {}",
                            other.type_name()
                        )),
                    );
                }
            };
            items
                .iter()
                .map(|i| {
                    On::parse(i).ok_or_else(|| {
                        format!("key \"on\": {i:?} is not one of failure, success, change")
                    })
                })
                .collect()
        }
    };
    (rest, on)
}

/// A sink from the configuration, ready to send.
pub struct ConfiguredSink {
    pub name: String,
    pub type_name: String,
    pub on: Vec<On>,
    pub sink: Arc<dyn AlertSink>,
}

/// Every configured sink that can be built; the others are returned as messages (they were
/// reported by `config validate` already, and are logged when a run wants to alert).
pub fn configured(config: &Config) -> (Vec<ConfiguredSink>, Vec<String>) {
    let mut sinks = Vec::new();
    let mut broken = Vec::new();
    for s in config.alerts.values() {
        let problems = crate::config::check::check_alert(config, s);
        if !problems.is_empty() {
            broken.extend(problems.iter().map(|p| p.to_string()));
            continue;
        }
        let Some(t) = registry::alert_type(&s.type_name) else {
            continue;
        };
        let (values, on) = split_on(&s.values);
        match (t.build(&s.name, &values), on) {
            (Ok(sink), Ok(on)) => sinks.push(ConfiguredSink {
                name: s.name.clone(),
                type_name: s.type_name.clone(),
                on,
                sink,
            }),
            (Err(e), _) => broken.push(format!("[alerts.{}] {e}", s.name)),
            (_, Err(e)) => broken.push(format!("[alerts.{}] {e}", s.name)),
        }
    }
    (sinks, broken)
}

/// The message about a run.
pub fn run_message(doc: &RunDocument) -> AlertMessage {
    let verdict = match doc.result {
        RunResult::Failed => "FAILED",
        _ if doc.changed() => "CHANGED",
        RunResult::Skipped => "SKIPPED",
        _ => "OK",
    };
    let mut title = format!(
        "ocisync {verdict} on {}: {} -> {}",
        doc.host, doc.src, doc.dst
    );
    if doc.failed() {
        let _ = write!(title, " (exit {})", doc.exit_code);
    }
    let mut body = String::new();
    let _ = writeln!(
        body,
        "ocisync {} {} -> {} on {}",
        doc.command, doc.src, doc.dst, doc.host
    );
    let _ = writeln!(
        body,
        "Result: {verdict}, exit code {} ({})",
        doc.exit_code, doc.exit_meaning
    );
    let _ = writeln!(
        body,
        "Started {}, finished {}, {:.1} s",
        doc.started, doc.finished, doc.duration_seconds
    );
    let _ = writeln!(
        body,
        "Listed {} source and {} destination objects; checked {}",
        doc.listed_src, doc.listed_dst, doc.checked
    );
    let _ = writeln!(
        body,
        "Transferred {} objects ({}); deleted {} ({}){}",
        doc.transferred,
        human_bytes(doc.transferred_bytes),
        doc.deleted,
        human_bytes(doc.deleted_bytes),
        if doc.dry_run {
            " — dry run, nothing changed"
        } else {
            ""
        }
    );
    if let Some(d) = doc.differences {
        let _ = writeln!(body, "Differences: {d}");
    }
    let _ = writeln!(
        body,
        "Errors: {} (whole-run retries: {})",
        doc.errors, doc.retries
    );
    if !doc.first_errors.is_empty() {
        let _ = writeln!(body, "\nFirst errors:");
        for e in &doc.first_errors {
            let _ = writeln!(body, "- {e}");
        }
    }
    if let Some(log) = &doc.log_file {
        let _ = writeln!(body, "\nLog file: {log} on {}", doc.host);
    }
    let _ = writeln!(body, "\nocisync {} (job {})", doc.version, doc.job);
    AlertMessage {
        title,
        body: truncate_with_marker(&body, MAX_BODY_BYTES),
        json: doc.to_json(),
    }
}

/// A message from `ocisync alert send` (or a test): title and body as given.
pub fn plain_message(title: &str, body: &str, host: &str) -> AlertMessage {
    let json = serde_json::json!({
        "title": title,
        "body": body,
        "host": host,
        "version": env!("CARGO_PKG_VERSION"),
    });
    AlertMessage {
        title: title.to_string(),
        body: truncate_with_marker(body, MAX_BODY_BYTES),
        json: json.to_string(),
    }
}

/// What happened to one sink's delivery.
pub struct Delivery {
    pub sink: String,
    pub result: ocisync_backend::Result<()>,
}

/// Sends `message` through `sinks` at once, each within [`SINK_TIMEOUT`]; failures are logged
/// at ERROR (naming the sink) and returned, never raised.
pub async fn send_all(sinks: &[&ConfiguredSink], message: &AlertMessage) -> Vec<Delivery> {
    let sends = sinks.iter().map(|s| async move {
        let result = match tokio::time::timeout(SINK_TIMEOUT, s.sink.send(message)).await {
            Ok(r) => r,
            Err(_) => Err(ocisync_backend::Error::new(
                ocisync_backend::ErrorKind::Temporary,
                format!("no answer within {} s", SINK_TIMEOUT.as_secs()),
            )),
        };
        match &result {
            Ok(()) => tracing::info!("alert sent through [alerts.{}] ({})", s.name, s.type_name),
            Err(e) => tracing::error!(
                "alert not sent through [alerts.{}] ({}): {e}",
                s.name,
                s.type_name
            ),
        }
        Delivery {
            sink: s.name.clone(),
            result,
        }
    });
    futures::future::join_all(sends).await
}

/// Alerts about a finished run: every sink whose `on` hears this outcome gets one message.
pub async fn alert_run(config: &Config, doc: &RunDocument) {
    let (sinks, broken) = configured(config);
    if sinks.is_empty() && broken.is_empty() {
        return;
    }
    for b in &broken {
        tracing::error!("alert sink not usable: {b}");
    }
    let chosen: Vec<&ConfiguredSink> = sinks
        .iter()
        .filter(|s| s.on.iter().any(|on| on.hears(doc)))
        .collect();
    if chosen.is_empty() {
        return;
    }
    send_all(&chosen, &run_message(doc)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unattended::document::RunContext;

    fn doc(result: RunResult, transferred: u64) -> RunDocument {
        let ctx = RunContext {
            command: "sync".into(),
            src: "oci_usage:ocid1.tenancy.oc1..x".into(),
            dst: "aws_s3:bucket/oci-sync".into(),
            host: "vm1".into(),
            job: "j".into(),
            log_file: Some("/var/log/ocisync/ocisync.log".into()),
            shard: None,
        };
        let mut d = RunDocument::not_run(&ctx, result, 5, jiff::Timestamp::now(), "boom".into());
        d.transferred = transferred;
        d
    }

    #[test]
    fn on_selects_outcomes() {
        let failed = doc(RunResult::Failed, 0);
        let changed = doc(RunResult::Ok, 3);
        let idle = doc(RunResult::NothingToTransfer, 0);
        assert!(On::Failure.hears(&failed) && !On::Failure.hears(&changed));
        assert!(
            On::Success.hears(&changed) && On::Success.hears(&idle) && !On::Success.hears(&failed)
        );
        assert!(On::Change.hears(&changed) && !On::Change.hears(&idle));
        let mut values = ConfigValues::new();
        assert_eq!(split_on(&values).1, Ok(vec![On::Failure]));
        values.insert(
            "on".into(),
            RawValue::List(vec!["success".into(), "Change".into()]),
        );
        assert_eq!(split_on(&values).1, Ok(vec![On::Success, On::Change]));
        values.insert("on".into(), RawValue::List(vec!["failures".into()]));
        assert!(split_on(&values).1.unwrap_err().contains("\"failures\""));
    }

    #[test]
    fn failure_message_names_host_route_exit_and_first_error() {
        let m = run_message(&doc(RunResult::Failed, 0));
        assert_eq!(
            m.title,
            "ocisync FAILED on vm1: oci_usage:ocid1.tenancy.oc1..x -> aws_s3:bucket/oci-sync (exit 5)"
        );
        assert!(m.body.contains("exit code 5"), "{}", m.body);
        assert!(m.body.contains("- boom"), "{}", m.body);
        assert!(
            m.body.contains("/var/log/ocisync/ocisync.log"),
            "{}",
            m.body
        );
        assert!(m.json.contains("\"result\": \"failed\""), "{}", m.json);
        let mut big = doc(RunResult::Failed, 0);
        big.first_errors = vec!["x".repeat(10_000); 10];
        assert!(run_message(&big).body.len() <= MAX_BODY_BYTES);
    }
}
