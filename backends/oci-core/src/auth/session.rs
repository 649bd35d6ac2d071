//! Security-token identities (instance and resource principals): a session — token plus the
//! private key it certifies — kept in memory, used as key id `ST$<token>`, and replaced
//!
//! - shortly before the token's `exp`: half its lifetime, at most 5 minutes, before it (OCI's
//!   SDKs use 1 or 5 minutes; half the lifetime keeps short-lived tokens from being fetched on
//!   every request), but never sooner than 5 s after it was fetched;
//! - after a service refused it (401): [`SessionCache::refresh`].
//!
//! Fetches happen under one lock, so concurrent requests share the fetch in flight. When several
//! requests signed with the same token are refused together, only the first refusal leads to a
//! new token: a refusal reported with the refused request's headers
//! ([`SessionCache::refresh_after_refusal`]) changes nothing once that token has been replaced.

use std::sync::Arc;

use crate::{Error, ErrorKind, Result, Secret};
use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use super::SignBody;
use crate::keys::RsaSigningKey;
use crate::sign::{HostHeader, sign_request};

/// The most a token is refreshed ahead of its expiry.
const MAX_MARGIN: SignedDuration = SignedDuration::from_mins(5);
/// A token is used at least this long, however short-lived, so a service that issues nearly
/// expired tokens cannot make every request fetch one.
const MIN_USE: SignedDuration = SignedDuration::from_secs(5);

/// A token and the key it certifies.
pub struct Session {
    pub token: Secret,
    pub key: Arc<RsaSigningKey>,
    pub expires_at: Timestamp,
    pub fetched_at: Timestamp,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("expires_at", &self.expires_at)
            .field("fetched_at", &self.fetched_at)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Whether it is time to fetch a new token.
    pub fn needs_refresh(&self, now: Timestamp) -> bool {
        needs_refresh(now, self.fetched_at, self.expires_at)
    }
}

pub(crate) fn needs_refresh(now: Timestamp, fetched_at: Timestamp, expires_at: Timestamp) -> bool {
    let lifetime = expires_at.duration_since(fetched_at);
    let margin = (lifetime / 2).clamp(SignedDuration::ZERO, MAX_MARGIN);
    now >= expires_at - margin && now.duration_since(fetched_at) >= MIN_USE
}

/// Where sessions come from.
#[async_trait]
pub trait SessionSource: Send + Sync {
    async fn fetch(&self) -> Result<Session>;
    /// For messages: `instance principal`, `resource principal`.
    fn describe(&self) -> &'static str;
}

struct State {
    current: Option<Arc<Session>>,
    /// A service refused the current session: fetch anew before the next signature.
    refused: bool,
}

/// The current session of one identity.
pub struct SessionCache<S> {
    source: S,
    // Held across fetches: concurrent signers wait for the fetch in flight.
    state: tokio::sync::Mutex<State>,
}

impl<S: SessionSource> SessionCache<S> {
    pub fn new(source: S) -> Self {
        SessionCache {
            source,
            state: tokio::sync::Mutex::new(State {
                current: None,
                refused: false,
            }),
        }
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    /// Signs with `ST$<token>` and the session key, fetching a session first if needed.
    pub async fn sign(&self, parts: &mut http::request::Parts, body: SignBody<'_>) -> Result<()> {
        let session = self.current().await?;
        let key_id = Secret::new(format!("ST${}", session.token.expose()));
        sign_request(
            parts,
            key_id.expose(),
            &session.key,
            body,
            HostHeader::Signed,
        )
    }

    /// A service refused the current session: the next signature fetches a new one.
    pub async fn refresh(&self) {
        self.state.lock().await.refused = true;
    }

    /// A service refused the request signed with `signed` (its headers): unless the session it
    /// carried has been replaced since, the next signature fetches a new one.
    pub async fn refresh_after_refusal(&self, signed: &http::HeaderMap) {
        let used = signed
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(key_id);
        let mut state = self.state.lock().await;
        let replaced = match (&used, &state.current) {
            (Some(used), Some(current)) => {
                used.expose().strip_prefix("ST$") != Some(current.token.expose())
            }
            // Not recognisably one of this identity's signatures: assume the current session.
            _ => false,
        };
        if !replaced {
            state.refused = true;
        }
    }

    async fn current(&self) -> Result<Arc<Session>> {
        let mut state = self.state.lock().await;
        let now = Timestamp::now();
        let usable = |s: &Session| !s.needs_refresh(now);
        match state.current.clone() {
            Some(s) if !state.refused && usable(&s) => return Ok(s),
            _ => {}
        }
        match self.source.fetch().await {
            Ok(session) => {
                tracing::debug!(
                    identity = self.source.describe(),
                    expires = %session.expires_at,
                    "fetched a security token"
                );
                let session = Arc::new(session);
                state.current = Some(session.clone());
                state.refused = false;
                Ok(session)
            }
            // A refresh ahead of expiry failed, but the token still works: keep using it.
            Err(e) => match state.current.clone() {
                Some(s) if !state.refused && now < s.expires_at => {
                    tracing::warn!(
                        identity = self.source.describe(),
                        expires = %s.expires_at,
                        "could not refresh the security token, still using the current one: {e}"
                    );
                    Ok(s)
                }
                _ => Err(e),
            },
        }
    }
}

/// The `keyId` of an `Authorization: Signature ...` value; a credential for session tokens,
/// so it is kept in a [`Secret`].
fn key_id(authorization: &str) -> Option<Secret> {
    let start = authorization.find("keyId=\"")? + "keyId=\"".len();
    let length = authorization[start..].find('"')?;
    Some(Secret::new(&authorization[start..start + length]))
}

/// The expiry of a fetched token, as an error naming `who` when it cannot be read.
pub(crate) fn token_expiry(who: &str, token: &Secret) -> Result<Timestamp> {
    super::jwt::expiry(token.expose())
        .map_err(|e| Error::new(ErrorKind::Auth, format!("{who}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).expect("time")
    }

    #[test]
    fn refresh_timing() {
        // A 20-minute token: refreshed 5 minutes before it expires.
        assert!(!needs_refresh(t(0), t(0), t(1200)));
        assert!(!needs_refresh(t(899), t(0), t(1200)));
        assert!(needs_refresh(t(900), t(0), t(1200)));
        // A 60 s token: at half its lifetime.
        assert!(!needs_refresh(t(29), t(0), t(60)));
        assert!(needs_refresh(t(30), t(0), t(60)));
        // Expired or nearly expired on arrival: used for 5 s before asking again.
        assert!(!needs_refresh(t(4), t(0), t(-10)));
        assert!(needs_refresh(t(5), t(0), t(-10)));
        assert!(!needs_refresh(t(1), t(0), t(2)));
        assert!(needs_refresh(t(6), t(0), t(2)));
    }

    /// Hands out numbered sessions with a fixed lifetime.
    struct Numbered {
        fetches: AtomicU32,
        lifetime: SignedDuration,
        key: Arc<RsaSigningKey>,
    }

    #[async_trait]
    impl SessionSource for Numbered {
        async fn fetch(&self) -> Result<Session> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let now = Timestamp::now();
            Ok(Session {
                token: Secret::new(format!("token-{n}")),
                // The test only compares key ids; one key serves all sessions.
                key: self.key.clone(),
                expires_at: now + self.lifetime,
                fetched_at: now,
            })
        }

        fn describe(&self) -> &'static str {
            "test"
        }
    }

    fn cache(lifetime: SignedDuration) -> Arc<SessionCache<Numbered>> {
        Arc::new(SessionCache::new(Numbered {
            fetches: AtomicU32::new(0),
            lifetime,
            key: Arc::new(RsaSigningKey::generate().expect("key")),
        }))
    }

    async fn signed(cache: &SessionCache<Numbered>) -> http::request::Parts {
        let (mut parts, ()) = http::Request::get("https://objectstorage.example.com/n")
            .body(())
            .expect("request")
            .into_parts();
        cache.sign(&mut parts, SignBody::None).await.expect("sign");
        parts
    }

    fn key_id_of(parts: &http::request::Parts) -> String {
        let auth = parts.headers["authorization"].to_str().expect("ascii");
        key_id(auth).expect("keyId").expose().to_string()
    }

    async fn next_key_id(cache: &SessionCache<Numbered>) -> String {
        key_id_of(&signed(cache).await)
    }

    #[tokio::test]
    async fn concurrent_signers_share_one_fetch_and_refusals_one_refresh() {
        let cache = cache(SignedDuration::from_hours(1));
        // Concurrent requests in one task, as the engine runs transfers.
        let first = futures::future::join_all((0..8).map(|_| signed(&cache))).await;
        assert!(first.iter().all(|p| key_id_of(p) == "ST$token-1"));
        assert_eq!(cache.source().fetches.load(Ordering::SeqCst), 1);

        // All eight are refused; their refusals arrive spread out, some after token 2 was
        // fetched by the first retry. One new token, not eight.
        let retries = futures::future::join_all(first.iter().enumerate().map(|(i, parts)| {
            let cache = &cache;
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(15 * i as u64)).await;
                cache.refresh_after_refusal(&parts.headers).await;
                next_key_id(cache).await
            }
        }))
        .await;
        assert!(retries.iter().all(|k| k == "ST$token-2"), "{retries:?}");
        assert_eq!(cache.source().fetches.load(Ordering::SeqCst), 2);

        // A refusal of the current token, or one without usable headers, replaces it.
        let current = signed(&cache).await;
        cache.refresh_after_refusal(&current.headers).await;
        assert_eq!(next_key_id(&cache).await, "ST$token-3");
        cache.refresh_after_refusal(&http::HeaderMap::new()).await;
        assert_eq!(next_key_id(&cache).await, "ST$token-4");
        cache.refresh().await;
        assert_eq!(next_key_id(&cache).await, "ST$token-5");
    }

    #[tokio::test]
    async fn short_lived_tokens_are_replaced_before_they_expire() {
        let cache = cache(SignedDuration::from_secs(6));
        assert_eq!(next_key_id(&cache).await, "ST$token-1");
        assert_eq!(next_key_id(&cache).await, "ST$token-1");
        // Half of the 6 s lifetime has passed, and the 5 s minimum use.
        tokio::time::sleep(std::time::Duration::from_millis(5_100)).await;
        assert_eq!(next_key_id(&cache).await, "ST$token-2");
    }
}
