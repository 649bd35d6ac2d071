//! A proxy in front of a real S3 server (moto, `rclone serve s3`) that names every request by
//! its S3 operation: the integration tests' recording and fault-injecting proxy and the
//! benchmark's request counter are this one service. It runs on the fakes' server scaffolding,
//! so its log, counters and fault rules are those of [`crate::http::Server`] (`/_fake/stats`,
//! `/_fake/log`, `/_fake/faults`).
//!
//! Bodies are buffered whole in both directions: simple, and fine for tests and for counting
//! runs whose time is not measured.

use crate::http::{Body, RequestBody, Service};
use crate::s3_operation::s3_operation;
use http::{Method, Request, Response, StatusCode};

/// Hop-by-hop and framing headers the proxy must not pass on (reqwest frames the body again;
/// the interim `100 Continue` is answered by the proxy's own server).
const NOT_FORWARDED: &[http::HeaderName] = &[
    http::header::HOST,
    http::header::CONTENT_LENGTH,
    http::header::TRANSFER_ENCODING,
    http::header::CONNECTION,
    http::header::EXPECT,
];

/// Forwards to `upstream`.
pub struct S3Proxy {
    upstream: String,
    client: reqwest::Client,
}

impl S3Proxy {
    pub fn new(upstream: &str, client: reqwest::Client) -> Self {
        S3Proxy {
            upstream: upstream.trim_end_matches('/').to_string(),
            client,
        }
    }
}

impl Service for S3Proxy {
    fn operation(&self, method: &Method, target: &str) -> &'static str {
        s3_operation(method, target)
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let body = match body.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!("proxy: reading the body: {e}"),
                );
            }
        };
        let mut req = self
            .client
            .request(parts.method.clone(), format!("{}{target}", self.upstream))
            .body(body);
        for (name, value) in &parts.headers {
            if !NOT_FORWARDED.contains(name) {
                req = req.header(name, value);
            }
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return text(StatusCode::BAD_GATEWAY, format!("proxy: {e}")),
        };
        let mut out = Response::builder().status(resp.status());
        let is_head = parts.method == Method::HEAD;
        for (name, value) in resp.headers() {
            // The body is sent again whole, so its length is recomputed — except for HEAD,
            // whose content-length describes the object.
            let framing =
                name == http::header::CONTENT_LENGTH || name == http::header::TRANSFER_ENCODING;
            if is_head || !framing {
                out = out.header(name, value);
            }
        }
        let bytes = resp.bytes().await.unwrap_or_default();
        out.body(Body::new(bytes))
            .unwrap_or_else(|e| text(StatusCode::BAD_GATEWAY, format!("proxy: {e}")))
    }
}

fn text(status: StatusCode, message: String) -> Response<Body> {
    let mut r = Response::new(Body::new(message.into()));
    *r.status_mut() = status;
    r
}
