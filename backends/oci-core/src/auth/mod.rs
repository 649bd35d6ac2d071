//! How requests to OCI are authenticated.
//!
//! Every OCI client in ocisync (Object Storage, Vault, the federation call of instance principals)
//! signs requests through an [`OciAuth`]: it adds the `date` and `authorization` headers for the
//! request as it will go on the wire. Providers differ only in where the key and key id come from:
//! a user's API key or session token ([`user_principal`], [`env`]), or a security token the
//! instance ([`instance_principal`]) or resource ([`resource_principal`]) obtains at run time.

pub mod config_file;
pub mod env;
pub mod federation;
pub mod imds;
pub mod instance_principal;
pub mod jwt;
pub mod no_auth;
pub mod resource_principal;
mod session;
pub mod transport;
pub mod user_principal;
pub mod x509;

use std::sync::Arc;

use crate::{Error, Result};
use async_trait::async_trait;

/// What the signature covers besides `date (request-target) host`.
#[derive(Debug, Clone, Copy)]
pub enum SignBody<'a> {
    /// GET, HEAD, DELETE.
    None,
    /// PutObject and UploadPart: OCI exempts their bodies, so they are streamed, never hashed.
    /// `content-length` and `content-type` are sent but not signed.
    Exempt,
    /// Every other POST/PUT: adds `content-length content-type x-content-sha256` over these
    /// bytes (an empty slice for an empty body).
    Bytes(&'a [u8]),
}

#[async_trait]
pub trait OciAuth: Send + Sync {
    /// Adds `date` (if absent), `x-content-sha256` (for [`SignBody::Bytes`]) and `authorization`
    /// to `parts`, whose URI must be final (absolute, percent-encoded exactly as it will be sent).
    async fn sign(&self, parts: &mut http::request::Parts, body: SignBody<'_>) -> Result<()>;

    /// The service answered 401 NotAuthenticated: drop cached tokens so the retry signs anew.
    async fn refresh(&self) -> Result<()> {
        Ok(())
    }

    /// The service answered 401 to the request signed with these headers. Like
    /// [`refresh`](Self::refresh), except that a token already replaced since that request was
    /// signed is not replaced again: requests refused together cause one refresh, not one each.
    async fn refresh_after_refusal(&self, signed: &http::HeaderMap) -> Result<()> {
        let _ = signed;
        self.refresh().await
    }

    /// The region the identity brings (config-file profile, instance metadata), if any.
    async fn region(&self) -> Result<Option<String>> {
        Ok(None)
    }

    /// The provider's name as configured (`user_principal_auth`...), for messages.
    fn name(&self) -> &'static str;
}

/// The auth-related options of a remote, as rclone names them.
#[derive(Debug, Clone, Default)]
pub struct AuthOptions {
    /// `env_auth` (the default when empty), `user_principal_auth`, `instance_principal_auth`,
    /// `resource_principal_auth`, `workload_identity_auth` or `no_auth`.
    pub provider: String,
    /// OCI config file (`~` allowed); `~/.oci/config` when unset.
    pub config_file: Option<String>,
    /// Profile in the config file; `DEFAULT` when unset (rclone's `Default` means the same).
    pub config_profile: Option<String>,
    /// The remote's region, for providers that need one to find their own service.
    pub region: Option<String>,
    /// Instance principals: the auth service URL, when not derived from the region.
    pub federation_endpoint: Option<String>,
}

/// The identity a remote's options describe.
pub async fn build_auth(opts: &AuthOptions) -> Result<Arc<dyn OciAuth>> {
    match opts.provider.trim() {
        "" | "env_auth" => Ok(Arc::new(env::env_auth(opts)?)),
        "user_principal_auth" => Ok(Arc::new(user_principal::UserPrincipal::from_config_file(
            opts.config_file.as_deref(),
            opts.config_profile.as_deref(),
            config_file::home_dir().as_deref(),
        )?)),
        "no_auth" => Ok(Arc::new(no_auth::NoAuth)),
        "instance_principal_auth" => Ok(instance_principal::InstancePrincipal::shared(
            opts.federation_endpoint.as_deref(),
        )?),
        "resource_principal_auth" => {
            Ok(Arc::new(resource_principal::ResourcePrincipal::from_env()?))
        }
        "workload_identity_auth" => Err(Error::new(
            crate::ErrorKind::Unsupported,
            "provider = workload_identity_auth (OKE pods) is not supported; use \
             instance_principal_auth on the node, resource_principal_auth, or user_principal_auth",
        )),
        other => Err(Error::config(format!(
            "unknown provider '{other}': expected env_auth, user_principal_auth, \
             instance_principal_auth, resource_principal_auth, workload_identity_auth or no_auth"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn opts(provider: &str) -> AuthOptions {
        AuthOptions {
            provider: provider.into(),
            ..AuthOptions::default()
        }
    }

    #[tokio::test]
    async fn maps_rclone_provider_names() {
        let auth = build_auth(&opts("no_auth")).await.expect("no_auth");
        assert_eq!(auth.name(), "no_auth");
        // Nothing is fetched until the first signature, so no metadata service is needed here.
        let auth = build_auth(&opts("instance_principal_auth"))
            .await
            .expect("instance principal");
        assert_eq!(auth.name(), "instance_principal_auth");
        let err = build_auth(&opts("workload_identity_auth"))
            .await
            .err()
            .expect("workload identity");
        assert_eq!(err.kind, ErrorKind::Unsupported);
        assert!(
            err.to_string().contains("workload_identity_auth")
                && err.to_string().contains("not supported"),
            "{err}"
        );
        let err = build_auth(&opts("api_key")).await.err().expect("unknown");
        assert!(
            err.to_string().contains("unknown provider 'api_key'"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn user_principal_reads_the_named_profile() {
        use crate::testutil::{TempDir, openssl};
        let dir = TempDir::new("build-auth");
        let key = dir.path().join("key.pem");
        openssl(&["genrsa", "-out", &key.to_string_lossy(), "2048"]);
        let fingerprint =
            crate::keys::RsaSigningKey::from_pem(&std::fs::read(&key).expect("read"), None)
                .expect("load")
                .fingerprint();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            format!(
                "[DEFAULT]\ntenancy=ocid1.tenancy.oc1..t\nregion=iad\nfingerprint={fingerprint}\nkey_file={}\n\
                 [reports]\nuser=ocid1.user.oc1..u\nregion=eu-frankfurt-1\n",
                key.display()
            ),
        )
        .expect("write config");
        let with = |profile: &str| AuthOptions {
            provider: "user_principal_auth".into(),
            config_file: Some(config.to_string_lossy().into_owned()),
            config_profile: Some(profile.into()),
            ..AuthOptions::default()
        };
        let auth = build_auth(&with("reports")).await.expect("user principal");
        assert_eq!(auth.name(), "user_principal_auth");
        assert_eq!(
            auth.region().await.expect("region").as_deref(),
            Some("eu-frankfurt-1")
        );

        let err = build_auth(&with("Default"))
            .await
            .err()
            .expect("DEFAULT has no user");
        assert_eq!(err.kind, ErrorKind::Auth);
        assert!(
            err.to_string().contains("`user` is not set in")
                && err.to_string().contains("[DEFAULT]"),
            "{err}"
        );
        let err = build_auth(&with("nope"))
            .await
            .err()
            .expect("no such profile");
        assert!(
            err.to_string().contains("profile [nope] not found"),
            "{err}"
        );
    }
}
