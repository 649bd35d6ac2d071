//! `type = "oci_vault"`: a credential provider that reads secrets from OCI Vault at run time, so
//! the keys of another service (AWS, typically) never touch the disk.
//!
//! ```toml
//! [credentials.aws_keys_from_vault]
//! type = "oci_vault"
//! auth = "instance_principal"          # or resource_principal, user_principal
//! region = "us-ashburn-1"
//! access_key_id = "ocid1.vaultsecret.oc1..aaaa"       # secret OCIDs, not values
//! secret_access_key = "ocid1.vaultsecret.oc1..bbbb"
//! ```
//!
//! Each secret is read with GetSecretBundle (`GET {endpoint}/20190301/secretbundles/{secretId}`,
//! the current version), signed by the configured identity; a 401 makes the identity refresh and
//! the call is tried once more. The bundle's base64 content is decoded and trimmed of
//! surrounding whitespace (a trailing newline from `echo` is the classic cause of S3 "invalid
//! header" errors); a value that still holds control characters is refused. Errors name the
//! secret OCID and what it was for, never the value.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{Request, StatusCode};
use ocisync_backend::{
    ConfigValues, CredentialProvider, CredentialSpec, CredentialType, Credentials, Error,
    ErrorKind, OptionError, Result, Secret,
};
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use crate::auth::transport::{
    Limits, Reply, client, describe_status, describe_transport, is_retryable, pause, send,
};
use crate::auth::{AuthOptions, OciAuth, SignBody, build_auth};
use crate::endpoints::{check_endpoint_url, secrets_endpoint};
use crate::sign::encode_path_segment;

const TYPE_NAME: &str = "oci_vault";

const LIMITS: Limits = Limits {
    connect: Duration::from_secs(10),
    total: Duration::from_secs(30),
    attempts: 3,
    backoff: Duration::from_millis(500),
    use_proxy: true,
};

ocisync_backend::declare_options! {
    /// Options of `type = "oci_vault"`.
    pub struct VaultOptions {
        /// Who reads the secrets: instance_principal (the VM's own identity), resource_principal
        /// (OCI Functions, Container Instances) or user_principal (an API key in config_file).
        auth: String = "instance_principal";
        /// OCI config file, for auth = user_principal.
        config_file: String = "~/.oci/config";
        /// Profile in the OCI config file, for auth = user_principal.
        config_profile: String = "DEFAULT";
        /// Region of the vault, e.g. us-ashburn-1. Blank: the identity's region (instance
        /// metadata, resource principal or config-file profile).
        region: Option<String>;
        /// Base URL of the secrets service, replacing
        /// https://secrets.vaults.{region}.oci.{realm domain}. Plain http only for loopback.
        endpoint: Option<String>, advanced;
        /// Full URL of the x509 federation call instance principals make. Blank: derived from
        /// the instance's region.
        federation_endpoint: Option<String>, advanced;
        /// OCID of the secret holding the access key ID.
        access_key_id: String;
        /// OCID of the secret holding the secret access key.
        secret_access_key: String;
        /// OCID of the secret holding a session token, for temporary credentials.
        session_token: Option<String>;
    }
}

static SPEC: CredentialSpec = CredentialSpec {
    name: TYPE_NAME,
    description: "Secrets read from OCI Vault at run time (values stay in memory).",
    options: VaultOptions::SPECS,
};

/// The `oci_vault` credential type, for the registry.
pub struct VaultType;
pub static TYPE: VaultType = VaultType;

impl CredentialType for VaultType {
    fn spec(&self) -> &'static CredentialSpec {
        &SPEC
    }

    fn build(
        &self,
        _name: &str,
        values: &ConfigValues,
    ) -> std::result::Result<Arc<dyn CredentialProvider>, OptionError> {
        let options = VaultOptions::from_values(values)?;
        let provider = auth_provider(&options.auth)
            .ok_or_else(|| OptionError::invalid("auth", "must be instance_principal, resource_principal or user_principal (workload_identity is not supported)"))?;
        for (key, url) in [
            ("endpoint", &options.endpoint),
            ("federation_endpoint", &options.federation_endpoint),
        ] {
            if let Some(url) = url.as_deref().filter(|u| !u.is_empty()) {
                check_endpoint_url(url).map_err(|e| OptionError::invalid(key, e.to_string()))?;
            }
        }
        let client = client(&LIMITS).map_err(|e| OptionError::invalid("endpoint", e.message))?;
        Ok(Arc::new(VaultProvider {
            auth_options: AuthOptions {
                provider: provider.to_string(),
                config_file: Some(options.config_file.clone()),
                config_profile: Some(options.config_profile.clone()),
                region: options.region.clone().filter(|r| !r.is_empty()),
                federation_endpoint: options
                    .federation_endpoint
                    .clone()
                    .filter(|e| !e.is_empty()),
            },
            options,
            auth: OnceCell::new(),
            client,
        }))
    }
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

/// Reads the configured secrets.
struct VaultProvider {
    options: VaultOptions,
    auth_options: AuthOptions,
    /// Made on first use: building an identity may read files or the environment.
    auth: OnceCell<Arc<dyn OciAuth>>,
    client: reqwest::Client,
}

#[async_trait]
impl CredentialProvider for VaultProvider {
    async fn fetch(&self) -> Result<Credentials> {
        let auth = self
            .auth
            .get_or_try_init(|| build_auth(&self.auth_options))
            .await
            .map_err(|e| prefixed(e, "auth"))?;
        let endpoint = self.endpoint(auth.as_ref()).await?;
        let mut credentials = Credentials::default();
        for (key, secret_id) in [
            ("access_key_id", Some(&self.options.access_key_id)),
            ("secret_access_key", Some(&self.options.secret_access_key)),
            ("session_token", self.options.session_token.as_ref()),
        ] {
            let Some(secret_id) = secret_id.map(|s| s.trim()).filter(|s| !s.is_empty()) else {
                continue;
            };
            let value = self
                .read_secret(auth.as_ref(), &endpoint, key, secret_id)
                .await?;
            credentials.values.insert(key.to_string(), value);
        }
        tracing::debug!(
            auth = auth.name(),
            secrets = credentials.values.len(),
            "read credentials from OCI Vault"
        );
        Ok(credentials)
    }
}

impl VaultProvider {
    /// `endpoint`, else the secrets service of `region` or the identity's region.
    async fn endpoint(&self, auth: &dyn OciAuth) -> Result<String> {
        if let Some(e) = self.options.endpoint.as_deref().filter(|e| !e.is_empty()) {
            return Ok(e.trim_end_matches('/').to_string());
        }
        let region = match self.options.region.clone().filter(|r| !r.is_empty()) {
            Some(r) => r,
            None => auth.region().await?.ok_or_else(|| {
                Error::config(format!(
                    "{TYPE_NAME}: no region: set `region` (the vault's region) or `endpoint`"
                ))
            })?,
        };
        secrets_endpoint(&region).map_err(|e| prefixed(e, "region"))
    }

    async fn read_secret(
        &self,
        auth: &dyn OciAuth,
        endpoint: &str,
        key: &str,
        secret_id: &str,
    ) -> Result<Secret> {
        let what = |e: Error| prefixed(e, &format!("secret {secret_id} ({key})"));
        let url = format!(
            "{endpoint}/20190301/secretbundles/{}",
            encode_path_segment(secret_id)
        );
        let reply = self.get_signed(auth, &url).await.map_err(what)?;
        if reply.status != StatusCode::OK {
            let mut message = describe_status(&reply);
            let kind = match reply.status {
                StatusCode::NOT_FOUND => {
                    message.push_str(
                        " (check the OCID, and that a policy lets this identity `read \
                         secret-bundles` in the secret's compartment)",
                    );
                    // OCI says the same for "missing" and "not yours": a credentials problem
                    // either way, not a missing object of the sync.
                    ErrorKind::Auth
                }
                StatusCode::UNAUTHORIZED => ErrorKind::Auth,
                StatusCode::FORBIDDEN => ErrorKind::PermissionDenied,
                s if is_retryable(s) => ErrorKind::Temporary,
                _ => ErrorKind::Other,
            };
            return Err(what(Error::new(kind, message)));
        }
        secret_from_bundle(&reply.body)
            .map_err(|problem| what(Error::new(ErrorKind::Auth, problem.to_string())))
    }

    /// GET `url` signed; one refresh and retry after a 401, a few retries for faults.
    async fn get_signed(&self, auth: &dyn OciAuth, url: &str) -> Result<Reply> {
        let mut refreshed = false;
        let mut attempt = 1;
        loop {
            let (mut parts, ()) = Request::get(url)
                .body(())
                .map_err(|e| Error::config(format!("bad secrets URL {url}: {e}")))?
                .into_parts();
            auth.sign(&mut parts, SignBody::None).await?;
            let signed = parts.headers.clone();
            let failure = match send(&self.client, Request::from_parts(parts, Vec::new())).await {
                Ok(reply) if reply.status == StatusCode::UNAUTHORIZED && !refreshed => {
                    tracing::debug!(
                        auth = auth.name(),
                        "401 from the secrets service: refreshing the identity and retrying once"
                    );
                    auth.refresh_after_refusal(&signed).await?;
                    refreshed = true;
                    continue;
                }
                Ok(reply) if !is_retryable(reply.status) => return Ok(reply),
                Ok(reply) if attempt == LIMITS.attempts => return Ok(reply),
                Ok(_) => None,
                Err(e) => Some(describe_transport(&e)),
            };
            if attempt == LIMITS.attempts {
                return Err(Error::new(
                    ErrorKind::Temporary,
                    format!("secrets service at {url}: {}", failure.unwrap_or_default()),
                ));
            }
            attempt += 1;
            tokio::time::sleep(pause(&LIMITS, attempt)).await;
        }
    }
}

/// `oci_vault: <context>: <message>`.
fn prefixed(mut e: Error, context: &str) -> Error {
    e.message = format!("{TYPE_NAME}: {context}: {}", e.message);
    e
}

/// Why a secret's content cannot be used. Never holds the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("the secret bundle is not the expected JSON (secretBundleContent.content)")]
    NotABundle,
    #[error("the secret's content type is {0}, not BASE64")]
    NotBase64Type(String),
    #[error("the secret's content is not valid base64")]
    BadBase64,
    #[error("the secret's value is not UTF-8 text")]
    NotText,
    #[error("the secret's value is empty (after trimming surrounding whitespace)")]
    Empty,
    #[error(
        "the secret's value contains control characters (other than surrounding whitespace, \
         which is trimmed); store the value alone, without them"
    )]
    ControlCharacters,
}

/// The value of a GetSecretBundle response body.
pub fn secret_from_bundle(body: &[u8]) -> std::result::Result<Secret, ContentError> {
    #[derive(serde::Deserialize)]
    struct Bundle {
        #[serde(rename = "secretBundleContent")]
        content: Option<Content>,
    }
    #[derive(serde::Deserialize)]
    struct Content {
        #[serde(rename = "contentType")]
        content_type: Option<String>,
        content: Option<String>,
    }
    let bundle: Bundle = serde_json::from_slice(body).map_err(|_| ContentError::NotABundle)?;
    let content = bundle.content.ok_or(ContentError::NotABundle)?;
    let encoded = Zeroizing::new(content.content.ok_or(ContentError::NotABundle)?);
    if let Some(t) = content
        .content_type
        .filter(|t| !t.eq_ignore_ascii_case("BASE64"))
    {
        return Err(ContentError::NotBase64Type(t));
    }
    decode_secret(&encoded)
}

/// Base64 → text, trimmed of surrounding whitespace, refused if control characters remain.
pub fn decode_secret(encoded: &str) -> std::result::Result<Secret, ContentError> {
    let bytes = Zeroizing::new(
        STANDARD
            .decode(encoded.trim())
            .map_err(|_| ContentError::BadBase64)?,
    );
    let text = std::str::from_utf8(&bytes).map_err(|_| ContentError::NotText)?;
    let value = text.trim();
    if value.is_empty() {
        return Err(ContentError::Empty);
    }
    if value.chars().any(char::is_control) {
        return Err(ContentError::ControlCharacters);
    }
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests;
