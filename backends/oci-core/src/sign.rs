//! OCI request signing: HTTP Signatures (draft-cavage-08) version 1 with `rsa-sha256`, as
//! documented in "Request Signatures" (docs.oracle.com, Content/API/Concepts/signingrequests.htm)
//! and implemented by Oracle's Go and Python SDKs. Every OCI client in ocisync — Object Storage,
//! Vault, Notifications, the instance-principal federation call — signs through
//! [`sign_request`]; identities ([`crate::auth`]) only supply the key id and key.
//!
//! What is signed (one `name: value` line per header, joined by `\n`):
//!
//! | Request | Signed headers |
//! |---|---|
//! | [`SignBody::None`] (GET, HEAD, DELETE) and [`SignBody::Exempt`] (PutObject, UploadPart) | `date (request-target) host` |
//! | [`SignBody::Bytes`] (every other POST/PUT) | `date (request-target) host content-length content-type x-content-sha256` |
//!
//! `(request-target)` is the lowercase method, a space, and the path and query exactly as they
//! go on the wire; `host` is the authority as sent. Both are read from the final URI, never
//! re-encoded: build the URI with [`encode_path_segment`] / [`encode_query`] and sign it as is.

mod encoding;
#[cfg(test)]
mod python_sdk_crosscheck;

use crate::{Error, ErrorKind, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE, HOST, HeaderMap, HeaderName,
};
use http::{HeaderValue, Method, Uri};

pub use crate::auth::SignBody;
use crate::keys::RsaSigningKey;
pub use encoding::{encode_path_segment, encode_query, encode_query_component};

const REQUEST_TARGET: &str = "(request-target)";

/// Whether `host` is among the signed headers. Everything signs it except the instance
/// principal's x509 federation request, which both SDKs sign without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostHeader {
    Signed,
    Unsigned,
}

/// Signs `parts` in place. Adds `date` (IMF-fixdate, now) unless `date` or `x-date` is already
/// there (`x-date` is then signed instead of `date`, as the OCI documentation allows); for
/// [`SignBody::Bytes`] sets `x-content-sha256` and `content-length` from the body and
/// `content-type: application/json` if absent; then sets `authorization`, marked sensitive.
///
/// [`SignBody::None`] on POST, PUT or PATCH is signed as an empty body: OCI requires the body
/// headers on those methods even without content (e.g. Vault's `getByName`).
pub fn sign_request(
    parts: &mut http::request::Parts,
    key_id: &str,
    key: &RsaSigningKey,
    body: SignBody<'_>,
    host: HostHeader,
) -> Result<()> {
    sign_with(parts, key_id, body, host, |signing_string| {
        key.sign_sha256(signing_string).map_err(Error::from)
    })
}

/// [`sign_request`] with the RSA step supplied by the caller. Tests use it to reproduce
/// Oracle's published signatures, whose 1024-bit key aws-lc (rightly) refuses to load.
fn sign_with(
    parts: &mut http::request::Parts,
    key_id: &str,
    body: SignBody<'_>,
    host: HostHeader,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>>,
) -> Result<()> {
    check_key_id(key_id)?;
    let wire = WireTarget::of(&parts.uri, &parts.headers)?;

    // (name, value) in signing-string order.
    let mut signed: Vec<(&'static str, String)> = Vec::with_capacity(6);
    let date = date_header(&mut parts.headers)?;
    signed.push((date, header_value(&parts.headers, date)?));
    let method = parts.method.as_str().to_ascii_lowercase();
    signed.push((REQUEST_TARGET, format!("{method} {}", wire.path_and_query)));
    if host == HostHeader::Signed {
        signed.push(("host", wire.host));
    }
    if let Some(bytes) = body_to_hash(&parts.method, body) {
        set_body_headers(&mut parts.headers, bytes)?;
        for name in ["content-length", "content-type", "x-content-sha256"] {
            signed.push((name, header_value(&parts.headers, name)?));
        }
    }

    let signing_string: Vec<String> = signed.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    let signature = STANDARD.encode(sign(signing_string.join("\n").as_bytes())?);
    let header_list: Vec<&str> = signed.iter().map(|(n, _)| *n).collect();
    let authorization = format!(
        "Signature version=\"1\",headers=\"{}\",keyId=\"{key_id}\",\
         algorithm=\"rsa-sha256\",signature=\"{signature}\"",
        header_list.join(" ")
    );
    let mut value = HeaderValue::from_str(&authorization).map_err(|_| {
        Error::new(
            ErrorKind::Auth,
            "the OCI key id is not a valid header value",
        )
    })?;
    // Security-token key ids are bearer credentials: keep them out of Debug output.
    value.set_sensitive(true);
    parts.headers.insert(AUTHORIZATION, value);
    Ok(())
}

/// The body bytes to hash, if the request signs its body.
fn body_to_hash<'a>(method: &Method, body: SignBody<'a>) -> Option<&'a [u8]> {
    match body {
        SignBody::Bytes(bytes) => Some(bytes),
        SignBody::Exempt => None,
        SignBody::None if [Method::POST, Method::PUT, Method::PATCH].contains(method) => Some(&[]),
        SignBody::None => None,
    }
}

/// `x-date` if present, else `date` (added now if absent).
fn date_header(headers: &mut HeaderMap) -> Result<&'static str> {
    if headers.contains_key("x-date") {
        return Ok("x-date");
    }
    if !headers.contains_key(DATE) {
        let now = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&jiff::Timestamp::now())
            .map_err(|e| {
                Error::new(ErrorKind::Other, format!("formatting the date header: {e}"))
            })?;
        let value = HeaderValue::from_str(&now)
            .map_err(|_| Error::new(ErrorKind::Other, "formatted date is not a header value"))?;
        headers.insert(DATE, value);
    }
    Ok("date")
}

fn set_body_headers(headers: &mut HeaderMap, body: &[u8]) -> Result<()> {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
    let hash = HeaderValue::from_str(&STANDARD.encode(digest.as_ref()))
        .map_err(|_| Error::new(ErrorKind::Other, "base64 body hash is not a header value"))?;
    headers.insert(HeaderName::from_static("x-content-sha256"), hash);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    Ok(())
}

/// A signed header's value; several values are joined with `, ` (draft-cavage-08 2.3).
fn header_value(headers: &HeaderMap, name: &str) -> Result<String> {
    let values = headers
        .get_all(name)
        .iter()
        .map(|v| {
            v.to_str().map_err(|_| {
                Error::new(
                    ErrorKind::Other,
                    format!("header {name} is signed but is not visible ASCII"),
                )
            })
        })
        .collect::<Result<Vec<&str>>>()?;
    if values.is_empty() {
        return Err(Error::new(
            ErrorKind::Other,
            format!("header {name} is signed but missing"),
        ));
    }
    Ok(values.join(", "))
}

/// A key id goes inside a quoted parameter: a `"` or control character would break the header.
fn check_key_id(key_id: &str) -> Result<()> {
    if key_id.is_empty() || key_id.chars().any(|c| c == '"' || c.is_control()) {
        // The key id itself is not shown: security-token key ids are credentials.
        return Err(Error::new(
            ErrorKind::Auth,
            "the OCI key id is empty or contains '\"' or control characters",
        ));
    }
    Ok(())
}

/// What the HTTP client will put on the wire for this URI.
struct WireTarget {
    path_and_query: String,
    host: String,
}

impl WireTarget {
    /// Reads the target from `uri` and checks that reqwest, which re-parses every URI as a WHATWG
    /// URL, would send the same path and query: a dot segment or a character it escapes would
    /// otherwise make the signature silently wrong (401 NotAuthenticated).
    fn of(uri: &Uri, headers: &HeaderMap) -> Result<Self> {
        if uri.scheme().is_none() || uri.authority().is_none() {
            return Err(Error::new(
                ErrorKind::Other,
                format!("cannot sign {uri}: the URI must be absolute"),
            ));
        }
        let url = url::Url::parse(&uri.to_string())
            .map_err(|e| Error::new(ErrorKind::Other, format!("cannot sign {uri}: {e}")))?;
        let mut wire = url.path().to_string();
        if let Some(query) = url.query() {
            wire.push('?');
            wire.push_str(query);
        }
        let sent = uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or("/");
        if sent != wire {
            return Err(Error::new(
                ErrorKind::Other,
                format!(
                    "cannot sign {uri}: the HTTP client would send the path as {wire}; \
                     encode names with sign::encode_path_segment (objects named '.' or '..' \
                     cannot be addressed)"
                ),
            ));
        }
        let host = match headers.get(HOST) {
            Some(explicit) => explicit
                .to_str()
                .map_err(|_| Error::new(ErrorKind::Other, "the host header is not visible ASCII"))?
                .to_string(),
            // `url` drops the scheme's default port and lowercases the host, as the wire does.
            None => match (url.host_str(), url.port()) {
                (Some(h), Some(port)) => format!("{h}:{port}"),
                (Some(h), None) => h.to_string(),
                (None, _) => {
                    return Err(Error::new(
                        ErrorKind::Other,
                        format!("cannot sign {uri}: no host"),
                    ));
                }
            },
        };
        Ok(WireTarget {
            path_and_query: wire,
            host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{TempDir, openssl};

    /// Oracle's test key and requests, published on the "Request Signatures" page and in the Go
    /// SDK's `common/http_signer_test.go`.
    mod oracle {
        pub(super) const PRIVATE_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
";
        /// The fingerprint in it is only a label: the test key's real one is 73:61:a2:21:...
        pub(super) const KEY_ID: &str = "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq/ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq/20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";
        pub(super) const DATE: &str = "Thu, 05 Jan 2014 21:31:40 GMT";

        pub(super) const GET_URL: &str = "https://iaas.us-phoenix-1.oraclecloud.com/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q";
        pub(super) const GET_SIGNING_STRING: &str = "date: Thu, 05 Jan 2014 21:31:40 GMT\n(request-target): get /20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\nhost: iaas.us-phoenix-1.oraclecloud.com";
        pub(super) const GET_SIGNATURE: &str = "GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M=";

        pub(super) const POST_URL: &str =
            "https://iaas.us-phoenix-1.oraclecloud.com/20160918/volumeAttachments";
        pub(super) const POST_BODY: &str = "{\n    \"compartmentId\": \"ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa\",\n    \"instanceId\": \"ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a\",\n    \"volumeId\": \"ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\"\n}";
        pub(super) const POST_SIGNING_STRING: &str = "date: Thu, 05 Jan 2014 21:31:40 GMT\n(request-target): post /20160918/volumeAttachments\nhost: iaas.us-phoenix-1.oraclecloud.com\ncontent-length: 316\ncontent-type: application/json\nx-content-sha256: V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0=";
        pub(super) const POST_SIGNATURE: &str = "Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso=";
    }

    /// Signs with the openssl CLI, for Oracle's 1024-bit test key.
    struct OpensslSigner {
        dir: TempDir,
    }

    impl OpensslSigner {
        fn oracle() -> Self {
            let dir = TempDir::new("oracle-key");
            std::fs::write(dir.path().join("key.pem"), oracle::PRIVATE_KEY).expect("write key");
            OpensslSigner { dir }
        }

        fn path(&self, name: &str) -> String {
            self.dir.path().join(name).to_string_lossy().into_owned()
        }

        fn sign(&self, message: &[u8]) -> Vec<u8> {
            std::fs::write(self.path("msg"), message).expect("write message");
            openssl(&[
                "dgst",
                "-sha256",
                "-sign",
                &self.path("key.pem"),
                "-out",
                &self.path("sig"),
                &self.path("msg"),
            ]);
            std::fs::read(self.path("sig")).expect("read signature")
        }

        fn public_key_der(&self, form: &str) -> Vec<u8> {
            openssl(&[
                "rsa",
                "-in",
                &self.path("key.pem"),
                form,
                "-outform",
                "DER",
                "-out",
                &self.path("pub.der"),
            ]);
            std::fs::read(self.path("pub.der")).expect("read public key")
        }
    }

    fn request(method: Method, url: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut builder = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).expect("valid request").into_parts().0
    }

    /// Signs with Oracle's key; returns the signing string that was signed.
    fn sign_as_oracle(parts: &mut http::request::Parts, body: SignBody<'_>) -> String {
        let signer = OpensslSigner::oracle();
        let mut seen = String::new();
        sign_with(parts, oracle::KEY_ID, body, HostHeader::Signed, |s| {
            seen = String::from_utf8(s.to_vec()).expect("utf8");
            Ok(signer.sign(s))
        })
        .expect("sign");
        seen
    }

    fn authorization(parts: &http::request::Parts) -> String {
        parts.headers[AUTHORIZATION]
            .to_str()
            .expect("ascii")
            .to_string()
    }

    #[test]
    fn reproduces_oracles_get_example() {
        let mut parts = request(Method::GET, oracle::GET_URL, &[("date", oracle::DATE)]);
        let signing_string = sign_as_oracle(&mut parts, SignBody::None);
        assert_eq!(signing_string, oracle::GET_SIGNING_STRING);
        assert_eq!(
            authorization(&parts),
            format!(
                "Signature version=\"1\",headers=\"date (request-target) host\",keyId=\"{}\",\
                 algorithm=\"rsa-sha256\",signature=\"{}\"",
                oracle::KEY_ID,
                oracle::GET_SIGNATURE
            )
        );
    }

    #[test]
    fn reproduces_oracles_post_example() {
        let mut parts = request(
            Method::POST,
            oracle::POST_URL,
            &[("date", oracle::DATE), ("content-type", "application/json")],
        );
        let signing_string =
            sign_as_oracle(&mut parts, SignBody::Bytes(oracle::POST_BODY.as_bytes()));
        assert_eq!(signing_string, oracle::POST_SIGNING_STRING);
        assert_eq!(parts.headers["content-length"], "316");
        assert_eq!(
            parts.headers["x-content-sha256"],
            "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0="
        );
        assert_eq!(
            authorization(&parts),
            format!(
                "Signature version=\"1\",headers=\"date (request-target) host content-length \
                 content-type x-content-sha256\",keyId=\"{}\",algorithm=\"rsa-sha256\",\
                 signature=\"{}\"",
                oracle::KEY_ID,
                oracle::POST_SIGNATURE
            )
        );
    }

    /// Independent of the openssl signer: Oracle's published signatures verify (with aws-lc)
    /// over the signing strings this module builds.
    #[test]
    fn oracles_signatures_verify_over_our_signing_strings() {
        use aws_lc_rs::signature::{
            RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, UnparsedPublicKey,
        };
        let signer = OpensslSigner::oracle();
        let public = UnparsedPublicKey::new(
            &RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            signer.public_key_der("-RSAPublicKey_out"),
        );
        for (method, url, body, signature) in [
            (
                Method::GET,
                oracle::GET_URL,
                SignBody::None,
                oracle::GET_SIGNATURE,
            ),
            (
                Method::POST,
                oracle::POST_URL,
                SignBody::Bytes(oracle::POST_BODY.as_bytes()),
                oracle::POST_SIGNATURE,
            ),
        ] {
            let mut parts = request(method, url, &[("date", oracle::DATE)]);
            let mut signing_string = Vec::new();
            sign_with(&mut parts, oracle::KEY_ID, body, HostHeader::Signed, |s| {
                signing_string = s.to_vec();
                Ok(vec![0])
            })
            .expect("sign");
            let signature = STANDARD.decode(signature).expect("base64");
            assert!(public.verify(&signing_string, &signature).is_ok(), "{url}");
        }
    }

    fn sign_collecting(
        parts: &mut http::request::Parts,
        body: SignBody<'_>,
        host: HostHeader,
    ) -> String {
        let mut seen = String::new();
        sign_with(parts, "ocid1.tenancy/ocid1.user/aa:bb", body, host, |s| {
            seen = String::from_utf8(s.to_vec()).expect("utf8");
            Ok(b"sig".to_vec())
        })
        .expect("sign");
        seen
    }

    fn signed_headers(parts: &http::request::Parts) -> String {
        let auth = authorization(parts);
        let start = auth.find("headers=\"").expect("headers param") + 9;
        auth[start..]
            .split('"')
            .next()
            .expect("closing quote")
            .to_string()
    }

    #[test]
    fn empty_body_posts_sign_the_body_headers() {
        let url = "https://secrets.vaults.us-ashburn-1.oci.oraclecloud.com/20190301/secretbundles/actions/getByName?secretName=aws&vaultId=ocid1.vault";
        for body in [SignBody::Bytes(&[]), SignBody::None] {
            let mut parts = request(Method::POST, url, &[("date", oracle::DATE)]);
            let signing_string = sign_collecting(&mut parts, body, HostHeader::Signed);
            assert_eq!(
                parts.headers["x-content-sha256"],
                "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
            );
            assert_eq!(parts.headers["content-length"], "0");
            assert_eq!(parts.headers["content-type"], "application/json");
            assert_eq!(
                signed_headers(&parts),
                "date (request-target) host content-length content-type x-content-sha256"
            );
            assert!(signing_string.contains("\n(request-target): post /20190301/secretbundles/actions/getByName?secretName=aws&vaultId=ocid1.vault\n"));
        }
    }

    #[test]
    fn put_object_bodies_are_exempt() {
        let url = "https://objectstorage.us-ashburn-1.oraclecloud.com/n/bling/b/t/o/FOCUS%20Reports%2Fx.csv.gz";
        let mut parts = request(
            Method::PUT,
            url,
            &[("content-type", "text/csv"), ("content-length", "9")],
        );
        let signing_string = sign_collecting(&mut parts, SignBody::Exempt, HostHeader::Signed);
        assert_eq!(signed_headers(&parts), "date (request-target) host");
        assert!(!parts.headers.contains_key("x-content-sha256"));
        assert_eq!(parts.headers["content-type"], "text/csv");
        let lines: Vec<&str> = signing_string.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[1],
            "(request-target): put /n/bling/b/t/o/FOCUS%20Reports%2Fx.csv.gz"
        );
        assert_eq!(lines[2], "host: objectstorage.us-ashburn-1.oraclecloud.com");
    }

    #[test]
    fn federation_requests_can_leave_host_unsigned() {
        let mut parts = request(
            Method::POST,
            "https://auth.us-ashburn-1.oraclecloud.com/v1/x509",
            &[],
        );
        let signing_string =
            sign_collecting(&mut parts, SignBody::Bytes(b"{}"), HostHeader::Unsigned);
        assert_eq!(
            signed_headers(&parts),
            "date (request-target) content-length content-type x-content-sha256"
        );
        assert!(!signing_string.contains("host:"));
        assert_eq!(signing_string.lines().count(), 5);
    }

    #[test]
    fn adds_an_imf_fixdate_only_when_absent_and_honours_x_date() {
        let url = "https://objectstorage.us-ashburn-1.oraclecloud.com/n";
        let mut parts = request(Method::GET, url, &[]);
        let signing_string = sign_collecting(&mut parts, SignBody::None, HostHeader::Signed);
        let date = parts.headers["date"].to_str().expect("ascii").to_string();
        let parsed = jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(&date)
            .expect("IMF date");
        assert!(date.ends_with(" GMT"), "{date}");
        assert!(
            (jiff::Timestamp::now() - parsed).get_seconds().abs() < 3600,
            "{date}"
        );
        assert_eq!(
            signing_string.lines().next(),
            Some(format!("date: {date}").as_str())
        );

        let mut parts = request(Method::GET, url, &[("x-date", oracle::DATE)]);
        let signing_string = sign_collecting(&mut parts, SignBody::None, HostHeader::Signed);
        assert!(!parts.headers.contains_key("date"));
        assert_eq!(signed_headers(&parts), "x-date (request-target) host");
        assert!(signing_string.starts_with(&format!("x-date: {}\n", oracle::DATE)));
    }

    #[test]
    fn host_is_the_authority_as_sent() {
        for (url, host) in [
            ("http://127.0.0.1:8080/n", "127.0.0.1:8080"),
            (
                "https://ObjectStorage.us-ashburn-1.oraclecloud.com:443/n",
                "objectstorage.us-ashburn-1.oraclecloud.com",
            ),
            ("http://[::1]:9000/n", "[::1]:9000"),
        ] {
            let mut parts = request(Method::GET, url, &[("date", oracle::DATE)]);
            let signing_string = sign_collecting(&mut parts, SignBody::None, HostHeader::Signed);
            assert!(
                signing_string.ends_with(&format!("\nhost: {host}")),
                "{url}: {signing_string}"
            );
        }
    }

    #[test]
    fn refuses_uris_the_client_would_rewrite() {
        for url in [
            "https://h/n/ns/b/bk/o/%2E",
            "https://h/n/ns/b/bk/o/a/../b",
            "https://h/n/ns/b/bk/o/it's?q=x'y",
        ] {
            let mut parts = request(Method::GET, url, &[]);
            let err = sign_with(&mut parts, "k", SignBody::None, HostHeader::Signed, |_| {
                Ok(vec![])
            })
            .expect_err(url);
            assert!(
                err.to_string().contains("would send the path"),
                "{url}: {err}"
            );
            assert!(!parts.headers.contains_key(AUTHORIZATION));
        }
        let mut parts = request(Method::GET, "/n/ns", &[]);
        let err = sign_with(&mut parts, "k", SignBody::None, HostHeader::Signed, |_| {
            Ok(vec![])
        })
        .expect_err("relative");
        assert!(err.to_string().contains("must be absolute"), "{err}");
    }

    #[test]
    fn key_ids_that_break_the_header_are_refused_without_echoing_them() {
        let mut parts = request(Method::GET, "https://h/n", &[]);
        let err = sign_with(
            &mut parts,
            "ST$sec\"ret",
            SignBody::None,
            HostHeader::Signed,
            |_| Ok(vec![]),
        )
        .expect_err("quote in key id");
        assert!(!err.to_string().contains("sec"), "{err}");
        assert_eq!(err.kind, ErrorKind::Auth);
    }

    #[test]
    fn authorization_is_marked_sensitive() {
        let mut parts = request(Method::GET, "https://h/n", &[]);
        sign_collecting(&mut parts, SignBody::None, HostHeader::Signed);
        assert!(parts.headers[AUTHORIZATION].is_sensitive());
        assert!(!format!("{:?}", parts.headers).contains("keyId"));
    }

    #[test]
    fn signs_with_a_real_key() {
        let key = RsaSigningKey::generate().expect("generate");
        let mut parts = request(Method::GET, "https://h/n", &[]);
        sign_request(
            &mut parts,
            "t/u/f",
            &key,
            SignBody::None,
            HostHeader::Signed,
        )
        .expect("sign");
        let auth = authorization(&parts);
        let signature = auth
            .rsplit("signature=\"")
            .next()
            .and_then(|s| s.strip_suffix('"'))
            .expect("signature");
        assert_eq!(STANDARD.decode(signature).expect("base64").len(), 256);
    }
}
