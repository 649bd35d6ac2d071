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

/// The message says `this machine's clock is {m}m {s}s {way}`, with an offset within 30 s of
/// `expected_secs`: the server's `Date` has whole seconds, and the run itself takes time.
pub fn assert_offset_said(err: &str, way: &str, expected_secs: i64) {
    let said = err
        .split("this machine's clock is ")
        .nth(1)
        .unwrap_or_else(|| panic!("no offset in: {err}"));
    let (minutes, rest) = said.split_once("m ").expect("{m}m {s}s");
    let (seconds, after) = rest.split_once("s ").expect("{s}s");
    assert!(after.starts_with(way), "expected \"{way}\": {err}");
    let number = |n: &str| {
        n.parse::<i64>()
            .unwrap_or_else(|_| panic!("not `{{m}}m {{s}}s` minutes and seconds: {err}"))
    };
    let secs = number(minutes) * 60 + number(seconds);
    assert!(
        (expected_secs - 30..=expected_secs + 30).contains(&secs),
        "offset {secs} s, expected about {expected_secs} s: {err}"
    );
}
