//! Small signed JSON calls to OCI services other than Object Storage (Vault's secrets,
//! Notifications, Identity): one identity, built on first use, one HTTP client, and how a call
//! is retried — one refresh after a 401, a few attempts for faults and throttling. Messages
//! start with what the caller is (`oci_vault: …`).

use std::sync::Arc;

use http::{Method, Request, StatusCode};
use tokio::sync::OnceCell;

use crate::auth::transport::{
    Limits, Reply, client, describe_status, describe_transport, is_retryable, pause, send,
};
use crate::auth::{AuthOptions, OciAuth, SignBody, build_auth};
use crate::{Error, ErrorKind, Result};

/// `Some(value)` unless blank.
fn nonblank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// An identity and an HTTP client for one kind of call.
pub struct ServiceClient {
    /// The section type, prefixed to messages (`oci_vault`).
    what: &'static str,
    auth_options: AuthOptions,
    /// Made on first use: building an identity may read files or the environment.
    auth: OnceCell<Arc<dyn OciAuth>>,
    client: reqwest::Client,
    limits: Limits,
}

impl ServiceClient {
    pub fn new(what: &'static str, auth_options: AuthOptions, limits: Limits) -> Result<Self> {
        let client = client(&limits)?;
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
            .map_err(|e| self.prefixed(e, "auth"))
    }

    /// `configured`, else the identity's region.
    pub async fn region(&self, configured: Option<&str>) -> Result<String> {
        if let Some(r) = nonblank(configured) {
            return Ok(r.to_string());
        }
        self.auth().await?.region().await?.ok_or_else(|| {
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
        default_for: fn(&str) -> Result<String>,
    ) -> Result<String> {
        if let Some(e) = nonblank(endpoint) {
            return Ok(e.trim_end_matches('/').to_string());
        }
        let region = self.region(region).await?;
        default_for(&region).map_err(|e| self.prefixed(e, "region"))
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
            auth.sign(&mut parts, sign_body).await?;
            let signed = parts.headers.clone();
            let request = Request::from_parts(parts, body.map(<[u8]>::to_vec).unwrap_or_default());
            let failure = match send(&self.client, request).await {
                Ok(reply) if reply.status == StatusCode::UNAUTHORIZED && !refreshed => {
                    tracing::debug!(
                        auth = auth.name(),
                        "401 from {url}: refreshing the identity and retrying once"
                    );
                    auth.refresh_after_refusal(&signed).await?;
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

    /// What the caller is (`oci_vault`), as messages start.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// `<what>: <context>: <message>`.
    pub fn prefixed(&self, mut e: Error, context: &str) -> Error {
        e.message = format!("{}: {context}: {}", self.what, e.message);
        e
    }
}
