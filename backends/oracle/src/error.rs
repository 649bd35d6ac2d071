//! Errors of the OCI crates as ocisync's: `oci-core`'s keep their kind and message (and stay
//! the source), and the engine's classifier reads an Object Storage error's kind from the
//! typed service answer the OpenDAL error carries, never from its message text.

use ocisync_backend::{Error, ErrorKind};
use opendal_service_oci_objectstorage::service_error;

/// An `oci-core` error as ocisync's, message unchanged.
pub fn from_core(e: oci_core::Error) -> Error {
    use oci_core::ErrorKind as K;
    let kind = match e.kind {
        K::Auth => ErrorKind::Auth,
        K::PermissionDenied => ErrorKind::PermissionDenied,
        K::NotFound => ErrorKind::NotFound,
        K::Config => ErrorKind::Config,
        K::Unsupported => ErrorKind::Unsupported,
        K::Temporary => ErrorKind::Temporary,
        _ => ErrorKind::Other,
    };
    let mut out = Error::new(kind, e.message);
    out.source = e.source;
    out
}

/// For the engine (`Features::classify_error`): the ocisync kind of an error the Object
/// Storage service produced from an answer of OCI. A missing bucket is a missing root (exit
/// code 3, as in rclone); a refused signature is an authentication problem; server faults stay
/// temporary even after the retry layer gave up on them.
pub fn classify(e: &opendal::Error) -> Option<(ErrorKind, String)> {
    let answer = service_error(e)?;
    let kind = match answer.kind() {
        _ if answer.is_missing_container() => ErrorKind::DirNotFound,
        oci_core::ErrorKind::NotFound => ErrorKind::NotFound,
        oci_core::ErrorKind::Auth => ErrorKind::Auth,
        oci_core::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
        oci_core::ErrorKind::Temporary => ErrorKind::Temporary,
        _ => ocisync_backend::error::kind_of(e),
    };
    Some((kind, e.message().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocisync_backend::ErrorKind as K;
    use opendal_service_oci_objectstorage::error::{ErrorContext, parse_error};

    const CTX: ErrorContext<'static> = ErrorContext {
        namespace: "axzbp3kgiaim",
        auth_provider: "user_principal_auth",
        write: false,
    };

    fn answer(status: u16, body: &str) -> opendal::Error {
        parse_error(
            CTX,
            http::StatusCode::from_u16(status).unwrap(),
            &http::HeaderMap::new(),
            body.as_bytes(),
        )
    }

    #[test]
    fn core_errors_keep_kind_message_and_source() {
        let io = std::io::Error::other("permission denied (os error 13)");
        let e = from_core(
            oci_core::Error::new(oci_core::ErrorKind::Auth, "reading key_file /k.pem")
                .with_source(io),
        );
        assert_eq!(e.kind, K::Auth);
        assert_eq!(
            e.to_string(),
            "reading key_file /k.pem: permission denied (os error 13)"
        );
    }

    #[test]
    fn classification_for_the_engine() {
        let kind = |status: u16, body: &str| {
            let e = answer(status, body);
            classify(&e).map(|(k, m)| {
                assert_eq!(m, e.message());
                k
            })
        };
        let bucket = r#"{"code":"BucketNotFound","message":"m"}"#;
        assert_eq!(kind(404, bucket), Some(K::DirNotFound));
        assert_eq!(
            kind(404, r#"{"code":"ObjectNotFound","message":"m"}"#),
            Some(K::NotFound)
        );
        assert_eq!(kind(404, ""), Some(K::NotFound));
        assert_eq!(kind(401, ""), Some(K::Auth));
        assert_eq!(kind(403, ""), Some(K::PermissionDenied));
        // After the retry layer gives up, the error is no longer "temporary" to OpenDAL.
        let e = answer(503, "").set_persistent();
        assert_eq!(classify(&e).map(|c| c.0), Some(K::Temporary));
        assert_eq!(kind(501, ""), Some(K::Unsupported));
        assert_eq!(
            kind(400, r#"{"code":"InvalidParameter","message":"m"}"#),
            Some(K::Other)
        );
        // Only the typed answer counts, whatever a message says.
        let untyped = |m: &str| opendal::Error::new(opendal::ErrorKind::Unexpected, m.to_string());
        assert!(classify(&untyped("send http request")).is_none());
        assert!(classify(&untyped("BucketNotFound (404): m")).is_none());
    }
}
