//! The `oci_vault` provider: its options, and reading secrets from the fake Vault with an
//! instance principal (fake metadata and federation services) on 127.0.0.1. The decoding rules
//! are tested with them in `oci_core::vault`.

use ocisync_backend::{ErrorKind, RawValue};
use ocisync_fakes::federation::TokenPolicy;
use ocisync_fakes::keyless::KeylessFakes;

use super::*;

#[test]
fn auth_names_and_endpoints_are_checked_when_built() {
    let mut values = vals(&[
        ("access_key_id", "ocid1.vaultsecret.oc1..a"),
        ("secret_access_key", "ocid1.vaultsecret.oc1..b"),
    ]);
    assert!(
        TYPE.build("v", &values).is_ok(),
        "instance_principal is the default"
    );
    for ok in [
        "resource_principal",
        "user_principal",
        "instance_principal_auth",
    ] {
        values.insert("auth".into(), RawValue::String(ok.into()));
        assert!(TYPE.build("v", &values).is_ok(), "{ok}");
    }
    for bad in ["workload_identity", "api_key"] {
        values.insert("auth".into(), RawValue::String(bad.into()));
        let err = TYPE.build("v", &values).err().expect(bad);
        assert_eq!(err.key(), "auth");
    }
    values.remove("auth");
    values.insert(
        "endpoint".into(),
        RawValue::String("http://vault.example.com".into()),
    );
    let err = TYPE.build("v", &values).err().expect("plain http");
    assert_eq!(err.key(), "endpoint");
    let missing = vals(&[("access_key_id", "ocid1.vaultsecret.oc1..a")]);
    let err = TYPE.build("v", &missing).err().expect("missing");
    assert_eq!(err.key(), "secret_access_key");
}

fn vals(pairs: &[(&str, &str)]) -> ConfigValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), RawValue::String(v.to_string())))
        .collect()
}

const ACCESS: &str = "ocid1.vaultsecret.oc1.iad.amaaaaaaaccesskey";
const SECRET: &str = "ocid1.vaultsecret.oc1.iad.amaaaaaasecretkey";
const TOKEN: &str = "ocid1.vaultsecret.oc1.iad.amaaaaaasessiontoken";

/// A provider reading from the fakes, as `[credentials.vault]` would configure it.
fn provider(fakes: &KeylessFakes, extra: &[(&str, &str)]) -> Arc<dyn CredentialProvider> {
    let endpoint = fakes.vault.base_url();
    let federation = fakes.federation.endpoint();
    let mut pairs = vec![
        ("auth", "instance_principal"),
        ("endpoint", endpoint.as_str()),
        ("federation_endpoint", federation.as_str()),
        ("access_key_id", ACCESS),
        ("secret_access_key", SECRET),
    ];
    pairs.extend_from_slice(extra);
    TYPE.build("vault", &vals(&pairs)).expect("provider")
}

/// Runs `f` with `OCI_METADATA_BASE_URL` pointing at the fake (the instance principal reads it
/// from the environment). Tests in this module take the lock: the variable is process-wide.
async fn with_metadata<T>(fakes: &KeylessFakes, f: impl AsyncFnOnce() -> T) -> T {
    static ENV: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _guard = ENV.lock().await;
    // SAFETY (edition 2024 marks set_var unsafe): std serialises its own environment reads and
    // writes, the tests that set this variable hold the lock above, and nothing in this test
    // binary reads the environment through libc directly.
    unsafe { std::env::set_var(crate::auth::imds::BASE_URL_VARIABLE, fakes.imds.base_url()) };
    let result = f().await;
    unsafe { std::env::remove_var(crate::auth::imds::BASE_URL_VARIABLE) };
    result
}

#[tokio::test]
async fn reads_and_trims_secrets_through_an_instance_principal() {
    let fakes = KeylessFakes::start().await.expect("fakes");
    fakes.vault.put_secret(ACCESS, "AKIAFAKEACCESSKEY\n");
    fakes.vault.put_secret(SECRET, "fake/secret+key");
    fakes.vault.put_secret(TOKEN, "  session-token-value \r\n");
    let provider = provider(&fakes, &[("session_token", TOKEN)]);
    let credentials = with_metadata(&fakes, async || provider.fetch().await)
        .await
        .expect("fetch");
    let get = |k: &str| credentials.get(k).map(|s| s.expose().to_string());
    assert_eq!(get("access_key_id").as_deref(), Some("AKIAFAKEACCESSKEY"));
    assert_eq!(get("secret_access_key").as_deref(), Some("fake/secret+key"));
    assert_eq!(get("session_token").as_deref(), Some("session-token-value"));
    assert_eq!(credentials.expires_at, None);
    let debug = format!("{credentials:?}");
    assert!(
        !debug.contains("AKIAFAKE") && !debug.contains("fake/secret"),
        "{debug}"
    );

    assert_eq!(fakes.vault.monitor().count("GetSecretBundle"), 3);
    assert_eq!(fakes.federation.monitor().count("X509Federation"), 1);
    let log = fakes.vault.monitor().log();
    assert!(log.iter().all(|e| e.status == 200), "{log:?}");
    assert!(
        log.iter()
            .all(|e| e.headers["authorization"].starts_with("keyId=ST$<redacted>")),
        "{log:?}"
    );
}

#[tokio::test]
async fn unknown_secret_ocids_and_bad_values_name_the_ocid_not_the_value() {
    let fakes = KeylessFakes::start().await.expect("fakes");
    fakes.vault.put_secret(ACCESS, "AKIAFAKEACCESSKEY");
    // SECRET is not stored: 404.
    let provider = provider(&fakes, &[]);
    let err = with_metadata(&fakes, async || provider.fetch().await)
        .await
        .expect_err("unknown OCID");
    assert_eq!(err.kind, ErrorKind::Auth);
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "oci_vault: secret {SECRET} (secret_access_key): 404 NotAuthorizedOrNotFound"
        )),
        "{message}"
    );
    assert!(message.contains("read secret-bundles"), "{message}");
    assert!(!message.contains("AKIAFAKEACCESSKEY"), "{message}");

    fakes.vault.put_secret(SECRET, "two\nlines");
    let err = with_metadata(&fakes, async || provider.fetch().await)
        .await
        .expect_err("control characters");
    let message = err.to_string();
    assert!(
        message.contains(SECRET) && message.contains("control characters"),
        "{message}"
    );
    assert!(
        !message.contains("two") && !message.contains("lines"),
        "{message}"
    );
}

#[tokio::test]
async fn a_401_refreshes_the_identity_and_retries_once() {
    let fakes = KeylessFakes::start().await.expect("fakes");
    fakes.vault.put_secret(ACCESS, "AKIAFAKEACCESSKEY");
    fakes.vault.put_secret(SECRET, "secret");
    // The first token works for one request only: the second secret's GET is refused.
    fakes.federation.push_policy(TokenPolicy {
        valid_for_requests: Some(1),
        ..TokenPolicy::default()
    });
    let provider = provider(&fakes, &[]);
    let credentials = with_metadata(&fakes, async || provider.fetch().await)
        .await
        .expect("fetch after refresh");
    assert_eq!(
        credentials.get("secret_access_key").map(|s| s.expose()),
        Some("secret")
    );
    assert_eq!(fakes.federation.monitor().count("X509Federation"), 2);
    let statuses: Vec<u16> = fakes
        .vault
        .monitor()
        .log()
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, [200, 401, 200]);
}
