//! The one check every configured service URL goes through (endpoints, webhooks): https, or
//! plain http only to loopback — signed requests, secrets and reports must not cross a network
//! unencrypted, but test servers listen on 127.0.0.1 — and never credentials in the URL.

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

/// `endpoint` as a URL: a value without a scheme (`minio.example.com:9000`, accepted by rclone
/// and OpenDAL) means https.
pub fn with_scheme(endpoint: &str) -> String {
    let e = endpoint.trim();
    if e.contains("://") {
        e.to_string()
    } else {
        format!("https://{e}")
    }
}

/// The variables AWS tools read an S3 endpoint from, in the order OpenDAL's S3 service reads
/// them.
pub const AWS_ENDPOINT_VARIABLES: &[&str] =
    &["AWS_ENDPOINT_URL", "AWS_ENDPOINT", "AWS_S3_ENDPOINT"];

/// The S3 endpoint the environment names, as `(variable, url)`, after the same check as a
/// configured one: an environment variable must not be a way around it. Blank counts as unset.
pub fn aws_env_endpoint() -> std::result::Result<Option<(&'static str, String)>, EndpointUrlError> {
    aws_env_endpoint_from(|name| std::env::var(name).ok())
}

fn aws_env_endpoint_from(
    env: impl Fn(&str) -> Option<String>,
) -> std::result::Result<Option<(&'static str, String)>, EndpointUrlError> {
    for variable in AWS_ENDPOINT_VARIABLES {
        let Some(value) = env(variable).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let url = with_scheme(&value);
        return match check_endpoint_url(&url) {
            Ok(()) => Ok(Some((variable, url.trim_end_matches('/').to_string()))),
            Err(e) => Err(EndpointUrlError {
                url: format!("{variable}={}", e.url),
                reason: e.reason,
            }),
        };
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_loopback() {
        for ok in [
            "https://s3.us-east-2.amazonaws.com",
            "http://127.0.0.1:9000",
            "http://127.8.9.10:9000/",
            "http://localhost:9000/",
            "http://[::1]:9000",
        ] {
            assert_eq!(check_endpoint_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://10.0.0.5:9000",
            "http://minio.internal",
            "http://localhost.evil.test",
            "ftp://x",
            "not a url",
        ] {
            assert!(check_endpoint_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn userinfo_is_refused_and_never_echoed() {
        // The finding: a hand-split authority took the host before `@` for the host.
        for bad in [
            "http://127.0.0.1:1@192.0.2.10/",
            "http://localhost@192.0.2.10/",
            "https://AKIAUSER:S3CRET@s3.amazonaws.com/",
        ] {
            let e = check_endpoint_url(bad).expect_err(bad);
            let shown = e.to_string();
            assert!(shown.contains("credentials do not belong"), "{shown}");
            assert!(
                !shown.contains("S3CRET") && !shown.contains("AKIAUSER"),
                "{shown}"
            );
        }
        assert!(check_endpoint_url(&with_scheme("127.0.0.1:1@192.0.2.10")).is_err());
    }

    #[test]
    fn environment_endpoints_pass_the_same_check() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(aws_env_endpoint_from(env(&[])), Ok(None));
        assert_eq!(
            aws_env_endpoint_from(env(&[("AWS_S3_ENDPOINT", "http://127.0.0.1:9000/")])),
            Ok(Some((
                "AWS_S3_ENDPOINT",
                "http://127.0.0.1:9000".to_string()
            )))
        );
        assert_eq!(
            aws_env_endpoint_from(env(&[
                ("AWS_ENDPOINT_URL", "s3.example.com"),
                ("AWS_ENDPOINT", "http://127.0.0.1:1")
            ])),
            Ok(Some((
                "AWS_ENDPOINT_URL",
                "https://s3.example.com".to_string()
            )))
        );
        let e = aws_env_endpoint_from(env(&[("AWS_ENDPOINT", "http://192.0.2.10:9000")]))
            .expect_err("plain http off loopback");
        assert!(
            e.to_string().starts_with("AWS_ENDPOINT=http://192.0.2.10"),
            "{e}"
        );
    }
}
