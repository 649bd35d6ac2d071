//! `type = "webdav"`: WebDAV servers (Nextcloud, ownCloud, `rclone serve webdav`, Apache,
//! nginx...) on OpenDAL's `webdav` service, under rclone's keys. `NAME:path` is a directory
//! under `url`.
//!
//! `pass` is rclone-obscured, as in every rclone.conf (`rclone obscure`); from a
//! `credentials = "NAME"` provider, `pass` and `bearer_token` are the plain values. `url` passes
//! the one endpoint check: https, plain http only to loopback (rclone would send the password
//! over plain http anywhere).
//!
//! What the engine may rely on: listings (PROPFIND) give sizes and the server's modification
//! time, never a hash, and OpenDAL's service cannot send rclone's `X-OC-Mtime`, so a copy's time
//! is the upload time. Times are therefore not compared (rclone's `ModTimeNotSupported`, as
//! rclone does for `vendor = other`): `sync` compares sizes, and `--checksum` falls back to sizes.

use async_trait::async_trait;
use ocisync_backend::backend::with_standard_layers;
use ocisync_backend::endpoint::check_endpoint_url;
use ocisync_backend::keys::{DotSegments, KeyRules};
use ocisync_backend::{
    Backend, BackendSpec, ConfigValues, Error, ErrorKind, Features, HashSource, ModtimeSource,
    OpenContext, OptionError, Remote, Result, Secret, SetModtime,
};

pub use ocisync_backend::MODTIME_NOT_SUPPORTED;

ocisync_backend::declare_options! {
    /// Options of `type = "webdav"` (rclone's names and meanings).
    pub struct WebdavOptions {
        /// URL of the WebDAV server, e.g. https://example.com/remote.php/dav/files/USER. Plain
        /// http only for loopback addresses.
        url: String;
        /// The server: nextcloud, owncloud, infinitescale, fastmail, rclone, other. sharepoint
        /// and sharepoint-ntlm are not supported.
        vendor: Option<String>;
        /// User name.
        user: Option<String>;
        /// Password, obscured as rclone obscures it (`rclone obscure PASSWORD`).
        pass: Option<Secret>;
        /// Bearer token instead of user/pass (e.g. a Macaroon).
        bearer_token: Option<Secret>;
        /// Command to run to get a bearer token. Not supported by ocisync: set bearer_token (or
        /// have a credentials provider supply it).
        bearer_token_command: Option<String>, advanced;
        /// Extra HTTP headers for all requests. Not supported by ocisync.
        headers: Option<Vec<String>>, advanced;
        /// Nextcloud chunked-upload size (accepted for rclone; ocisync uploads in one request).
        nextcloud_chunk_size: Option<ocisync_backend::Size>, advanced;
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
    }
}

pub static SPEC: BackendSpec = BackendSpec {
    name: "webdav",
    prefix: "webdav",
    description: "WebDAV (Nextcloud, ownCloud, rclone serve webdav, other servers).",
    options: WebdavOptions::SPECS,
    open_options: false,
    credential_keys: &["pass", "bearer_token"],
};

const VENDORS: &[&str] = &[
    "nextcloud",
    "owncloud",
    "infinitescale",
    "fastmail",
    "rclone",
    "other",
];

pub struct WebdavBackend;

/// Registered in ocisync's backend list.
pub static BACKEND: WebdavBackend = WebdavBackend;

fn refused(o: &WebdavOptions) -> Option<(&'static str, String)> {
    if let Some(v) = o.vendor.as_deref().filter(|v| !v.is_empty())
        && !VENDORS.contains(&v)
    {
        let why = if v.starts_with("sharepoint") {
            format!("{v:?} is not supported by ocisync (SharePoint's cookie and NTLM logins)")
        } else {
            format!("unknown vendor {v:?} (known: {})", VENDORS.join(", "))
        };
        return Some(("vendor", why));
    }
    if o.bearer_token_command
        .as_deref()
        .is_some_and(|c| !c.is_empty())
    {
        return Some((
            "bearer_token_command",
            "not supported by ocisync: set bearer_token (or credentials = \"NAME\" for a \
             provider that supplies it)"
                .into(),
        ));
    }
    if o.headers.as_ref().is_some_and(|h| !h.is_empty()) {
        return Some((
            "headers",
            "extra headers are not supported by ocisync's webdav backend".into(),
        ));
    }
    None
}

#[async_trait]
impl Backend for WebdavBackend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    fn validate(&self, values: &ConfigValues) -> Vec<OptionError> {
        let Ok(o) = WebdavOptions::from_values(values) else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        if let Some((k, m)) = refused(&o) {
            problems.push(OptionError::invalid(k, m));
        }
        if let Err(m) = check_endpoint_url(o.url.trim()) {
            problems.push(OptionError::invalid("url", m));
        }
        if let Some(p) = &o.pass
            && let Err(e) = ocisync_obscure::reveal(p.expose())
        {
            problems.push(OptionError::invalid("pass", e.to_string()));
        }
        if o.bearer_token.is_some() && (o.user.is_some() || o.pass.is_some()) {
            problems.push(OptionError::invalid(
                "bearer_token",
                "bearer_token and user/pass both say how to log in; keep one",
            ));
        }
        problems
    }

    fn ignored(&self, values: &ConfigValues) -> Vec<(&'static str, String)> {
        match WebdavOptions::from_values(values) {
            Ok(o) if o.nextcloud_chunk_size.is_some() => vec![(
                "nextcloud_chunk_size",
                "ocisync uploads each file in one request".into(),
            )],
            _ => Vec::new(),
        }
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        let o = WebdavOptions::from_values(ctx.values)
            .map_err(|e| Error::config(e.to_string()).with_remote(ctx.name))?;
        if let Some((k, m)) = refused(&o) {
            return Err(Error::config(format!("{k}: {m}")).with_remote(ctx.name));
        }
        let url = o.url.trim().trim_end_matches('/').to_string();
        check_endpoint_url(&url)
            .map_err(|m| Error::config(format!("url: {m}")).with_remote(ctx.name))?;
        let mut pass = match &o.pass {
            Some(p) => Some(
                ocisync_obscure::reveal(p.expose())
                    .map_err(|e| Error::config(format!("pass: {e}")).with_remote(ctx.name))?,
            ),
            None => None,
        };
        let mut bearer = o.bearer_token.clone();
        if let Some(c) = &ctx.credentials {
            let got = c.get().await.map_err(|e| e.with_remote(ctx.name))?;
            // A provider's values are the secrets themselves, not obscured.
            pass = got.get("pass").cloned().or(pass);
            bearer = got.get("bearer_token").cloned().or(bearer);
            if pass.is_none() && bearer.is_none() {
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!(
                        "credentials {:?} supplied neither pass nor bearer_token",
                        c.name()
                    ),
                )
                .with_remote(ctx.name));
            }
        }
        let root = format!("/{}", ctx.path.trim_matches('/'));
        let mut b = opendal::services::Webdav::default()
            .endpoint(&url)
            .root(&root);
        if let Some(t) = &bearer {
            b = b.token(t.expose());
        } else {
            if let Some(u) = o.user.as_deref().filter(|u| !u.is_empty()) {
                b = b.username(u);
            }
            if let Some(p) = &pass {
                b = b.password(p.expose());
            }
        }
        let op = opendal::Operator::new(b).map_err(|e| Error::from(e).with_remote(ctx.name))?;
        let features = Features {
            listing_md5: HashSource::None,
            md5_in_metadata: false,
            md5_by_reading: false,
            modtime: ModtimeSource::Native,
            set_modtime: SetModtime::No,
            writes_metadata: false,
            modtime_precision: MODTIME_NOT_SUPPORTED,
            write_chunk: None,
            write_concurrency: 1,
            sorted_listing: false,
            keys: KeyRules {
                max_key_bytes: None,
                max_segment_bytes: None,
                // Paths travel in URLs: '.' and '..' segments are resolved away.
                dot_segments: DotSegments::Refused,
                forbidden: &['\0'],
                prefix_bytes: 0,
                service: "WebDAV",
            },
            location: Some(location(&url, ctx.path)),
            ..Features::default()
        };
        Ok(Remote {
            name: ctx.name.to_string(),
            root: ctx.path.to_string(),
            op: with_standard_layers(op, ctx.global),
            features,
            modtime_setter: None,
            root_exists: None,
        })
    }
}

/// Where a remote's root is, for the overlap check: the URL and the directory under it.
fn location(url: &str, path: &str) -> String {
    let dir = path.trim_matches('/');
    if dir.is_empty() {
        format!("webdav:{}/", url.to_ascii_lowercase())
    } else {
        format!("webdav:{}/{dir}/", url.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocisync_backend::RawValue;

    fn values(pairs: &[(&str, &str)]) -> ConfigValues {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), RawValue::String(v.to_string())))
            .collect()
    }

    #[test]
    fn plain_passwords_are_refused_without_echo() {
        let p = BACKEND.validate(&values(&[
            ("url", "https://dav.example.com"),
            ("pass", "hunter2!"),
        ]));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].key(), "pass");
        assert!(!p[0].to_string().contains("hunter2"), "{}", p[0]);
        let ok = ocisync_obscure::obscure("hunter2!");
        assert!(
            BACKEND
                .validate(&values(&[
                    ("url", "https://dav.example.com"),
                    ("pass", &ok)
                ]))
                .is_empty()
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(
            BACKEND
                .validate(&values(&[("url", "http://127.0.0.1:8080/dav")]))
                .is_empty()
        );
        let p = BACKEND.validate(&values(&[("url", "http://dav.example.com")]));
        assert_eq!(p[0].key(), "url");
    }

    #[test]
    fn sharepoint_and_token_commands_are_refused_by_name() {
        for (k, v) in [
            ("vendor", "sharepoint"),
            ("bearer_token_command", "get-token"),
            ("headers", "Cookie,a=b"),
        ] {
            let p = BACKEND.validate(&values(&[("url", "https://d.example"), (k, v)]));
            assert_eq!(p.len(), 1, "{k}: {p:?}");
            assert_eq!(p[0].key(), k);
        }
    }
}
