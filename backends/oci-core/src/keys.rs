//! RSA signing keys for OCI: loading API keys from PEM (PKCS#1, PKCS#8, both encrypted forms),
//! generating session keys for instance principals, exporting the public key and computing the
//! API-key fingerprint, and signing with RSASSA-PKCS1-v1_5 / SHA-256.
//!
//! aws-lc-rs does the RSA and symmetric cryptography: it is already in the build (rustls uses
//! it), keeps the private key in aws-lc memory that is cleansed when freed, and has constant-time
//! RSA. It refuses RSA keys under 2048 bits, which OCI refuses for API keys anyway. MD5 (the
//! fingerprint and legacy PEM key derivation) comes from `md-5`, which aws-lc-rs does not expose.

mod decrypt;
mod der;
mod pem;

use std::fmt;

use crate::{Error, ErrorKind, Secret};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use md5::{Digest as _, Md5};
use zeroize::Zeroizing;

/// Why a key could not be loaded or used. Messages never contain key material or pass phrases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("no PEM private key found (expected a '-----BEGIN ... PRIVATE KEY-----' block)")]
    NotPem,
    #[error("this is a public key; point key_file at the private key")]
    PublicKey,
    #[error("only RSA keys are supported, found {0}")]
    NotRsa(String),
    #[error("the private key is encrypted; set pass_phrase")]
    PassPhraseRequired,
    #[error("wrong pass phrase, or the encrypted private key is corrupt")]
    WrongPassPhrase,
    #[error("unsupported private key encryption: {0}")]
    UnsupportedEncryption(String),
    #[error("malformed private key: {0}")]
    Malformed(&'static str),
    #[error("RSA key rejected ({0}); OCI needs an RSA key of 2048 bits or more")]
    Rejected(&'static str),
    #[error("RSA {0} failed")]
    Crypto(&'static str),
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Error::new(ErrorKind::Auth, e.to_string())
    }
}

/// An RSA private key that signs OCI requests. `Debug` shows only the fingerprint.
pub struct RsaSigningKey {
    pair: RsaKeyPair,
    /// DER SubjectPublicKeyInfo, computed once: the fingerprint and federation need it.
    public_der: Vec<u8>,
}

impl fmt::Debug for RsaSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaSigningKey")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl RsaSigningKey {
    /// Loads the first private key in a PEM file's contents. `pass_phrase` is needed only for
    /// encrypted keys and ignored otherwise (a `DEFAULT` profile's pass phrase is often
    /// inherited by profiles whose keys have none).
    pub fn from_pem(pem_text: &[u8], pass_phrase: Option<&Secret>) -> Result<Self, KeyError> {
        let block = pem::find_key_block(pem_text)?;
        let pass = || {
            pass_phrase
                .filter(|p| !p.is_empty())
                .map(|p| p.expose().as_bytes())
                .ok_or(KeyError::PassPhraseRequired)
        };
        match block.label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8(&block.der),
            "ENCRYPTED PRIVATE KEY" => {
                let plain = decrypt::decrypt_pkcs8(&block.der, pass()?)?;
                // Garbage that survived the padding check means the pass phrase was wrong.
                Self::from_pkcs8(&plain).map_err(|e| match e {
                    KeyError::Malformed(_) => KeyError::WrongPassPhrase,
                    other => other,
                })
            }
            "RSA PRIVATE KEY" => match block.header("DEK-Info") {
                None if block
                    .header("Proc-Type")
                    .is_some_and(|v| v.contains("ENCRYPTED")) =>
                {
                    Err(KeyError::Malformed(
                        "Proc-Type says ENCRYPTED but DEK-Info is missing",
                    ))
                }
                None => Self::from_pkcs1(&block.der),
                Some(dek_info) => {
                    let plain = decrypt::decrypt_legacy_pem(&block.der, dek_info, pass()?)?;
                    Self::from_pkcs1(&plain).map_err(|e| match e {
                        KeyError::Malformed(_) => KeyError::WrongPassPhrase,
                        other => other,
                    })
                }
            },
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Err(KeyError::PublicKey),
            other => Err(KeyError::NotRsa(format!("a '{other}' PEM block"))),
        }
    }

    /// A fresh RSA-2048 key (e = 65537), in memory only: the session key instance principals
    /// send to the federation endpoint.
    pub fn generate() -> Result<Self, KeyError> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| KeyError::Crypto("key generation"))?;
        Self::from_pair(pair)
    }

    fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(rejected)?;
        Self::from_pair(pair)
    }

    fn from_pkcs1(der: &[u8]) -> Result<Self, KeyError> {
        let pair = RsaKeyPair::from_der(der).map_err(rejected)?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: RsaKeyPair) -> Result<Self, KeyError> {
        let public_der = pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::Crypto("public key export"))?
            .as_ref()
            .to_vec();
        Ok(RsaSigningKey { pair, public_der })
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_der
    }

    /// The public key as a `-----BEGIN PUBLIC KEY-----` PEM block.
    pub fn public_key_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.public_der)
    }

    /// The API-key fingerprint OCI shows for this key: MD5 of the DER SubjectPublicKeyInfo.
    pub fn fingerprint(&self) -> String {
        api_key_fingerprint(&self.public_der)
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message` (deterministic: the same key and message
    /// always give the same signature).
    pub fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| KeyError::Crypto("signing"))?;
        Ok(signature)
    }
}

/// MD5 of a DER SubjectPublicKeyInfo as lowercase hex pairs joined by `:`
/// (`openssl rsa -pubout -outform DER | openssl md5 -c`).
pub fn api_key_fingerprint(spki_der: &[u8]) -> String {
    Md5::digest(spki_der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn rejected(e: aws_lc_rs::error::KeyRejected) -> KeyError {
    match e.description_() {
        "TooSmall" => KeyError::Rejected("smaller than 2048 bits"),
        "TooLarge" => KeyError::Rejected("larger than 8192 bits"),
        "WrongAlgorithm" => KeyError::NotRsa("a non-RSA private key".to_string()),
        _ => KeyError::Malformed("not a valid RSA private key"),
    }
}

/// Reads a key file into memory that is zeroed when dropped.
pub(crate) fn read_key_file(path: &std::path::Path) -> std::io::Result<Zeroizing<Vec<u8>>> {
    std::fs::read(path).map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{TempDir, openssl};

    /// Writes keys in every format `openssl` produces for OCI users, all of one RSA key.
    struct KeyFiles {
        dir: TempDir,
    }

    const PASS: &str = "correct horse battery staple";

    impl KeyFiles {
        fn new() -> Self {
            let dir = TempDir::new("keys");
            let p = |name: &str| dir.path().join(name).to_string_lossy().to_string();
            let pass = format!("pass:{PASS}");
            openssl(&["genrsa", "-traditional", "-out", &p("pkcs1.pem"), "2048"]);
            openssl(&[
                "pkcs8",
                "-topk8",
                "-nocrypt",
                "-in",
                &p("pkcs1.pem"),
                "-out",
                &p("pkcs8.pem"),
            ]);
            openssl(&[
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-256-cbc",
                "-in",
                &p("pkcs1.pem"),
                "-out",
                &p("pkcs8-aes256.pem"),
                "-passout",
                &pass,
            ]);
            openssl(&[
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-128-cbc",
                "-v2prf",
                "hmacWithSHA1",
                "-in",
                &p("pkcs1.pem"),
                "-out",
                &p("pkcs8-aes128-sha1.pem"),
                "-passout",
                &pass,
            ]);
            for (cipher, name) in [
                ("-aes256", "legacy-aes256.pem"),
                ("-aes128", "legacy-aes128.pem"),
                ("-aes192", "legacy-aes192.pem"),
            ] {
                openssl(&[
                    "rsa",
                    cipher,
                    "-traditional",
                    "-in",
                    &p("pkcs1.pem"),
                    "-out",
                    &p(name),
                    "-passout",
                    &pass,
                ]);
            }
            openssl(&[
                "rsa",
                "-in",
                &p("pkcs1.pem"),
                "-pubout",
                "-out",
                &p("public.pem"),
            ]);
            openssl(&[
                "rsa",
                "-in",
                &p("pkcs1.pem"),
                "-pubout",
                "-outform",
                "DER",
                "-out",
                &p("public.der"),
            ]);
            KeyFiles { dir }
        }

        fn read(&self, name: &str) -> Vec<u8> {
            std::fs::read(self.dir.path().join(name)).expect("read test key")
        }

        fn load(&self, name: &str, pass: Option<&str>) -> Result<RsaSigningKey, KeyError> {
            RsaSigningKey::from_pem(&self.read(name), pass.map(Secret::from).as_ref())
        }
    }

    #[test]
    fn loads_every_openssl_format_as_the_same_key() {
        let files = KeyFiles::new();
        let expected_spki = files.read("public.der");
        for (name, pass) in [
            ("pkcs1.pem", None),
            ("pkcs8.pem", None),
            ("pkcs8.pem", Some("ignored for unencrypted keys")),
            ("pkcs8-aes256.pem", Some(PASS)),
            ("pkcs8-aes128-sha1.pem", Some(PASS)),
            ("legacy-aes256.pem", Some(PASS)),
            ("legacy-aes128.pem", Some(PASS)),
            ("legacy-aes192.pem", Some(PASS)),
        ] {
            let key = files
                .load(name, pass)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(key.public_key_der(), expected_spki.as_slice(), "{name}");
        }
    }

    #[test]
    fn fingerprint_matches_openssl_md5_of_the_public_key() {
        let files = KeyFiles::new();
        let der = files.dir.path().join("public.der");
        let out = openssl(&["md5", "-c", &der.to_string_lossy()]);
        // "MD5(path)= 3a:5f:..."
        let expected = out
            .rsplit("= ")
            .next()
            .expect("openssl md5 output")
            .trim()
            .to_string();
        let key = files.load("pkcs8.pem", None).expect("load");
        assert_eq!(key.fingerprint(), expected);
        assert_eq!(key.fingerprint().len(), 47);
    }

    #[test]
    fn public_key_pem_is_what_openssl_exports() {
        let files = KeyFiles::new();
        let key = files.load("pkcs1.pem", None).expect("load");
        let expected = String::from_utf8(files.read("public.pem")).expect("utf8");
        assert_eq!(key.public_key_pem(), expected);
    }

    #[test]
    fn signatures_verify_with_openssl() {
        let files = KeyFiles::new();
        let key = files.load("pkcs8-aes256.pem", Some(PASS)).expect("load");
        let message = b"date: Thu, 05 Jan 2014 21:31:40 GMT\n(request-target): get /n";
        let signature = key.sign_sha256(message).expect("sign");
        assert_eq!(signature.len(), 256);
        let dir = files.dir.path();
        std::fs::write(dir.join("msg"), message).expect("write");
        std::fs::write(dir.join("sig"), &signature).expect("write");
        let p = |n: &str| dir.join(n).to_string_lossy().to_string();
        let out = openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            &p("public.pem"),
            "-signature",
            &p("sig"),
            &p("msg"),
        ]);
        assert!(out.contains("Verified OK"), "{out}");
        // Deterministic, so Oracle's published signatures can be reproduced.
        assert_eq!(key.sign_sha256(message).expect("sign"), signature);
    }

    #[test]
    fn wrong_or_missing_pass_phrase_is_a_clear_error_without_secrets() {
        let files = KeyFiles::new();
        for name in ["pkcs8-aes256.pem", "legacy-aes256.pem", "legacy-aes128.pem"] {
            let wrong = files
                .load(name, Some("Tr0ub4dor&3"))
                .expect_err("wrong pass phrase");
            assert!(
                matches!(wrong, KeyError::WrongPassPhrase),
                "{name}: {wrong:?}"
            );
            let message = Error::from(wrong).to_string();
            assert!(message.contains("wrong pass phrase"), "{message}");
            assert!(
                !message.contains("Tr0ub4dor") && !message.contains(PASS),
                "{message}"
            );

            let missing = files.load(name, None).expect_err("no pass phrase");
            assert!(
                matches!(missing, KeyError::PassPhraseRequired),
                "{name}: {missing:?}"
            );
            assert!(missing.to_string().contains("set pass_phrase"));
        }
    }

    #[test]
    fn refuses_public_keys_small_keys_and_other_algorithms() {
        let files = KeyFiles::new();
        assert!(matches!(
            files.load("public.pem", None),
            Err(KeyError::PublicKey)
        ));

        let dir = files.dir.path();
        let p = |n: &str| dir.join(n).to_string_lossy().to_string();
        openssl(&["genrsa", "-out", &p("small.pem"), "1024"]);
        assert!(matches!(
            files.load("small.pem", None),
            Err(KeyError::Rejected(_))
        ));
        openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &p("ec.pem"),
        ]);
        assert!(matches!(
            files.load("ec.pem", None),
            Err(KeyError::NotRsa(_))
        ));
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &p("ec8.pem"),
        ]);
        assert!(matches!(
            files.load("ec8.pem", None),
            Err(KeyError::NotRsa(_))
        ));
        assert!(matches!(
            RsaSigningKey::from_pem(b"hello", None),
            Err(KeyError::NotPem)
        ));
    }

    #[test]
    fn generated_keys_are_rsa_2048_and_distinct() {
        let a = RsaSigningKey::generate().expect("generate");
        let b = RsaSigningKey::generate().expect("generate");
        assert_ne!(a.public_key_der(), b.public_key_der());
        assert_eq!(a.sign_sha256(b"x").expect("sign").len(), 256);
        // The exported public key parses back with openssl, and its modulus is 2048 bits.
        let dir = TempDir::new("generated");
        let pem_path = dir.path().join("pub.pem");
        std::fs::write(&pem_path, a.public_key_pem()).expect("write");
        let text = openssl(&[
            "pkey",
            "-pubin",
            "-in",
            &pem_path.to_string_lossy(),
            "-noout",
            "-text",
        ]);
        assert!(text.contains("2048 bit"), "{text}");
        assert!(text.contains("65537"), "{text}");
    }

    #[test]
    fn debug_shows_only_the_fingerprint() {
        let key = RsaSigningKey::generate().expect("generate");
        let debug = format!("{key:?}");
        assert!(debug.contains(&key.fingerprint()));
        assert!(!debug.contains("BEGIN"));
        assert!(debug.len() < 120, "{debug}");
    }
}
