//! The service through plain OpenDAL — `Operator::new(ObjectStorageBuilder)`, no ocisync code —
//! against the fake OCI Object Storage on 127.0.0.1: listing, reading, writing (single PUT and
//! multipart), deleting, an identity named by the configuration (its signatures verified by the
//! fake), and the typed service error behind a failure.

use std::path::PathBuf;

use futures::TryStreamExt;
use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage, SeedObject};
use opendal::{ErrorKind, Operator};
use opendal_service_oci_objectstorage::{ObjectStorageBuilder, ObjectStorageConfig, service_error};

const NS: &str = "axzbp3kgiaim";
const BUCKET: &str = "reports";

async fn fake(require_signatures: bool) -> FakeObjectStorage {
    let config = Config {
        namespace: NS.into(),
        require_signatures,
        page_size: 3,
        ..Config::default()
    };
    let fake = FakeObjectStorage::start(config).await.expect("start fake");
    fake.create_bucket(NS, BUCKET);
    fake
}

/// An unsigned (`no_auth`) operator on the fake's bucket, rooted at `root`.
fn operator(fake: &FakeObjectStorage, root: &str) -> Operator {
    opendal::install_default();
    let builder = ObjectStorageBuilder::default()
        .endpoint(&fake.base_url())
        .namespace(NS)
        .bucket(BUCKET)
        .root(root)
        .auth("no_auth");
    Operator::new(builder).expect("operator")
}

#[tokio::test]
async fn lists_reads_writes_and_deletes() {
    let fake = fake(false).await;
    for i in 0..7 {
        fake.seed(
            NS,
            BUCKET,
            SeedObject::new(format!("cost/2026/{i}.csv.gz"), format!("report {i}")),
        );
    }
    fake.seed(NS, BUCKET, SeedObject::new("other/x", "x"));
    let op = operator(&fake, "/cost/");

    // Recursive listing: paged (page size 3) through the fake, relative to the root.
    let mut names: Vec<String> = op
        .lister_with("")
        .recursive(true)
        .await
        .expect("lister")
        .map_ok(|e| e.path().to_string())
        .try_collect()
        .await
        .expect("list");
    names.sort();
    let expected: Vec<String> = (0..7).map(|i| format!("2026/{i}.csv.gz")).collect();
    assert_eq!(names, expected);
    assert_eq!(
        fake.monitor().count("HeadObject"),
        0,
        "a listing needs no HEADs"
    );

    // Read one, write it elsewhere, stat and read the copy.
    let bytes = op.read("2026/3.csv.gz").await.expect("read").to_vec();
    assert_eq!(bytes, b"report 3");
    op.write("copies/3.csv.gz", bytes.clone())
        .await
        .expect("write");
    let stored = fake
        .object(NS, BUCKET, "cost/copies/3.csv.gz")
        .expect("stored under the root");
    assert_eq!(stored.data.as_ref(), b"report 3");
    let meta = op.stat("copies/3.csv.gz").await.expect("stat");
    assert_eq!(meta.content_length(), 8);

    // Multipart: 12 MiB in 5 MiB chunks is three parts, committed as one object.
    let big: Vec<u8> = (0..12 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut w = op
        .writer_with("copies/big.bin")
        .chunk(5 << 20)
        .await
        .expect("writer");
    w.write(big.clone()).await.expect("write big");
    w.close().await.expect("commit");
    assert_eq!(fake.monitor().count("UploadPart"), 3);
    assert_eq!(
        op.read("copies/big.bin").await.expect("read big").to_vec(),
        big
    );

    op.delete("copies/3.csv.gz").await.expect("delete");
    assert!(fake.object(NS, BUCKET, "cost/copies/3.csv.gz").is_none());
    let err = op.stat("copies/3.csv.gz").await.expect_err("deleted");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_missing_bucket_is_a_typed_service_error() {
    let fake = fake(false).await;
    opendal::install_default();
    let builder = ObjectStorageBuilder::default()
        .endpoint(&fake.base_url())
        .namespace(NS)
        .bucket("nope")
        .auth("no_auth");
    let op = Operator::new(builder).expect("operator");
    let err = op.list("").await.expect_err("no such bucket");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().starts_with("BucketNotFound (404)"), "{err}");
    let answer = service_error(&err).expect("typed source");
    assert_eq!(
        (answer.code.as_str(), answer.status),
        ("BucketNotFound", 404)
    );
    assert!(answer.is_missing_container());
    assert!(
        answer.opc_request_id.is_some(),
        "the fake sends opc-request-id"
    );
}

#[tokio::test]
async fn a_configured_identity_signs_and_the_fake_verifies() {
    let fake = fake(true).await;
    let dir = std::env::temp_dir().join(format!(
        "oos-service-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let _cleanup = RemoveOnDrop(dir.clone());
    std::fs::create_dir_all(&dir).unwrap();
    let key = TestKeyPair::generate().unwrap();
    let (tenancy, user) = ("ocid1.tenancy.oc1..test", "ocid1.user.oc1..test");
    fake.keys()
        .register_api_key(tenancy, user, key.public_key());
    let key_file = dir.join("key.pem");
    std::fs::write(&key_file, key.private_key_pem().unwrap().as_bytes()).unwrap();
    std::fs::set_permissions(
        &key_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let config_file = dir.join("config");
    std::fs::write(
        &config_file,
        format!(
            "[DEFAULT]\nuser={user}\nfingerprint={}\ntenancy={tenancy}\nregion=us-ashburn-1\nkey_file={}\n",
            key.public_key().fingerprint(),
            key_file.display()
        ),
    )
    .unwrap();

    // All from key/value pairs, as `Operator::via_iter` and the URI form give them.
    opendal::install_default();
    let config = <ObjectStorageConfig as opendal::Configurator>::from_iter([
        ("endpoint".to_string(), fake.base_url()),
        ("namespace".to_string(), NS.to_string()),
        ("bucket".to_string(), BUCKET.to_string()),
        ("auth".to_string(), "user_principal".to_string()),
        (
            "config_file".to_string(),
            config_file.to_string_lossy().into_owned(),
        ),
    ])
    .expect("config");
    let op = Operator::from_config(config).expect("operator");
    op.write("signed.txt", "signed")
        .await
        .expect("signed write");
    assert_eq!(op.read("signed.txt").await.unwrap().to_vec(), b"signed");

    // The same bucket with a key the fake does not know: refused, and said so.
    let other = TestKeyPair::generate().unwrap();
    std::fs::write(&key_file, other.private_key_pem().unwrap().as_bytes()).unwrap();
    std::fs::write(
        &config_file,
        format!(
            "[DEFAULT]\nuser={user}\nfingerprint={}\ntenancy={tenancy}\nregion=us-ashburn-1\nkey_file={}\n",
            other.public_key().fingerprint(),
            key_file.display()
        ),
    )
    .unwrap();
    let op = Operator::new(
        ObjectStorageBuilder::default()
            .endpoint(&fake.base_url())
            .namespace(NS)
            .bucket(BUCKET)
            .auth("user_principal_auth")
            .config_file(&config_file.to_string_lossy(), Some("DEFAULT")),
    )
    .expect("operator");
    let err = op.read("signed.txt").await.expect_err("unknown key");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(service_error(&err).map(|e| e.status), Some(401), "{err}");
    assert!(err.message().contains("authentication failed"), "{err}");
}

#[test]
fn a_builder_without_a_signer_or_endpoint_is_refused() {
    let err = Operator::new(ObjectStorageBuilder::default().bucket(BUCKET)).expect_err("no signer");
    assert_eq!(err.kind(), ErrorKind::ConfigInvalid);
    assert!(err.message().starts_with("no signer: set auth"), "{err}");
    let err = Operator::new(
        ObjectStorageBuilder::default()
            .bucket(BUCKET)
            .auth("no_auth"),
    )
    .expect_err("no endpoint");
    assert!(err.message().starts_with("endpoint is empty"), "{err}");
    let err = Operator::new(
        ObjectStorageBuilder::default()
            .bucket(BUCKET)
            .auth("no_auth")
            .endpoint("http://10.0.0.5:8080"),
    )
    .expect_err("plain http off loopback");
    assert!(
        err.message().contains("plain http is only allowed"),
        "{err}"
    );
}

#[tokio::test]
async fn the_region_gives_the_endpoint() {
    let op = Operator::new(
        ObjectStorageBuilder::default()
            .bucket(BUCKET)
            .namespace(NS)
            .region("iad")
            .auth("no_auth"),
    )
    .expect("operator");
    let info = op.info();
    assert_eq!(info.name(), BUCKET);
    let err = Operator::new(
        ObjectStorageBuilder::default()
            .bucket(BUCKET)
            .region("mars-north-1")
            .auth("no_auth"),
    )
    .expect_err("unknown region");
    assert_eq!(err.kind(), ErrorKind::ConfigInvalid);
    assert!(
        err.message().contains("unknown OCI region 'mars-north-1'"),
        "{err}"
    );
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
