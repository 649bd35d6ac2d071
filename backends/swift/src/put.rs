//! Writes as one streamed `PUT` per object: the bytes go to Swift as the engine hands them over
//! (chunked transfer encoding), so a file is never held in memory and any size up to Swift's
//! single-object limit (5 GiB) goes in one request.
//!
//! Why not OpenDAL's own writer: it sends an object in one buffered request, or — when a write
//! comes in several pieces, as every streamed copy does — as a Static Large Object whose
//! segments it puts under `.segments/` *in the same container*. Those segments would show up in
//! every listing of the container (rclone's and ocisync's alike), be copied by a sync from it,
//! and be deleted by a sync to it, which breaks the object; rclone keeps segments in a
//! `<container>_segments` container instead. So this layer takes over `write` only; listing,
//! reading, stat, copy and delete stay OpenDAL's.
//!
//! Larger objects (rclone: segmented large objects) are refused with an error naming the file,
//! before Swift would refuse them after 5 GiB had been sent. The same layer lists
//! ([`crate::list`]).

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use ocisync_backend::Secret;
use opendal::raw::oio;
use opendal::raw::*;
use opendal::{Buffer, Capability, Error, ErrorKind, Metadata, OperationContext, Result};
use tokio::sync::mpsc;

/// Swift's largest object written in one request (its `max_file_size` default).
pub const MAX_SINGLE_OBJECT: u64 = 5 * 1024 * 1024 * 1024;

/// Where objects go and how requests are authorised.
#[derive(Clone)]
pub struct Target {
    pub client: reqwest::Client,
    /// The storage URL, no trailing `/`.
    pub storage_url: String,
    pub container: String,
    /// OpenDAL's normalised root (`/` or `/prefix/`).
    pub root: String,
    pub token: Secret,
    /// The largest object accepted (the cluster's limit; [`MAX_SINGLE_OBJECT`] unless tests
    /// lower it).
    pub max_object: u64,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("storage_url", &self.storage_url)
            .field("container", &self.container)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// The layer: `write` streams one `PUT`, `list` tells large objects apart ([`crate::list`]);
/// everything else is OpenDAL's swift service.
#[derive(Debug, Clone)]
pub struct SwiftLayer {
    pub target: Arc<Target>,
    /// rclone's `no_large_objects`: trust 0-byte listing entries without a HEAD.
    pub no_large_objects: bool,
}

impl Layer for SwiftLayer {
    fn apply_service(&self, inner: Servicer) -> Servicer {
        Arc::new(SwiftService {
            inner,
            target: self.target.clone(),
            no_large_objects: self.no_large_objects,
        })
    }
}

#[derive(Debug)]
struct SwiftService {
    inner: Servicer,
    target: Arc<Target>,
    no_large_objects: bool,
}

impl Service for SwiftService {
    type Reader = oio::Reader;
    type Writer = oio::Writer;
    type Lister = oio::Lister;
    type Deleter = oio::Deleter;
    type Copier = oio::Copier;
    type Composer = oio::Composer;

    fn info(&self) -> ServiceInfo {
        self.inner.info()
    }

    fn capability(&self) -> Capability {
        let mut cap = self.inner.capability();
        // Several writes per object stream into the one request (not multipart uploads: the
        // engine sets no chunk size for this backend).
        cap.write_can_multi = true;
        cap.write_multi_max_size = None;
        cap.write_multi_min_size = None;
        cap
    }

    async fn create_dir(
        &self,
        ctx: &OperationContext,
        path: &str,
        args: OpCreateDir,
    ) -> Result<RpCreateDir> {
        self.inner.create_dir(ctx, path, args).await
    }

    async fn stat(&self, ctx: &OperationContext, path: &str, args: OpStat) -> Result<RpStat> {
        self.inner.stat(ctx, path, args).await
    }

    fn read(&self, ctx: &OperationContext, path: &str, args: OpRead) -> Result<Self::Reader> {
        self.inner.read(ctx, path, args)
    }

    fn write(&self, _ctx: &OperationContext, path: &str, args: OpWrite) -> Result<Self::Writer> {
        Ok(Box::new(PutWriter::new(self.target.clone(), path, &args)?))
    }

    fn delete(&self, ctx: &OperationContext) -> Result<Self::Deleter> {
        self.inner.delete(ctx)
    }

    fn list(&self, ctx: &OperationContext, path: &str, args: OpList) -> Result<Self::Lister> {
        Ok(Box::new(oio::PageLister::new(crate::list::Lister {
            target: self.target.clone(),
            inner: self.inner.clone(),
            ctx: ctx.clone(),
            path: path.to_string(),
            recursive: args.recursive(),
            limit: args.limit(),
            start_after: args.start_after().map(str::to_string),
            no_large_objects: self.no_large_objects,
        })))
    }

    fn copy(
        &self,
        ctx: &OperationContext,
        from: &str,
        to: &str,
        args: OpCopy,
    ) -> Result<Self::Copier> {
        self.inner.copy(ctx, from, to, args)
    }

    fn compose(&self, ctx: &OperationContext, to: &str, args: OpCompose) -> Result<Self::Composer> {
        self.inner.compose(ctx, to, args)
    }

    async fn rename(
        &self,
        ctx: &OperationContext,
        from: &str,
        to: &str,
        args: OpRename,
    ) -> Result<RpRename> {
        self.inner.rename(ctx, from, to, args).await
    }

    async fn presign(
        &self,
        ctx: &OperationContext,
        path: &str,
        args: OpPresign,
    ) -> Result<RpPresign> {
        self.inner.presign(ctx, path, args).await
    }
}

type Pieces = mpsc::Sender<std::result::Result<Bytes, std::io::Error>>;
type Sent = tokio::task::JoinHandle<std::result::Result<reqwest::Response, reqwest::Error>>;

/// One object's `PUT`: started at the first write, its body fed piece by piece, committed by
/// Swift only when the body ends — an aborted writer drops the connection before that, and
/// nothing is stored.
struct PutWriter {
    target: Arc<Target>,
    /// The object's path relative to the root, for messages.
    path: String,
    url: String,
    headers: http::HeaderMap,
    body: Option<Pieces>,
    sent: Option<Sent>,
    written: u64,
    done: bool,
}

impl PutWriter {
    fn new(target: Arc<Target>, path: &str, args: &OpWrite) -> Result<Self> {
        let abs = build_abs_path(&target.root, path);
        let url = format!(
            "{}/{}/{}",
            target.storage_url,
            percent_encode_path(&target.container),
            percent_encode_path(&abs)
        );
        let mut headers = http::HeaderMap::new();
        let mut set = |name: &str, value: &str| -> Result<()> {
            let name = http::HeaderName::try_from(name).map_err(|e| {
                Error::new(ErrorKind::Unexpected, format!("header name {name:?}: {e}"))
            })?;
            let value = http::HeaderValue::try_from(value)
                .map_err(|e| Error::new(ErrorKind::Unexpected, format!("value of {name}: {e}")))?;
            headers.insert(name, value);
            Ok(())
        };
        set("x-auth-token", target.token.expose())?;
        if let Some(v) = args.content_type() {
            set("content-type", v)?;
        }
        if let Some(v) = args.cache_control() {
            set("cache-control", v)?;
        }
        if let Some(v) = args.content_disposition() {
            set("content-disposition", v)?;
        }
        if let Some(v) = args.content_encoding() {
            set("content-encoding", v)?;
        }
        if let Some(meta) = args.user_metadata() {
            for (k, v) in meta {
                set(&format!("x-object-meta-{k}"), v)?;
            }
        }
        if let Some(v) = headers.get_mut("x-auth-token") {
            v.set_sensitive(true);
        }
        Ok(PutWriter {
            target,
            path: path.to_string(),
            url,
            headers,
            body: None,
            sent: None,
            written: 0,
            done: false,
        })
    }

    /// Starts the request with a streamed body (or, for an empty object, an empty one).
    fn start(&mut self, streamed: bool) {
        let req = self
            .target
            .client
            .put(&self.url)
            .headers(self.headers.clone());
        let req = if streamed {
            let (tx, rx) = mpsc::channel(4);
            self.body = Some(tx);
            let stream = futures::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|piece| (piece, rx))
            });
            req.body(reqwest::Body::wrap_stream(stream))
        } else {
            req.header(http::header::CONTENT_LENGTH, 0).body(Vec::new())
        };
        self.sent = Some(tokio::spawn(req.send()));
    }

    /// The request's own failure, when the body could not be handed over.
    async fn failure(&mut self) -> Error {
        self.body = None;
        match self.sent.take() {
            Some(task) => match task.await {
                Ok(Ok(resp)) => answer_error(&self.path, resp).await,
                Ok(Err(e)) => request_error(&self.path, e),
                Err(e) => Error::new(ErrorKind::Unexpected, format!("PUT task: {e}")),
            },
            None => Error::new(ErrorKind::Unexpected, "PUT already finished"),
        }
    }

    fn too_large(&self) -> Error {
        Error::new(
            ErrorKind::Unsupported,
            format!(
                "{}: over {} bytes, the largest Swift object one request can write; segmented \
                 large objects (rclone's chunk_size) are not supported by ocisync",
                self.path, self.target.max_object
            ),
        )
    }
}

impl oio::Write for PutWriter {
    async fn write(&mut self, bs: Buffer) -> Result<()> {
        if self.done {
            return Err(Error::new(ErrorKind::Unexpected, "write after close"));
        }
        self.written += bs.len() as u64;
        if self.written > self.target.max_object {
            self.abort_now();
            return Err(self.too_large());
        }
        if self.sent.is_none() {
            self.start(true);
        }
        for piece in bs {
            let Some(tx) = &self.body else {
                return Err(self.failure().await);
            };
            if tx.send(Ok(piece)).await.is_err() {
                // The request ended before its body did: its answer says why.
                return Err(self.failure().await);
            }
        }
        Ok(())
    }

    async fn close(&mut self) -> Result<Metadata> {
        if self.done {
            return Err(Error::new(ErrorKind::Unexpected, "writer already closed"));
        }
        self.done = true;
        if self.sent.is_none() {
            self.start(false);
        }
        // The end of the body: Swift commits the object now.
        self.body = None;
        let Some(task) = self.sent.take() else {
            return Err(Error::new(ErrorKind::Unexpected, "PUT never started"));
        };
        let resp = match task.await {
            Ok(Ok(resp)) => resp,
            Ok(Err(e)) => return Err(request_error(&self.path, e)),
            Err(e) => return Err(Error::new(ErrorKind::Unexpected, format!("PUT task: {e}"))),
        };
        if resp.status() != http::StatusCode::CREATED && resp.status() != http::StatusCode::OK {
            return Err(answer_error(&self.path, resp).await);
        }
        let mut meta = opendal::MetadataBuilder::file(self.written);
        if let Some(etag) = resp
            .headers()
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
        {
            meta.etag(etag.trim_matches('"'));
        }
        Ok(meta.build())
    }

    async fn abort(&mut self) -> Result<()> {
        self.abort_now();
        Ok(())
    }
}

impl PutWriter {
    /// Ends the request without ending its body: Swift stores nothing.
    fn abort_now(&mut self) {
        self.done = true;
        if let Some(tx) = self.body.take() {
            // An error in the body stream makes hyper drop the connection mid-body.
            let _ = tx.try_send(Err(std::io::Error::other("upload aborted")));
        }
        if let Some(task) = self.sent.take() {
            task.abort();
        }
    }
}

impl Drop for PutWriter {
    fn drop(&mut self) {
        if !self.done {
            self.abort_now();
        }
    }
}

/// A request that failed on the way (connection, timeout): worth another attempt of the whole
/// object. Marked persistent, not temporary: the retry layer must not call `close` again on a
/// body that is gone — the engine's next attempt of the object starts a new one.
fn request_error(path: &str, e: reqwest::Error) -> Error {
    Error::new(ErrorKind::Unexpected, format!("PUT {path}: {e}"))
        .set_source(e)
        .set_persistent()
}

/// Swift's refusal of a `PUT`, as OpenDAL's service would classify it.
async fn answer_error(path: &str, resp: reqwest::Response) -> Error {
    let status = resp.status();
    let mut stream = resp.bytes_stream();
    let mut text = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        text.extend_from_slice(&chunk);
        if text.len() > 4096 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&text);
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('<'))
        .unwrap_or_default();
    let kind = match status.as_u16() {
        401 | 403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        413 => ErrorKind::Unsupported,
        429 => ErrorKind::RateLimited,
        _ => ErrorKind::Unexpected,
    };
    let what = match status.as_u16() {
        404 => " (does the container exist? ocisync never creates containers)".to_string(),
        _ => String::new(),
    };
    let e = Error::new(
        kind,
        format!("PUT {path}: Swift answered {status}{what}: {line}"),
    );
    // As for a failed request: another attempt of the whole object, not of this call.
    if status.is_server_error() || status.as_u16() == 429 {
        e.set_persistent()
    } else {
        e
    }
}
