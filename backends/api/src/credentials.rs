//! Credential providers: where a remote's secrets come from at run time.
//!
//! A `[credentials.NAME]` section names a provider type (`env`, `static`, `command`, `oci_vault`)
//! and a remote uses it with `credentials = "NAME"`. Values are cached in memory, refreshed shortly
//! before they expire and after the service refuses them; concurrent requests share one refresh.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::error::Result;
use crate::options::{ConfigValues, OptionError, OptionSpec};
use crate::secret::Secret;

/// Named secret values (`access_key_id`, `secret_access_key`, `session_token`...) and when they
/// stop working.
#[derive(Debug, Default, Clone)]
pub struct Credentials {
    pub values: BTreeMap<String, Secret>,
    pub expires_at: Option<Timestamp>,
}

impl Credentials {
    pub fn get(&self, key: &str) -> Option<&Secret> {
        self.values.get(key)
    }
}

/// Produces credentials. Implementations must never put a secret value in an error.
#[async_trait]
pub trait CredentialProvider: Send + Sync {
    async fn fetch(&self) -> Result<Credentials>;
}

/// How long before expiry a cached value is refreshed.
const REFRESH_MARGIN: std::time::Duration = std::time::Duration::from_secs(300);

/// A provider with its cache: what remotes hold.
pub struct CredentialSource {
    name: String,
    provider: Arc<dyn CredentialProvider>,
    // Held across `fetch`, so concurrent callers wait for the one refresh in flight.
    cached: tokio::sync::Mutex<Option<Arc<Credentials>>>,
    margin: std::time::Duration,
}

impl std::fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialSource")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl CredentialSource {
    pub fn new(name: impl Into<String>, provider: Arc<dyn CredentialProvider>) -> Arc<Self> {
        Self::with_margin(name, provider, REFRESH_MARGIN)
    }

    pub fn with_margin(
        name: impl Into<String>,
        provider: Arc<dyn CredentialProvider>,
        margin: std::time::Duration,
    ) -> Arc<Self> {
        Arc::new(CredentialSource {
            name: name.into(),
            provider,
            cached: Default::default(),
            margin,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current credentials, fetched if absent or about to expire.
    pub async fn get(&self) -> Result<Arc<Credentials>> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref() {
            let fresh = match c.expires_at {
                None => true,
                Some(exp) => Timestamp::now() + self.margin < exp,
            };
            if fresh {
                return Ok(c.clone());
            }
        }
        let fetched = Arc::new(self.provider.fetch().await.map_err(|mut e| {
            e.message = format!("credentials {:?}: {}", self.name, e.message);
            e
        })?);
        tracing::debug!(provider = %self.name, expires = ?fetched.expires_at, "fetched credentials");
        *cached = Some(fetched.clone());
        Ok(fetched)
    }

    /// Forgets `used` after a service refused it, so the next [`get`](Self::get) fetches anew.
    /// A newer value fetched meanwhile by another request is kept.
    pub async fn invalidate(&self, used: &Arc<Credentials>) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| Arc::ptr_eq(c, used)) {
            *cached = None;
        }
    }
}

/// A credential provider type, declared like a backend.
pub struct CredentialSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub options: &'static [OptionSpec],
}

pub trait CredentialType: Send + Sync {
    fn spec(&self) -> &'static CredentialSpec;
    /// Builds the provider from checked values; `name` is the `[credentials.NAME]` name.
    fn build(
        &self,
        name: &str,
        values: &ConfigValues,
    ) -> std::result::Result<Arc<dyn CredentialProvider>, OptionError>;
}

/// A credential type whose parsed options are the provider itself (nothing to set up first):
/// declares the type with its spec and its options' parser, instead of a type and an impl each.
pub struct OptionsCredentialType<O> {
    pub spec: &'static CredentialSpec,
    pub parse: fn(&ConfigValues) -> std::result::Result<O, OptionError>,
}

impl<O: CredentialProvider + 'static> CredentialType for OptionsCredentialType<O> {
    fn spec(&self) -> &'static CredentialSpec {
        self.spec
    }

    fn build(
        &self,
        _name: &str,
        values: &ConfigValues,
    ) -> std::result::Result<Arc<dyn CredentialProvider>, OptionError> {
        Ok(Arc::new((self.parse)(values)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting {
        calls: AtomicUsize,
        lifetime: jiff::SignedDuration,
    }

    #[async_trait]
    impl CredentialProvider for Counting {
        async fn fetch(&self) -> Result<Credentials> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let mut c = Credentials {
                expires_at: Some(Timestamp::now() + self.lifetime),
                ..Default::default()
            };
            c.values.insert("n".into(), Secret::new(n.to_string()));
            Ok(c)
        }
    }

    #[tokio::test]
    async fn one_refresh_for_many_callers() {
        let p = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime: jiff::SignedDuration::from_hours(1),
        });
        let src = CredentialSource::new("t", p.clone());
        let gets = (0..8).map(|_| src.get());
        let all = futures::future::join_all(gets).await;
        assert!(
            all.iter()
                .all(|c| c.as_ref().unwrap().get("n").unwrap().expose() == "1")
        );
        assert_eq!(p.calls.load(Ordering::SeqCst), 1);

        let used = src.get().await.unwrap();
        src.invalidate(&used).await;
        assert_eq!(src.get().await.unwrap().get("n").unwrap().expose(), "2");
        // A stale handle does not throw away the newer value.
        src.invalidate(&used).await;
        assert_eq!(src.get().await.unwrap().get("n").unwrap().expose(), "2");
    }

    #[tokio::test]
    async fn refreshes_before_expiry() {
        let p = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime: jiff::SignedDuration::from_secs(60),
        });
        let src = CredentialSource::new("t", p.clone());
        src.get().await.unwrap();
        src.get().await.unwrap();
        // 60 s of life is inside the 5 min margin: each get refreshes.
        assert_eq!(p.calls.load(Ordering::SeqCst), 2);
    }
}
