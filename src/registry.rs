//! The backends, credential provider types and alert sink types compiled into ocisync. Adding
//! one is a line here (and its crate in Cargo.toml).

use ocisync_backend::{AlertType, Backend, CredentialType};

static BACKENDS: &[&dyn Backend] = &[
    &ocisync_local::BACKEND,
    &ocisync_s3::BACKEND,
    &ocisync_oracle::objectstorage::BACKEND,
    &ocisync_opendal::BACKEND,
    #[cfg(feature = "azureblob")]
    &ocisync_azureblob::BACKEND,
    #[cfg(feature = "gcs")]
    &ocisync_gcs::BACKEND,
    #[cfg(feature = "webdav")]
    &ocisync_webdav::BACKEND,
    #[cfg(feature = "sftp")]
    &ocisync_sftp::BACKEND,
    #[cfg(feature = "swift")]
    &ocisync_swift::BACKEND,
    #[cfg(feature = "http")]
    &ocisync_http::BACKEND,
    #[cfg(feature = "ftp")]
    &ocisync_ftp::BACKEND,
];

static CREDENTIAL_TYPES: &[&dyn CredentialType] = &[
    &crate::credentials::env::TYPE,
    &crate::credentials::fixed::TYPE,
    &crate::credentials::command::TYPE,
    &ocisync_oracle::vault::TYPE,
];

static ALERT_TYPES: &[&dyn AlertType] = &[
    &ocisync_oracle::notifications::TYPE,
    &crate::alerts::webhook::TYPE,
    &crate::alerts::command::TYPE,
];

pub fn backends() -> &'static [&'static dyn Backend] {
    BACKENDS
}

/// The backend of a `type = ...` (or `:type,...:` connection string): its name or, as rclone's
/// lookup does, its flag prefix (`gcs` for `google cloud storage`).
pub fn backend(type_name: &str) -> Option<&'static dyn Backend> {
    let all = || BACKENDS.iter().copied();
    all()
        .find(|b| b.spec().name == type_name)
        .or_else(|| all().find(|b| b.spec().prefix == type_name))
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

pub fn alert_types() -> &'static [&'static dyn AlertType] {
    ALERT_TYPES
}

pub fn alert_type(name: &str) -> Option<&'static dyn AlertType> {
    ALERT_TYPES.iter().copied().find(|t| t.spec().name == name)
}
