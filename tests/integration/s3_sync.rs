//! local ↔ S3 against a real S3 server (moto), every request recorded by the proxy.

use crate::support::s3::S3;
use crate::support::tree::{TempDir, bytes, config, read_tree, set_mtime, write_files};
use crate::support::{assert_code, run, runtime, stderr, stdout};

/// Names that break naive encoders.
const AWKWARD: &[&str] = &[
    "FOCUS Reports/2026/11/27/focus 0001.csv.gz",
    "plus+sign.csv",
    "percent%20literal.csv",
    "hash#mark.csv",
    "question?mark.csv",
    "unicodé/ファイル.csv",
    "deep/a/b/c/d/e.csv",
    "zero-bytes.csv",
];

fn awkward_files() -> Vec<(String, Vec<u8>)> {
    AWKWARD
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                n.to_string(),
                if n.starts_with("zero") {
                    Vec::new()
                } else {
                    bytes(i as u64, 100 + i * 37)
                },
            )
        })
        .collect()
}

fn write_owned(root: &std::path::Path, files: &[(String, Vec<u8>)]) {
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    write_files(root, &refs);
}

#[test]
fn local_to_s3_round_trip_with_awkward_names_pagination_and_multipart() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("roundtrip"));
    let dir = TempDir::new("s3rt");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("src");
    let mut files = awkward_files();
    // More than one listing page (1000) of small files.
    files.extend((0..1100).map(|i| {
        (
            format!("reports/cost-csv/{i:016}.csv.gz"),
            bytes(1000 + i, 64),
        )
    }));
    // One multipart object with a part size of 5 MiB: 12 MiB → 3 parts.
    files.push(("big/large.bin".to_string(), bytes(7, 12 << 20)));
    write_owned(src.path(), &files);
    set_mtime(&src.join("plus+sign.csv"), 1_600_000_000);

    let target = format!("s3:{}/oci-sync", s3.bucket);
    let out = run(&cfg, &["sync", src.str(), &target, "--transfers", "8"]);
    assert_code(&out, 0);
    assert!(
        s3.count("UploadPart") >= 3,
        "the 12 MiB file went multipart"
    );

    // Listing shows every object, with MD5s (multipart: md5chksum via HEAD).
    let out = run(&cfg, &["lsjson", "-R", "--files-only", "--hash", &target]);
    assert_code(&out, 0);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(listed.len(), files.len());
    for (name, content) in &files {
        let e = listed
            .iter()
            .find(|e| e["Path"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} listed"));
        assert_eq!(e["Size"], content.len(), "{name}");
        let md5 = ocisync_backend::Md5::of(content).to_hex();
        assert_eq!(e["Hashes"]["md5"], md5.as_str(), "{name}");
    }
    // Listings show the server's time (no HEAD per object); the file's own time is in the
    // metadata, and comes back on the way down (below).
    let plus = listed
        .iter()
        .find(|e| e["Path"] == "plus+sign.csv")
        .unwrap();
    assert_ne!(plus["ModTime"], "2020-09-13T12:26:40.000000000Z");

    // Back to a local directory: identical tree, mtimes from the metadata.
    let back = TempDir::new("back");
    assert_code(&run(&cfg, &["sync", &target, back.str()]), 0);
    assert_eq!(read_tree(back.path()), read_tree(src.path()));
    let m = std::fs::metadata(back.join("plus+sign.csv"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        m,
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000)
    );

    // Rerun: nothing to transfer (exit 9), and no write request at all.
    s3.reset_log();
    let out = run(
        &cfg,
        &[
            "sync",
            "--checksum",
            src.str(),
            &target,
            "--error-on-no-transfer",
        ],
    );
    assert_code(&out, 9);
    assert!(s3.writes().is_empty(), "{:?}", s3.writes());
    // --checksum needs no HEAD for single-part objects: ETags are MD5s; only the multipart one.
    assert_eq!(s3.object_heads(), 1, "{:?}", s3.requests());
    assert_eq!(s3.count("GetObject"), 0);
}

#[test]
fn dry_run_sends_no_write_or_delete() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("dryrun"));
    let dir = TempDir::new("s3dry");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("src");
    write_files(src.path(), &[("a.csv", b"aaa"), ("b.csv", b"bbb")]);
    let target = format!("s3:{}/p", s3.bucket);
    assert_code(&run(&cfg, &["copy", src.str(), &target]), 0);
    write_files(src.path(), &[("a.csv", b"changed"), ("c.csv", b"new")]);
    std::fs::remove_file(src.join("b.csv")).unwrap();
    s3.reset_log();
    let out = run(&cfg, &["sync", "-n", src.str(), &target]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("a.csv: Skipped copy as --dry-run is set"),
        "{err}"
    );
    assert!(
        err.contains("c.csv: Skipped copy as --dry-run is set"),
        "{err}"
    );
    assert!(
        err.contains("b.csv: Skipped delete as --dry-run is set"),
        "{err}"
    );
    let requests = s3.requests();
    assert!(!requests.is_empty());
    assert!(s3.writes().is_empty(), "dry run wrote: {:?}", s3.writes());
}

#[test]
fn a_failed_transfer_means_no_deletions() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("failed"));
    let dir = TempDir::new("s3fail");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("src");
    write_files(src.path(), &[("ok.csv", b"1"), ("doomed.csv", b"2")]);
    let target = format!("s3:{}/p", s3.bucket);
    // An extraneous object that a successful sync would delete.
    let other = TempDir::new("other");
    write_files(other.path(), &[("extraneous.csv", b"x")]);
    assert_code(&run(&cfg, &["copy", other.str(), &target]), 0);

    s3.proxy.faults().add(
        ocisync_fakes::faults::FaultRule::new(ocisync_fakes::faults::FaultAction::Status {
            status: 403,
            retry_after: None,
        })
        .operation("PutObject")
        .path_contains("doomed")
        .times(100),
    );
    let out = run(&cfg, &["sync", src.str(), &target, "--retries", "2"]);
    assert_ne!(crate::support::code(&out), 0);
    let err = stderr(&out);
    assert!(err.contains("doomed.csv: Failed to copy"), "{err}");
    assert!(
        err.contains("not deleting files as there were IO errors"),
        "{err}"
    );
    // A 403 is not retryable: rclone (cmd.Run) stops there and says so, with no "Attempt"
    // line (that one is only for attempts that will be retried, and the last).
    assert!(
        err.contains("Can't retry any of the errors - not attempting retries")
            && !err.contains("Attempt 1/2")
            && !err.contains("Attempt 2/2"),
        "{err}"
    );
    assert!(err.contains("Failed to sync: "), "{err}");
    assert_eq!(s3.count("DeleteObject") + s3.count("DeleteObjects"), 0);
    let out = run(&cfg, &["lsf", &target]);
    assert!(stdout(&out).contains("extraneous.csv"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("ok.csv"),
        "the other object still went through"
    );
}

#[test]
fn change_detection_by_size_modtime_and_checksum() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("changes"));
    let dir = TempDir::new("s3chg");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("src");
    write_files(
        src.path(),
        &[("size.csv", b"12"), ("time.csv", b"ab"), ("sum.csv", b"xy")],
    );
    for f in ["size.csv", "time.csv", "sum.csv"] {
        set_mtime(&src.join(f), 1_700_000_000);
    }
    let target = format!("s3:{}/c", s3.bucket);
    assert_code(&run(&cfg, &["sync", src.str(), &target]), 0);

    write_files(src.path(), &[("size.csv", b"123")]);
    set_mtime(&src.join("size.csv"), 1_700_000_000);
    write_files(src.path(), &[("time.csv", b"cd")]);
    set_mtime(&src.join("time.csv"), 1_700_000_100);
    write_files(src.path(), &[("sum.csv", b"zz")]);
    set_mtime(&src.join("sum.csv"), 1_700_000_000);

    s3.reset_log();
    let out = run(&cfg, &["sync", "-v", src.str(), &target]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("size.csv: Copied (replaced existing)"),
        "{err}"
    );
    assert!(
        err.contains("time.csv: Copied (replaced existing)"),
        "{err}"
    );
    assert!(
        !err.contains("sum.csv: Copied"),
        "same size and time: default mode keeps it. {err}"
    );
    // The modtime lives in metadata: the equal-size objects needed a HEAD each.
    assert_eq!(s3.object_heads(), 2, "{:?}", s3.requests());

    let out = run(&cfg, &["sync", "-v", "--checksum", src.str(), &target]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("sum.csv: Copied (replaced existing)"),
        "{}",
        stderr(&out)
    );
    let back = TempDir::new("back");
    assert_code(&run(&cfg, &["copy", &target, back.str()]), 0);
    assert_eq!(read_tree(back.path()), read_tree(src.path()));
}

#[test]
fn metadata_is_rclones() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("meta"));
    let dir = TempDir::new("s3meta");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("src");
    write_files(src.path(), &[("small.csv", b"hello")]);
    write_owned(src.path(), &[("big.bin".to_string(), bytes(3, 6 << 20))]);
    let t = std::time::UNIX_EPOCH + std::time::Duration::new(1_714_979_289, 123_456_789);
    for f in ["small.csv", "big.bin"] {
        std::fs::File::options()
            .write(true)
            .open(src.join(f))
            .unwrap()
            .set_modified(t)
            .unwrap();
    }
    let target = format!("s3:{}/m", s3.bucket);
    assert_code(&run(&cfg, &["copy", src.str(), &target]), 0);
    let small = head(&s3, "m/small.csv");
    assert_eq!(
        small.get("mtime").map(String::as_str),
        Some("1714979289.123456789")
    );
    assert!(
        !small.contains_key("md5chksum"),
        "single-part objects carry no md5chksum"
    );
    let big = head(&s3, "m/big.bin");
    let md5 = ocisync_backend::Md5::of(&bytes(3, 6 << 20)).to_base64();
    assert_eq!(big.get("md5chksum"), Some(&md5));
    assert!(big.get("etag").unwrap().contains("-2"), "{big:?}");
}

/// HeadObject by boto3 (an independent S3 client): user metadata plus `etag`.
fn head(s3: &S3, key: &str) -> std::collections::BTreeMap<String, String> {
    let script = r#"
import sys, json, boto3
c = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="testsecret")
h = c.head_object(Bucket=sys.argv[2], Key=sys.argv[3])
out = dict(h.get("Metadata", {}))
out["etag"] = h["ETag"]
print(json.dumps(out))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &s3.endpoint(), &s3.bucket, key])
        .output()
        .expect("python3 with boto3 (installed with moto)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_missing_source_bucket_is_directory_not_found() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("nobucket"));
    let dir = TempDir::new("s3nob");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let dst = TempDir::new("dst");
    write_files(dst.path(), &[("keep.csv", b"1")]);
    let out = run(&cfg, &["sync", "s3:no-such-bucket-here/p", dst.str()]);
    assert_code(&out, 3);
    assert!(stderr(&out).contains("NoSuchBucket"), "{}", stderr(&out));
    assert_eq!(read_tree(dst.path()).len(), 1);
}
