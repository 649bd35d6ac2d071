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
use http::{Method, StatusCode};
use ocisync_backend::{
    ConfigValues, CredentialProvider, CredentialSpec, CredentialType, Credentials, Error, Ocid,
    OptionError, Result, Secret,
};
use zeroize::Zeroizing;

use crate::endpoints::secrets_endpoint;
use crate::service::{
    Limits, PrincipalOptions, ServiceClient, check_endpoint_option, describe_status, nonblank,
    refusal_kind,
};
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
        /// Profile in the OCI config file, for auth = user_principal (any letter case:
        /// rclone's `Default` is the same profile).
        config_profile: String = "DEFAULT";
        /// Region of the vault, such as us-ashburn-1. Blank: the identity's region (instance
        /// metadata, resource principal or config-file profile).
        region: Option<String>;
        /// Base URL of the secrets service, replacing
        /// https://secrets.vaults.{region}.oci.{realm domain}. Plain http only for loopback.
        endpoint: Option<String>, advanced;
        /// Full URL of the x509 federation call instance principals make. Blank: derived from
        /// the instance's region.
        federation_endpoint: Option<String>, advanced;
        /// OCID of the Vault secret holding the access key ID (ocid1.vaultsecret...; never the
        /// key itself).
        access_key_id: Ocid;
        /// OCID of the Vault secret holding the secret access key (ocid1.vaultsecret...; never
        /// the key itself: a value that is not an OCID is refused without being shown).
        secret_access_key: Ocid;
        /// OCID of the Vault secret holding a session token, for temporary credentials.
        session_token: Option<Ocid>;
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
        options.check_secret_ids()?;
        let auth_options = PrincipalOptions {
            auth: &options.auth,
            config_file: &options.config_file,
            config_profile: &options.config_profile,
            region: options.region.as_deref(),
            federation_endpoint: options.federation_endpoint.as_deref(),
        }
        .auth_options()?;
        check_endpoint_option("endpoint", options.endpoint.as_deref())?;
        crate::options::check_region_option(
            options.region.as_deref(),
            options.endpoint.as_deref(),
        )?;
        Ok(Arc::new(VaultProvider {
            client: ServiceClient::new(TYPE_NAME, auth_options, LIMITS)?,
            options,
        }))
    }
}

impl VaultOptions {
    /// `(what it is for, secret OCID)` for each configured secret.
    pub fn secret_ids(&self) -> Vec<(&'static str, &str)> {
        let mut ids = vec![
            ("access_key_id", self.access_key_id.as_str()),
            ("secret_access_key", self.secret_access_key.as_str()),
        ];
        if let Some(t) = &self.session_token {
            ids.push(("session_token", t.as_str()));
        }
        ids
    }

    /// Each secret field holds the OCID of a Vault secret, not of something else (a bucket, a
    /// key): GetSecretBundle would only answer 404.
    pub fn check_secret_ids(&self) -> std::result::Result<(), OptionError> {
        for (key, id) in self.secret_ids() {
            if let Some(o) = ocisync_backend::Ocid::parse(id)
                && o.resource_type() != "vaultsecret"
            {
                return Err(OptionError::invalid(
                    key,
                    format!(
                        "is the OCID of a {}, not of a Vault secret (ocid1.vaultsecret...)",
                        o.resource_type()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Reads the configured secrets.
struct VaultProvider {
    options: VaultOptions,
    client: ServiceClient,
}

#[async_trait]
impl CredentialProvider for VaultProvider {
    async fn fetch(&self) -> Result<Credentials> {
        let endpoint = self
            .client
            .base_url(
                self.options.endpoint.as_deref(),
                self.options.region.as_deref(),
                secrets_endpoint,
            )
            .await?;
        let mut credentials = Credentials::default();
        for (key, secret_id) in self.options.secret_ids() {
            let Some(secret_id) = nonblank(Some(secret_id)) else {
                continue;
            };
            let value = read_secret(&self.client, &endpoint, key, secret_id).await?;
            credentials.values.insert(key.to_string(), value);
        }
        tracing::debug!(
            secrets = credentials.values.len(),
            "read credentials from OCI Vault"
        );
        Ok(credentials)
    }
}

/// Reads one secret's current version with GetSecretBundle; errors name the secret OCID and
/// `key` (what it was for), never the value.
pub(crate) async fn read_secret(
    client: &ServiceClient,
    endpoint: &str,
    key: &str,
    secret_id: &str,
) -> Result<Secret> {
    let what = |e: Error| client.prefixed(e, &format!("secret {secret_id} ({key})"));
    let url = format!(
        "{endpoint}/20190301/secretbundles/{}",
        encode_path_segment(secret_id)
    );
    let reply = client.call(Method::GET, &url, None).await.map_err(what)?;
    if reply.status != StatusCode::OK {
        let mut message = describe_status(&reply);
        if reply.status == StatusCode::NOT_FOUND {
            message.push_str(
                " (check the OCID, and that a policy lets this identity `read \
                 secret-bundles` in the secret's compartment)",
            );
        }
        return Err(what(Error::new(refusal_kind(reply.status), message)));
    }
    secret_from_bundle(&reply.body).map_err(|problem| {
        what(Error::new(
            ocisync_backend::ErrorKind::Auth,
            problem.to_string(),
        ))
    })
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
