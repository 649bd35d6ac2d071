//! The service's configuration: a plain serde struct, as every OpenDAL service has, so it can be
//! given as key/value pairs (`Operator::via_iter`), a URI (`oos://bucket/root?region=…`) or set
//! field by field through the builder — including who signs (`auth`, `config_file`, …).

use std::collections::HashMap;

use oci_core::Secret;
use opendal::{Configurator, OperatorUri, Result};
use serde::{Deserialize, Serialize};

/// OCI's storage tiers as PutObject's `storage-tier` header spells them.
pub const STORAGE_TIERS: &[&str] = &["Standard", "InfrequentAccess", "Archive"];

/// OCI limits (docs "Using Multipart Uploads"): parts are numbered 1..=10000, a part is at most
/// 50 GiB, an object at most 10 TiB.
pub const MAX_PARTS: usize = 10_000;
pub const MAX_PART_SIZE: u64 = 50 << 30;
pub const MAX_OBJECT_SIZE: u64 = 10 << 40;

/// The only SSE-C algorithm OCI knows.
pub const SSE_ALGORITHM: &str = "AES256";

/// An SSE-C key as the `opc-sse-customer-*` headers carry it.
#[derive(Clone, Debug)]
pub struct SseCustomerKey {
    pub algorithm: String,
    /// Base64 of the 256-bit key.
    pub key: Secret,
    /// Base64 of the key's SHA-256.
    pub key_sha256: String,
}

/// The OpenDAL service's configuration. The SSE-C key is given to the builder instead (it is a
/// secret, not a setting); so can a signer built in code (`ObjectStorageBuilder::auth`), which
/// then replaces `auth`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ObjectStorageConfig {
    /// Prefix inside the bucket every path is relative to, e.g. `/reports/`. Default `/`.
    pub root: Option<String>,
    /// Bucket name (for usage reports: the tenancy OCID).
    pub bucket: String,
    /// Namespace; `None` asks GetNamespace once.
    pub namespace: Option<String>,
    /// Object Storage base URL, e.g. `https://objectstorage.us-ashburn-1.oraclecloud.com`.
    /// Empty: derived from `region`.
    pub endpoint: String,
    /// Region such as `us-ashburn-1` (short codes such as `iad` too): where `endpoint` points
    /// when it is empty, and the region identities that need one use.
    pub region: Option<String>,
    /// Who signs: `instance_principal`, `resource_principal`, `user_principal` (an API key or
    /// session token from `config_file`), `env` (the OCI config file's profile as the
    /// `OCI_CLI_*` variables choose it) or `no_auth` (public buckets). `_auth` suffixes, as
    /// rclone spells them, are accepted.
    pub auth: Option<String>,
    /// OCI config file (`~` allowed) for `user_principal` and `env`; `~/.oci/config` when unset.
    pub config_file: Option<String>,
    /// Profile inside the config file; `DEFAULT` when unset.
    pub config_profile: Option<String>,
    /// Instance principals: the X.509 federation URL, when not derived from the region.
    pub federation_endpoint: Option<String>,
    /// `storage-tier` of new objects; `None` leaves it to the bucket's default.
    pub storage_tier: Option<String>,
    /// Smallest part of a multipart upload. Default 5 MiB.
    pub chunk_size: Option<usize>,
    /// Parts in flight when the writer is not told otherwise. Default 10.
    pub upload_concurrency: Option<usize>,
    /// Most parts in one upload. Default 10000.
    pub max_upload_parts: Option<usize>,
    pub leave_parts_on_error: bool,
    pub no_check_bucket: bool,
    /// `opc-sse-kms-key-id` of new objects.
    pub sse_kms_key_id: Option<String>,
    /// `User-Agent` of every request; `opendal-service-oci-objectstorage/<version>` when unset.
    pub user_agent: Option<String>,
}

impl ObjectStorageConfig {
    /// The identity options `oci_core::auth::build_auth` takes, when `auth` is set.
    pub(crate) fn auth_options(&self) -> Option<oci_core::auth::AuthOptions> {
        let auth = self
            .auth
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())?;
        let provider = match auth.trim_end_matches("_auth") {
            "env" => "env_auth".to_string(),
            "no" => "no_auth".to_string(),
            // build_auth names anything else it does not know.
            p => format!("{p}_auth"),
        };
        Some(oci_core::auth::AuthOptions {
            provider,
            config_file: self.config_file.clone(),
            config_profile: self.config_profile.clone(),
            region: self.region.clone(),
            federation_endpoint: self.federation_endpoint.clone(),
        })
    }
}

impl Configurator for ObjectStorageConfig {
    type Builder = crate::backend::ObjectStorageBuilder;

    /// `oos://BUCKET/ROOT?namespace=…&region=…&auth=…`.
    fn from_uri(uri: &OperatorUri) -> Result<Self> {
        let mut map: HashMap<String, String> = uri.options().clone();
        if let Some(name) = uri.name() {
            map.insert("bucket".to_string(), name.to_string());
        }
        if let Some(root) = uri.root() {
            map.insert("root".to_string(), root.to_string());
        }
        Self::from_iter(map)
    }

    fn into_builder(self) -> Self::Builder {
        crate::backend::ObjectStorageBuilder::from_config(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_iter_and_from_uri() {
        let c = ObjectStorageConfig::from_iter([
            ("bucket".to_string(), "reports".to_string()),
            ("namespace".to_string(), "bling".to_string()),
            ("auth".to_string(), "instance_principal".to_string()),
            ("chunk_size".to_string(), "8388608".to_string()),
            ("no_check_bucket".to_string(), "true".to_string()),
        ])
        .expect("from_iter");
        assert_eq!(c.bucket, "reports");
        assert_eq!(c.namespace.as_deref(), Some("bling"));
        assert_eq!(c.chunk_size, Some(8 << 20));
        assert!(c.no_check_bucket);
        assert_eq!(
            c.auth_options().map(|a| a.provider),
            Some("instance_principal_auth".to_string())
        );

        let uri = OperatorUri::new(
            "oos://reports/usage/?region=iad&auth=user_principal_auth",
            std::iter::empty::<(String, String)>(),
        )
        .expect("uri");
        let c = ObjectStorageConfig::from_uri(&uri).expect("from_uri");
        assert_eq!(c.bucket, "reports");
        assert_eq!(c.root.as_deref(), Some("usage"));
        assert_eq!(c.region.as_deref(), Some("iad"));
        assert_eq!(
            c.auth_options().map(|a| a.provider),
            Some("user_principal_auth".to_string())
        );
        assert!(ObjectStorageConfig::default().auth_options().is_none());
    }
}
