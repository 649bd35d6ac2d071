//! Oracle Cloud identifiers as an option type: `ocid1.<resource type>.<realm>.[region].<id>`.
//!
//! Options that name an OCI resource (a Vault secret, a Notifications topic, a key) are declared
//! as [`Ocid`], so a value that is not one is refused where it is read (`config validate`, the
//! run) — and never echoed: the classic mistake is pasting the secret itself where its OCID
//! belongs, so such a value is treated as a secret (redacted by `config show`, counted by the
//! permissions check) and the error says what is wrong without repeating it.

use std::fmt;

use crate::options::{OptionKind, OptionType, RawValue};

/// A well-formed OCID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ocid(String);

/// Why a value is not an OCID. Holds nothing of the value.
pub const NOT_AN_OCID: &str = "is not an OCID (ocid1.<type>.<realm>.<region>.<id>); the value is \
    not shown in case it is a secret pasted in the wrong field — an OCID names the resource, \
    e.g. the Vault secret, and holds nothing secret";

impl Ocid {
    /// The OCID, or `None` when `value` does not have an OCID's shape.
    pub fn parse(value: &str) -> Option<Ocid> {
        let v = value.trim();
        is_ocid(v).then(|| Ocid(v.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The resource type: `vaultsecret` in `ocid1.vaultsecret.oc1.iad.aaaa`.
    pub fn resource_type(&self) -> &str {
        self.0.split('.').nth(1).unwrap_or_default()
    }
}

impl std::ops::Deref for Ocid {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ocid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `s` has an OCID's shape: `ocid1.`, a resource type, a realm, an optional region
/// (and optional further parts), and a unique part; lower-case ASCII letters, digits, `-` and
/// `_` only.
pub fn is_ocid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 5
        && parts[0] == "ocid1"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[parts.len() - 1].is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
}

impl OptionType for Ocid {
    const KIND: OptionKind = OptionKind::Ocid;
    fn parse(raw: &RawValue) -> Result<Self, String> {
        // Never "expected …, found <value>": the value stays out of the message.
        let text = raw.as_text().ok_or_else(|| NOT_AN_OCID.to_string())?;
        Ocid::parse(text).ok_or_else(|| NOT_AN_OCID.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        for good in [
            "ocid1.vaultsecret.oc1.iad.amaaaaaaexample",
            "ocid1.tenancy.oc1..aaaaaaaaned4fkpkisbwjlr56u7cj63lf3wffbilvqknstgtvzub7vhqkggq",
            "ocid1.onstopic.oc1.us-ashburn-1.aaaa",
            " ocid1.key.oc1.iad.xyz\n",
        ] {
            assert!(Ocid::parse(good).is_some(), "{good}");
        }
        for bad in [
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AKIAIOSFODNN7EXAMPLE",
            "ocid1.vaultsecret",
            "ocid1..oc1.iad.x",
            "ocid1.vaultsecret.oc1.iad.",
            "ocid2.vaultsecret.oc1.iad.x",
            "ocid1.vaultsecret.oc1.iad.ABC",
            "",
        ] {
            assert!(Ocid::parse(bad).is_none(), "{bad}");
        }
        let o = Ocid::parse("ocid1.vaultsecret.oc1.iad.x").unwrap();
        assert_eq!(o.resource_type(), "vaultsecret");
    }

    #[test]
    fn errors_never_hold_the_value() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let e = <Ocid as OptionType>::parse(&RawValue::String(secret.into())).unwrap_err();
        assert!(!e.contains(secret) && !e.contains("wJalr"), "{e}");
        assert!(
            !e.starts_with("expected"),
            "a WrongType would quote the value: {e}"
        );
    }
}
