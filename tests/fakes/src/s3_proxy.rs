//! A proxy in front of a real S3 server (moto, `rclone serve s3`) that names every request by
//! its S3 operation: the integration tests' recording and fault-injecting proxy and the
//! benchmark's request counter are this one service. It runs on the fakes' server scaffolding,
//! so its log, counters and fault rules are those of [`crate::http::Server`] (`/_fake/stats`,
//! `/_fake/log`, `/_fake/faults`).
//!
//! Bodies are buffered whole in both directions: simple, and fine for tests and for counting
//! runs whose time is not measured.
//!
//! For the benchmark's `--rtt`, it can also play a long network path: [`S3Proxy::with_delay`]
//! holds every request that long before forwarding it (one round trip per request; the
//! clients' keep-alive connections to the proxy and the proxy's to the server are kept), and
//! [`S3Proxy::with_bandwidth`] sends every body through one shared link of that many bytes
//! per second. Neither depends on the upstream being S3: the benchmark puts a second one in
//! front of the fake OCI service.

use crate::http::{Body, RequestBody, Service};
use crate::s3_operation::s3_operation;
use http::{Method, Request, Response, StatusCode};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    /// Held before each request is forwarded.
    delay: Duration,
    /// The shared link bodies cross, when capped.
    link: Option<Link>,
}

impl S3Proxy {
    pub fn new(upstream: &str, client: reqwest::Client) -> Self {
        S3Proxy {
            upstream: upstream.trim_end_matches('/').to_string(),
            client,
            delay: Duration::ZERO,
            link: None,
        }
    }

    /// Holds every request this long before forwarding it (a round trip's worth of latency).
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sends request and response bodies through one link of `bytes_per_second`, shared by
    /// all connections (each body waits for the link, then for its own bytes to cross).
    pub fn with_bandwidth(mut self, bytes_per_second: u64) -> Self {
        self.link = (bytes_per_second > 0).then(|| Link {
            bytes_per_second: bytes_per_second as f64,
            free_at: Mutex::new(Instant::now()),
        });
        self
    }
}

/// A capped link: when it is next free.
struct Link {
    bytes_per_second: f64,
    free_at: Mutex<Instant>,
}

impl Link {
    /// Waits until `bytes` have crossed the link after everything queued before them.
    async fn cross(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let done = {
            let mut free_at = self.free_at.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*free_at).max(Instant::now());
            *free_at = start + Duration::from_secs_f64(bytes as f64 / self.bytes_per_second);
            *free_at
        };
        tokio::time::sleep_until(done.into()).await;
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
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if let Some(link) = &self.link {
            link.cross(body.len()).await;
        }
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
        if let Some(link) = &self.link {
            link.cross(bytes.len()).await;
        }
        out.body(Body::new(bytes))
            .unwrap_or_else(|e| text(StatusCode::BAD_GATEWAY, format!("proxy: {e}")))
    }
}

fn text(status: StatusCode, message: String) -> Response<Body> {
    let mut r = Response::new(Body::new(message.into()));
    *r.status_mut() = status;
    r
}
