//! `type = "opendal"`: any OpenDAL service compiled into this build, configured with the
//! service's own keys. The escape hatch for storage ocisync has no dedicated backend for.
//!
//! ```toml
//! [remotes.scratch]
//! type = "opendal"
//! service = "memory"
//! ```
//!
//! Every key besides `type`, `service`, `env_auth` and `description` goes to the service
//! unchanged (OpenDAL's config keys, e.g. `root`, `bucket`, `endpoint`). The remote's path after
//! the colon becomes the service's `root`, unless the config sets one. Compiled-in services: see
//! [`SERVICES`].
//!
//! The safeguards of the dedicated backends apply here too: every `endpoint` (and
//! `*_endpoint`) key passes the one endpoint check (https; plain http only to loopback; no
//! user:password), and the `s3` service takes nothing from its surroundings — no
//! `AWS_ACCESS_KEY_ID`, no shared profile, no EC2 instance metadata, no `AWS_ENDPOINT_URL` — unless
//! `env_auth = true` says so (as rclone's `env_auth`). Without keys and without `env_auth` it
//! is anonymous.

use async_trait::async_trait;
use ocisync_backend::backend::with_standard_layers;
use ocisync_backend::endpoint::{aws_env_endpoint, check_endpoint_url, with_scheme};
use ocisync_backend::{
    Backend, BackendSpec, ConfigValues, Error, Features, ModtimeSource, OpenContext, OptionError,
    Remote, Result,
};

/// OpenDAL services this build includes (cargo features of the `opendal` dependency).
pub const SERVICES: &[&str] = &["fs", "memory", "s3"];

ocisync_backend::declare_options! {
    /// Options of `type = "opendal"`; all other keys are passed to the service.
    pub struct OpendalOptions {
        /// OpenDAL service (scheme) name: fs, memory, s3.
        service: String;
        /// Let the service find credentials in its environment (for `s3`: AWS_ACCESS_KEY_ID, the
        /// shared profile, EC2 instance metadata, AWS_ENDPOINT_URL). Off: only keys given here.
        env_auth: bool = "false";
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
    }
}

pub static SPEC: BackendSpec = BackendSpec {
    name: "opendal",
    prefix: "opendal",
    description: "Any OpenDAL service compiled into ocisync (fs, memory, s3), configured with its own keys.",
    options: OpendalOptions::SPECS,
    open_options: true,
    credential_keys: &[],
};

pub struct OpendalBackend;

/// Registered in ocisync's backend list.
pub static BACKEND: OpendalBackend = OpendalBackend;

#[async_trait]
impl Backend for OpendalBackend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    fn validate(&self, values: &ConfigValues) -> Vec<OptionError> {
        let mut problems: Vec<OptionError> = endpoint_keys(values)
            .filter_map(|(key, url)| {
                check_endpoint_url(&with_scheme(&url))
                    .err()
                    .map(|m| OptionError::invalid(&key, m))
            })
            .collect();
        match OpendalOptions::from_values(values) {
            Ok(o) if !SERVICES.contains(&o.service.as_str()) => {
                problems.push(OptionError::invalid(
                    "service",
                    format!(
                        "{:?} is not compiled into this build; available: {}",
                        o.service,
                        SERVICES.join(", ")
                    ),
                ))
            }
            _ => {}
        }
        problems
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        let o = OpendalOptions::from_values(ctx.values)
            .map_err(|e| Error::config(e.to_string()).with_remote(ctx.name))?;
        let mut map: Vec<(String, String)> = ctx
            .values
            .iter()
            .filter(|(k, _)| !OpendalOptions::SPECS.iter().any(|s| s.name == k.as_str()))
            .filter_map(|(k, v)| {
                v.as_text()
                    .map(str::to_string)
                    .or_else(|| Some(v.display()))
                    .map(|v| (k.clone(), v))
            })
            .collect();
        if !map.iter().any(|(k, _)| k == "root") && !ctx.path.is_empty() {
            map.push(("root".into(), format!("/{}", ctx.path.trim_matches('/'))));
        }
        for (key, url) in endpoint_keys(ctx.values) {
            check_endpoint_url(&with_scheme(&url))
                .map_err(|m| Error::config(format!("{key}: {m}")).with_remote(ctx.name))?;
        }
        if o.service == "s3" {
            contain_s3(&mut map, o.env_auth, ctx.name)?;
        }
        let op = opendal::Operator::via_iter(&o.service, map)
            .map_err(|e| Error::from(e).with_remote(ctx.name))?;
        let cap = op.info().capability();
        let features = Features {
            modtime: if cap.write_with_user_metadata {
                ModtimeSource::Metadata
            } else {
                ModtimeSource::Native
            },
            writes_metadata: cap.write_with_user_metadata,
            ..Features::default()
        };
        Ok(Remote {
            name: ctx.name.to_string(),
            root: ctx.path.to_string(),
            op: with_standard_layers(op, ctx.global),
            features,
            modtime_setter: None,
            root_exists: None,
        })
    }
}

/// Passthrough keys naming a URL the service connects to: `endpoint`, `sts_endpoint`...
fn endpoint_keys(values: &ConfigValues) -> impl Iterator<Item = (String, String)> + '_ {
    values
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k == "endpoint" || k.ends_with("_endpoint")
        })
        .filter_map(|(k, v)| v.as_text().map(|t| (k.clone(), t.to_string())))
        .filter(|(_, v)| !v.trim().is_empty())
}

fn set(map: &mut Vec<(String, String)>, key: &str, value: &str) {
    map.retain(|(k, _)| k != key);
    map.push((key.to_string(), value.to_string()));
}

/// OpenDAL's `s3` service left to itself reads `AWS_*` variables, `~/.aws` files and the EC2
/// metadata service (169.254.169.254), and takes `AWS_ENDPOINT_URL` unchecked. Without
/// `env_auth` all of that is off and a remote without keys is anonymous; with it, an endpoint
/// from the environment still passes the endpoint check and is named in the log.
fn contain_s3(map: &mut Vec<(String, String)>, env_auth: bool, remote: &str) -> Result<()> {
    let has = |map: &Vec<(String, String)>, key: &str| {
        map.iter().any(|(k, v)| k == key && !v.trim().is_empty())
    };
    if !env_auth {
        set(map, "disable_config_load", "true");
        set(map, "disable_ec2_metadata", "true");
        if !has(map, "access_key_id") {
            set(map, "skip_signature", "true");
        }
        return Ok(());
    }
    if !has(map, "endpoint") {
        match aws_env_endpoint() {
            Ok(Some((variable, url))) => {
                tracing::warn!(
                    "{remote}: S3 endpoint {url} from {variable} (the remote sets no endpoint)"
                );
                set(map, "endpoint", &url);
            }
            Ok(None) => {}
            Err(m) => {
                return Err(
                    Error::config(format!("S3 endpoint from the environment: {m}"))
                        .with_remote(remote),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocisync_backend::RawValue;

    fn values(pairs: &[(&str, &str)]) -> ConfigValues {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), RawValue::String(v.to_string())))
            .collect()
    }

    #[test]
    fn endpoints_pass_the_endpoint_check() {
        let ok = values(&[("service", "s3"), ("endpoint", "http://127.0.0.1:9000")]);
        assert!(BACKEND.validate(&ok).is_empty());
        for bad in [
            "http://192.0.2.10:9000",
            "http://127.0.0.1:1@192.0.2.10/",
            "ftp://x",
        ] {
            let v = values(&[("service", "s3"), ("endpoint", bad)]);
            let problems = BACKEND.validate(&v);
            assert_eq!(problems.len(), 1, "{bad}");
            assert_eq!(problems[0].key(), "endpoint");
        }
        let sts = values(&[("service", "s3"), ("sts_endpoint", "http://192.0.2.10")]);
        assert_eq!(BACKEND.validate(&sts)[0].key(), "sts_endpoint");
    }

    #[test]
    fn s3_takes_nothing_from_its_surroundings_without_env_auth() {
        let mut map = vec![("bucket".to_string(), "b".to_string())];
        contain_s3(&mut map, false, "r").unwrap();
        let get = |map: &Vec<(String, String)>, k: &str| {
            map.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
        };
        assert_eq!(get(&map, "disable_config_load").as_deref(), Some("true"));
        assert_eq!(get(&map, "disable_ec2_metadata").as_deref(), Some("true"));
        assert_eq!(get(&map, "skip_signature").as_deref(), Some("true"));

        let mut keyed = vec![("access_key_id".to_string(), "AKIA".to_string())];
        contain_s3(&mut keyed, false, "r").unwrap();
        assert_eq!(get(&keyed, "skip_signature"), None, "keys given: signed");
        assert_eq!(get(&keyed, "disable_config_load").as_deref(), Some("true"));

        let mut ambient = vec![("endpoint".to_string(), "http://127.0.0.1:1".to_string())];
        contain_s3(&mut ambient, true, "r").unwrap();
        assert_eq!(
            get(&ambient, "disable_config_load"),
            None,
            "env_auth: OpenDAL's chain"
        );
    }
}
