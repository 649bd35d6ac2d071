//! RSA keys as OCI handles them: public keys registered for verification (SubjectPublicKeyInfo,
//! fingerprinted as OCI's console shows them) and throw-away key pairs that tests generate to act
//! as a client or to hand to a fake identity service.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use zeroize::Zeroizing;

/// Why a key could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM document with a '{0}' block")]
    NotPem(&'static str),
    #[error("the PEM block is not valid base64")]
    BadBase64,
    #[error("not an RSA public key (expected SubjectPublicKeyInfo or PKCS#1 DER)")]
    NotRsaPublicKey,
    #[error("RSA key generation failed")]
    Generation,
    #[error("RSA signing failed")]
    Signing,
}

/// An RSA public key, kept as DER SubjectPublicKeyInfo (what OCI's fingerprint is computed over).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    spki_der: Vec<u8>,
}

impl PublicKey {
    /// Accepts SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey` DER.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        let key =
            aws_lc_rs::rsa::PublicKey::from_der(der).map_err(|_| KeyError::NotRsaPublicKey)?;
        let spki: PublicKeyX509Der<'static> =
            key.as_der().map_err(|_| KeyError::NotRsaPublicKey)?;
        Ok(PublicKey {
            spki_der: spki.as_ref().to_vec(),
        })
    }

    /// Accepts `-----BEGIN PUBLIC KEY-----` (what `openssl rsa -pubout` writes and OCI asks
    /// for) and `-----BEGIN RSA PUBLIC KEY-----`.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let body = pem_body(pem, "PUBLIC KEY")
            .or_else(|| pem_body(pem, "RSA PUBLIC KEY"))
            .ok_or(KeyError::NotPem("PUBLIC KEY"))?;
        PublicKey::from_der(&STANDARD.decode(body).map_err(|_| KeyError::BadBase64)?)
    }

    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki_der)
    }

    /// MD5 of the DER SubjectPublicKeyInfo as lowercase hex pairs joined by `:` — the third
    /// part of an API key's keyId.
    pub fn fingerprint(&self) -> String {
        let digest: [u8; 16] = Md5::digest(&self.spki_der).into();
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256, the only algorithm OCI's `rsa-sha256` means.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.spki_der)
            .verify(message, signature)
            .is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

/// A freshly generated RSA-2048 key pair for tests. Its private half never appears in `Debug`
/// and is only handed out as a zeroizing PEM string.
pub struct TestKeyPair {
    pair: KeyPair,
    public: PublicKey,
}

impl TestKeyPair {
    pub fn generate() -> Result<Self, KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generation)?;
        let spki: PublicKeyX509Der<'static> = pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::Generation)?;
        let public = PublicKey {
            spki_der: spki.as_ref().to_vec(),
        };
        Ok(TestKeyPair { pair, public })
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// PKCS#8 `-----BEGIN PRIVATE KEY-----`, what OCI SDK config files accept.
    pub fn private_key_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let der: Pkcs8V1Der<'static> = self.pair.as_der().map_err(|_| KeyError::Generation)?;
        Ok(Zeroizing::new(pem_encode("PRIVATE KEY", der.as_ref())))
    }

    /// RSASSA-PKCS1-v1_5 / SHA-256 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut signature)
            .map_err(|_| KeyError::Signing)?;
        Ok(signature)
    }
}

impl fmt::Debug for TestKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TestKeyPair({}, private half redacted)",
            self.public_key().fingerprint()
        )
    }
}

/// The base64 text of the first `label` block, whitespace removed.
fn pem_body(pem: &str, label: &str) -> Option<String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = pem[start..].find(&end)? + start;
    Some(
        pem[start..stop]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect(),
    )
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_keeps_the_fingerprint() {
        let pair = TestKeyPair::generate().unwrap();
        let public = pair.public_key();
        let reread = PublicKey::from_pem(&public.to_pem()).unwrap();
        assert_eq!(&reread, public);
        let fp = public.fingerprint();
        assert_eq!(fp.len(), 47, "16 hex pairs and 15 colons: {fp}");
        assert!(
            fp.chars()
                .all(|c| c == ':' || c.is_ascii_hexdigit() && !c.is_uppercase())
        );
    }

    #[test]
    fn signature_verifies_only_for_its_message_and_key() {
        let pair = TestKeyPair::generate().unwrap();
        let other = TestKeyPair::generate().unwrap();
        let sig = pair.sign(b"date: x").unwrap();
        assert!(pair.public_key().verify(b"date: x", &sig));
        assert!(!pair.public_key().verify(b"date: y", &sig));
        assert!(!other.public_key().verify(b"date: x", &sig));
    }

    #[test]
    fn rejects_what_is_not_an_rsa_public_key() {
        assert!(matches!(
            PublicKey::from_pem("hello"),
            Err(KeyError::NotPem(_))
        ));
        let junk = pem_encode("PUBLIC KEY", b"not der");
        assert!(matches!(
            PublicKey::from_pem(&junk),
            Err(KeyError::NotRsaPublicKey)
        ));
        let debug = format!("{:?}", TestKeyPair::generate().unwrap());
        assert!(debug.contains("redacted") && !debug.contains("PRIVATE"));
    }
}
