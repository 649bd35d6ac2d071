//! A configured remote opened for use: an OpenDAL operator rooted at `bucket/prefix` plus the
//! facts the engine needs to compare and copy objects without asking the backend's name.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{BoxStream, StreamExt};
use jiff::Timestamp;
use opendal::{Metadata, Operator};

use crate::error::{Error, ErrorKind, Result};
use crate::keys::KeyRules;
use crate::object::{Md5, ObjectInfo, format_mtime, parse_mtime};
use crate::uploads::MultipartUploads;

/// User-metadata key rclone uses for the modification time (`x-amz-meta-mtime`, `opc-meta-mtime`).
pub const META_MTIME: &str = "mtime";
/// User-metadata key rclone uses for the MD5 of multipart uploads.
pub const META_MD5: &str = "md5chksum";

/// A backend's reading of its service's errors: kind and operator-facing message.
pub type ErrorClassifier = fn(&opendal::Error) -> Option<(ErrorKind, String)>;

/// Where a listing's MD5 comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashSource {
    /// Listings carry no hash.
    None,
    /// `Metadata::content_md5` (hex or base64) — OCI listings' `md5` field.
    ContentMd5,
    /// The ETag, when it is 32 hex digits (S3 single-part uploads without SSE-KMS/SSE-C).
    EtagIfMd5,
}

/// Where the modification time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModtimeSource {
    /// The listing's `last_modified` is the real modification time (file systems).
    Native,
    /// The real time is in the `mtime` user metadata; listings show the upload time.
    Metadata,
}

/// How the `mtime` user metadata is written: rclone's S3 and OCI backends write decimal Unix
/// seconds, its Azure Blob and Google Cloud Storage backends RFC 3339 (both are read either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MtimeFormat {
    /// `1772345228.123456789`
    #[default]
    UnixSeconds,
    /// `2026-03-01T06:07:08.123456789Z`
    Rfc3339,
}

/// Whether the modification time of an existing object can be changed without re-uploading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetModtime {
    No,
    /// Through [`Remote::set_modtime`]'s hook.
    Yes,
}

/// rclone's `fs.ModTimeNotSupported`, as [`Features::modtime_precision`]: a precision so
/// coarse that any two times are equal — for backends that cannot keep a source's time, so
/// that times are never compared (sizes are).
pub const MODTIME_NOT_SUPPORTED: std::time::Duration =
    std::time::Duration::from_secs(100 * 365 * 24 * 3600);

/// What a backend can and cannot tell or do, decided when it is opened.
#[derive(Debug, Clone)]
pub struct Features {
    pub listing_md5: HashSource,
    /// An MD5 may be stored in the `md5chksum` user metadata (needs a HEAD to read).
    pub md5_in_metadata: bool,
    /// An MD5 can be computed by reading the object (cheap for local files only).
    pub md5_by_reading: bool,
    pub modtime: ModtimeSource,
    pub set_modtime: SetModtime,
    /// Writes carry rclone's `mtime` / `md5chksum` user metadata.
    pub writes_metadata: bool,
    /// How `mtime` is written, as rclone's backend for the service writes it.
    pub mtime_format: MtimeFormat,
    /// The smallest difference in modification time the backend keeps.
    pub modtime_precision: std::time::Duration,
    /// Multipart part size and parts in flight for writes (`None`: the service decides).
    pub write_chunk: Option<usize>,
    pub write_concurrency: usize,
    /// Objects of at least this size are written multipart (the streaming writer switches when
    /// the first part is full, so the effective threshold is `min(write_chunk, upload_cutoff)`).
    pub upload_cutoff: u64,
    /// The ETag returned by a single-part write is the hex MD5 of the content, so the engine
    /// can verify an upload it could not send Content-MD5 for.
    pub etag_is_md5_for_single_part: bool,
    /// Every part of a multipart write carries a checksum the server verifies before it
    /// stores the part (S3's `x-amz-checksum-crc32c`): a part damaged on the way is refused,
    /// so the engine need not hash the parts a second time to check the multipart ETag.
    pub parts_verified_by_server: bool,
    /// The listing's order is byte-wise sorted (object stores).
    pub sorted_listing: bool,
    /// Whether `list` must check that the root exists (file systems list a missing directory
    /// as empty), with [`Remote::root_exists`].
    pub check_root_exists: bool,
    /// Classifies objects that cannot be read as they are (e.g. OCI Archive tier).
    pub unreadable: Option<fn(&Metadata) -> Option<String>>,
    /// A top-level directory of the backend's own (partial files) that listings leave out.
    pub skip_prefix: Option<&'static str>,
    /// Turns the service's error into a kind and a message an operator can act on, where the
    /// generic mapping falls short (e.g. S3's NoSuchBucket is a missing root, not bad config).
    pub classify_error: Option<ErrorClassifier>,
    /// Which listed keys can be addressed exactly ([`Remote::check_key`]).
    pub keys: KeyRules,
    /// Pending multipart uploads, for `ocisync cleanup` (S3, OCI).
    pub uploads: Option<Arc<dyn MultipartUploads>>,
    /// Storage tiers, for `ocisync settier` (OCI).
    pub tiers: Option<Arc<dyn crate::tiers::StorageTiers>>,
    /// Computes an object's MD5 itself, faster than reading it through the operator (local
    /// files); [`Remote::read_md5`] uses it when set.
    pub md5_reader: Option<Arc<dyn Md5Reader>>,
    /// Where the root is, in a form two remotes can be compared by (service, endpoint, bucket,
    /// prefix; a file system's canonical directory), ending in `/`: a sync refuses a
    /// destination that overlaps its source. `None`: the backend cannot tell.
    pub location: Option<String>,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            listing_md5: HashSource::None,
            md5_in_metadata: false,
            md5_by_reading: false,
            modtime: ModtimeSource::Metadata,
            set_modtime: SetModtime::No,
            writes_metadata: true,
            mtime_format: MtimeFormat::UnixSeconds,
            modtime_precision: std::time::Duration::from_nanos(1),
            write_chunk: None,
            write_concurrency: 1,
            upload_cutoff: u64::MAX,
            etag_is_md5_for_single_part: false,
            parts_verified_by_server: false,
            sorted_listing: false,
            check_root_exists: false,
            unreadable: None,
            skip_prefix: None,
            classify_error: None,
            keys: KeyRules::default(),
            uploads: None,
            tiers: None,
            md5_reader: None,
            location: None,
        }
    }
}

/// Backend hook to compute an object's MD5 by reading it, the backend's own fastest way.
#[async_trait]
pub trait Md5Reader: Send + Sync + std::fmt::Debug {
    async fn md5(&self, path: &str) -> Result<Md5>;

    /// The MD5s of several objects, in order. By default each is read on its own, all at
    /// once; a reader that hashes several objects faster together (local files, side by side
    /// in vector lanes: [`crate::md5_lanes`]) overrides this.
    async fn md5_many(&self, paths: &[String]) -> Vec<Result<Md5>> {
        futures::future::join_all(paths.iter().map(|p| self.md5(p))).await
    }
}

/// Backend hook to change an object's modification time in place.
#[async_trait]
pub trait ModtimeSetter: Send + Sync {
    async fn set_modtime(&self, path: &str, mtime: Timestamp) -> Result<()>;
}

/// A remote ready for the engine.
#[derive(Clone)]
pub struct Remote {
    /// The configured name (`aws_s3`), or the connection string's backend (`:s3`), or `local`.
    pub name: String,
    /// What followed the colon: `bucket/prefix`, for messages.
    pub root: String,
    /// Rooted at `root`: paths given to it are relative.
    pub op: Operator,
    pub features: Features,
    pub modtime_setter: Option<Arc<dyn ModtimeSetter>>,
    /// Tells whether the root exists, where listing cannot (file systems).
    pub root_exists: Option<Arc<dyn Fn() -> RootState + Send + Sync>>,
}

/// What is at a remote's root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootState {
    Dir,
    File,
    Missing,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("name", &self.name)
            .field("root", &self.root)
            .finish()
    }
}

impl Remote {
    /// `name:root` as the operator typed it.
    pub fn display(&self) -> String {
        if self.name == "local" {
            self.root.clone()
        } else {
            format!("{}:{}", self.name, self.root)
        }
    }

    /// Fails, naming the key, when `path` (relative to the root, as listed) cannot be read,
    /// written or deleted as exactly that key here ([`KeyRules`]).
    pub fn check_key(&self, path: &str) -> Result<()> {
        match self.features.keys.check(path) {
            None => Ok(()),
            Some(why) => Err(Error::new(
                ErrorKind::Unsupported,
                format!("cannot be addressed exactly: {why}"),
            )
            .with_remote(self.name.clone())
            .with_path(path.to_string())),
        }
    }

    fn err(&self, e: Error, op: &'static str, path: &str) -> Error {
        e.with_remote(self.name.clone())
            .with_operation(op)
            .with_path(path.to_string())
    }

    /// An OpenDAL error from this remote, classified by the backend and located.
    pub fn error(&self, e: opendal::Error, op: &'static str, path: &str) -> Error {
        if let Some(err) = connect_failure(&e) {
            return self.err(err, op, path);
        }
        let base = match self.features.classify_error.and_then(|c| c(&e)) {
            Some((kind, message)) => {
                let mut err = Error::new(kind, message);
                err.retries_exhausted = e.is_persistent();
                err
            }
            None => Error::from_opendal(e),
        };
        self.err(base, op, path)
    }

    /// Lists the objects under the root (all levels when `recursive`), as they come.
    ///
    /// A root that does not exist is [`ErrorKind::DirNotFound`].
    pub async fn list(&self, recursive: bool) -> Result<BoxStream<'static, Result<ObjectInfo>>> {
        self.list_from(recursive, None).await
    }

    /// Whether [`Remote::list_after`] can list a key range: the listing is sorted and the
    /// service starts a listing after a given key (S3 `start-after`, OCI `startAfter`).
    pub fn lists_ranges(&self) -> bool {
        let cap = self.op.info().capability();
        self.features.sorted_listing && cap.list_with_start_after && cap.list_with_recursive
    }

    /// A recursive listing of the objects whose paths (relative to the root) sort after
    /// `after`, in order, with every guard of [`Remote::list`]. The engine's parallel listing
    /// lists key ranges with it; only for remotes that [`Remote::lists_ranges`].
    pub async fn list_after(
        &self,
        after: Option<&str>,
    ) -> Result<BoxStream<'static, Result<ObjectInfo>>> {
        self.list_from(true, after).await
    }

    async fn list_from(
        &self,
        recursive: bool,
        after: Option<&str>,
    ) -> Result<BoxStream<'static, Result<ObjectInfo>>> {
        if let Some(check) = self
            .root_exists
            .as_ref()
            .filter(|_| self.features.check_root_exists)
        {
            let problem = match check() {
                RootState::Dir => None,
                RootState::File => Some("is a file, not a directory"),
                RootState::Missing => Some("directory not found"),
            };
            if let Some(p) = problem {
                return Err(Error::new(ErrorKind::DirNotFound, p)
                    .with_remote(self.name.clone())
                    .with_operation("list")
                    .with_path(self.root.clone()));
            }
        }
        let mut list = self.op.lister_with("").recursive(recursive);
        if let Some(after) = after {
            list = list.start_after(after);
        }
        let lister = list.await.map_err(|e| self.root_error(e))?;
        let features = self.features.clone();
        let this = self.clone();
        // A range listing must also stay past its start (a server ignoring `start-after`
        // would list from the beginning again).
        let mut order = features.sorted_listing.then(|| Order {
            last_dir: after.map(str::to_string),
            last_file: after.map(str::to_string),
        });
        // OpenDAL turns listed names into paths with code that panics on a name outside the
        // prefix (the transport refuses such S3 pages first); whatever still panics in there
        // ends this listing with an error instead of the process.
        let guarded = std::panic::AssertUnwindSafe(lister)
            .catch_unwind()
            .map(|item| match item {
                Ok(entry) => entry,
                Err(panic) => Err(opendal::Error::new(
                    opendal::ErrorKind::Unexpected,
                    format!(
                        "the listing failed inside OpenDAL ({}); the server's answer is not \
                         a listing of this prefix",
                        panic_text(panic.as_ref())
                    ),
                )),
            });
        Ok(guarded
            .filter_map(move |entry| {
                let out = match entry {
                    Err(e) => Some(Err(this.root_error(e))),
                    Ok(entry) => {
                        let path = entry.path();
                        if let Some(order) = order.as_mut()
                            && let Err(e) = order.check(path, entry.metadata().is_dir())
                        {
                            return std::future::ready(Some(Err(Error::new(ErrorKind::Other, e)
                                .with_remote(this.name.clone())
                                .with_operation("list")
                                .with_path(this.root.clone()))));
                        }
                        // The root itself, and directory markers inside a recursive listing.
                        let own = features.skip_prefix.is_some_and(|p| {
                            path.strip_prefix(p)
                                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                        });
                        if own || path.is_empty() || path == "/" {
                            None
                        } else if recursive && path.ends_with('/') {
                            // An object named `x/` is a folder marker when empty; one with
                            // content is listed, so that it is reported rather than silently
                            // left behind (no OpenDAL call can read it).
                            marker_with_content(path, entry.metadata(), &features).map(Ok)
                        } else if entry.metadata().mode() == opendal::EntryMode::Unknown {
                            // Symlinks, sockets, devices: rclone skips them too (without -L).
                            tracing::warn!("{}: not a regular file or directory, skipped", path);
                            None
                        } else {
                            Some(Ok(info_from_metadata(
                                path,
                                entry.metadata(),
                                &features,
                                true,
                            )))
                        }
                    }
                };
                std::future::ready(out)
            })
            .boxed())
    }

    /// A missing bucket is a missing root: exit code 3 as in rclone.
    fn root_error(&self, e: opendal::Error) -> Error {
        let mut err = self.error(e, "list", &self.root);
        if err.kind == ErrorKind::NotFound {
            err.kind = ErrorKind::DirNotFound;
        }
        err
    }

    /// Everything the backend can say about one object (a HEAD for object stores).
    pub async fn stat(&self, path: &str) -> Result<ObjectInfo> {
        let meta = self
            .op
            .stat(path)
            .await
            .map_err(|e| self.error(e, "stat", path))?;
        Ok(info_from_metadata(path, &meta, &self.features, false))
    }

    /// Computes an object's MD5 by reading it (local files).
    pub async fn read_md5(&self, path: &str) -> Result<Md5> {
        if let Some(r) = &self.features.md5_reader {
            return r.md5(path).await.map_err(|e| self.err(e, "read", path));
        }
        let reader = self
            .op
            .reader_with(path)
            .chunk(1 << 20)
            .await
            .map_err(|e| self.error(e, "read", path))?;
        let mut stream = reader
            .into_stream(..)
            .await
            .map_err(|e| self.error(e, "read", path))?;
        let mut hasher = crate::fast_md5::Md5Hasher::new();
        while let Some(buf) = stream.next().await {
            let buf = buf.map_err(|e| self.error(e, "read", path))?;
            for chunk in buf {
                hasher.update(&chunk);
            }
        }
        Ok(hasher.finalize())
    }

    /// [`Remote::read_md5`] of several objects at once, in order: together where the backend
    /// hashes several objects faster so.
    pub async fn read_md5_many(&self, paths: &[String]) -> Vec<Result<Md5>> {
        match &self.features.md5_reader {
            Some(r) => r
                .md5_many(paths)
                .await
                .into_iter()
                .zip(paths)
                .map(|(md5, path)| md5.map_err(|e| self.err(e, "read", path)))
                .collect(),
            None => futures::future::join_all(paths.iter().map(|p| self.read_md5(p))).await,
        }
    }

    /// Changes the modification time in place, where the backend can.
    pub async fn set_modtime(&self, path: &str, mtime: Timestamp) -> Result<()> {
        match &self.modtime_setter {
            Some(s) => s
                .set_modtime(path, mtime)
                .await
                .map_err(|e| self.err(e, "set modtime", path)),
            None => Err(self.err(
                Error::new(ErrorKind::Unsupported, "cannot set modification time"),
                "set modtime",
                path,
            )),
        }
    }

    /// The user metadata to write with an object, in rclone's convention.
    pub fn write_metadata(
        &self,
        mtime: Option<Timestamp>,
        md5: Option<Md5>,
        multipart: bool,
    ) -> Option<HashMap<String, String>> {
        if !self.features.writes_metadata {
            return None;
        }
        let mut m = HashMap::new();
        if let Some(t) = mtime {
            let text = match self.features.mtime_format {
                MtimeFormat::UnixSeconds => format_mtime(t),
                // Nanoseconds always, as rclone's "2006-01-02T15:04:05.000000000Z07:00".
                MtimeFormat::Rfc3339 => format!(
                    "{}.{:09}Z",
                    t.strftime("%Y-%m-%dT%H:%M:%S"),
                    t.subsec_nanosecond().rem_euclid(1_000_000_000)
                ),
            };
            m.insert(META_MTIME.to_string(), text);
        }
        if let (Some(md5), true, true) = (md5, multipart, self.features.md5_in_metadata) {
            m.insert(META_MD5.to_string(), md5.to_base64());
        }
        (!m.is_empty()).then_some(m)
    }

    /// Whether a write of `size` bytes goes multipart.
    pub fn is_multipart(&self, size: u64) -> bool {
        match self.features.write_chunk {
            Some(chunk) => size >= self.features.upload_cutoff.min(chunk as u64) && size > 0,
            None => false,
        }
    }
}

/// Progress of a sorted listing: names must strictly increase — directories and files each
/// (a delimited S3 page gives its common prefixes before its objects). A server that repeats a
/// page, or hands out ever-new tokens for the same names, is stopped at the first repeat
/// instead of being listed forever.
#[derive(Debug, Default)]
struct Order {
    last_dir: Option<String>,
    last_file: Option<String>,
}

impl Order {
    fn check(&mut self, path: &str, is_dir: bool) -> std::result::Result<(), String> {
        if path.is_empty() || path == "/" {
            return Ok(());
        }
        let last = if is_dir {
            &mut self.last_dir
        } else {
            &mut self.last_file
        };
        if let Some(previous) = last.as_deref()
            && path <= previous
        {
            let what = if path == previous {
                "was listed twice"
            } else {
                "came after"
            };
            return Err(format!(
                "the listing is not progressing: {path:?} {what} {previous:?} (a repeated page \
                 or a broken pagination token); stopped"
            ));
        }
        // Reused rather than allocated anew for every listed key.
        let last = last.get_or_insert_with(String::new);
        last.clear();
        last.push_str(path);
        Ok(())
    }
}

/// A connection that could not be made, said as what it is: a host name that does not
/// resolve or a failed TLS handshake (retrying will not fix either), a refused connection or a
/// connect timeout (temporary: the run's retries try again; the request's were not spent on
/// it, see the transport).
fn connect_failure(e: &opendal::Error) -> Option<Error> {
    let mut cause = std::error::Error::source(e);
    let request = cause.and_then(|c| c.downcast_ref::<reqwest::Error>())?;
    if !request.is_connect() {
        return None;
    }
    // The chain's texts, and the deepest one (the actual reason).
    let mut texts = Vec::new();
    let mut io_kind = None;
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
        }
        texts.push(c.to_string());
        cause = c.source();
    }
    let all = texts.join(": ").to_ascii_lowercase();
    let reason = texts.last().cloned().unwrap_or_default();
    // OpenDAL keeps the request's URL in the error's context (its text); the host is enough.
    let shown = e.to_string();
    let host = shown
        .split_once("url: ")
        .and_then(|(_, rest)| url::Url::parse(rest.split([',', ' ']).next()?).ok())
        .and_then(|u| u.host_str().map(str::to_string));
    let (kind, message) = if all.contains("dns error") || all.contains("lookup address") {
        (
            ErrorKind::Other,
            match host {
                Some(h) => format!("cannot resolve the endpoint's host name {h}: {reason}"),
                None => format!("cannot resolve the endpoint's host name: {reason}"),
            },
        )
    } else if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
        (
            ErrorKind::Temporary,
            format!(
                "the endpoint refused the connection (is the service up, the port right?): {reason}"
            ),
        )
    } else if request.is_timeout() || io_kind == Some(std::io::ErrorKind::TimedOut) {
        (
            ErrorKind::Temporary,
            format!("the endpoint did not accept a connection in time: {reason}"),
        )
    } else if all.contains("certificate")
        || all.contains("tls")
        || all.contains("handshake")
        || all.contains("corrupt message")
    {
        (
            ErrorKind::Other,
            format!("the TLS handshake with the endpoint failed: {reason}"),
        )
    } else {
        (
            ErrorKind::Temporary,
            format!("could not connect to the endpoint: {reason}"),
        )
    };
    let mut err = Error::new(kind, message);
    // Not worth another try of the same object at once (the run's retries try again).
    err.retries_exhausted = true;
    Some(err)
}

/// A panic's message, when it has one.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".to_string())
}

/// Turns OpenDAL metadata into an [`ObjectInfo`] by the backend's [`Features`].
pub fn info_from_metadata(
    path: &str,
    meta: &Metadata,
    f: &Features,
    from_listing: bool,
) -> ObjectInfo {
    let user = meta.user_metadata();
    let meta_mtime = user
        .as_ref()
        .and_then(|u| u.get(META_MTIME))
        .and_then(parse_mtime);
    let meta_md5 = user
        .as_ref()
        .and_then(|u| u.get(META_MD5))
        .and_then(Md5::from_base64);
    let listed_md5 = match f.listing_md5 {
        HashSource::None => None,
        HashSource::ContentMd5 => meta.content_md5().and_then(Md5::parse),
        HashSource::EtagIfMd5 => meta.etag().and_then(Md5::from_hex),
    };
    let md5 = listed_md5.or(meta_md5);
    let (mtime, mtime_exact) = match (meta_mtime, f.modtime) {
        (Some(t), _) => (Some(t), true),
        (None, ModtimeSource::Native) => (meta.last_modified().map(to_jiff), true),
        // After a HEAD without `mtime` metadata, the server time is all there is: exact.
        (None, ModtimeSource::Metadata) => (meta.last_modified().map(to_jiff), !from_listing),
    };
    let md5_obtainable = md5.is_none() && ((f.md5_in_metadata && from_listing) || f.md5_by_reading);
    ObjectInfo {
        // As listed: a leading '/' is part of the key (and makes it unaddressable).
        path: path.into(),
        is_dir: meta.is_dir(),
        size: meta.content_length(),
        mtime,
        mtime_exact,
        md5,
        md5_obtainable,
        unreadable: f.unreadable.and_then(|u| u(meta)).map(Into::into),
        content_type: meta.content_type().map(Into::into),
        etag: meta.etag().map(Into::into),
    }
}

/// A recursive listing's `x/` entry as an object, when its listed MD5 says it has content
/// (an empty marker's MD5 is that of nothing). Without a listed MD5 it cannot be told from a
/// marker and is left out, as markers are.
fn marker_with_content(path: &str, meta: &Metadata, f: &Features) -> Option<ObjectInfo> {
    let md5 = match f.listing_md5 {
        HashSource::None => None,
        HashSource::ContentMd5 => meta.content_md5().and_then(Md5::parse),
        HashSource::EtagIfMd5 => meta.etag().and_then(Md5::from_hex),
    }?;
    if md5 == Md5::of(b"") {
        return None;
    }
    let mut info = info_from_metadata(path, meta, f, true);
    info.is_dir = false;
    info.md5 = Some(md5);
    Some(info)
}

/// OpenDAL's timestamp to jiff's.
pub fn to_jiff(t: opendal::raw::Timestamp) -> Timestamp {
    t.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_listings_must_progress() {
        let mut o = Order::default();
        for (p, dir) in [
            ("a/", true),
            ("b/", true),
            ("a.csv", false),
            ("c/", true),
            ("b.csv", false),
        ] {
            assert_eq!(o.check(p, dir), Ok(()), "{p}");
        }
        let e = o.check("b.csv", false).unwrap_err();
        assert!(e.contains("listed twice"), "{e}");
        let e = o.check("a.csv", false).unwrap_err();
        assert!(e.contains("came after"), "{e}");
        assert!(o.check("b/", true).is_err());
    }
}
