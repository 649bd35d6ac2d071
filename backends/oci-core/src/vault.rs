//! OCI Vault's secrets API, the part any client needs: the GetSecretBundle request
//! (`GET {endpoint}/20190301/secretbundles/{secretId}`, the current version) and the reading of
//! its answer — the bundle's base64 content decoded and trimmed of surrounding whitespace (a
//! trailing newline from `echo` is the classic cause of S3 "invalid header" errors), a value
//! that still holds control characters refused. Errors never hold the value.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::sign::encode_path_segment;
use crate::{Error, ErrorKind, Secret};

/// Added to a 404 of GetSecretBundle: OCI answers 404 both for an unknown OCID and for a
/// secret this identity may not read.
pub const NOT_FOUND_HINT: &str = " (check the OCID, and that a policy lets this identity `read \
                                  secret-bundles` in the secret's compartment)";

/// The GetSecretBundle URL of `secret_id`'s current version; `endpoint` without trailing slash.
pub fn secret_bundle_url(endpoint: &str, secret_id: &str) -> String {
    format!(
        "{endpoint}/20190301/secretbundles/{}",
        encode_path_segment(secret_id)
    )
}

/// Why a secret's content cannot be used. Never holds the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("the secret bundle is not the expected JSON (secretBundleContent.content)")]
    NotABundle,
    #[error("the secret's content type is {0}, not BASE64")]
    NotBase64Type(String),
    #[error("the secret's content is not valid base64")]
    BadBase64,
    #[error("the secret's value is not UTF-8 text")]
    NotText,
    #[error("the secret's value is empty (after trimming surrounding whitespace)")]
    Empty,
    #[error(
        "the secret's value contains control characters (other than surrounding whitespace, \
         which is trimmed); store the value alone, without them"
    )]
    ControlCharacters,
}

/// A secret that cannot be used is a credentials problem ([`ErrorKind::Auth`]); the message is
/// the problem alone, for the caller to say which secret.
impl From<ContentError> for Error {
    fn from(problem: ContentError) -> Self {
        Error::new(ErrorKind::Auth, problem.to_string())
    }
}

/// The value of a GetSecretBundle response body.
pub fn secret_from_bundle(body: &[u8]) -> Result<Secret, ContentError> {
    #[derive(serde::Deserialize)]
    struct Bundle {
        #[serde(rename = "secretBundleContent")]
        content: Option<Content>,
    }
    #[derive(serde::Deserialize)]
    struct Content {
        #[serde(rename = "contentType")]
        content_type: Option<String>,
        content: Option<String>,
    }
    let bundle: Bundle = serde_json::from_slice(body).map_err(|_| ContentError::NotABundle)?;
    let content = bundle.content.ok_or(ContentError::NotABundle)?;
    let encoded = Zeroizing::new(content.content.ok_or(ContentError::NotABundle)?);
    if let Some(t) = content
        .content_type
        .filter(|t| !t.eq_ignore_ascii_case("BASE64"))
    {
        return Err(ContentError::NotBase64Type(t));
    }
    decode_secret(&encoded)
}

/// Base64 → text, trimmed of surrounding whitespace, refused if control characters remain.
pub fn decode_secret(encoded: &str) -> Result<Secret, ContentError> {
    let bytes = Zeroizing::new(
        STANDARD
            .decode(encoded.trim())
            .map_err(|_| ContentError::BadBase64)?,
    );
    let text = std::str::from_utf8(&bytes).map_err(|_| ContentError::NotText)?;
    let value = text.trim();
    if value.is_empty() {
        return Err(ContentError::Empty);
    }
    if value.chars().any(char::is_control) {
        return Err(ContentError::ControlCharacters);
    }
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_secret_once_encoded() {
        assert_eq!(
            secret_bundle_url(
                "https://secrets.vaults.us-ashburn-1.oci.oraclecloud.com",
                "ocid1.vaultsecret.oc1.iad.aaaa"
            ),
            "https://secrets.vaults.us-ashburn-1.oci.oraclecloud.com/20190301/secretbundles/\
             ocid1.vaultsecret.oc1.iad.aaaa"
        );
        assert!(secret_bundle_url("http://127.0.0.1:1", "a/b").ends_with("/secretbundles/a%2Fb"));
    }

    #[test]
    fn decoding_trims_surrounding_whitespace_only() {
        let decode = |raw: &str| decode_secret(&STANDARD.encode(raw));
        assert_eq!(
            decode("AKIAEXAMPLE").expect("plain").expose(),
            "AKIAEXAMPLE"
        );
        assert_eq!(
            decode("AKIAEXAMPLE\n").expect("newline").expose(),
            "AKIAEXAMPLE"
        );
        assert_eq!(
            decode("  wJalr/K7+MDENG\r\n\t").expect("crlf").expose(),
            "wJalr/K7+MDENG"
        );
        // Inner spaces are part of the value.
        assert_eq!(decode("a b").expect("inner space").expose(), "a b");
        assert_eq!(
            decode("AKIA\x00EXAMPLE"),
            Err(ContentError::ControlCharacters)
        );
        assert_eq!(
            decode("AKIA\nEXAMPLE"),
            Err(ContentError::ControlCharacters)
        );
        assert_eq!(decode(" \n "), Err(ContentError::Empty));
        assert_eq!(decode_secret("not base64!"), Err(ContentError::BadBase64));
        assert_eq!(
            decode_secret(&STANDARD.encode([0xff, 0xfe])),
            Err(ContentError::NotText)
        );
        // Messages never carry the value.
        let secret = "AKIA\x07SECRETVALUE";
        let message = decode(secret).expect_err("bell").to_string();
        assert!(!message.contains("SECRETVALUE"), "{message}");
        let error = Error::from(decode(secret).expect_err("bell"));
        assert_eq!(error.kind, ErrorKind::Auth);
        assert_eq!(error.to_string(), message);
    }

    #[test]
    fn bundles_must_be_base64_bundles() {
        let bundle = |content_type: &str, content: &str| {
            format!(
                r#"{{"secretId":"x","secretBundleContent":{{"contentType":"{content_type}","content":"{content}"}}}}"#
            )
        };
        let ok =
            secret_from_bundle(bundle("BASE64", &STANDARD.encode("v\n")).as_bytes()).expect("ok");
        assert_eq!(ok.expose(), "v");
        assert_eq!(format!("{ok:?}"), "<redacted>");
        assert_eq!(
            secret_from_bundle(bundle("TEXT", "dg==").as_bytes()),
            Err(ContentError::NotBase64Type("TEXT".into()))
        );
        assert_eq!(secret_from_bundle(b"{}"), Err(ContentError::NotABundle));
        assert_eq!(secret_from_bundle(b"<html>"), Err(ContentError::NotABundle));
    }
}
