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
    let full = e.to_string();
    let kind = match code {
        "RequestTimeTooSkewed" => {
            out.push_str(&clock_hint(response_header(&full, "date").as_deref()));
            ErrorKind::Auth
        }
        "PermanentRedirect"
        | "AuthorizationHeaderMalformed"
        | "IllegalLocationConstraintException" => {
            if let Some(region) = response_header(&full, "x-amz-bucket-region") {
                out.push_str(&format!(
                    " — the bucket is in region {region}: set region = \"{region}\" on the remote"
                ));
            }
            ErrorKind::Config
        }
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

/// A response header as OpenDAL's error context shows it (`"name": "value"` in the response
/// parts it attaches).
fn response_header(text: &str, name: &str) -> Option<String> {
    let start = text.find(&format!("\"{name}\": \""))? + name.len() + 5;
    let len = text[start..].find('"')?;
    Some(text[start..start + len].to_string())
}

/// "This machine's clock is 20m 3s behind S3's", from the server's `Date`.
fn clock_hint(server_date: Option<&str>) -> String {
    let server = server_date
        .and_then(|d| jiff::fmt::rfc2822::parse(d).ok())
        .map(|z| z.timestamp());
    let Some(server) = server else {
        return " — this machine's clock is off by more than 15 minutes: synchronise it \
                (NTP/chrony)"
            .into();
    };
    let offset = jiff::Timestamp::now().duration_since(server);
    let secs = offset.as_secs().unsigned_abs();
    let way = if offset.is_negative() {
        "behind"
    } else {
        "ahead of"
    };
    format!(
        " — this machine's clock is {}m {}s {way} S3's (server Date {}); S3 refuses requests \
         more than 15 minutes off: synchronise it (NTP/chrony)",
        secs / 60,
        secs % 60,
        server_date.unwrap_or_default()
    )
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
    fn skewed_clocks_and_other_regions_are_said_plainly() {
        let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(20 * 60 + 5);
        let date = ahead.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let e = opendal::Error::new(
            opendal::ErrorKind::PermissionDenied,
            "S3Error { code: \"RequestTimeTooSkewed\", message: \"too large\", resource: \"\", request_id: \"\" }",
        )
        .with_context("response", format!("Parts {{ headers: {{\"date\": \"{date}\"}} }}"));
        let (kind, msg) = classify(&e).unwrap();
        assert_eq!(kind, ErrorKind::Auth);
        assert!(
            msg.contains("this machine's clock is 20m") && msg.contains("behind"),
            "{msg}"
        );
        let e = opendal::Error::new(
            opendal::ErrorKind::Unexpected,
            "S3Error { code: \"PermanentRedirect\", message: \"m\", resource: \"\", request_id: \"\" }",
        )
        .with_context("response", "Parts { headers: {\"x-amz-bucket-region\": \"eu-west-1\"} }");
        let (kind, msg) = classify(&e).unwrap();
        assert_eq!(kind, ErrorKind::Config);
        assert!(msg.contains("set region = \"eu-west-1\""), "{msg}");
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
