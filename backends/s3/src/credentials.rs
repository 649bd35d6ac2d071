//! Feeds a `credentials = "NAME"` provider into OpenDAL's S3 signer.
//!
//! The signer asks again when the credential it holds is about to expire; the provider's cache
//! (with one refresh in flight) answers. Values go from the provider to the signer in memory and
//! nowhere else.

use reqsign_aws_v4::Credential;
use reqsign_core::{Context, ProvideCredential, ProvideCredentialChain};

use crate::Source;

#[derive(Debug)]
struct FromSource(Source);

impl ProvideCredential for FromSource {
    type Credential = Credential;

    async fn provide_credential(&self, _ctx: &Context) -> reqsign_core::Result<Option<Credential>> {
        let creds = self
            .0
            .get()
            .await
            .map_err(|e| reqsign_core::Error::credential_invalid(e.to_string()))?;
        let get = |k: &str| creds.get(k).map(|s| s.expose().to_string());
        let (Some(access_key_id), Some(secret_access_key)) =
            (get("access_key_id"), get("secret_access_key"))
        else {
            return Err(reqsign_core::Error::credential_invalid(format!(
                "credentials {:?} gave no access_key_id/secret_access_key",
                self.0.name()
            )));
        };
        let expires_in = creds
            .expires_at
            .and_then(|t| reqsign_core::time::Timestamp::from_second(t.as_second()).ok());
        Ok(Some(Credential {
            access_key_id,
            secret_access_key,
            session_token: get("session_token"),
            expires_in,
        }))
    }
}

pub(crate) fn chain(source: Source) -> ProvideCredentialChain<Credential> {
    ProvideCredentialChain::new().push(FromSource(source))
}

// ---------------------------------------------------------------------------------------------
// `env_auth = true`: the runtime's own credentials, looked for once when the remote is opened.
// ---------------------------------------------------------------------------------------------

use std::sync::{Arc, Mutex};

use ocisync_backend::{Error, ErrorKind};
use reqsign_aws_v4::{
    AssumeRoleWithWebIdentityCredentialProvider, ECSCredentialProvider, EnvCredentialProvider,
    IMDSv2CredentialProvider, ProcessCredentialProvider, ProfileCredentialProvider,
    SSOCredentialProvider,
};
use reqsign_core::{FileRead, OsEnv, SigningCredential};

/// What `env_auth` found: where, and whether the keys are temporary. Never the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeCredentials {
    /// The source that answered, e.g. `the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`.
    pub source: String,
    /// A session token came with the keys (temporary credentials).
    pub session_token: bool,
    /// When they expire, if they do.
    pub expires: Option<jiff::Timestamp>,
}

/// The runtime credentials, found once; the signer gets them first and asks the same chain
/// again when they near their expiry.
pub(crate) struct Runtime {
    pub found: RuntimeCredentials,
    pub chain: ProvideCredentialChain<Credential>,
}

/// One source of the chain, in order, with the words a message uses for it.
struct Sources {
    profile: Option<String>,
}

impl Sources {
    /// The profile env_auth reads: `profile`, else `AWS_PROFILE`, else `default`.
    fn profile_name(&self) -> String {
        self.profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
            .unwrap_or_else(|| "default".to_string())
    }

    /// `path` from `variable`, else `default` under the home directory.
    fn file(variable: &str, default: &str) -> String {
        if let Some(p) = std::env::var_os(variable).filter(|p| !p.is_empty()) {
            return format!("{} (from {variable})", p.to_string_lossy());
        }
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => format!("{}/{default}", home.to_string_lossy().trim_end_matches('/')),
            None => format!("~/{default} (HOME is not set)"),
        }
    }

    fn imds_disabled() -> bool {
        std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|v| v == "true")
    }

    /// `(label, where it looks)`, in the order the chain tries them: the order of reqsign's
    /// `DefaultCredentialProvider` (which OpenDAL's S3 service would otherwise build).
    fn described(&self) -> Vec<(&'static str, String)> {
        let profile = self.profile_name();
        vec![
            (
                "environment",
                "the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)".to_string(),
            ),
            (
                "profile",
                format!(
                    "the shared files {} and {} (profile [{profile}])",
                    Self::file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
                    Self::file("AWS_CONFIG_FILE", ".aws/config"),
                ),
            ),
            ("sso", format!("AWS SSO (profile [{profile}])")),
            (
                "web identity",
                "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)".to_string(),
            ),
            (
                "credential_process",
                format!("credential_process (profile [{profile}])"),
            ),
            (
                "ECS",
                "the container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI)"
                    .to_string(),
            ),
            (
                "EC2 metadata",
                if Self::imds_disabled() {
                    "EC2 instance metadata (not asked: AWS_EC2_METADATA_DISABLED=true)".to_string()
                } else {
                    "EC2 instance metadata (http://169.254.169.254)".to_string()
                },
            ),
        ]
    }

    /// The chain, each source labelled so that the one that answered (or failed) is known.
    fn chain(&self, trace: &Trace) -> ProvideCredentialChain<Credential> {
        let profile = self.profile.clone();
        let with_profile = |p: ProfileCredentialProvider| match &profile {
            Some(name) => p.with_profile(name.clone()),
            None => p,
        };
        let sso = match &profile {
            Some(name) => SSOCredentialProvider::default().with_profile(name.clone()),
            None => SSOCredentialProvider::default(),
        };
        let process = match &profile {
            Some(name) => ProcessCredentialProvider::default().with_profile(name.clone()),
            None => ProcessCredentialProvider::default(),
        };
        let mut chain = ProvideCredentialChain::new()
            .push(trace.labelled("environment", EnvCredentialProvider::new()))
            .push(trace.labelled(
                "profile",
                with_profile(ProfileCredentialProvider::default()),
            ))
            .push(trace.labelled("sso", sso))
            .push(trace.labelled(
                "web identity",
                AssumeRoleWithWebIdentityCredentialProvider::default(),
            ))
            .push(trace.labelled("credential_process", process))
            .push(trace.labelled("ECS", ECSCredentialProvider::default()));
        // The provider checks AWS_EC2_METADATA_DISABLED itself too; left out here so that a
        // disabled metadata service is never even a candidate.
        if !Self::imds_disabled() {
            chain = chain.push(trace.labelled("EC2 metadata", IMDSv2CredentialProvider::default()));
        }
        chain
    }
}

/// Which source answered, and what the others said when they failed.
#[derive(Debug, Default, Clone)]
struct Trace(Arc<Mutex<TraceState>>);

#[derive(Debug, Default)]
struct TraceState {
    answered: Option<&'static str>,
    /// Sources that failed (not merely found nothing), with the reason.
    failed: Vec<(&'static str, String)>,
}

impl Trace {
    fn labelled<P>(&self, label: &'static str, inner: P) -> Labelled<P> {
        Labelled {
            label,
            inner,
            trace: self.clone(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, TraceState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug)]
struct Labelled<P> {
    label: &'static str,
    inner: P,
    trace: Trace,
}

impl<P> ProvideCredential for Labelled<P>
where
    P: ProvideCredential<Credential = Credential> + std::fmt::Debug + Send + Sync + 'static,
{
    type Credential = Credential;

    async fn provide_credential(&self, ctx: &Context) -> reqsign_core::Result<Option<Credential>> {
        let result = self.inner.provide_credential(ctx).await;
        let mut state = self.trace.state();
        match &result {
            Ok(Some(_)) => state.answered = Some(self.label),
            Ok(None) => {}
            Err(e) => state.failed.push((self.label, describe_reqsign(e))),
        }
        result
    }
}

/// A reqsign error with its causes, in one line.
fn describe_reqsign(e: &reqsign_core::Error) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// Hands the credential found at open time to the signer's first request, then defers to the
/// chain (for a refresh before expiry).
#[derive(Debug)]
struct Primed {
    first: Mutex<Option<Credential>>,
    chain: ProvideCredentialChain<Credential>,
}

impl ProvideCredential for Primed {
    type Credential = Credential;

    async fn provide_credential(&self, ctx: &Context) -> reqsign_core::Result<Option<Credential>> {
        let first = self.first.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(c) = first.filter(SigningCredential::is_valid) {
            return Ok(Some(c));
        }
        self.chain.provide_credential(ctx).await
    }
}

/// Reads the shared files (`~/.aws/credentials`...) for the chain.
#[derive(Debug, Clone, Copy)]
struct TokioFiles;

impl FileRead for TokioFiles {
    async fn file_read(&self, path: &str) -> reqsign_core::Result<Vec<u8>> {
        tokio::fs::read(path)
            .await
            .map_err(|e| reqsign_core::Error::unexpected(format!("reading {path}")).with_source(e))
    }
}

pub(crate) fn context() -> Context {
    Context::new()
        .with_file_read(TokioFiles)
        .with_http_send(opendal::HttpTransporter::default())
        .with_env(OsEnv)
}

/// The fix every "no credentials" message ends with.
pub const MISSING_FIX: &str = "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or use \
     credentials = \"NAME\" with an oci_vault provider";

/// Looks for the runtime's AWS credentials the way `env_auth = true` does (`profile` is the
/// remote's `profile` option). None found is an [`ErrorKind::Auth`] error naming every place
/// looked in and the fix — not a signing failure on the first request.
pub(crate) async fn runtime(profile: Option<&str>) -> Result<Runtime, Error> {
    let sources = Sources {
        profile: profile
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string),
    };
    let trace = Trace::default();
    let ctx = context();
    let first = sources
        .chain(&trace)
        .provide_credential(&ctx)
        .await
        .map_err(|e| Error::new(ErrorKind::Auth, describe_reqsign(&e)))?;
    let state = std::mem::take(&mut *trace.state());
    let described = sources.described();
    let Some(credential) = first else {
        let looked: Vec<String> = described.into_iter().map(|(_, d)| d).collect();
        let mut message = format!(
            "no AWS credentials found: env_auth = true looked in {}",
            join_human(&looked)
        );
        if !state.failed.is_empty() {
            let failures: Vec<String> = state
                .failed
                .iter()
                .map(|(label, why)| format!("{label}: {why}"))
                .collect();
            message.push_str(&format!(" (failed: {})", failures.join("; ")));
        }
        message.push_str(&format!("; {MISSING_FIX}"));
        return Err(Error::new(ErrorKind::Auth, message));
    };
    let label = state.answered.unwrap_or("environment");
    let source = described
        .into_iter()
        .find(|(l, _)| *l == label)
        .map(|(_, d)| d)
        .unwrap_or_else(|| label.to_string());
    let found = RuntimeCredentials {
        source,
        session_token: credential.session_token.is_some(),
        expires: credential
            .expires_in
            .and_then(|t| jiff::Timestamp::from_second(t.as_second()).ok()),
    };
    tracing::debug!("env_auth: AWS credentials from {}", found.source);
    // The signer's chain: the same sources, unlabelled (nobody reads the trace any more).
    let chain = sources.chain(&Trace::default());
    Ok(Runtime {
        found,
        chain: ProvideCredentialChain::new().push(Primed {
            first: Mutex::new(Some(credential)),
            chain,
        }),
    })
}

/// Looks for the runtime's AWS credentials as `env_auth = true` does, for `ocisync doctor`.
pub async fn find_runtime_credentials(profile: Option<&str>) -> Result<RuntimeCredentials, Error> {
    Ok(runtime(profile).await?.found)
}

/// `a, b and c`.
fn join_human(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
