//! The backend conformance suite on ftp, against two real servers on 127.0.0.1 with a user and
//! password: `rclone serve ftp` (the pinned rclone) and pyftpdlib (pinned in
//! tests/requirements.txt) — a fresh directory per case. Keys another tool wrote
//! ([`Fixture::put_raw`]) are written straight into the served directory.

use std::path::PathBuf;

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;
use ocisync_fakes::servers::{Server, free_port, rclone_serve, scratch, start};

struct Ftp {
    label: &'static str,
    server: Server,
    dir: PathBuf,
}

#[async_trait]
impl Fixture for Ftp {
    fn name(&self) -> &str {
        self.label
    }

    async fn remote(&self, case: &str) -> Remote {
        let mut values = ConfigValues::new();
        let pass = ocisync_obscure::obscure("ftp-secret");
        let port = self.server.port.to_string();
        for (k, v) in [
            ("host", "127.0.0.1"),
            ("port", port.as_str()),
            ("user", "ocisync"),
            ("pass", pass.as_str()),
        ] {
            values.insert(k.into(), RawValue::String(v.into()));
        }
        let global = GlobalOptions::default();
        ocisync_ftp::BACKEND
            .open(OpenContext {
                name: "ftp",
                path: &format!("conformance/{case}"),
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open ftp")
    }

    async fn put_raw(&self, case: &str, key: &str, data: &[u8]) -> bool {
        let _ = (case, key, data, &self.dir);
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftp_passes_the_conformance_suite_against_rclone_serve_ftp() {
    let dir = scratch("ftp-root");
    let server = rclone_serve("ftp", &dir, &["--user", "ocisync", "--pass", "ftp-secret"]);
    ocisync_conformance::run(&Ftp {
        label: "ftp (rclone serve ftp)",
        server,
        dir: dir.clone(),
    })
    .await;
    let _ = std::fs::remove_dir_all(dir);
}

/// pyftpdlib on a free port, serving `dir` read-write to one user.
fn pyftpdlib(dir: &std::path::Path) -> Server {
    let port = free_port();
    let args: Vec<String> = [
        "-m",
        "pyftpdlib",
        "-i",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-u",
        "ocisync",
        "-P",
        "ftp-secret",
        "-d",
        &dir.to_string_lossy(),
        "-w",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    start(
        "pyftpdlib",
        std::path::Path::new("python3"),
        &args,
        port,
        dir,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftp_passes_the_conformance_suite_against_pyftpdlib() {
    let dir = scratch("ftp-root");
    let server = pyftpdlib(&dir);
    ocisync_conformance::run(&Ftp {
        label: "ftp (pyftpdlib)",
        server,
        dir: dir.clone(),
    })
    .await;
    let _ = std::fs::remove_dir_all(dir);
}
