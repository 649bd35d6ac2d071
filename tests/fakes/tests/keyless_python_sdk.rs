//! Fidelity cross-check of the keyless fakes against Oracle's Python SDK (oci==2.189.0): its
//! InstancePrincipalsSecurityTokenSigner federates through the fake metadata and federation
//! services, and with the token its SecretsClient reads from the fake Vault and its
//! ObjectStorageClient lists the fake Object Storage (tests/python/instance_principal_vault.py).
//! Run with `--nocapture` to see what the SDK printed.

use ocisync_fakes::keyless::{KeylessFakes, TENANCY};
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage, SeedObject};
use tokio::process::Command;

const SECRET_ID: &str = "ocid1.vaultsecret.oc1.iad.amaaaaaapythonsdkcheck";
const SECRET_VALUE: &str = "AKIAPYTHONSDKCHECK";

#[tokio::test]
async fn python_sdk_instance_principal_reads_vault_and_object_storage() {
    let fakes = KeylessFakes::start().await.unwrap();
    // Stored with a trailing newline, as `echo` would; the script compares the trimmed value.
    fakes
        .vault
        .put_secret(SECRET_ID, format!("{SECRET_VALUE}\n"));
    let storage = FakeObjectStorage::start(Config {
        keys: fakes.keys.clone(),
        ..Config::default()
    })
    .await
    .unwrap();
    let objects = [
        "reports/cost-csv/0001000000000001.csv.gz",
        "reports/cost-csv/0001000000000002.csv.gz",
    ];
    for name in objects {
        storage.seed("bling", TENANCY, SeedObject::new(name, "data"));
    }

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/instance_principal_vault.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .env("OCI_METADATA_BASE_URL", fakes.imds.base_url())
        .env("FAKE_FEDERATION_ENDPOINT", fakes.federation.endpoint())
        .env("FAKE_TENANCY", TENANCY)
        .env("FAKE_VAULT_ENDPOINT", fakes.vault.base_url())
        .env("FAKE_SECRET_ID", SECRET_ID)
        .env("FAKE_SECRET_VALUE", SECRET_VALUE)
        .env("FAKE_OS_ENDPOINT", storage.base_url())
        .env("FAKE_OS_BUCKET", TENANCY)
        .env("FAKE_OS_OBJECTS", objects.join(","))
        .output()
        .await
        .expect("python3 with oci==2.189.0 (pip install oci==2.189.0)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("--- Python SDK output\n{stdout}");
    assert!(
        output.status.success() && stdout.contains("ALL CHECKS PASSED"),
        "SDK check failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- federation log\n{:#?}\n--- vault log\n{:#?}",
        fakes.federation.monitor().log(),
        fakes.vault.monitor().log()
    );

    // The SDK really went through the fakes: the Python SDK's SHA-1 key id form, its IMDS reads.
    let issued = fakes.federation.tokens().issued();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].key_id_form, "fed-x509");
    assert!(fakes.imds.monitor().count("GetLeafCertificate") >= 1);
    assert!(fakes.imds.monitor().count("GetRegion") >= 1);
    assert_eq!(fakes.vault.monitor().count("GetSecretBundle"), 2);
    assert_eq!(storage.monitor().count("ListObjects"), 1);
    assert!(
        issued[0].uses >= 2,
        "the token signed the Vault and Object Storage calls"
    );
}
