//! The backend conformance suite on OCI Object Storage, against the project's fake (which
//! checks request signatures: each case signs with an API key): a fresh bucket per case.

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;
use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage, SeedObject};

const TENANCY: &str = "ocid1.tenancy.oc1..aaaaaaaaconformance";
const USER: &str = "ocid1.user.oc1..aaaaaaaaconformance";

struct Oci {
    fake: FakeObjectStorage,
    config_file: std::path::PathBuf,
}

#[async_trait]
impl Fixture for Oci {
    fn name(&self) -> &str {
        "oracleobjectstorage (fake, signed)"
    }

    async fn remote(&self, case: &str) -> Remote {
        self.fake.create_bucket("ns", case);
        let mut values = ConfigValues::new();
        for (k, v) in [
            ("provider", "user_principal_auth"),
            ("config_file", &*self.config_file.to_string_lossy()),
            ("namespace", "ns"),
            ("region", "us-ashburn-1"),
            ("endpoint", &self.fake.base_url()),
            ("no_check_bucket", "true"),
            // The smallest part the backend accepts, so the multipart case stays small.
            ("chunk_size", "5Mi"),
        ] {
            values.insert(k.into(), RawValue::String(v.to_string()));
        }
        let global = GlobalOptions::default();
        ocisync_oracle::objectstorage::BACKEND
            .open(OpenContext {
                name: "oci",
                path: case,
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open oci")
    }

    /// Straight into the fake's store: any name OCI itself would accept (not LF, CR or NUL).
    async fn put_raw(&self, case: &str, key: &str, data: &[u8]) -> bool {
        if key.contains(['\n', '\r', '\0']) {
            return false;
        }
        self.fake
            .seed("ns", case, SeedObject::new(key, data.to_vec()));
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oracle_object_storage_passes_the_conformance_suite_against_the_fake() {
    let fake = FakeObjectStorage::start(Config::default())
        .await
        .expect("fake");
    let key = TestKeyPair::generate().unwrap();
    fake.keys()
        .register_api_key(TENANCY, USER, key.public_key());
    // Removed when the test ends, passed or not: it holds a private key.
    let dir = ocisync_fakes::servers::scratch("conformance-oci");
    let key_file = dir.join("key.pem");
    std::fs::write(&key_file, key.private_key_pem().unwrap().as_bytes()).unwrap();
    // A private key readable by every user is refused, as ssh refuses it.
    std::fs::set_permissions(
        &key_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let config_file = dir.join("config");
    std::fs::write(
        &config_file,
        format!(
            "[DEFAULT]\nuser={USER}\nfingerprint={}\ntenancy={TENANCY}\nregion=us-ashburn-1\nkey_file={}\n",
            key.public_key().fingerprint(),
            key_file.display()
        ),
    )
    .unwrap();
    ocisync_conformance::run(&Oci { fake, config_file }).await;
    drop(dir);
}
