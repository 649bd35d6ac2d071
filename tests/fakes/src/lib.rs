//! Fake OCI services for ocisync's tests and benchmark. They run in-process on 127.0.0.1 (or as
//! the `fake-oci` binary), keep everything in memory, and check requests the way OCI does —
//! signatures included — independently of ocisync's own client code.
//!
//! - [`http`]: the server scaffolding every fake shares (keep-alive, request log, counters,
//!   fault injection, `/_fake/` admin endpoints); [`clock`]: the fakes' clock, which tests may
//!   shift away from real time.
//! - [`oci_sig`]: OCI request-signature verification; [`keys`]: RSA keys and fingerprints;
//!   [`oci_error`]: OCI's JSON error responses.
//! - [`objectstorage`]: the Object Storage fake.
//! - Instance principals and Vault: [`certs`] (an instance's certificate chain, made at test
//!   time), [`x509`] (reading certificates back), [`imds`] (the metadata service),
//!   [`federation`] (the x509 token service, whose tokens the other fakes accept), [`vault`]
//!   (GetSecretBundle), [`notifications`] (PublishMessage), [`identity`] (GetTenancy,
//!   ListRegionSubscriptions), and [`keyless`], which starts them together.
//! - [`wire`]: query strings, path decoding, OCI date forms, ids and digests.

pub mod certs;
pub mod clock;
pub mod faults;
pub mod federation;
pub mod http;
pub mod identity;
pub mod imds;
pub mod keyless;
pub mod keys;
pub mod monitor;
pub mod moto;
pub mod notifications;
pub mod objectstorage;
pub mod oci_error;
pub mod oci_sig;
pub mod s3_operation;
pub mod s3_proxy;
pub mod servers;
pub mod swift;
pub mod vault;
pub mod wire;
pub mod x509;
