//! moto, reached two ways: straight (the test's own view of the bucket: what is really
//! stored, pending uploads, raw keys) and through [`Hooked`], a proxy on the fakes' server
//! scaffolding (request log, fault rules) that can also change what happens to chosen
//! requests: replace an object just before its GET is answered, answer a GET with a body of
//! another length, page listings by N keys, serve a listing page twice or a key twice.
//!
//! moto does not verify SigV4 signatures but reads the access key from `Authorization`, so the
//! test's own requests carry a placeholder signature for the `test` account.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use ocisync_fakes::http::{Body, RequestBody, Server, Service};
use ocisync_fakes::moto;
use ocisync_fakes::s3_operation::s3_operation;
use ocisync_fakes::s3_proxy::S3Proxy;

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, \
                    SignedHeaders=host, Signature=00";

/// The bucket as moto stores it.
pub struct Moto {
    pub endpoint: String,
    pub bucket: String,
    client: reqwest::Client,
}

/// Percent-encodes a key for a URL path (`/` kept).
pub fn encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of each `<tag>…</tag>`, entities `&amp; &lt; &gt; &quot;` decoded.
pub fn elements(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let from = i + open.len();
        let Some(len) = rest[from..].find(&close) else {
            break;
        };
        out.push(
            rest[from..from + len]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&"),
        );
        rest = &rest[from + len + close.len()..];
    }
    out
}

impl Moto {
    /// A fresh bucket.
    pub async fn bucket(label: &str) -> Moto {
        let endpoint = moto::endpoint().to_string();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let bucket =
            format!("{label}-{}-{}", std::process::id(), nanos % 1_000_000_000).to_lowercase();
        let m = Moto {
            endpoint,
            bucket,
            client: reqwest::Client::new(),
        };
        let r = m.request(Method::PUT, "", Vec::new()).await;
        assert!(r.0.is_success(), "create bucket: {}", r.0);
        m
    }

    /// A bucket that exists on another S3 server (SeaweedFS): the same requests reach it.
    pub fn existing(endpoint: &str, bucket: &str) -> Moto {
        Moto {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            bucket: bucket.to_string(),
            client: reqwest::Client::new(),
        }
    }

    async fn request(&self, method: Method, path: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let url = format!("{}/{}{path}", self.endpoint, self.bucket);
        let resp = self
            .client
            .request(method, url)
            .header("authorization", AUTH)
            .body(body)
            .send()
            .await
            .expect("moto request");
        let status = resp.status();
        (status, resp.bytes().await.unwrap_or_default().to_vec())
    }

    pub async fn put(&self, key: &str, data: &[u8]) {
        let (s, b) = self
            .request(Method::PUT, &format!("/{}", encode(key)), data.to_vec())
            .await;
        assert!(
            s.is_success(),
            "PUT {key:?}: {s} {}",
            String::from_utf8_lossy(&b)
        );
    }

    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let (s, b) = self
            .request(Method::GET, &format!("/{}", encode(key)), Vec::new())
            .await;
        s.is_success().then_some(b)
    }

    pub async fn delete(&self, key: &str) {
        let (s, _) = self
            .request(Method::DELETE, &format!("/{}", encode(key)), Vec::new())
            .await;
        assert!(s.is_success(), "DELETE {key:?}: {s}");
    }

    /// Every object: key → content, as one consistent snapshot. A process killed with
    /// SIGKILL can leave a request it had sent still being served (moto finishes a DELETE
    /// whose client is gone), so a listed key may be gone by its GET: then the snapshot is
    /// taken again. A key that stays listed and unreadable fails the test.
    pub async fn objects(&self) -> BTreeMap<String, Vec<u8>> {
        let mut unreadable = String::new();
        for _ in 0..5 {
            let mut out = BTreeMap::new();
            unreadable.clear();
            for key in self.keys().await {
                match self.get(&key).await {
                    Some(data) => {
                        out.insert(key, data);
                    }
                    None => {
                        unreadable = key;
                        break;
                    }
                }
            }
            if unreadable.is_empty() {
                return out;
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        panic!("GET {unreadable:?}: listed, yet not readable in five snapshots")
    }

    /// Every key (one page of up to 1000 is enough for these tests).
    pub async fn keys(&self) -> Vec<String> {
        let (s, b) = self
            .request(Method::GET, "?list-type=2&max-keys=1000", Vec::new())
            .await;
        assert!(s.is_success(), "list: {s}");
        elements(&String::from_utf8_lossy(&b), "Key")
    }

    /// Multipart uploads created and neither completed nor aborted: `(key, upload id)`.
    pub async fn pending_uploads(&self) -> Vec<(String, String)> {
        let (s, b) = self.request(Method::GET, "?uploads", Vec::new()).await;
        assert!(s.is_success(), "list uploads: {s}");
        let text = String::from_utf8_lossy(&b);
        elements(&text, "Upload")
            .iter()
            .map(|u| {
                (
                    elements(u, "Key").remove(0),
                    elements(u, "UploadId").remove(0),
                )
            })
            .collect()
    }
}

/// What [`Hooked`] does to a GET of one object.
#[derive(Clone)]
pub enum OnGet {
    /// Before the GET is answered, the object is replaced: by the first content the first
    /// time the rule fires, the second the next time, and so on round.
    Replace(Vec<Vec<u8>>),
    /// The GET is answered with this body (status 200, a matching Content-Length): a body
    /// that ends early or runs long without any transport error.
    Body(Vec<u8>),
}

struct GetRule {
    key: String,
    /// GETs of the key let through before the rule fires, and how many it fires on.
    after: u32,
    times: u32,
    seen: u32,
    action: OnGet,
}

/// What [`Hooked`] does to listings.
#[derive(Default)]
struct Listing {
    /// `max-keys` added to every ListObjects request: listings of a few keys paginate.
    page_size: Option<u32>,
    /// Serve page N (0-based) in place of page N+1: a pagination token that repeats.
    repeat_page: Option<u32>,
    /// Repeat the last key of page N at the start of page N+1: a key listed twice.
    duplicate_after_page: Option<u32>,
    /// The next N listings asked with `start-after` lose their first key: a server whose
    /// `start-after` skips keys (SeaweedFS read it as a path and passed over directories).
    skip_after_start_after: u32,
    pages: Vec<Bytes>,
}

/// A canned answer to requests of one operation (an S3 error, a redirect).
struct Canned {
    operation: &'static str,
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Default)]
struct Rules {
    canned: Vec<Canned>,
    gets: Vec<GetRule>,
    listing: Listing,
    /// The checksum headers of every PutObject and UploadPart, with the body's own CRC32C.
    checksums: Vec<Checksummed>,
    /// `(part number, times)`: that many UploadParts of this number get one byte flipped on
    /// the way, their headers left as the client sent them.
    corrupt_part: Option<(u32, u32)>,
}

/// What one PUT or part said about its body, and what the body is.
#[derive(Debug, Clone)]
pub struct Checksummed {
    pub operation: &'static str,
    /// `x-amz-checksum-crc32c` as sent.
    pub sent: Option<String>,
    /// base64 of the big-endian CRC32C of the body as received.
    pub actual: String,
}

/// CRC32C (Castagnoli), bit by bit: small, and independent of the client's implementation.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A proxy in front of moto with [`OnGet`] rules and listing changes.
pub struct HookService {
    inner: S3Proxy,
    upstream: String,
    client: reqwest::Client,
    rules: Mutex<Rules>,
}

/// The running proxy and its bucket.
pub struct Hooked {
    pub server: Server,
    pub moto: Moto,
    service: Arc<HookService>,
}

impl Hooked {
    pub async fn start(label: &str) -> Hooked {
        Hooked::over(Moto::bucket(label).await).await
    }

    /// The proxy in front of `moto`'s bucket, wherever it is served.
    pub async fn over(moto: Moto) -> Hooked {
        let client = reqwest::Client::new();
        let service = Arc::new(HookService {
            inner: S3Proxy::new(&moto.endpoint, client.clone()),
            upstream: moto.endpoint.clone(),
            client,
            rules: Mutex::default(),
        });
        let server = Server::start(service.clone(), 0).await.expect("proxy");
        Hooked {
            server,
            moto,
            service,
        }
    }

    /// `[remotes.NAME]` for this proxy.
    pub fn remote_toml(&self, name: &str) -> String {
        format!(
            "[remotes.{name}]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"test\"\nsecret_access_key = \"testsecret\"\n",
            self.server.base_url()
        )
    }

    /// `NAME:bucket/path`.
    pub fn at(&self, name: &str, path: &str) -> String {
        if path.is_empty() {
            format!("{name}:{}", self.moto.bucket)
        } else {
            format!("{name}:{}/{path}", self.moto.bucket)
        }
    }

    fn rules(&self) -> std::sync::MutexGuard<'_, Rules> {
        self.service.rules.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// On GETs of `key` after the first `after`, `times` of them: `action`.
    pub fn on_get(&self, key: &str, after: u32, times: u32, action: OnGet) {
        self.rules().gets.push(GetRule {
            key: key.to_string(),
            after,
            times,
            seen: 0,
            action,
        });
    }

    /// Every request of `operation` is answered with this status, headers and body.
    pub fn answer(
        &self,
        operation: &'static str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) {
        self.rules().canned.push(Canned {
            operation,
            status: StatusCode::from_u16(status).expect("status"),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
        });
    }

    pub fn page_size(&self, n: u32) {
        self.rules().listing.page_size = Some(n);
    }

    pub fn repeat_page(&self, n: u32) {
        self.rules().listing.repeat_page = Some(n);
    }

    /// The next `times` listings asked with `start-after` answer without their first key.
    pub fn skip_first_key_after_start_after(&self, times: u32) {
        self.rules().listing.skip_after_start_after = times;
    }

    pub fn duplicate_after_page(&self, n: u32) {
        self.rules().listing.duplicate_after_page = Some(n);
    }

    /// `(method, operation, target)` of every request so far.
    pub fn log(&self) -> Vec<(String, &'static str, String)> {
        self.server
            .monitor()
            .log()
            .into_iter()
            .map(|e| (e.method, e.operation, e.target))
            .collect()
    }

    pub fn count(&self, operation: &str) -> u64 {
        self.server.monitor().count(operation)
    }

    /// The next `times` UploadParts numbered `part` reach the server with one byte changed.
    pub fn corrupt_part(&self, part: u32, times: u32) {
        self.rules().corrupt_part = Some((part, times));
    }

    /// Checksums of every PutObject and UploadPart so far.
    pub fn checksums(&self) -> Vec<Checksummed> {
        self.rules().checksums.clone()
    }
}

impl HookService {
    fn rules(&self) -> std::sync::MutexGuard<'_, Rules> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The rule's action for a GET of `path` (`/bucket/key`), if one fires.
    fn get_action(&self, path: &str) -> Option<OnGet> {
        let mut rules = self.rules();
        let rule = rules.gets.iter_mut().find(|r| {
            path.split_once('/')
                .and_then(|(_, rest)| rest.split_once('/'))
                .is_some_and(|(_, key)| percent_decode(key) == r.key)
                && r.seen < r.after + r.times
        })?;
        rule.seen += 1;
        if rule.seen <= rule.after {
            return None;
        }
        let n = (rule.seen - rule.after - 1) as usize;
        Some(match &rule.action {
            OnGet::Replace(versions) => OnGet::Replace(vec![versions[n % versions.len()].clone()]),
            other => other.clone(),
        })
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn respond(status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Body::new(Bytes::from(body)));
    *r.status_mut() = status;
    r
}

impl HookService {
    /// Forwards a PUT, recording its checksum header against its body's CRC32C.
    async fn put(
        &self,
        operation: &'static str,
        target: &str,
        request: Request<RequestBody>,
    ) -> Response<Body> {
        use base64::Engine;
        let (parts, body) = request.into_parts();
        let Ok(body) = body.bytes().await else {
            return respond(StatusCode::BAD_REQUEST, b"body".to_vec());
        };
        let sent = parts
            .headers
            .get("x-amz-checksum-crc32c")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let actual = base64::engine::general_purpose::STANDARD.encode(crc32c(&body).to_be_bytes());
        let body = {
            let mut rules = self.rules();
            rules.checksums.push(Checksummed {
                operation,
                sent,
                actual,
            });
            let number = target
                .split(['?', '&'])
                .find_map(|p| p.strip_prefix("partNumber="))
                .and_then(|n| n.parse::<u32>().ok());
            match &mut rules.corrupt_part {
                Some((part, times)) if *times > 0 && number == Some(*part) && !body.is_empty() => {
                    *times -= 1;
                    let mut changed = body.to_vec();
                    changed[body.len() / 2] ^= 0x01;
                    Bytes::from(changed)
                }
                _ => body,
            }
        };
        let mut forward = self
            .client
            .put(format!("{}{target}", self.upstream))
            .body(body);
        for (name, value) in &parts.headers {
            if !matches!(
                name.as_str(),
                "host" | "content-length" | "transfer-encoding" | "connection" | "expect"
            ) {
                forward = forward.header(name, value);
            }
        }
        let resp = match forward.send().await {
            Ok(r) => r,
            Err(e) => return respond(StatusCode::BAD_GATEWAY, e.to_string().into_bytes()),
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let mut out = respond(status, resp.bytes().await.unwrap_or_default().to_vec());
        for (name, value) in &headers {
            if name != http::header::CONTENT_LENGTH && name != http::header::TRANSFER_ENCODING {
                out.headers_mut().insert(name, value.clone());
            }
        }
        out
    }
}

impl Service for HookService {
    fn operation(&self, method: &Method, target: &str) -> &'static str {
        s3_operation(method, target)
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let method = request.method().clone();
        let target = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let operation = s3_operation(&method, &target);
        let path = target.split('?').next().unwrap_or("/").to_string();
        if let Some(c) = self
            .rules()
            .canned
            .iter()
            .find(|c| c.operation == operation)
        {
            let mut r = respond(c.status, c.body.clone().into_bytes());
            for (k, v) in &c.headers {
                r.headers_mut().insert(
                    http::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                    v.parse().expect("header value"),
                );
            }
            return r;
        }
        if operation == "GetObject"
            && let Some(action) = self.get_action(&path)
        {
            match action {
                OnGet::Replace(mut versions) => {
                    let data = versions.remove(0);
                    let r = self
                        .client
                        .put(format!("{}{path}", self.upstream))
                        .header("authorization", AUTH)
                        .body(data)
                        .send()
                        .await
                        .expect("replace upstream");
                    assert!(r.status().is_success(), "replace: {}", r.status());
                }
                OnGet::Body(data) => return respond(StatusCode::OK, data),
            }
        }
        if matches!(operation, "PutObject" | "UploadPart") {
            return self.put(operation, &target, request).await;
        }
        if operation != "ListObjects" {
            return self.inner.call(request).await;
        }
        // Listings: paged, and perhaps served wrong.
        let (page_size, repeat, duplicate, index) = {
            let rules = self.rules();
            let l = &rules.listing;
            (
                l.page_size,
                l.repeat_page,
                l.duplicate_after_page,
                l.pages.len() as u32,
            )
        };
        // Forwarded here rather than by the inner proxy: the page is read and maybe changed.
        let target = match page_size {
            Some(n) if !target.contains("max-keys") => format!("{target}&max-keys={n}"),
            _ => target,
        };
        let mut forward = self.client.get(format!("{}{target}", self.upstream));
        for (name, value) in request.headers() {
            if name != http::header::HOST && name != http::header::CONTENT_LENGTH {
                forward = forward.header(name, value);
            }
        }
        let resp = match forward.send().await {
            Ok(r) => r,
            Err(e) => return respond(StatusCode::BAD_GATEWAY, e.to_string().into_bytes()),
        };
        let status = resp.status();
        let content_type = resp.headers().get(http::header::CONTENT_TYPE).cloned();
        let mut page = resp.bytes().await.unwrap_or_default();
        if status.is_success() && !target.contains("uploads") {
            let mut rules = self.rules();
            if let Some(r) = repeat
                && index == r + 1
            {
                page = rules.listing.pages[r as usize].clone();
            }
            if let Some(d) = duplicate
                && index == d + 1
            {
                let previous =
                    String::from_utf8_lossy(&rules.listing.pages[d as usize]).into_owned();
                let text = String::from_utf8_lossy(&page).into_owned();
                let last = previous
                    .rfind("<Contents>")
                    .zip(previous.rfind("</Contents>"));
                if let (Some((s, e)), Some(at)) = (last, text.find("<Contents>")) {
                    // The previous page's last key again, first on this page.
                    let repeated = &previous[s..e + "</Contents>".len()];
                    page = Bytes::from(format!("{}{repeated}{}", &text[..at], &text[at..]));
                }
            }
            if rules.listing.skip_after_start_after > 0 && target.contains("start-after=") {
                let text = String::from_utf8_lossy(&page).into_owned();
                if let (Some(s), Some(e)) = (text.find("<Contents>"), text.find("</Contents>")) {
                    rules.listing.skip_after_start_after -= 1;
                    page = Bytes::from(format!(
                        "{}{}",
                        &text[..s],
                        &text[e + "</Contents>".len()..]
                    ));
                }
            }
            rules.listing.pages.push(page.clone());
        }
        let mut out = respond(status, page.to_vec());
        if let Some(ct) = content_type {
            out.headers_mut().insert(http::header::CONTENT_TYPE, ct);
        }
        out
    }
}
