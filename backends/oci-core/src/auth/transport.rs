//! The plain HTTP calls identities and the Vault provider make (instance metadata, the x509
//! federation call, GetSecretBundle): small request/response exchanges, sent with reqwest (the
//! client OpenDAL already brings) under bounded timeouts, bodies held in zeroizing buffers
//! because some of them are keys, tokens or secrets.
//!
//! The clients start from [`crate::client::client_builder`] (the application's network policy):
//! no redirects (a redirect would carry a signed request or a bearer token to another host),
//! no proxy for loopback. A body larger than [`MAX_REPLY`] is refused: every answer here is a
//! few kilobytes, and an endless one must not fill memory.

use std::time::Duration;

use crate::{Error, ErrorKind, Result};
use bytes::Bytes;
use http::StatusCode;
use zeroize::{Zeroize, Zeroizing};

/// A response: status and the whole body, zeroed when dropped.
pub struct Reply {
    pub status: StatusCode,
    pub body: Zeroizing<Vec<u8>>,
    /// Response headers (`Date` for clock checks, `opc-request-id` for support).
    pub headers: http::HeaderMap,
}

/// Limits for one kind of call.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect: Duration,
    /// The whole exchange, connect to last body byte.
    pub total: Duration,
    /// Attempts in all (first try included) for connection failures, timeouts, 429 and 5xx.
    pub attempts: u32,
    /// Pause before the second attempt; doubled before each further one.
    pub backoff: Duration,
    /// Whether HTTP(S)_PROXY applies. Never for the metadata service, which is link-local.
    pub use_proxy: bool,
}

/// The largest answer accepted: certificates, keys, tokens and secret bundles are kilobytes.
pub const MAX_REPLY: usize = 1 << 20;

pub fn client(limits: &Limits) -> Result<reqwest::Client> {
    let mut builder = crate::client::client_builder()
        .connect_timeout(limits.connect)
        .timeout(limits.total);
    if !limits.use_proxy {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| Error::new(ErrorKind::Other, format!("building an HTTP client: {e}")))
}

/// Sends one request and reads the whole response.
pub async fn send(
    client: &reqwest::Client,
    request: http::Request<Vec<u8>>,
) -> std::result::Result<Reply, SendError> {
    let request = reqwest::Request::try_from(request)?;
    let mut response = client.execute(request).await?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Zeroizing::new(Vec::new());
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_REPLY {
            wipe(chunk);
            return Err(SendError::TooLarge {
                status: status.as_u16(),
            });
        }
        body.extend_from_slice(&chunk);
        wipe(chunk);
    }
    Ok(Reply {
        status,
        body,
        headers,
    })
}

/// Why an exchange failed before there was an answer to read.
#[derive(Debug)]
pub enum SendError {
    Http(reqwest::Error),
    /// The answer's body was larger than [`MAX_REPLY`].
    TooLarge {
        status: u16,
    },
}

impl From<reqwest::Error> for SendError {
    fn from(e: reqwest::Error) -> Self {
        SendError::Http(e)
    }
}

/// Wipes a received chunk when nothing else shares it (it may be part of a key or token).
fn wipe(bytes: Bytes) {
    if let Ok(mut unique) = bytes.try_into_mut() {
        unique.as_mut().zeroize();
    }
}

/// Statuses worth another attempt: throttling and server faults (501 means "never").
pub fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || (status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED)
}

/// The pause before attempt `attempt` (2, 3...).
pub fn pause(limits: &Limits, attempt: u32) -> Duration {
    limits.backoff * 2u32.saturating_pow(attempt.saturating_sub(2))
}

/// `404 NotAuthorizedOrNotFound: Authorization failed or requested resource not found` from an
/// OCI JSON error body, or just the status when the body is not one.
pub fn describe_status(reply: &Reply) -> String {
    #[derive(serde::Deserialize)]
    struct OciError {
        code: Option<String>,
        message: Option<String>,
    }
    let status = reply.status.as_u16();
    match serde_json::from_slice::<OciError>(&reply.body) {
        Ok(OciError {
            code: Some(code),
            message,
        }) => match message.filter(|m| !m.is_empty()) {
            Some(m) => format!("{status} {code}: {m}"),
            None => format!("{status} {code}"),
        },
        _ => format!("{status} {}", reply.status.canonical_reason().unwrap_or(""))
            .trim_end()
            .to_string(),
    }
}

/// A transport failure in a few words: "timed out", "connection refused"...
pub fn describe_transport(e: &SendError) -> String {
    let e = match e {
        SendError::Http(e) => e,
        SendError::TooLarge { status } => {
            return format!(
                "the answer (status {status}) is larger than {} KiB; refused (a broken or \
                 hostile server)",
                MAX_REPLY >> 10
            );
        }
    };
    if e.is_timeout() {
        return "timed out".to_string();
    }
    // The innermost cause names the system error; reqwest's own text repeats the URL.
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let what = if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    format!("{what}: {cause}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).expect("status"),
            body: Zeroizing::new(body.as_bytes().to_vec()),
            headers: http::HeaderMap::new(),
        }
    }

    #[test]
    fn oci_error_bodies_are_summarised() {
        assert_eq!(
            describe_status(&reply(
                404,
                r#"{"code":"NotAuthorizedOrNotFound","message":"Authorization failed or requested resource not found."}"#
            )),
            "404 NotAuthorizedOrNotFound: Authorization failed or requested resource not found."
        );
        assert_eq!(describe_status(&reply(502, "<html>")), "502 Bad Gateway");
        assert_eq!(
            describe_status(&reply(401, r#"{"code":"NotAuthenticated"}"#)),
            "401 NotAuthenticated"
        );
    }

    #[test]
    fn retries_throttling_and_server_faults_only() {
        for (status, retry) in [
            (429, true),
            (500, true),
            (503, true),
            (501, false),
            (404, false),
            (401, false),
        ] {
            assert_eq!(
                is_retryable(StatusCode::from_u16(status).expect("status")),
                retry,
                "{status}"
            );
        }
        let limits = Limits {
            connect: Duration::from_secs(1),
            total: Duration::from_secs(1),
            attempts: 3,
            backoff: Duration::from_millis(100),
            use_proxy: false,
        };
        assert_eq!(pause(&limits, 2), Duration::from_millis(100));
        assert_eq!(pause(&limits, 3), Duration::from_millis(200));
    }
}
