//! A fake OCI Notifications data plane (ONS, API 20181201), on 127.0.0.1: PublishMessage to
//! topics the test registers, every request's signature checked against a [`KeyRing`] (API keys,
//! or session tokens from the fake federation service), every accepted message recorded.
//!
//! `POST /20181201/topics/{topicId}/messages` with `{"title": optional, "body": required}`:
//! - signed as OCI requires for a POST with a body (`date (request-target) host content-length
//!   content-type x-content-sha256`), the body matching `x-content-sha256` — else 401
//!   `NotAuthenticated`;
//! - an unknown topic, or one the caller may not publish to ([`FakeNotifications::deny_publish`],
//!   as when the `use ons-topics` policy is missing), answers 404 `NotAuthorizedOrNotFound`;
//! - a request body over [`MAX_REQUEST_BYTES`] answers 400 `InvalidParameter` (OCI: "Message
//!   size limit per request: 64KB"); a missing `body` 400 `InvalidParameter`;
//! - otherwise 200 `{"messageId": <uuid>, "timeStamp": <RFC 3339>}`.
//!
//! Admin endpoints (besides [`crate::http`]'s): `GET /_fake/messages` (the
//! [`PublishedMessage`] list as JSON), `DELETE /_fake/messages` (forget them),
//! `POST /_fake/deny` with `{"deny": true|false}` (refuse every publish, as [`deny_publish`]).
//!
//! [`deny_publish`]: FakeNotifications::deny_publish

use std::collections::HashSet;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use jiff::Timestamp;
use serde::Serialize;

use crate::faults::Faults;
use crate::http::{Body, RequestBody, Server, Service, admin_deny, empty_response, json_response};
use crate::monitor::{Monitor, rfc3339};
use crate::oci_error::OciError;
use crate::oci_sig::{KeyRing, Principal, required_headers};
use crate::wire;

const TOPICS_PATH: &str = "/20181201/topics/";

/// The largest PublishMessage request body accepted, in bytes. OCI documents "64KB" per
/// request; read here as 64 KiB of request body (the JSON, not just the message text).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Bodies up to this size are read in full before refusing them as too large, so the client
/// gets the 400 instead of a connection closed under it; beyond it the fake stops reading.
const READ_LIMIT: usize = 1024 * 1024;

/// A message the fake accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedMessage {
    /// The `messageId` answered.
    pub message_id: String,
    pub topic_id: String,
    pub title: Option<String>,
    pub body: String,
    /// The `messageType` header when sent (`RAW_TEXT`, or the deprecated `JSON`).
    pub message_type: Option<String>,
    /// Who published: `tenancy/user/fingerprint`, or `ST$<redacted>` for a session token.
    pub key_id: String,
    /// When it was accepted, by the fake's clock (the `timeStamp` answered).
    #[serde(serialize_with = "rfc3339")]
    pub time: Timestamp,
}

/// A running fake Notifications service.
pub struct FakeNotifications {
    server: Server,
    service: Arc<Notifications>,
}

impl FakeNotifications {
    /// Accepts requests signed with keys in `keys`, dated by its clock.
    pub async fn start(keys: Arc<KeyRing>) -> io::Result<Self> {
        let clock = keys.clock().clone();
        let service = Arc::new(Notifications {
            keys,
            state: Mutex::new(State::default()),
        });
        let server = Server::start_with_clock(service.clone(), 0, clock).await?;
        Ok(FakeNotifications { server, service })
    }

    /// `http://127.0.0.1:<port>`: the endpoint to configure (the SDKs add `/20181201`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Makes `topic_id` exist; publishing to any other topic is a 404.
    pub fn add_topic(&self, topic_id: &str) {
        self.service.state().topics.insert(topic_id.to_string());
    }

    /// Refuses (`true`) or allows again every publish with OCI's 404, as a tenancy without a
    /// `use ons-topics` policy for the caller answers.
    pub fn deny_publish(&self, deny: bool) {
        self.service.state().deny_all = deny;
    }

    /// Refuses publishes signed by `principal` only (404, as [`Self::deny_publish`]). All
    /// session tokens are one [`Principal::SessionToken`]: denying it denies every instance.
    pub fn deny_publish_by(&self, principal: Principal) {
        self.service.state().denied.push(principal);
    }

    /// Every accepted message, oldest first.
    pub fn messages(&self) -> Vec<PublishedMessage> {
        self.service.state().messages.clone()
    }

    pub fn keys(&self) -> &Arc<KeyRing> {
        &self.service.keys
    }

    pub fn monitor(&self) -> &Arc<Monitor> {
        self.server.monitor()
    }

    pub fn faults(&self) -> &Arc<Faults> {
        self.server.faults()
    }
}

#[derive(Default)]
struct State {
    topics: HashSet<String>,
    deny_all: bool,
    denied: Vec<Principal>,
    messages: Vec<PublishedMessage>,
}

struct Notifications {
    keys: Arc<KeyRing>,
    state: Mutex<State>,
}

/// The topic OCID of `/20181201/topics/{topicId}/messages`, still percent-encoded.
fn topic_in(path: &str) -> Option<&str> {
    let id = path.strip_prefix(TOPICS_PATH)?.strip_suffix("/messages")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

fn not_authorized_or_not_found() -> OciError {
    OciError::new(
        StatusCode::NOT_FOUND,
        "NotAuthorizedOrNotFound",
        "Authorization failed or requested resource not found.",
    )
}

impl Notifications {
    fn state(&self) -> MutexGuard<'_, State> {
        // Plain data; a panicking test thread must not take the fake down with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn publish(&self, request: Request<RequestBody>) -> Result<Response<Body>, OciError> {
        let (parts, body) = request.into_parts();
        let verified = self
            .keys
            .verify(&parts, required_headers(&Method::POST, false))?;
        let topic_id = topic_in(parts.uri.path())
            .and_then(wire::decode_path)
            .unwrap_or_default();
        {
            let state = self.state();
            let denied = state.deny_all || state.denied.contains(&verified.principal);
            if denied || !state.topics.contains(&topic_id) {
                return Err(not_authorized_or_not_found());
            }
        }
        let body = read_limited(body).await?;
        verified.check_body(&body)?;
        let details = MessageDetails::parse(&body)?;

        let message = PublishedMessage {
            message_id: wire::uuid_like(),
            topic_id,
            title: details.title,
            body: details.body,
            message_type: parts
                .headers
                .get("messagetype")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            key_id: verified.principal.redacted_key_id(),
            time: wire::truncate_to_millis(self.keys.clock().now()),
        };
        let answer = serde_json::json!({
            "messageId": message.message_id,
            "timeStamp": wire::rfc3339_millis(message.time),
        });
        self.state().messages.push(message);
        Ok(json_response(StatusCode::OK, &answer))
    }
}

/// The whole body, refused when over [`MAX_REQUEST_BYTES`].
async fn read_limited(body: RequestBody) -> Result<Bytes, OciError> {
    let too_large = || {
        OciError::invalid(format!(
            "The request is larger than the message size limit per request \
             ({MAX_REQUEST_BYTES} bytes, 64KB)"
        ))
    };
    let bytes = match Limited::new(body, READ_LIMIT).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Err(e) => {
            return Err(OciError::new(
                StatusCode::BAD_REQUEST,
                "CannotParseRequest",
                format!("Reading the request body failed: {e}"),
            ));
        }
    };
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// `MessageDetails`: `body` required, `title` optional, both strings.
struct MessageDetails {
    title: Option<String>,
    body: String,
}

impl MessageDetails {
    fn parse(raw: &[u8]) -> Result<Self, OciError> {
        let value: serde_json::Value = serde_json::from_slice(raw).map_err(|e| {
            OciError::new(
                StatusCode::BAD_REQUEST,
                "CannotParseRequest",
                format!("The request body is not valid JSON: {e}"),
            )
        })?;
        let Some(fields) = value.as_object() else {
            return Err(OciError::invalid("The request body must be a JSON object"));
        };
        let body = match fields.get("body") {
            Some(serde_json::Value::String(body)) => body.clone(),
            None | Some(serde_json::Value::Null) => {
                return Err(OciError::invalid("Parameter 'body' is required"));
            }
            Some(_) => return Err(OciError::invalid("Parameter 'body' must be a string")),
        };
        let title = match fields.get("title") {
            Some(serde_json::Value::String(title)) => Some(title.clone()),
            None | Some(serde_json::Value::Null) => None,
            Some(_) => return Err(OciError::invalid("Parameter 'title' must be a string")),
        };
        Ok(MessageDetails { title, body })
    }
}

impl Service for Notifications {
    fn operation(&self, method: &Method, target: &str) -> &'static str {
        let path = target.split('?').next().unwrap_or(target);
        if method == Method::POST && topic_in(path).is_some() {
            "PublishMessage"
        } else {
            "Unknown"
        }
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let method = request.method().clone();
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        if self.operation(&method, target) == "Unknown" {
            return OciError::new(StatusCode::NOT_FOUND, "NotFound", "Not Found")
                .into_response(&method);
        }
        self.publish(request)
            .await
            .unwrap_or_else(|e| e.into_response(&method))
    }

    fn admin(&self, method: &Method, path: &str, body: &[u8]) -> Option<Response<Body>> {
        Some(match (method, path) {
            (&Method::GET, "messages") => json_response(StatusCode::OK, &self.state().messages),
            (&Method::DELETE, "messages") => {
                self.state().messages.clear();
                empty_response(StatusCode::NO_CONTENT)
            }
            (&Method::POST, "deny") => admin_deny(body, |deny| self.state().deny_all = deny),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_paths() {
        assert_eq!(
            topic_in("/20181201/topics/ocid1.onstopic.oc1..t/messages"),
            Some("ocid1.onstopic.oc1..t")
        );
        assert_eq!(topic_in("/20181201/topics//messages"), None);
        assert_eq!(topic_in("/20181201/topics/a/b/messages"), None);
        assert_eq!(topic_in("/20181201/topics/a"), None);
    }

    #[test]
    fn message_details() {
        let d = MessageDetails::parse(br#"{"title":"t","body":"b"}"#).unwrap();
        assert_eq!((d.title.as_deref(), d.body.as_str()), (Some("t"), "b"));
        let d = MessageDetails::parse(br#"{"body":""}"#).unwrap();
        assert_eq!(d.title, None);
        for (raw, code) in [
            (&br#"{"title":"t"}"#[..], "InvalidParameter"),
            (br#"{"body":null}"#, "InvalidParameter"),
            (br#"{"body":3}"#, "InvalidParameter"),
            (br#"{"body":"b","title":[]}"#, "InvalidParameter"),
            (br#"[]"#, "InvalidParameter"),
            (br#"{"#, "CannotParseRequest"),
        ] {
            let err = MessageDetails::parse(raw).err().unwrap();
            assert_eq!((err.status, err.code), (StatusCode::BAD_REQUEST, code));
        }
    }
}
