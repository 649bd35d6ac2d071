//! `type = "opendal"`: any OpenDAL service compiled into this build, configured with the
//! service's own keys. The escape hatch for storage ocisync has no dedicated backend for.
//!
//! ```toml
//! [remotes.scratch]
//! type = "opendal"
//! service = "memory"
//! ```
//!
//! Every key besides `type`, `service` and `description` goes to the service unchanged
//! (OpenDAL's config keys, e.g. `root`, `bucket`, `endpoint`). The remote's path after the colon
//! becomes the service's `root`, unless the config sets one. Compiled-in services: see
//! [`SERVICES`].

use async_trait::async_trait;
use ocisync_backend::backend::with_standard_layers;
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
        match OpendalOptions::from_values(values) {
            Ok(o) if !SERVICES.contains(&o.service.as_str()) => vec![OptionError::invalid(
                "service",
                format!(
                    "{:?} is not compiled into this build; available: {}",
                    o.service,
                    SERVICES.join(", ")
                ),
            )],
            _ => Vec::new(),
        }
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
