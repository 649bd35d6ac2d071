//! OCI Object Storage through its native API, as an Apache OpenDAL service (OpenDAL has none).
//!
//! One responsibility per file, as in OpenDAL's own services: `config` (the serde
//! configuration), `backend` (the builder and the `Service` wiring), `core` (requests and wire
//! types), `reader`, `writer`, `lister`, `deleter` (one operation each), `error` (responses →
//! errors with a typed source), `configured_auth` (the signer the configuration names). Signing,
//! identities and regions come from `oci-core`.
#![doc = include_str!("docs.md")]

mod backend;
mod config;
mod configured_auth;
pub mod core;
mod deleter;
pub mod error;
mod lister;
mod reader;
mod writer;

pub use backend::{ObjectStorageBackend, ObjectStorageBuilder, SCHEME};
pub use config::{
    MAX_OBJECT_SIZE, MAX_PART_SIZE, MAX_PARTS, ObjectStorageConfig, SSE_ALGORITHM, STORAGE_TIERS,
    SseCustomerKey,
};
pub use core::{META_ARCHIVAL_STATE, META_STORAGE_TIER};
pub use error::{ServiceError, service_error};
pub use lister::MAX_EMPTY_PAGES;
pub use oci_core;

/// Registers the service under its scheme (`oos`), so `Operator::from_uri("oos://…")` finds it.
pub fn register_oos_service(registry: &opendal::OperatorRegistry) {
    registry.register::<ObjectStorageBuilder>(SCHEME);
}
