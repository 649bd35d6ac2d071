//! Test support: a real S3 server (moto) behind a recording, fault-injecting proxy, temporary
//! trees, configs, and running the `ocisync` binary.

pub mod oci;
pub mod rclone;
pub mod s3;
pub mod tree;
pub mod webhook;

use std::path::Path;
use std::process::{Command, Output};

/// The ocisync binary built for these tests.
pub fn ocisync() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ocisync"));
    c.env_remove("OCISYNC_CONFIG")
        .env("HOME", "/nonexistent-home-for-tests");
    c
}

/// Runs ocisync with a config file and arguments; returns the output.
pub fn run(config: &Path, args: &[&str]) -> Output {
    let out = ocisync()
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run ocisync");
    if std::env::var_os("OCISYNC_TEST_VERBOSE").is_some() {
        eprintln!(
            "ocisync {args:?} → {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts the exit code, showing the output when it is wrong.
#[track_caller]
pub fn assert_code(o: &Output, expected: i32) {
    assert_eq!(
        code(o),
        expected,
        "exit code\nstdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

/// A tokio runtime for the servers a test starts in-process.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}
