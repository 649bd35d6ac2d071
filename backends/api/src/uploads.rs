//! Multipart uploads that were started and never completed or aborted: their parts are stored
//! (and billed) but no object shows them. A process killed in the middle of an upload leaves
//! one behind; `ocisync cleanup` lists and aborts them through this hook, which the S3 and OCI
//! backends provide (OpenDAL has no call for listing uploads).

use std::fmt;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::error::Result;

/// One pending upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    /// The object's full key (root prefix included), as the service names it.
    pub key: String,
    /// The service's upload id.
    pub id: String,
    /// When the upload was started, if the service says.
    pub started: Option<Timestamp>,
}

/// Lists and aborts a remote's pending multipart uploads.
#[async_trait]
pub trait MultipartUploads: Send + Sync + fmt::Debug {
    /// Every pending upload under the remote's root.
    async fn list(&self) -> Result<Vec<PendingUpload>>;
    /// Aborts one: its parts are deleted. An upload already gone is not an error.
    async fn abort(&self, upload: &PendingUpload) -> Result<()>;
}
