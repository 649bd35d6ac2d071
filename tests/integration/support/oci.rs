//! The project's fake OCI Object Storage (signature-checking) for tests of the binary, with a
//! user-principal API key written to an OCI config file, as an operator would have it.

use std::path::PathBuf;

use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage};

use super::tree::TempDir;

pub const TENANCY: &str = "ocid1.tenancy.oc1..aaaaaaaatestbling";
const USER: &str = "ocid1.user.oc1..aaaaaaaatestuser";

pub struct Oci {
    pub fake: FakeObjectStorage,
    pub oci_config: PathBuf,
    _dir: TempDir,
}

impl Oci {
    /// A fake that checks every signature against one registered API key. `signed = false`
    /// accepts unsigned requests (rclone's `provider = no_auth`).
    pub async fn start(signed: bool) -> Oci {
        let fake = FakeObjectStorage::start(Config {
            require_signatures: signed,
            ..Config::default()
        })
        .await
        .expect("start fake OCI");
        fake.create_bucket("bling", TENANCY);
        let key = TestKeyPair::generate().unwrap();
        fake.keys()
            .register_api_key(TENANCY, USER, key.public_key());
        let dir = TempDir::new("oci");
        let key_file = dir.join("oci_api_key.pem");
        std::fs::write(&key_file, key.private_key_pem().unwrap().as_bytes()).unwrap();
        // A private key readable by every user is refused, as ssh refuses it.
        std::fs::set_permissions(
            &key_file,
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        let oci_config = dir.join("config");
        std::fs::write(
            &oci_config,
            format!(
                "[DEFAULT]\nuser={USER}\nfingerprint={}\ntenancy={TENANCY}\nregion=us-ashburn-1\nkey_file={}\n",
                key.public_key().fingerprint(),
                key_file.display()
            ),
        )
        .unwrap();
        Oci {
            fake,
            oci_config,
            _dir: dir,
        }
    }

    /// `[remotes.NAME]` for the bling namespace, signing with the config file's API key.
    pub fn remote_toml(&self, name: &str) -> String {
        format!(
            "[remotes.{name}]\ntype = \"oracleobjectstorage\"\nprovider = \"user_principal_auth\"\nconfig_file = \"{}\"\nnamespace = \"bling\"\nregion = \"us-ashburn-1\"\nendpoint = \"{}\"\nno_check_bucket = true\n",
            self.oci_config.display(),
            self.fake.base_url()
        )
    }

    /// `[remotes.NAME]` with `provider = no_auth` (needs a fake started with `signed = false`).
    pub fn unsigned_remote_toml(&self, name: &str) -> String {
        format!(
            "[remotes.{name}]\ntype = \"oracleobjectstorage\"\nprovider = \"no_auth\"\nnamespace = \"bling\"\nregion = \"us-ashburn-1\"\nendpoint = \"{}\"\nno_check_bucket = true\n",
            self.fake.base_url()
        )
    }

    /// rclone's connection string for `bucket/prefix` on this fake (`provider = no_auth`).
    pub fn rclone_remote(&self, path: &str) -> String {
        format!(
            ":oracleobjectstorage,provider=no_auth,namespace=bling,region=us-ashburn-1,endpoint='{}':{path}",
            self.fake.base_url()
        )
    }

    pub fn count(&self, op: &str) -> u64 {
        self.fake.monitor().count(op)
    }

    /// HEADs of objects: every HeadObject but the parallel listing's one round-trip probe
    /// (sent when a listing longer than a page had a slow first page).
    pub fn object_heads(&self) -> usize {
        let probe = ocisync::engine::listing::PROBE_KEY;
        let log = self.fake.monitor().log();
        log.iter()
            .filter(|e| e.operation == "HeadObject" && !e.target.contains(probe))
            .count()
    }
}
