//! Storage tiers of a remote's objects, for `ocisync settier`: UpdateObjectStorageTier, signed
//! by the remote's identity on the same transport as every other request.

use std::sync::Arc;

use async_trait::async_trait;
use http::StatusCode;
use ocisync_backend::tiers::StorageTiers;
use ocisync_backend::{Error, Result};
use opendal::OperationContext;

use crate::error::classify;
use opendal_service_oci_objectstorage::core::ObjectStorageCore;

/// OCI's tiers, as the API spells them.
const TIERS: &[&str] = &["Standard", "InfrequentAccess", "Archive"];

pub struct OciTiers {
    core: Arc<ObjectStorageCore>,
    remote: String,
}

impl std::fmt::Debug for OciTiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OciTiers")
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

impl OciTiers {
    pub fn new(core: Arc<ObjectStorageCore>, remote: &str) -> Self {
        OciTiers {
            core,
            remote: remote.to_string(),
        }
    }

    fn error(&self, e: opendal::Error, path: &str) -> Error {
        let (kind, message) =
            classify(&e).unwrap_or_else(|| (ocisync_backend::error::kind_of(&e), e.to_string()));
        Error::new(kind, message)
            .with_remote(self.remote.clone())
            .with_operation("set tier")
            .with_path(path.to_string())
    }
}

#[async_trait]
impl StorageTiers for OciTiers {
    fn names(&self) -> &'static [&'static str] {
        TIERS
    }

    async fn set(&self, path: &str, tier: &str) -> Result<()> {
        let ctx = OperationContext::new();
        let resp = self
            .core
            .update_object_storage_tier(&ctx, path, tier)
            .await
            .map_err(|e| self.error(e, path))?;
        match resp.status() {
            StatusCode::OK | StatusCode::ACCEPTED | StatusCode::NO_CONTENT => Ok(()),
            _ => {
                let e = self
                    .core
                    .write_error(resp, self.core.known_namespace())
                    .await;
                Err(self.error(e, path))
            }
        }
    }
}
