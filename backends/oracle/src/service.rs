//! Small signed JSON calls to OCI services other than Object Storage — Vault's secrets,
//! Notifications, Identity — made by the `oci_vault` credential type, the `oci_notifications`
//! alert sink and `ocisync doctor`. They share how the identity is chosen (`auth`,
//! `config_file`, `config_profile`, `region`, `federation_endpoint`), built lazily, and how a
//! call is retried: one refresh after a 401, a few attempts for faults and throttling — the
//! client itself is `oci_core::service`; here are the options and ocisync's errors.

use std::sync::Arc;

use http::{Method, StatusCode};
use ocisync_backend::{Error, ErrorKind, OptionError, Result};

use crate::auth::transport::is_retryable;
pub(crate) use crate::auth::transport::{Limits, Reply, describe_status};
use crate::auth::{AuthOptions, OciAuth};
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

/// An identity and an HTTP client for one kind of call: `oci_core::service::ServiceClient`, its
/// errors as ocisync's.
pub(crate) struct ServiceClient(oci_core::service::ServiceClient);

impl ServiceClient {
    pub fn new(
        what: &'static str,
        auth_options: AuthOptions,
        limits: Limits,
    ) -> std::result::Result<Self, OptionError> {
        crate::use_ocisync_transport();
        oci_core::service::ServiceClient::new(what, auth_options, limits)
            .map(ServiceClient)
            .map_err(|e| OptionError::invalid("endpoint", e.message))
    }

    /// The identity, built on first use.
    pub async fn auth(&self) -> Result<&Arc<dyn OciAuth>> {
        self.0.auth().await.map_err(from_core)
    }

    /// `configured`, else the identity's region.
    pub async fn region(&self, configured: Option<&str>) -> Result<String> {
        self.0.region(configured).await.map_err(from_core)
    }

    /// `endpoint` when set, else `default_for(region)`; no trailing slash.
    pub async fn base_url(
        &self,
        endpoint: Option<&str>,
        region: Option<&str>,
        default_for: fn(&str) -> oci_core::Result<String>,
    ) -> Result<String> {
        self.0
            .base_url(endpoint, region, default_for)
            .await
            .map_err(from_core)
    }

    /// One signed call (`oci_core::service::ServiceClient::call`): after a 401 the identity
    /// is refreshed once; faults and 429/5xx are retried within the limits.
    pub async fn call(&self, method: Method, url: &str, body: Option<&[u8]>) -> Result<Reply> {
        self.0.call(method, url, body).await.map_err(from_core)
    }

    /// `<what>: <context>: <message>`.
    pub fn prefixed(&self, mut e: Error, context: &str) -> Error {
        e.message = format!("{}: {context}: {}", self.0.what(), e.message);
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
