//! Test helpers: a fake with a registered key, a small signing HTTP client whose signing
//! strings are spelled out here (not taken from the fake's verifier), and a raw TCP exchange
//! for what an HTTP library would hide.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const TENANCY: &str = "ocid1.tenancy.oc1..aaaatesttenancy";
pub const USER: &str = "ocid1.user.oc1..aaaatestuser";
pub const BUCKET: &str = "ocid1.tenancy.oc1..aaaatesttenancy";

pub struct Setup {
    pub fake: FakeObjectStorage,
    pub client: Client,
    pub key_id: String,
}

/// A fake requiring signatures, with one registered API key, and a client holding that key.
pub async fn signed_fake(page_size: usize) -> Setup {
    let fake = FakeObjectStorage::start(Config {
        page_size,
        ..Config::default()
    })
    .await
    .unwrap();
    let key = TestKeyPair::generate().unwrap();
    let key_id = fake
        .keys()
        .register_api_key(TENANCY, USER, key.public_key());
    fake.create_bucket("bling", BUCKET);
    let client = Client::new(&fake, Some((key, key_id.clone())));
    Setup {
        fake,
        client,
        key_id,
    }
}

/// How a request is signed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    Unsigned,
    /// `date (request-target) host` (GET/HEAD/DELETE, PutObject, UploadPart).
    Generic,
    /// Also `content-length content-type x-content-sha256`.
    WithBody,
}

pub struct Client {
    http: reqwest::Client,
    pub base: String,
    host: String,
    key: Option<(Arc<TestKeyPair>, String)>,
}

impl Client {
    pub fn new(fake: &FakeObjectStorage, key: Option<(TestKeyPair, String)>) -> Self {
        Client::for_url(&fake.base_url(), key)
    }

    /// A client for any fake, by its `http://127.0.0.1:<port>` base URL.
    pub fn for_url(base: &str, key: Option<(TestKeyPair, String)>) -> Self {
        Client {
            http: reqwest::Client::new(),
            base: base.to_string(),
            host: base.trim_start_matches("http://").to_string(),
            key: key.map(|(pair, id)| (Arc::new(pair), id)),
        }
    }

    /// The same key, for another fake.
    pub fn at(&self, base: &str) -> Client {
        Client {
            http: self.http.clone(),
            base: base.to_string(),
            host: base.trim_start_matches("http://").to_string(),
            key: self.key.clone(),
        }
    }

    pub async fn get(&self, target: &str) -> reqwest::Response {
        self.send("GET", target, &[], Vec::new(), Sign::Generic)
            .await
    }

    /// Sends `target` (path and query, already percent-encoded as it must go on the wire).
    pub async fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        sign: Sign,
    ) -> reqwest::Response {
        let signed_body = body.clone();
        self.send_signed_over(method, target, headers, &signed_body, body, sign)
            .await
    }

    /// Like [`Client::send`], but the body hash and length signed are those of `signed_body`.
    pub async fn send_signed_over(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        signed_body: &[u8],
        body: Vec<u8>,
        sign: Sign,
    ) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let date = jiff::Timestamp::now()
            .strftime("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let mut request = self
            .http
            .request(method.clone(), format!("{}{target}", self.base))
            .header("date", &date);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if sign != Sign::Unsigned {
            let (key, key_id) = self.key.as_ref().expect("a signing key");
            let mut lines = vec![
                format!("date: {date}"),
                format!(
                    "(request-target): {} {target}",
                    method.as_str().to_lowercase()
                ),
                format!("host: {}", self.host),
            ];
            let mut names = "date (request-target) host".to_string();
            if sign == Sign::WithBody {
                let given = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| *v);
                if given.is_none() {
                    request = request.header("content-type", "application/json");
                }
                let content_type = given.unwrap_or("application/json");
                let sha = STANDARD.encode(Sha256::digest(signed_body));
                lines.push(format!("content-length: {}", signed_body.len()));
                lines.push(format!("content-type: {content_type}"));
                lines.push(format!("x-content-sha256: {sha}"));
                names.push_str(" content-length content-type x-content-sha256");
                request = request
                    .header("x-content-sha256", sha)
                    .header("content-length", body.len().to_string());
            }
            let signature = STANDARD.encode(key.sign(lines.join("\n").as_bytes()).unwrap());
            request = request.header(
                "authorization",
                format!(
                    "Signature version=\"1\",keyId=\"{key_id}\",algorithm=\"rsa-sha256\",\
                     headers=\"{names}\",signature=\"{signature}\""
                ),
            );
        }
        request.body(body).send().await.unwrap()
    }
}

/// Reads a response body as JSON (reqwest's `json` feature is not enabled in the workspace).
pub trait JsonBody {
    fn json_value(self) -> impl std::future::Future<Output = serde_json::Value>;
}

impl JsonBody for reqwest::Response {
    async fn json_value(self) -> serde_json::Value {
        let body = self.bytes().await.unwrap();
        serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)))
    }
}

/// The status and JSON error body of a response, as (status, code, message).
pub async fn oci_error(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let json = response.json_value().await;
    (
        status,
        json["code"].as_str().unwrap_or_default().to_string(),
        json["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// Writes `request` on a fresh connection to `addr` and reads until the peer closes or
/// `until` appears; a generous timeout only keeps a broken server from hanging the test.
pub async fn raw_exchange(addr: std::net::SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request).await?;
    read_to_close(&mut stream).await
}

pub async fn read_to_close(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut out))
        .await
        .map_err(|_| std::io::Error::other("server neither answered nor closed in 30 s"))??;
    Ok(out)
}

/// Reads from `stream` until `marker` has arrived; returns everything read.
pub async fn read_until(stream: &mut TcpStream, marker: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while !out.windows(marker.len()).any(|w| w == marker) {
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
            .await
            .expect("server answered within 30 s")
            .unwrap();
        assert!(
            n > 0,
            "connection closed before {:?}; got {:?}",
            String::from_utf8_lossy(marker),
            String::from_utf8_lossy(&out)
        );
        out.extend_from_slice(&buf[..n]);
    }
    out
}
