//! Azure's error answers as an operator reads them: OpenDAL's azblob service puts the parsed
//! XML in its message (`AzblobError { code: "ContainerNotFound", message: "The specified
//! container does not exist.\nRequestId:…" }`); this keeps the code and the first sentence.

use ocisync_backend::ErrorKind;
use ocisync_backend::error::kind_of;

/// `code: message` from the service's answer; `None` for other errors (the generic mapping).
pub fn classify(e: &opendal::Error) -> Option<(ErrorKind, String)> {
    let text = e.message();
    let code = quoted_after(text, "code: \"")?;
    let message = quoted_after(text, "message: \"").unwrap_or_default();
    // Azure appends "\nRequestId:…\nTime:…" to every message.
    let message = message
        .split("\\n")
        .next()
        .unwrap_or_default()
        .split("RequestId:")
        .next()
        .unwrap_or_default()
        .trim();
    let kind = match code {
        "AuthenticationFailed" | "AuthorizationFailure" | "InvalidAuthenticationInfo" => {
            ErrorKind::Auth
        }
        _ => kind_of(e),
    };
    Some((kind, format!("Azure {code}: {message}")))
}

/// The text between `marker` and the next unescaped `"`.
fn quoted_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let start = text.find(marker)? + marker.len();
    let rest = &text[start..];
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(&rest[..i]),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_and_first_sentence() {
        let e = opendal::Error::new(
            opendal::ErrorKind::NotFound,
            "AzblobError { code: \"ContainerNotFound\", message: \"The specified container does \
             not exist.\\nRequestId:0314986b\\nTime:2026-11-30T15:20:46.274Z\" }",
        );
        let (kind, text) = classify(&e).unwrap();
        assert_eq!(kind, ErrorKind::NotFound);
        assert_eq!(
            text,
            "Azure ContainerNotFound: The specified container does not exist."
        );
        let auth = opendal::Error::new(
            opendal::ErrorKind::Unexpected,
            "AzblobError { code: \"AuthenticationFailed\", message: \"Server failed to \
             authenticate the request.\" }",
        );
        assert_eq!(classify(&auth).unwrap().0, ErrorKind::Auth);
        let other = opendal::Error::new(opendal::ErrorKind::Unexpected, "connection reset");
        assert!(classify(&other).is_none());
    }
}
