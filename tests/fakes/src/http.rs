//! Server scaffolding shared by the fake services: an HTTP/1.1 server on 127.0.0.1 (hyper),
//! keep-alive connections, a request log and counters ([`Monitor`]), fault injection
//! ([`Faults`]) and a few admin endpoints under `/_fake/`. A service only maps requests to
//! responses ([`Service`]).
//!
//! Every response carries an `opc-request-id` (and echoes `opc-client-request-id`), as OCI
//! services do, and a `Date` from the server's [`Clock`] (hyper's own is turned off, so a
//! shifted clock shows). `Expect: 100-continue` is answered by hyper as soon as the service
//! starts reading the body, so a service that rejects a request from its headers alone (bad
//! signature, missing bucket) answers without making the client send the body.
//!
//! Admin endpoints (never logged, never signed):
//! - `GET /_fake/stats` — [`crate::monitor::Stats`] as JSON;
//! - `GET /_fake/log` — the [`LogEntry`] list as JSON;
//! - `DELETE /_fake/stats` — forget log and counters;
//! - `POST /_fake/faults` — add a [`FaultRule`] given as JSON; `DELETE /_fake/faults` — clear;
//! - `GET /_fake/clock` — `{"offset_seconds": N, "now": RFC 3339}`; `POST /_fake/clock` with
//!   `{"offset_seconds": N}` — set the [`Clock`] offset (shared with whatever shares the clock);
//! - anything else under `/_fake/` goes to [`Service::admin`] (service-specific endpoints).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use jiff::Timestamp;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::clock::Clock;
use crate::faults::{FaultAction, FaultRule, Faults};
use crate::monitor::{LOGGED_HEADERS, LogEntry, Monitor};
use crate::oci_error::OciError;
use crate::oci_sig::describe_authorization;

/// Response bodies: fakes answer from memory, so a body is one buffer (possibly empty).
pub type Body = Full<Bytes>;

/// A fake service behind a [`Server`].
pub trait Service: Send + Sync + 'static {
    /// The operation a request is for ("GetObject"), used by the log, the counters and fault
    /// rules. `target` is the path and query as received.
    fn operation(&self, method: &Method, target: &str) -> &'static str;

    fn call(&self, request: Request<RequestBody>) -> impl Future<Output = Response<Body>> + Send;

    /// Service-specific admin endpoints: `path` is what follows `/_fake/` (query removed),
    /// `body` the whole request body. `None` when `path` is not one of this service's.
    fn admin(&self, method: &Method, path: &str, body: &[u8]) -> Option<Response<Body>> {
        let _ = (method, path, body);
        None
    }
}

/// A request body, streamed from the connection; counts what the service reads for the log.
pub struct RequestBody {
    inner: Incoming,
    read: Arc<AtomicU64>,
}

impl RequestBody {
    /// The whole body in one buffer.
    pub async fn bytes(self) -> Result<Bytes, hyper::Error> {
        Ok(self.collect().await?.to_bytes())
    }
}

impl hyper::body::Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.read.fetch_add(data.len() as u64, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A running server. Dropping it stops accepting and lets open connections finish their
/// current request, then close.
pub struct Server {
    addr: SocketAddr,
    monitor: Arc<Monitor>,
    faults: Arc<Faults>,
    clock: Arc<Clock>,
    // Dropping the sender is the stop signal every task watches.
    _stop: watch::Sender<()>,
}

impl Server {
    /// Serves `service` on 127.0.0.1:`port` (0 lets the OS choose) from the current Tokio
    /// runtime, with a clock of its own.
    pub async fn start<S: Service>(service: Arc<S>, port: u16) -> io::Result<Server> {
        Server::start_with_clock(service, port, Arc::new(Clock::new())).await
    }

    /// Like [`Server::start`], with `clock` for `Date` headers and `/_fake/clock`; pass the
    /// clock the service checks signatures with, so both agree.
    pub async fn start_with_clock<S: Service>(
        service: Arc<S>,
        port: u16,
        clock: Arc<Clock>,
    ) -> io::Result<Server> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(());
        let shared = Arc::new(Shared {
            service,
            monitor: Arc::new(Monitor::default()),
            faults: Arc::new(Faults::default()),
            clock,
            request_ids: AtomicU64::new(1),
        });
        let server = Server {
            addr,
            monitor: shared.monitor.clone(),
            faults: shared.faults.clone(),
            clock: shared.clock.clone(),
            _stop: stop,
        };
        tokio::spawn(accept_loop(listener, shared, stopped));
        Ok(server)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn monitor(&self) -> &Arc<Monitor> {
        &self.monitor
    }

    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// The clock behind the `Date` headers (and `/_fake/clock`).
    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }
}

struct Shared<S> {
    service: Arc<S>,
    monitor: Arc<Monitor>,
    faults: Arc<Faults>,
    clock: Arc<Clock>,
    request_ids: AtomicU64,
}

async fn accept_loop<S: Service>(
    listener: TcpListener,
    shared: Arc<Shared<S>>,
    mut stopped: watch::Receiver<()>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    shared.monitor.connection_opened();
                    tokio::spawn(serve_connection(stream, shared.clone(), stopped.clone()));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            },
            _ = stopped.changed() => return,
        }
    }
}

/// What a request handler asks of its connection when a fault must bypass HTTP framing.
enum Takeover {
    /// Close with a TCP reset.
    Reset,
    /// Write these raw bytes (a response cut short), then close.
    Send(Bytes),
}

enum ConnectionEvent {
    Finished,
    Takeover(Takeover),
    Stop,
}

async fn serve_connection<S: Service>(
    stream: TcpStream,
    shared: Arc<Shared<S>>,
    mut stopped: watch::Receiver<()>,
) {
    // Small request/response exchanges must not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let (takeover_tx, mut takeover_rx) = mpsc::unbounded_channel();
    let service = service_fn(move |request| handle(shared.clone(), takeover_tx.clone(), request));
    let mut conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(true)
        // `handle` writes the Date from the server's clock, which may be shifted.
        .auto_date_header(false)
        .serve_connection(TokioIo::new(stream), service);
    let event = tokio::select! {
        _ = &mut conn => ConnectionEvent::Finished,
        Some(takeover) = takeover_rx.recv() => ConnectionEvent::Takeover(takeover),
        _ = stopped.changed() => ConnectionEvent::Stop,
    };
    match event {
        ConnectionEvent::Finished => {}
        ConnectionEvent::Stop => {
            Pin::new(&mut conn).graceful_shutdown();
            let _ = conn.await;
        }
        // hyper has read the request and written nothing for it yet: the socket is ours.
        ConnectionEvent::Takeover(takeover) => {
            let mut stream = conn.into_parts().io.into_inner();
            match takeover {
                Takeover::Reset => {
                    let _ = stream.set_zero_linger();
                }
                Takeover::Send(raw) => {
                    let _ = stream.write_all(&raw).await;
                    let _ = stream.shutdown().await;
                }
            }
        }
    }
}

async fn handle<S: Service>(
    shared: Arc<Shared<S>>,
    takeover: mpsc::UnboundedSender<Takeover>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let method = request.method().clone();
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    if let Some(admin_path) = target.strip_prefix("/_fake/") {
        let mut response = admin(&shared, &method, admin_path, request).await;
        stamp_date(response.headers_mut(), &shared.clock);
        return Ok(response);
    }
    let operation = shared.service.operation(&method, &target);
    let client_request_id = request.headers().get("opc-client-request-id").cloned();
    let fault = shared.faults.take(&method, &target, operation);
    let mut entry = LogEntry {
        seq: 0,
        time: Timestamp::now(),
        method: method.to_string(),
        target,
        operation,
        status: 0,
        headers: logged_headers(request.headers()),
        request_body_bytes: 0,
        response_body_bytes: 0,
        fault: fault.as_ref().map(|f| format!("{f:?}")),
    };

    let mut response = match fault {
        Some(FaultAction::Reset) => {
            shared.monitor.record(entry);
            let _ = takeover.send(Takeover::Reset);
            // The connection task drops this future with the connection.
            return std::future::pending().await;
        }
        Some(FaultAction::Status {
            status,
            retry_after,
        }) => fault_response(&method, status, retry_after),
        other => {
            if let Some(FaultAction::Delay { millis }) = other {
                tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
            }
            let (parts, body) = request.into_parts();
            let read = Arc::new(AtomicU64::new(0));
            let body = RequestBody {
                inner: body,
                read: read.clone(),
            };
            let mut response = shared.service.call(Request::from_parts(parts, body)).await;
            // Before a truncating fault copies the headers.
            stamp_date(response.headers_mut(), &shared.clock);
            entry.request_body_bytes = read.load(Ordering::Relaxed);
            if let Some(FaultAction::Truncate { bytes }) = other {
                let (raw, sent) = truncated_response(response, bytes).await;
                entry.status = 0;
                entry.response_body_bytes = sent;
                shared.monitor.record(entry);
                let _ = takeover.send(Takeover::Send(raw));
                return std::future::pending().await;
            }
            response
        }
    };

    let request_id = shared.request_ids.fetch_add(1, Ordering::Relaxed);
    let headers = response.headers_mut();
    stamp_date(headers, &shared.clock);
    if !headers.contains_key("opc-request-id") {
        let id = format!("fake-1:{request_id:016X}");
        if let Ok(value) = HeaderValue::from_str(&id) {
            headers.insert("opc-request-id", value);
        }
    }
    if let Some(id) = client_request_id {
        headers.insert("opc-client-request-id", id);
    }
    entry.status = response.status().as_u16();
    entry.response_body_bytes = hyper::body::Body::size_hint(response.body())
        .exact()
        .unwrap_or(0);
    shared.monitor.record(entry);
    Ok(response)
}

/// Adds `Date` from `clock` unless the service set one (a proxy relaying its upstream's).
fn stamp_date(headers: &mut HeaderMap, clock: &Clock) {
    if !headers.contains_key(http::header::DATE)
        && let Ok(value) = HeaderValue::from_str(&clock.http_date())
    {
        headers.insert(http::header::DATE, value);
    }
}

fn logged_headers(headers: &HeaderMap) -> std::collections::BTreeMap<String, String> {
    LOGGED_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            let value = if *name == "authorization" {
                describe_authorization(value)
            } else {
                value.to_string()
            };
            Some((name.to_string(), value))
        })
        .collect()
}

/// An injected error status, with an OCI-style JSON body.
fn fault_response(method: &Method, status: u16, retry_after: Option<u32>) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let code = match status {
        StatusCode::TOO_MANY_REQUESTS => "TooManyRequests",
        StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
        StatusCode::INTERNAL_SERVER_ERROR => "InternalServerError",
        _ => "InjectedFault",
    };
    let mut response =
        OciError::new(status, code, format!("Injected fault: {status}")).into_response(method);
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The response as raw HTTP/1.1 with its full `content-length` but only the first `keep`
/// body bytes (at most all but one, so something is always missing). Returns the bytes and
/// how many body bytes they hold.
async fn truncated_response(response: Response<Body>, keep: usize) -> (Bytes, u64) {
    let (parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    let keep = keep.min(body.len().saturating_sub(1));
    let mut raw = format!(
        "HTTP/1.1 {} {}\r\n",
        parts.status.as_u16(),
        parts.status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in &parts.headers {
        if name != http::header::CONTENT_LENGTH {
            raw.extend_from_slice(name.as_str().as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(value.as_bytes());
            raw.extend_from_slice(b"\r\n");
        }
    }
    raw.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    raw.extend_from_slice(&body[..keep]);
    (Bytes::from(raw), keep as u64)
}

/// `application/json` response from a serialisable value.
pub fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn admin<S: Service>(
    shared: &Shared<S>,
    method: &Method,
    path: &str,
    request: Request<Incoming>,
) -> Response<Body> {
    match (method, path) {
        (&Method::GET, "stats") => json_response(StatusCode::OK, &shared.monitor.stats()),
        (&Method::GET, "log") => json_response(StatusCode::OK, &shared.monitor.log()),
        (&Method::DELETE, "stats") => {
            shared.monitor.reset();
            empty_response(StatusCode::NO_CONTENT)
        }
        (&Method::POST, "faults") => {
            let body = match request.into_body().collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => return admin_error(format!("reading the body: {e}")),
            };
            match serde_json::from_slice::<FaultRule>(&body) {
                Ok(rule) => {
                    shared.faults.add(rule);
                    empty_response(StatusCode::NO_CONTENT)
                }
                Err(e) => admin_error(format!("not a fault rule: {e}")),
            }
        }
        (&Method::DELETE, "faults") => {
            shared.faults.clear();
            empty_response(StatusCode::NO_CONTENT)
        }
        (&Method::GET, "clock") => clock_state(&shared.clock),
        (&Method::POST, "clock") => {
            #[derive(serde::Deserialize)]
            struct SetClock {
                offset_seconds: i64,
            }
            let body = match request.into_body().collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => return admin_error(format!("reading the body: {e}")),
            };
            match serde_json::from_slice::<SetClock>(&body) {
                Ok(set) => {
                    shared
                        .clock
                        .set_offset(jiff::SignedDuration::from_secs(set.offset_seconds));
                    clock_state(&shared.clock)
                }
                Err(e) => admin_error(format!("expected {{\"offset_seconds\": N}}: {e}")),
            }
        }
        _ => {
            let body = match request.into_body().collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => return admin_error(format!("reading the body: {e}")),
            };
            let path = path.split('?').next().unwrap_or(path);
            shared
                .service
                .admin(method, path, &body)
                .unwrap_or_else(|| {
                    json_response(
                        StatusCode::NOT_FOUND,
                        &serde_json::json!({ "code": "NotFound", "message": format!("no admin endpoint {method} /_fake/{path}") }),
                    )
                })
        }
    }
}

fn clock_state(clock: &Clock) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "offset_seconds": clock.offset().as_secs(),
            "now": clock.now().to_string(),
        }),
    )
}

/// `POST /_fake/deny` with `{"deny": true|false}`, the switch by which a service plays a
/// missing IAM policy: hands the flag to `apply` and answers 204, or 400 for another body.
pub(crate) fn admin_deny(body: &[u8], apply: impl FnOnce(bool)) -> Response<Body> {
    #[derive(serde::Deserialize)]
    struct Deny {
        deny: bool,
    }
    match serde_json::from_slice::<Deny>(body) {
        Ok(Deny { deny }) => {
            apply(deny);
            empty_response(StatusCode::NO_CONTENT)
        }
        Err(e) => admin_error(format!("expected {{\"deny\": true|false}}: {e}")),
    }
}

/// A 400 for an admin request the fake cannot use.
fn admin_error(message: String) -> Response<Body> {
    json_response(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({ "code": "InvalidParameter", "message": message }),
    )
}

pub fn empty_response(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = status;
    response
}
