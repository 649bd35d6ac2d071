//! The OCI instance metadata service (IMDS v2) as instance principals use it: the instance's
//! region, its identity certificate and key, and the intermediate certificate.
//!
//! Every request carries `Authorization: Bearer Oracle` (v2 refuses requests without it). The base
//! URL is `http://169.254.169.254/opc/v2`, or `OCI_METADATA_BASE_URL` (the whole base, including
//! `/opc/v2`), as Oracle's SDKs allow. Off OCI nothing answers that address: requests are bounded
//! (2 s to connect, 3 s in all, 3 attempts) so that ocisync says so within seconds instead of
//! hanging, and once the service did not answer, later calls fail at once for a minute.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::{Error, ErrorKind, Result, Secret};
use http::{Request, StatusCode};
use zeroize::Zeroizing;

use super::transport::{
    Limits, Reply, client, describe_status, describe_transport, is_retryable, pause, send,
};
use super::x509::Certificate;
use crate::endpoints::Region;
use crate::keys::RsaSigningKey;

pub const DEFAULT_BASE_URL: &str = "http://169.254.169.254/opc/v2";
pub const BASE_URL_VARIABLE: &str = "OCI_METADATA_BASE_URL";

const LIMITS: Limits = Limits {
    connect: Duration::from_secs(2),
    total: Duration::from_secs(3),
    attempts: 3,
    backoff: Duration::from_millis(200),
    use_proxy: false,
};

/// How long an unanswered metadata service is taken as absent before it is asked again.
const REMEMBER_SILENCE: Duration = Duration::from_secs(60);

/// What the metadata service says about the instance's identity, read together.
pub struct InstanceIdentity {
    pub leaf: Certificate,
    /// The leaf certificate's private key: signs the federation request only.
    pub leaf_key: RsaSigningKey,
    pub intermediate: Certificate,
}

impl std::fmt::Debug for InstanceIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceIdentity")
            .field("tenancy", &self.leaf.tenancy().ok())
            .finish_non_exhaustive()
    }
}

/// A client of one metadata service.
#[derive(Debug)]
pub struct Metadata {
    base: String,
    client: reqwest::Client,
    silent_since: Mutex<Option<Instant>>,
}

impl Metadata {
    /// `OCI_METADATA_BASE_URL` if set (blank counts as unset), else the standard address. An
    /// override is said once per process: whoever sets it decides the instance's identity.
    pub fn from_env() -> Result<Self> {
        static SAID: std::sync::Once = std::sync::Once::new();
        let set = std::env::var(BASE_URL_VARIABLE)
            .ok()
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty());
        if let Some(base) = &set {
            SAID.call_once(|| {
                tracing::warn!(
                    "instance metadata from {BASE_URL_VARIABLE}={base} (not {DEFAULT_BASE_URL})"
                )
            });
        }
        Self::new(set.as_deref().unwrap_or(DEFAULT_BASE_URL))
    }

    pub fn new(base: &str) -> Result<Self> {
        let base = base.trim_end_matches('/').to_string();
        if url::Url::parse(&base).is_err() {
            return Err(Error::config(format!(
                "instance principal: {BASE_URL_VARIABLE} '{base}' is not a URL"
            )));
        }
        Ok(Metadata {
            base,
            client: client(&LIMITS)?,
            silent_since: Mutex::new(None),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The instance's region: `/instance/regionInfo/` (which names the realm's domain too), or,
    /// where that is missing, `/instance/region` resolved through the region table.
    pub async fn region(&self) -> Result<Region> {
        match self.get_optional("/instance/regionInfo/").await? {
            Some(body) => {
                let (name, domain) = region_from_info(&body).ok_or_else(|| {
                    self.error(
                        ErrorKind::Auth,
                        "/instance/regionInfo/ is not the expected JSON (regionIdentifier, realmDomainComponent)",
                    )
                })?;
                Region::described(&name, &domain).map_err(|why| {
                    self.error(ErrorKind::Auth, &format!("/instance/regionInfo/: {why}"))
                })
            }
            None => {
                let body = self.get("/instance/region").await?;
                let name = String::from_utf8_lossy(&body).trim().to_string();
                Region::resolve(&name)
            }
        }
    }

    /// The leaf certificate, its key and the intermediate certificate.
    pub async fn identity(&self) -> Result<InstanceIdentity> {
        let leaf = self.certificate("/identity/cert.pem").await?;
        let key_pem = self.get("/identity/key.pem").await?;
        let leaf_key = RsaSigningKey::from_pem(&key_pem, None::<&Secret>)
            .map_err(|e| self.error(ErrorKind::Auth, &format!("/identity/key.pem: {e}")))?;
        let intermediate = self.certificate("/identity/intermediate.pem").await?;
        Ok(InstanceIdentity {
            leaf,
            leaf_key,
            intermediate,
        })
    }

    async fn certificate(&self, path: &str) -> Result<Certificate> {
        let body = self.get(path).await?;
        let text = String::from_utf8_lossy(&body);
        Certificate::from_pem(&text)
            .map_err(|e| self.error(ErrorKind::Auth, &format!("{path}: {e}")))
    }

    async fn get(&self, path: &str) -> Result<Zeroizing<Vec<u8>>> {
        self.get_optional(path)
            .await?
            .ok_or_else(|| self.error(ErrorKind::Auth, &format!("{path} answered 404 Not Found")))
    }

    /// The body at `path`; `None` for a 404 that persists through the retries (the metadata
    /// service answers 404 briefly while an instance starts, so 404 is retried like a 5xx).
    async fn get_optional(&self, path: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.check_not_silent()?;
        let url = format!("{}{path}", self.base);
        let mut last_failure = String::new();
        for attempt in 1..=LIMITS.attempts {
            if attempt > 1 {
                tokio::time::sleep(pause(&LIMITS, attempt)).await;
            }
            let request = Request::get(&url)
                .header(http::header::AUTHORIZATION, "Bearer Oracle")
                .body(Vec::new())
                .map_err(|e| self.error(ErrorKind::Config, &format!("GET {path}: {e}")))?;
            match send(&self.client, request).await {
                Ok(Reply { status, body, .. }) if status.is_success() => return Ok(Some(body)),
                Ok(reply)
                    if reply.status == StatusCode::NOT_FOUND || is_retryable(reply.status) =>
                {
                    last_failure = describe_status(&reply);
                    if reply.status == StatusCode::NOT_FOUND && attempt == LIMITS.attempts {
                        return Ok(None);
                    }
                }
                Ok(reply) => {
                    return Err(self.error(
                        ErrorKind::Auth,
                        &format!("GET {path} answered {}", describe_status(&reply)),
                    ));
                }
                Err(e) => last_failure = describe_transport(&e),
            }
        }
        if last_failure.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(Error::new(
                ErrorKind::Temporary,
                format!(
                    "instance principal: metadata service at {}: GET {path} answered {last_failure}",
                    self.base
                ),
            ));
        }
        self.remember_silence();
        Err(self.silent_error(&last_failure))
    }

    fn check_not_silent(&self) -> Result<()> {
        let since = *self.silent_since.lock().unwrap_or_else(|p| p.into_inner());
        match since {
            Some(t) if t.elapsed() < REMEMBER_SILENCE => {
                Err(self.silent_error("no answer earlier"))
            }
            _ => Ok(()),
        }
    }

    fn remember_silence(&self) {
        *self.silent_since.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    fn silent_error(&self, detail: &str) -> Error {
        Error::new(
            ErrorKind::Auth,
            format!(
                "instance principal: metadata service at {} did not answer — is this an OCI \
                 compute instance? ({detail})",
                self.base
            ),
        )
    }

    fn error(&self, kind: ErrorKind, what: &str) -> Error {
        Error::new(
            kind,
            format!(
                "instance principal: metadata service at {}: {what}",
                self.base
            ),
        )
    }
}

/// `{"realmKey":"oc1","realmDomainComponent":"oraclecloud.com","regionKey":"IAD",
/// "regionIdentifier":"us-ashburn-1"}` → (us-ashburn-1, oraclecloud.com), as the service says
/// (checked by [`Region::described`]).
fn region_from_info(body: &[u8]) -> Option<(String, String)> {
    let info: serde_json::Value = serde_json::from_slice(body).ok()?;
    let field = |name: &str| {
        info.get(name)
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
    };
    Some((field("regionIdentifier")?, field("realmDomainComponent")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_info_gives_region_and_realm_domain() {
        let info = br#"{"realmKey":"oc19","realmDomainComponent":"oraclecloud.eu","regionKey":"STR","regionIdentifier":"eu-frankfurt-2"}"#;
        assert_eq!(
            region_from_info(info),
            Some(("eu-frankfurt-2".into(), "oraclecloud.eu".into()))
        );
        assert_eq!(region_from_info(br#"{"regionKey":"IAD"}"#), None);
        assert_eq!(region_from_info(b"iad"), None);
    }

    #[test]
    fn base_url_must_be_a_url() {
        assert!(Metadata::new("http://127.0.0.1:1/opc/v2/").is_ok());
        assert_eq!(
            Metadata::new("http://127.0.0.1:1/opc/v2/")
                .expect("ok")
                .base_url(),
            "http://127.0.0.1:1/opc/v2"
        );
        let err = Metadata::new("not a url").expect_err("refused");
        assert!(err.to_string().contains(BASE_URL_VARIABLE), "{err}");
    }
}
