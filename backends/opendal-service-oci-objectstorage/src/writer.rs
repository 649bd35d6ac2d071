//! Writing: one PutObject for an object that fits in one part, a multipart upload otherwise.
//!
//! Every body goes out with the `Content-MD5` of the bytes being sent (they are in memory), so
//! OCI rejects anything damaged on the way; a multipart upload is then checked as a whole by
//! comparing the committed `opc-multipart-md5` with base64(MD5(part MD5s))-N, as rclone does.
//!
//! OpenDAL's `MultipartWriter` drives the upload (parts in flight, ordering, retries of failed
//! parts); [`ObjectWriter`] in front of it groups incoming buffers into parts and makes later
//! parts larger when an upload would otherwise run past `max_upload_parts` — the size of a
//! streamed upload is not known in advance, so the part size can't be picked up front as
//! rclone does for files of known size.

use std::sync::Arc;

use base64::Engine;
use http::StatusCode;
use md5::Digest;
use opendal::raw::oio::Write as _;
use opendal::raw::*;
use opendal::{
    Buffer, Error, ErrorKind, Executor, HttpBody, Metadata, MetadataBuilder, OperationContext,
    Result,
};

use crate::config::MAX_PART_SIZE;
use crate::core::{
    CommitPart, MultipartUpload as CreatedUpload, ObjectStorageCore, base64_md5, md5_of,
};

/// One object's upload: the requests, in the shape `MultipartWriter` drives them.
pub struct MultipartUpload {
    core: Arc<ObjectStorageCore>,
    ctx: OperationContext,
    path: String,
    args: OpWrite,
}

impl MultipartUpload {
    pub fn new(
        core: Arc<ObjectStorageCore>,
        ctx: OperationContext,
        path: &str,
        args: OpWrite,
    ) -> Self {
        MultipartUpload {
            core,
            ctx,
            path: path.to_string(),
            args,
        }
    }

    async fn fail(&self, resp: http::Response<HttpBody>) -> Error {
        self.core
            .write_error(resp, self.core.known_namespace())
            .await
    }
}

impl oio::MultipartWrite for MultipartUpload {
    async fn write_once(&self, size: u64, body: Buffer) -> Result<Metadata> {
        self.core.ensure_bucket(&self.ctx).await?;
        let md5 = base64_md5(&body);
        let resp = self
            .core
            .put_object(&self.ctx, &self.path, &self.args, body)
            .await?;
        if resp.status() != StatusCode::OK {
            return Err(self.fail(resp).await);
        }
        let mut meta = MetadataBuilder::file(size);
        meta.content_md5(md5);
        if let Some(etag) = parse_etag(resp.headers())? {
            meta.etag(etag);
        }
        if let Some(t) = parse_last_modified(resp.headers())? {
            meta.last_modified(t);
        }
        Ok(meta.build())
    }

    async fn initiate_part(&self) -> Result<String> {
        self.core.ensure_bucket(&self.ctx).await?;
        let resp = self
            .core
            .create_multipart_upload(&self.ctx, &self.path, &self.args)
            .await?;
        if resp.status() != StatusCode::OK {
            return Err(self.fail(resp).await);
        }
        let body = resp.into_body().to_buffer().await?.to_bytes();
        let created: CreatedUpload =
            serde_json::from_slice(&body).map_err(new_json_deserialize_error)?;
        tracing::debug!(path = %self.path, upload_id = %created.upload_id, "multipart upload created");
        Ok(created.upload_id)
    }

    async fn write_part(
        &self,
        upload_id: &str,
        part_number: usize,
        size: u64,
        body: Buffer,
    ) -> Result<oio::MultipartPart> {
        // MultipartWriter counts from 0; OCI parts are numbered 1..=10000.
        let part_num = part_number + 1;
        let md5 = base64::engine::general_purpose::STANDARD.encode(md5_of(&body));
        let resp = self
            .core
            .upload_part(&self.ctx, &self.path, upload_id, part_num, body, &md5)
            .await?;
        if resp.status() != StatusCode::OK {
            return Err(self.fail(resp).await);
        }
        let etag = parse_etag(resp.headers())?.ok_or_else(|| {
            Error::new(
                ErrorKind::Unexpected,
                format!("UploadPart {part_num}: the response has no ETag"),
            )
        })?;
        Ok(oio::MultipartPart {
            part_number: part_num,
            etag: etag.to_string(),
            checksum: Some(md5),
            size: Some(size),
        })
    }

    async fn complete_part(
        &self,
        upload_id: &str,
        parts: &[oio::MultipartPart],
    ) -> Result<Metadata> {
        let mut parts: Vec<&oio::MultipartPart> = parts.iter().collect();
        parts.sort_by_key(|p| p.part_number);
        let commit: Vec<CommitPart<'_>> = parts
            .iter()
            .map(|p| CommitPart {
                part_num: p.part_number,
                etag: &p.etag,
            })
            .collect();
        let expected = multipart_md5(&parts)?;

        let resp = self
            .core
            .commit_multipart_upload(&self.ctx, &self.path, upload_id, &commit)
            .await?;
        if resp.status() != StatusCode::OK {
            return Err(self.fail(resp).await);
        }
        let committed =
            parse_header_to_str(resp.headers(), "opc-multipart-md5")?.map(str::to_string);
        if committed.as_deref() != Some(expected.as_str()) {
            return Err(Error::new(
                ErrorKind::Unexpected,
                format!(
                    "multipart upload corrupted: OCI committed MD5 {} but the {} parts sent give {expected}",
                    committed.as_deref().unwrap_or("(none)"),
                    parts.len()
                ),
            ));
        }
        let mut meta = MetadataBuilder::file(parts.iter().filter_map(|p| p.size).sum());
        meta.content_md5(expected);
        if let Some(etag) = parse_etag(resp.headers())? {
            meta.etag(etag);
        }
        if let Some(t) = parse_last_modified(resp.headers())? {
            meta.last_modified(t);
        }
        Ok(meta.build())
    }

    async fn abort_part(&self, upload_id: &str) -> Result<()> {
        if self.core.leave_parts_on_error {
            tracing::warn!(path = %self.path, upload_id, "leave_parts_on_error: the failed upload's parts stay until it is aborted");
            return Ok(());
        }
        let resp = self
            .core
            .abort_multipart_upload(&self.ctx, &self.path, upload_id)
            .await?;
        match resp.status() {
            // 404: already committed or aborted.
            StatusCode::NO_CONTENT | StatusCode::OK | StatusCode::NOT_FOUND => Ok(()),
            _ => Err(self.fail(resp).await),
        }
    }
}

/// OCI's multipart MD5: base64(MD5(the parts' binary MD5s, in part order))-<part count>.
fn multipart_md5(parts: &[&oio::MultipartPart]) -> Result<String> {
    let mut h = md5::Md5::new();
    for p in parts {
        let raw = p
            .checksum
            .as_deref()
            .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Unexpected,
                    format!("part {} has no MD5", p.part_number),
                )
            })?;
        h.update(&raw);
    }
    Ok(format!(
        "{}-{}",
        base64::engine::general_purpose::STANDARD.encode(h.finalize()),
        parts.len()
    ))
}

/// The writer OpenDAL gets: groups buffers into parts of the current part size and hands them
/// to `MultipartWriter`, which uploads the first as a PutObject if it turns out to be the only
/// one. A failure that retrying can't cure aborts the upload (unless leave_parts_on_error);
/// temporary failures leave it to OpenDAL's retry layer.
pub struct ObjectWriter {
    inner: oio::MultipartWriter<MultipartUpload>,
    /// Data not yet handed over: less than one part.
    pending: oio::QueueBuf,
    pending_len: usize,
    /// Parts handed over so far.
    parts: usize,
    chunk_size: usize,
    max_parts: usize,
}

impl ObjectWriter {
    pub fn new(
        core: Arc<ObjectStorageCore>,
        executor: Executor,
        upload: MultipartUpload,
        concurrent: usize,
    ) -> Self {
        ObjectWriter {
            inner: oio::MultipartWriter::new(executor, upload, concurrent),
            pending: oio::QueueBuf::new(),
            pending_len: 0,
            parts: 0,
            chunk_size: core.chunk_size,
            max_parts: core.max_upload_parts,
        }
    }

    /// Hands one part over; state changes only on success, so a retried call sends it again.
    async fn hand_over(&mut self, part: Buffer) -> Result<()> {
        if self.parts >= self.max_parts {
            let e = Error::new(
                ErrorKind::Unexpected,
                format!(
                    "the upload needs more than max_upload_parts ({}) parts: raise chunk_size",
                    self.max_parts
                ),
            );
            return Err(self.abort_on_permanent(e).await);
        }
        match self.inner.write(part).await {
            Ok(()) => {
                self.parts += 1;
                Ok(())
            }
            Err(e) => Err(self.abort_on_permanent(e).await),
        }
    }

    async fn abort_on_permanent(&mut self, e: Error) -> Error {
        if !e.is_temporary()
            && let Err(abort) = self.inner.abort().await
        {
            tracing::warn!("aborting the failed multipart upload failed too: {abort}");
        }
        e
    }
}

/// The size of part `index` (0-based): `chunk_size` for the first tenth of `max_parts` parts,
/// then doubling every further tenth, so an upload of unknown size fits in `max_parts` parts
/// up to 1023 × chunk_size × max_parts/10 (about 5 TiB with rclone's defaults) while uploads
/// of up to chunk_size × max_parts/10 use rclone's fixed part size.
pub fn part_size(chunk_size: usize, max_parts: usize, index: usize) -> usize {
    let stage_len = (max_parts / 10).max(1);
    let doublings = (index / stage_len).min(20) as u32;
    let max = usize::try_from(MAX_PART_SIZE).unwrap_or(usize::MAX);
    chunk_size.saturating_mul(1 << doublings).min(max)
}

impl oio::Write for ObjectWriter {
    async fn write(&mut self, bs: Buffer) -> Result<()> {
        let target = part_size(self.chunk_size, self.max_parts, self.parts);
        if self.pending_len + bs.len() < target {
            self.pending_len += bs.len();
            self.pending.push(bs);
            return Ok(());
        }
        let mut part = self.pending.clone();
        part.push(bs);
        self.hand_over(part.collect()).await?;
        self.pending.clear();
        self.pending_len = 0;
        Ok(())
    }

    async fn close(&mut self) -> Result<Metadata> {
        if self.pending_len > 0 {
            self.hand_over(self.pending.clone().collect()).await?;
            self.pending.clear();
            self.pending_len = 0;
        }
        match self.inner.close().await {
            Ok(meta) => Ok(meta),
            Err(e) => Err(self.abort_on_permanent(e).await),
        }
    }

    async fn abort(&mut self) -> Result<()> {
        self.pending.clear();
        self.pending_len = 0;
        self.inner.abort().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_only_past_a_tenth_of_max_parts() {
        let mi = 1 << 20;
        assert_eq!(part_size(5 * mi, 10_000, 0), 5 * mi);
        assert_eq!(part_size(5 * mi, 10_000, 999), 5 * mi);
        assert_eq!(part_size(5 * mi, 10_000, 1000), 10 * mi);
        assert_eq!(part_size(5 * mi, 10_000, 9999), 5 * mi * 512);
        // Small limits grow at once, and never past OCI's 50 GiB part.
        assert_eq!(part_size(5 * mi, 3, 0), 5 * mi);
        assert_eq!(part_size(5 * mi, 3, 1), 10 * mi);
        assert_eq!(part_size(5 * mi, 3, 2), 20 * mi);
        assert_eq!(part_size(5 * mi, 1, 30) as u64, MAX_PART_SIZE);
        // Capacity of the default settings: parts 0..10000 sum to about 5 TiB.
        let total: u64 = (0..10_000)
            .map(|i| part_size(5 * mi, 10_000, i) as u64)
            .sum();
        assert_eq!(total, 1000 * 5 * (mi as u64) * 1023);
    }

    #[test]
    fn multipart_md5_is_the_md5_of_part_md5s() {
        let part = |n: usize, data: &[u8]| oio::MultipartPart {
            part_number: n,
            etag: format!("e{n}"),
            checksum: Some(
                base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data)),
            ),
            size: Some(data.len() as u64),
        };
        let (a, b) = (part(1, b"hello "), part(2, b"world"));
        let mut concat = md5::Md5::digest(b"hello ").to_vec();
        concat.extend(md5::Md5::digest(b"world"));
        let want = format!(
            "{}-2",
            base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&concat))
        );
        assert_eq!(multipart_md5(&[&a, &b]).unwrap(), want);
        let no_md5 = oio::MultipartPart {
            checksum: None,
            ..a.clone()
        };
        assert!(multipart_md5(&[&no_md5]).is_err());
    }
}
