//! Just enough DER reading to walk the `EncryptedPrivateKeyInfo` structure of an encrypted PKCS#8
//! key (RFC 5958 / RFC 8018): definite-length TLVs with single-byte tags. The RSA key itself is
//! parsed by aws-lc; this only finds the salt, iteration count, cipher and IV.

use super::KeyError;

pub(super) const SEQUENCE: u8 = 0x30;
pub(super) const OBJECT_IDENTIFIER: u8 = 0x06;
pub(super) const OCTET_STRING: u8 = 0x04;
pub(super) const INTEGER: u8 = 0x02;

/// A cursor over a run of DER elements.
pub(super) struct DerReader<'a> {
    rest: &'a [u8],
}

impl<'a> DerReader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        DerReader { rest: bytes }
    }

    /// The tag of the next element, if any.
    pub(super) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads the next element, which must carry `tag`, and returns its contents.
    pub(super) fn read(&mut self, tag: u8) -> Result<&'a [u8], KeyError> {
        let (&found, after_tag) = self.rest.split_first().ok_or(malformed())?;
        if found != tag {
            return Err(malformed());
        }
        let (&first_len, mut after_len) = after_tag.split_first().ok_or(malformed())?;
        let len = if first_len < 0x80 {
            usize::from(first_len)
        } else {
            // Long form: the low bits say how many length bytes follow. Four is far beyond any
            // key file, and keeps the arithmetic in range.
            let count = usize::from(first_len & 0x7f);
            if count == 0 || count > 4 || after_len.len() < count {
                return Err(malformed());
            }
            let (len_bytes, rest) = after_len.split_at(count);
            after_len = rest;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        if after_len.len() < len {
            return Err(malformed());
        }
        let (contents, rest) = after_len.split_at(len);
        self.rest = rest;
        Ok(contents)
    }

    /// Reads a non-negative INTEGER that fits in a `u32`.
    pub(super) fn read_u32(&mut self) -> Result<u32, KeyError> {
        let bytes = self.read(INTEGER)?;
        // A set top bit means negative; a leading zero byte only keeps the sign bit clear.
        let bytes = match bytes {
            [first, ..] if first & 0x80 != 0 => return Err(malformed()),
            [0, rest @ ..] if !rest.is_empty() => rest,
            _ => bytes,
        };
        if bytes.is_empty() || bytes.len() > 4 {
            return Err(malformed());
        }
        Ok(bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
    }
}

fn malformed() -> KeyError {
    KeyError::Malformed("the encrypted key's DER structure is invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut long = vec![OCTET_STRING, 0x81, 200];
        long.extend(std::iter::repeat_n(7u8, 200));
        let mut reader = DerReader::new(&long);
        assert_eq!(reader.read(OCTET_STRING).map(<[u8]>::len).ok(), Some(200));
        assert_eq!(reader.peek_tag(), None);

        let mut reader = DerReader::new(&[INTEGER, 2, 0x00, 0x80, SEQUENCE, 0]);
        assert_eq!(reader.read_u32().ok(), Some(128));
        assert_eq!(reader.read(SEQUENCE).map(<[u8]>::len).ok(), Some(0));
    }

    #[test]
    fn rejects_truncated_or_mistagged_input() {
        assert!(
            DerReader::new(&[OCTET_STRING, 5, 1, 2])
                .read(OCTET_STRING)
                .is_err()
        );
        assert!(DerReader::new(&[SEQUENCE, 0]).read(OCTET_STRING).is_err());
        assert!(DerReader::new(&[INTEGER, 1, 0xff]).read_u32().is_err());
        assert!(
            DerReader::new(&[INTEGER, 0x85, 1, 1, 1, 1, 1])
                .read(INTEGER)
                .is_err()
        );
    }
}
