//! Google's error answers as an operator reads them: OpenDAL's gcs service puts the parsed JSON
//! in its message (`GcsErrorResponse { error: GcsError { code: 404, message: "No such object:
//! b/k", errors: [...] } }`); this keeps the HTTP code and Google's message.

use ocisync_backend::ErrorKind;
use ocisync_backend::error::kind_of;

/// `GCS CODE: message` from the service's answer; `None` for other errors.
pub fn classify(e: &opendal::Error) -> Option<(ErrorKind, String)> {
    let text = e.message();
    if !text.contains("GcsError") {
        return None;
    }
    let code: u16 = after(text, "code: ")?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let message = after(text, "message: \"")
        .and_then(|m| m.split('"').next())
        .unwrap_or_default();
    let kind = match code {
        401 => ErrorKind::Auth,
        _ => kind_of(e),
    };
    Some((kind, format!("GCS {code}: {message}")))
}

fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    text.find(marker).map(|i| &text[i + marker.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_and_message() {
        let e = opendal::Error::new(
            opendal::ErrorKind::Unexpected,
            "GcsErrorResponse { error: GcsError { code: 400, message: \"invalid uploadType\", \
             errors: [GcsErrorDetail { domain: \"global\" }] } }",
        );
        assert_eq!(
            classify(&e).unwrap(),
            (ErrorKind::Other, "GCS 400: invalid uploadType".to_string())
        );
        let auth = opendal::Error::new(
            opendal::ErrorKind::Unexpected,
            "GcsErrorResponse { error: GcsError { code: 401, message: \"Invalid Credentials\" } }",
        );
        assert_eq!(classify(&auth).unwrap().0, ErrorKind::Auth);
        assert!(
            classify(&opendal::Error::new(
                opendal::ErrorKind::Unexpected,
                "reset"
            ))
            .is_none()
        );
    }
}
