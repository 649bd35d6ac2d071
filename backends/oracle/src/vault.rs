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
//! the call is tried once more. The request and the decoding of the bundle (base64, trimmed of
//! surrounding whitespace, control characters refused) are `oci_core::vault`'s; here are the
//! options, the credential-provider glue and ocisync's errors. Errors name the secret OCID and
//! what it was for, never the value.

use std::sync::Arc;

use std::time::Duration;

use async_trait::async_trait;

use http::{Method, StatusCode};
use oci_core::vault::{NOT_FOUND_HINT, secret_bundle_url, secret_from_bundle};
use ocisync_backend::{
    ConfigValues, CredentialProvider, CredentialSpec, CredentialType, Credentials, Error, Ocid,
    OptionError, Result, Secret,
};

use crate::endpoints::secrets_endpoint;
use crate::error::from_core;
use crate::service::{
    Limits, PrincipalOptions, ServiceClient, check_endpoint_option, describe_status, nonblank,
    refusal_kind,
};

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
    let url = secret_bundle_url(endpoint, secret_id);
    let reply = client.call(Method::GET, &url, None).await.map_err(what)?;
    if reply.status != StatusCode::OK {
        let mut message = describe_status(&reply);
        if reply.status == StatusCode::NOT_FOUND {
            message.push_str(NOT_FOUND_HINT);
        }
        return Err(what(Error::new(refusal_kind(reply.status), message)));
    }
    // The value moves from oci-core's secret to ocisync's; both zero their bytes on drop.
    secret_from_bundle(&reply.body)
        .map(|value| Secret::new(value.expose()))
        .map_err(|problem| what(from_core(problem.into())))
}

#[cfg(test)]
mod tests;
