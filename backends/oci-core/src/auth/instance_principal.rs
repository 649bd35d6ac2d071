//! `provider = instance_principal_auth`: the compute instance's own identity, with no key on
//! disk.
//!
//! A session is made by reading the instance's certificate, its key and the intermediate
//! certificate from the metadata service ([`super::imds`]), generating an RSA-2048 session key in
//! memory and trading both for a security token at the federation endpoint
//! ([`super::federation`]). Every refresh does all of this again — new session key, certificate
//! re-read (the metadata service rotates it, roughly every two hours) — and fails if the
//! certificate now names another tenancy. Timing and refusal handling: [`super::session`].
//!
//! The federation endpoint is `https://auth.{region}.{realm domain}/v1/x509` for the instance's
//! region, or the `federation_endpoint` option. All remotes and providers of one process that
//! use the same metadata service and federation endpoint share one identity, so a run fetches
//! one token, not one per remote.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use crate::{Error, ErrorKind, Result};
use async_trait::async_trait;
use jiff::Timestamp;
use tokio::sync::OnceCell;

use super::federation::Federation;
use super::imds::Metadata;
use super::session::{Session, SessionCache, SessionSource, token_expiry};
use super::{OciAuth, SignBody};
use crate::endpoints::Region;
use crate::keys::RsaSigningKey;

const WHO: &str = "instance principal";

/// Identities are shared per metadata service URL and federation endpoint override.
type SharingKey = (String, Option<String>);

/// The instance principal identity.
pub struct InstancePrincipal {
    sessions: SessionCache<InstanceSessions>,
}

impl std::fmt::Debug for InstancePrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstancePrincipal")
            .field("metadata", &self.sessions.source().metadata.base_url())
            .finish_non_exhaustive()
    }
}

impl InstancePrincipal {
    /// The identity for the metadata service in the environment and `federation_endpoint` (or
    /// the region's), shared with every other user of the same two in this process. Nothing is
    /// fetched until the first request is signed.
    pub fn shared(federation_endpoint: Option<&str>) -> Result<Arc<Self>> {
        let metadata = Metadata::from_env()?;
        let federation_endpoint = federation_endpoint
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        let key = (metadata.base_url().to_string(), federation_endpoint.clone());

        static SHARED: Mutex<Option<HashMap<SharingKey, Weak<InstancePrincipal>>>> =
            Mutex::new(None);
        let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        let shared = shared.get_or_insert_with(HashMap::new);
        if let Some(existing) = shared.get(&key).and_then(Weak::upgrade) {
            return Ok(existing);
        }
        let principal = Arc::new(Self::new(metadata, federation_endpoint)?);
        shared.retain(|_, weak| weak.strong_count() > 0);
        shared.insert(key, Arc::downgrade(&principal));
        Ok(principal)
    }

    /// An identity of its own (not shared).
    pub fn new(metadata: Metadata, federation_endpoint: Option<String>) -> Result<Self> {
        let federation = match federation_endpoint {
            Some(endpoint) => {
                let cell = OnceCell::new();
                // A fresh cell always accepts its first value.
                let _ = cell.set(Federation::new(&endpoint)?);
                cell
            }
            None => OnceCell::new(),
        };
        Ok(InstancePrincipal {
            sessions: SessionCache::new(InstanceSessions {
                metadata,
                region: OnceCell::new(),
                federation,
                tenancy: Mutex::new(None),
            }),
        })
    }
}

#[async_trait]
impl OciAuth for InstancePrincipal {
    async fn sign(&self, parts: &mut http::request::Parts, body: SignBody<'_>) -> Result<()> {
        self.sessions.sign(parts, body).await
    }

    async fn refresh(&self) -> Result<()> {
        self.sessions.refresh().await;
        Ok(())
    }

    async fn refresh_after_refusal(&self, signed: &http::HeaderMap) -> Result<()> {
        self.sessions.refresh_after_refusal(signed).await;
        Ok(())
    }

    async fn region(&self) -> Result<Option<String>> {
        Ok(Some(self.sessions.source().region().await?.name.clone()))
    }

    fn name(&self) -> &'static str {
        "instance_principal_auth"
    }
}

/// Makes instance-principal sessions.
struct InstanceSessions {
    metadata: Metadata,
    region: OnceCell<Region>,
    /// Set up front from `federation_endpoint`, else derived from the region on first use.
    federation: OnceCell<Federation>,
    /// The tenancy of the first certificate; a rotated certificate must name the same.
    tenancy: Mutex<Option<String>>,
}

impl InstanceSessions {
    async fn region(&self) -> Result<&Region> {
        self.region.get_or_try_init(|| self.metadata.region()).await
    }

    async fn federation(&self) -> Result<&Federation> {
        self.federation
            .get_or_try_init(|| async {
                // The metadata service names the realm's domain, so unknown regions work too.
                let region = self.region().await?;
                Federation::new(&format!(
                    "https://auth.{}.{}/v1/x509",
                    region.name, region.domain
                ))
            })
            .await
    }

    fn check_tenancy(&self, tenancy: &str) -> Result<()> {
        let mut known = self.tenancy.lock().unwrap_or_else(|p| p.into_inner());
        match known.as_deref() {
            Some(previous) if previous != tenancy => Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "{WHO}: the instance certificate now names tenancy {tenancy}, not {previous} \
                     as before; refusing to switch tenancies mid-run"
                ),
            )),
            Some(_) => Ok(()),
            None => {
                *known = Some(tenancy.to_string());
                Ok(())
            }
        }
    }
}

#[async_trait]
impl SessionSource for InstanceSessions {
    async fn fetch(&self) -> Result<Session> {
        let identity = self.metadata.identity().await?;
        let tenancy = identity.leaf.tenancy().map_err(|e| {
            Error::new(
                ErrorKind::Auth,
                format!(
                    "{WHO}: the certificate from {}/identity/cert.pem: {e}",
                    self.metadata.base_url()
                ),
            )
        })?;
        self.check_tenancy(tenancy)?;
        let federation = self.federation().await?;
        let key = RsaSigningKey::generate()?;
        let token = federation.token(&identity, &key).await?;
        let expires_at = token_expiry(
            &format!("{WHO}: the token from {}", federation.endpoint()),
            &token,
        )?;
        Ok(Session {
            token,
            key: Arc::new(key),
            expires_at,
            fetched_at: Timestamp::now(),
        })
    }

    fn describe(&self) -> &'static str {
        WHO
    }
}

#[cfg(test)]
mod tests;
