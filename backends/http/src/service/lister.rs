//! Listings as rclone makes them: GET the directory's URL, take the entries its HTML index
//! links to ([`crate::links`]), and HEAD each file for its size and `Last-Modified` — a bounded
//! number at a time (`--checkers`), in whatever order they answer. Names ending in `/` are
//! directories; with `no_slash` a file whose HEAD says `text/html` is one too.
//!
//! Recursive listings walk the directories here rather than through OpenDAL's simulated walk,
//! which skips a directory that answers 404 or 403 silently (a sync would then delete its
//! copies): a directory the index links to that cannot be listed is an error. A file link
//! whose HEAD answers 404 is skipped, as rclone skips it (the link goes nowhere); any other
//! failure is an error, where rclone only logs it at debug level — ocisync reports it so that a
//! sync deletes nothing that run.
//!
//! Requests inside a listing are retried here (OpenDAL's retry layer would call `next` again
//! and lose its place), and every step is safe to cancel (the timeout layer drops a `next`
//! that takes too long): a directory leaves the queue only once its index was read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use futures::stream::{BoxStream, StreamExt};
use http::StatusCode;
use opendal::raw::*;
use opendal::{BytesRange, Error, ErrorKind, HttpBody, OperationContext, Result};
use url::Url;

use super::core::{
    HttpCore, MAX_INDEX_BYTES, dir_metadata, file_metadata, media_type, redirects_to_dir,
    status_error,
};

pub struct HttpLister {
    core: Arc<HttpCore>,
    ctx: OperationContext,
    recursive: bool,
    /// Directories still to list (paths relative to the root, ending in `/`; `""` the root).
    dirs: VecDeque<String>,
    /// The first directory: its 404 is the listing's "directory not found".
    first: String,
    current: Option<Dir>,
}

/// One directory being listed: its sub-directories (known from the index) and the HEADs of
/// its files in flight.
struct Dir {
    ready: VecDeque<String>,
    heads: Mutex<BoxStream<'static, Result<Option<oio::Entry>>>>,
}

impl HttpLister {
    pub fn new(core: Arc<HttpCore>, ctx: OperationContext, path: &str, recursive: bool) -> Self {
        let mut dir = path.trim_start_matches('/').to_string();
        if !dir.is_empty() && !dir.ends_with('/') {
            dir.push('/');
        }
        HttpLister {
            core,
            ctx,
            recursive,
            dirs: VecDeque::from([dir.clone()]),
            first: dir,
            current: None,
        }
    }

    fn found(&mut self, e: oio::Entry) -> oio::Entry {
        if self.recursive && e.mode().is_dir() {
            self.dirs.push_back(e.path().to_string());
        }
        e
    }
}

impl oio::List for HttpLister {
    async fn next(&mut self) -> Result<Option<oio::Entry>> {
        loop {
            if let Some(d) = self.current.as_mut() {
                if let Some(p) = d.ready.pop_front() {
                    let e = oio::Entry::new(&p, dir_metadata());
                    return Ok(Some(self.found(e)));
                }
                let heads = d.heads.get_mut().unwrap_or_else(|p| p.into_inner());
                match heads.next().await {
                    Some(Ok(Some(e))) => return Ok(Some(self.found(e))),
                    Some(Ok(None)) => continue,
                    Some(Err(e)) => return Err(e.set_permanent()),
                    None => {
                        self.current = None;
                        continue;
                    }
                }
            }
            let Some(dir) = self.dirs.front().cloned() else {
                return Ok(None);
            };
            let names = match index(&self.core, &self.ctx, &dir).await {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::NotFound && dir != self.first => {
                    // Linked from its parent's index, yet not there: not an empty directory.
                    self.dirs.pop_front();
                    return Err(Error::new(
                        ErrorKind::Unexpected,
                        format!("{} (linked from its parent's index)", e.message()),
                    )
                    .set_permanent());
                }
                Err(e) => {
                    self.dirs.pop_front();
                    return Err(e.set_permanent());
                }
            };
            self.dirs.pop_front();
            let mut ready = VecDeque::new();
            let mut files = Vec::new();
            for name in names {
                let path = format!("{dir}{name}");
                if name.ends_with('/') {
                    ready.push_back(path);
                } else {
                    files.push(path);
                }
            }
            let (core, ctx) = (self.core.clone(), self.ctx.clone());
            let n = core.cfg.head_concurrency.max(1);
            let heads = futures::stream::iter(files)
                .map(move |path| {
                    let (core, ctx) = (core.clone(), ctx.clone());
                    async move { head(&core, &ctx, path).await }
                })
                .buffer_unordered(n)
                .boxed();
            self.current = Some(Dir {
                ready,
                heads: Mutex::new(heads),
            });
        }
    }
}

/// The entries of the directory `dir`'s index page.
async fn index(core: &HttpCore, ctx: &OperationContext, dir: &str) -> Result<Vec<String>> {
    let url = core.url(dir);
    let what = format!("GET {url}");
    let page = core
        .retried(|| async {
            let resp = core.get(ctx, dir, BytesRange::default()).await?;
            let status = resp.status();
            if status != StatusCode::OK {
                return Err(if status == StatusCode::NOT_FOUND {
                    Error::new(
                        ErrorKind::NotFound,
                        format!("{what}: HTTP {status}: directory not found"),
                    )
                } else {
                    status_error(&what, status)
                });
            }
            let kind = media_type(resp.headers()).unwrap_or_default();
            if kind != "text/html" {
                return Err(Error::new(
                    ErrorKind::Unexpected,
                    format!(
                        "{what}: not an HTML directory index (Content-Type {kind:?}); rclone \
                         and ocisync list http remotes from their index pages"
                    ),
                ));
            }
            read_capped(resp.into_body(), &what).await
        })
        .await?;
    let base =
        Url::parse(&url).map_err(|e| Error::new(ErrorKind::Unexpected, format!("{url}: {e}")))?;
    let page = String::from_utf8_lossy(&page);
    Ok(crate::links::entries(&base, &page))
}

async fn read_capped(mut body: HttpBody, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let buf = oio::ReadStream::read(&mut body).await?;
        if buf.is_empty() {
            return Ok(out);
        }
        if out.len() + buf.len() > MAX_INDEX_BYTES {
            return Err(Error::new(
                ErrorKind::Unexpected,
                format!("{what}: the index page is over {MAX_INDEX_BYTES} bytes"),
            ));
        }
        out.extend(buf.to_bytes());
    }
}

/// The entry for the file link `path`, from a HEAD: `None` when the link goes nowhere (404).
async fn head(core: &HttpCore, ctx: &OperationContext, path: String) -> Result<Option<oio::Entry>> {
    let url = core.url(&path);
    let what = format!("HEAD {url}");
    core.retried(|| async {
        let resp = core.head(ctx, &path).await?;
        let status = resp.status();
        let headers = resp.headers();
        if status.is_success() {
            if core.cfg.no_slash && media_type(headers).as_deref() == Some("text/html") {
                return Ok(Some(oio::Entry::new(&format!("{path}/"), dir_metadata())));
            }
            return Ok(Some(oio::Entry::new(&path, file_metadata(&url, headers)?)));
        }
        if status.is_redirection() && redirects_to_dir(&url, headers) {
            return Ok(Some(oio::Entry::new(&format!("{path}/"), dir_metadata())));
        }
        if status == StatusCode::NOT_FOUND {
            tracing::warn!(
                "{what}: HTTP 404: the index links to a file that is not there; skipped"
            );
            return Ok(None);
        }
        Err(status_error(&what, status))
    })
    .await
}
