//! rclone's `sas_url`: the service URL, maybe a container, and the SAS token (the query) —
//! split for OpenDAL, which takes the endpoint, container and token apart. The token is a
//! secret: it never appears in an error.

use ocisync_backend::Secret;
use ocisync_backend::endpoint::check_endpoint_url;

pub struct SasUrl {
    /// `https://account.blob.core.windows.net`, or `http://127.0.0.1:10000/devstoreaccount1`
    /// for an emulator (path-style: the account is the first path segment).
    pub endpoint: String,
    /// The container a container-level SAS is for.
    pub container: Option<String>,
    pub token: Secret,
}

impl SasUrl {
    pub fn parse(text: &str) -> Result<SasUrl, String> {
        let url = url::Url::parse(text.trim())
            .map_err(|_| "not a URL (https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=...)")?;
        let token = url.query().unwrap_or_default();
        if token.is_empty() {
            return Err("the URL has no SAS token (the part after '?')".into());
        }
        let mut shown = url.clone();
        shown.set_query(None);
        check_endpoint_url(shown.as_str()).map_err(String::from)?;
        let host = url.host_str().unwrap_or_default();
        let mut segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).collect())
            .unwrap_or_default();
        // Emulators and IP endpoints are path-style: /ACCOUNT/CONTAINER.
        let path_style = host == "localhost"
            || host.parse::<std::net::IpAddr>().is_ok()
            || url.host_str().is_some_and(|h| h.starts_with('['));
        let mut base = format!("{}://{}", url.scheme(), host);
        if let Some(port) = url.port() {
            base.push_str(&format!(":{port}"));
        }
        if path_style && !segments.is_empty() {
            base.push('/');
            base.push_str(segments.remove(0));
        }
        Ok(SasUrl {
            endpoint: base,
            container: segments.first().map(|c| c.to_string()),
            token: Secret::new(token),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_account_and_container_sas() {
        let s =
            SasUrl::parse("https://acct.blob.core.windows.net/reports?sv=2022&sig=SECRET").unwrap();
        assert_eq!(s.endpoint, "https://acct.blob.core.windows.net");
        assert_eq!(s.container.as_deref(), Some("reports"));
        assert_eq!(s.token.expose(), "sv=2022&sig=SECRET");
        let a = SasUrl::parse("https://acct.blob.core.windows.net/?sv=1&sig=S").unwrap();
        assert_eq!(a.container, None);
        let e = SasUrl::parse("http://127.0.0.1:10000/devstoreaccount1/c?sv=1&sig=S").unwrap();
        assert_eq!(e.endpoint, "http://127.0.0.1:10000/devstoreaccount1");
        assert_eq!(e.container.as_deref(), Some("c"));
    }

    #[test]
    fn refusals_never_show_the_token() {
        for bad in [
            "https://acct.blob.core.windows.net/c",
            "http://192.0.2.1/c?sig=SECRET",
            "not a url sig=SECRET",
        ] {
            let e = SasUrl::parse(bad).err().unwrap();
            assert!(!e.contains("SECRET"), "{e}");
        }
    }
}
