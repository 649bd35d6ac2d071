//! The errors of OCI calls: a small set of kinds a caller can act on (authentication, permission,
//! not found, temporary...), a message that says what happened, and — for answers of an OCI
//! service — the typed `{code, status, opc-request-id}` of the response ([`ServiceError`]).

use std::fmt;

/// What went wrong, as far as a caller deciding to retry, re-authenticate or give up cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Credentials missing, wrong or refused.
    Auth,
    PermissionDenied,
    NotFound,
    /// The configuration is wrong (bad option, unreadable file, unknown region...).
    Config,
    Unsupported,
    /// A fault that a retry may cure: 5xx, 429, timeouts, resets.
    Temporary,
    /// Anything else.
    Other,
}

/// An OCI call's error: a kind, a message naming what failed, and the cause.
#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn is_temporary(&self) -> bool {
        self.kind == ErrorKind::Temporary
    }
}

impl fmt::Display for Error {
    /// The message, then the cause unless the message already says it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

/// An OCI service's error answer, as its JSON body and headers give it: what a program (retry
/// rules, exit codes) and Oracle support (`opc-request-id`) need, without parsing a message.
/// Displays as `Code (status)`, the start of every message built from such an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({status})")]
pub struct ServiceError {
    /// OCI's error code, such as `BucketNotFound` or `NotAuthenticated` (the status's reason
    /// phrase, without spaces, when the body has none).
    pub code: String,
    /// The HTTP status.
    pub status: u16,
    /// The `opc-request-id` header, which Oracle support asks for.
    pub opc_request_id: Option<String>,
}

impl ServiceError {
    /// The kind a caller acts on, following the OCI SDKs' retry rules (oci-go-sdk
    /// `common/retry.go`): 409 `IncorrectState`/`LockConflict`, 408, 429 and 5xx but 501 are
    /// temporary. A missing bucket or namespace is [`ErrorKind::NotFound`] like a missing object;
    /// [`ServiceError::is_missing_container`] tells them apart.
    pub fn kind(&self) -> ErrorKind {
        match (self.status, self.code.as_str()) {
            (404, _) => ErrorKind::NotFound,
            (401, _) => ErrorKind::Auth,
            (403, _) => ErrorKind::PermissionDenied,
            (408 | 429, _) | (409, "IncorrectState" | "LockConflict") => ErrorKind::Temporary,
            (501, _) => ErrorKind::Unsupported,
            (500..=599, _) => ErrorKind::Temporary,
            _ => ErrorKind::Other,
        }
    }

    /// The answer says the bucket or the namespace does not exist (not just one object).
    pub fn is_missing_container(&self) -> bool {
        self.status == 404 && matches!(self.code.as_str(), "BucketNotFound" | "NamespaceNotFound")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_then_cause_once() {
        let io = std::io::Error::other("connection reset");
        let e = Error::new(ErrorKind::Temporary, "GET /n/").with_source(io);
        assert_eq!(e.to_string(), "GET /n/: connection reset");
        let io = std::io::Error::other("reset");
        let e = Error::new(ErrorKind::Temporary, "GET: reset").with_source(io);
        assert_eq!(e.to_string(), "GET: reset");
    }

    #[test]
    fn service_error_kinds() {
        let se = |code: &str, status| ServiceError {
            code: code.into(),
            status,
            opc_request_id: None,
        };
        assert_eq!(
            se("BucketNotFound", 404).to_string(),
            "BucketNotFound (404)"
        );
        assert!(se("BucketNotFound", 404).is_missing_container());
        assert!(!se("ObjectNotFound", 404).is_missing_container());
        assert_eq!(se("NotAuthenticated", 401).kind(), ErrorKind::Auth);
        assert_eq!(se("LockConflict", 409).kind(), ErrorKind::Temporary);
        assert_eq!(se("Conflict", 409).kind(), ErrorKind::Other);
        assert_eq!(se("NotImplemented", 501).kind(), ErrorKind::Unsupported);
        assert_eq!(se("InternalServerError", 500).kind(), ErrorKind::Temporary);
    }
}
