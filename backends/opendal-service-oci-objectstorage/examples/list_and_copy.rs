//! Plain OpenDAL on OCI Object Storage: starts the project's fake Object Storage on 127.0.0.1
//! (signatures not required), seeds a few cost-report-like objects, then — with nothing but
//! `opendal` and this crate — lists them and copies each under `copies/`, streaming.
//!
//!     cargo run -p opendal-service-oci-objectstorage --example list_and_copy
//!
//! Against OCI itself, replace `endpoint(...)`/`auth("no_auth")` with `region("us-ashburn-1")`
//! and `auth("instance_principal")` (or `user_principal` with an OCI config file).

use futures::TryStreamExt;
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage, SeedObject};
use opendal::Operator;
use opendal_service_oci_objectstorage::ObjectStorageBuilder;

const NS: &str = "bling";
const BUCKET: &str = "ocid1.tenancy.oc1..example";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakeObjectStorage::start(Config {
        namespace: NS.into(),
        require_signatures: false,
        ..Config::default()
    })
    .await?;
    fake.create_bucket(NS, BUCKET);
    for day in 1..=3 {
        let name = format!("reports/cost-csv/0001000000{day}.csv.gz");
        fake.seed(NS, BUCKET, SeedObject::new(name, vec![b'x'; 1000 * day]));
    }

    // --- plain OpenDAL from here on ---
    opendal::install_default();
    let op = Operator::new(
        ObjectStorageBuilder::default()
            .endpoint(&fake.base_url())
            .namespace(NS)
            .bucket(BUCKET)
            .auth("no_auth"),
    )?;

    let mut listed = op.lister_with("reports/").recursive(true).await?;
    let mut copied = 0;
    while let Some(entry) = listed.try_next().await? {
        if entry.metadata().is_dir() {
            continue;
        }
        let from = entry.path().to_string();
        let to = format!("copies/{from}");
        // Stream the body from the reader into the writer: no whole object in memory.
        let mut body = op.reader(&from).await?.into_bytes_stream(..).await?;
        let mut writer = op.writer(&to).await?;
        while let Some(chunk) = body.try_next().await? {
            writer.write(chunk).await?;
        }
        writer.close().await?;
        let size = op.stat(&to).await?.content_length();
        println!("copied {from} -> {to} ({size} bytes)");
        copied += 1;
    }
    let copies = op.list_with("copies/").recursive(true).await?;
    println!(
        "{copied} objects copied; the bucket now lists {} under copies/",
        copies.iter().filter(|e| !e.metadata().is_dir()).count()
    );
    Ok(())
}
