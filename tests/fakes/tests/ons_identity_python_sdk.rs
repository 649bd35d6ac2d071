//! Fidelity cross-check of the Notifications and Identity fakes against Oracle's Python SDK
//! (oci==2.189.0): NotificationDataPlaneClient.publish_message, IdentityClient.get_tenancy and
//! list_region_subscriptions (tests/python/ons_identity.py), signed with an API key and with the
//! SDK's InstancePrincipalsSecurityTokenSigner federating through the keyless fakes. Every call
//! must succeed and the fake must have recorded what the SDK sent. Like the other SDK
//! cross-checks, these fail (with the install command) when python3 cannot import `oci`.
//! Run with `--nocapture` to see what the SDK printed.

mod common;

use std::sync::Arc;

use ocisync_fakes::identity::{FakeIdentity, Region, Tenancy};
use ocisync_fakes::keyless::{KeylessFakes, KeylessOptions, TENANCY};
use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::notifications::FakeNotifications;
use ocisync_fakes::oci_sig::KeyRing;
use tokio::process::Command;

const SDK_VERSION: &str = "2.189.0";
const TOPIC: &str = "ocid1.onstopic.oc1.iad.aaaaaaaapythonsdkcheck";
const TITLE: &str = "ocisync: 2 objects failed";
const BODY: &str = "ocisync sync bling -> s3 finished with errors\n  reports/a.csv.gz: 503";

async fn require_python_oci() {
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
}

/// Runs the script with `env`; panics with its output (and the fakes' logs) unless it passed.
async fn run_script(env: &[(&str, String)], logs: impl Fn() -> String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/ons_identity.py");
    let output = Command::new("python3")
        .arg(script)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("--- Python SDK output\n{stdout}");
    assert!(
        output.status.success() && stdout.contains("ALL CHECKS PASSED"),
        "SDK check failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n{}",
        logs()
    );
}

#[tokio::test]
async fn python_sdk_publishes_and_reads_the_tenancy_with_an_api_key() {
    require_python_oci().await;
    let keys = Arc::new(KeyRing::new());
    let key = TestKeyPair::generate().unwrap();
    let key_id = keys.register_api_key(common::TENANCY, common::USER, key.public_key());
    let ons = FakeNotifications::start(keys.clone()).await.unwrap();
    ons.add_topic(TOPIC);
    let mut tenancy = Tenancy::new(common::TENANCY, Region::named("us-phoenix-1").unwrap());
    tenancy
        .other_regions
        .push(Region::named("us-ashburn-1").unwrap());
    let iam = FakeIdentity::start(keys, tenancy).await.unwrap();
    let pem = key.private_key_pem().unwrap();

    let env = [
        ("FAKE_AUTH", "api_key".to_string()),
        ("FAKE_OCI_TENANCY", common::TENANCY.to_string()),
        ("FAKE_OCI_USER", common::USER.to_string()),
        ("FAKE_OCI_FINGERPRINT", key.public_key().fingerprint()),
        ("FAKE_OCI_KEY_PEM", pem.to_string()),
        ("FAKE_ONS_ENDPOINT", ons.base_url()),
        ("FAKE_IDENTITY_ENDPOINT", iam.base_url()),
        ("FAKE_TOPIC", TOPIC.to_string()),
        ("FAKE_TITLE", TITLE.to_string()),
        ("FAKE_BODY", BODY.to_string()),
        ("FAKE_HOME_REGION", "us-phoenix-1".to_string()),
    ];
    run_script(&env, || {
        format!(
            "--- ONS log\n{:#?}\n--- Identity log\n{:#?}",
            ons.monitor().log(),
            iam.monitor().log()
        )
    })
    .await;

    let messages = ons.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let m = &messages[0];
    assert_eq!(
        (m.topic_id.as_str(), m.title.as_deref(), m.body.as_str()),
        (TOPIC, Some(TITLE), BODY)
    );
    assert_eq!(m.message_type.as_deref(), Some("RAW_TEXT"));
    assert_eq!(m.key_id, key_id);
    assert_eq!(iam.monitor().count("GetTenancy"), 1);
    assert_eq!(iam.monitor().count("ListRegionSubscriptions"), 1);
}

#[tokio::test]
async fn python_sdk_publishes_and_reads_the_tenancy_as_an_instance_principal() {
    require_python_oci().await;
    let fakes = KeylessFakes::start_with(KeylessOptions {
        home_region: Region::named("eu-frankfurt-1").unwrap(),
        ..KeylessOptions::default()
    })
    .await
    .unwrap();
    fakes.notifications.add_topic(TOPIC);

    let env = [
        ("FAKE_AUTH", "instance_principal".to_string()),
        ("OCI_METADATA_BASE_URL", fakes.imds.base_url()),
        ("FAKE_FEDERATION_ENDPOINT", fakes.federation.endpoint()),
        ("FAKE_ONS_ENDPOINT", fakes.notifications.base_url()),
        ("FAKE_IDENTITY_ENDPOINT", fakes.iam.base_url()),
        ("FAKE_TOPIC", TOPIC.to_string()),
        ("FAKE_TITLE", TITLE.to_string()),
        ("FAKE_BODY", BODY.to_string()),
        ("FAKE_HOME_REGION", "eu-frankfurt-1".to_string()),
    ];
    run_script(&env, || {
        format!(
            "--- federation log\n{:#?}\n--- ONS log\n{:#?}\n--- Identity log\n{:#?}",
            fakes.federation.monitor().log(),
            fakes.notifications.monitor().log(),
            fakes.iam.monitor().log()
        )
    })
    .await;

    let messages = fakes.notifications.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(
        (messages[0].title.as_deref(), messages[0].body.as_str()),
        (Some(TITLE), BODY)
    );
    assert_eq!(messages[0].key_id, "ST$<redacted>");
    // The instance's region (us-ashburn-1) is subscribed besides the home region.
    assert_eq!(fakes.iam.tenancy().other_regions.len(), 1);
    assert_eq!(fakes.iam.tenancy().id, TENANCY);
    let issued = fakes.federation.tokens().issued();
    assert_eq!(issued.len(), 1);
    assert!(
        issued[0].uses >= 4,
        "the token signed the publishes and the Identity calls: {} uses",
        issued[0].uses
    );
}
