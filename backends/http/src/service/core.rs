//! What every request of the service shares: the remote's directory URL, how a path becomes a
//! URL (rclone's escaping, or none with `no_escape`), the extra headers, HEAD and GET through
//! the process's transport (no redirects, no proxy for loopback), metadata from response
//! headers, and errors that name the URL and the status — never a header value.

use std::time::Duration;

use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use opendal::raw::*;
use opendal::{
    Buffer, BytesRange, Error, ErrorKind, HttpBody, Metadata, MetadataBuilder, OperationContext,
    Result,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// Bytes escaped in paths: everything but RFC 3986's unreserved characters and `/` (rclone's
/// `URLPathEscapeAll`), so `#`, `?`, `%`, `+`, spaces and non-ASCII reach the server as names.
pub const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// The most an index page may hold (a directory of ~100,000 entries); past it the listing
/// fails rather than hold an unbounded page in memory.
pub const MAX_INDEX_BYTES: usize = 32 << 20;

/// How a core is set up (from the backend's options).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The remote's root directory as a URL ending in `/`.
    pub base: Url,
    pub headers: HeaderMap,
    pub no_slash: bool,
    pub no_escape: bool,
    /// HEADs in flight while listing one directory.
    pub head_concurrency: usize,
    /// Attempts per request inside a listing (OpenDAL's retry layer cannot retry a listing's
    /// inner requests without losing its place).
    pub attempts: usize,
}

pub struct HttpCore {
    pub cfg: HttpConfig,
}

impl std::fmt::Debug for HttpCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values may be secrets: names only.
        f.debug_struct("HttpCore")
            .field("base", &self.cfg.base.as_str())
            .field("headers", &self.cfg.headers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl HttpCore {
    /// The URL of `path` (relative to the root; `""` or `/` is the root directory).
    pub fn url(&self, path: &str) -> String {
        let rel = path.trim_start_matches('/');
        if self.cfg.no_escape {
            format!("{}{rel}", self.cfg.base)
        } else {
            format!("{}{}", self.cfg.base, utf8_percent_encode(rel, ESCAPED))
        }
    }

    fn request(&self, method: Method, url: &str) -> Result<Request<Buffer>> {
        let mut req = Request::builder().method(method).uri(url);
        if let Some(h) = req.headers_mut() {
            h.extend(self.cfg.headers.clone());
        }
        req.body(Buffer::new()).map_err(|e| {
            Error::new(
                ErrorKind::Unexpected,
                format!("{url}: not a valid request URL (no_escape sends names as they are)"),
            )
            .set_source(e)
        })
    }

    /// A HEAD of `path`; the answer whatever its status.
    pub async fn head(&self, ctx: &OperationContext, path: &str) -> Result<Response<Buffer>> {
        let url = self.url(path);
        let req = self.request(Method::HEAD, &url)?;
        ctx.http_transport().send(req).await
    }

    /// A GET of `path` (a range of it unless `range` is full), streamed.
    pub async fn get(
        &self,
        ctx: &OperationContext,
        path: &str,
        range: BytesRange,
    ) -> Result<Response<HttpBody>> {
        let url = self.url(path);
        let mut req = self.request(Method::GET, &url)?;
        if !range.is_full() {
            req.headers_mut().insert(
                header::RANGE,
                range.to_header().parse().map_err(|_| {
                    Error::new(ErrorKind::Unexpected, "range header could not be built")
                })?,
            );
        }
        ctx.http_transport().fetch(req).await
    }

    /// `f` again while it fails with a temporary error, up to the configured attempts, with
    /// exponential backoff (for requests made inside a listing).
    pub async fn retried<T, F, Fut>(&self, mut f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut delay = Duration::from_millis(100);
        let mut attempt = 1;
        loop {
            match f().await {
                Err(e) if e.is_temporary() && attempt < self.cfg.attempts => {
                    tracing::debug!("http: {e}; retrying in {delay:?}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                    attempt += 1;
                }
                Err(e) if e.is_temporary() => return Err(e.set_persistent()),
                other => return other,
            }
        }
    }
}

/// An error for a response of status `status` to `what` (`HEAD URL`).
pub fn status_error(what: &str, status: StatusCode) -> Error {
    let (kind, temporary) = match status {
        StatusCode::NOT_FOUND => (ErrorKind::NotFound, false),
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => (ErrorKind::PermissionDenied, false),
        StatusCode::RANGE_NOT_SATISFIABLE => (ErrorKind::RangeNotSatisfied, false),
        StatusCode::PRECONDITION_FAILED | StatusCode::NOT_MODIFIED => {
            (ErrorKind::ConditionNotMatch, false)
        }
        s if s == StatusCode::TOO_MANY_REQUESTS
            || s == StatusCode::REQUEST_TIMEOUT
            || s.is_server_error() =>
        {
            (ErrorKind::Unexpected, true)
        }
        _ => (ErrorKind::Unexpected, false),
    };
    let err = Error::new(kind, format!("{what}: HTTP {status}"));
    if temporary { err.set_temporary() } else { err }
}

/// The size a response announces: the total of `Content-Range`, else `Content-Length`.
pub fn size(headers: &HeaderMap) -> Option<u64> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(total) = text(header::CONTENT_RANGE)
        .and_then(|r| r.rsplit_once('/'))
        .and_then(|(_, t)| t.trim().parse().ok())
    {
        return Some(total);
    }
    text(header::CONTENT_LENGTH).and_then(|l| l.trim().parse().ok())
}

/// The media type of `Content-Type`, lower-cased, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let t = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    (!t.is_empty()).then_some(t)
}

/// A file's metadata from the headers of a HEAD (or GET) of `url`: its size (required: the
/// engine compares sizes), `Last-Modified` (left out when unreadable, as rclone does), type
/// and ETag.
pub fn file_metadata(url: &str, headers: &HeaderMap) -> Result<Metadata> {
    let len = size(headers).ok_or_else(|| {
        Error::new(
            ErrorKind::Unexpected,
            format!(
                "HEAD {url}: the server gives no Content-Length, so the file's size is unknown \
                 (ocisync compares sizes)"
            ),
        )
    })?;
    let mut m = MetadataBuilder::file(len);
    if let Some(t) = headers
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Timestamp::parse_rfc2822(v.trim()).ok())
    {
        m.last_modified(t);
    }
    if let Some(t) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        m.content_type(t);
    }
    if let Some(e) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) {
        m.etag(e);
    }
    Ok(m.build())
}

/// A directory's metadata.
pub fn dir_metadata() -> Metadata {
    MetadataBuilder::dir().build()
}

/// Whether a redirect answer points at the same URL with a `/` added (a server's way of
/// saying that a link without one is a directory: nginx, Apache, `python -m http.server`).
pub fn redirects_to_dir(url: &str, headers: &HeaderMap) -> bool {
    let Some(loc) = headers.get(header::LOCATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Ok(from) = Url::parse(url) else {
        return false;
    };
    from.join(loc)
        .is_ok_and(|to| to.as_str() == format!("{}/", from.as_str().trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(base: &str, no_escape: bool) -> HttpCore {
        HttpCore {
            cfg: HttpConfig {
                base: Url::parse(base).unwrap(),
                headers: HeaderMap::new(),
                no_slash: false,
                no_escape,
                head_concurrency: 1,
                attempts: 1,
            },
        }
    }

    #[test]
    fn names_are_escaped_as_rclone_escapes_them() {
        let c = core("http://127.0.0.1:1/pub/", false);
        assert_eq!(
            c.url("a b/hash#q?.txt"),
            "http://127.0.0.1:1/pub/a%20b/hash%23q%3F.txt"
        );
        assert_eq!(
            c.url("percent%20+é~"),
            "http://127.0.0.1:1/pub/percent%2520%2B%C3%A9~"
        );
        assert_eq!(c.url("/"), "http://127.0.0.1:1/pub/");
        assert_eq!(c.url("d/"), "http://127.0.0.1:1/pub/d/");
        let raw = core("http://127.0.0.1:1/", true);
        assert_eq!(raw.url("a%20b+c"), "http://127.0.0.1:1/a%20b+c");
    }

    #[test]
    fn sizes_and_redirects_from_headers() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, "10".parse().unwrap());
        assert_eq!(size(&h), Some(10));
        h.insert(header::CONTENT_RANGE, "bytes 0-9/1234".parse().unwrap());
        assert_eq!(size(&h), Some(1234));
        let mut r = HeaderMap::new();
        r.insert(header::LOCATION, "/d/sub/".parse().unwrap());
        assert!(redirects_to_dir("http://h/d/sub", &r));
        assert!(!redirects_to_dir("http://h/d/other", &r));
        r.insert(header::LOCATION, "http://elsewhere/d/sub/".parse().unwrap());
        assert!(!redirects_to_dir("http://h/d/sub", &r));
    }
}
