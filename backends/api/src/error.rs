//! Errors the engine can act on: a small set of kinds plus whether retrying may help, and the
//! remote, operation and path they concern, so the operator's message says where it happened.

use std::fmt;

/// What went wrong, as far as the engine and the exit code care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The remote's root (bucket, prefix, directory) does not exist — rclone exit 3.
    DirNotFound,
    /// One object does not exist — rclone exit 4.
    NotFound,
    /// Credentials missing, wrong or refused.
    Auth,
    PermissionDenied,
    /// The configuration is wrong (bad option, unknown remote...).
    Config,
    /// Content does not match its checksum.
    Corrupted,
    Unsupported,
    /// A fault that a retry may cure: 5xx, 429, timeouts, resets.
    Temporary,
    /// Anything else.
    Other,
}

#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    /// The remote's name, e.g. `aws_s3`.
    pub remote: Option<String>,
    /// What was being done: `list`, `read`, `write`, `stat`, `delete`...
    pub operation: Option<&'static str>,
    pub path: Option<String>,
    pub message: String,
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// A temporary fault the request-level retries already gave up on: retrying the same
    /// object at once will not help; a later whole-run attempt may.
    pub retries_exhausted: bool,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            remote: None,
            operation: None,
            path: None,
            message: message.into(),
            source: None,
            retries_exhausted: false,
        }
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    pub fn with_remote(mut self, remote: impl Into<String>) -> Self {
        if self.remote.is_none() {
            self.remote = Some(remote.into());
        }
        self
    }

    pub fn with_operation(mut self, op: &'static str) -> Self {
        if self.operation.is_none() {
            self.operation = Some(op);
        }
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        if self.path.is_none() {
            self.path = Some(path.into());
        }
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn is_temporary(&self) -> bool {
        self.kind == ErrorKind::Temporary
    }

    /// Wraps an OpenDAL error, keeping its message (services put the server's code and message
    /// there) and classifying it.
    pub fn from_opendal(e: opendal::Error) -> Self {
        let mut err = Error::new(kind_of(&e), opendal_message(&e));
        err.retries_exhausted = e.is_persistent();
        err
    }
}

/// The kind of an OpenDAL error, as the engine sees it.
pub fn kind_of(e: &opendal::Error) -> ErrorKind {
    use opendal::ErrorKind as K;
    match e.kind() {
        K::NotFound => ErrorKind::NotFound,
        K::PermissionDenied => ErrorKind::PermissionDenied,
        K::ConfigInvalid => ErrorKind::Config,
        K::Unsupported => ErrorKind::Unsupported,
        K::RateLimited => ErrorKind::Temporary,
        // Persistent: temporary, but the retry layer ran out of attempts.
        _ if e.is_temporary() || e.is_persistent() => ErrorKind::Temporary,
        _ => ErrorKind::Other,
    }
}

/// OpenDAL's message without its context dump, plus the response details services attach.
fn opendal_message(e: &opendal::Error) -> String {
    let msg = e.message().trim();
    let msg = if msg.is_empty() {
        e.kind().into_static()
    } else {
        msg
    };
    // Services in OpenDAL put the HTTP response in a "response" context, left out: the message
    // is the server's code and text. The cause is kept (a refused credential refresh, a
    // connection error) — OpenDAL's sources never hold secret values.
    let mut out = msg.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

impl From<opendal::Error> for Error {
    fn from(e: opendal::Error) -> Self {
        Error::from_opendal(e)
    }
}

impl fmt::Display for Error {
    /// `aws_s3: write reports/a.csv: <message>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = &self.remote {
            write!(f, "{r}: ")?;
        }
        match (self.operation, &self.path) {
            (Some(op), Some(p)) => write!(f, "{op} {p}: ")?,
            (Some(op), None) => write!(f, "{op}: ")?,
            (None, Some(p)) => write!(f, "{p}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)?;
        if let Some(src) = &self.source {
            let s = src.to_string();
            if !self.message.contains(&s) {
                write!(f, ": {s}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_where() {
        let e = Error::new(ErrorKind::NotFound, "BucketNotFound (404)")
            .with_remote("oci_usage")
            .with_operation("list")
            .with_path("reports/");
        assert_eq!(
            e.to_string(),
            "oci_usage: list reports/: BucketNotFound (404)"
        );
    }
}
