//! Verification of OCI request signatures (draft-cavage HTTP signatures, "Signature version 1"),
//! done the way OCI's services check them and written independently of ocisync's signer, so a
//! bug there cannot be mirrored here.
//!
//! The signing string is rebuilt from the request exactly as it arrived: `(request-target)` is
//! the lowercase method and the raw path and query from the request line, other lines are the
//! header values as received. Which headers must be covered depends on the operation
//! ([`required_headers`]); `x-content-sha256`, when signed, must match the body, which the caller
//! checks after reading it ([`Verified::check_body`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::Method;
use http::request::Parts;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::keys::PublicKey;

/// OCI accepts requests whose date is at most this far from its clock.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// Why a request is not authenticated; becomes a 401 `NotAuthenticated` with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AuthFailure(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, AuthFailure> {
    Err(AuthFailure(message.into()))
}

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// keyId `tenancy/user/fingerprint`.
    ApiKey {
        tenancy: String,
        user: String,
        fingerprint: String,
    },
    /// keyId `ST$<token>` (instance, resource principal or session token); the token itself is
    /// not kept, it is a credential.
    SessionToken,
}

impl Principal {
    /// The keyId as it is safe to record: `tenancy/user/fingerprint`, or `ST$<redacted>`.
    pub fn redacted_key_id(&self) -> String {
        match self {
            Principal::ApiKey {
                tenancy,
                user,
                fingerprint,
            } => format!("{tenancy}/{user}/{fingerprint}"),
            Principal::SessionToken => redact_key_id("ST$").to_string(),
        }
    }
}

/// Headers a request must sign, as OCI requires them. PutObject and UploadPart stream bodies
/// OCI does not hash, so they need only the generic set whatever their method.
pub fn required_headers(method: &Method, body_exempt: bool) -> &'static [&'static str] {
    const GENERIC: &[&str] = &["date", "(request-target)", "host"];
    const WITH_BODY: &[&str] = &[
        "date",
        "(request-target)",
        "host",
        "content-length",
        "content-type",
        "x-content-sha256",
    ];
    let has_body = matches!(*method, Method::POST | Method::PUT | Method::PATCH);
    if has_body && !body_exempt {
        WITH_BODY
    } else {
        GENERIC
    }
}

/// The parameters of `Authorization: Signature ...`.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureParams {
    pub key_id: String,
    /// Lowercase header names in signing-string order.
    pub headers: Vec<String>,
    pub algorithm: String,
    pub signature: Vec<u8>,
}

impl fmt::Debug for SignatureParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureParams")
            .field("key_id", &redact_key_id(&self.key_id))
            .field("headers", &self.headers)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// A keyId safe to print: session tokens are credentials, so `ST$<token>` loses the token.
pub fn redact_key_id(key_id: &str) -> &str {
    if key_id.starts_with("ST$") {
        "ST$<redacted>"
    } else {
        key_id
    }
}

/// A one-line description of an `Authorization` header for logs: keyId (tokens redacted),
/// algorithm and signed headers, never the signature. AWS SigV4 headers (seen by the S3
/// recording proxy) keep their `Credential=` (access key id and scope, which tests check) and
/// `SignedHeaders=`, without the signature.
pub fn describe_authorization(value: &str) -> String {
    if let Some(sigv4) = value.strip_prefix("AWS4-HMAC-SHA256 ") {
        let kept: Vec<&str> = sigv4
            .split(',')
            .map(str::trim)
            .filter(|p| !p.starts_with("Signature="))
            .collect();
        return format!("AWS4-HMAC-SHA256 {}", kept.join(", "));
    }
    match parse_authorization(value) {
        Ok(p) => format!(
            "keyId={} algorithm={} headers=\"{}\"",
            redact_key_id(&p.key_id),
            p.algorithm,
            p.headers.join(" ")
        ),
        Err(e) => format!("unparsable ({e})"),
    }
}

/// Parses `Signature version="1",headers="...",keyId="...",algorithm="rsa-sha256",
/// signature="..."`; parameters may come in any order.
pub fn parse_authorization(value: &str) -> Result<SignatureParams, AuthFailure> {
    let Some(rest) = value
        .strip_prefix("Signature ")
        .or_else(|| value.strip_prefix("signature "))
    else {
        return fail("the Authorization header does not use the 'Signature' scheme");
    };
    let mut params: HashMap<String, String> = HashMap::new();
    let mut s = rest.trim_start();
    while !s.is_empty() {
        let Some(eq) = s.find('=') else {
            return fail(format!(
                "malformed Authorization parameter near '{}'",
                preview(s)
            ));
        };
        let name = s[..eq].trim().to_ascii_lowercase();
        let after = &s[eq + 1..];
        let Some(quoted) = after.strip_prefix('"') else {
            return fail(format!(
                "Authorization parameter '{name}' is not a quoted string"
            ));
        };
        let Some(close) = quoted.find('"') else {
            return fail(format!(
                "Authorization parameter '{name}' has no closing quote"
            ));
        };
        if params
            .insert(name.clone(), quoted[..close].to_string())
            .is_some()
        {
            return fail(format!("Authorization parameter '{name}' appears twice"));
        }
        s = quoted[close + 1..].trim_start();
        s = s.strip_prefix(',').unwrap_or(s).trim_start();
    }
    let mut take = |name: &str| {
        params.remove(name).ok_or_else(|| {
            AuthFailure(format!(
                "the Authorization header has no '{name}' parameter"
            ))
        })
    };
    let version = take("version")?;
    if version != "1" {
        return fail(format!(
            "unsupported signature version \"{version}\" (expected \"1\")"
        ));
    }
    let algorithm = take("algorithm")?;
    if algorithm != "rsa-sha256" {
        return fail(format!(
            "unsupported signature algorithm \"{algorithm}\" (expected rsa-sha256)"
        ));
    }
    let key_id = take("keyid")?;
    let headers = take("headers")?
        .split_whitespace()
        .map(str::to_string)
        .collect::<Vec<_>>();
    if let Some(upper) = headers
        .iter()
        .find(|h| h.chars().any(|c| c.is_ascii_uppercase()))
    {
        return fail(format!(
            "signed header names must be lowercase, got '{upper}'"
        ));
    }
    let signature = STANDARD
        .decode(take("signature")?)
        .map_err(|_| AuthFailure("the signature is not valid base64".into()))?;
    Ok(SignatureParams {
        key_id,
        headers,
        algorithm,
        signature,
    })
}

fn preview(s: &str) -> String {
    s.chars().take(20).collect()
}

/// The signing string for `headers` over the request as received.
pub fn signing_string(parts: &Parts, headers: &[String]) -> Result<String, AuthFailure> {
    let mut lines = Vec::with_capacity(headers.len());
    for name in headers {
        let value = if name == "(request-target)" {
            let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
            format!("{} {target}", parts.method.as_str().to_ascii_lowercase())
        } else {
            header_value(parts, name).ok_or_else(|| {
                AuthFailure(format!(
                    "header '{name}' is signed but missing from the request"
                ))
            })?
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// All values of a header as received, joined by `, ` when repeated.
fn header_value(parts: &Parts, name: &str) -> Option<String> {
    let values: Vec<&str> = parts
        .headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        None
    } else {
        Some(values.join(", "))
    }
}

/// Maps a session token to the public key it certifies (a fake federation service issues the
/// tokens). Closures `Fn(&str) -> Result<PublicKey, String>` qualify; the error says why the
/// token is refused (unknown, expired...).
pub trait SessionTokens: Send + Sync {
    fn public_key(&self, token: &str) -> Result<PublicKey, String>;
}

impl<F> SessionTokens for F
where
    F: Fn(&str) -> Result<PublicKey, String> + Send + Sync,
{
    fn public_key(&self, token: &str) -> Result<PublicKey, String> {
        self(token)
    }
}

/// The keys a fake service trusts: API keys by keyId, and session tokens through a pluggable
/// lookup. Shared (`Arc`) so several fakes can trust the same identities. It also carries the
/// [`Clock`] signed dates are checked against, so the fakes sharing a ring share the time too.
#[derive(Default)]
pub struct KeyRing {
    api_keys: RwLock<HashMap<String, PublicKey>>,
    session_tokens: RwLock<Option<Arc<dyn SessionTokens>>>,
    clock: Arc<Clock>,
}

impl KeyRing {
    /// An empty ring with a clock of its own (real time until shifted).
    pub fn new() -> Self {
        KeyRing::default()
    }

    /// An empty ring checking dates against `clock` (shared with other fakes).
    pub fn with_clock(clock: Arc<Clock>) -> Self {
        KeyRing {
            clock,
            ..KeyRing::default()
        }
    }

    /// The clock signed dates are checked against; services serve their `Date` from it.
    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// Registers a user's API key; returns its keyId `tenancy/user/fingerprint`.
    pub fn register_api_key(&self, tenancy: &str, user: &str, key: &PublicKey) -> String {
        let key_id = format!("{tenancy}/{user}/{}", key.fingerprint());
        write_lock(&self.api_keys).insert(key_id.clone(), key.clone());
        key_id
    }

    /// Trusts session tokens (`ST$<token>` keyIds) through `tokens`.
    pub fn set_session_tokens(&self, tokens: Arc<dyn SessionTokens>) {
        *write_lock(&self.session_tokens) = Some(tokens);
    }

    /// The key and principal behind a keyId.
    pub fn resolve(&self, key_id: &str) -> Result<(PublicKey, Principal), AuthFailure> {
        if let Some(token) = key_id.strip_prefix("ST$") {
            let tokens = read_lock(&self.session_tokens).clone();
            let Some(tokens) = tokens else {
                return fail("session tokens are not accepted by this service");
            };
            let key = tokens
                .public_key(token)
                .map_err(|why| AuthFailure(format!("the session token is not valid: {why}")))?;
            return Ok((key, Principal::SessionToken));
        }
        let mut parts = key_id.splitn(3, '/');
        let (Some(tenancy), Some(user), Some(fingerprint)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return fail(format!(
                "keyId '{key_id}' is neither 'tenancy/user/fingerprint' nor 'ST$<token>'"
            ));
        };
        let Some(key) = read_lock(&self.api_keys).get(key_id).cloned() else {
            return fail(format!("no API key is registered under keyId '{key_id}'"));
        };
        let principal = Principal::ApiKey {
            tenancy: tenancy.to_string(),
            user: user.to_string(),
            fingerprint: fingerprint.to_string(),
        };
        Ok((key, principal))
    }

    /// Verifies a request signed with a registered API key or a session token, its date
    /// against the ring's clock.
    pub fn verify(
        &self,
        parts: &Parts,
        required: &[&str],
    ) -> Result<Verified<Principal>, AuthFailure> {
        verify_with(parts, required, self.clock.now(), |key_id| {
            self.resolve(key_id)
        })
    }
}

fn read_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind, still usable.
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A request whose signature checked out.
#[derive(Debug, Clone)]
pub struct Verified<P> {
    pub principal: P,
    /// The signed `x-content-sha256`, still to be compared with the body.
    body_sha256: Option<String>,
}

impl<P> Verified<P> {
    /// Compares a signed `x-content-sha256` with the body that arrived; requests that did not
    /// sign one pass.
    pub fn check_body(&self, body: &[u8]) -> Result<(), AuthFailure> {
        let Some(expected) = &self.body_sha256 else {
            return Ok(());
        };
        let actual = STANDARD.encode(Sha256::digest(body));
        if *expected == actual {
            Ok(())
        } else {
            fail(format!(
                "x-content-sha256 '{expected}' does not match the SHA-256 of the body ('{actual}')"
            ))
        }
    }
}

/// Verifies a request with keys found by `resolve` (API keys, tokens, or a federation service's
/// certificate keys): header coverage, date skew against `now`, then the RSA signature.
pub fn verify_with<P>(
    parts: &Parts,
    required: &[&str],
    now: Timestamp,
    resolve: impl FnOnce(&str) -> Result<(PublicKey, P), AuthFailure>,
) -> Result<Verified<P>, AuthFailure> {
    let Some(authorization) = parts.headers.get(http::header::AUTHORIZATION) else {
        return fail(
            "The required information to complete authentication was not provided \
             (no Authorization header).",
        );
    };
    let authorization = authorization
        .to_str()
        .map_err(|_| AuthFailure("the Authorization header is not ASCII".into()))?;
    let params = parse_authorization(authorization)?;
    for name in required {
        let covered = params.headers.iter().any(|h| h == name)
            || (*name == "date" && params.headers.iter().any(|h| h == "x-date"));
        if !covered {
            return fail(format!(
                "the signature must cover '{name}' for this request (required: {}; signed: {})",
                required.join(" "),
                params.headers.join(" ")
            ));
        }
    }
    check_date(parts, &params.headers, now)?;
    let body_sha256 = if params.headers.iter().any(|h| h == "x-content-sha256") {
        header_value(parts, "x-content-sha256")
    } else {
        None
    };
    let string = signing_string(parts, &params.headers)?;
    let (key, principal) = resolve(&params.key_id)?;
    if !key.verify(string.as_bytes(), &params.signature) {
        return fail(format!(
            "the signature does not verify with the key of keyId '{}' over the signing string:\n{}",
            redact_key_id(&params.key_id),
            string
        ));
    }
    Ok(Verified {
        principal,
        body_sha256,
    })
}

/// Rejects a signed date further than [`MAX_CLOCK_SKEW`] from `now`, worded as OCI words it.
/// `x-date` wins over `date` when both are signed.
fn check_date(parts: &Parts, signed: &[String], now: Timestamp) -> Result<(), AuthFailure> {
    let name = if signed.iter().any(|h| h == "x-date") {
        "x-date"
    } else {
        "date"
    };
    let Some(value) = header_value(parts, name) else {
        return fail(format!(
            "header '{name}' is signed but missing from the request"
        ));
    };
    let Ok(date) = jiff::fmt::rfc2822::parse(&value).map(|z| z.timestamp()) else {
        return fail(format!("header '{name}' is not an HTTP date: '{value}'"));
    };
    let skew = jiff::SignedDuration::try_from(MAX_CLOCK_SKEW).unwrap_or_default();
    let (earliest, latest) = (now - skew, now + skew);
    if date < earliest || date > latest {
        return fail(format!(
            "Date '{}' is not within allowed clock skew. Current '{}', valid datetime range: \
             ['{}', '{}']",
            utc(date),
            utc(now),
            utc(earliest),
            utc(latest)
        ));
    }
    Ok(())
}

/// `Sun, 11 Mar 2018 16:32:46 UTC`, the form OCI's skew message uses.
fn utc(t: Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::TestKeyPair;

    const HOST: &str = "objectstorage.us-ashburn-1.oraclecloud.com";

    fn request(method: &str, target: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri(target);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn now() -> Timestamp {
        "2014-01-05T21:31:40Z".parse().unwrap()
    }

    const DATE: &str = "Sun, 05 Jan 2014 21:31:40 GMT";

    fn authorization(key_id: &str, headers: &str, signature: &[u8]) -> String {
        format!(
            "Signature version=\"1\",headers=\"{headers}\",keyId=\"{key_id}\",\
             algorithm=\"rsa-sha256\",signature=\"{}\"",
            STANDARD.encode(signature)
        )
    }

    struct Fixture {
        ring: KeyRing,
        pair: TestKeyPair,
        key_id: String,
    }

    fn fixture() -> Fixture {
        let pair = TestKeyPair::generate().unwrap();
        let ring = KeyRing::new();
        let key_id = ring.register_api_key(
            "ocid1.tenancy.oc1..t",
            "ocid1.user.oc1..u",
            pair.public_key(),
        );
        Fixture { ring, pair, key_id }
    }

    #[test]
    fn verifies_a_get_signed_over_the_literal_signing_string() {
        let f = fixture();
        // Written out by hand, not produced by `signing_string`, so both must agree with OCI's
        // documented format independently.
        let string = format!(
            "date: {DATE}\n(request-target): get /n/ns/b/bucket/o?prefix=FOCUS+Reports%2F&limit=10\nhost: {HOST}"
        );
        let sig = f.pair.sign(string.as_bytes()).unwrap();
        let parts = request(
            "GET",
            "/n/ns/b/bucket/o?prefix=FOCUS+Reports%2F&limit=10",
            &[
                ("date", DATE),
                ("host", HOST),
                (
                    "authorization",
                    &authorization(&f.key_id, "date (request-target) host", &sig),
                ),
            ],
        );
        let ok = verify_with(&parts, required_headers(&Method::GET, false), now(), |k| {
            f.ring.resolve(k)
        })
        .unwrap();
        assert!(
            matches!(ok.principal, Principal::ApiKey { ref tenancy, .. } if tenancy == "ocid1.tenancy.oc1..t")
        );

        // The same signature for another target fails: the query is covered.
        let moved = request(
            "GET",
            "/n/ns/b/bucket/o?prefix=FOCUS+Reports%2F&limit=11",
            &[
                ("date", DATE),
                ("host", HOST),
                (
                    "authorization",
                    &authorization(&f.key_id, "date (request-target) host", &sig),
                ),
            ],
        );
        let err = verify_with(&moved, &["date"], now(), |k| f.ring.resolve(k)).unwrap_err();
        assert!(err.0.contains("does not verify"), "{err}");
        assert!(
            err.0.contains("limit=11"),
            "message shows the signing string: {err}"
        );
    }

    #[test]
    fn parameters_in_any_order_and_x_date() {
        let f = fixture();
        let string =
            format!("(request-target): delete /n/ns/b/b/o/a%20b\nx-date: {DATE}\nhost: {HOST}");
        let sig = f.pair.sign(string.as_bytes()).unwrap();
        let auth = format!(
            "Signature algorithm=\"rsa-sha256\", signature=\"{}\", keyId=\"{}\", \
             headers=\"(request-target) x-date host\", version=\"1\"",
            STANDARD.encode(&sig),
            f.key_id
        );
        let parts = request(
            "DELETE",
            "/n/ns/b/b/o/a%20b",
            &[("x-date", DATE), ("host", HOST), ("authorization", &auth)],
        );
        verify_with(
            &parts,
            required_headers(&Method::DELETE, false),
            now(),
            |k| f.ring.resolve(k),
        )
        .unwrap();
    }

    #[test]
    fn body_requests_must_sign_the_body_headers_except_exempt_ones() {
        let f = fixture();
        let string = format!("date: {DATE}\n(request-target): post /n/ns/b/b/u\nhost: {HOST}");
        let sig = f.pair.sign(string.as_bytes()).unwrap();
        let parts = request(
            "POST",
            "/n/ns/b/b/u",
            &[
                ("date", DATE),
                ("host", HOST),
                (
                    "authorization",
                    &authorization(&f.key_id, "date (request-target) host", &sig),
                ),
            ],
        );
        let err = verify_with(&parts, required_headers(&Method::POST, false), now(), |k| {
            f.ring.resolve(k)
        })
        .unwrap_err();
        assert!(err.0.contains("must cover 'content-length'"), "{err}");
        // PutObject / UploadPart: the generic set is enough.
        verify_with(&parts, required_headers(&Method::POST, true), now(), |k| {
            f.ring.resolve(k)
        })
        .unwrap();
    }

    #[test]
    fn content_sha256_is_checked_against_the_body() {
        let f = fixture();
        let body = b"{\"object\":\"x\"}";
        let sha = STANDARD.encode(Sha256::digest(body));
        let string = format!(
            "date: {DATE}\n(request-target): post /n/ns/b/b/u\nhost: {HOST}\ncontent-length: {}\n\
             content-type: application/json\nx-content-sha256: {sha}",
            body.len()
        );
        let sig = f.pair.sign(string.as_bytes()).unwrap();
        let len = body.len().to_string();
        let parts = request(
            "POST",
            "/n/ns/b/b/u",
            &[
                ("date", DATE),
                ("host", HOST),
                ("content-length", &len),
                ("content-type", "application/json"),
                ("x-content-sha256", &sha),
                (
                    "authorization",
                    &authorization(
                        &f.key_id,
                        "date (request-target) host content-length content-type x-content-sha256",
                        &sig,
                    ),
                ),
            ],
        );
        let ok = verify_with(&parts, required_headers(&Method::POST, false), now(), |k| {
            f.ring.resolve(k)
        })
        .unwrap();
        ok.check_body(body).unwrap();
        let err = ok.check_body(b"{\"object\":\"y\"}").unwrap_err();
        assert!(err.0.contains("does not match the SHA-256"), "{err}");
    }

    #[test]
    fn clock_skew_is_reported_like_oci() {
        let f = fixture();
        let string = format!("date: {DATE}\n(request-target): get /n\nhost: {HOST}");
        let sig = f.pair.sign(string.as_bytes()).unwrap();
        let parts = request(
            "GET",
            "/n",
            &[
                ("date", DATE),
                ("host", HOST),
                (
                    "authorization",
                    &authorization(&f.key_id, "date (request-target) host", &sig),
                ),
            ],
        );
        let later = now() + jiff::SignedDuration::from_secs(301);
        let err = verify_with(&parts, &["date"], later, |k| f.ring.resolve(k)).unwrap_err();
        assert!(
            err.0.starts_with(
                "Date 'Sun, 05 Jan 2014 21:31:40 UTC' is not within allowed clock skew"
            ),
            "{err}"
        );
        let within = now() + jiff::SignedDuration::from_secs(299);
        verify_with(&parts, &["date"], within, |k| f.ring.resolve(k)).unwrap();
    }

    #[test]
    fn unknown_keys_tokens_and_missing_headers_are_named() {
        let f = fixture();
        let other = TestKeyPair::generate().unwrap();
        let string = format!("date: {DATE}\n(request-target): get /n\nhost: {HOST}");
        let sig = other.sign(string.as_bytes()).unwrap();
        let headers = "date (request-target) host";
        let with_key = |key_id: &str| {
            request(
                "GET",
                "/n",
                &[
                    ("date", DATE),
                    ("host", HOST),
                    ("authorization", &authorization(key_id, headers, &sig)),
                ],
            )
        };
        let resolve = |k: &str| f.ring.resolve(k);

        let unknown = format!("t/u/{}", other.public_key().fingerprint());
        let err = verify_with(&with_key(&unknown), &[], now(), resolve).unwrap_err();
        assert!(err.0.contains("no API key is registered"), "{err}");

        let err = verify_with(&with_key("ST$secret-token"), &[], now(), resolve).unwrap_err();
        assert!(err.0.contains("session tokens are not accepted"), "{err}");
        let public = other.public_key().clone();
        f.ring.set_session_tokens(Arc::new(move |token: &str| {
            if token == "good" {
                Ok(public.clone())
            } else {
                Err("unknown token".to_string())
            }
        }));
        let ok = verify_with(&with_key("ST$good"), &[], now(), resolve).unwrap();
        assert_eq!(ok.principal, Principal::SessionToken);
        let err = verify_with(&with_key("ST$bad"), &[], now(), resolve).unwrap_err();
        assert!(
            err.0.contains("unknown token") && !err.0.contains("bad"),
            "{err}"
        );

        let no_host = request(
            "GET",
            "/n",
            &[
                ("date", DATE),
                ("authorization", &authorization("ST$good", headers, &sig)),
            ],
        );
        let err = verify_with(&no_host, &[], now(), resolve).unwrap_err();
        assert!(err.0.contains("'host' is signed but missing"), "{err}");

        let unsigned = request("GET", "/n", &[("date", DATE), ("host", HOST)]);
        let err = verify_with(&unsigned, &[], now(), resolve).unwrap_err();
        assert!(err.0.contains("no Authorization header"), "{err}");
    }

    #[test]
    fn malformed_authorization_headers() {
        for (value, expected) in [
            ("Bearer abc", "'Signature' scheme"),
            ("Signature version=\"1\",keyId=\"a\"", "no 'algorithm'"),
            (
                "Signature version=\"2\",algorithm=\"rsa-sha256\"",
                "version \"2\"",
            ),
            (
                "Signature version=\"1\",algorithm=\"hmac-sha256\"",
                "algorithm \"hmac-sha256\"",
            ),
            ("Signature version=1", "not a quoted string"),
        ] {
            let err = parse_authorization(value).unwrap_err();
            assert!(err.0.contains(expected), "{value}: {err}");
        }
        let described = describe_authorization(
            "Signature version=\"1\",headers=\"date host\",keyId=\"ST$tok\",algorithm=\"rsa-sha256\",signature=\"AAAA\"",
        );
        assert_eq!(
            described,
            "keyId=ST$<redacted> algorithm=rsa-sha256 headers=\"date host\""
        );
        let sigv4 = describe_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/s3/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=0123abcd",
        );
        assert_eq!(
            sigv4,
            "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/s3/aws4_request, \
             SignedHeaders=host;x-amz-date"
        );
    }
}
