//! From `NAME:path` to an opened [`Remote`]: find the section (or the connection string's
//! backend), layer the values — connection string over `--<prefix>-<key>` flags over the config
//! file over defaults, as rclone does — check them, attach the credentials provider, and let the
//! backend build its OpenDAL operator.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use ocisync_backend::options::{check_values, mark_secrets};
use ocisync_backend::{
    ConfigValues, CredentialSource, Error, GlobalOptions, OpenContext, RawValue, Remote, Result,
};

use crate::config::{self, Config};
use crate::registry;
use crate::remote_path::{RemotePath, RemoteRef};
use crate::requests::{RequestCounter, counted};
use crate::unattended::document::RequestCounts;

pub struct Resolver {
    config: Config,
    global: GlobalOptions,
    /// `--s3-chunk-size 10Mi` → flags["s3"]["chunk_size"].
    flags: BTreeMap<String, ConfigValues>,
    /// One provider (and cache) per `[credentials.NAME]`, shared by the remotes using it.
    sources: Mutex<HashMap<String, Arc<CredentialSource>>>,
    /// Requests made by each opened remote, by name.
    requests: Mutex<BTreeMap<String, Arc<RequestCounter>>>,
}

impl Resolver {
    pub fn new(
        config: Config,
        global: GlobalOptions,
        flags: BTreeMap<String, ConfigValues>,
    ) -> Self {
        // The process-wide HTTP transport and OpenDAL's service registry (its constructor-time
        // hook is not guaranteed to survive linking).
        ocisync_backend::transport::install();
        Resolver {
            config,
            global,
            flags,
            sources: Mutex::new(HashMap::new()),
            requests: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn global(&self) -> &GlobalOptions {
        &self.global
    }

    pub async fn open(&self, target: &RemotePath) -> Result<Remote> {
        let name = target.remote_name();
        let (type_name, mut values, credentials) = match &target.remote {
            RemoteRef::Local => ("local".to_string(), ConfigValues::new(), None),
            RemoteRef::Backend(b) => (b.clone(), ConfigValues::new(), None),
            RemoteRef::Named(n) => {
                let section = self.config.remotes.get(n).ok_or_else(|| {
                    let known: Vec<_> = self.config.remotes.keys().cloned().collect();
                    let hint = if known.is_empty() {
                        match &self.config.path {
                            Some(p) => format!("{} defines no remotes", p.display()),
                            None => "no config file found (--config, $OCISYNC_CONFIG, ~/.config/ocisync/ocisync.toml, /etc/ocisync/ocisync.toml)".to_string(),
                        }
                    } else {
                        format!("known remotes: {}", known.join(", "))
                    };
                    Error::config(format!("remote {n:?} is not defined in the config ({hint})"))
                })?;
                let problems = config::check::check_remote(&self.config, section);
                if !problems.is_empty() {
                    let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                    return Err(Error::config(list.join("; ")).with_remote(n.clone()));
                }
                (
                    section.type_name.clone(),
                    section.values.clone(),
                    section.credentials.clone(),
                )
            }
        };
        let backend = registry::backend(&type_name).ok_or_else(|| {
            Error::config(format!(
                "unknown backend type {type_name:?} (known: {})",
                registry::backend_names().join(", ")
            ))
            .with_remote(name.clone())
        })?;
        let spec = backend.spec();
        if let Some(flags) = self.flags.get(spec.name) {
            values.extend(flags.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for (k, v) in &target.params {
            values.insert(k.clone(), RawValue::String(v.clone()));
        }
        mark_secrets(spec.options, &mut values);
        let problems: Vec<String> = check_values(spec.options, &values, spec.open_options)
            .into_iter()
            .chain(backend.validate(&values))
            .map(|e| e.to_string())
            .collect();
        if !problems.is_empty() {
            return Err(Error::config(problems.join("; ")).with_remote(name));
        }
        let credentials = match credentials {
            Some(c) => Some(self.credential_source(&c)?),
            None => None,
        };
        let ctx = OpenContext {
            name: &name,
            path: &target.path,
            values: &values,
            credentials,
            global: &self.global,
        };
        let mut remote = backend
            .open(ctx)
            .await
            .map_err(|e| e.with_remote(name.clone()))?;
        let counter = self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(name)
            .or_default()
            .clone();
        remote.op = counted(remote.op, counter);
        Ok(remote)
    }

    /// Requests made so far through the remotes this resolver opened, by remote and operation.
    pub fn request_counts(&self) -> RequestCounts {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(name, c)| (name.clone(), c.snapshot()))
            .filter(|(_, counts)| !counts.is_empty())
            .collect()
    }

    fn credential_source(&self, name: &str) -> Result<Arc<CredentialSource>> {
        let mut sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = sources.get(name) {
            return Ok(s.clone());
        }
        let section = self
            .config
            .credentials
            .get(name)
            .ok_or_else(|| Error::config(format!("no [credentials.{name}] section")))?;
        let t = registry::credential_type(&section.type_name).ok_or_else(|| {
            Error::config(format!(
                "[credentials.{name}]: unknown type {:?}",
                section.type_name
            ))
        })?;
        let provider = t
            .build(name, &section.values)
            .map_err(|e| Error::config(format!("[credentials.{name}] {e}")))?;
        let source = CredentialSource::new(name, provider);
        sources.insert(name.to_string(), source.clone());
        Ok(source)
    }
}
