//! Checks a configuration against the registered backends, credential types and alert sinks —
//! everything a run would trip over, found before it, each problem located (file and line, or
//! environment variable) — and marks the values of sensitive options as secrets so nothing
//! prints them.

use std::fmt;

use ocisync_backend::options::{check_values, mark_secrets};
use ocisync_backend::{OptionError, OptionType, RawValue};

use super::{Config, Section};
use crate::registry;

/// One thing wrong with the configuration, located.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// `file:line`, or `environment variable NAME`.
    pub location: String,
    /// The section as the file names it: `remotes.NAME` (TOML) or `NAME` (rclone.conf).
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

    /// Whether the file holds a secret (values from environment variables are not in it).
    pub fn holds_secrets(&self) -> bool {
        self.remotes
            .values()
            .chain(self.credentials.values())
            .chain(self.alerts.values())
            .flat_map(|s| {
                s.values
                    .iter()
                    .filter(|(k, _)| !s.env.contains_key(*k))
                    .map(|(_, v)| v)
            })
            .any(|v| matches!(v, RawValue::Secret(_)))
    }
}

/// Builds located problems for one section.
struct At<'a> {
    config: &'a Config,
    section: &'a Section,
    label: String,
}

impl<'a> At<'a> {
    fn new(config: &'a Config, kind: &str, section: &'a Section) -> Self {
        At {
            config,
            section,
            label: config.label(kind, &section.name),
        }
    }

    fn problem(&self, key: &str, message: impl Into<String>) -> Problem {
        Problem {
            location: self.config.locate(self.section, key),
            section: self.label.clone(),
            message: message.into(),
        }
    }

    fn option(&self, e: OptionError) -> Problem {
        self.problem(e.key(), e.to_string())
    }
}

/// Every problem in the configuration.
pub fn check(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    for s in config.remotes.values() {
        problems.extend(check_remote_only(config, s));
    }
    for s in config.credentials.values() {
        problems.extend(check_credentials(config, s));
    }
    for s in config.alerts.values() {
        problems.extend(check_alert(config, s));
    }
    problems
}

/// Settings that are accepted but change nothing (rclone keys ocisync does not act on), for
/// `config validate` to mention once — not a problem, and not repeated at every run.
pub fn notes(config: &Config) -> Vec<Problem> {
    let mut notes = Vec::new();
    for s in config.remotes.values() {
        let Some(backend) = registry::backend(&s.type_name) else {
            continue;
        };
        let at = At::new(config, "remotes", s);
        for (key, what) in backend.ignored(&s.values) {
            notes.push(at.problem(
                key,
                format!(
                    "note: {what} is accepted for rclone compatibility and ignored by ocisync \
                     (see `ocisync backends {}` or docs/backends.md); remove it to silence this",
                    backend.spec().name
                ),
            ));
        }
    }
    notes
}

/// Problems of one `[credentials.NAME]` section: its type, its options, and what only building
/// the provider can say (auth names, OCID kinds, regions) — without fetching anything.
pub fn check_credentials(config: &Config, s: &Section) -> Vec<Problem> {
    let at = At::new(config, "credentials", s);
    let Some(t) = registry::credential_type(&s.type_name) else {
        return vec![at.problem(
            "type",
            format!(
                "unknown credentials type {:?} (known: {})",
                s.type_name,
                registry::credential_types()
                    .iter()
                    .map(|t| t.spec().name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )];
    };
    let mut problems: Vec<Problem> = check_values(t.spec().options, &s.values, false)
        .into_iter()
        .map(|e| at.option(e))
        .collect();
    if problems.is_empty()
        && let Err(e) = t.build(&s.name, &s.values)
    {
        problems.push(at.option(e));
    }
    problems
}

/// Problems of one `[alerts.NAME]` section: its type, its options, and `on`.
pub fn check_alert(config: &Config, s: &Section) -> Vec<Problem> {
    let at = At::new(config, "alerts", s);
    let Some(t) = registry::alert_type(&s.type_name) else {
        return vec![at.problem(
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
        .map(|e| at.option(e))
        .collect();
    if let Err(message) = on {
        problems.push(at.problem("on", message));
    }
    // What only building the sink can say (OCID shapes, URLs, auth names), checked now rather
    // than at the end of the 3 a.m. run.
    if problems.is_empty()
        && let Err(e) = t.build(&s.name, &values)
    {
        problems.push(at.option(e));
    }
    problems
}

/// Problems of one remote and of the credentials provider it names: everything opening it
/// would fail on (used alone when only some remotes are needed).
pub fn check_remote(config: &Config, s: &Section) -> Vec<Problem> {
    let mut problems = check_remote_only(config, s);
    if let Some(c) = s
        .credentials
        .as_ref()
        .and_then(|c| config.credentials.get(c))
    {
        problems.extend(check_credentials(config, c));
    }
    problems
}

fn check_remote_only(config: &Config, s: &Section) -> Vec<Problem> {
    let at = At::new(config, "remotes", s);
    let Some(backend) = registry::backend(&s.type_name) else {
        return vec![at.problem(
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
        .map(|e| at.option(e))
        .collect();
    let env_auth = spec.options.iter().any(|o| o.name == "env_auth")
        && s.values
            .get("env_auth")
            .and_then(|v| <bool as OptionType>::parse(v).ok())
            .unwrap_or(false);
    let static_keys: Vec<&str> = spec
        .credential_keys
        .iter()
        .copied()
        .filter(|k| {
            s.values
                .get(*k)
                .and_then(|v| v.as_text())
                .is_some_and(|t| !t.trim().is_empty())
        })
        .collect();
    if let Some(c) = &s.credentials {
        if spec.credential_keys.is_empty() {
            problems.push(at.problem(
                "credentials",
                format!("backend {:?} takes no credentials provider", spec.name),
            ));
        } else if !config.credentials.contains_key(c) {
            problems.push(at.problem(
                "credentials",
                format!(
                    "no [{}] section with a credentials type (known: {})",
                    config.label("credentials", c),
                    registry::credential_types()
                        .iter()
                        .map(|t| t.spec().name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        // Two sources for the same keys: one would silently win.
        if env_auth {
            problems.push(at.problem(
                "env_auth",
                format!(
                    "env_auth = true and credentials = {c:?} both say where the keys come from; \
                     keep one (the provider, for keys in OCI Vault)"
                ),
            ));
        }
        if let Some(k) = static_keys.first() {
            problems.push(at.problem(
                k,
                format!(
                    "{k} is set here and credentials = {c:?} supplies it too; keep one (the \
                     provider keeps keys out of this file)"
                ),
            ));
        }
    } else if env_auth && !static_keys.is_empty() {
        problems.push(at.problem(
            "env_auth",
            format!(
                "env_auth = true, but {} set here take precedence (rclone uses them silently); \
                 remove the keys or env_auth",
                static_keys.join(" and ")
            ),
        ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str, file: &str) -> Config {
        let mut c = Config::parse(text, Path::new(file)).unwrap();
        c.path = Some(file.into());
        c.mark_secrets();
        c
    }

    fn problems(text: &str) -> Vec<String> {
        check(&parse(text, "t.toml"))
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn a_secret_in_an_ocid_field_is_refused_unseen_and_redacted() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let text = format!(
            "[credentials.vault]\ntype = \"oci_vault\"\naccess_key_id = \"ocid1.vaultsecret.oc1.iad.a\"\nsecret_access_key = \"{secret}\"\n"
        );
        let p = problems(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with(
                "t.toml:4: [credentials.vault] key \"secret_access_key\": is not an OCID"
            ),
            "{p:?}"
        );
        assert!(!p[0].contains("wJalr"), "{p:?}");
        let c = parse(&text, "t.toml");
        assert!(c.holds_secrets(), "counted by the permissions check");
        let shown = super::super::render(&c);
        assert!(!shown.contains("wJalr"), "{shown}");
        // The OCID of something else is named by its kind.
        let p = problems(
            "[credentials.vault]\ntype = \"oci_vault\"\naccess_key_id = \"ocid1.bucket.oc1.iad.a\"\nsecret_access_key = \"ocid1.vaultsecret.oc1.iad.b\"\n",
        );
        assert!(
            p[0].contains("is the OCID of a bucket, not of a Vault secret"),
            "{p:?}"
        );
    }

    #[test]
    fn what_the_run_would_fail_on_fails_here() {
        let p = problems(
            "[credentials.vault]\ntype = \"oci_vault\"\nauth = \"instance_principle\"\nregion = \"us-ashburn-1\"\naccess_key_id = \"ocid1.vaultsecret.oc1.iad.a\"\nsecret_access_key = \"ocid1.vaultsecret.oc1.iad.b\"\n",
        );
        assert!(
            p.iter()
                .any(|p| p.starts_with("t.toml:3: [credentials.vault] key \"auth\": must be")),
            "{p:?}"
        );
        let p = problems(
            "[remotes.usage]\ntype = \"oracleobjectstorage\"\nprovider = \"instance_principal_auth\"\nregion = \"us-ashburn1\"\n",
        );
        assert!(
            p.iter().any(
                |p| p.starts_with("t.toml:4: [remotes.usage] key \"region\"")
                    && p.contains("did you mean 'us-ashburn-1'")
            ),
            "{p:?}"
        );
        let p = problems(
            "[remotes.aws]\ntype = \"s3\"\nenv_auth = true\ncredentials = \"v\"\n\n[credentials.v]\ntype = \"env\"\n",
        );
        assert!(
            p.iter()
                .any(|p| p.starts_with("t.toml:3: [remotes.aws] env_auth = true and credentials")),
            "{p:?}"
        );
        let p = problems(
            "[remotes.aws]\ntype = \"s3\"\nenv_auth = true\naccess_key_id = \"AK\"\nsecret_access_key = \"S\"\n",
        );
        assert!(
            p.iter().any(|p| p.contains(
                "env_auth = true, but access_key_id and secret_access_key set here take precedence"
            )),
            "{p:?}"
        );
    }

    #[test]
    fn ignored_keys_are_notes() {
        let c = parse(
            "[remotes.usage]\ntype = \"oracleobjectstorage\"\nnamespace = \"bling\"\ncompartment = \"ocid1.tenancy.oc1..aaaa\"\n",
            "t.toml",
        );
        assert!(check(&c).is_empty());
        let n: Vec<String> = notes(&c).iter().map(|p| p.to_string()).collect();
        assert_eq!(n.len(), 1);
        assert!(
            n[0].starts_with("t.toml:4: [remotes.usage] note: compartment = \"ocid1.tenancy.oc1..aaaa\" is accepted"),
            "{n:?}"
        );
        assert!(
            n[0].contains("ocisync backends oracleobjectstorage"),
            "{n:?}"
        );
    }

    #[test]
    fn rclone_conf_sections_are_named_as_written() {
        let c = parse(
            "[aws]\ntype = s3\ncredentials = vault\n\n[vault]\ntype = oci_vault\nauth = instance_principle\naccess_key_id = ocid1.vaultsecret.oc1..a\nsecret_access_key = ocid1.vaultsecret.oc1..b\n",
            "rclone.conf",
        );
        let p: Vec<String> = check(&c).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            p,
            [
                "rclone.conf:7: [vault] key \"auth\": must be instance_principal, resource_principal or user_principal (workload_identity is not supported)"
            ]
        );
        // The remote that uses it fails on it too (a run names file and line).
        let aws = &c.remotes["aws"];
        let p: Vec<String> = check_remote(&c, aws)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("rclone.conf:7: [vault]"), "{p:?}");
    }
}
