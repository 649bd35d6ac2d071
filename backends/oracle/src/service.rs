//! Small signed JSON calls to OCI services other than Object Storage — Vault's secrets,
//! Notifications, Identity — made by the `oci_vault` credential type, the `oci_notifications`
//! alert sink and `ocisync doctor`. They share how the identity is chosen (`auth`,
//! `config_file`, `config_profile`, `region`, `federation_endpoint`), built lazily, and how a
//! call is retried: one refresh after a 401, a few attempts for faults and throttling.

use std::sync::Arc;

use http::{Method, Request, StatusCode};
use ocisync_backend::{Error, ErrorKind, OptionError, Result};
use tokio::sync::OnceCell;

pub(crate) use crate::auth::transport::{Limits, Reply, describe_status};
use crate::auth::transport::{client, describe_transport, is_retryable, pause, send};
use crate::auth::{AuthOptions, OciAuth, SignBody, build_auth};
use crate::endpoints::check_endpoint_url;
use crate::error::from_core;

/// The identity options as the `oci_vault` and `oci_notifications` sections spell them.
#[derive(Debug, Clone)]
pub struct PrincipalOptions<'a> {
    /// instance_principal, resource_principal or user_principal (`_auth` suffixes accepted).
    pub auth: &'a str,
    pub config_file: &'a str,
    pub config_profile: &'a str,
    pub region: Option<&'a str>,
    pub federation_endpoint: Option<&'a str>,
}

impl PrincipalOptions<'_> {
    /// Checks the choices and URLs; the identity itself is built on first use.
    pub fn auth_options(&self) -> std::result::Result<AuthOptions, OptionError> {
        let provider = auth_provider(self.auth).ok_or_else(|| {
            OptionError::invalid(
                "auth",
                "must be instance_principal, resource_principal or user_principal \
                 (workload_identity is not supported)",
            )
        })?;
        let federation_endpoint = nonblank(self.federation_endpoint);
        if let Some(url) = federation_endpoint {
            check_endpoint_url(url)
                .map_err(|e| OptionError::invalid("federation_endpoint", e.to_string()))?;
        }
        Ok(AuthOptions {
            provider: provider.to_string(),
            config_file: Some(self.config_file.to_string()),
            config_profile: Some(self.config_profile.to_string()),
            region: nonblank(self.region).map(str::to_string),
            federation_endpoint: federation_endpoint.map(str::to_string),
        })
    }
}

/// `Some(value)` unless blank.
pub(crate) fn nonblank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// `auth` as `build_auth` names it; `_auth` suffixes (rclone's spelling) are accepted too.
fn auth_provider(auth: &str) -> Option<&'static str> {
    match auth.trim().trim_end_matches("_auth") {
        "instance_principal" => Some("instance_principal_auth"),
        "resource_principal" => Some("resource_principal_auth"),
        "user_principal" => Some("user_principal_auth"),
        _ => None,
    }
}

/// Checks an `endpoint` option (https, or plain http to loopback only).
pub(crate) fn check_endpoint_option(
    key: &str,
    url: Option<&str>,
) -> std::result::Result<(), OptionError> {
    match nonblank(url) {
        Some(url) => check_endpoint_url(url).map_err(|e| OptionError::invalid(key, e.to_string())),
        None => Ok(()),
    }
}

/// An identity and an HTTP client for one kind of call.
pub(crate) struct ServiceClient {
    /// The section type, prefixed to messages (`oci_vault`).
    what: &'static str,
    auth_options: AuthOptions,
    /// Made on first use: building an identity may read files or the environment.
    auth: OnceCell<Arc<dyn OciAuth>>,
    client: reqwest::Client,
    limits: Limits,
}

impl ServiceClient {
    pub fn new(
        what: &'static str,
        auth_options: AuthOptions,
        limits: Limits,
    ) -> std::result::Result<Self, OptionError> {
        crate::use_ocisync_transport();
        let client = client(&limits).map_err(|e| OptionError::invalid("endpoint", e.message))?;
        Ok(ServiceClient {
            what,
            auth_options,
            auth: OnceCell::new(),
            client,
            limits,
        })
    }

    /// The identity, built on first use.
    pub async fn auth(&self) -> Result<&Arc<dyn OciAuth>> {
        self.auth
            .get_or_try_init(|| build_auth(&self.auth_options))
            .await
            .map_err(|e| self.prefixed(from_core(e), "auth"))
    }

    /// `configured`, else the identity's region.
    pub async fn region(&self, configured: Option<&str>) -> Result<String> {
        if let Some(r) = nonblank(configured) {
            return Ok(r.to_string());
        }
        self.auth()
            .await?
            .region()
            .await
            .map_err(from_core)?
            .ok_or_else(|| {
                Error::config(format!(
                    "{}: no region: set `region` (or `endpoint`), the identity brings none",
                    self.what
                ))
            })
    }

    /// `endpoint` when set, else `default_for(region)`; no trailing slash.
    pub async fn base_url(
        &self,
        endpoint: Option<&str>,
        region: Option<&str>,
        default_for: fn(&str) -> oci_core::Result<String>,
    ) -> Result<String> {
        if let Some(e) = nonblank(endpoint) {
            return Ok(e.trim_end_matches('/').to_string());
        }
        let region = self.region(region).await?;
        default_for(&region).map_err(|e| self.prefixed(from_core(e), "region"))
    }

    /// One signed call: JSON `body` for POST/PUT, none otherwise. After a 401 the identity is
    /// refreshed and the call made once more; faults and 429/5xx are retried within the
    /// limits, and the last answer (whatever its status) is returned.
    pub async fn call(&self, method: Method, url: &str, body: Option<&[u8]>) -> Result<Reply> {
        let auth = self.auth().await?;
        let mut refreshed = false;
        let mut attempt = 1;
        loop {
            let (mut parts, ()) = Request::builder()
                .method(method.clone())
                .uri(url)
                .body(())
                .map_err(|e| Error::config(format!("{}: bad URL {url}: {e}", self.what)))?
                .into_parts();
            let sign_body = match body {
                Some(b) => {
                    parts.headers.insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    SignBody::Bytes(b)
                }
                None => SignBody::None,
            };
            auth.sign(&mut parts, sign_body).await.map_err(from_core)?;
            let signed = parts.headers.clone();
            let request = Request::from_parts(parts, body.map(<[u8]>::to_vec).unwrap_or_default());
            let failure = match send(&self.client, request).await {
                Ok(reply) if reply.status == StatusCode::UNAUTHORIZED && !refreshed => {
                    tracing::debug!(
                        auth = auth.name(),
                        "401 from {url}: refreshing the identity and retrying once"
                    );
                    auth.refresh_after_refusal(&signed)
                        .await
                        .map_err(from_core)?;
                    refreshed = true;
                    continue;
                }
                Ok(reply) if !is_retryable(reply.status) => return Ok(reply),
                Ok(reply) if attempt == self.limits.attempts => return Ok(reply),
                Ok(reply) => describe_status(&reply),
                Err(e) => describe_transport(&e),
            };
            if attempt == self.limits.attempts {
                return Err(Error::new(
                    ErrorKind::Temporary,
                    format!("{}: {url}: {failure}", self.what),
                ));
            }
            attempt += 1;
            tokio::time::sleep(pause(&self.limits, attempt)).await;
        }
    }

    /// `<what>: <context>: <message>`.
    pub fn prefixed(&self, mut e: Error, context: &str) -> Error {
        e.message = format!("{}: {context}: {}", self.what, e.message);
        e
    }
}

/// The error kind of a refused call: who is refused is a credentials problem, not a missing
/// object of the sync.
pub(crate) fn refusal_kind(status: StatusCode) -> ErrorKind {
    match status {
        StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED => ErrorKind::Auth,
        StatusCode::FORBIDDEN => ErrorKind::PermissionDenied,
        s if is_retryable(s) => ErrorKind::Temporary,
        _ => ErrorKind::Other,
    }
}
