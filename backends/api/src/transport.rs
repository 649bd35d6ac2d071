//! The HTTP client every OpenDAL service in ocisync uses: reqwest with rustls, pooled
//! keep-alive connections, ocisync's user agent — and a pause on `429`/`503` answers for as long
//! as the server's `Retry-After` asks (capped), so the retry layer's next attempt respects it.
//! OpenDAL's retry layer has no hook for the hint; the transport is where the response is seen.

use std::time::Duration;

use opendal::{Buffer, HttpBody, HttpTransport, HttpTransporter};
use opendal_http_transport_reqwest::ReqwestTransport;

/// Longest pause a `Retry-After` may impose on one request.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

struct Transport {
    inner: ReqwestTransport,
}

impl HttpTransport for Transport {
    async fn fetch(&self, req: http::Request<Buffer>) -> opendal::Result<http::Response<HttpBody>> {
        let resp = self.inner.fetch(req).await?;
        if matches!(resp.status().as_u16(), 429 | 503)
            && let Some(wait) = retry_after(resp.headers())
        {
            tracing::debug!("server asked to retry after {wait:?} ({})", resp.status());
            tokio::time::sleep(wait.min(MAX_RETRY_AFTER)).await;
        }
        Ok(resp)
    }
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
    let client = reqwest::Client::builder()
        .user_agent(concat!("ocisync/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(15))
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .build();
    match client {
        Ok(c) => HttpTransporter::install_default(Transport {
            inner: ReqwestTransport::new(c),
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
}
