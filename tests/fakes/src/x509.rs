//! Reading X.509 certificates the way an identity service checks them: the signed part, the
//! signature, the subject and the subject's public key, so that a fake can verify that one
//! certificate was issued by another and that a request was signed with a certificate's key.
//!
//! Written independently of ocisync's own certificate reader (a bug there is not mirrored here):
//! definite-length DER with one-byte tags (RFC 5280 §4.1), RSA with SHA-256 signatures only.

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::keys::PublicKey;

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OBJECT_IDENTIFIER: u8 = 0x06;
const BIT_STRING: u8 = 0x03;
const EXPLICIT_VERSION: u8 = 0xa0;
/// 1.2.840.113549.1.1.11, sha256WithRSAEncryption, DER-encoded.
const SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];

/// Why a certificate is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CertError(pub String);

fn bad<T>(what: &str) -> Result<T, CertError> {
    Err(CertError(format!("malformed certificate: {what}")))
}

/// A certificate read from DER.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedCertificate {
    der: Vec<u8>,
    /// The whole TBSCertificate element (tag and length included): what the issuer signed.
    tbs: Vec<u8>,
    signature_algorithm: Vec<u8>,
    signature: Vec<u8>,
    subject_values: Vec<String>,
    public_key: PublicKey,
}

impl std::fmt::Debug for ParsedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedCertificate")
            .field("subject", &self.subject_values)
            .finish_non_exhaustive()
    }
}

impl ParsedCertificate {
    /// From base64 DER (a PEM body without armour or newlines, as the federation request
    /// carries certificates) or a whole PEM document.
    pub fn from_base64_or_pem(text: &str) -> Result<Self, CertError> {
        let body: String = match text.find("-----BEGIN CERTIFICATE-----") {
            Some(_) => text
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<Vec<_>>()
                .concat(),
            None => text.to_string(),
        };
        let body: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD
            .decode(body)
            .map_err(|_| CertError("the certificate is not valid base64".into()))?;
        Self::from_der(der)
    }

    pub fn from_der(der: Vec<u8>) -> Result<Self, CertError> {
        let (certificate, _) = element(&der, SEQUENCE)?;
        let (tbs_contents, rest) = element(certificate.contents, SEQUENCE)?;
        let (algorithm, rest) = element(rest, SEQUENCE)?;
        let (algorithm_oid, _) = element(algorithm.contents, OBJECT_IDENTIFIER)?;
        let (signature, _) = element(rest, BIT_STRING)?;
        // A BIT STRING starts with the count of unused bits, 0 for signatures.
        let Some((0, signature)) = signature.contents.split_first() else {
            return bad("signature BIT STRING");
        };

        let mut tbs = tbs_contents.contents;
        if tbs.first() == Some(&EXPLICIT_VERSION) {
            tbs = any(tbs)?.1;
        }
        let (_serial, rest) = any(tbs)?;
        let (_signature, rest) = element(rest, SEQUENCE)?;
        let (_issuer, rest) = element(rest, SEQUENCE)?;
        let (_validity, rest) = element(rest, SEQUENCE)?;
        let (subject, rest) = element(rest, SEQUENCE)?;
        let (spki, _) = element(rest, SEQUENCE)?;
        let public_key = PublicKey::from_der(spki.whole)
            .map_err(|e| CertError(format!("the certificate's public key: {e}")))?;

        let mut subject_values = Vec::new();
        let mut rdns = subject.contents;
        while !rdns.is_empty() {
            let (rdn, rest) = element(rdns, SET)?;
            rdns = rest;
            let mut attributes = rdn.contents;
            while !attributes.is_empty() {
                let (attribute, rest) = element(attributes, SEQUENCE)?;
                attributes = rest;
                let (_oid, value) = element(attribute.contents, OBJECT_IDENTIFIER)?;
                let (value, _) = any(value)?;
                subject_values.push(String::from_utf8_lossy(value.contents).into_owned());
            }
        }
        Ok(ParsedCertificate {
            tbs: tbs_contents.whole.to_vec(),
            signature_algorithm: algorithm_oid.contents.to_vec(),
            signature: signature.to_vec(),
            subject_values,
            public_key,
            der,
        })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Subject attribute values in order (`ocid1.instance…`, `opc-tenant:…`...).
    pub fn subject_values(&self) -> &[String] {
        &self.subject_values
    }

    /// The value after `prefix` in the subject (`opc-tenant:` → the tenancy OCID).
    pub fn subject_value(&self, prefix: &str) -> Option<&str> {
        self.subject_values
            .iter()
            .find_map(|v| v.strip_prefix(prefix))
    }

    /// Whether `issuer`'s key signed this certificate (sha256WithRSAEncryption).
    pub fn is_signed_by(&self, issuer: &ParsedCertificate) -> bool {
        self.signature_algorithm == SHA256_WITH_RSA
            && UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, issuer.public_key.spki_der())
                .verify(&self.tbs, &self.signature)
                .is_ok()
    }

    /// SHA-256 of the DER as `:`-separated hex pairs (lowercase).
    pub fn sha256_fingerprint(&self) -> String {
        hex_pairs(&Sha256::digest(&self.der))
    }

    /// SHA-1 of the DER as `:`-separated hex pairs (lowercase), the Python SDK's `fed-x509` form.
    pub fn sha1_fingerprint(&self) -> String {
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &self.der);
        hex_pairs(digest.as_ref())
    }
}

fn hex_pairs(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

struct Element<'a> {
    /// Tag, length and contents.
    whole: &'a [u8],
    contents: &'a [u8],
}

/// The next element, which must have `tag`, and what follows it.
fn element(der: &[u8], tag: u8) -> Result<(Element<'_>, &[u8]), CertError> {
    if der.first() != Some(&tag) {
        return bad(&format!("expected tag {tag:#04x}"));
    }
    any(der)
}

fn any(der: &[u8]) -> Result<(Element<'_>, &[u8]), CertError> {
    let Some(&first) = der.get(1) else {
        return bad("truncated element");
    };
    let (length, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || der.len() < 2 + count {
            return bad("bad length");
        }
        let length = der[2..2 + count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (length, 2 + count)
    };
    if der.len() < header + length {
        return bad("truncated element");
    }
    Ok((
        Element {
            whole: &der[..header + length],
            contents: &der[header..header + length],
        },
        &der[header + length..],
    ))
}
