//! A real S3 server for tests: moto (pinned in `tests/requirements.txt`), started by
//! `tests/moto_server.py` — or the one named by `OCISYNC_TEST_S3_ENDPOINT`, which
//! `scripts/test.sh` starts once for the whole run.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The pins, for "install this" messages.
pub const REQUIREMENTS: &str = include_str!("../../requirements.txt");

/// A moto started by this process; it exits when this process does (it waits on its stdin).
struct Moto {
    endpoint: String,
    _child: Child,
}

/// The pinned `moto[server]` requirement line.
pub fn moto_pin() -> &'static str {
    REQUIREMENTS
        .lines()
        .find(|l| l.starts_with("moto"))
        .unwrap_or("moto[server]")
}

/// The S3 server's base URL: `OCISYNC_TEST_S3_ENDPOINT`, else a moto started on first use.
pub fn endpoint() -> &'static str {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    if let Ok(e) = std::env::var("OCISYNC_TEST_S3_ENDPOINT") {
        return Box::leak(e.into_boxed_str());
    }
    &MOTO
        .get_or_init(|| {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../moto_server.py");
            let mut child = Command::new("python3")
                .args([script, "--until-stdin-closes"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "python3 {script}: {e} (needs {}; the README test command installs it)",
                        moto_pin()
                    )
                });
            let mut line = String::new();
            let stdout = child.stdout.take().expect("piped stdout");
            BufReader::new(stdout).read_line(&mut line).unwrap_or(0);
            assert!(
                line.starts_with("http://"),
                "moto did not start (needs {} in python3): {line:?}",
                moto_pin()
            );
            Moto {
                endpoint: line.trim().to_string(),
                _child: child,
            }
        })
        .endpoint
}
