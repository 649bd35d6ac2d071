//! The backend conformance suite on Google Cloud Storage, against fake-gcs-server (started on
//! 127.0.0.1 for this test): a fresh bucket per case, created through the JSON API.

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;
use ocisync_fakes::servers::{Server, fake_gcs};

struct Gcs {
    server: Server,
}

#[async_trait]
impl Fixture for Gcs {
    fn name(&self) -> &str {
        "google cloud storage (fake-gcs-server)"
    }

    async fn remote(&self, case: &str) -> Remote {
        let bucket = format!("conformance-{case}");
        let made = reqwest::Client::new()
            .post(format!(
                "{}/storage/v1/b?project=test",
                self.server.endpoint
            ))
            .body(format!("{{\"name\":\"{bucket}\"}}"))
            .header("content-type", "application/json")
            .send()
            .await
            .expect("create bucket");
        assert!(
            made.status().is_success(),
            "create bucket: {}",
            made.status()
        );
        let mut values = ConfigValues::new();
        for (k, v) in [
            ("endpoint", self.server.endpoint.as_str()),
            // A bearer token: fake-gcs-server accepts any, and the signing path is exercised.
            ("access_token", "test-token"),
        ] {
            values.insert(k.into(), RawValue::String(v.into()));
        }
        let global = GlobalOptions::default();
        let mut remote = ocisync_gcs::BACKEND
            .open(OpenContext {
                name: "gcs",
                path: &format!("{bucket}/prefix"),
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open gcs");
        // fake-gcs-server has no XML API multipart upload (`POST ...?uploads` answers
        // "invalid uploadType"), which OpenDAL's gcs service uses for multipart writes: the
        // multipart case cannot run against it and is skipped here, not passed (docs/remotes.md).
        remote.features.write_chunk = None;
        remote
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcs_passes_the_conformance_suite_against_fake_gcs_server() {
    let server = fake_gcs();
    ocisync_conformance::run(&Gcs { server }).await;
}
