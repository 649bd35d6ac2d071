//! The one check every configured OCI service URL goes through: https, or plain http only to
//! loopback — signed requests and secrets must not cross a network unencrypted, but test
//! servers listen on 127.0.0.1 — and never credentials in the URL.
//! (The same rule as ocisync's `ocisync_backend::endpoint`, kept here so this crate stands alone.)

/// Why an endpoint URL was refused. Converts into a `String` for option errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {reason}")]
pub struct EndpointUrlError {
    url: String,
    reason: &'static str,
}

impl From<EndpointUrlError> for String {
    fn from(e: EndpointUrlError) -> Self {
        e.to_string()
    }
}

/// Accepts `https://` URLs, and plain `http://` only to loopback hosts (127.0.0.0/8, ::1,
/// localhost): signed requests and secrets must not cross a network unencrypted, but test
/// servers listen on 127.0.0.1.
pub fn check_endpoint_url(url: &str) -> std::result::Result<(), EndpointUrlError> {
    let refuse = |reason| {
        Err(EndpointUrlError {
            url: url.to_string(),
            reason,
        })
    };
    let Ok(parsed) = url::Url::parse(url) else {
        return refuse("not a valid URL");
    };
    let Some(host) = parsed.host() else {
        return refuse("the URL has no host");
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // Name the URL without the credentials: they must not reach a log.
        let mut shown = parsed.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(EndpointUrlError {
            url: shown.to_string(),
            reason: "credentials do not belong in the endpoint URL",
        });
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&host) => Ok(()),
        "http" => refuse(
            "plain http is only allowed to loopback hosts (127.0.0.0/8, ::1, localhost); use https",
        ),
        _ => refuse("the endpoint must be an https:// URL"),
    }
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
    }
}
