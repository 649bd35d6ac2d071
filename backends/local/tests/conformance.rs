//! The backend conformance suite on the local file system: each case in its own temporary
//! directory.

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, Remote};
use ocisync_conformance::Fixture;

struct Local {
    base: std::path::PathBuf,
}

#[async_trait]
impl Fixture for Local {
    fn name(&self) -> &str {
        "local"
    }

    async fn remote(&self, case: &str) -> Remote {
        let root = self.base.join(case);
        let values = ConfigValues::new();
        let global = GlobalOptions::default();
        ocisync_local::BACKEND
            .open(OpenContext {
                name: "local",
                path: &root.to_string_lossy(),
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open local")
    }

    /// What a file system can hold: no empty, `.` or `..` segments, no trailing `/`.
    async fn put_raw(&self, case: &str, key: &str, data: &[u8]) -> bool {
        if key.starts_with('/')
            || key.ends_with('/')
            || key
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return false;
        }
        let path = self.base.join(case).join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_passes_the_conformance_suite() {
    let base =
        std::env::temp_dir().join(format!("ocisync-conformance-local-{}", std::process::id()));
    ocisync_conformance::run(&Local { base: base.clone() }).await;
    let _ = std::fs::remove_dir_all(base);
}
