//! What an unattended run does around its command: take the lock ([`lock`]), and at the end —
//! whatever the end — write the run report ([`document`], `--report-json`) and the metrics
//! ([`metrics`], `--metrics-file`) and send the alerts. None of it may change the run's exit
//! code: a report that cannot be written is logged at ERROR, a sink that fails is logged and
//! skipped.

pub mod atomic;
pub mod document;
pub mod lock;
pub mod metrics;

use crate::args::Unattended;
use crate::config::Config;
use document::RunDocument;

/// This machine's name, for reports and alert titles.
/// `/proc/sys` is hidden from the shipped unit (`ProcSubset=pid`), hence `/etc/hostname` next.
pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .chain(std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .find(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string())
}

/// The metrics' `job` label when `--job-name` is not given: the command and both sides.
pub fn default_job_name(command: &str, src: &str, dst: &str) -> String {
    format!("{command} {src} -> {dst}")
}

/// Writes the report and metrics files and sends the alerts for a run that has ended.
pub async fn finish(doc: &RunDocument, u: &Unattended, config: &Config) {
    if let Some(path) = &u.report_json {
        let mut json = doc.to_json();
        json.push('\n');
        if let Err(e) = atomic::write_atomic(path, json.as_bytes()) {
            tracing::error!("--report-json {}: not written: {e}", path.display());
        }
    }
    if let Some(path) = &u.metrics_file
        && let Err(e) = metrics::write(path, doc)
    {
        tracing::error!("--metrics-file {}: not written: {e}", path.display());
    }
    if u.alerts {
        crate::alerts::alert_run(config, doc).await;
    }
}
