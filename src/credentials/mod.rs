//! Credential provider types built into ocisync itself (`env`, `static`); others live with their
//! service (OCI Vault in the oracle crate). All are listed in [`crate::registry`].

pub mod env;
pub mod fixed;
