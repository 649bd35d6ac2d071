//! ocisync and the real rclone see each other's copies as equal: same metadata keys (`mtime`,
//! `md5chksum`), same equality rules.

use crate::support::rclone::{rclone, s3_remote};
use crate::support::s3::S3;
use crate::support::tree::{TempDir, bytes, config, write_files};
use crate::support::{assert_code, run, runtime, stderr};

fn tree(src: &TempDir) {
    write_files(
        src.path(),
        &[
            ("reports/cost-csv/0001000000670898.csv.gz", b"cost-1"),
            ("reports/usage-csv/0001000000670899.csv.gz", b"usage-1"),
            ("FOCUS Reports/2026/11/27/focus file.csv", b"focus,1\n"),
            ("unicodé ファイル.csv", b"u"),
            ("plus+percent%hash#.csv", b"p"),
            ("empty.csv", b""),
        ],
    );
    // Multipart for both tools (5 MiB parts): the MD5 lives in `md5chksum`.
    write_files(src.path(), &[("big/large.bin", &bytes(11, 12 << 20))]);
}

#[test]
fn rclone_agrees_after_ocisync_sync() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("compat1"));
    let dir = TempDir::new("compat");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("src");
    tree(&src);
    let target = format!("s3:{}/by-ocisync", s3.bucket);
    assert_code(&run(&cfg, &["sync", src.str(), &target, "--s3-chunk-size", "5Mi"]), 0);

    let remote = s3_remote(&s3, "by-ocisync");
    for extra in [&[][..], &["--checksum"][..]] {
        let mut args = vec!["check", src.str(), remote.as_str()];
        args.extend_from_slice(extra);
        let out = rclone(&args);
        assert_code(&out, 0);
        assert!(stderr(&out).contains("0 differences found"), "rclone check {extra:?}: {}", stderr(&out));
    }
    // rclone sync (default mode: size + mtime from our metadata) finds nothing to do.
    s3.reset_log();
    let out = rclone(&["sync", src.str(), remote.as_str(), "-v", "--s3-chunk-size", "5Mi"]);
    assert_code(&out, 0);
    assert!(stderr(&out).contains("There was nothing to transfer"), "{}", stderr(&out));
    assert!(s3.writes().is_empty(), "rclone wrote: {:?}", s3.writes());
    // And rclone sees the source's modification times.
    let out = rclone(&["lsl", remote.as_str()]);
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    let local = std::fs::metadata(src.join("empty.csv")).unwrap().modified().unwrap();
    let secs = local.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let stamp = jiff::Timestamp::from_second(secs).unwrap().to_zoned(jiff::tz::TimeZone::system());
    assert!(
        listing.lines().any(|l| l.ends_with("empty.csv") && l.contains(&stamp.strftime("%Y-%m-%d %H:%M:%S").to_string())),
        "{listing}"
    );
}

#[test]
fn ocisync_agrees_after_rclone_sync() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("compat2"));
    let dir = TempDir::new("compat");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("src");
    tree(&src);
    let remote = s3_remote(&s3, "by-rclone");
    assert_code(&rclone(&["sync", src.str(), remote.as_str(), "--s3-chunk-size", "5Mi"]), 0);
    let target = format!("s3:{}/by-rclone", s3.bucket);
    s3.reset_log();
    for mode in [&[][..], &["--checksum"][..]] {
        let mut args = vec!["sync", src.str(), target.as_str(), "--error-on-no-transfer"];
        args.extend_from_slice(mode);
        let out = run(&cfg, &args);
        assert_code(&out, 9);
    }
    assert!(s3.writes().is_empty(), "{:?}", s3.writes());
    let out = run(&cfg, &["check", src.str(), &target]);
    assert_code(&out, 0);
}
