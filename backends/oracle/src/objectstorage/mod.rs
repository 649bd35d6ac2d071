//! The `oracleobjectstorage` backend: ocisync's remotes on the OpenDAL service for OCI Object
//! Storage (crate `opendal-service-oci-objectstorage`).
//!
//! `config` (the rclone-compatible options, declared once), `remote` (opens a remote: options →
//! service configuration, signer, [`Features`](ocisync_backend::Features)), `uploads` (pending
//! multipart uploads, for `ocisync cleanup`) and `tiers` (UpdateObjectStorageTier, for
//! `ocisync settier`) — the last two through the service's low-level core, as OpenDAL has no
//! operation for them. The prose documentation of the remote type is `docs.md`.
#![doc = include_str!("docs.md")]

mod config;
mod remote;
mod tiers;
mod uploads;

pub use config::OracleOptions;
pub use opendal_service_oci_objectstorage::{
    META_ARCHIVAL_STATE, META_STORAGE_TIER, ObjectStorageBackend, ObjectStorageBuilder,
    ObjectStorageConfig, SCHEME, SseCustomerKey,
};
pub use remote::{BACKEND, OracleBackend, SPEC, archive_not_restored};
