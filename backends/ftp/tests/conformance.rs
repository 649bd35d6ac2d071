//! The backend conformance suite on ftp, against two real servers on 127.0.0.1 with a user and
//! password: `rclone serve ftp` (the pinned rclone) and pyftpdlib (pinned in
//! tests/requirements.txt) — a fresh directory per case. Keys another tool wrote
//! ([`Fixture::put_raw`]) are written straight into the served directory.

use std::path::PathBuf;

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;
use ocisync_fakes::servers::{Server, pyftpdlib, rclone_serve, scratch};

struct Ftp {
    label: &'static str,
    server: Server,
    dir: PathBuf,
    /// Files written into `dir` behind the server's back are served (pyftpdlib; rclone serve
    /// caches its directory listings).
    raw: bool,
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
        // What a file system can hold as exactly this name (no empty, `.` or `..` segment),
        // and what FTP's `ls`-style LIST lines can carry: no leading spaces (lost by the
        // parser) and no line breaks (a line break ends the line). Those are refused by the
        // key rules when ocisync would write them, and make a listing or a stat fail when
        // another tool wrote them (ocisync_ftp's layer.rs; tested there).
        if !self.raw
            || key.split('/').any(|s| s.trim_start() != s)
            || key.contains(['\r', '\n'])
            || key.starts_with('/')
            || key.ends_with('/')
            || key
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return false;
        }
        let path = self.dir.join("conformance").join(case).join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftp_passes_the_conformance_suite_against_rclone_serve_ftp() {
    let dir = scratch("ftp-root");
    let server = rclone_serve("ftp", &dir, &["--user", "ocisync", "--pass", "ftp-secret"]);
    ocisync_conformance::run(&Ftp {
        label: "ftp (rclone serve ftp)",
        server,
        dir: dir.to_path_buf(),
        raw: false,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftp_passes_the_conformance_suite_against_pyftpdlib() {
    let dir = scratch("ftp-root");
    let server = pyftpdlib(&dir, "ocisync", "ftp-secret", None);
    ocisync_conformance::run(&Ftp {
        label: "ftp (pyftpdlib)",
        server,
        dir: dir.to_path_buf(),
        raw: true,
    })
    .await;
}
