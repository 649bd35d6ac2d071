//! Instance principals against the fakes (metadata service, federation, Vault) on 127.0.0.1.

use std::sync::Arc;

use crate::ErrorKind;
use http::StatusCode;
use ocisync_fakes::federation::TokenPolicy;
use ocisync_fakes::keyless::{KeylessFakes, TENANCY};

use super::*;
use crate::auth::imds::Metadata;

fn principal(fakes: &KeylessFakes, federation: Option<String>) -> InstancePrincipal {
    let metadata = Metadata::new(&fakes.imds.base_url()).expect("metadata");
    InstancePrincipal::new(metadata, federation).expect("principal")
}

/// GET of a secret bundle from the fake Vault, signed by `auth`; the status.
async fn vault_get(fakes: &KeylessFakes, auth: &dyn OciAuth) -> StatusCode {
    fakes.vault.put_secret("ocid1.vaultsecret.oc1..probe", "x");
    let url = format!(
        "{}/20190301/secretbundles/ocid1.vaultsecret.oc1..probe",
        fakes.vault.base_url()
    );
    let (mut parts, ()) = http::Request::get(&url)
        .body(())
        .expect("request")
        .into_parts();
    auth.sign(&mut parts, SignBody::None).await.expect("sign");
    let request = reqwest::Request::try_from(http::Request::from_parts(parts, Vec::<u8>::new()))
        .expect("reqwest request");
    reqwest::Client::new()
        .execute(request)
        .await
        .expect("send")
        .status()
}

#[tokio::test]
async fn federates_with_the_instance_certificate_and_signs_with_the_token() {
    let fakes = KeylessFakes::start().await.expect("fakes");
    let auth = principal(&fakes, Some(fakes.federation.endpoint()));
    assert_eq!(vault_get(&fakes, &auth).await, StatusCode::OK);
    assert_eq!(vault_get(&fakes, &auth).await, StatusCode::OK);

    let issued = fakes.federation.tokens().issued();
    assert_eq!(issued.len(), 1, "one token for both requests");
    assert_eq!(issued[0].key_id_form, "fed-x509-sha256");
    assert_eq!(issued[0].uses, 2);
    assert_eq!(fakes.federation.monitor().count("X509Federation"), 1);
    // The metadata service was asked for the identity, with the v2 header (else 401).
    let imds = fakes.imds.monitor().stats();
    for op in [
        "GetLeafCertificate",
        "GetLeafKey",
        "GetIntermediateCertificate",
    ] {
        assert_eq!(imds.operations[op].requests, 1, "{op}");
        assert_eq!(imds.operations[op].errors, 0, "{op}");
    }
    // The token is never in Debug output.
    let debug = format!("{auth:?}");
    assert!(!debug.contains(&issued[0].token), "{debug}");
}

#[tokio::test]
async fn region_and_federation_endpoint_come_from_the_metadata_service() {
    let fakes = KeylessFakes::start().await.expect("fakes");
    let auth = principal(&fakes, None);
    assert_eq!(
        auth.region().await.expect("region").as_deref(),
        Some("us-ashburn-1")
    );
    assert_eq!(fakes.imds.monitor().count("GetRegionInfo"), 1);
    // Without federation_endpoint the real auth service would be asked; only its URL is checked.
    let federation = auth
        .sessions
        .source()
        .federation()
        .await
        .expect("federation");
    assert_eq!(
        federation.endpoint(),
        "https://auth.us-ashburn-1.oraclecloud.com/v1/x509"
    );
}

#[tokio::test]
async fn a_refused_token_is_replaced_once_with_a_re_read_certificate() {
    let fakes = KeylessFakes::start().await.expect("fakes");
    // The first token stops working after one use.
    fakes.federation.push_policy(TokenPolicy {
        valid_for_requests: Some(1),
        ..TokenPolicy::default()
    });
    let auth = principal(&fakes, Some(fakes.federation.endpoint()));
    assert_eq!(vault_get(&fakes, &auth).await, StatusCode::OK);
    assert_eq!(vault_get(&fakes, &auth).await, StatusCode::UNAUTHORIZED);

    // Meanwhile the metadata service rotated the instance certificate.
    fakes.identity.rotate_leaf(TENANCY).expect("rotate");
    auth.refresh().await.expect("refresh");
    assert_eq!(vault_get(&fakes, &auth).await, StatusCode::OK);

    let issued = fakes.federation.tokens().issued();
    assert_eq!(issued.len(), 2);
    assert_ne!(
        issued[0].leaf_sha256, issued[1].leaf_sha256,
        "the refresh presented the rotated certificate"
    );
    assert_ne!(
        issued[0].session_key, issued[1].session_key,
        "new session key"
    );
    assert_eq!(fakes.imds.monitor().count("GetLeafCertificate"), 2);
}

#[tokio::test]
async fn an_expired_token_from_the_service_is_replaced_after_the_401() {
    let fakes = KeylessFakes::start().await.expect("fakes");
    // Already expired when issued: the client uses it (it has no better), the Vault refuses it.
    fakes.federation.push_policy(TokenPolicy {
        lifetime: jiff::SignedDuration::from_secs(-60),
        valid_for_requests: None,
    });
    let auth = principal(&fakes, Some(fakes.federation.endpoint()));
    assert_eq!(vault_get(&fakes, &auth).await, StatusCode::UNAUTHORIZED);
    auth.refresh().await.expect("refresh");
    assert_eq!(vault_get(&fakes, &auth).await, StatusCode::OK);
    assert_eq!(fakes.federation.tokens().issued().len(), 2);
}

#[tokio::test]
async fn concurrent_first_requests_share_one_federation_call() {
    let fakes = Arc::new(KeylessFakes::start().await.expect("fakes"));
    let auth = Arc::new(principal(&fakes, Some(fakes.federation.endpoint())));
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (fakes, auth) = (fakes.clone(), auth.clone());
            tokio::spawn(async move { vault_get(&fakes, auth.as_ref()).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task"), StatusCode::OK);
    }
    assert_eq!(fakes.federation.monitor().count("X509Federation"), 1);
}

#[tokio::test]
async fn a_certificate_naming_another_tenancy_is_refused() {
    let fakes = KeylessFakes::start().await.expect("fakes");
    let auth = principal(&fakes, Some(fakes.federation.endpoint()));
    assert_eq!(vault_get(&fakes, &auth).await, StatusCode::OK);
    fakes
        .identity
        .rotate_leaf("ocid1.tenancy.oc1..someoneelse")
        .expect("rotate");
    auth.refresh().await.expect("refresh");
    let (mut parts, ()) = http::Request::get(format!("{}/x", fakes.vault.base_url()))
        .body(())
        .expect("request")
        .into_parts();
    let err = auth
        .sign(&mut parts, SignBody::None)
        .await
        .expect_err("tenancy changed");
    assert_eq!(err.kind, ErrorKind::Auth);
    assert!(
        err.to_string().contains("ocid1.tenancy.oc1..someoneelse")
            && err.to_string().contains(TENANCY),
        "{err}"
    );
}

#[tokio::test]
async fn a_federation_refusal_is_an_auth_error_naming_the_endpoint() {
    let fakes = KeylessFakes::start().await.expect("fakes");
    // Another instance's fakes: their federation does not trust this chain.
    let strangers = KeylessFakes::start().await.expect("other fakes");
    let auth = principal(&fakes, Some(strangers.federation.endpoint()));
    let (mut parts, ()) = http::Request::get(format!("{}/x", fakes.vault.base_url()))
        .body(())
        .expect("request")
        .into_parts();
    let err = auth
        .sign(&mut parts, SignBody::None)
        .await
        .expect_err("untrusted chain");
    assert_eq!(err.kind, ErrorKind::Auth);
    let message = err.to_string();
    assert!(
        message.contains(&strangers.federation.endpoint())
            && message.contains("401 NotAuthenticated")
            && message.contains("does not chain to a trusted root"),
        "{message}"
    );
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

async fn sign_error(base: &str) -> crate::Error {
    let metadata = Metadata::new(base).expect("metadata");
    let auth = InstancePrincipal::new(metadata, Some("http://127.0.0.1:9/v1/x509".into()))
        .expect("principal");
    let (mut parts, ()) = http::Request::get("http://127.0.0.1:9/n")
        .body(())
        .expect("request")
        .into_parts();
    auth.sign(&mut parts, SignBody::None)
        .await
        .expect_err("no metadata service")
}

#[tokio::test]
async fn no_metadata_service_is_a_clear_error_not_a_hang() {
    let base = format!("http://127.0.0.1:{}/opc/v2", closed_port());
    let err = sign_error(&base).await;
    assert_eq!(err.kind, ErrorKind::Auth);
    assert!(
        err.to_string().starts_with(&format!(
            "instance principal: metadata service at {base} did not answer — is this an OCI compute instance?"
        )),
        "{err}"
    );

    // A listener that accepts connections but never answers: bounded by the request timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}/opc/v2", silent.local_addr().expect("addr"));
    let err = sign_error(&base).await;
    assert!(err.to_string().contains("did not answer"), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn the_metadata_service_requires_the_v2_header() {
    // The fake enforces what the real service does; ocisync's client passes, a bare GET fails.
    let fakes = KeylessFakes::start().await.expect("fakes");
    let bare = reqwest::get(format!("{}/identity/cert.pem", fakes.imds.base_url()))
        .await
        .expect("get");
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    let metadata = Metadata::new(&fakes.imds.base_url()).expect("metadata");
    let identity = metadata.identity().await.expect("identity");
    assert_eq!(identity.leaf.tenancy(), Ok(TENANCY));
}
