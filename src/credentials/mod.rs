//! Credential provider types built into ocisync itself (`env`, `static`, `command`); others live
//! with their service (OCI Vault in the oracle crate). All are listed in [`crate::registry`].

pub mod command;
pub mod env;
pub mod fixed;
