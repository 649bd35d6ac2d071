//! S3 errors as an operator reads them: `NoSuchBucket: The specified bucket does not exist
//! [request id ...]` rather than OpenDAL's debug dump, and a missing bucket treated as a
//! missing root (exit 3), not as bad configuration.

use ocisync_backend::ErrorKind;

/// Pulls `field: "value"` out of OpenDAL's `S3Error { code: "...", message: "...", ... }`.
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let start = text.find(&format!("{name}: \""))? + name.len() + 3;
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

/// OpenDAL's message for a request its signer could not sign (`new_request_sign_error`).
const SIGN_FAILURE: &str = "signing http request";

/// A signing failure: the signer had no usable credential. OpenDAL marks it a permanent
/// `Unexpected` error (its retry layer does not retry it) but the retry layer then marks every
/// error it lets out "persistent", which reads as an exhausted temporary fault. It is an
/// authentication problem — retrying cannot fix it — unless the credential source itself said
/// a retry may help (a provider's network failure).
fn sign_failure(e: &opendal::Error) -> Option<(ErrorKind, String)> {
    if e.message() != SIGN_FAILURE {
        return None;
    }
    let cause = std::error::Error::source(e);
    let reqsign = cause.and_then(|c| c.downcast_ref::<reqsign_core::Error>());
    let mut why = String::new();
    let mut next = cause;
    while let Some(c) = next {
        let text = c.to_string();
        if !text.is_empty() && !why.contains(&text) {
            if !why.is_empty() {
                why.push_str(": ");
            }
            why.push_str(&text);
        }
        next = c.source();
    }
    if reqsign.is_some_and(|r| r.is_retryable()) {
        return Some((
            ErrorKind::Temporary,
            format!("could not sign the request: {why}"),
        ));
    }
    let mut message = format!("could not sign the request: {why}");
    if why.contains("failed to load signing credential") {
        message = format!(
            "no AWS credentials: the credential chain gave none to sign with (env_auth looks \
             in the environment, the shared files ~/.aws/credentials and ~/.aws/config, SSO, \
             web identity, credential_process, the ECS endpoint and EC2 instance metadata); {}",
            crate::credentials::MISSING_FIX
        );
    }
    Some((ErrorKind::Auth, message))
}

pub(crate) fn classify(e: &opendal::Error) -> Option<(ErrorKind, String)> {
    if let Some(found) = sign_failure(e) {
        return Some(found);
    }
    let msg = e.message();
    let code = field(msg, "code").filter(|c| !c.is_empty())?;
    let text = field(msg, "message").unwrap_or_default();
    let mut out = format!("{code}: {text}");
    if let Some(id) = field(msg, "request_id").filter(|i| !i.is_empty()) {
        out.push_str(&format!(" [request id {id}]"));
    }
    let kind = match code {
        "NoSuchBucket" => ErrorKind::DirNotFound,
        "NoSuchKey" => ErrorKind::NotFound,
        "AccessDenied" | "AllAccessDisabled" => ErrorKind::PermissionDenied,
        "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken" | "InvalidToken" => {
            ErrorKind::Auth
        }
        _ => ocisync_backend::error::kind_of(e),
    };
    Some((kind, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_s3_errors() {
        let e = opendal::Error::new(
            opendal::ErrorKind::ConfigInvalid,
            "S3Error { code: \"NoSuchBucket\", message: \"The specified bucket does not exist\", resource: \"\", request_id: \"R1\" }",
        );
        let (kind, msg) = classify(&e).unwrap();
        assert_eq!(kind, ErrorKind::DirNotFound);
        assert_eq!(
            msg,
            "NoSuchBucket: The specified bucket does not exist [request id R1]"
        );
        let e = opendal::Error::new(
            opendal::ErrorKind::PermissionDenied,
            "S3Error { code: \"SignatureDoesNotMatch\", message: \"x\", resource: \"\", request_id: \"\" }",
        );
        assert_eq!(classify(&e).unwrap().0, ErrorKind::Auth);
        assert!(
            classify(&opendal::Error::new(
                opendal::ErrorKind::Unexpected,
                "plain"
            ))
            .is_none()
        );
    }

    #[test]
    fn signing_without_credentials_is_an_auth_error() {
        let no_credential =
            reqsign_core::Error::credential_invalid("failed to load signing credential");
        let e = opendal::Error::new(opendal::ErrorKind::Unexpected, SIGN_FAILURE)
            .set_source(no_credential)
            // What the retry layer does to every error it lets out.
            .set_persistent();
        let (kind, message) = classify(&e).expect("classified");
        assert_eq!(kind, ErrorKind::Auth);
        assert!(message.starts_with("no AWS credentials"), "{message}");
        assert!(message.contains("credentials = \"NAME\""), "{message}");

        let flaky = reqsign_core::Error::unexpected("connection reset").set_retryable(true);
        let e = opendal::Error::new(opendal::ErrorKind::Unexpected, SIGN_FAILURE).set_source(flaky);
        assert_eq!(classify(&e).expect("classified").0, ErrorKind::Temporary);
    }
}
