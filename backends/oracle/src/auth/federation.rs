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

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{Method, Request, StatusCode};
use ocisync_backend::{Error, ErrorKind, Result, Secret};
use zeroize::Zeroizing;

use super::imds::InstanceIdentity;
use super::transport::{
    Limits, client, describe_status, describe_transport, is_retryable, pause, send,
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
                    return Err(self.error(
                        ErrorKind::Auth,
                        &format!(
                            "refused the instance certificate of tenancy {tenancy}: {}",
                            describe_status(&reply)
                        ),
                    ));
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
