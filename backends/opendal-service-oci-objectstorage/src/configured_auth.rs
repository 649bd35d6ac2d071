//! The signer the configuration names (`auth = instance_principal`…), built on the first
//! request rather than in `Builder::build`: building an identity may read the OCI config file or
//! call the instance metadata service, which `build` (synchronous, and run by `Operator::new`
//! before any request) should not do.

use std::sync::Arc;

use async_trait::async_trait;
use oci_core::Result;
use oci_core::auth::{AuthOptions, OciAuth, SignBody, build_auth};
use tokio::sync::OnceCell;

pub(crate) struct ConfiguredAuth {
    options: AuthOptions,
    auth: OnceCell<Arc<dyn OciAuth>>,
}

impl ConfiguredAuth {
    pub(crate) fn new(options: AuthOptions) -> Self {
        ConfiguredAuth {
            options,
            auth: OnceCell::new(),
        }
    }

    async fn get(&self) -> Result<&Arc<dyn OciAuth>> {
        self.auth
            .get_or_try_init(|| build_auth(&self.options))
            .await
    }
}

#[async_trait]
impl OciAuth for ConfiguredAuth {
    async fn sign(&self, parts: &mut http::request::Parts, body: SignBody<'_>) -> Result<()> {
        self.get().await?.sign(parts, body).await
    }

    async fn refresh(&self) -> Result<()> {
        self.get().await?.refresh().await
    }

    async fn refresh_after_refusal(&self, signed: &http::HeaderMap) -> Result<()> {
        self.get().await?.refresh_after_refusal(signed).await
    }

    async fn region(&self) -> Result<Option<String>> {
        self.get().await?.region().await
    }

    fn name(&self) -> &'static str {
        match self.auth.get() {
            Some(auth) => auth.name(),
            // Before the first request: the provider as configured.
            None => match self.options.provider.as_str() {
                "user_principal_auth" => "user_principal_auth",
                "instance_principal_auth" => "instance_principal_auth",
                "resource_principal_auth" => "resource_principal_auth",
                "no_auth" => "no_auth",
                _ => "env_auth",
            },
        }
    }
}
