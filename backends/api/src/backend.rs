//! The backend plugin trait and what a backend is given to open a remote.

use std::sync::Arc;

use async_trait::async_trait;
use opendal::Operator;

use crate::credentials::CredentialSource;
use crate::error::Result;
use crate::options::{ConfigValues, OptionError, OptionSpec};
use crate::remote::Remote;

/// A backend type as declared once: drives config validation, `ocisync backends`, the
/// `--<prefix>-<key>` flags and the generated docs.
pub struct BackendSpec {
    /// The `type = "..."` name (rclone's).
    pub name: &'static str,
    /// Flag prefix: `--s3-chunk-size`, `--oos-chunk-size`.
    pub prefix: &'static str,
    pub description: &'static str,
    pub options: &'static [OptionSpec],
    /// Keys not in `options` are accepted and passed on (the generic OpenDAL backend).
    pub open_options: bool,
    /// Credential names this backend takes from a `credentials = "..."` provider.
    pub credential_keys: &'static [&'static str],
}

/// Settings of the whole run that backends apply to their operators.
#[derive(Debug, Clone)]
pub struct GlobalOptions {
    /// Retries of one request (rclone `--low-level-retries`).
    pub low_level_retries: usize,
    /// Time to wait for a response to start / for a read or write to make progress.
    pub timeout: std::time::Duration,
    pub io_timeout: std::time::Duration,
    /// For connection pool sizing.
    pub transfers: usize,
    pub checkers: usize,
}

impl Default for GlobalOptions {
    fn default() -> Self {
        GlobalOptions {
            low_level_retries: 10,
            timeout: std::time::Duration::from_secs(60),
            io_timeout: std::time::Duration::from_secs(300),
            transfers: 4,
            checkers: 8,
        }
    }
}

/// What a backend gets to open one remote.
pub struct OpenContext<'a> {
    /// The remote's name (`aws_s3`), or `:s3` for a connection string.
    pub name: &'a str,
    /// What followed the colon: `bucket/prefix` (object stores) or a directory (local).
    pub path: &'a str,
    /// The options, checked against the spec; flags and connection-string values merged in.
    pub values: &'a ConfigValues,
    /// The provider named by `credentials = "..."`, if any.
    pub credentials: Option<Arc<CredentialSource>>,
    pub global: &'a GlobalOptions,
}

#[async_trait]
pub trait Backend: Send + Sync {
    fn spec(&self) -> &'static BackendSpec;

    /// Checks that go beyond one key's type (choices, combinations of keys).
    fn validate(&self, _values: &ConfigValues) -> Vec<OptionError> {
        Vec::new()
    }

    /// Keys set to something ocisync accepts for rclone compatibility but does not act on, each
    /// with what is ignored: `config validate` reports them once (runs do not).
    fn ignored(&self, _values: &ConfigValues) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote>;
}

/// The layers every backend's operator gets: per-request timeouts, then retries with exponential
/// backoff and jitter for temporary errors (5xx, 429, resets, timeouts, short bodies).
pub fn with_standard_layers(op: Operator, global: &GlobalOptions) -> Operator {
    use opendal::layers::{RetryLayer, TimeoutLayer};
    op.layer(
        TimeoutLayer::new()
            .with_timeout(global.timeout)
            .with_io_timeout(global.io_timeout),
    )
    .layer(
        RetryLayer::new()
            .with_max_times(global.low_level_retries.saturating_sub(1))
            .with_min_delay(std::time::Duration::from_millis(100))
            .with_max_delay(std::time::Duration::from_secs(10))
            .with_factor(2.0)
            .with_jitter(),
    )
}

/// Splits `bucket/prefix` for object stores: the bucket and the prefix as an OpenDAL root.
pub fn split_bucket(path: &str) -> (String, String) {
    let path = path.trim_start_matches('/');
    match path.split_once('/') {
        Some((bucket, rest)) => (
            bucket.to_string(),
            format!("/{}", rest.trim_end_matches('/')),
        ),
        None => (path.to_string(), "/".to_string()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bucket_and_prefix() {
        assert_eq!(
            super::split_bucket("b/oci-sync"),
            ("b".into(), "/oci-sync".into())
        );
        assert_eq!(super::split_bucket("b/a/b/"), ("b".into(), "/a/b".into()));
        assert_eq!(super::split_bucket("b"), ("b".into(), "/".into()));
    }
}
