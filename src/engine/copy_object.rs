//! Copies one object: a streaming GET piped into a streaming (multipart when large) write,
//! hashing on the way so the bytes written are proven equal to the source's.
//!
//! Nothing holds a whole object: memory per transfer is the write chunk times the parts in
//! flight. The modification time and MD5 written are the source's, in rclone's metadata keys.
//! Corruption is caught twice: the MD5 of the bytes read must match the source's listed MD5
//! (checked before the write is committed, so a bad copy is aborted, not published), and where
//! the destination's ETag is an MD5 (S3 single-part) or an MD5 of part MD5s (S3 multipart), it
//! must match what was sent.
//!
//! The object read must be the one listed: the GET carries the listed ETag as `If-Match` (a
//! replaced object is refused, also on a resumed range read, so versions never mix), the bytes
//! read must be exactly the listed size (a body that ends early or runs long is never
//! committed), and a local file must still have its listed size and time after it was read.
//! When the source did change, the copy is retried from the new version, or reported as
//! "source changed during copy". A stop (SIGTERM, `--max-duration`) aborts the upload.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use ocisync_backend::object::parse_mtime;
use ocisync_backend::remote::{META_MD5, META_MTIME, to_jiff};
use ocisync_backend::{
    Error, ErrorKind, Md5, ModtimeSource, ObjectInfo, Remote, Result, SetModtime,
};

use super::hash::{CopyHashes, PartHasher};
use super::rules::CopyOptions;
use super::stats::{Stats, human_bytes};
use crate::mime;

/// Attempts per object for faults a retry may cure (each request is also retried by the
/// backend's retry layer; this covers failures in the middle of a stream).
const ATTEMPTS: u32 = 3;

/// The largest object written to a service that takes a file in one request (WebDAV): the
/// whole object is in memory while it is sent.
const ONE_REQUEST_MAX: u64 = 1 << 30;

/// Why one attempt failed.
enum Failure {
    /// The run is stopping: the upload was aborted; no retry.
    Stopped(Error),
    /// What was read may not be the listed object (a refused `If-Match`, a size or MD5 that
    /// does not match, a local file that changed): the source is looked at again.
    Suspect(Error),
    /// The run is stopping and a write in flight did not end in time: the writer cannot abort
    /// (OpenDAL's retry layer refuses once a call was dropped), so the upload is aborted by its
    /// id, from the service's list of pending uploads.
    Abandoned(Error),
    Other(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Other(e)
    }
}

/// Where and how one object is written: its destination key when it differs from its source
/// key (copyto, moveto, backups), and rclone's copy flags ([`CopyOptions`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct CopyTo<'a> {
    pub path: Option<&'a str>,
    pub options: Option<&'a CopyOptions>,
}

/// Copies `obj` from `src` to `dst`, retrying temporary failures and following a source that
/// changed since it was listed.
pub async fn copy(src: &Remote, dst: &Remote, obj: &ObjectInfo, stats: &Stats) -> Result<()> {
    copy_to(src, dst, obj, stats, CopyTo::default()).await
}

/// [`copy`], to another key and/or with rclone's copy flags.
pub async fn copy_to(
    src: &Remote,
    dst: &Remote,
    obj: &ObjectInfo,
    stats: &Stats,
    to: CopyTo<'_>,
) -> Result<()> {
    let mut current = obj.clone();
    let mut attempt = 1;
    loop {
        let moved = AtomicU64::new(0);
        let failure = match copy_once(src, dst, &current, stats, &moved, to).await {
            Ok(()) => return Ok(()),
            Err(f) => f,
        };
        stats.bytes.fetch_sub(moved.load(Relaxed), Relaxed);
        let e = match failure {
            Failure::Stopped(e) | Failure::Abandoned(e) => return Err(e),
            Failure::Other(e) => e,
            Failure::Suspect(e) => match source_now(src, &current, e).await {
                Ok(now) if attempt < ATTEMPTS => {
                    tracing::info!(
                        object = %current.path,
                        "source changed during copy ({}); copying the new version",
                        what_changed(&current, &now)
                    );
                    current = now;
                    attempt += 1;
                    continue;
                }
                Ok(now) => {
                    return Err(changed(src, &current, &what_changed(&current, &now)));
                }
                Err(e) => e,
            },
        };
        // Faults in the middle of a stream (cut bodies, bad checksums) get another try here;
        // requests the retry layer already retried to exhaustion do not.
        let retry = e.kind == ErrorKind::Corrupted
            || (e.kind == ErrorKind::Temporary && !e.retries_exhausted);
        if !retry || attempt >= ATTEMPTS || stats.stop_requested() {
            return Err(e);
        }
        tracing::debug!(
            "{}: attempt {attempt}/{ATTEMPTS} failed, retrying: {e}",
            current.path
        );
        tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
        attempt += 1;
    }
}

/// After a suspect read: the source as it is now, when it differs from what was being copied
/// (`Ok`), or the error to report (`Err`: the read's own error when the source is unchanged,
/// a clear one when it is gone).
async fn source_now(src: &Remote, was: &ObjectInfo, read_error: Error) -> Result<ObjectInfo> {
    match src.stat(&was.path).await {
        Ok(now) if what_changed_opt(was, &now).is_some() => Ok(now),
        Ok(_) => Err(read_error),
        Err(e) if e.kind == ErrorKind::NotFound => Err(Error::new(
            ErrorKind::Temporary,
            "source changed during copy: the object was deleted after it was listed",
        )
        .with_remote(src.name.clone())
        .with_operation("read")
        .with_path(&*was.path)),
        Err(_) => Err(read_error),
    }
}

/// What differs between the object being copied and the source's current one, if anything.
fn what_changed_opt(was: &ObjectInfo, now: &ObjectInfo) -> Option<String> {
    if was.size != now.size {
        return Some(format!("size {} is now {}", was.size, now.size));
    }
    if let (Some(a), Some(b)) = (&was.etag, &now.etag)
        && a != b
    {
        return Some(format!("ETag {a} is now {b}"));
    }
    if let (Some(a), Some(b)) = (was.md5, now.md5)
        && a != b
    {
        return Some(format!("MD5 {a} is now {b}"));
    }
    if was.mtime_exact
        && now.mtime_exact
        && let (Some(a), Some(b)) = (was.mtime, now.mtime)
        && a != b
    {
        return Some(format!("modified {a} is now {b}"));
    }
    None
}

fn what_changed(was: &ObjectInfo, now: &ObjectInfo) -> String {
    what_changed_opt(was, now).unwrap_or_else(|| "replaced".into())
}

/// The error of a source that kept changing through every attempt: a later run copies it.
fn changed(src: &Remote, obj: &ObjectInfo, what: &str) -> Error {
    Error::new(
        ErrorKind::Temporary,
        format!("source changed during copy ({what}); not copied, the next run will"),
    )
    .with_remote(src.name.clone())
    .with_operation("read")
    .with_path(&*obj.path)
}

/// What the source says about the object being copied: from its listing, from the GET's own
/// headers (user metadata without a HEAD), or from reading a local file first.
struct SourceFacts {
    /// The modification time to write (rclone's `mtime` metadata wins over listing times).
    mtime: Option<Timestamp>,
    /// The MD5 the bytes read must have, if anyone knows it.
    expected: Option<Md5>,
    content_type: Option<String>,
    /// The GET's user metadata and content headers, for `-M`.
    user: Option<std::collections::HashMap<String, String>>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
}

/// Runs `fut` unless the run is stopping.
async fn unless_stopped<T>(stats: &Stats, fut: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        biased;
        _ = stats.stopped() => None,
        out = fut => Some(out),
    }
}

/// How long a stopping run lets a write or commit in flight end before giving up on it.
const WRITE_GRACE: Duration = Duration::from_secs(10);

/// Writes one buffer; when the run stops meanwhile, the write in flight is let end (dropping it
/// would leave OpenDAL's writer unable to abort) for up to [`WRITE_GRACE`].
async fn write_unless_stopped(
    stats: &Stats,
    dst: &Remote,
    path: &str,
    writer: &mut opendal::Writer,
    buf: opendal::Buffer,
) -> std::result::Result<(), Failure> {
    let mut write = Box::pin(writer.write(buf));
    let done = tokio::select! {
        biased;
        r = &mut write => Some(r),
        _ = stats.stopped() => None,
    };
    match done {
        Some(r) => r.map_err(|e| Failure::Other(dst.error(e, "write", path))),
        None => match tokio::time::timeout(WRITE_GRACE, &mut write).await {
            Ok(_) => Err(Failure::Stopped(stopped_error(dst, path))),
            Err(_) => Err(Failure::Abandoned(stopped_error(dst, path))),
        },
    }
}

/// Aborts, by its id, the pending multipart upload of `path` a dropped writer left behind
/// (S3 and OCI list them; elsewhere there is nothing to abort: a local partial file goes with
/// its writer).
async fn abort_out_of_band(dst: &Remote, path: &str) {
    let Some(uploads) = &dst.features.uploads else {
        return;
    };
    let full = dst.features.keys.prefix_bytes + path.len();
    match uploads.list().await {
        Ok(pending) => {
            for u in pending
                .iter()
                .filter(|u| u.key.len() == full && u.key.ends_with(path))
            {
                match uploads.abort(u).await {
                    Ok(()) => tracing::debug!(object = %path, "aborted multipart upload {}", u.id),
                    Err(e) => tracing::warn!(
                        object = %path,
                        "the upload in flight could not be aborted ({e}); `ocisync cleanup` will"
                    ),
                }
            }
        }
        Err(e) => tracing::warn!(
            object = %path,
            "the upload in flight could not be aborted ({e}); `ocisync cleanup` will"
        ),
    }
}

fn stopped_error(dst: &Remote, path: &str) -> Error {
    Error::new(
        ErrorKind::Other,
        "the run was stopped: the upload was aborted, nothing was committed",
    )
    .with_remote(dst.name.clone())
    .with_operation("write")
    .with_path(path)
}

/// The object and both ends of one copy attempt.
struct Attempt<'a> {
    src: &'a Remote,
    dst: &'a Remote,
    obj: &'a ObjectInfo,
    /// The destination's key (the source is always read as `obj.path`).
    path: &'a str,
    stats: &'a Stats,
}

impl Attempt<'_> {
    fn stopped(&self) -> Failure {
        Failure::Stopped(stopped_error(self.dst, self.path))
    }
}

async fn copy_once(
    src: &Remote,
    dst: &Remote,
    obj: &ObjectInfo,
    stats: &Stats,
    moved: &AtomicU64,
    to: CopyTo<'_>,
) -> std::result::Result<(), Failure> {
    let path: &str = to.path.unwrap_or(&obj.path);
    let a = Attempt {
        src,
        dst,
        obj,
        path,
        stats,
    };
    let default_options = CopyOptions::default();
    let options = to.options.unwrap_or(&default_options);
    let multipart = dst.is_multipart(obj.size);
    let precomputed = precompute_md5(&a, multipart).await?;
    // Nothing is written yet: a stop while the GET is answered just ends the copy.
    let (mut stream, facts) = unless_stopped(stats, open_source(src, obj, precomputed))
        .await
        .ok_or_else(|| a.stopped())??;
    let mut writer = unless_stopped(
        stats,
        open_writer(dst, obj, path, &facts, multipart, options),
    )
    .await
    .ok_or_else(|| a.stopped())??;
    // Part MD5s are a second full pass of MD5 over the data, needed only to check an S3
    // multipart ETag: single-part uploads are checked against the whole object's. Where the
    // server verifies a checksum sent with every part, that check is already made, per part
    // and before anything is stored, and the pass is skipped (a third of W3's CPU).
    let check_parts = multipart
        && dst.features.etag_is_md5_for_single_part
        && !dst.features.parts_verified_by_server;
    let mut hashes = CopyHashes::new(obj.size, dst.features.write_chunk.filter(|_| check_parts));
    let total = match pipe(&a, moved, &mut stream, &mut writer, &mut hashes).await {
        Ok(total) => total,
        Err(Failure::Abandoned(e)) => {
            abort_out_of_band(dst, path).await;
            return Err(Failure::Stopped(e));
        }
        Err(f) => return Err(abort(&mut writer, f).await),
    };
    let hashed = match hashes.finish().await {
        Ok(h) => h,
        Err(e) => return Err(abort(&mut writer, Failure::Other(e)).await),
    };
    // --ignore-checksum: the size is still checked; the source's MD5 is not.
    let expected = facts.expected.filter(|_| !options.ignore_checksum);
    if let Err(f) = check_read(src, obj, total, hashed.whole, expected) {
        return Err(abort(&mut writer, f).await);
    }
    if let Err(f) = check_local_source(src, obj).await {
        return Err(abort(&mut writer, f).await);
    }
    let written = commit(&a, writer).await?;
    check_etag(dst, path, &written, hashed.whole, hashed.parts).await?;
    check_stored_size(dst, path, &written, total).await?;
    if let (SetModtime::Yes, false, Some(t)) = (
        dst.features.set_modtime,
        dst.features.writes_metadata,
        facts.mtime,
    ) {
        dst.set_modtime(path, t).await?;
    }
    Ok(())
}

/// rclone stores the MD5 of multipart uploads in metadata; for a local source that means
/// reading the file before sending it, as rclone does.
async fn precompute_md5(
    a: &Attempt<'_>,
    multipart: bool,
) -> std::result::Result<Option<Md5>, Failure> {
    let (src, dst) = (a.src, a.dst);
    if !(multipart
        && a.obj.md5.is_none()
        && src.features.md5_by_reading
        && dst.features.md5_in_metadata)
    {
        return Ok(None);
    }
    let md5 = unless_stopped(a.stats, src.read_md5(&a.obj.path)).await;
    Ok(Some(md5.ok_or_else(|| a.stopped())??))
}

/// Streams the body into the writer, hashing on the way; returns the bytes moved. A body that
/// runs past the listed size stops before anything more is sent.
async fn pipe(
    a: &Attempt<'_>,
    moved: &AtomicU64,
    stream: &mut opendal::BufferStream,
    writer: &mut opendal::Writer,
    hashes: &mut CopyHashes,
) -> std::result::Result<u64, Failure> {
    let (src, obj) = (a.src, a.obj);
    // `--bwlimit-file`: this object's own bucket.
    let file_bucket = crate::throttle::file_bucket();
    let sides = crate::throttle::Sides {
        download: !src.features.check_root_exists,
        upload: !a.dst.features.check_root_exists,
    };
    let mut total = 0u64;
    loop {
        let next = unless_stopped(a.stats, stream.next())
            .await
            .ok_or_else(|| a.stopped())?;
        let Some(buf) = next else { break };
        let buf = buf.map_err(|e| src.error(e, "read", &obj.path))?;
        let n = buf.len() as u64;
        total += n;
        if total > obj.size {
            return Err(Failure::Suspect(read_error(
                src,
                obj,
                ErrorKind::Temporary,
                format!(
                    "the source sent more than the {} bytes listed (object changed?)",
                    obj.size
                ),
            )));
        }
        for bytes in buf.clone() {
            hashes.update(&bytes).await;
        }
        crate::throttle::transfer(n, sides, file_bucket.as_ref()).await;
        moved.fetch_add(n, Relaxed);
        a.stats.bytes.fetch_add(n, Relaxed);
        write_unless_stopped(a.stats, a.dst, a.path, writer, buf).await?;
    }
    Ok(total)
}

/// Closes the writer: the upload is committed. Stopping while the last parts go up or the
/// commit is under way drops it and aborts the upload by its id (an abort after the commit
/// finds nothing: the object is then whole and checked).
async fn commit(
    a: &Attempt<'_>,
    mut writer: opendal::Writer,
) -> std::result::Result<opendal::Metadata, Failure> {
    let mut close = Box::pin(writer.close());
    let done = tokio::select! {
        biased;
        r = &mut close => Some(r),
        _ = a.stats.stopped() => None,
    };
    match done {
        Some(r) => Ok(r.map_err(|e| a.dst.error(e, "write", a.path))?),
        None => {
            drop(close);
            abort_out_of_band(a.dst, a.path).await;
            Err(a.stopped())
        }
    }
}

/// A file system says what it stored: it must be what was sent (a full disk must never leave
/// a short file in place of a copy).
async fn check_stored_size(
    dst: &Remote,
    path: &str,
    written: &opendal::Metadata,
    total: u64,
) -> Result<()> {
    if dst.features.modtime != ModtimeSource::Native || written.content_length() == total {
        return Ok(());
    }
    let _ = dst.op.delete(path).await;
    Err(Error::new(
        ErrorKind::Corrupted,
        format!(
            "the file system stored {} bytes, {total} were written; file removed",
            written.content_length()
        ),
    )
    .with_remote(dst.name.clone())
    .with_operation("write")
    .with_path(path))
}

fn read_error(src: &Remote, obj: &ObjectInfo, kind: ErrorKind, message: String) -> Error {
    Error::new(kind, message)
        .with_remote(src.name.clone())
        .with_operation("read")
        .with_path(&*obj.path)
}

/// A file system source has no ETag to read against: after reading, the file must still have
/// its listed size and modification time (as rclone checks), or it changed while being read.
async fn check_local_source(src: &Remote, obj: &ObjectInfo) -> std::result::Result<(), Failure> {
    if src.features.modtime != ModtimeSource::Native || obj.etag.is_some() || !obj.mtime_exact {
        return Ok(());
    }
    let now = src.stat(&obj.path).await?;
    match what_changed_opt(obj, &now) {
        None => Ok(()),
        Some(what) => Err(Failure::Suspect(read_error(
            src,
            obj,
            ErrorKind::Temporary,
            format!("the file changed while it was read ({what})"),
        ))),
    }
}

/// Starts the GET and reads what its headers say.
async fn open_source(
    src: &Remote,
    obj: &ObjectInfo,
    precomputed: Option<Md5>,
) -> std::result::Result<(opendal::BufferStream, SourceFacts), Failure> {
    let path: &str = &obj.path;
    let mut read = src.op.reader_with(path).content_length_hint(obj.size);
    // The listed version or nothing: a replaced object is refused (412), and so is a range
    // read resuming a cut stream from a newer version.
    if let Some(etag) = obj
        .etag
        .as_deref()
        .filter(|_| src.op.info().capability().read_with_if_match)
    {
        read = read.if_match(etag);
    }
    let reader = read.await.map_err(|e| read_failure(src, obj, e))?;
    let mut stream = reader
        .into_stream(..)
        .await
        .map_err(|e| read_failure(src, obj, e))?;
    // The GET's own headers: user metadata (mtime, md5chksum) without a HEAD. Asking opens the
    // GET: its failure is the read's (swallowed, an empty object would be written as empty
    // whatever the server said — a refused `If-Match` included).
    let meta = match stream.metadata().await {
        Ok(m) => Some(m),
        Err(e) if e.kind() == opendal::ErrorKind::Unsupported => None,
        Err(e) => return Err(read_failure(src, obj, e)),
    };
    let user = meta.as_ref().and_then(|m| m.user_metadata());
    let meta_mtime = user
        .as_ref()
        .and_then(|u| u.get(META_MTIME))
        .and_then(parse_mtime);
    let mtime: Option<Timestamp> = meta_mtime
        .or(if obj.mtime_exact { obj.mtime } else { None })
        .or_else(|| {
            meta.as_ref()
                .and_then(|m| m.last_modified())
                .map(to_jiff)
                .or(obj.mtime)
        });
    let expected = obj
        .md5
        .or(precomputed)
        .or_else(|| {
            meta.as_ref()
                .and_then(|m| m.content_md5())
                .and_then(Md5::parse)
        })
        .or_else(|| {
            user.as_ref()
                .and_then(|u| u.get(META_MD5))
                .and_then(Md5::from_base64)
        });
    let content_type = obj
        .content_type
        .as_deref()
        .or_else(|| meta.as_ref().and_then(|m| m.content_type()))
        .map(str::to_string);
    let header =
        |f: fn(&opendal::Metadata) -> Option<&str>| meta.as_ref().and_then(f).map(str::to_string);
    Ok((
        stream,
        SourceFacts {
            mtime,
            expected,
            content_type,
            cache_control: header(opendal::Metadata::cache_control),
            content_disposition: header(opendal::Metadata::content_disposition),
            content_encoding: header(opendal::Metadata::content_encoding),
            user: user.map(|u| {
                u.into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            }),
        },
    ))
}

/// A refused `If-Match` means the object was replaced since it was listed.
fn read_failure(src: &Remote, obj: &ObjectInfo, e: opendal::Error) -> Failure {
    if e.kind() == opendal::ErrorKind::ConditionNotMatch {
        return Failure::Suspect(read_error(
            src,
            obj,
            ErrorKind::Temporary,
            "source changed during copy: the object is no longer the version listed".into(),
        ));
    }
    Failure::Other(src.error(e, "read", &obj.path))
}

/// Opens the destination write (of `path`), with the source's time and MD5 as metadata, and
/// what `-M` and `--header-upload` add.
async fn open_writer(
    dst: &Remote,
    obj: &ObjectInfo,
    path: &str,
    facts: &SourceFacts,
    multipart: bool,
    options: &CopyOptions,
) -> Result<opendal::Writer> {
    let mut w = dst.op.writer_with(path);
    if let Some(chunk) = dst.features.write_chunk {
        w = w.chunk(chunk).concurrent(dst.features.write_concurrency);
    } else if !dst.op.info().capability().write_can_multi {
        // A service that takes a file in one request only (WebDAV): the streamed pieces are
        // gathered into that one request.
        fits_one_request(dst, obj, path)?;
        w = w.chunk((obj.size as usize).max(1));
    }
    let h = write_headers(dst, path, facts, multipart, options);
    use opendal::operator_futures::FutureWriter;
    for (v, set) in [
        (
            h.cache_control,
            FutureWriter::cache_control as fn(_, &str) -> _,
        ),
        (h.content_disposition, FutureWriter::content_disposition),
        (h.content_encoding, FutureWriter::content_encoding),
        (h.content_type, FutureWriter::content_type),
    ] {
        if let Some(v) = v {
            w = set(w, &v);
        }
    }
    if let Some(m) = h.user {
        w = w.user_metadata(m);
    }
    w.await.map_err(|e| dst.error(e, "write", path))
}

/// A one-request service holds the whole file in memory while it is sent: bounded here
/// rather than discovered by the kernel's OOM killer.
fn fits_one_request(dst: &Remote, obj: &ObjectInfo, path: &str) -> Result<()> {
    if obj.size <= ONE_REQUEST_MAX {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Unsupported,
        format!(
            "{} takes a file in one request only and this one is {} (over {}): \
             not uploaded, as it would be held in memory whole",
            dst.name,
            human_bytes(obj.size),
            human_bytes(ONE_REQUEST_MAX)
        ),
    )
    .with_remote(dst.name.clone())
    .with_operation("write")
    .with_path(path))
}

/// What a write carries besides the bytes.
#[derive(Default)]
struct WriteHeaders {
    user: Option<std::collections::HashMap<String, String>>,
    content_type: Option<String>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
}

/// rclone's metadata (time, MD5) where the destination keeps it; with `-M` the source's user
/// metadata (rclone's own keys stay ours) and content headers; `--header-upload` over both.
fn write_headers(
    dst: &Remote,
    path: &str,
    facts: &SourceFacts,
    multipart: bool,
    options: &CopyOptions,
) -> WriteHeaders {
    let mut user = dst.write_metadata(facts.mtime, facts.expected, multipart);
    if !dst.features.writes_metadata {
        return WriteHeaders {
            user,
            ..WriteHeaders::default()
        };
    }
    let h = &options.headers;
    let mut extra: Vec<(String, String)> = Vec::new();
    let mut from_source = WriteHeaders::default();
    if options.metadata {
        extra.extend(
            facts
                .user
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        from_source.cache_control = facts.cache_control.clone();
        from_source.content_disposition = facts.content_disposition.clone();
        from_source.content_encoding = facts.content_encoding.clone();
    }
    extra.extend(h.metadata.iter().cloned());
    if !extra.is_empty() {
        let m = user.get_or_insert_with(Default::default);
        for (k, v) in extra {
            m.entry(k).or_insert(v);
        }
    }
    let content_type = h
        .content_type
        .clone()
        .or_else(|| facts.content_type.clone())
        .unwrap_or_else(|| mime::guess(path).to_string());
    WriteHeaders {
        user,
        content_type: Some(content_type),
        cache_control: h.cache_control.clone().or(from_source.cache_control),
        content_disposition: h
            .content_disposition
            .clone()
            .or(from_source.content_disposition),
        content_encoding: h.content_encoding.clone().or(from_source.content_encoding),
    }
}

/// The bytes read must be the whole object and, when its MD5 is known, that MD5 — checked
/// before the write is committed, so a bad copy is aborted, not published. Either failing is
/// suspect: the source may have changed since it was listed.
fn check_read(
    src: &Remote,
    obj: &ObjectInfo,
    total: u64,
    sent: Md5,
    expected: Option<Md5>,
) -> std::result::Result<(), Failure> {
    if total != obj.size {
        return Err(Failure::Suspect(read_error(
            src,
            obj,
            ErrorKind::Temporary,
            format!(
                "read {total} bytes, expected {} (object changed or body cut short)",
                obj.size
            ),
        )));
    }
    match expected {
        Some(exp) if exp != sent => Err(Failure::Suspect(read_error(
            src,
            obj,
            ErrorKind::Corrupted,
            format!("MD5 of the data read is {sent}, the source says {exp}"),
        ))),
        _ => Ok(()),
    }
}

/// Where the destination's ETag is an MD5 (S3 single-part) or an MD5 of part MD5s (S3
/// multipart), it must match what was sent; a mismatching upload is deleted.
async fn check_etag(
    dst: &Remote,
    path: &str,
    written: &opendal::Metadata,
    sent: Md5,
    parts: PartHasher,
) -> Result<()> {
    if !dst.features.etag_is_md5_for_single_part {
        return Ok(());
    }
    let Some(etag) = written.etag() else {
        return Ok(());
    };
    let etag = etag.trim_matches('"');
    let expected_etag = if etag.contains('-') {
        parts.multipart_etag()
    } else {
        Some(sent.to_hex())
    };
    if let Some(expected_etag) = expected_etag.filter(|e| !etag.eq_ignore_ascii_case(e)) {
        let _ = dst.op.delete(path).await;
        return Err(Error::new(
            ErrorKind::Corrupted,
            format!(
                "the server's ETag {etag} does not match the data sent ({expected_etag}); upload removed"
            ),
        )
        .with_remote(dst.name.clone())
        .with_operation("write")
        .with_path(path));
    }
    Ok(())
}

/// Drops a write in progress: nothing is published (multipart parts are aborted, partial local
/// files removed).
async fn abort(writer: &mut opendal::Writer, f: Failure) -> Failure {
    if let Err(abort_err) = writer.abort().await {
        tracing::debug!("abort after failed write: {abort_err}");
    }
    f
}
