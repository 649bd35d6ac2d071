//! rclone's obscured passwords: `pass = ...` in an rclone.conf (webdav, ftp, sftp...) is not the
//! password but `rclone obscure`'s output — base64url (no padding) of a random 16-byte IV and
//! the password under AES-256-CTR with a key built into rclone. The key is public, so this hides
//! a password from a glance, not from anyone who wants it: the config file's permissions are what
//! protect it (ocisync warns about a readable one), or a `[credentials.*]` provider keeps it out
//! of the file altogether.
//!
//! [`reveal`] is what rclone's `Reveal` does; [`obscure`] exists for tests and round trips.

use aws_lc_rs::cipher::{
    AES_256, DecryptingKey, DecryptionContext, EncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ocisync_backend::Secret;
use zeroize::Zeroize;

/// rclone's key (`fs/config/obscure/obscure.go`): the same in every rclone, published with it.
const KEY: [u8; 32] = [
    0x9c, 0x93, 0x5b, 0x48, 0x73, 0x0a, 0x55, 0x4d, 0x6b, 0xfd, 0x7c, 0x63, 0xc8, 0x86, 0xa9, 0x2b,
    0xd3, 0x90, 0x19, 0x8e, 0xb8, 0x12, 0x8a, 0xfb, 0xf4, 0xde, 0x16, 0x2b, 0x8b, 0x95, 0xf6, 0x38,
];

const IV_LEN: usize = 16;

/// Why a value could not be revealed. Never holds the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevealError {
    #[error("not base64url text: is it obscured? (rclone obscure PASSWORD)")]
    NotBase64,
    #[error("too short to be an obscured value: is it obscured? (rclone obscure PASSWORD)")]
    TooShort,
    #[error("does not reveal to UTF-8 text: is it obscured? (rclone obscure PASSWORD)")]
    NotText,
    #[error("AES-CTR failed")]
    Cipher,
}

/// The password behind an rclone-obscured value.
pub fn reveal(obscured: &str) -> Result<Secret, RevealError> {
    let mut data = URL_SAFE_NO_PAD
        .decode(obscured.trim().as_bytes())
        .map_err(|_| RevealError::NotBase64)?;
    if data.len() < IV_LEN {
        data.zeroize();
        return Err(RevealError::TooShort);
    }
    let mut iv = [0u8; IV_LEN];
    iv.copy_from_slice(&data[..IV_LEN]);
    let mut body = data.split_off(IV_LEN);
    let key = UnboundCipherKey::new(&AES_256, &KEY).map_err(|_| RevealError::Cipher)?;
    let key = DecryptingKey::ctr(key).map_err(|_| RevealError::Cipher)?;
    let plain_len = key
        .decrypt(&mut body, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| RevealError::Cipher)?
        .len();
    body.truncate(plain_len);
    match String::from_utf8(body) {
        Ok(text) => Ok(Secret::new(text)),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(RevealError::NotText)
        }
    }
}

/// `rclone obscure`: a fresh random IV each time, so two obscurings of one password differ.
pub fn obscure(plain: &str) -> String {
    let key = UnboundCipherKey::new(&AES_256, &KEY).expect("AES-256 key");
    let key = EncryptingKey::ctr(key).expect("AES-CTR");
    let mut body = plain.as_bytes().to_vec();
    let context = key.encrypt(&mut body).expect("AES-CTR encrypt");
    let iv: &[u8] = match &context {
        DecryptionContext::Iv128(iv) => iv.as_ref(),
        _ => unreachable!("CTR uses a 128-bit IV"),
    };
    let mut out = iv.to_vec();
    out.extend_from_slice(&body);
    body.zeroize();
    let text = URL_SAFE_NO_PAD.encode(&out);
    out.zeroize();
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reveals_rclones_own_output() {
        // rclone's own vectors (IVs of 'a's and 'b's); the real binary's output is
        // checked by tests/integration/extra_backends.rs.
        assert_eq!(
            reveal("YWFhYWFhYWFhYWFhYWFhYXMaGgIlEQ").unwrap().expose(),
            "potato"
        );
        assert_eq!(reveal("YWFhYWFhYWFhYWFhYWFhYQ").unwrap().expose(), "");
        assert_eq!(
            reveal("YmJiYmJiYmJiYmJiYmJiYp3gcEWbAw").unwrap().expose(),
            "potato"
        );
    }

    #[test]
    fn round_trips_with_a_fresh_iv() {
        let a = obscure("s3cret ü");
        let b = obscure("s3cret ü");
        assert_ne!(a, b, "random IV");
        assert_eq!(reveal(&a).unwrap().expose(), "s3cret ü");
        assert_eq!(reveal(&b).unwrap().expose(), "s3cret ü");
        assert_eq!(reveal(&obscure("")).unwrap().expose(), "");
    }

    #[test]
    fn plain_passwords_are_refused_without_echo() {
        for bad in ["hunter2!", "short", "===="] {
            let e = reveal(bad).unwrap_err();
            assert!(!e.to_string().contains(bad), "{e}");
            assert!(e.to_string().contains("is it obscured"), "{e}");
        }
    }
}
