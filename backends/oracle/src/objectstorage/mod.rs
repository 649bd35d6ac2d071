//! OCI Object Storage through its native API, as an OpenDAL service (OpenDAL has none), and the
//! `oracleobjectstorage` backend that opens remotes on it.
//!
//! One responsibility per file, as in OpenDAL's own services: `config` (options, declared once),
//! `backend` (OpenDAL builder and service wiring), `core` (requests and wire types), `reader`,
//! `writer`, `lister`, `deleter` (one operation each), `error` (responses → errors),
//! `uploads` (pending multipart uploads, for `ocisync cleanup`), `tiers` (UpdateObjectStorageTier,
//! for `ocisync settier`) and `remote` (the ocisync backend). The prose documentation is `docs.md`.
#![doc = include_str!("docs.md")]

mod backend;
mod config;
mod core;
mod deleter;
mod error;
mod lister;
mod reader;
mod remote;
mod tiers;
mod uploads;
mod writer;

pub use backend::{ObjectStorageBackend, ObjectStorageBuilder, SCHEME};
pub use config::{ObjectStorageConfig, OracleOptions, SseCustomerKey};
pub use core::{META_ARCHIVAL_STATE, META_STORAGE_TIER};
pub use remote::{BACKEND, OracleBackend, SPEC, archive_not_restored};
