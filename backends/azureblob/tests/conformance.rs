//! The backend conformance suite on Azure Blob Storage, against Azurite (Microsoft's emulator,
//! started on 127.0.0.1 for this test): a fresh container per case, created by the real rclone.

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;
use ocisync_fakes::servers::{Server, azurite};

struct Azure {
    server: Server,
}

const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

#[async_trait]
impl Fixture for Azure {
    fn name(&self) -> &str {
        "azureblob (Azurite)"
    }

    async fn remote(&self, case: &str) -> Remote {
        let container = format!("conformance-{case}");
        let made = std::process::Command::new("rclone")
            .env("RCLONE_CONFIG", "/nonexistent/rclone.conf")
            .args([
                "mkdir",
                &format!(
                    ":azureblob,account=devstoreaccount1,key='{KEY}',endpoint='{}':{container}",
                    self.server.endpoint
                ),
            ])
            .output()
            .expect("rclone on PATH");
        assert!(
            made.status.success(),
            "rclone mkdir: {}\n{}",
            String::from_utf8_lossy(&made.stderr),
            self.server.log()
        );
        let mut values = ConfigValues::new();
        for (k, v) in [
            ("account", "devstoreaccount1"),
            ("key", KEY),
            ("endpoint", self.server.endpoint.as_str()),
            // Small blocks, so the multipart case stays small.
            ("chunk_size", "1Mi"),
            ("upload_concurrency", "4"),
        ] {
            values.insert(k.into(), RawValue::String(v.into()));
        }
        let global = GlobalOptions::default();
        ocisync_azureblob::BACKEND
            .open(OpenContext {
                name: "az",
                path: &format!("{container}/prefix"),
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open azureblob")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azureblob_passes_the_conformance_suite_against_azurite() {
    let server = azurite();
    ocisync_conformance::run(&Azure { server }).await;
}
