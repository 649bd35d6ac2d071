//! Decrypting pass-phrase protected keys, with aws-lc doing the cryptography:
//!
//! - PKCS#8 `ENCRYPTED PRIVATE KEY` with PBES2 (PBKDF2-HMAC-SHA1/256/384/512, AES-CBC) — what
//!   `openssl pkcs8 -topk8 -v2 aes-256-cbc` and OpenSSL 3's defaults write;
//! - legacy OpenSSL PEM encryption (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: AES-xxx-CBC,<iv>`) —
//!   what `oci setup keys` and `openssl rsa -aes256 -traditional` write. Its key is OpenSSL's
//!   `EVP_BytesToKey` with MD5 and one iteration.
//!
//! DES-based and scrypt-based encryption are refused with a hint to re-encrypt: aws-lc-rs only
//! offers DES behind a legacy feature, and neither appears in OCI tooling.

use aws_lc_rs::cipher::{
    AES_128, AES_128_KEY_LEN, AES_192, AES_192_KEY_LEN, AES_256, AES_256_KEY_LEN, Algorithm,
    DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::pbkdf2;
use md5::{Digest as _, Md5};
use zeroize::Zeroizing;

use super::KeyError;
use super::der::{DerReader, OBJECT_IDENTIFIER, OCTET_STRING, SEQUENCE};

// Object identifiers, DER-encoded contents (RFC 8018 appendix C, NIST CSOR).
const OID_PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const OID_PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
const OID_HMAC_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07];
const OID_HMAC_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
const OID_HMAC_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0a];
const OID_HMAC_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0b];
const OID_AES128_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02];
const OID_AES192_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16];
const OID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];

/// Far above what any tool writes (OpenSSL uses 2048, `oci` none); stops a crafted file from
/// pinning a core for hours.
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// The AES-CBC variants both formats use; aws-lc-rs keeps key lengths private to `Algorithm`.
#[derive(Clone, Copy)]
struct AesCbc {
    algorithm: &'static Algorithm,
    key_len: usize,
}

const AES128_CBC: AesCbc = AesCbc {
    algorithm: &AES_128,
    key_len: AES_128_KEY_LEN,
};
const AES192_CBC: AesCbc = AesCbc {
    algorithm: &AES_192,
    key_len: AES_192_KEY_LEN,
};
const AES256_CBC: AesCbc = AesCbc {
    algorithm: &AES_256,
    key_len: AES_256_KEY_LEN,
};

const REENCRYPT_HINT: &str = "re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`";

/// The plaintext PKCS#8 `PrivateKeyInfo` inside an `EncryptedPrivateKeyInfo`.
pub(super) fn decrypt_pkcs8(
    der: &[u8],
    pass_phrase: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let mut outer = DerReader::new(der);
    let mut info = DerReader::new(outer.read(SEQUENCE)?);
    let mut algorithm = DerReader::new(info.read(SEQUENCE)?);
    if algorithm.read(OBJECT_IDENTIFIER)? != OID_PBES2 {
        return Err(KeyError::UnsupportedEncryption(format!(
            "PKCS#5 v1.5 or PKCS#12 password-based encryption; {REENCRYPT_HINT}"
        )));
    }
    let mut params = DerReader::new(algorithm.read(SEQUENCE)?);

    let mut kdf = DerReader::new(params.read(SEQUENCE)?);
    if kdf.read(OBJECT_IDENTIFIER)? != OID_PBKDF2 {
        return Err(KeyError::UnsupportedEncryption(format!(
            "a key derivation other than PBKDF2 (scrypt?); {REENCRYPT_HINT}"
        )));
    }
    let mut kdf_params = DerReader::new(kdf.read(SEQUENCE)?);
    let salt = kdf_params.read(OCTET_STRING)?;
    let iterations = kdf_params.read_u32()?;
    let declared_key_len = match kdf_params.peek_tag() {
        Some(super::der::INTEGER) => Some(kdf_params.read_u32()?),
        _ => None,
    };
    let prf = match kdf_params.peek_tag() {
        Some(SEQUENCE) => {
            let mut prf = DerReader::new(kdf_params.read(SEQUENCE)?);
            prf_for(prf.read(OBJECT_IDENTIFIER)?)?
        }
        // RFC 8018: the default PRF is HMAC-SHA1.
        _ => pbkdf2::PBKDF2_HMAC_SHA1,
    };

    let mut scheme = DerReader::new(params.read(SEQUENCE)?);
    let cipher = cipher_for_oid(scheme.read(OBJECT_IDENTIFIER)?)?;
    let iv = scheme.read(OCTET_STRING)?;
    let ciphertext = info.read(OCTET_STRING)?;

    if declared_key_len.is_some_and(|n| n as usize != cipher.key_len) {
        return Err(KeyError::Malformed(
            "PBKDF2 key length does not match the cipher",
        ));
    }
    let iterations = std::num::NonZeroU32::new(iterations)
        .filter(|n| n.get() <= MAX_PBKDF2_ITERATIONS)
        .ok_or(KeyError::Malformed("PBKDF2 iteration count out of range"))?;
    let mut key = Zeroizing::new(vec![0u8; cipher.key_len]);
    pbkdf2::derive(prf, iterations, salt, pass_phrase, &mut key);
    aes_cbc_decrypt(cipher, &key, iv, ciphertext)
}

/// The DER body of a legacy-encrypted PEM block, given its `DEK-Info` header value
/// (`AES-256-CBC,<32 hex digits of IV>`).
pub(super) fn decrypt_legacy_pem(
    der: &[u8],
    dek_info: &str,
    pass_phrase: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let (cipher_name, iv_hex) = dek_info
        .split_once(',')
        .ok_or(KeyError::Malformed("DEK-Info header has no IV"))?;
    let cipher = match cipher_name.trim().to_ascii_uppercase().as_str() {
        "AES-128-CBC" => AES128_CBC,
        "AES-192-CBC" => AES192_CBC,
        "AES-256-CBC" => AES256_CBC,
        other => {
            return Err(KeyError::UnsupportedEncryption(format!(
                "legacy PEM encryption {other}; {REENCRYPT_HINT}"
            )));
        }
    };
    let iv = decode_hex(iv_hex.trim()).ok_or(KeyError::Malformed("DEK-Info IV is not hex"))?;
    if iv.len() < 8 {
        return Err(KeyError::Malformed("DEK-Info IV is too short"));
    }
    // The first 8 bytes of the IV double as the salt.
    let key = evp_bytes_to_key(pass_phrase, &iv[..8], cipher.key_len);
    aes_cbc_decrypt(cipher, &key, &iv, der)
}

/// OpenSSL's `EVP_BytesToKey(MD5, count = 1)`: D_1 = MD5(pass || salt),
/// D_i = MD5(D_{i-1} || pass || salt), concatenated until long enough.
fn evp_bytes_to_key(pass_phrase: &[u8], salt: &[u8], key_len: usize) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(Vec::with_capacity(key_len + 16));
    let mut previous: Option<Zeroizing<Vec<u8>>> = None;
    while key.len() < key_len {
        let mut md5 = Md5::new();
        if let Some(p) = &previous {
            md5.update(p.as_slice());
        }
        md5.update(pass_phrase);
        md5.update(salt);
        let block = Zeroizing::new(md5.finalize().to_vec());
        key.extend_from_slice(&block);
        previous = Some(block);
    }
    key.truncate(key_len);
    key
}

fn aes_cbc_decrypt(
    cipher: AesCbc,
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let iv: [u8; 16] = iv
        .try_into()
        .map_err(|_| KeyError::Malformed("AES-CBC IV must be 16 bytes"))?;
    let key = UnboundCipherKey::new(cipher.algorithm, key)
        .map_err(|_| KeyError::Malformed("AES key has the wrong length"))?;
    let decrypting = PaddedBlockDecryptingKey::cbc_pkcs7(key)
        .map_err(|_| KeyError::Malformed("AES-CBC is unavailable"))?;
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    // A wrong pass phrase almost always shows up here as bad padding; the rare survivor is
    // caught when the plaintext fails to parse as a key.
    let plain_len = decrypting
        .decrypt(&mut buffer, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| KeyError::WrongPassPhrase)?
        .len();
    buffer.truncate(plain_len);
    Ok(buffer)
}

fn prf_for(oid: &[u8]) -> Result<pbkdf2::Algorithm, KeyError> {
    match oid {
        OID_HMAC_SHA1 => Ok(pbkdf2::PBKDF2_HMAC_SHA1),
        OID_HMAC_SHA256 => Ok(pbkdf2::PBKDF2_HMAC_SHA256),
        OID_HMAC_SHA384 => Ok(pbkdf2::PBKDF2_HMAC_SHA384),
        OID_HMAC_SHA512 => Ok(pbkdf2::PBKDF2_HMAC_SHA512),
        _ => Err(KeyError::UnsupportedEncryption(format!(
            "an unsupported PBKDF2 hash; {REENCRYPT_HINT}"
        ))),
    }
}

fn cipher_for_oid(oid: &[u8]) -> Result<AesCbc, KeyError> {
    match oid {
        OID_AES128_CBC => Ok(AES128_CBC),
        OID_AES192_CBC => Ok(AES192_CBC),
        OID_AES256_CBC => Ok(AES256_CBC),
        _ => Err(KeyError::UnsupportedEncryption(format!(
            "a cipher other than AES-CBC (DES?); {REENCRYPT_HINT}"
        ))),
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -P -md md5 -pass pass:secret -S 0102030405060708` prints
        // this key.
        let key = evp_bytes_to_key(b"secret", &[1, 2, 3, 4, 5, 6, 7, 8], 32);
        let expected = decode_hex(&openssl_derived_key("secret", "0102030405060708")).expect("hex");
        assert_eq!(key.as_slice(), expected.as_slice());
    }

    /// Asks the openssl CLI for the MD5-based key, so the expected value is not hard-coded.
    fn openssl_derived_key(pass: &str, salt_hex: &str) -> String {
        let out = std::process::Command::new("openssl")
            .args(["enc", "-aes-256-cbc", "-P", "-md", "md5", "-pass"])
            .arg(format!("pass:{pass}"))
            .args(["-S", salt_hex])
            .output()
            .expect("openssl must be installed");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.lines()
            .find_map(|l| l.trim().strip_prefix("key="))
            .expect("openssl printed key=")
            .trim()
            .to_string()
    }

    #[test]
    fn hex_decoding() {
        assert_eq!(decode_hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}
