//! A compute instance's identity, made up at test time: a root CA (standing in for OCI's), an
//! intermediate CA, and a leaf certificate with its RSA key whose subject carries the instance
//! and tenancy OCIDs the way OCI's instance certificates do (`CN=<instance OCID>`,
//! `OU=opc-instance:…`, `OU=opc-tenant:<tenancy OCID>`). The fake metadata service serves it; the
//! fake federation service trusts the root.
//!
//! The leaf can be rotated (new key, new certificate), as OCI does every couple of hours, and
//! made to name another tenancy, to test clients' re-reading and tenancy checks.

use std::sync::RwLock;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_RSA_SHA256,
};
use zeroize::Zeroizing;

use crate::x509::ParsedCertificate;

/// The OU attribute's OID (2.5.4.11). rcgen keeps one value per attribute type, so the second OU
/// is written under its OID spelled as a custom type: same encoding, separate entry.
const ORGANIZATIONAL_UNIT: [u64; 4] = [2, 5, 4, 11];

/// Why a test identity could not be made.
#[derive(Debug, thiserror::Error)]
#[error("generating a test certificate: {0}")]
pub struct CertGenError(String);

impl From<rcgen::Error> for CertGenError {
    fn from(e: rcgen::Error) -> Self {
        CertGenError(e.to_string())
    }
}

/// The current leaf: certificate and key, as the metadata service serves them.
struct Leaf {
    cert_pem: String,
    key_pem: Zeroizing<String>,
}

/// An instance identity and the CAs behind it.
pub struct InstanceIdentity {
    instance: String,
    root_pem: String,
    intermediate: CertifiedIssuer<'static, KeyPair>,
    leaf: RwLock<Leaf>,
}

impl std::fmt::Debug for InstanceIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceIdentity")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl InstanceIdentity {
    /// A fresh chain for `instance` in `tenancy` (both OCIDs).
    pub fn generate(tenancy: &str, instance: &str) -> Result<Self, CertGenError> {
        let root = CertifiedIssuer::self_signed(
            ca_params("Fake OCI Root CA"),
            KeyPair::generate_for(&PKCS_RSA_SHA256)?,
        )?;
        let intermediate = CertifiedIssuer::signed_by(
            ca_params("Fake OCI Intermediate CA"),
            KeyPair::generate_for(&PKCS_RSA_SHA256)?,
            &root,
        )?;
        let leaf = issue_leaf(&intermediate, tenancy, instance)?;
        Ok(InstanceIdentity {
            instance: instance.to_string(),
            root_pem: root.pem(),
            intermediate,
            leaf: RwLock::new(leaf),
        })
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The leaf certificate (PEM), as `/identity/cert.pem` serves it.
    pub fn leaf_cert_pem(&self) -> String {
        self.read().cert_pem.clone()
    }

    /// The leaf's private key (PKCS#8 PEM), as `/identity/key.pem` serves it. A credential:
    /// tests use it to check that it never leaks.
    pub fn leaf_key_pem(&self) -> Zeroizing<String> {
        self.read().key_pem.clone()
    }

    /// The intermediate certificate (PEM), as `/identity/intermediate.pem` serves it.
    pub fn intermediate_pem(&self) -> String {
        self.intermediate.pem()
    }

    /// The root certificate the federation fake trusts.
    pub fn root(&self) -> ParsedCertificate {
        // Made by rcgen from a key it just generated: it always parses.
        ParsedCertificate::from_base64_or_pem(&self.root_pem)
            .unwrap_or_else(|e| unreachable!("generated root does not parse: {e}"))
    }

    /// A new leaf key and certificate, naming `tenancy` (the same one, normally).
    pub fn rotate_leaf(&self, tenancy: &str) -> Result<(), CertGenError> {
        let leaf = issue_leaf(&self.intermediate, tenancy, &self.instance)?;
        *self.leaf.write().unwrap_or_else(|p| p.into_inner()) = leaf;
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Leaf> {
        self.leaf.read().unwrap_or_else(|p| p.into_inner())
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

fn issue_leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    tenancy: &str,
    instance: &str,
) -> Result<Leaf, CertGenError> {
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256)?;
    let mut params = CertificateParams::default();
    let name = &mut params.distinguished_name;
    name.push(DnType::CommonName, instance);
    name.push(
        DnType::OrganizationalUnitName,
        format!("opc-instance:{instance}"),
    );
    name.push(
        DnType::CustomDnType(ORGANIZATIONAL_UNIT.to_vec()),
        format!("opc-tenant:{tenancy}"),
    );
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let cert = params.signed_by(&key, issuer)?;
    Ok(Leaf {
        cert_pem: cert.pem(),
        key_pem: Zeroizing::new(key.serialize_pem()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_verifies_and_names_the_tenancy() {
        let id =
            InstanceIdentity::generate("ocid1.tenancy.oc1..t", "ocid1.instance.oc1.iad.i").unwrap();
        let leaf = ParsedCertificate::from_base64_or_pem(&id.leaf_cert_pem()).unwrap();
        let intermediate = ParsedCertificate::from_base64_or_pem(&id.intermediate_pem()).unwrap();
        let root = id.root();
        assert!(leaf.is_signed_by(&intermediate));
        assert!(intermediate.is_signed_by(&root));
        assert!(!leaf.is_signed_by(&root));
        assert_eq!(
            leaf.subject_value("opc-tenant:"),
            Some("ocid1.tenancy.oc1..t")
        );
        assert_eq!(leaf.subject_values()[0], "ocid1.instance.oc1.iad.i");
        assert!(id.leaf_key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));

        // openssl sees the same subject (independent DER reader).
        let dir = std::env::temp_dir().join(format!("fakes-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("leaf.pem");
        std::fs::write(&path, id.leaf_cert_pem()).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["x509", "-noout", "-subject", "-in"])
            .arg(&path)
            .output()
            .expect("openssl");
        let _ = std::fs::remove_dir_all(&dir);
        let subject = String::from_utf8_lossy(&out.stdout);
        assert!(
            subject.contains("OU = opc-instance:ocid1.instance.oc1.iad.i")
                && subject.contains("OU = opc-tenant:ocid1.tenancy.oc1..t"),
            "{subject}"
        );

        let before = leaf.der().to_vec();
        id.rotate_leaf("ocid1.tenancy.oc1..t").unwrap();
        let rotated = ParsedCertificate::from_base64_or_pem(&id.leaf_cert_pem()).unwrap();
        assert_ne!(rotated.der(), before.as_slice());
        assert!(rotated.is_signed_by(&intermediate));
    }
}
