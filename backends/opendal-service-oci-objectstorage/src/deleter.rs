//! Deleting: DeleteObject, one object per request (OCI has no batch delete). An object that is
//! already gone counts as deleted.

use std::sync::Arc;

use http::StatusCode;
use opendal::raw::*;
use opendal::{OperationContext, Result};

use crate::core::ObjectStorageCore;

pub struct ObjectDeleter {
    core: Arc<ObjectStorageCore>,
    ctx: OperationContext,
}

impl ObjectDeleter {
    pub fn new(core: Arc<ObjectStorageCore>, ctx: OperationContext) -> Self {
        ObjectDeleter { core, ctx }
    }
}

impl oio::OneShotDelete for ObjectDeleter {
    async fn delete_once(&self, path: String, _: OpDelete) -> Result<()> {
        // The root of a whole bucket has no object name: nothing to delete.
        if self.core.object_name(&path).is_empty() {
            return Ok(());
        }
        let resp = self.core.delete_object(&self.ctx, &path).await?;
        match resp.status() {
            StatusCode::NO_CONTENT | StatusCode::OK | StatusCode::NOT_FOUND => Ok(()),
            _ => Err(self
                .core
                .write_error(resp, self.core.known_namespace())
                .await),
        }
    }
}
