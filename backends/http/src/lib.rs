//! `type = "http"`: files published by any web server with directory indexes (nginx and
//! Apache autoindex, Caddy `file_server browse`, `rclone serve http`, `python -m http.server`),
//! read-only, under rclone's keys. `NAME:path` is a directory under `url`.
//!
//! As rclone does, a directory is listed from its HTML index page (the links one level below
//! it; a trailing `/` marks a directory) and each file gets a HEAD for its size and
//! `Last-Modified`, `--checkers` at a time ([`service`]). Reads are plain GETs. Writes, deletes
//! and directory creation fail with "http remotes are read-only, as in rclone", and a `sync` or
//! `copy` to an http remote is refused before anything is listed (the operator's capability
//! says it cannot write).
//!
//! What the engine may rely on: sizes and the server's `Last-Modified` (second precision) from
//! the HEAD of every listed file; never a hash (`--checksum` compares sizes, as rclone). `url`
//! passes the one endpoint check: https, plain http only to loopback. Extra `headers` are
//! secrets to ocisync (cookies, tokens): never printed, and a `credentials = "NAME"` provider
//! may supply them.

mod headers;
pub mod html;
pub mod links;
pub mod service;

use async_trait::async_trait;
use ocisync_backend::backend::with_standard_layers;
use ocisync_backend::endpoint::check_endpoint_url;
use ocisync_backend::keys::{DotSegments, KeyRules};
use ocisync_backend::{
    Backend, BackendSpec, ConfigValues, Error, ErrorKind, Features, HashSource, ModtimeSource,
    OpenContext, OptionError, RawValue, Remote, Result, SetModtime,
};

ocisync_backend::declare_options! {
    /// Options of `type = "http"` (rclone's names and meanings).
    pub struct HttpOptions {
        /// URL of the HTTP host to connect to, e.g. https://example.com/pub. Plain http only
        /// for loopback addresses; no user:pass@ in it (send an Authorization header through
        /// `headers` instead).
        url: String;
        /// Extra HTTP headers for all requests, as comma-separated name,value pairs (CSV
        /// quoting), e.g. 'Cookie,name=value' or '"Authorization","Bearer xxx"'. Kept secret.
        headers: Option<Vec<String>>, advanced, sensitive;
        /// The site does not end directory links with '/': a file served as text/html is then
        /// listed as a directory (genuine HTML files look like directories too).
        no_slash: bool = "false", advanced;
        /// Don't use HEAD requests. Not supported by ocisync: listings would have no sizes,
        /// which ocisync compares first.
        no_head: bool = "false", advanced;
        /// Do not escape URL metacharacters in path names.
        no_escape: bool = "false";
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
    }
}

pub static SPEC: BackendSpec = BackendSpec {
    name: "http",
    prefix: "http",
    description: "HTTP directory listings (nginx, Apache, Caddy, rclone serve http...), read-only.",
    options: HttpOptions::SPECS,
    open_options: false,
    credential_keys: &["headers"],
};

pub struct HttpBackend;

/// Registered in ocisync's backend list.
pub static BACKEND: HttpBackend = HttpBackend;

const NO_HEAD: &str = "not supported by ocisync: without a HEAD per file a listing has no \
    sizes or times, and ocisync compares sizes first (every run would copy everything, or miss \
    changes); leave it unset — the HEADs run --checkers at a time";

/// Problems of `url` beyond the endpoint check.
fn url_problem(url: &str) -> Option<String> {
    if let Err(m) = check_endpoint_url(url) {
        return Some(m.into());
    }
    let u = url::Url::parse(url).ok()?;
    if u.query().is_some() || u.fragment().is_some() {
        return Some(format!(
            "{url}: a query or fragment cannot be part of an http remote's URL (names are \
             appended to it)"
        ));
    }
    None
}

fn headers_of(values: &ConfigValues, key: &str) -> std::result::Result<http::HeaderMap, String> {
    match values.get(key) {
        None => Ok(http::HeaderMap::new()),
        Some(raw) => headers::parse(raw),
    }
}

#[async_trait]
impl Backend for HttpBackend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    fn validate(&self, values: &ConfigValues) -> Vec<OptionError> {
        let Ok(o) = HttpOptions::from_values(values) else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        if let Some(m) = url_problem(o.url.trim()) {
            problems.push(OptionError::invalid("url", m));
        }
        if let Err(m) = headers_of(values, "headers") {
            problems.push(OptionError::invalid("headers", m));
        }
        if o.no_head {
            problems.push(OptionError::invalid("no_head", NO_HEAD));
        }
        problems
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        let config = |m: String| Error::config(m).with_remote(ctx.name);
        let o = HttpOptions::from_values(ctx.values).map_err(|e| config(e.to_string()))?;
        let url = o.url.trim();
        if let Some(m) = url_problem(url) {
            return Err(config(format!("url: {m}")));
        }
        if o.no_head {
            return Err(config(format!("no_head: {NO_HEAD}")));
        }
        let mut headers =
            headers_of(ctx.values, "headers").map_err(|m| config(format!("headers: {m}")))?;
        if let Some(c) = &ctx.credentials {
            let got = c.get().await.map_err(|e| e.with_remote(ctx.name))?;
            let Some(h) = got.get("headers") else {
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!("credentials {:?} supplied no headers", c.name()),
                )
                .with_remote(ctx.name));
            };
            // A provider's value is the CSV text itself.
            headers = headers::parse(&RawValue::Secret(h.clone())).map_err(|m| {
                Error::new(
                    ErrorKind::Auth,
                    format!("credentials {:?}: headers: {m}", c.name()),
                )
                .with_remote(ctx.name)
            })?;
        }
        let base = base_url(url, ctx.path, o.no_escape).map_err(config)?;
        let cfg = service::HttpConfig {
            base,
            headers,
            no_slash: o.no_slash,
            no_escape: o.no_escape,
            head_concurrency: ctx.global.checkers.max(1),
            attempts: ctx.global.low_level_retries.max(1),
        };
        let location = format!("http:{}", cfg.base.as_str().to_ascii_lowercase());
        let op = opendal::Operator::new(service::HttpBuilder::new(cfg))
            .map_err(|e| Error::from(e).with_remote(ctx.name))?;
        let features = Features {
            listing_md5: HashSource::None,
            md5_in_metadata: false,
            md5_by_reading: false,
            // Last-Modified from the HEAD of every listed file.
            modtime: ModtimeSource::Native,
            set_modtime: SetModtime::No,
            writes_metadata: false,
            // An HTTP date has seconds (rclone's Precision for http).
            modtime_precision: std::time::Duration::from_secs(1),
            write_chunk: None,
            write_concurrency: 1,
            sorted_listing: false,
            classify_error: Some(classify),
            keys: KeyRules {
                max_key_bytes: None,
                max_segment_bytes: None,
                // Paths travel in URLs: '.' and '..' segments are resolved away.
                dot_segments: DotSegments::Refused,
                forbidden: &['\0'],
                prefix_bytes: 0,
                service: "HTTP",
            },
            location: Some(location),
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

/// Every refused operation (write, delete, mkdir, copy, move) is refused for one reason.
fn classify(e: &opendal::Error) -> Option<(ErrorKind, String)> {
    (e.kind() == opendal::ErrorKind::Unsupported)
        .then(|| (ErrorKind::Unsupported, service::READ_ONLY.to_string()))
}

/// The URL of the remote's root directory: `url`, then `path` (escaped as names are, unless
/// `no_escape`), ending in `/`.
fn base_url(url: &str, path: &str, no_escape: bool) -> std::result::Result<url::Url, String> {
    let dir = path.trim_matches('/');
    let mut s = format!("{}/", url.trim_end_matches('/'));
    if !dir.is_empty() {
        if no_escape {
            s.push_str(dir);
        } else {
            s.extend(percent_encoding::utf8_percent_encode(dir, service::ESCAPED));
        }
        s.push('/');
    }
    url::Url::parse(&s).map_err(|e| format!("{s}: not a valid URL: {e}"))
}

#[cfg(test)]
mod tests;
