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

pub(crate) fn classify(e: &opendal::Error) -> Option<(ErrorKind, String)> {
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
}
