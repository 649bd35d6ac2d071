//! The HTTP client every OpenDAL service in ocisync uses: reqwest with rustls, pooled
//! keep-alive connections, ocisync's user agent — and a pause on `429`/`503` answers for as long
//! as the server's `Retry-After` asks (capped), so the retry layer's next attempt respects it.
//! OpenDAL's retry layer has no hook for the hint; the transport is where the response is seen.
//!
//! Every HTTP client in ocisync starts from [`client_builder`]: redirects are never followed
//! (S3 and OCI never need them, and reqwest would carry `x-amz-security-token` and SSE-C key
//! headers to whatever host a redirect names, https to http included), and `HTTP(S)_PROXY`
//! never applies to loopback addresses (plain-http test and local servers must not be sent
//! through a proxy off the host). Responses other than object contents are bounded
//! ([`guard`]).

mod guard;

use std::time::Duration;

use opendal::{Buffer, HttpBody, HttpTransport, HttpTransporter};
use opendal_http_transport_reqwest::ReqwestTransport;

pub use guard::{MAX_BODY, MAX_EMPTY_PAGES};

/// Longest pause a `Retry-After` may impose on one request.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// ocisync's `User-Agent`.
pub const USER_AGENT: &str = concat!("ocisync/", env!("CARGO_PKG_VERSION"));

/// What the command line sets for every client of the process (`--ca-cert`, `--user-agent`).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Trusted CAs replacing the built-in roots (none: the built-in roots).
    pub ca_certs: Vec<reqwest::Certificate>,
    pub user_agent: Option<String>,
}

static SETTINGS: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();

/// Sets the process's client settings, before the first client is built (first call wins).
pub fn configure(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

/// Hosts no proxy is used for, whatever `NO_PROXY` says: loopback.
const LOOPBACK: &str = "127.0.0.0/8,::1,localhost";

/// A reqwest client builder with ocisync's network policy: no redirects, proxies from the
/// environment (`https_proxy`, `http_proxy`, `all_proxy`, `no_proxy`, either case) but never
/// for loopback hosts, ocisync's user agent.
pub fn client_builder() -> reqwest::ClientBuilder {
    let settings = SETTINGS.get();
    let agent = settings
        .and_then(|s| s.user_agent.clone())
        .unwrap_or_else(|| USER_AGENT.to_string());
    let mut builder = reqwest::Client::builder()
        .user_agent(agent)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if let Some(s) = settings.filter(|s| !s.ca_certs.is_empty()) {
        // As rclone's --ca-cert: these CAs instead of the built-in roots.
        builder = builder.tls_certs_only(s.ca_certs.clone());
    }
    for proxy in env_proxies(|name| std::env::var(name).ok()) {
        builder = builder.proxy(proxy);
    }
    builder
}

/// The environment's proxies, each excluding loopback and the `no_proxy` list.
fn env_proxies(env: impl Fn(&str) -> Option<String>) -> Vec<reqwest::Proxy> {
    let first = |names: [&str; 2]| {
        names
            .into_iter()
            .find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
    };
    let no_proxy = match first(["no_proxy", "NO_PROXY"]) {
        Some(list) => format!("{list},{LOOPBACK}"),
        None => LOOPBACK.to_string(),
    };
    let mut proxies = Vec::new();
    for (names, scheme) in [
        (["https_proxy", "HTTPS_PROXY"], "https"),
        (["http_proxy", "HTTP_PROXY"], "http"),
        (["all_proxy", "ALL_PROXY"], "all"),
    ] {
        let Some(url) = first(names) else { continue };
        let url = url.trim().to_string();
        let made = match scheme {
            "https" => reqwest::Proxy::https(url),
            "http" => reqwest::Proxy::http(url),
            _ => reqwest::Proxy::all(url),
        };
        match made {
            Ok(p) => proxies.push(p.no_proxy(reqwest::NoProxy::from_string(&no_proxy))),
            // The value may hold a proxy password: name the variable only.
            Err(_) => tracing::warn!("{} is not a proxy URL; ignored", names[1]),
        }
    }
    proxies
}

struct Transport {
    inner: ReqwestTransport,
    empty_pages: guard::EmptyPages,
}

impl HttpTransport for Transport {
    async fn fetch(&self, req: http::Request<Buffer>) -> opendal::Result<http::Response<HttpBody>> {
        let (method, uri) = (req.method().clone(), req.uri().clone());
        let resp = self
            .inner
            .fetch(req)
            .await
            .map_err(not_retried_if_connect)?;
        if matches!(resp.status().as_u16(), 429 | 503)
            && let Some(wait) = retry_after(resp.headers())
        {
            tracing::debug!("server asked to retry after {wait:?} ({})", resp.status());
            tokio::time::sleep(wait.min(MAX_RETRY_AFTER)).await;
        }
        self.bound(&method, &uri, resp).await
    }
}

impl Transport {
    /// Object contents stream as they are; every other body is capped, and S3 listing pages
    /// are checked before OpenDAL reads them.
    async fn bound(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        resp: http::Response<HttpBody>,
    ) -> opendal::Result<http::Response<HttpBody>> {
        let ok = resp.status().is_success();
        let s3_list = guard::is_s3_list(method, uri);
        let oci_list = method == http::Method::GET && uri.path().ends_with("/o");
        if ok && method == http::Method::GET && !s3_list && !oci_list {
            return Ok(resp);
        }
        let what = format!("{method} {}{}", uri.host().unwrap_or_default(), uri.path());
        let (parts, body) = resp.into_parts();
        if !(ok && s3_list) {
            let body = guard::cap(body, MAX_BODY, what);
            return Ok(http::Response::from_parts(parts, body));
        }
        let page = guard::read_capped(body, MAX_BODY, &what).await?;
        guard::check_s3_page(uri, &page.to_bytes(), &self.empty_pages).map_err(|m| {
            opendal::Error::new(opendal::ErrorKind::Unexpected, format!("{what}: {m}"))
        })?;
        let len = page.len() as u64;
        let body = HttpBody::new(futures::stream::iter([Ok(page)]), Some(len));
        Ok(http::Response::from_parts(parts, body))
    }
}

/// A connection that could not be made — a name that does not resolve, a refused port, a TLS
/// handshake that fails, a connect timeout — is not retried request by request: it says the
/// same thing ten times over half a minute. The run's own retries (`--retries`) still try
/// again; [`crate::Remote::error`] says which of these it was.
fn not_retried_if_connect(e: opendal::Error) -> opendal::Error {
    let connect = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<reqwest::Error>())
        .is_some_and(reqwest::Error::is_connect);
    if connect { e.set_permanent() } else { e }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let d = when.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(d).unwrap_or(Duration::ZERO))
}

/// Installs the process-wide transport (first install wins) and OpenDAL's service registry.
pub fn install() {
    let client = client_builder()
        .connect_timeout(Duration::from_secs(15))
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .build();
    match client {
        Ok(c) => HttpTransporter::install_default(Transport {
            inner: ReqwestTransport::new(c),
            empty_pages: guard::EmptyPages::default(),
        }),
        Err(e) => tracing::warn!("HTTP client setup failed, using OpenDAL's default: {e}"),
    }
    opendal::install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut h = http::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(http::header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            http::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after(&h),
            Some(Duration::ZERO),
            "a past date means now"
        );
        h.insert(http::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn proxies_come_from_the_environment_and_never_cover_loopback() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(env_proxies(env(&[])).is_empty());
        let proxies = env_proxies(env(&[
            ("HTTPS_PROXY", "http://127.0.0.1:3128"),
            ("http_proxy", "http://127.0.0.1:3129"),
            ("NO_PROXY", "internal.example"),
        ]));
        assert_eq!(proxies.len(), 2);
        let shown = format!("{proxies:?}");
        assert!(
            shown.contains("127.0.0.0/8") && shown.contains("internal.example"),
            "{shown}"
        );
        assert!(env_proxies(env(&[("ALL_PROXY", "::not a url::")])).is_empty());
    }
}
