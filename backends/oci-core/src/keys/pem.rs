//! PEM armour (RFC 7468, plus the RFC 1421 `Proc-Type`/`DEK-Info` headers OpenSSL writes for
//! legacy encrypted keys): finding the key block in a file and writing the public key out.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::KeyError;

/// One `-----BEGIN <label>-----` ... `-----END <label>-----` block, decoded.
pub(super) struct PemBlock {
    pub(super) label: String,
    /// `Name: value` header lines before the body, in file order.
    pub(super) headers: Vec<(String, String)>,
    pub(super) der: Zeroizing<Vec<u8>>,
}

impl PemBlock {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The first key block (any label ending in `KEY`) in `text`. Other blocks (certificates,
/// EC parameters) and surrounding text — the OCI console appends an `OCI_API_KEY` line — are
/// skipped.
pub(super) fn find_key_block(text: &[u8]) -> Result<PemBlock, KeyError> {
    let text = std::str::from_utf8(text).map_err(|_| KeyError::NotPem)?;
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = armour_label(line, "-----BEGIN ") else {
            continue;
        };
        if !label.ends_with("KEY") {
            continue;
        }
        return read_block(label, &mut lines);
    }
    Err(KeyError::NotPem)
}

fn read_block<'a>(
    label: &str,
    lines: &mut impl Iterator<Item = &'a str>,
) -> Result<PemBlock, KeyError> {
    let mut headers = Vec::new();
    let mut body = Zeroizing::new(String::new());
    let mut in_headers = true;
    for line in lines {
        if let Some(end) = armour_label(line, "-----END ") {
            if end != label {
                return Err(KeyError::Malformed(
                    "PEM END line does not match its BEGIN line",
                ));
            }
            let der = STANDARD
                .decode(body.as_bytes())
                .map_err(|_| KeyError::Malformed("PEM body is not valid base64"))?;
            return Ok(PemBlock {
                label: label.to_string(),
                headers,
                der: Zeroizing::new(der),
            });
        }
        if in_headers {
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_string(), value.trim().to_string()));
                continue;
            }
            in_headers = false;
        }
        body.push_str(line);
    }
    Err(KeyError::Malformed("PEM block has no END line"))
}

fn armour_label<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.strip_prefix(prefix)?.strip_suffix("-----")
}

/// `der` as a PEM block with 64-character lines and a final newline.
pub(super) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    // Base64 output is ASCII, so splitting at byte offsets is safe.
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_block_and_its_headers() {
        let text = "junk\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n\
                    -----BEGIN RSA PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\n\
                    DEK-Info: AES-256-CBC,00FF\r\n\r\naGVs\r\nbG8=\r\n\
                    -----END RSA PRIVATE KEY-----\r\nOCI_API_KEY\n";
        let block = find_key_block(text.as_bytes()).expect("key block");
        assert_eq!(block.label, "RSA PRIVATE KEY");
        assert_eq!(block.header("dek-info"), Some("AES-256-CBC,00FF"));
        assert_eq!(block.header("proc-type"), Some("4,ENCRYPTED"));
        assert_eq!(block.der.as_slice(), b"hello");
    }

    #[test]
    fn reports_missing_or_broken_blocks() {
        assert!(matches!(
            find_key_block(b"no pem here"),
            Err(KeyError::NotPem)
        ));
        let unterminated = b"-----BEGIN PRIVATE KEY-----\naGVsbG8=\n";
        assert!(matches!(
            find_key_block(unterminated),
            Err(KeyError::Malformed(_))
        ));
        let bad_b64 = b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            find_key_block(bad_b64),
            Err(KeyError::Malformed(_))
        ));
    }

    #[test]
    fn encodes_with_64_character_lines() {
        let pem = encode("PUBLIC KEY", &[0u8; 60]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2].len(), 16);
        assert_eq!(lines[3], "-----END PUBLIC KEY-----");
        assert!(pem.ends_with('\n'));
    }
}
