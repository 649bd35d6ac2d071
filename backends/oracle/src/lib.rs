//! Oracle Cloud Infrastructure for ocisync: the glue between ocisync's plugin interface and the
//! OCI crates — the `oracleobjectstorage` backend (options, features, the remote adapter over
//! the OpenDAL service `opendal-service-oci-objectstorage`), the OCI Vault credential provider,
//! the OCI Notifications alert sink, the `ocisync doctor` probes, and the conversion of
//! `oci-core` and OpenDAL errors into ocisync's. Signing, identities, keys and regions are
//! `oci-core`'s, re-exported here under their old paths.

pub mod diagnose;
pub mod error;
pub mod notifications;
pub mod objectstorage;
pub mod options;
pub mod service;
pub mod vault;

pub use oci_core::{auth, endpoints, keys, sign};

/// Makes every HTTP client `oci-core` builds follow ocisync's network policy (proxies,
/// `--ca-cert`, user agent, no redirects). Called by every entry point of this crate before
/// its first OCI call; the first call wins.
pub(crate) fn use_ocisync_transport() {
    oci_core::client::set_client_builder(ocisync_backend::transport::client_builder);
}
