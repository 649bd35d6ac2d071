//! rclone's environment form of configuration, and ocisync's own spelling of it:
//!
//! - `RCLONE_CONFIG_<NAME>_<KEY>` / `OCISYNC_CONFIG_<NAME>_<KEY>`: one key of one section
//!   (remote, credentials provider or alert sink), over the file's value. `..._TYPE` for a name
//!   the file does not define creates that remote (named in lower case), as in rclone.
//! - `RCLONE_<PREFIX>_<KEY>` / `OCISYNC_<PREFIX>_<KEY>` (`RCLONE_S3_CHUNK_SIZE`): that key for
//!   every remote of the backend, over the file but under the remote-specific variables — rclone's
//!   precedence. (Command-line flags and connection-string parameters still win.)
//!
//! The `OCISYNC_` spelling wins over the `RCLONE_` one. A `…_CONFIG_…` variable that names no
//! section is refused: an ignored variable is how a "dry run" copies for real.

use super::{Config, LoadError, Section};
use crate::registry;

/// rclone variables that look like configuration but are not (the config password, and the
/// directory rclone exports to its children).
const NOT_CONFIG: &[&str] = &["RCLONE_CONFIG_PASS", "RCLONE_CONFIG_DIR"];

const PREFIXES: [&str; 2] = ["RCLONE_", "OCISYNC_"];

/// Whether `name` (without its `RCLONE_`/`OCISYNC_` prefix) is configuration this module reads:
/// `CONFIG_…`, or a backend option's `<PREFIX>_<KEY>`. The command line's environment reader
/// leaves these alone.
pub fn is_config_variable(name: &str) -> bool {
    name.starts_with("CONFIG_") || backend_option(name).is_some()
}

/// The backend and key a `<PREFIX>_<KEY>` name stands for.
fn backend_option(name: &str) -> Option<(&'static str, &'static str)> {
    registry::backends().iter().find_map(|b| {
        let spec = b.spec();
        let rest = name.strip_prefix(&format!("{}_", spec.prefix.to_ascii_uppercase()))?;
        spec.options
            .iter()
            .find(|o| o.name.to_ascii_uppercase() == rest)
            .map(|o| (spec.name, o.name))
    })
}

/// Applies the variables in `vars` (name, value) to `config`.
pub(super) fn apply(config: &mut Config, vars: &[(String, String)]) -> Result<(), LoadError> {
    // RCLONE_ first, so the OCISYNC_ spelling of the same setting wins.
    let mut ours: Vec<(&str, &str, &str)> = Vec::new();
    for prefix in PREFIXES {
        let mut these: Vec<_> = vars
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), k.strip_prefix(prefix)?, v.as_str())))
            .filter(|(k, _, _)| !NOT_CONFIG.contains(k))
            // An empty variable is an unset one: `OCISYNC_S3_ENDPOINT=` left in a unit's
            // environment must not give every s3 remote an empty (invalid) endpoint.
            .filter(|(_, _, v)| !v.is_empty())
            .collect();
        these.sort();
        ours.extend(these);
    }
    // Remotes the environment defines.
    for (var, name, value) in &ours {
        if let Some(middle) = name
            .strip_prefix("CONFIG_")
            .and_then(|r| r.strip_suffix("_TYPE"))
            && !middle.is_empty()
            && find_section(config, &format!("{middle}_TYPE")).is_none()
        {
            let remote = middle.to_ascii_lowercase();
            let mut s = Section::new(&remote, value, 0);
            s.env.insert("type".into(), var.to_string());
            let map = if registry::credential_type(value).is_some() {
                &mut config.credentials
            } else if registry::alert_type(value).is_some() {
                &mut config.alerts
            } else {
                &mut config.remotes
            };
            map.insert(remote, s);
        }
    }
    // Backend-wide values, then remote-specific ones over them.
    for (var, name, value) in &ours {
        if let Some((backend, key)) = backend_option(name) {
            for s in config
                .remotes
                .values_mut()
                .filter(|s| s.type_name == backend)
            {
                set(s, key, value, var);
            }
        }
    }
    for (var, name, value) in &ours {
        let Some(rest) = name.strip_prefix("CONFIG_") else {
            continue;
        };
        let Some((kind, section, key)) = find_section(config, rest) else {
            let known: Vec<String> = config
                .remotes
                .keys()
                .chain(config.credentials.keys())
                .chain(config.alerts.keys())
                .cloned()
                .collect();
            return Err(LoadError::Env {
                var: var.to_string(),
                message: format!(
                    "names no remote, credentials provider or alert sink (<PREFIX>CONFIG_<NAME>_<KEY>, NAME in upper case; defined: {}). Define the remote with …_TYPE, or unset the variable",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            });
        };
        let map = match kind {
            Kind::Remote => &mut config.remotes,
            Kind::Credentials => &mut config.credentials,
            Kind::Alert => &mut config.alerts,
        };
        if let Some(s) = map.get_mut(&section) {
            set(s, &key, value, var);
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Kind {
    Remote,
    Credentials,
    Alert,
}

/// The section `<NAME>_<KEY>` addresses: the longest section name that fits (remotes first),
/// and the key in lower case.
fn find_section(config: &Config, rest: &str) -> Option<(Kind, String, String)> {
    let mut best: Option<(Kind, String, String)> = None;
    for (kind, names) in [
        (Kind::Remote, config.remotes.keys()),
        (Kind::Credentials, config.credentials.keys()),
        (Kind::Alert, config.alerts.keys()),
    ] {
        for name in names {
            let Some(key) = rest
                .strip_prefix(&name.to_ascii_uppercase())
                .and_then(|k| k.strip_prefix('_'))
                .filter(|k| !k.is_empty())
            else {
                continue;
            };
            if best.as_ref().is_none_or(|(_, b, _)| name.len() > b.len()) {
                best = Some((kind, name.clone(), key.to_ascii_lowercase()));
            }
        }
    }
    best
}

fn set(s: &mut Section, key: &str, value: &str, var: &str) {
    // Named, never valued: it may be a secret.
    tracing::debug!("environment variable {var} sets {key} of {}", s.name);
    match key {
        "type" => s.type_name = value.to_string(),
        "credentials" => s.credentials = Some(value.to_string()),
        _ => {
            s.values.insert(
                key.to_string(),
                ocisync_backend::RawValue::String(value.to_string()),
            );
        }
    }
    s.env.insert(key.to_string(), var.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocisync_backend::RawValue;
    use std::path::Path;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn file() -> Config {
        Config::parse(
            "[remotes.aws_s3]\ntype = \"s3\"\nregion = \"us-east-2\"\nchunk_size = \"5Mi\"\n\n[remotes.aws]\ntype = \"s3\"\n",
            Path::new("x.toml"),
        )
        .unwrap()
    }

    #[test]
    fn remote_keys_override_the_file_and_say_where_they_came_from() {
        let mut c = file();
        apply(
            &mut c,
            &vars(&[
                ("RCLONE_CONFIG_AWS_S3_REGION", "eu-west-1"),
                ("RCLONE_S3_CHUNK_SIZE", "16Mi"),
                ("OCISYNC_CONFIG_AWS_S3_CHUNK_SIZE", "32Mi"),
                ("RCLONE_CONFIG_AWS_S3_CHUNK_SIZE", "8Mi"),
                ("RCLONE_CONFIG_PASS", "ignored"),
            ]),
        )
        .unwrap();
        let s = &c.remotes["aws_s3"];
        assert_eq!(s.values["region"], RawValue::String("eu-west-1".into()));
        // Remote-specific over backend-wide; OCISYNC_ over RCLONE_.
        assert_eq!(s.values["chunk_size"], RawValue::String("32Mi".into()));
        assert_eq!(
            c.locate(s, "region"),
            "environment variable RCLONE_CONFIG_AWS_S3_REGION"
        );
        // A secret from the environment is not in the file: no permissions warning for it.
        apply(
            &mut c,
            &vars(&[("RCLONE_CONFIG_AWS_SECRET_ACCESS_KEY", "s3cr3t")]),
        )
        .unwrap();
        c.mark_secrets();
        assert!(matches!(
            c.remotes["aws"].values["secret_access_key"],
            RawValue::Secret(_)
        ));
        assert!(!c.holds_secrets());
        // The backend-wide value reaches the other s3 remote.
        assert_eq!(
            c.remotes["aws"].values["chunk_size"],
            RawValue::String("16Mi".into())
        );
    }

    #[test]
    fn an_empty_variable_is_an_unset_one() {
        let mut c = file();
        apply(
            &mut c,
            &vars(&[
                ("OCISYNC_S3_ENDPOINT", ""),
                ("RCLONE_CONFIG_AWS_REGION", ""),
            ]),
        )
        .unwrap();
        assert!(!c.remotes["aws_s3"].values.contains_key("endpoint"));
        assert!(!c.remotes["aws"].values.contains_key("region"));
    }

    #[test]
    fn type_variables_define_remotes_and_providers() {
        let mut c = Config::default();
        apply(
            &mut c,
            &vars(&[
                ("RCLONE_CONFIG_MYS3_TYPE", "s3"),
                ("RCLONE_CONFIG_MYS3_CREDENTIALS", "keys"),
                ("OCISYNC_CONFIG_KEYS_TYPE", "env"),
            ]),
        )
        .unwrap();
        assert_eq!(c.remotes["mys3"].type_name, "s3");
        assert_eq!(c.remotes["mys3"].credentials.as_deref(), Some("keys"));
        assert_eq!(c.credentials["keys"].type_name, "env");
    }

    #[test]
    fn a_variable_for_no_section_is_refused() {
        let mut c = file();
        let e = apply(&mut c, &vars(&[("RCLONE_CONFIG_GCS_PROJECT", "p")])).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("environment variable RCLONE_CONFIG_GCS_PROJECT: names no remote"),
            "{text}"
        );
        assert!(text.contains("aws, aws_s3"), "{text}");
    }

    #[test]
    fn config_variables_are_recognised() {
        assert!(is_config_variable("CONFIG_AWS_S3_REGION"));
        assert!(is_config_variable("S3_CHUNK_SIZE"));
        assert!(is_config_variable("OOS_UPLOAD_CONCURRENCY"));
        assert!(!is_config_variable("DRY_RUN"));
        assert!(!is_config_variable("S3_NO_SUCH_OPTION"));
    }
}
