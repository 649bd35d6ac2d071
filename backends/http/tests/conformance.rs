//! The backend conformance suite on the read-only http backend, against two real servers with
//! different index pages, both on 127.0.0.1: `rclone serve http` (the pinned rclone) and
//! Python's own `python3 -m http.server` (which also ignores `Range`). The suite's objects are
//! seeded as files into the served directory ([`Fixture::put_raw`]); its write cases are
//! skipped (the operator cannot write) and writes must be refused.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;
use ocisync_fakes::servers::{Server, free_port, rclone_serve, scratch, start};

struct Served {
    label: &'static str,
    server: Server,
    dir: PathBuf,
    /// Whether the server shows control characters in names as they are on disk (`rclone
    /// serve` shows its local backend's encoding: `\x01` as `␁`, so such a file is another
    /// name to it).
    control_chars: bool,
}

#[async_trait]
impl Fixture for Served {
    fn name(&self) -> &str {
        self.label
    }

    async fn remote(&self, case: &str) -> Remote {
        let mut values = ConfigValues::new();
        values.insert(
            "url".into(),
            RawValue::String(format!("{}/", self.server.endpoint)),
        );
        let global = GlobalOptions::default();
        ocisync_http::BACKEND
            .open(OpenContext {
                name: "web",
                path: &format!("conformance/{case}"),
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open http")
    }

    async fn put_raw(&self, case: &str, key: &str, data: &[u8]) -> bool {
        // A directory tree holds only keys that are plain relative paths.
        let plain = !key.is_empty()
            && !key.contains('\0')
            && (self.control_chars || !key.chars().any(char::is_control))
            && key
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != "..");
        if !plain {
            return false;
        }
        let path = self.dir.join("conformance").join(case).join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, data).unwrap();
        true
    }
}

fn which(program: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(program))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| panic!("{program} on PATH (scripts/test.sh sets up the venv)"))
}

fn python_http_server(dir: &Path) -> Server {
    let port = free_port();
    let args: Vec<String> = [
        "-m",
        "http.server",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--directory",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([dir.to_string_lossy().into_owned()])
    .collect();
    start("python-http-server", &which("python3"), &args, port, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_passes_the_conformance_suite_against_rclone_serve_http() {
    let dir = scratch("http-rclone-root");
    // Files appear in the directory behind rclone's back: no cached directory listings.
    let server = rclone_serve("http", &dir, &["--dir-cache-time", "0s"]);
    ocisync_conformance::run(&Served {
        label: "http (rclone serve http)",
        server,
        dir: dir.to_path_buf(),
        control_chars: false,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_passes_the_conformance_suite_against_python_http_server() {
    let dir = scratch("http-python-root");
    let server = python_http_server(&dir);
    ocisync_conformance::run(&Served {
        label: "http (python3 -m http.server)",
        server,
        dir: dir.to_path_buf(),
        control_chars: true,
    })
    .await;
}
