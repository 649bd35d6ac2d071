//! The backend conformance suite on the generic OpenDAL backend, with OpenDAL's `fs` service on
//! a temporary directory per case. (OpenDAL's `memory` service keeps no modification times, so
//! rclone's default size-and-time comparison cannot work on it: it fails the suite's time checks
//! and is meant for experiments only.)

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;

struct Fs {
    base: std::path::PathBuf,
}

#[async_trait]
impl Fixture for Fs {
    fn name(&self) -> &str {
        "opendal (fs service)"
    }

    async fn remote(&self, case: &str) -> Remote {
        let root = self.base.join(case);
        std::fs::create_dir_all(&root).unwrap();
        let mut values = ConfigValues::new();
        values.insert("service".into(), RawValue::String("fs".into()));
        let global = GlobalOptions::default();
        ocisync_opendal::BACKEND
            .open(OpenContext {
                name: "ofs",
                path: &root.to_string_lossy(),
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open opendal fs")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opendal_fs_passes_the_conformance_suite() {
    let base = std::env::temp_dir().join(format!(
        "ocisync-conformance-opendal-{}",
        std::process::id()
    ));
    ocisync_conformance::run(&Fs { base: base.clone() }).await;
    let _ = std::fs::remove_dir_all(base);
}
