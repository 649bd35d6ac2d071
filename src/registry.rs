//! The backends and credential provider types compiled into ocisync. Adding one is a line here
//! (and its crate in Cargo.toml).

use ocisync_backend::{Backend, CredentialType};

static BACKENDS: &[&dyn Backend] = &[
    &ocisync_local::BACKEND,
    &ocisync_s3::BACKEND,
    &ocisync_oracle::objectstorage::BACKEND,
    &ocisync_opendal::BACKEND,
];

static CREDENTIAL_TYPES: &[&dyn CredentialType] = &[
    &crate::credentials::env::TYPE,
    &crate::credentials::fixed::TYPE,
    &crate::credentials::command::TYPE,
    &ocisync_oracle::vault::TYPE,
];

pub fn backends() -> &'static [&'static dyn Backend] {
    BACKENDS
}

pub fn backend(type_name: &str) -> Option<&'static dyn Backend> {
    BACKENDS
        .iter()
        .copied()
        .find(|b| b.spec().name == type_name)
}

pub fn backend_names() -> Vec<&'static str> {
    BACKENDS.iter().map(|b| b.spec().name).collect()
}

pub fn credential_types() -> &'static [&'static dyn CredentialType] {
    CREDENTIAL_TYPES
}

pub fn credential_type(name: &str) -> Option<&'static dyn CredentialType> {
    CREDENTIAL_TYPES
        .iter()
        .copied()
        .find(|t| t.spec().name == name)
}
