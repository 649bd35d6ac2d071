//! Oracle Cloud Infrastructure basics, for any OCI client: identities (user, instance and
//! resource principals, session tokens), request signing (OCI's HTTP signature), API keys,
//! regions and service endpoints, Vault's GetSecretBundle and Notifications' PublishMessage
//! requests, and the error type their calls return. No dependency on ocisync: the Object Storage
//! OpenDAL service (`opendal-service-oci-objectstorage`) and ocisync's OCI backend
//! (`ocisync-oracle`) are both built on it.

pub mod auth;
pub mod client;
pub mod endpoint_url;
pub mod endpoints;
pub mod error;
pub mod keys;
pub mod notifications;
pub mod secret;
pub mod service;
pub mod sign;
pub mod vault;

pub use error::{Error, ErrorKind, Result, ServiceError};
pub use secret::Secret;

#[cfg(test)]
mod testutil;
