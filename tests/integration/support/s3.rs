//! A real S3 server (moto, from PyPI) reached through a proxy in the test process that records
//! every request and can inject faults — so tests prove what ocisync sent (e.g. no PUT in a
//! dry run) against a server that really stores objects.
//!
//! `OCISYNC_TEST_S3_ENDPOINT` points at a running server (the test script starts one moto for
//! the whole run); without it each test process starts its own moto, which exits when the test
//! process does (it waits on its stdin).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};

use http::{Method, Request, Response, StatusCode};
use ocisync_fakes::http::{Body, RequestBody, Server, Service};
use ocisync_fakes::s3_operation::s3_operation;

/// A moto started by this process.
struct Moto {
    endpoint: String,
    _child: Child,
}

const START_MOTO: &str = r#"
import sys, os
from moto.server import ThreadedMotoServer
s = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
s.start()
print("http://127.0.0.1:%d" % s._server.server_port, flush=True)
sys.stdin.read()
os._exit(0)
"#;

fn moto_endpoint() -> &'static str {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    if let Ok(e) = std::env::var("OCISYNC_TEST_S3_ENDPOINT") {
        return Box::leak(e.into_boxed_str());
    }
    &MOTO
        .get_or_init(|| {
            let mut child = Command::new("python3")
                .args(["-c", START_MOTO])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("python3 with moto[server] (pip install 'moto[server]==5.2.5'; the README test command does)");
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
            assert!(line.starts_with("http://"), "moto did not start: {line:?}");
            Moto { endpoint: line.trim().to_string(), _child: child }
        })
        .endpoint
}

/// Forwards to moto, names each request by its S3 operation.
struct Forward {
    upstream: String,
    client: reqwest::Client,
}

impl Service for Forward {
    fn operation(&self, method: &Method, target: &str) -> &'static str {
        s3_operation(method, target)
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let target = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let body = match body.bytes().await {
            Ok(b) => b,
            Err(e) => return text(StatusCode::BAD_REQUEST, format!("proxy: reading body: {e}")),
        };
        let mut req = self
            .client
            .request(parts.method.clone(), format!("{}{target}", self.upstream))
            .body(body);
        for (k, v) in &parts.headers {
            if k != http::header::HOST && k != http::header::CONTENT_LENGTH {
                req = req.header(k, v);
            }
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return text(StatusCode::BAD_GATEWAY, format!("proxy: {e}")),
        };
        let mut out = Response::builder().status(resp.status());
        let is_head = parts.method == Method::HEAD;
        for (k, v) in resp.headers() {
            // The body is re-sent whole, so its length is recomputed — except for HEAD, whose
            // content-length describes the object.
            if (is_head || k != http::header::CONTENT_LENGTH)
                && k != http::header::TRANSFER_ENCODING
            {
                out = out.header(k, v);
            }
        }
        let bytes = resp.bytes().await.unwrap_or_default();
        out.body(Body::new(bytes)).unwrap()
    }
}

fn text(status: StatusCode, msg: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .body(Body::new(msg.into()))
        .unwrap()
}

/// moto behind a recording proxy, with one fresh bucket.
pub struct S3 {
    pub proxy: Server,
    pub bucket: String,
}

impl S3 {
    /// Starts the proxy (inside the caller's runtime) and creates a bucket.
    pub async fn start(label: &str) -> S3 {
        let upstream = moto_endpoint().to_string();
        let client = reqwest::Client::new();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let bucket =
            format!("{label}-{}-{}", std::process::id(), nanos % 1_000_000_000).to_lowercase();
        let created = client
            .put(format!("{upstream}/{bucket}"))
            .send()
            .await
            .expect("create bucket");
        assert!(
            created.status().is_success(),
            "create bucket: {}",
            created.status()
        );
        let proxy = Server::start(Arc::new(Forward { upstream, client }), 0)
            .await
            .expect("proxy");
        S3 { proxy, bucket }
    }

    pub fn endpoint(&self) -> String {
        self.proxy.base_url()
    }

    /// A `[remotes.NAME]` section for this server.
    pub fn remote_toml(&self, name: &str) -> String {
        format!(
            "[remotes.{name}]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"test\"\nsecret_access_key = \"testsecret\"\n",
            self.endpoint()
        )
    }

    /// Methods and targets of every request so far.
    pub fn requests(&self) -> Vec<(String, String, &'static str)> {
        self.proxy
            .monitor()
            .log()
            .into_iter()
            .map(|e| (e.method, e.target, e.operation))
            .collect()
    }

    pub fn writes(&self) -> Vec<(String, String, &'static str)> {
        self.requests()
            .into_iter()
            .filter(|(m, _, _)| m == "PUT" || m == "POST" || m == "DELETE")
            .collect()
    }

    pub fn count(&self, operation: &str) -> u64 {
        self.proxy.monitor().count(operation)
    }

    pub fn reset_log(&self) {
        self.proxy.monitor().reset();
    }
}
