//! The x509 federation call: an instance trades its identity certificate (from the metadata
//! service) and a fresh session public key for a security token.
//!
//! `POST https://auth.{region}.{realm domain}/v1/x509` with
//! `{"certificate", "publicKey", "intermediateCertificates", "fingerprintAlgorithm": "SHA256"}`
//! (certificates and key as one-line base64 DER), signed with the certificate's private key over
//! `date (request-target) content-length content-type x-content-sha256` — without `host`, as both
//! of Oracle's SDKs sign it — and key id `{tenancy}/fed-x509-sha256/{SHA-256 fingerprint}`. The
//! answer is `{"token": "<JWT>"}`; the token, used as key id `ST$<token>` with the session key,
//! signs every later request.

use std::time::Duration;

use crate::{Error, ErrorKind, Result, Secret};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{Method, Request, StatusCode};
use zeroize::Zeroizing;

use super::imds::InstanceIdentity;
use super::transport::{
    Limits, Reply, client, describe_status, describe_transport, is_retryable, pause, send,
};
use crate::endpoints::check_endpoint_url;
use crate::keys::RsaSigningKey;
use crate::sign::{HostHeader, SignBody, sign_request};

const LIMITS: Limits = Limits {
    connect: Duration::from_secs(10),
    total: Duration::from_secs(30),
    attempts: 3,
    backoff: Duration::from_millis(500),
    use_proxy: true,
};

/// A client of one federation endpoint.
#[derive(Debug)]
pub struct Federation {
    endpoint: String,
    client: reqwest::Client,
}

/// OCI refuses a signed request whose `date` is more than 5 minutes from its own clock.
const ALLOWED_SKEW: i64 = 5 * 60;

/// When the service refused the request's date rather than the certificate: how far this
/// machine's clock is from the service's (its `Date` header) and how to fix it.
fn clock_skew(reply: &Reply, said: &str) -> Option<String> {
    if !matches!(reply.status.as_u16(), 400 | 401) {
        return None;
    }
    let server = reply
        .headers
        .get(http::header::DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| jiff::fmt::rfc2822::parse(d.trim()).ok())
        .map(|z| z.timestamp());
    let now = jiff::Timestamp::now();
    let offset = server.map(|s| now.as_second() - s.as_second());
    let says_skew = said.to_ascii_lowercase().contains("clock skew");
    if !says_skew && offset.is_none_or(|o| o.abs() <= ALLOWED_SKEW) {
        return None;
    }
    let off_by = match (offset, server) {
        (Some(o), Some(server)) => format!(
            "this machine's clock is {} {} the service's (service Date: {}, local: {})",
            readable(o.unsigned_abs()),
            if o < 0 { "behind" } else { "ahead of" },
            server.strftime("%Y-%m-%dT%H:%M:%SZ"),
            now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ),
        _ => "this machine's clock is off (the service sent no usable Date)".to_string(),
    };
    Some(format!(
        "refused the request's date, not the certificate: {off_by}; OCI allows 5 minutes. \
         Synchronise the clock: `timedatectl set-ntp true`, or with chrony `systemctl enable --now \
         chronyd && chronyc makestep` ({said})"
    ))
}

/// `10m 3s`, `2h 5m`, `45s`.
fn readable(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {}s", s / 60, s % 60),
        s => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    }
}

impl Federation {
    /// `endpoint` is the full URL of the call (`https://auth.us-ashburn-1.oraclecloud.com/v1/x509`).
    pub fn new(endpoint: &str) -> Result<Self> {
        check_endpoint_url(endpoint)
            .map_err(|e| Error::config(format!("instance principal: federation_endpoint {e}")))?;
        Ok(Federation {
            endpoint: endpoint.to_string(),
            client: client(&LIMITS)?,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A security token for `session_key`'s public half, vouched for by `identity`.
    pub async fn token(
        &self,
        identity: &InstanceIdentity,
        session_key: &RsaSigningKey,
    ) -> Result<Secret> {
        let tenancy = identity
            .leaf
            .tenancy()
            .map_err(|e| self.error(ErrorKind::Auth, &e.to_string()))?;
        let key_id = format!(
            "{tenancy}/fed-x509-sha256/{}",
            identity.leaf.sha256_fingerprint()
        );
        let body = serde_json::to_vec(&serde_json::json!({
            "certificate": identity.leaf.base64(),
            "publicKey": STANDARD.encode(session_key.public_key_der()),
            "intermediateCertificates": [identity.intermediate.base64()],
            "fingerprintAlgorithm": "SHA256",
        }))
        .map_err(|e| self.error(ErrorKind::Other, &format!("encoding the request: {e}")))?;

        let mut last_failure = String::new();
        for attempt in 1..=LIMITS.attempts {
            if attempt > 1 {
                tokio::time::sleep(pause(&LIMITS, attempt)).await;
            }
            let (mut parts, ()) = Request::builder()
                .method(Method::POST)
                .uri(&self.endpoint)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(())
                .map_err(|e| self.error(ErrorKind::Config, &e.to_string()))?
                .into_parts();
            sign_request(
                &mut parts,
                &key_id,
                &identity.leaf_key,
                SignBody::Bytes(&body),
                HostHeader::Unsigned,
            )?;
            match send(&self.client, Request::from_parts(parts, body.clone())).await {
                Ok(reply) if reply.status == StatusCode::OK => {
                    return self.parse_token(&reply.body);
                }
                Ok(reply) if is_retryable(reply.status) => last_failure = describe_status(&reply),
                Ok(reply) => {
                    let said = describe_status(&reply);
                    let what = match clock_skew(&reply, &said) {
                        Some(skew) => skew,
                        None => {
                            format!("refused the instance certificate of tenancy {tenancy}: {said}")
                        }
                    };
                    return Err(self.error(ErrorKind::Auth, &what));
                }
                Err(e) => last_failure = describe_transport(&e),
            }
        }
        Err(self.error(ErrorKind::Temporary, &last_failure))
    }

    fn parse_token(&self, body: &[u8]) -> Result<Secret> {
        #[derive(serde::Deserialize)]
        struct TokenReply {
            token: Option<String>,
        }
        let reply: TokenReply = serde_json::from_slice(body)
            .map_err(|_| self.error(ErrorKind::Auth, "the answer is not JSON with a token"))?;
        // Wrapped at once, so the parsed copy is wiped when dropped.
        let token = Zeroizing::new(reply.token.unwrap_or_default());
        if token.trim().is_empty() {
            return Err(self.error(ErrorKind::Auth, "the answer has no token"));
        }
        Ok(Secret::new(token.trim()))
    }

    fn error(&self, kind: ErrorKind, what: &str) -> Error {
        Error::new(
            kind,
            format!(
                "instance principal: federation endpoint {}: {what}",
                self.endpoint
            ),
        )
    }
}
