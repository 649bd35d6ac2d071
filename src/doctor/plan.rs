//! What the doctor checks and in which order: the targets (a remote, a `SRC DST` pair, or
//! every configured remote), each dispatched to its backend's checks, then the alert sinks —
//! and the shared prerequisites (metadata service, clocks, federation, Vault sections), checked
//! once and remembered so that a branch whose prerequisite failed is skipped, not repeated.

use std::collections::{BTreeMap, HashMap};

use ocisync_backend::{ConfigValues, GlobalOptions, RawValue, Remote};
use ocisync_oracle::diagnose::MetadataProbe;

use super::{DoctorOptions, Findings, Verdict};
use crate::config::Config;
use crate::registry;
use crate::remote_path::{RemotePath, RemoteRef};
use crate::resolve::Resolver;

/// What a target is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A single remote (or every configured one).
    Single,
    /// The `SRC` of a pair: read only.
    Source,
    /// The `DST` of a pair: written by a sync.
    Destination,
}

impl Target {
    /// The verdict and fix for a listing that found nothing: fine for a destination, but a
    /// source that lists no objects makes a sync copy nothing (exit 0), which is how a
    /// mistyped prefix shows.
    pub fn empty_listing(&self) -> (Verdict, Option<String>) {
        match self.role {
            Role::Source => (
                Verdict::Warn,
                Some(format!(
                    "the source lists no objects, so a sync copies nothing: check {} for a typo \
                     (`ocisync lsf` on its parent shows what is there)",
                    self.shown()
                )),
            ),
            _ => (Verdict::Ok, None),
        }
    }
}

/// A remote to check, with the values the Resolver would open it with.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: RemotePath,
    pub role: Role,
    /// `oracleobjectstorage`, `s3`, `local`...: the backend's own name.
    pub backend: &'static str,
    /// The section's values, then `--<prefix>-<key>` flags, then connection-string parameters.
    pub values: ConfigValues,
    /// `credentials = "NAME"` of the section.
    pub credentials: Option<String>,
}

impl Target {
    /// `aws_s3:bucket/prefix`, as typed.
    pub fn shown(&self) -> String {
        self.path.to_string()
    }

    /// The `[remotes.NAME]` the fix should name.
    pub fn section(&self) -> String {
        match &self.path.remote {
            RemoteRef::Named(n) => format!("[remotes.{n}]"),
            RemoteRef::Backend(b) => format!("the connection string :{b},…:"),
            RemoteRef::Local => "the local path".to_string(),
        }
    }

    /// `bucket` and `prefix` of the path (`bucket/a/b` → `bucket`, `a/b`).
    pub fn bucket_and_prefix(&self) -> (String, String) {
        let path = self.path.path.trim_start_matches('/');
        match path.split_once('/') {
            Some((b, rest)) => (b.to_string(), rest.trim_matches('/').to_string()),
            None => (path.to_string(), String::new()),
        }
    }
}

/// How a shared prerequisite ended: usable, or failed (the check that failed is named, for the
/// skipped checks' evidence).
#[derive(Debug, Clone)]
pub enum Prerequisite {
    Ok,
    Failed(String),
}

impl Prerequisite {
    pub fn ok(&self) -> bool {
        matches!(self, Prerequisite::Ok)
    }
}

/// The run: findings so far, the resolver (remotes are opened exactly as the commands open
/// them), and what the shared checks concluded.
pub struct Doctor {
    pub findings: Findings,
    pub resolver: Resolver,
    pub options: DoctorOptions,
    /// `--<prefix>-<key>` flags by backend, as the Resolver layers them.
    flags: BTreeMap<String, ConfigValues>,
    /// The metadata service, asked once.
    pub metadata: Option<MetadataProbe>,
    pub metadata_verdict: Option<Prerequisite>,
    /// One clock check per service kind (`OCI`, `S3 <endpoint>`).
    pub clocks: HashMap<String, Prerequisite>,
    /// One federation call per endpoint override (`""`: the region's).
    pub federations: HashMap<String, Prerequisite>,
    /// One Vault read per `[credentials.NAME]`.
    pub vaults: HashMap<String, Prerequisite>,
}

impl Doctor {
    pub fn new(
        config: Config,
        global: GlobalOptions,
        flags: BTreeMap<String, ConfigValues>,
        options: DoctorOptions,
        findings: Findings,
    ) -> Self {
        Doctor {
            findings,
            resolver: Resolver::new(config, global, flags.clone()),
            options,
            flags,
            metadata: None,
            metadata_verdict: None,
            clocks: HashMap::new(),
            federations: HashMap::new(),
            vaults: HashMap::new(),
        }
    }

    pub fn into_findings(self) -> Findings {
        self.findings
    }

    pub fn config(&self) -> &Config {
        self.resolver.config()
    }

    /// Adds a finding.
    pub fn add(
        &mut self,
        check: &str,
        subject: &str,
        verdict: Verdict,
        evidence: impl Into<String>,
        fix: Option<String>,
    ) -> Verdict {
        self.findings.add(check, subject, verdict, evidence, fix)
    }

    /// Records that `check` was not run because `why` failed.
    pub fn skip(&mut self, check: &str, subject: &str, why: &str) {
        self.findings.add(
            check,
            subject,
            Verdict::Skip,
            format!("not checked: {why} failed"),
            None,
        );
    }

    pub async fn run(&mut self) {
        let targets = self.targets();
        for target in targets {
            match target {
                Ok(t) => self.check_target(&t).await,
                Err((subject, why)) => {
                    self.add("target", &subject, Verdict::Fail, why, None);
                }
            }
        }
        // Only once both sides were reached: a failed prerequisite stops every branch after it.
        let reached = self
            .findings
            .checks
            .iter()
            .all(|c| matches!(c.verdict, Verdict::Ok | Verdict::Warn));
        if let [src, dst] = self.options.targets.clone().as_slice()
            && reached
        {
            super::deletions::check(self, src, dst).await;
        }
        super::alerts::check(self).await;
    }

    /// The targets as given — two are a `SRC DST` pair — or every configured remote.
    fn targets(&self) -> Vec<Result<Target, (String, String)>> {
        let given = &self.options.targets;
        let specs: Vec<(String, Role)> = if given.is_empty() {
            self.config()
                .remotes
                .keys()
                .map(|name| (format!("{name}:"), Role::Single))
                .collect()
        } else if given.len() == 2 {
            vec![
                (given[0].clone(), Role::Source),
                (given[1].clone(), Role::Destination),
            ]
        } else {
            given.iter().map(|g| (g.clone(), Role::Single)).collect()
        };
        specs
            .into_iter()
            .map(|(spec, role)| self.target(&spec, role))
            .collect()
    }

    fn target(&self, spec: &str, role: Role) -> Result<Target, (String, String)> {
        let shown = crate::app::shown(spec);
        let path = RemotePath::parse(spec).map_err(|e| {
            (
                shown.clone(),
                crate::remote_path::ParseError {
                    input: shown.clone(),
                    ..e
                }
                .to_string(),
            )
        })?;
        let (type_name, mut values, credentials) = match &path.remote {
            RemoteRef::Local => ("local".to_string(), ConfigValues::new(), None),
            RemoteRef::Backend(b) => (b.clone(), ConfigValues::new(), None),
            RemoteRef::Named(n) => {
                let section = self.config().remotes.get(n).ok_or_else(|| {
                    let known: Vec<_> = self.config().remotes.keys().cloned().collect();
                    (
                        shown.clone(),
                        format!(
                            "remote {n:?} is not defined in the config (known remotes: {})",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    )
                })?;
                (
                    section.type_name.clone(),
                    section.values.clone(),
                    section.credentials.clone(),
                )
            }
        };
        let backend = registry::backend(&type_name).ok_or_else(|| {
            (
                shown.clone(),
                format!(
                    "unknown backend type {type_name:?} (known: {})",
                    registry::backend_names().join(", ")
                ),
            )
        })?;
        let spec_name = backend.spec().name;
        if let Some(flags) = self.flag_values(spec_name) {
            values.extend(flags);
        }
        for (k, v) in &path.params {
            values.insert(k.clone(), RawValue::String(v.clone()));
        }
        ocisync_backend::options::mark_secrets(backend.spec().options, &mut values);
        Ok(Target {
            path,
            role,
            backend: spec_name,
            values,
            credentials,
        })
    }

    fn flag_values(&self, backend: &str) -> Option<Vec<(String, RawValue)>> {
        self.flags
            .get(backend)
            .map(|f| f.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    async fn check_target(&mut self, t: &Target) {
        match t.backend {
            "oracleobjectstorage" => super::oci::remote(self, t).await,
            "s3" => super::s3::remote(self, t).await,
            _ => self.generic(t).await,
        }
    }

    /// Any other backend (local, opendal): opened and listed, as the commands would.
    async fn generic(&mut self, t: &Target) {
        let subject = t.shown();
        let Some(remote) = self.open(t, "listable").await else {
            return;
        };
        match first_entry(&remote).await {
            Ok(first) => {
                let (verdict, fix) = match first {
                    Some(_) => (Verdict::Ok, None),
                    None => t.empty_listing(),
                };
                self.add(
                    "listable",
                    &subject,
                    verdict,
                    match first {
                        Some(name) => format!("listed; first entry {name}"),
                        None => "listed; empty".to_string(),
                    },
                    fix,
                );
                self.write_probe(t, &remote, None).await;
            }
            Err(e) => {
                self.add("listable", &subject, Verdict::Fail, e.to_string(), None);
            }
        }
    }

    /// Opens the target as the commands do; a failure is a FAIL of `check`.
    pub async fn open(&mut self, t: &Target, check: &str) -> Option<Remote> {
        match self.resolver.open(&t.path).await {
            Ok(r) => Some(r),
            Err(e) => {
                self.add(check, &t.shown(), Verdict::Fail, e.to_string(), None);
                None
            }
        }
    }

    /// Whether a write probe applies to this target: only with `--write-probe`, on the `DST`
    /// of a pair or on single remotes.
    pub fn wants_write_probe(&self, t: &Target) -> bool {
        self.options.write_probe && t.role != Role::Source
    }

    /// `--write-probe`: PUT then DELETE a small temporary object under the root, each step
    /// reported. `denied_fix` is the fix printed for an access-denied answer.
    pub async fn write_probe(&mut self, t: &Target, remote: &Remote, denied_fix: Option<String>) {
        if !self.wants_write_probe(t) {
            return;
        }
        let name = probe_name();
        let subject = format!("{}/{name}", t.shown().trim_end_matches('/'));
        let body = format!(
            "written by `ocisync doctor --write-probe` on {} and deleted at once\n",
            crate::unattended::hostname()
        );
        match remote.op.write(&name, body.into_bytes()).await {
            Ok(_) => {
                self.add("write probe (PUT)", &subject, Verdict::Ok, "written", None);
            }
            Err(e) => {
                let e = remote.error(e, "write", &name);
                let denied = matches!(
                    e.kind,
                    ocisync_backend::ErrorKind::PermissionDenied | ocisync_backend::ErrorKind::Auth
                );
                self.add(
                    "write probe (PUT)",
                    &subject,
                    Verdict::Fail,
                    e.to_string(),
                    if denied { denied_fix } else { None },
                );
                self.skip("write probe (DELETE)", &subject, "write probe (PUT)");
                return;
            }
        }
        match remote.op.delete(&name).await {
            Ok(()) => {
                self.add(
                    "write probe (DELETE)",
                    &subject,
                    Verdict::Ok,
                    "deleted",
                    None,
                );
            }
            Err(e) => {
                let e = remote.error(e, "delete", &name);
                self.add(
                    "write probe (DELETE)",
                    &subject,
                    Verdict::Fail,
                    e.to_string(),
                    Some(format!(
                        "a sync deletes what the source lacks: allow deletes there; remove the \
                         probe object {name} by hand"
                    )),
                );
            }
        }
    }
}

/// `.ocisync-doctor-<random>`.
fn probe_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    format!(".ocisync-doctor-{:016x}", h.finish())
}

/// The first entry of a one-entry listing page of the remote's root (`None`: empty).
pub async fn first_entry(remote: &Remote) -> ocisync_backend::Result<Option<String>> {
    use futures::TryStreamExt;
    let mut lister = remote
        .op
        .lister_with("")
        .limit(1)
        .await
        .map_err(|e| list_error(remote, e))?;
    while let Some(entry) = lister.try_next().await.map_err(|e| list_error(remote, e))? {
        let path = entry.path();
        if !path.is_empty() && path != "/" {
            return Ok(Some(path.to_string()));
        }
    }
    Ok(None)
}

fn list_error(remote: &Remote, e: ocisync_backend::opendal::Error) -> ocisync_backend::Error {
    remote.error(e, "list", &remote.root)
}
