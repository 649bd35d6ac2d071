//! Fidelity cross-check: Oracle's Python SDK (oci==2.189.0), signing with a registered test key,
//! runs a round trip of Object Storage calls against the fake (tests/python/oci_sdk_roundtrip.py).
//! Every call must succeed: the fake accepts real OCI-signed traffic and answers what the SDK
//! parses.

mod common;

use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage};
use tokio::process::Command;

const SDK_VERSION: &str = "2.189.0";

#[tokio::test]
async fn python_sdk_round_trip_against_the_fake() {
    let probe = Command::new("python3")
        .args(["-c", "import oci, sys; sys.stdout.write(oci.__version__)"])
        .output()
        .await
        .expect("python3 must be installed to run the SDK cross-check");
    assert!(
        probe.status.success(),
        "Oracle's Python SDK is not importable; install it with `pip install oci=={SDK_VERSION}`\n{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let version = String::from_utf8_lossy(&probe.stdout).to_string();
    if version != SDK_VERSION {
        eprintln!("note: oci {version} installed; the cross-check is pinned to {SDK_VERSION}");
    }

    let fake = FakeObjectStorage::start(Config::default()).await.unwrap();
    let key = TestKeyPair::generate().unwrap();
    fake.keys()
        .register_api_key(common::TENANCY, common::USER, key.public_key());
    fake.create_bucket("bling", common::BUCKET);
    let pem = key.private_key_pem().unwrap();

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/oci_sdk_roundtrip.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .env("FAKE_OCI_ENDPOINT", fake.base_url())
        .env("FAKE_OCI_TENANCY", common::TENANCY)
        .env("FAKE_OCI_USER", common::USER)
        .env("FAKE_OCI_FINGERPRINT", key.public_key().fingerprint())
        .env("FAKE_OCI_KEY_PEM", pem.as_str())
        .env("FAKE_OCI_BUCKET", common::BUCKET)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let refused: Vec<String> = fake
        .monitor()
        .log()
        .iter()
        .filter(|e| e.status == 401 || e.status == 400)
        .map(|e| format!("{} {} {} {:?}", e.status, e.method, e.target, e.headers))
        .collect();
    assert!(
        output.status.success() && stdout.contains("ALL CHECKS PASSED"),
        "SDK round trip failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- refused\n{refused:#?}"
    );
    assert!(refused.is_empty(), "{refused:#?}");

    // The SDK really went through the operations the fake implements.
    let stats = fake.monitor().stats();
    for (operation, at_least) in [
        ("GetNamespace", 1),
        ("PutObject", 4),
        ("ListObjects", 5),
        ("GetObject", 4),
        ("HeadObject", 2),
        ("CreateMultipartUpload", 1),
        ("UploadPart", 2),
        ("CommitMultipartUpload", 1),
        ("DeleteObject", 5),
    ] {
        let seen = stats.operations.get(operation).map_or(0, |o| o.requests);
        assert!(
            seen >= at_least,
            "{operation}: {seen} requests, expected at least {at_least}"
        );
    }
}
