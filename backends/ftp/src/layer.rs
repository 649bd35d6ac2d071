//! What OpenDAL's ftp service (0.59) leaves out, added as a layer around it:
//!
//! - **Nested roots.** The service changes into its root when it connects and creates it with
//!   one `MKD` if missing, which fails for `ftp:new/deep/dir` (the parent is missing too), so
//!   every request fails. Before the first write the layer creates the root one level at a
//!   time, through a second operator rooted at the server's `/`.
//! - **Listings that create their root.** The same connect-time `MKD` makes a listing of a
//!   missing one-level root create it (`ocisync ls ftp:typo` would leave a `typo` directory).
//!   The first listing of the root asks whether it exists (one `LIST` of its parent) and, if
//!   not, lists nothing without connecting into it.
//! - **Empty files.** The service opens the upload on the first `write` with data, so a file
//!   of zero bytes was never created. A writer closed without data sends one empty write
//!   first, which opens (and completes) an empty upload.
//! - **Names `LIST` cannot carry.** Listings are `ls`-style lines parsed by suppaftp: leading
//!   spaces of a name are lost and a line break splits it. A directory listing that gives one
//!   name twice (` a` next to `a`) fails instead of going on with a wrong listing; a lone
//!   damaged name fails when it is read.

use std::collections::HashSet;
use std::sync::Arc;

use opendal::raw::oio;
use opendal::raw::{
    Layer, OpCopy, OpCreateDir, OpList, OpPresign, OpRead, OpRename, OpStat, OpWrite, RpCreateDir,
    RpPresign, RpRename, RpStat, Service, ServiceInfo, Servicer,
};
use opendal::{Buffer, Capability, Error, ErrorKind, Metadata, OperationContext, Operator, Result};
use tokio::sync::OnceCell;

/// The root as the layer sees it: its path from the server's `/`, and an operator there.
#[derive(Debug)]
pub struct Root {
    /// `a/b` (no leading or trailing `/`); empty for the server's root.
    dir: String,
    top: Operator,
    created: OnceCell<()>,
    seen: OnceCell<()>,
}

impl Root {
    pub fn new(dir: &str, top: Operator) -> Arc<Root> {
        Arc::new(Root {
            dir: dir.trim_matches('/').to_string(),
            top,
            created: OnceCell::new(),
            seen: OnceCell::new(),
        })
    }

    /// Creates the root and its parents (once per process; `MKD` of an existing directory is
    /// not an error to the service).
    async fn create(&self) -> Result<()> {
        if self.dir.is_empty() {
            return Ok(());
        }
        self.created
            .get_or_try_init(|| async {
                self.top.create_dir(&format!("{}/", self.dir)).await?;
                // Created here means it exists for the listings too.
                let _ = self.seen.set(());
                Ok(())
            })
            .await
            .map(|_| ())
    }

    /// Whether the root exists (asked until it is seen once).
    async fn exists(&self) -> Result<bool> {
        if self.dir.is_empty() || self.seen.initialized() {
            return Ok(true);
        }
        match self.top.stat(&format!("{}/", self.dir)).await {
            Ok(m) if m.is_dir() => {
                let _ = self.seen.set(());
                Ok(true)
            }
            Ok(_) => Err(Error::new(
                ErrorKind::NotADirectory,
                "the root is a file, not a directory",
            )),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct FtpFixLayer {
    pub root: Arc<Root>,
}

impl Layer for FtpFixLayer {
    fn apply_service(&self, inner: Servicer) -> Servicer {
        Arc::new(FtpFixService {
            inner,
            root: self.root.clone(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct FtpFixService {
    inner: Servicer,
    root: Arc<Root>,
}

impl Service for FtpFixService {
    type Reader = oio::Reader;
    type Writer = FixWriter;
    type Lister = FixLister;
    type Deleter = oio::Deleter;
    type Copier = oio::Copier;
    type Composer = oio::Composer;

    fn info(&self) -> ServiceInfo {
        self.inner.info()
    }

    fn capability(&self) -> Capability {
        self.inner.capability()
    }

    async fn create_dir(
        &self,
        ctx: &OperationContext,
        path: &str,
        args: OpCreateDir,
    ) -> Result<RpCreateDir> {
        self.root.create().await?;
        self.inner.create_dir(ctx, path, args).await
    }

    async fn stat(&self, ctx: &OperationContext, path: &str, args: OpStat) -> Result<RpStat> {
        if path.is_empty() || path == "/" || path.ends_with('/') {
            return self.inner.stat(ctx, path, args).await;
        }
        // The service's stat takes the first line of the parent's listing with the name; a
        // name that lost its leading spaces can come first and give another file's size.
        // The same one LIST here, and more than one match is an error.
        let (parent, name) = match path.rsplit_once('/') {
            Some((p, n)) => (format!("{p}/"), n),
            None => (String::from("/"), path),
        };
        let mut lister = self.inner.list(ctx, &parent, OpList::new())?;
        let mut found = None;
        while let Some(e) = oio::List::next(&mut lister).await? {
            let listed = e.path().trim_end_matches('/');
            if listed.rsplit('/').next() == Some(name) {
                if found.is_some() {
                    return Err(Error::new(
                        ErrorKind::Unexpected,
                        format!(
                            "the server listed {path:?} twice: FTP's LIST lines cannot carry \
                             names with leading spaces or line breaks; rename that file on the \
                             server"
                        ),
                    ));
                }
                found = Some(e.into_parts().1);
            }
        }
        match found {
            Some(meta) => Ok(RpStat::new(meta)),
            None => Err(Error::new(
                ErrorKind::NotFound,
                "not found in its directory's listing",
            )),
        }
    }

    fn read(&self, ctx: &OperationContext, path: &str, args: OpRead) -> Result<Self::Reader> {
        self.inner.read(ctx, path, args)
    }

    fn write(&self, ctx: &OperationContext, path: &str, args: OpWrite) -> Result<Self::Writer> {
        Ok(FixWriter {
            inner: self.inner.write(ctx, path, args)?,
            root: self.root.clone(),
            started: false,
        })
    }

    fn delete(&self, ctx: &OperationContext) -> Result<Self::Deleter> {
        self.inner.delete(ctx)
    }

    fn list(&self, ctx: &OperationContext, path: &str, args: OpList) -> Result<Self::Lister> {
        let at_root = path.is_empty() || path == "/";
        Ok(FixLister {
            inner: self.inner.list(ctx, path, args)?,
            root: at_root.then(|| self.root.clone()),
            seen: HashSet::new(),
            done: false,
        })
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

pub struct FixWriter {
    inner: oio::Writer,
    root: Arc<Root>,
    /// A write reached the service (the upload is open).
    started: bool,
}

impl oio::Write for FixWriter {
    async fn write(&mut self, bs: Buffer) -> Result<()> {
        if !self.started {
            self.root.create().await?;
            self.started = true;
        }
        self.inner.write(bs).await
    }

    async fn close(&mut self) -> Result<Metadata> {
        if !self.started {
            // An empty file: open the upload with no data, or nothing is created.
            self.write(Buffer::new()).await?;
        }
        self.inner.close().await
    }

    async fn abort(&mut self) -> Result<()> {
        self.inner.abort().await
    }
}

pub struct FixLister {
    inner: oio::Lister,
    /// Set for a listing of the root until its existence is checked.
    root: Option<Arc<Root>>,
    /// The names this directory's listing gave so far.
    seen: HashSet<String>,
    /// The root is missing: nothing to list.
    done: bool,
}

impl oio::List for FixLister {
    async fn next(&mut self) -> Result<Option<oio::Entry>> {
        if let Some(root) = self.root.take()
            && !root.exists().await?
        {
            // Listed as empty, as OpenDAL's other services list a missing directory (a sync
            // creates its destination on the first write; an empty source deletes nothing
            // without --allow-empty-source) — and not created by the listing.
            self.done = true;
        }
        if self.done {
            return Ok(None);
        }
        let entry = self.inner.next().await?;
        if let Some(e) = &entry
            && !self.seen.insert(e.path().to_string())
        {
            // A directory cannot hold one name twice: the `ls`-style line lost part of a
            // name (leading spaces), so the listing is not to be trusted.
            return Err(Error::new(
                ErrorKind::Unexpected,
                format!(
                    "the server listed {:?} twice: FTP's LIST lines cannot carry names with \
                     leading spaces or line breaks; rename that file on the server",
                    e.path()
                ),
            ));
        }
        Ok(entry)
    }
}
