//! The backend conformance suite on WebDAV, against `rclone serve webdav` (the pinned rclone,
//! on 127.0.0.1, with a user and password): a fresh directory per case.

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;
use ocisync_fakes::servers::{Server, rclone_serve, scratch};

struct Dav {
    server: Server,
}

#[async_trait]
impl Fixture for Dav {
    fn name(&self) -> &str {
        "webdav (rclone serve webdav)"
    }

    async fn remote(&self, case: &str) -> Remote {
        let mut values = ConfigValues::new();
        let pass = ocisync_obscure::obscure("dav-secret");
        for (k, v) in [
            ("url", self.server.endpoint.as_str()),
            ("vendor", "rclone"),
            ("user", "ocisync"),
            ("pass", pass.as_str()),
        ] {
            values.insert(k.into(), RawValue::String(v.into()));
        }
        let global = GlobalOptions::default();
        ocisync_webdav::BACKEND
            .open(OpenContext {
                name: "dav",
                path: &format!("conformance/{case}"),
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open webdav")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webdav_passes_the_conformance_suite_against_rclone_serve_webdav() {
    let dir = scratch("dav-root");
    let server = rclone_serve(
        "webdav",
        &dir,
        &["--user", "ocisync", "--pass", "dav-secret"],
    );
    ocisync_conformance::run(&Dav { server }).await;
    let _ = std::fs::remove_dir_all(dir);
}
