//! A proxy in front of the S3 server that counts requests by S3 operation, for the
//! benchmark's counting runs (timed runs talk to the server directly). It runs on the fakes'
//! server scaffolding, so its counters and log are at `/_fake/stats` and `/_fake/log`.
//!
//! Bodies are buffered whole in both directions: simple, and fine for a run whose time is not
//! measured.

use http::{Method, Request, Response, StatusCode};
use ocisync_fakes::http::{Body, RequestBody, Service};
use ocisync_fakes::s3_operation::s3_operation;

/// Hop-by-hop and framing headers the proxy must not pass on (reqwest frames the body again;
/// the interim `100 Continue` is answered by the proxy's own server).
const NOT_FORWARDED: &[http::HeaderName] = &[
    http::header::HOST,
    http::header::CONTENT_LENGTH,
    http::header::TRANSFER_ENCODING,
    http::header::CONNECTION,
    http::header::EXPECT,
];

pub struct CountingProxy {
    upstream: String,
    client: reqwest::Client,
}

impl CountingProxy {
    pub fn new(upstream: &str, client: reqwest::Client) -> Self {
        CountingProxy {
            upstream: upstream.trim_end_matches('/').to_string(),
            client,
        }
    }
}

impl Service for CountingProxy {
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
