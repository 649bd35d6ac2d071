//! OCI error responses turned into OpenDAL errors that tell an operator what happened.
//!
//! OCI answers a failed request with `{"code": "...", "message": "..."}` and an `opc-request-id`
//! header (Oracle support asks for it); HEAD responses carry no body, so only the status is
//! known. The message keeps all of it: `BucketNotFound (404): Either the bucket named ... [opc-request-id: ...]`,
//! because applications (ocisync among them) show OpenDAL's message, not its context. A program
//! reads the same facts typed: the error's source is an [`oci_core::ServiceError`]
//! `{code, status, opc_request_id}` ([`service_error`]).
//!
//! Which failures are temporary (retried by OpenDAL's retry layer) follows the OCI SDKs' default
//! retry rules — oci-go-sdk `common/retry.go`, oci-python-sdk `retry/retry_checkers.py`: 409
//! `IncorrectState`/`LockConflict`, 429, and 5xx except 501 — plus 408, which rclone retries too.

use http::{HeaderMap, StatusCode};
use opendal::raw::Timestamp;
use opendal::{Error, ErrorKind};

pub use oci_core::ServiceError;

/// The tenancy that publishes cost and usage reports (namespace `bling`), and the policy a
/// customer tenancy needs to read them (docs: "Cost and Usage Reports", accessingusagereports).
pub const USAGE_REPORT_NAMESPACE: &str = "bling";
const USAGE_REPORT_TENANCY: &str =
    "ocid1.tenancy.oc1..aaaaaaaaned4fkpkisbwjlr56u7cj63lf3wffbilvqknstgtvzub7vhqkggq";

/// OCI refuses requests whose `date` is more than 5 minutes off its own clock.
const MAX_CLOCK_SKEW_SECONDS: i64 = 5 * 60;

/// What the error message may mention besides the response itself.
#[derive(Debug, Clone, Copy)]
pub struct ErrorContext<'a> {
    /// The Object Storage namespace the request addressed (`bling` gets the IAM policy hint).
    pub namespace: &'a str,
    /// The auth provider's name, so a 401 says which identity was refused.
    pub auth_provider: &'a str,
    /// The request wrote or deleted (a write to `bling` means SRC and DST are swapped).
    pub write: bool,
}

/// The JSON error body OCI sends.
#[derive(serde::Deserialize)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
}

/// Turns a failed response into an OpenDAL error: kind, temporary flag and a message with the
/// service's code, message and request id plus whatever hint helps fix it.
pub fn parse_error(
    ctx: ErrorContext<'_>,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let (code, server_message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(b) => (b.code, b.message),
        // Proxies and load balancers answer with HTML or text: keep a bounded excerpt.
        Err(_) => (None, Some(excerpt(body)).filter(|s| !s.is_empty())),
    };
    let code = code.unwrap_or_else(|| {
        status
            .canonical_reason()
            .unwrap_or("HTTP error")
            .replace(' ', "")
    });
    let (kind, temporary) = opendal_kind(status, &code);

    let mut message = format!("{code} ({})", status.as_u16());
    if let Some(m) = &server_message {
        message.push_str(": ");
        message.push_str(m);
    }
    let opc_request_id = header(headers, "opc-request-id").map(str::to_string);
    if let Some(id) = &opc_request_id {
        message.push_str(&format!(" [opc-request-id: {id}]"));
    }
    if let Some(after) = header(headers, http::header::RETRY_AFTER.as_str()) {
        message.push_str(&format!(" (Retry-After: {after})"));
    }
    for hint in hints(ctx, status, headers, server_message.as_deref()) {
        message.push_str(" — ");
        message.push_str(&hint);
    }
    let typed = ServiceError {
        code,
        status: status.as_u16(),
        opc_request_id,
    };
    Error::new(kind, message)
        .with_temporary(temporary)
        .set_source(typed)
}

/// The OpenDAL kind and whether a retry may help.
fn opendal_kind(status: StatusCode, code: &str) -> (ErrorKind, bool) {
    match status.as_u16() {
        404 => (ErrorKind::NotFound, false),
        401 | 403 => (ErrorKind::PermissionDenied, false),
        409 if matches!(code, "IncorrectState" | "LockConflict") => (ErrorKind::Conflict, true),
        409 => (ErrorKind::Conflict, false),
        412 => (ErrorKind::ConditionNotMatch, false),
        416 => (ErrorKind::RangeNotSatisfied, false),
        408 => (ErrorKind::Unexpected, true),
        429 => (ErrorKind::RateLimited, true),
        501 => (ErrorKind::Unsupported, false),
        500..=599 => (ErrorKind::Unexpected, true),
        _ => (ErrorKind::Unexpected, false),
    }
}

/// Advice that turns a status into a fix.
fn hints(
    ctx: ErrorContext<'_>,
    status: StatusCode,
    headers: &HeaderMap,
    server_message: Option<&str>,
) -> Vec<String> {
    let mut hints = Vec::new();
    let skew_in_message =
        server_message.is_some_and(|m| m.to_ascii_lowercase().contains("clock skew"));
    if matches!(status.as_u16(), 400 | 401) && (skew_in_message || clock_is_off(headers)) {
        hints.push(match clock_offset(headers) {
            // The offset from the service's own Date: what to look for on the machine.
            Some(off) => {
                let secs = off.unsigned_abs();
                let way = if off < 0 { "behind" } else { "ahead of" };
                format!(
                    "the system clock is off: this machine's clock is {}m {}s {way} OCI's                      (server Date {}); OCI refuses requests more than 5 minutes off:                      synchronise it (NTP/chrony)",
                    secs / 60,
                    secs % 60,
                    header(headers, http::header::DATE.as_str()).unwrap_or_default()
                )
            }
            None => "the system clock is off by more than 5 minutes: synchronise it (NTP/chrony)"
                .to_string(),
        });
    }
    match status.as_u16() {
        401 => hints.push(format!(
            "authentication failed: OCI did not accept the request's signature from provider {} \
             (check the key, its fingerprint, the user and tenancy OCIDs, or the instance's identity)",
            ctx.auth_provider
        )),
        403 => hints.push(
            "authorization failed: the identity was authenticated but no IAM policy allows this operation".to_string(),
        ),
        _ => {}
    }
    if ctx.namespace == USAGE_REPORT_NAMESPACE && ctx.write {
        hints.push(
            "bling is read-only — are SRC and DST swapped? The cost reports are the source: \
             ocisync sync <bling remote>:<tenancy OCID> <destination>"
                .to_string(),
        );
    } else if ctx.namespace == USAGE_REPORT_NAMESPACE && matches!(status.as_u16(), 401 | 403 | 404)
    {
        hints.push(usage_report_policy(ctx.auth_provider));
    }
    hints
}

/// The two statements reading cost reports needs, on one line, for the identity in use: a
/// dynamic group for instance and resource principals, a group for users.
fn usage_report_policy(auth_provider: &str) -> String {
    let who = match auth_provider {
        "instance_principal_auth" | "resource_principal_auth" => "dynamic-group <dynamic-group>",
        _ => "group <group>",
    };
    format!(
        "reading cost reports needs, in the tenancy's root compartment policy: `define tenancy \
         usage-report as {USAGE_REPORT_TENANCY}` and `endorse {who} to read objects in tenancy \
         usage-report`"
    )
}

/// HEAD responses have no body to say "clock skew", but they carry the server's `date`.
fn clock_is_off(headers: &HeaderMap) -> bool {
    clock_offset(headers).is_some_and(|skew| skew.abs() > MAX_CLOCK_SKEW_SECONDS)
}

/// Seconds this machine's clock is ahead of the server's `date` (negative: behind).
fn clock_offset(headers: &HeaderMap) -> Option<i64> {
    let server = header(headers, http::header::DATE.as_str())
        .and_then(|d| Timestamp::parse_rfc2822(d).ok())?;
    Some(Timestamp::now().into_inner().as_second() - server.into_inner().as_second())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// At most 200 characters of a non-JSON body, on one line.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &one_line[..end]),
        None => one_line,
    }
}

/// An error from the client's side of the wire (signing, identity) as an OpenDAL error, keeping
/// its kind and message. The source is the `oci_core::Error` (its kind for callers), holding
/// the whole text and no deeper chain: the message already says every cause once, and
/// applications that append each source's text (ocisync does) must not say them twice.
pub fn from_core(e: oci_core::Error) -> Error {
    use oci_core::ErrorKind as K;
    let (kind, temporary) = match e.kind {
        K::Auth | K::PermissionDenied => (ErrorKind::PermissionDenied, false),
        K::Config => (ErrorKind::ConfigInvalid, false),
        K::NotFound => (ErrorKind::NotFound, false),
        K::Unsupported => (ErrorKind::Unsupported, false),
        K::Temporary => (ErrorKind::Unexpected, true),
        _ => (ErrorKind::Unexpected, false),
    };
    let text = e.to_string();
    let core = oci_core::Error::new(e.kind, text.clone());
    Error::new(kind, text)
        .with_temporary(temporary)
        .set_source(core)
}

/// The service's answer behind an error of this service, typed — found in the error's sources,
/// so it survives OpenDAL's layers (retry, timeout) — or `None` when no answer came (a
/// connection failure, a refused signature on this side).
pub fn service_error(e: &Error) -> Option<&ServiceError> {
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(se) = c.downcast_ref::<ServiceError>() {
            return Some(se);
        }
        cause = c.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: ErrorContext<'static> = ErrorContext {
        namespace: "axzbp3kgiaim",
        auth_provider: "user_principal_auth",
        write: false,
    };

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    // Body recorded in oci-cli's cassettes for a missing bucket.
    const BUCKET_NOT_FOUND: &str = r#"{"code": "BucketNotFound", "message": "Either the bucket named 'reports' does not exist in the namespace 'axzbp3kgiaim' or you are not authorized to access it"}"#;

    #[test]
    fn bucket_not_found_keeps_code_message_and_request_id() {
        let h = headers(&[("opc-request-id", "iad-1:abc123")]);
        let e = parse_error(CTX, StatusCode::NOT_FOUND, &h, BUCKET_NOT_FOUND.as_bytes());
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(!e.is_temporary());
        assert_eq!(
            e.message(),
            "BucketNotFound (404): Either the bucket named 'reports' does not exist in the namespace \
             'axzbp3kgiaim' or you are not authorized to access it [opc-request-id: iad-1:abc123]"
        );
    }

    #[test]
    fn bling_errors_carry_the_iam_policy() {
        let ctx = ErrorContext {
            namespace: "bling",
            ..CTX
        };
        for status in [StatusCode::NOT_FOUND, StatusCode::UNAUTHORIZED] {
            let e = parse_error(ctx, status, &HeaderMap::new(), BUCKET_NOT_FOUND.as_bytes());
            assert!(e.message().contains(
                "define tenancy usage-report as ocid1.tenancy.oc1..aaaaaaaaned4fkpkisbwjlr56u7cj63lf3wffbilvqknstgtvzub7vhqkggq"
            ));
            assert!(
                e.message()
                    .contains("endorse group <group> to read objects in tenancy usage-report")
            );
            assert!(!e.message().contains('\n'), "one line: {}", e.message());
            assert!(!e.message().contains("swapped"));
        }
        // An instance principal is in a dynamic group, not a group.
        let ip = ErrorContext {
            namespace: "bling",
            auth_provider: "instance_principal_auth",
            write: false,
        };
        let e = parse_error(
            ip,
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            BUCKET_NOT_FOUND.as_bytes(),
        );
        assert!(
            e.message().contains(
                "`endorse dynamic-group <dynamic-group> to read objects in tenancy usage-report`"
            ),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("endorse group"), "{}", e.message());
        // A write to bling: SRC and DST swapped, not a missing read policy.
        let write = ErrorContext { write: true, ..ip };
        let e = parse_error(
            write,
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            BUCKET_NOT_FOUND.as_bytes(),
        );
        assert!(
            e.message()
                .contains("bling is read-only — are SRC and DST swapped?"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("usage-report"), "{}", e.message());
        let other = parse_error(
            CTX,
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            BUCKET_NOT_FOUND.as_bytes(),
        );
        assert!(!other.message().contains("usage-report"));
    }

    #[test]
    fn head_without_body_uses_the_status() {
        let h = headers(&[("opc-request-id", "phx-2:zz")]);
        let e = parse_error(CTX, StatusCode::NOT_FOUND, &h, b"");
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.message(), "NotFound (404) [opc-request-id: phx-2:zz]");
    }

    #[test]
    fn authentication_and_authorization_are_told_apart() {
        let body = r#"{"code":"NotAuthenticated","message":"The required information to complete authentication was not provided or was incorrect."}"#;
        let e = parse_error(
            CTX,
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            body.as_bytes(),
        );
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(
            e.message()
                .starts_with("NotAuthenticated (401): The required information")
        );
        assert!(
            e.message().contains("authentication failed")
                && e.message().contains("user_principal_auth")
        );
        assert!(!e.message().contains("clock"));

        let body =
            r#"{"code":"NotAuthorized","message":"You are not authorized to perform this action"}"#;
        let e = parse_error(
            CTX,
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            body.as_bytes(),
        );
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.message().contains("authorization failed") && e.message().contains("IAM policy"));
    }

    #[test]
    fn clock_skew_is_named() {
        // Message as OCI sends it (seen in oracle/terraform-provider-oci#474).
        let body = r#"{"code":"NotAuthenticated","message":"Date 'Sun, 11 Mar 2018 16:32:46 UTC' is not within allowed clock skew. Current 'Sun, 11 Mar 2018 16:39:04 UTC'"}"#;
        let e = parse_error(
            CTX,
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            body.as_bytes(),
        );
        assert!(
            e.message()
                .contains("the system clock is off by more than 5 minutes"),
            "{}",
            e.message()
        );

        let e = parse_error(
            CTX,
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body.as_bytes(),
        );
        assert!(
            e.message()
                .contains("the system clock is off by more than 5 minutes")
        );

        // A bodiless 401 whose Date is an hour away from ours.
        let hour_ago =
            Timestamp::from_second(Timestamp::now().into_inner().as_second() - 3600).unwrap();
        let h = headers(&[("date", &hour_ago.format_http_date())]);
        let e = parse_error(CTX, StatusCode::UNAUTHORIZED, &h, b"");
        assert!(e.message().contains("the system clock is off"));
        let h = headers(&[("date", &Timestamp::now().format_http_date())]);
        let e = parse_error(CTX, StatusCode::UNAUTHORIZED, &h, b"");
        assert!(!e.message().contains("the system clock is off"));
    }

    #[test]
    fn temporary_failures_follow_the_sdks() {
        let body = |code: &str| format!(r#"{{"code":"{code}","message":"m"}}"#);
        let h = headers(&[("retry-after", "7")]);
        let e = parse_error(
            CTX,
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            body("TooManyRequests").as_bytes(),
        );
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(e.is_temporary());
        assert!(e.message().contains("(Retry-After: 7)"));

        for (status, code, temporary) in [
            (503, "ServiceUnavailable", true),
            (500, "InternalServerError", true),
            (501, "MethodNotImplemented", false),
            (409, "IncorrectState", true),
            (409, "LockConflict", true),
            (409, "BucketNotEmpty", false),
            (408, "RequestTimeout", true),
            (400, "InvalidParameter", false),
        ] {
            let status = StatusCode::from_u16(status).unwrap();
            let e = parse_error(CTX, status, &HeaderMap::new(), body(code).as_bytes());
            assert_eq!(e.is_temporary(), temporary, "{status} {code}");
            assert!(
                e.message()
                    .starts_with(&format!("{code} ({})", status.as_u16()))
            );
        }
    }

    #[test]
    fn non_json_bodies_are_excerpted() {
        let html = format!("<html>\n<body>{}</body></html>", "x".repeat(500));
        let e = parse_error(
            CTX,
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            html.as_bytes(),
        );
        assert!(
            e.message()
                .starts_with("BadGateway (502): <html> <body>xxx")
        );
        assert!(e.message().chars().count() < 260);
        assert!(e.is_temporary());
    }

    #[test]
    fn core_errors_keep_their_kind() {
        let e = from_core(oci_core::Error::new(
            oci_core::ErrorKind::Auth,
            "key file unreadable",
        ));
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert_eq!(e.message(), "key file unreadable");
        let e = from_core(oci_core::Error::new(
            oci_core::ErrorKind::Temporary,
            "imds timeout",
        ));
        assert!(e.is_temporary());
        // The cause is in the message once; the source adds no second copy of it.
        let io = std::io::Error::other("connection refused");
        let e = from_core(
            oci_core::Error::new(oci_core::ErrorKind::Temporary, "instance metadata")
                .with_source(io),
        );
        assert_eq!(e.message(), "instance metadata: connection refused");
        let source = std::error::Error::source(&e).expect("source");
        let core = source
            .downcast_ref::<oci_core::Error>()
            .expect("the core error");
        assert_eq!(core.kind, oci_core::ErrorKind::Temporary);
        assert!(std::error::Error::source(core).is_none());
    }

    #[test]
    fn the_answer_is_the_typed_source() {
        let mut headers = HeaderMap::new();
        headers.insert("opc-request-id", "req-1".parse().unwrap());
        let e = parse_error(
            CTX,
            StatusCode::NOT_FOUND,
            &headers,
            BUCKET_NOT_FOUND.as_bytes(),
        );
        let se = service_error(&e).expect("typed source");
        assert_eq!(
            se,
            &ServiceError {
                code: "BucketNotFound".into(),
                status: 404,
                opc_request_id: Some("req-1".into()),
            }
        );
        assert!(se.is_missing_container());
        // Still there after the retry layer gave up on a server fault.
        let e = parse_error(CTX, StatusCode::SERVICE_UNAVAILABLE, &HeaderMap::new(), b"")
            .set_persistent();
        assert_eq!(service_error(&e).map(|s| s.status), Some(503));
        assert!(
            service_error(&Error::new(ErrorKind::Unexpected, "BucketNotFound (404)")).is_none()
        );
    }
}
