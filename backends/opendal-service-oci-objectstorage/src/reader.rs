//! Reading: GetObject for a range, streamed, with the object's metadata from the response
//! headers handed to OpenDAL so the engine learns the mtime and MD5 from the GET it makes
//! anyway (no HEAD).

use std::sync::Arc;

use http::StatusCode;
use opendal::raw::*;
use opendal::{BytesRange, OperationContext, Result};

use crate::core::{ObjectStorageCore, parse_object_metadata};

pub struct ObjectReader {
    core: Arc<ObjectStorageCore>,
    // `open` may run after `Service::read` has returned (and again on retries), so the
    // operation's context travels with the reader.
    ctx: OperationContext,
    path: String,
    /// `If-Match`: read only this version (a replaced object answers 412).
    if_match: Option<String>,
}

impl ObjectReader {
    pub fn new(
        core: Arc<ObjectStorageCore>,
        ctx: OperationContext,
        path: &str,
        if_match: Option<&str>,
    ) -> Self {
        ObjectReader {
            core,
            ctx,
            path: path.to_string(),
            if_match: if_match.map(str::to_string),
        }
    }
}

impl oio::StreamRead for ObjectReader {
    async fn open(&self, range: BytesRange) -> Result<(RpRead, Box<dyn oio::ReadStreamDyn>)> {
        let resp = self
            .core
            .get_object(&self.ctx, &self.path, range, self.if_match.as_deref())
            .await?;
        match resp.status() {
            // 206 carries `content-range: bytes a-b/total`, from which the metadata takes the
            // object's full size.
            StatusCode::OK | StatusCode::PARTIAL_CONTENT => {
                let meta = parse_object_metadata(&self.path, resp.headers())?;
                Ok((
                    RpRead::new(meta),
                    Box::new(resp.into_body()) as Box<dyn oio::ReadStreamDyn>,
                ))
            }
            _ => Err(self.core.error(resp, self.core.known_namespace()).await),
        }
    }
}
