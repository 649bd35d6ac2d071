//! Checks a configuration against the registered backends and credential types, and marks the
//! values of sensitive options as secrets so nothing prints them.

use std::fmt;

use ocisync_backend::options::{check_values, mark_secrets};
use ocisync_backend::{OptionError, RawValue};

use super::{Config, Section};
use crate::registry;

/// One thing wrong with the configuration, located.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// `file:line`.
    pub location: String,
    /// `remotes.NAME` or `credentials.NAME`.
    pub section: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: [{}] {}", self.location, self.section, self.message)
    }
}

impl Config {
    /// Turns the values of sensitive options into [`Secret`]s. Call once after loading.
    pub fn mark_secrets(&mut self) {
        for s in self.remotes.values_mut() {
            if let Some(b) = registry::backend(&s.type_name) {
                mark_secrets(b.spec().options, &mut s.values);
            }
        }
        for s in self.credentials.values_mut() {
            if let Some(t) = registry::credential_type(&s.type_name) {
                mark_secrets(t.spec().options, &mut s.values);
            }
        }
        for s in self.alerts.values_mut() {
            if let Some(t) = registry::alert_type(&s.type_name) {
                mark_secrets(t.spec().options, &mut s.values);
            }
        }
    }

    /// Whether any value is a secret.
    pub fn holds_secrets(&self) -> bool {
        self.remotes
            .values()
            .chain(self.credentials.values())
            .flat_map(|s| s.values.values())
            .any(|v| matches!(v, RawValue::Secret(_)))
    }
}

/// Every problem in the configuration.
pub fn check(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    for s in config.remotes.values() {
        problems.extend(check_remote(config, s));
    }
    for s in config.credentials.values() {
        let at = |key: &str| config.location(s.line_of(key));
        let section = format!("credentials.{}", s.name);
        match registry::credential_type(&s.type_name) {
            None => problems.push(Problem {
                location: at("type"),
                section,
                message: format!(
                    "unknown credentials type {:?} (known: {})",
                    s.type_name,
                    registry::credential_types()
                        .iter()
                        .map(|t| t.spec().name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
            Some(t) => {
                for e in check_values(t.spec().options, &s.values, false) {
                    problems.push(Problem {
                        location: at(e.key()),
                        section: section.clone(),
                        message: e.to_string(),
                    });
                }
            }
        }
    }
    for s in config.alerts.values() {
        problems.extend(check_alert(config, s));
    }
    problems
}

/// Problems of one `[alerts.NAME]` section: its type, its options, and `on`.
pub fn check_alert(config: &Config, s: &Section) -> Vec<Problem> {
    let at = |key: &str| config.location(s.line_of(key));
    let section = format!("alerts.{}", s.name);
    let problem = |key: &str, message: String| Problem {
        location: at(key),
        section: section.clone(),
        message,
    };
    let Some(t) = registry::alert_type(&s.type_name) else {
        return vec![problem(
            "type",
            format!(
                "unknown alert type {:?} (known: {})",
                s.type_name,
                registry::alert_types()
                    .iter()
                    .map(|t| t.spec().name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )];
    };
    let (values, on) = crate::alerts::split_on(&s.values);
    let mut problems: Vec<Problem> = check_values(t.spec().options, &values, false)
        .into_iter()
        .map(|e| problem(e.key(), e.to_string()))
        .collect();
    if let Err(message) = on {
        problems.push(problem("on", message));
    }
    // What only building the sink can say (OCID shapes, URLs, auth names), checked now rather
    // than at the end of the 3 a.m. run.
    if problems.is_empty()
        && let Err(e) = t.build(&s.name, &values)
    {
        problems.push(problem(e.key(), e.to_string()));
    }
    problems
}

/// Problems of one remote section (used alone when only some remotes are needed).
pub fn check_remote(config: &Config, s: &Section) -> Vec<Problem> {
    let at = |key: &str| config.location(s.line_of(key));
    let section = format!("remotes.{}", s.name);
    let problem = |key: &str, message: String| Problem {
        location: at(key),
        section: section.clone(),
        message,
    };
    let Some(backend) = registry::backend(&s.type_name) else {
        return vec![problem(
            "type",
            format!(
                "unknown backend type {:?} (known: {})",
                s.type_name,
                registry::backend_names().join(", ")
            ),
        )];
    };
    let spec = backend.spec();
    let mut problems: Vec<Problem> = check_values(spec.options, &s.values, spec.open_options)
        .into_iter()
        .chain(backend.validate(&s.values))
        .map(|e: OptionError| problem(e.key(), e.to_string()))
        .collect();
    if let Some(c) = &s.credentials {
        if spec.credential_keys.is_empty() {
            problems.push(problem(
                "credentials",
                format!("backend {:?} takes no credentials provider", spec.name),
            ));
        } else if !config.credentials.contains_key(c) {
            problems.push(problem(
                "credentials",
                format!("no [credentials.{c}] section"),
            ));
        }
    }
    problems
}

/// Warns when a file that holds secrets can be read by group or others.
pub fn warn_if_readable_secrets(config: &Config) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Some(path) = &config.path else { return };
        // What `config show` hides counts too: secrets of other backends, misspelled keys.
        if !config.holds_secrets() && !super::show::holds_hidden_secrets(config) {
            return;
        }
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    "config file {} holds secrets and is readable by group/others (mode {mode:04o}); run: chmod 600 {}",
                    path.display(),
                    path.display()
                );
            }
        }
    }
}
