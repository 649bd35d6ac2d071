//! `cat` (objects to stdout, whole or a byte range: `--offset`, `--count`, `--head`, `--tail`)
//! and `rcat` (stdin to an object, streamed: multipart in chunk_size parts, the MD5 checked).

use std::io::Write;

use futures::StreamExt;
use md5::Digest;
use ocisync_backend::{Md5, ObjectInfo};
use std::io::Read;

use super::objects::{self, Failure, Target, walk};
use crate::cli::{CatArgs, RcatArgs};
use crate::exitcode;
use crate::filter::Filter;
use crate::resolve::Resolver;

/// The byte range to print of each object: rclone's offset/count after `--head`/`--tail`.
fn range(a: &CatArgs) -> Result<(i64, i64), Failure> {
    let used_offset = a.offset != 0 || a.count >= 0;
    let (head, tail) = (a.head > 0, a.tail > 0);
    if [head, tail, used_offset].iter().filter(|b| **b).count() > 1 {
        return Err(Failure::new(
            exitcode::USAGE,
            "Can only use one of  --head, --tail or --offset with --count",
        ));
    }
    Ok(if head {
        (0, a.head)
    } else if tail {
        (-a.tail, -1)
    } else {
        (a.offset, a.count)
    })
}

/// `cat PATH`.
pub async fn cat(resolver: &Resolver, a: &CatArgs, filter: &Filter) -> u8 {
    objects::finish(cat_inner(resolver, a, filter).await)
}

async fn cat_inner(resolver: &Resolver, a: &CatArgs, filter: &Filter) -> Result<u8, Failure> {
    let (offset, count) = range(a)?;
    let (remote, objs) = match objects::target(resolver, &a.target.remote).await? {
        Target::File { parent, obj } => (parent, vec![obj]),
        Target::Dir(remote) => {
            let objs: Vec<ObjectInfo> = walk(&remote, filter)
                .await?
                .into_iter()
                .filter(|o| !o.is_dir)
                .collect();
            (remote, objs)
        }
    };
    let mut errors = 0u64;
    let mut out = std::io::stdout().lock();
    for o in objs {
        let size = o.size as i64;
        let start = if offset < 0 {
            (size + offset).max(0)
        } else {
            offset.min(size)
        };
        let end = if count >= 0 {
            (start + count).min(size)
        } else {
            size
        };
        if let Err(e) = copy_range(&remote, &o, start as u64, end as u64, a.discard, &mut out).await
        {
            errors += 1;
            tracing::error!(object = %o.path, "Failed to open: {e}");
            continue;
        }
        if !a.separator.is_empty() && !a.discard {
            let _ = out.write_all(a.separator.as_bytes());
        }
    }
    let _ = out.flush();
    Ok(if errors > 0 {
        exitcode::UNCATEGORIZED
    } else {
        exitcode::SUCCESS
    })
}

/// Streams bytes `start..end` of `o` to `out` (or reads and drops them).
async fn copy_range(
    remote: &ocisync_backend::Remote,
    o: &ObjectInfo,
    start: u64,
    end: u64,
    discard: bool,
    out: &mut impl Write,
) -> ocisync_backend::Result<()> {
    if end <= start {
        return Ok(());
    }
    let reader = remote
        .op
        .reader_with(&o.path)
        .chunk(1 << 20)
        .await
        .map_err(|e| remote.error(e, "read", &o.path))?;
    let mut stream = reader
        .into_stream(start..end)
        .await
        .map_err(|e| remote.error(e, "read", &o.path))?;
    while let Some(buf) = stream.next().await {
        let buf = buf.map_err(|e| remote.error(e, "read", &o.path))?;
        crate::throttle::bytes(buf.len() as u64, None).await;
        if !discard {
            for chunk in buf {
                if out.write_all(&chunk).is_err() {
                    // stdout closed (`| head`): stop quietly.
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// `rcat PATH`: stdin to one object, streamed (never held whole), with rclone's `mtime`.
pub async fn rcat(resolver: &Resolver, a: &RcatArgs, dry_run: bool) -> u8 {
    objects::finish(rcat_inner(resolver, a, dry_run).await)
}

async fn rcat_inner(resolver: &Resolver, a: &RcatArgs, dry_run: bool) -> Result<u8, Failure> {
    let (remote, name) = objects::dst_file(resolver, &a.target.remote).await?;
    let r = rcat_to(&remote, &name, dry_run).await;
    objects::remove_partial_dir(&remote).await;
    r
}

async fn rcat_to(
    remote: &ocisync_backend::Remote,
    name: &str,
    dry_run: bool,
) -> Result<u8, Failure> {
    let name = name.to_string();
    remote.check_key(&name)?;
    // stdin is read in place on this worker thread (tokio's stdin is not built in).
    let read = |buf: &mut [u8]| tokio::task::block_in_place(|| std::io::stdin().lock().read(buf));
    if dry_run {
        let mut n = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match read(&mut buf) {
                Ok(0) => break,
                Ok(k) => n += k as u64,
                Err(e) => {
                    return Err(Failure::new(
                        exitcode::UNCATEGORIZED,
                        format!("reading stdin: {e}"),
                    ));
                }
            }
        }
        tracing::warn!(
            object = %name,
            "Skipped copy as --dry-run is set (size {})",
            crate::engine::stats::size_suffix(n)
        );
        return Ok(exitcode::SUCCESS);
    }
    let now = jiff::Timestamp::now();
    let chunk = remote.features.write_chunk.unwrap_or(8 << 20);
    let mut w = remote.op.writer_with(&name);
    if remote.features.write_chunk.is_some() {
        w = w.chunk(chunk).concurrent(remote.features.write_concurrency);
    }
    if let Some(m) = remote.write_metadata(Some(now), None, false) {
        w = w.user_metadata(m);
    }
    if remote.features.writes_metadata {
        w = w.content_type(crate::mime::guess(&name));
    }
    let mut writer = w.await.map_err(|e| remote.error(e, "write", &name))?;
    let mut hasher = md5::Md5::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; chunk.min(8 << 20)];
    let result: Result<(), Failure> = async {
        loop {
            let n = read(&mut buf).map_err(|e| {
                Failure::new(exitcode::UNCATEGORIZED, format!("reading stdin: {e}"))
            })?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            total += n as u64;
            crate::throttle::bytes(n as u64, None).await;
            writer
                .write(bytes::Bytes::copy_from_slice(&buf[..n]))
                .await
                .map_err(|e| Failure::from(remote.error(e, "write", &name)))?;
        }
        Ok(())
    }
    .await;
    if let Err(f) = result {
        let _ = writer.abort().await;
        return Err(f);
    }
    let written = writer
        .close()
        .await
        .map_err(|e| remote.error(e, "write", &name))?;
    let sent = Md5(hasher.finalize().into());
    // A single-part S3 ETag is the MD5 of the body: it must be what was sent.
    if remote.features.etag_is_md5_for_single_part
        && let Some(etag) = written.etag().map(|e| e.trim_matches('"'))
        && !etag.contains('-')
        && !etag.eq_ignore_ascii_case(&sent.to_hex())
    {
        let _ = remote.op.delete(&name).await;
        return Err(Failure::new(
            exitcode::UNCATEGORIZED,
            format!(
                "{}: the server's ETag {etag} does not match the data sent ({sent}); upload removed",
                name
            ),
        ));
    }
    if remote.features.set_modtime == ocisync_backend::SetModtime::Yes
        && !remote.features.writes_metadata
    {
        remote.set_modtime(&name, now).await?;
    }
    tracing::info!(object = %name, size = total, "Copied (new)");
    Ok(exitcode::SUCCESS)
}
