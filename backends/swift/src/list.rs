//! Container listings that tell large objects apart, as rclone does: Swift's listing `hash` is
//! the MD5 of the content for ordinary objects only. A Static Large Object's entry carries
//! `slo_etag` and a `hash` that is not the content's MD5; a Dynamic Large Object's manifest is
//! listed as 0 bytes (with the MD5 of nothing) whatever its segments hold. OpenDAL's lister
//! drops `slo_etag` and takes both at their word, so a copy from Swift would fail its checksum
//! (or copy 0 bytes' worth of expectation). This lister keeps the size and leaves the MD5 out
//! for SLOs, and — unless `no_large_objects` — asks a HEAD for the real size of each 0-byte
//! entry, as rclone's swift backend does (the MD5 is then left out if it was a manifest).
//!
//! The requests go through the operator's HTTP transport (counted and bounded like OpenDAL's
//! own).

use std::sync::Arc;

use bytes::Buf;
use opendal::raw::oio;
use opendal::raw::*;
use opendal::{Buffer, Error, ErrorKind, MetadataBuilder, OperationContext, Result};
use serde::Deserialize;

use crate::put::Target;

/// rclone's (and Swift's) content type of directory marker objects.
const DIRECTORY_MARKER: &str = "application/directory";

#[derive(Deserialize)]
#[serde(untagged)]
enum Item {
    Subdir {
        subdir: String,
    },
    Object {
        name: String,
        bytes: u64,
        #[serde(default)]
        hash: String,
        #[serde(default)]
        content_type: Option<String>,
        #[serde(default)]
        last_modified: String,
        #[serde(default)]
        slo_etag: Option<String>,
    },
}

pub struct Lister {
    pub target: Arc<Target>,
    pub inner: Servicer,
    pub ctx: OperationContext,
    pub path: String,
    pub recursive: bool,
    pub limit: Option<usize>,
    pub start_after: Option<String>,
    pub no_large_objects: bool,
}

impl Lister {
    async fn page(&self, marker: &str) -> Result<Vec<Item>> {
        let t = &self.target;
        let prefix = build_abs_path(&t.root, &self.path);
        let mut url = QueryPairsWriter::new(&format!(
            "{}/{}/",
            t.storage_url,
            percent_encode_path(&t.container)
        ))
        .push("prefix", &percent_encode_path(&prefix))
        .push("delimiter", if self.recursive { "" } else { "/" })
        .push("format", "json");
        if let Some(limit) = self.limit {
            url = url.push("limit", &limit.to_string());
        }
        if !marker.is_empty() {
            url = url.push("marker", &percent_encode_path(marker));
        }
        let mut token = http::HeaderValue::try_from(t.token.expose())
            .map_err(|e| Error::new(ErrorKind::ConfigInvalid, format!("token: {e}")))?;
        token.set_sensitive(true);
        let req = http::Request::get(url.finish())
            .header("X-Auth-Token", token)
            .extension(Operation::List)
            .body(Buffer::new())
            .map_err(new_request_build_error)?;
        let resp = self.ctx.http_transport().send(req).await?;
        let status = resp.status();
        if !status.is_success() {
            return Err(list_error(status, &resp.into_body().to_bytes()));
        }
        serde_json::from_reader(resp.into_body().reader()).map_err(new_json_deserialize_error)
    }

    /// The real size of a 0-byte entry (a DLO manifest lists as 0): `None` if it is empty.
    async fn large_object_size(&self, rel: &str) -> Result<Option<u64>> {
        match self.inner.stat(&self.ctx, rel, OpStat::default()).await {
            Ok(rp) => {
                let n = rp.into_metadata().content_length();
                Ok((n > 0).then_some(n))
            }
            // Gone since the listing, or a manifest whose segments are gone: as listed.
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl oio::PageList for Lister {
    async fn next_page(&self, ctx: &mut oio::PageContext) -> Result<()> {
        let first = ctx.token.is_empty();
        let marker = match (&self.start_after, first) {
            (Some(s), true) => build_abs_path(&self.target.root, s),
            _ => ctx.token.clone(),
        };
        let items = self.page(&marker).await?;
        match items.last() {
            Some(Item::Subdir { subdir }) => ctx.token.clone_from(subdir),
            Some(Item::Object { name, .. }) => ctx.token.clone_from(name),
            // Pages continue until an empty one (rclone's fetch_until_empty_page, always).
            None => ctx.done = true,
        }
        for item in items {
            let entry = match item {
                Item::Subdir { subdir } => {
                    let p = build_rel_path(&self.target.root, &subdir);
                    let p = if p.is_empty() { "/".to_string() } else { p };
                    oio::Entry::new(&p, MetadataBuilder::dir().build())
                }
                Item::Object {
                    name,
                    bytes,
                    hash,
                    content_type,
                    mut last_modified,
                    slo_etag,
                } => {
                    let p = build_rel_path(&self.target.root, &name);
                    let p = if p.is_empty() { "/".to_string() } else { p };
                    if p.ends_with('/') {
                        // A folder marker when empty; with content it is reported by the
                        // engine (its MD5 tells which), as on S3.
                        let mut meta = MetadataBuilder::dir();
                        if slo_etag.is_none() && !hash.is_empty() {
                            meta.content_md5(hash);
                        }
                        oio::Entry::new(&p, meta.build())
                    } else {
                        let mut size = bytes;
                        // The listing's hash is the content's MD5 unless this is a manifest.
                        let mut md5 = slo_etag.is_none().then_some(hash);
                        if bytes == 0
                            && !self.no_large_objects
                            && content_type.as_deref() != Some(DIRECTORY_MARKER)
                            && let Some(real) = self.large_object_size(&p).await?
                        {
                            size = real;
                            md5 = None;
                        }
                        let mut meta = MetadataBuilder::file(size);
                        if let Some(m) = md5.filter(|m| !m.is_empty()) {
                            meta.content_md5(m);
                        }
                        // Swift's listing times have no zone: they are UTC.
                        if !last_modified.is_empty() {
                            if !last_modified.ends_with('Z') {
                                last_modified.push('Z');
                            }
                            meta.last_modified(last_modified.parse::<Timestamp>()?);
                        }
                        if let Some(ct) = content_type {
                            meta.content_type(ct);
                        }
                        oio::Entry::new(&p, meta.build())
                    }
                }
            };
            ctx.entries.push_back(entry);
        }
        Ok(())
    }
}

/// A refused listing, kinds as OpenDAL's swift service gives them.
fn list_error(status: http::StatusCode, body: &[u8]) -> Error {
    let text = String::from_utf8_lossy(body);
    let line = text
        .lines()
        .map(str::trim)
        .map(|l| {
            l.trim_start_matches("<html><h1>")
                .split("</h1>")
                .last()
                .unwrap_or_default()
        })
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .replace("<p>", "")
        .replace("</p></html>", "");
    let (kind, temporary) = match status.as_u16() {
        404 => (ErrorKind::NotFound, false),
        401 | 403 => (ErrorKind::PermissionDenied, false),
        429 => (ErrorKind::RateLimited, true),
        s if s >= 500 => (ErrorKind::Unexpected, true),
        _ => (ErrorKind::Unexpected, false),
    };
    let e = Error::new(kind, format!("list: Swift answered {status}: {line}"))
        .with_context("service_operation", "ListObjects");
    if temporary { e.set_temporary() } else { e }
}
