//! Listing: ListObjects pages (`nextStartWith` → `start`), with delimiter `/` for one level and
//! none for a recursive listing. Entries carry everything the engine compares on — size, ETag,
//! timeModified, the listed MD5 and the storage tier — so a listing needs no HEADs.
//!
//! A page is believed only as far as it can be checked: every name lies under the prefix asked
//! for, `nextStartWith` lies beyond both the page's `start` and its last name (a repeated or
//! backwards token would list forever), and at most [`MAX_EMPTY_PAGES`] empty pages in a row
//! may promise more. The page's size is bounded by the shared transport.

use std::sync::Arc;

use http::StatusCode;
use opendal::raw::*;
use opendal::{Error, ErrorKind, MetadataBuilder, OperationContext, Result};

use crate::core::{
    ListObjects, ListPage, MAX_LIST_LIMIT, META_ARCHIVAL_STATE, META_STORAGE_TIER,
    ObjectStorageCore, ObjectSummary, set_user_metadata,
};

/// Consecutive listing pages with nothing in them but a promise of more, before the listing is
/// called stuck: a server that hands out ever-new tokens for empty pages would otherwise be
/// listed forever.
pub const MAX_EMPTY_PAGES: u32 = 1000;

pub struct ObjectLister {
    core: Arc<ObjectStorageCore>,
    ctx: OperationContext,
    /// Object-name prefix: root + the listed path.
    prefix: String,
    delimiter: bool,
    limit: String,
    /// Absolute name to start after (first page only).
    start_after: Option<String>,
    /// Empty pages in a row so far.
    empty_pages: std::sync::atomic::AtomicU32,
}

impl ObjectLister {
    pub fn new(
        core: Arc<ObjectStorageCore>,
        ctx: OperationContext,
        path: &str,
        args: &OpList,
    ) -> Self {
        let prefix = core.object_name(path);
        let start_after = args.start_after().map(|p| core.object_name(p));
        let limit = args
            .limit()
            .unwrap_or(MAX_LIST_LIMIT)
            .clamp(1, MAX_LIST_LIMIT)
            .to_string();
        ObjectLister {
            core,
            ctx,
            prefix,
            delimiter: !args.recursive(),
            limit,
            start_after,
            empty_pages: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// An object name relative to the root; a name outside the listed prefix is an error (a
    /// broken or hostile server), never a path to act on.
    fn relative<'a>(&self, name: &'a str) -> Result<&'a str> {
        match name.strip_prefix(&self.core.root[1..]) {
            Some(path) if name.starts_with(&self.prefix) => Ok(path),
            _ => Err(Error::new(
                ErrorKind::Unexpected,
                format!(
                    "ListObjects: the server listed {name:?}, which is outside the prefix {:?} \
                     that was asked for",
                    self.prefix
                ),
            )),
        }
    }

    fn dir_entry(&self, prefix: &str) -> Result<oio::Entry> {
        let path = self.relative(prefix)?;
        Ok(oio::Entry::new(path, MetadataBuilder::dir().build()))
    }

    fn object_entry(&self, o: ObjectSummary) -> Result<Option<oio::Entry>> {
        let path = self.relative(&o.name)?;
        // A zero-byte `name/` is a folder marker (the console creates them): list it as a
        // directory, as OpenDAL requires of paths ending in `/` — with its MD5, so that one
        // with content can be told apart (and reported: no OpenDAL call can read it).
        if path.is_empty() || path.ends_with('/') {
            let mut dir = MetadataBuilder::dir();
            if let Some(md5) = &o.md5 {
                dir.content_md5(md5);
            }
            return Ok(Some(oio::Entry::new(path, dir.build())));
        }
        let mut meta = MetadataBuilder::file(o.size.unwrap_or_default());
        if let Some(etag) = &o.etag {
            meta.etag(etag);
        }
        // Passed through as listed: for multipart objects `<base64>-<parts>`, which is not an
        // MD5 of the content (the engine's Md5::parse rejects it).
        if let Some(md5) = &o.md5 {
            meta.content_md5(md5);
        }
        if let Some(t) = o.time_modified.as_deref().or(o.time_created.as_deref()) {
            let t = t.parse::<Timestamp>().map_err(|e| {
                Error::new(
                    ErrorKind::Unexpected,
                    format!("ListObjects: bad time {t:?} for {:?}", o.name),
                )
                .set_source(e)
            })?;
            meta.last_modified(t);
        }
        let user = [
            (META_STORAGE_TIER, o.storage_tier),
            (META_ARCHIVAL_STATE, o.archival_state),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v?)))
        .collect();
        set_user_metadata(&mut meta, path, user);
        Ok(Some(oio::Entry::new(path, meta.build())))
    }
}

impl oio::PageList for ObjectLister {
    async fn next_page(&self, page: &mut oio::PageContext) -> Result<()> {
        let first = page.token.is_empty();
        let request = ListPage {
            limit: &self.limit,
            delimiter: self.delimiter,
            start: (!first).then_some(page.token.as_str()),
            start_after: if first {
                self.start_after.as_deref()
            } else {
                None
            },
        };
        let resp = self
            .core
            .list_objects(&self.ctx, &self.prefix, request)
            .await?;
        if resp.status() != StatusCode::OK {
            return Err(self.core.error(resp, self.core.known_namespace()).await);
        }
        let body = resp.into_body().to_buffer().await?.to_bytes();
        // A body cut short by the network does not parse: worth another try.
        let listed: ListObjects = serde_json::from_slice(&body)
            .map_err(|e| new_json_deserialize_error(e).set_temporary())?;

        let last_name = listed
            .objects
            .last()
            .map(|o| o.name.as_str())
            .max(listed.prefixes.last().map(String::as_str));
        match listed.next_start_with {
            Some(next)
                if (!first && next.as_str() <= page.token.as_str())
                    || last_name.is_some_and(|last| next.as_str() <= last) =>
            {
                return Err(Error::new(
                    ErrorKind::Unexpected,
                    format!(
                        "ListObjects: no progress: nextStartWith {next:?} does not lie beyond \
                         the page (start {:?}, last name {:?})",
                        page.token,
                        last_name.unwrap_or_default()
                    ),
                ));
            }
            Some(next) => {
                let empty = last_name.is_none();
                let run = if empty {
                    self.empty_pages
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                        + 1
                } else {
                    self.empty_pages
                        .store(0, std::sync::atomic::Ordering::Relaxed);
                    0
                };
                if run > MAX_EMPTY_PAGES {
                    return Err(Error::new(
                        ErrorKind::Unexpected,
                        format!(
                            "ListObjects: {run} pages in a row were empty but promised more; \
                             the listing is not progressing"
                        ),
                    ));
                }
                page.token = next;
            }
            None => page.done = true,
        }

        // Prefixes and objects come as two sorted lists; merged, the listing stays in name
        // order (the engine relies on it), and pages follow each other in name order.
        let mut prefixes = listed.prefixes.into_iter().peekable();
        let mut objects = listed.objects.into_iter().peekable();
        loop {
            let take_prefix = match (prefixes.peek(), objects.peek()) {
                (Some(p), Some(o)) => p.as_str() < o.name.as_str(),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let entry = if take_prefix {
                match prefixes.next() {
                    Some(p) => Some(self.dir_entry(&p)?),
                    None => None,
                }
            } else {
                match objects.next() {
                    Some(o) => self.object_entry(o)?,
                    None => None,
                }
            };
            page.entries.extend(entry);
        }
        Ok(())
    }
}
