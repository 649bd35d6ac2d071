//! A fake OCI x509 federation service (`POST /v1/x509`), on 127.0.0.1: it checks an instance's
//! token request the way OCI's identity service does and issues security tokens that the other
//! fakes accept as `ST$<token>` key ids.
//!
//! A request is accepted when
//! - it is signed (`date (request-target) content-length content-type x-content-sha256`, `host`
//!   not required) with the key of the leaf certificate in its body, under key id
//!   `{tenancy}/fed-x509-sha256/{SHA-256 fingerprint}` (Go SDK, ocisync) or
//!   `{tenancy}/fed-x509/{SHA-1 fingerprint}` (Python SDK), fingerprints of that certificate;
//! - the body's SHA-256 is the signed `x-content-sha256`;
//! - the leaf certificate was issued by an intermediate in `intermediateCertificates`, itself
//!   issued by the trusted root, and names the key id's tenancy (`opc-tenant:`);
//! - `publicKey` is an RSA public key (the session key).
//!
//! The answer is `{"token": "<JWT>"}`: RS256-signed by the fake, with `sub`, `tenant`, `iat`,
//! `exp` and `jti` claims. Tests control each token's lifetime ([`TokenPolicy`]) — `exp` may be
//! in the past — and may make a token stop working after a number of uses, to expire it in the
//! middle of a run. [`FakeFederation::tokens`] is the [`SessionTokens`] lookup to install in the
//! other fakes' key rings: it verifies the JWT, its expiry and use count, and returns the session
//! key the token was issued for.
//!
//! Signed dates, token times and expiry follow the service's [`Clock`] (see
//! [`FakeFederation::start_with_clock`]).

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{Method, Request, Response, StatusCode};
use jiff::{SignedDuration, Timestamp};

use crate::certs::InstanceIdentity;
use crate::clock::Clock;
use crate::faults::Faults;
use crate::http::{Body, RequestBody, Server, Service, json_response};
use crate::keys::{PublicKey, TestKeyPair};
use crate::monitor::Monitor;
use crate::oci_error::OciError;
use crate::oci_sig::{AuthFailure, SessionTokens, verify_with};
use crate::x509::ParsedCertificate;

/// The headers the federation call must sign (no `host`).
const REQUIRED: &[&str] = &[
    "date",
    "(request-target)",
    "content-length",
    "content-type",
    "x-content-sha256",
];

/// How the next token behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// `exp` − `iat`; zero or negative issues an already expired token.
    pub lifetime: SignedDuration,
    /// After this many accepted uses (signature checks by other fakes) the token is refused as
    /// expired, whatever its `exp` says.
    pub valid_for_requests: Option<u64>,
}

impl Default for TokenPolicy {
    /// Twenty minutes, as OCI's instance-principal tokens last.
    fn default() -> Self {
        TokenPolicy {
            lifetime: SignedDuration::from_mins(20),
            valid_for_requests: None,
        }
    }
}

/// One issued token, as the fake remembers it (tokens are looked up by `jti`).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub jti: String,
    /// The token itself (a credential: tests use it to check that it never leaks).
    pub token: String,
    pub session_key: PublicKey,
    pub expires_at: Timestamp,
    pub valid_for_requests: Option<u64>,
    /// Accepted uses so far.
    pub uses: u64,
    /// The key id form the request used: `fed-x509-sha256` or `fed-x509`.
    pub key_id_form: &'static str,
    /// SHA-256 fingerprint of the leaf certificate the request presented.
    pub leaf_sha256: String,
}

/// The tokens issued; shared with the fakes that accept them.
pub struct Tokens {
    signer: TestKeyPair,
    // Expiry is judged by the federation's clock, wherever the token is presented.
    clock: Arc<Clock>,
    issued: Mutex<HashMap<String, IssuedToken>>,
    order: Mutex<Vec<String>>,
}

impl Tokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, IssuedToken>> {
        self.issued.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every token issued so far, oldest first.
    pub fn issued(&self) -> Vec<IssuedToken> {
        let order = self.order.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let issued = self.lock();
        order
            .iter()
            .filter_map(|j| issued.get(j).cloned())
            .collect()
    }

    fn issue(
        &self,
        claims: serde_json::Value,
        jti: String,
        record: impl FnOnce(String) -> IssuedToken,
    ) -> Result<String, String> {
        let header =
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"fake-federation","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{payload}");
        let signature = self
            .signer
            .sign(signing_input.as_bytes())
            .map_err(|e| e.to_string())?;
        let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));
        self.lock().insert(jti.clone(), record(token.clone()));
        self.order
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(jti);
        Ok(token)
    }
}

impl SessionTokens for Tokens {
    /// The session key of a token this fake issued, if it is still valid; counts the use.
    fn public_key(&self, token: &str) -> Result<PublicKey, String> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("not a JWT".into());
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| "the JWT signature is not base64url".to_string())?;
        if !self
            .signer
            .public_key()
            .verify(format!("{header}.{payload}").as_bytes(), &signature)
        {
            return Err("the token was not issued by this federation service".into());
        }
        let claims: serde_json::Value = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or("the JWT payload is not JSON")?;
        let jti = claims["jti"].as_str().ok_or("the JWT has no jti")?;
        let mut issued = self.lock();
        let record = issued.get_mut(jti).ok_or("unknown token")?;
        if self.clock.now() >= record.expires_at {
            return Err("the token has expired".into());
        }
        if record.valid_for_requests.is_some_and(|n| record.uses >= n) {
            return Err("the token has expired".into());
        }
        record.uses += 1;
        Ok(record.session_key.clone())
    }
}

/// A running fake federation service.
pub struct FakeFederation {
    server: Server,
    service: Arc<Federation>,
}

impl FakeFederation {
    /// Trusts certificates chaining to `identity`'s root; keeps a clock of its own.
    pub async fn start(identity: &InstanceIdentity) -> io::Result<Self> {
        FakeFederation::start_with_clock(identity, Arc::new(Clock::new())).await
    }

    /// Like [`FakeFederation::start`], on `clock` (share it with the fakes that accept the
    /// tokens, e.g. through [`crate::oci_sig::KeyRing::with_clock`]).
    pub async fn start_with_clock(
        identity: &InstanceIdentity,
        clock: Arc<Clock>,
    ) -> io::Result<Self> {
        let signer = TestKeyPair::generate().map_err(io::Error::other)?;
        let service = Arc::new(Federation {
            root: identity.root(),
            tokens: Arc::new(Tokens {
                signer,
                clock: clock.clone(),
                issued: Mutex::new(HashMap::new()),
                order: Mutex::new(Vec::new()),
            }),
            policies: Mutex::new(Policies::default()),
        });
        let server = Server::start_with_clock(service.clone(), 0, clock).await?;
        Ok(FakeFederation { server, service })
    }

    /// `http://127.0.0.1:<port>/v1/x509`: the full URL for `federation_endpoint`.
    pub fn endpoint(&self) -> String {
        format!("{}/v1/x509", self.server.base_url())
    }

    /// The lookup to install in other fakes' key rings (`KeyRing::set_session_tokens`).
    pub fn tokens(&self) -> Arc<Tokens> {
        self.service.tokens.clone()
    }

    /// The policy of tokens issued when no [`Self::push_policy`] entry is left.
    pub fn set_default_policy(&self, policy: TokenPolicy) {
        self.service.policies().default = policy;
    }

    /// The policy of the next token issued (queued: one entry per token).
    pub fn push_policy(&self, policy: TokenPolicy) {
        self.service.policies().next.push_back(policy);
    }

    pub fn monitor(&self) -> &Arc<Monitor> {
        self.server.monitor()
    }

    pub fn faults(&self) -> &Arc<Faults> {
        self.server.faults()
    }
}

#[derive(Default)]
struct Policies {
    default: TokenPolicy,
    next: VecDeque<TokenPolicy>,
}

struct Federation {
    root: ParsedCertificate,
    tokens: Arc<Tokens>,
    policies: Mutex<Policies>,
}

impl Federation {
    fn policies(&self) -> std::sync::MutexGuard<'_, Policies> {
        self.policies.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn federate(&self, request: Request<RequestBody>) -> Result<Response<Body>, OciError> {
        let (parts, body) = request.into_parts();
        let body = body.bytes().await.map_err(|e| {
            OciError::new(StatusCode::BAD_REQUEST, "CannotParseRequest", e.to_string())
        })?;
        let fields: FederationRequest = serde_json::from_slice(&body).map_err(|e| {
            OciError::new(
                StatusCode::BAD_REQUEST,
                "CannotParseRequest",
                format!("The request body is not valid: {e}"),
            )
        })?;
        let leaf = ParsedCertificate::from_base64_or_pem(&fields.certificate)
            .map_err(|e| not_authenticated(format!("certificate: {e}")))?;
        let verified = verify_with(&parts, REQUIRED, self.tokens.clock.now(), |key_id| {
            check_key_id(key_id, &leaf, fields.fingerprint_algorithm.as_deref())
                .map(|form| (leaf.public_key().clone(), form))
        })?;
        verified.check_body(&body)?;
        let tenancy = leaf
            .subject_value("opc-tenant:")
            .or_else(|| leaf.subject_value("opc-identity:"))
            .ok_or_else(|| not_authenticated("the certificate names no tenancy"))?
            .to_string();
        let chained = fields.intermediate_certificates.iter().any(|pem| {
            ParsedCertificate::from_base64_or_pem(pem).is_ok_and(|intermediate| {
                leaf.is_signed_by(&intermediate) && intermediate.is_signed_by(&self.root)
            })
        });
        if !chained {
            return Err(not_authenticated(
                "the certificate does not chain to a trusted root through intermediateCertificates",
            ));
        }
        let session_key = STANDARD
            .decode(strip_armour(&fields.public_key))
            .ok()
            .and_then(|der| PublicKey::from_der(&der).ok())
            .ok_or_else(|| {
                OciError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidParameter",
                    "publicKey is not an RSA public key",
                )
            })?;

        let policy = {
            let mut policies = self.policies();
            let default = policies.default;
            policies.next.pop_front().unwrap_or(default)
        };
        let now = self.tokens.clock.now();
        let expires_at = now + policy.lifetime;
        let jti = format!("{:032x}", rand_u128());
        let claims = serde_json::json!({
            "sub": leaf.subject_values().first(),
            "iss": "authService.oracle.com",
            "ptype": "instance",
            "tenant": tenancy,
            "opc-tenant": tenancy,
            "iat": now.as_second(),
            "exp": expires_at.as_second(),
            "jti": jti,
        });
        let key_id_form = verified.principal;
        let token = self
            .tokens
            .issue(claims, jti.clone(), |token| IssuedToken {
                jti,
                token,
                session_key,
                expires_at,
                valid_for_requests: policy.valid_for_requests,
                uses: 0,
                key_id_form,
                leaf_sha256: leaf.sha256_fingerprint(),
            })
            .map_err(|e| OciError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", e))?;
        Ok(json_response(
            StatusCode::OK,
            &serde_json::json!({ "token": token }),
        ))
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct FederationRequest {
    certificate: String,
    public_key: String,
    #[serde(default)]
    intermediate_certificates: Vec<String>,
    fingerprint_algorithm: Option<String>,
}

/// Checks `{tenancy}/fed-x509-sha256/{fp}` or `{tenancy}/fed-x509/{fp}` against the certificate;
/// returns the form used.
fn check_key_id(
    key_id: &str,
    leaf: &ParsedCertificate,
    fingerprint_algorithm: Option<&str>,
) -> Result<&'static str, AuthFailure> {
    let mut parts = key_id.splitn(3, '/');
    let (Some(tenancy), Some(form), Some(fingerprint)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthFailure(format!(
            "keyId '{key_id}' is not '<tenancy>/fed-x509[-sha256]/<fingerprint>'"
        )));
    };
    let (form, expected) = match form {
        "fed-x509-sha256" => ("fed-x509-sha256", leaf.sha256_fingerprint()),
        "fed-x509" if fingerprint_algorithm.is_some_and(|a| a.eq_ignore_ascii_case("SHA256")) => {
            ("fed-x509", leaf.sha256_fingerprint())
        }
        "fed-x509" => ("fed-x509", leaf.sha1_fingerprint()),
        other => {
            return Err(AuthFailure(format!("unknown keyId type '{other}'")));
        }
    };
    if !fingerprint.eq_ignore_ascii_case(&expected) {
        return Err(AuthFailure(format!(
            "keyId fingerprint {fingerprint} is not the certificate's ({expected})"
        )));
    }
    if leaf
        .subject_value("opc-tenant:")
        .or_else(|| leaf.subject_value("opc-identity:"))
        != Some(tenancy)
    {
        return Err(AuthFailure(format!(
            "keyId tenancy {tenancy} is not the certificate's"
        )));
    }
    Ok(form)
}

/// The base64 of a PEM block, or the text itself when it has no armour.
fn strip_armour(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect()
}

fn not_authenticated(message: impl Into<String>) -> OciError {
    OciError::new(StatusCode::UNAUTHORIZED, "NotAuthenticated", message)
}

/// A random token id.
fn rand_u128() -> u128 {
    let mut bytes = [0u8; 16];
    // The system RNG only fails on broken systems; a zero id still works for a fake.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    u128::from_le_bytes(bytes)
}

impl Service for Federation {
    fn operation(&self, method: &Method, target: &str) -> &'static str {
        if method == Method::POST && target.split('?').next() == Some("/v1/x509") {
            "X509Federation"
        } else {
            "Unknown"
        }
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let method = request.method().clone();
        if self.operation(&method, request.uri().path()) == "Unknown" {
            return OciError::new(StatusCode::NOT_FOUND, "NotFound", "Not Found")
                .into_response(&method);
        }
        self.federate(request)
            .await
            .unwrap_or_else(|e| e.into_response(&method))
    }
}
