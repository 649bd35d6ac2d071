//! Oracle Cloud Infrastructure for ocisync: request signing, identities (user, instance and
//! resource principals), the Object Storage backend (`type = "oracleobjectstorage"`, an OpenDAL
//! service implemented here because OpenDAL has none) and the OCI Vault credential provider.

pub mod auth;
pub mod diagnose;
pub mod endpoints;
pub mod keys;
pub mod notifications;
pub mod objectstorage;
pub mod service;
pub mod sign;
pub mod vault;

#[cfg(test)]
mod testutil;
