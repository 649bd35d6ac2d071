//! The parts of an instance's X.509 certificate that instance principals use: the DER bytes (for
//! the federation request and the key id's fingerprint) and the tenancy OCID OCI writes into the
//! subject (`OU=opc-tenant:<tenancy OCID>`, or `opc-identity:` on some certificates).
//!
//! Only the certificate's outer structure and its subject are read (RFC 5280 §4.1): just enough
//! DER to find them. The certificate itself is checked by OCI's identity service, not here.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OBJECT_IDENTIFIER: u8 = 0x06;
/// `[0] EXPLICIT Version` at the start of a v2/v3 TBSCertificate.
const VERSION_TAG: u8 = 0xa0;

/// Prefixes of the subject attribute values that carry the tenancy OCID.
const TENANCY_PREFIXES: [&str; 2] = ["opc-tenant:", "opc-identity:"];

/// Why a certificate could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("no '-----BEGIN CERTIFICATE-----' block")]
    NotPem,
    #[error("the certificate's PEM body is not valid base64")]
    BadBase64,
    #[error("malformed certificate: {0}")]
    Malformed(&'static str),
    #[error("the certificate's subject has no opc-tenant: or opc-identity: value (a tenancy OCID)")]
    NoTenancy,
}

/// A parsed certificate. Certificates are public; nothing here is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    subject_values: Vec<String>,
}

impl Certificate {
    /// The first `CERTIFICATE` block of a PEM text.
    pub fn from_pem(pem: &str) -> Result<Self, CertificateError> {
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let start = pem.find(BEGIN).ok_or(CertificateError::NotPem)? + BEGIN.len();
        let stop = pem[start..].find(END).ok_or(CertificateError::NotPem)? + start;
        let body: String = pem[start..stop]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = STANDARD
            .decode(body)
            .map_err(|_| CertificateError::BadBase64)?;
        Self::from_der(der)
    }

    pub fn from_der(der: Vec<u8>) -> Result<Self, CertificateError> {
        let subject_values = subject_values(&der)?;
        Ok(Certificate {
            der,
            subject_values,
        })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The DER as one line of base64: the PEM without its armour lines and newlines, which is
    /// how the federation request carries certificates and keys.
    pub fn base64(&self) -> String {
        STANDARD.encode(&self.der)
    }

    /// The tenancy OCID from the subject.
    pub fn tenancy(&self) -> Result<&str, CertificateError> {
        self.subject_values
            .iter()
            .find_map(|v| TENANCY_PREFIXES.iter().find_map(|p| v.strip_prefix(p)))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(CertificateError::NoTenancy)
    }

    /// SHA-256 of the DER, as lowercase hex pairs joined by `:` (the `fed-x509-sha256` key id).
    pub fn sha256_fingerprint(&self) -> String {
        Sha256::digest(&self.der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// Every attribute value of the subject, in order (`CN=…`, each `OU=…`...).
fn subject_values(der: &[u8]) -> Result<Vec<String>, CertificateError> {
    let mut outer = Reader(der);
    let certificate = outer.read(SEQUENCE, "not a certificate (no outer SEQUENCE)")?;
    let mut certificate = Reader(certificate);
    let mut tbs = Reader(certificate.read(SEQUENCE, "no TBSCertificate")?);
    if tbs.peek() == Some(VERSION_TAG) {
        tbs.skip("truncated version")?;
    }
    tbs.skip("no serial number")?;
    tbs.read(SEQUENCE, "no signature algorithm")?;
    tbs.read(SEQUENCE, "no issuer")?;
    tbs.read(SEQUENCE, "no validity")?;
    let mut subject = Reader(tbs.read(SEQUENCE, "no subject")?);

    let mut values = Vec::new();
    while !subject.is_empty() {
        let mut rdn = Reader(subject.read(SET, "malformed subject RDN")?);
        while !rdn.is_empty() {
            let mut attribute = Reader(rdn.read(SEQUENCE, "malformed subject attribute")?);
            attribute.read(OBJECT_IDENTIFIER, "subject attribute without a type")?;
            // Any string type (UTF8String, PrintableString, IA5String...): the bytes are text.
            let (_, value) = attribute.any("subject attribute without a value")?;
            values.push(String::from_utf8_lossy(value).into_owned());
        }
    }
    Ok(values)
}

/// A cursor over definite-length DER elements with one-byte tags.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    /// The next element's tag and contents.
    fn any(&mut self, what: &'static str) -> Result<(u8, &'a [u8]), CertificateError> {
        let bad = || CertificateError::Malformed(what);
        let (&tag, rest) = self.0.split_first().ok_or_else(bad)?;
        let (&first, mut rest) = rest.split_first().ok_or_else(bad)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            // Long form; four length bytes is far more than any certificate needs.
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return Err(bad());
            }
            let (len_bytes, after) = rest.split_at(count);
            rest = after;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        if rest.len() < len {
            return Err(bad());
        }
        let (contents, after) = rest.split_at(len);
        self.0 = after;
        Ok((tag, contents))
    }

    fn read(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], CertificateError> {
        match self.any(what)? {
            (found, contents) if found == tag => Ok(contents),
            _ => Err(CertificateError::Malformed(what)),
        }
    }

    fn skip(&mut self, what: &'static str) -> Result<(), CertificateError> {
        self.any(what).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{TempDir, openssl};

    /// A self-signed certificate made by the openssl CLI with `subject`.
    fn openssl_certificate(dir: &TempDir, subject: &str) -> String {
        let path = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &path("key.pem"),
            "-out",
            &path("cert.pem"),
            "-days",
            "1",
            "-subj",
            subject,
        ]);
        std::fs::read_to_string(path("cert.pem")).expect("read cert")
    }

    #[test]
    fn tenancy_comes_from_the_opc_tenant_subject_value() {
        let dir = TempDir::new("x509");
        let pem = openssl_certificate(
            &dir,
            "/CN=ocid1.instance.oc1.iad.abc/OU=opc-certtype:instance/OU=opc-compartment:ocid1.compartment.oc1..c/OU=opc-instance:ocid1.instance.oc1.iad.abc/OU=opc-tenant:ocid1.tenancy.oc1..tenant",
        );
        let cert = Certificate::from_pem(&pem).expect("parse");
        assert_eq!(cert.tenancy(), Ok("ocid1.tenancy.oc1..tenant"));

        // The DER, base64 and fingerprint agree with openssl's view of the same file.
        let der_path = dir.path().join("cert.der");
        openssl(&[
            "x509",
            "-in",
            &dir.path().join("cert.pem").to_string_lossy(),
            "-outform",
            "DER",
            "-out",
            &der_path.to_string_lossy(),
        ]);
        let der = std::fs::read(&der_path).expect("der");
        assert_eq!(cert.der(), der.as_slice());
        let stripped: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat();
        assert_eq!(cert.base64(), stripped);
        let out = openssl(&[
            "x509",
            "-in",
            &dir.path().join("cert.pem").to_string_lossy(),
            "-noout",
            "-fingerprint",
            "-sha256",
        ]);
        let expected = out.trim().rsplit('=').next().expect("fingerprint");
        assert_eq!(cert.sha256_fingerprint(), expected.to_ascii_lowercase());
    }

    #[test]
    fn opc_identity_is_accepted_and_absence_is_an_error() {
        let dir = TempDir::new("x509-identity");
        let pem = openssl_certificate(
            &dir,
            "/CN=ocid1.resource.oc1..r/OU=opc-identity:ocid1.tenancy.oc1..other",
        );
        let cert = Certificate::from_pem(&pem).expect("parse");
        assert_eq!(cert.tenancy(), Ok("ocid1.tenancy.oc1..other"));

        let dir = TempDir::new("x509-none");
        let pem = openssl_certificate(&dir, "/CN=plain/O=Example");
        let cert = Certificate::from_pem(&pem).expect("parse");
        assert_eq!(cert.tenancy(), Err(CertificateError::NoTenancy));
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(
            Certificate::from_pem("hello"),
            Err(CertificateError::NotPem)
        );
        assert_eq!(
            Certificate::from_pem("-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----"),
            Err(CertificateError::BadBase64)
        );
        assert!(matches!(
            Certificate::from_der(vec![0x30, 0x03, 0x02, 0x01]),
            Err(CertificateError::Malformed(_))
        ));
    }
}
