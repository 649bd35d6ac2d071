//! Pending multipart uploads of a remote, for `ocisync cleanup`: ListMultipartUploads (pages
//! by `opc-next-page`; OCI has no prefix filter, so uploads outside the remote's prefix are
//! left out here) and AbortMultipartUpload. The requests are the service's own, signed by the
//! remote's identity, on the same transport as every other request.

use std::sync::Arc;

use async_trait::async_trait;
use http::StatusCode;
use ocisync_backend::uploads::{MultipartUploads, PendingUpload};
use ocisync_backend::{Error, ErrorKind, Result};
use opendal::OperationContext;

use crate::error::classify;
use opendal_service_oci_objectstorage::core::{ListedUpload, ObjectStorageCore};

/// Pages asked at most: 1,000 uploads each.
const MAX_PAGES: usize = 10_000;

pub struct OciUploads {
    core: Arc<ObjectStorageCore>,
    remote: String,
}

impl std::fmt::Debug for OciUploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OciUploads")
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

impl OciUploads {
    pub fn new(core: Arc<ObjectStorageCore>, remote: &str) -> Self {
        OciUploads {
            core,
            remote: remote.to_string(),
        }
    }

    /// `prefix/` of the remote's root, as object names start.
    fn prefix(&self) -> &str {
        &self.core.root[1..]
    }

    fn error(&self, e: opendal::Error, op: &'static str, key: &str) -> Error {
        let (kind, message) =
            classify(&e).unwrap_or_else(|| (ocisync_backend::error::kind_of(&e), e.to_string()));
        Error::new(kind, message)
            .with_remote(self.remote.clone())
            .with_operation(op)
            .with_path(key.to_string())
    }
}

#[async_trait]
impl MultipartUploads for OciUploads {
    async fn list(&self) -> Result<Vec<PendingUpload>> {
        let ctx = OperationContext::new();
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let resp = self
                .core
                .list_multipart_uploads(&ctx, page.as_deref())
                .await
                .map_err(|e| self.error(e, "list uploads", self.prefix()))?;
            if resp.status() != StatusCode::OK {
                let e = self.core.error(resp, self.core.known_namespace()).await;
                return Err(self.error(e, "list uploads", self.prefix()));
            }
            let next = resp
                .headers()
                .get("opc-next-page")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = resp
                .into_body()
                .to_buffer()
                .await
                .map_err(|e| self.error(e, "list uploads", self.prefix()))?
                .to_bytes();
            let listed: Vec<ListedUpload> = serde_json::from_slice(&body).map_err(|e| {
                Error::new(
                    ErrorKind::Other,
                    format!("ListMultipartUploads: not the expected JSON: {e}"),
                )
                .with_remote(self.remote.clone())
            })?;
            out.extend(
                listed
                    .into_iter()
                    .filter(|u| u.object.starts_with(self.prefix()))
                    .map(|u| PendingUpload {
                        started: u.time_created.as_deref().and_then(|t| t.parse().ok()),
                        key: u.object,
                        id: u.upload_id,
                    }),
            );
            match next {
                Some(n) if page.as_deref() != Some(n.as_str()) => page = Some(n),
                _ => return Ok(out),
            }
        }
        Err(Error::new(
            ErrorKind::Other,
            format!("ListMultipartUploads: more than {MAX_PAGES} pages; stopped"),
        )
        .with_remote(self.remote.clone()))
    }

    async fn abort(&self, upload: &PendingUpload) -> Result<()> {
        let ctx = OperationContext::new();
        // The core addresses objects relative to the root.
        let Some(path) = upload.key.strip_prefix(self.prefix()) else {
            return Err(Error::new(
                ErrorKind::Other,
                "the upload is outside this remote's prefix",
            )
            .with_remote(self.remote.clone())
            .with_path(upload.key.clone()));
        };
        let resp = self
            .core
            .abort_multipart_upload(&ctx, path, &upload.id)
            .await
            .map_err(|e| self.error(e, "abort upload", &upload.key))?;
        match resp.status() {
            // 404: already committed or aborted.
            StatusCode::NO_CONTENT | StatusCode::OK | StatusCode::NOT_FOUND => Ok(()),
            _ => {
                let e = self
                    .core
                    .write_error(resp, self.core.known_namespace())
                    .await;
                Err(self.error(e, "abort upload", &upload.key))
            }
        }
    }
}
