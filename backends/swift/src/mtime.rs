//! Changing an object's modification time in place, as rclone's swift backend does: a `POST`
//! with the new `X-Object-Meta-Mtime`. A `POST` replaces all of an object's metadata, so what
//! the object had is read first (a `HEAD`) and sent again: its other `X-Object-Meta-*` keys,
//! its content headers and — what keeps a dynamic large object whole — `X-Object-Manifest`
//! (and `X-Delete-At`, or the object would stop expiring). `sync` then updates a time instead of
//! uploading the same bytes again.

use std::sync::Arc;

use async_trait::async_trait;
use ocisync_backend::object::format_mtime;
use ocisync_backend::remote::ModtimeSetter;
use ocisync_backend::{Error, ErrorKind, Result};
use opendal::raw::{build_abs_path, percent_encode_path};

use crate::put::Target;

/// Headers a `POST` would otherwise drop, sent back as the `HEAD` gave them.
const KEPT: &[&str] = &[
    "content-type",
    "content-encoding",
    "content-disposition",
    "content-language",
    "cache-control",
    "expires",
    "x-object-manifest",
    "x-delete-at",
];

pub struct Setter(pub Arc<Target>);

impl Setter {
    fn url(&self, path: &str) -> String {
        let t = &self.0;
        format!(
            "{}/{}/{}",
            t.storage_url,
            percent_encode_path(&t.container),
            percent_encode_path(&build_abs_path(&t.root, path))
        )
    }
}

fn failed(what: &str, path: &str, status: reqwest::StatusCode) -> Error {
    let kind = match status.as_u16() {
        404 => ErrorKind::NotFound,
        401 => ErrorKind::Auth,
        403 => ErrorKind::PermissionDenied,
        429 | 500..=599 => ErrorKind::Temporary,
        _ => ErrorKind::Other,
    };
    Error::new(kind, format!("{what} {path}: Swift answered {status}"))
}

#[async_trait]
impl ModtimeSetter for Setter {
    async fn set_modtime(&self, path: &str, mtime: jiff::Timestamp) -> Result<()> {
        let t = &self.0;
        let url = self.url(path);
        let mut token = http::HeaderValue::try_from(t.token.expose())
            .map_err(|e| Error::new(ErrorKind::Config, format!("token: {e}")))?;
        token.set_sensitive(true);
        let head = t
            .client
            .head(&url)
            .header("x-auth-token", token.clone())
            .send()
            .await
            .map_err(|e| Error::new(ErrorKind::Temporary, format!("HEAD {path}: {e}")))?;
        if !head.status().is_success() {
            return Err(failed("HEAD", path, head.status()));
        }
        let mut headers = http::HeaderMap::new();
        for (name, value) in head.headers() {
            let n = name.as_str();
            let user = n.starts_with("x-object-meta-") && n != "x-object-meta-mtime";
            if user || KEPT.contains(&n) {
                headers.append(name.clone(), value.clone());
            }
        }
        // Decimal seconds, as rclone writes it.
        let value = format_mtime(mtime);
        headers.insert(
            "x-object-meta-mtime",
            http::HeaderValue::try_from(value)
                .map_err(|e| Error::new(ErrorKind::Other, format!("mtime: {e}")))?,
        );
        headers.insert("x-auth-token", token);
        let post = t
            .client
            .post(&url)
            .headers(headers)
            .header(http::header::CONTENT_LENGTH, 0)
            .send()
            .await
            .map_err(|e| Error::new(ErrorKind::Temporary, format!("POST {path}: {e}")))?;
        if !post.status().is_success() {
            return Err(failed("POST", path, post.status()));
        }
        Ok(())
    }
}
