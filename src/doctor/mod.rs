//! `ocisync doctor`: the troubleshooting table as checks. Each check prints ok / warn / FAIL
//! with its evidence and, when something is wrong, the exact fix; checks run in dependency
//! order and a branch stops where a prerequisite failed (a later check would only repeat the
//! same cause in other words). Exit 0 when nothing failed, 1 otherwise.
//!
//! - this file: the findings, their text and JSON forms, the config-file checks;
//! - [`plan`]: which remotes are checked (the targets, or every configured remote) and in what
//!   order, and what each check's prerequisites concluded (shared: one metadata check, one
//!   clock check per service, one federation call per endpoint, one Vault read per section);
//! - [`oci`]: instance metadata, federation, home region, `bling` and other buckets, Vault
//!   secrets — through `ocisync_oracle::diagnose`, which shows status, code and
//!   `opc-request-id`;
//! - [`s3`]: where the AWS credentials come from, listing with `max-keys=1`, the write probe;
//! - [`clock`]: skew against the servers' `Date`; [`alerts`]: sink configuration and probes;
//! - [`fixes`]: the exact policy lines and IAM policy a finding prints.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ocisync_backend::{ConfigValues, GlobalOptions};
use serde::Serialize;

use crate::config::Config;
use crate::exitcode;

mod alerts;
mod clock;
mod deletions;
mod fixes;
mod oci;
mod plan;
mod s3;

use plan::Doctor;

#[derive(Debug, Clone)]
pub struct DoctorOptions {
    /// Remotes or `SRC DST` pairs; empty: every configured remote.
    pub targets: Vec<String>,
    pub json: bool,
    pub write_probe: bool,
    pub alert_probe: bool,
}

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
    /// Not run: a prerequisite failed.
    Skip,
}

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// What was checked: `config permissions`, `bling listable`...
    pub check: String,
    /// What it was checked on: a file, a remote, a secret OCID, a sink.
    pub subject: String,
    pub verdict: Verdict,
    /// What was seen (a status, a header, a mode).
    pub evidence: String,
    /// What to do, when something is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The findings so far, in the order the checks ran.
#[derive(Debug, Default, Serialize)]
pub struct Findings {
    pub checks: Vec<Finding>,
}

impl Findings {
    pub fn add(
        &mut self,
        check: &str,
        subject: &str,
        verdict: Verdict,
        evidence: impl Into<String>,
        fix: Option<String>,
    ) -> Verdict {
        self.checks.push(Finding {
            check: check.to_string(),
            subject: subject.to_string(),
            verdict,
            evidence: evidence.into(),
            fix,
        });
        verdict
    }

    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.verdict == Verdict::Fail)
    }

    /// The text form: one line per check, evidence and fix indented under it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for c in &self.checks {
            let tag = match c.verdict {
                Verdict::Ok => "ok  ",
                Verdict::Warn => "warn",
                Verdict::Fail => "FAIL",
                Verdict::Skip => "skip",
            };
            let _ = writeln!(out, "{tag}  {}: {}", c.check, c.subject);
            for line in c.evidence.lines() {
                let _ = writeln!(out, "        {line}");
            }
            if let Some(fix) = &c.fix {
                let mut lines = fix.lines();
                if let Some(first) = lines.next() {
                    let _ = writeln!(out, "      fix: {first}");
                }
                for line in lines {
                    let _ = writeln!(out, "           {line}");
                }
            }
        }
        let (fails, warns) = (
            self.checks
                .iter()
                .filter(|c| c.verdict == Verdict::Fail)
                .count(),
            self.checks
                .iter()
                .filter(|c| c.verdict == Verdict::Warn)
                .count(),
        );
        let _ = writeln!(
            out,
            "\n{} checks: {fails} failed, {warns} warnings",
            self.checks.len()
        );
        out
    }
}

/// Runs the checks; prints them; returns the exit code.
pub async fn run(
    config: Config,
    global: GlobalOptions,
    flags: BTreeMap<String, ConfigValues>,
    options: DoctorOptions,
) -> u8 {
    let mut findings = Findings::default();
    config_file(&config, &mut findings);
    let mut doctor = Doctor::new(
        config,
        doctor_global(global),
        flags,
        options.clone(),
        findings,
    );
    doctor.run().await;
    let findings = doctor.into_findings();
    if options.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&findings).unwrap_or_default()
        );
    } else {
        print!("{}", findings.render());
    }
    if findings.failed() {
        exitcode::UNCATEGORIZED
    } else {
        exitcode::SUCCESS
    }
}

/// The doctor asks once and reports: few low-level retries, short timeouts.
fn doctor_global(mut global: GlobalOptions) -> GlobalOptions {
    global.low_level_retries = global.low_level_retries.clamp(1, 2);
    global.timeout = global.timeout.min(std::time::Duration::from_secs(30));
    global.io_timeout = global.io_timeout.min(std::time::Duration::from_secs(60));
    global
}

/// The config file: found, and not readable by others when it holds secrets.
fn config_file(config: &Config, findings: &mut Findings) {
    let Some(path) = &config.path else {
        findings.add(
            "config file",
            "(none)",
            Verdict::Warn,
            "no config file found (--config, $OCISYNC_CONFIG, ~/.config/ocisync/ocisync.toml, /etc/ocisync/ocisync.toml)",
            Some("create /etc/ocisync/ocisync.toml (see config.example.toml)".into()),
        );
        return;
    };
    let subject = path.display().to_string();
    let problems = crate::config::check(config);
    if problems.is_empty() {
        findings.add("config valid", &subject, Verdict::Ok, "no problems", None);
    } else {
        findings.add(
            "config valid",
            &subject,
            Verdict::Fail,
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            Some("fix the lines named above (`ocisync config validate` lists them too)".into()),
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            let loose = mode & 0o077 != 0;
            let (verdict, fix) = match (loose, config.holds_secrets()) {
                (false, _) => (Verdict::Ok, None),
                (true, true) => (Verdict::Fail, Some(format!("chmod 600 {subject}"))),
                // A keyless config holds no secret: root:ocisync 0640 is the documented set-up.
                (true, false) if mode & 0o007 == 0 => (Verdict::Ok, None),
                (true, false) => (
                    Verdict::Warn,
                    Some(format!(
                        "chmod 640 {subject} (it holds no secret today, but every user can read it)"
                    )),
                ),
            };
            findings.add(
                "config permissions",
                &subject,
                verdict,
                format!("mode {mode:04o}"),
                fix,
            );
        }
    }
}
