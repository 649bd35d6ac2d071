//! The engine over the fake OCI Object Storage: the production job (OCI → S3 with --checksum),
//! S3 → OCI, OCI → local, a bling-shaped bucket, awkward names, signatures, retries.

use ocisync_fakes::faults::{FaultAction, FaultRule};
use ocisync_fakes::objectstorage::{ArchivalState, BlingSpec, SeedObject, StorageTier};

use crate::support::oci::{Oci, TENANCY};
use crate::support::s3::S3;
use crate::support::tree::{TempDir, bytes, config, read_tree, write_files};
use crate::support::{assert_code, code, run, runtime, stderr, stdout};

fn bling(oci: &Oci, objects: usize) {
    let spec = BlingSpec {
        objects,
        min_size: 200,
        max_size: 4000,
        ..BlingSpec::default()
    };
    assert_eq!(oci.fake.seed_bling(TENANCY, &spec), objects);
}

#[test]
fn lsjson_lists_bling_from_listings_alone() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(true));
    bling(&oci, 2500);
    let dir = TempDir::new("oci");
    let cfg = config(&dir, &oci.remote_toml("oci_usage"));
    let out = run(
        &cfg,
        &[
            "lsjson",
            "-R",
            "--files-only",
            "--hash",
            // One listing, page after page: the page count below is exact (tests/integration
            // /listing.rs covers the ranges).
            "--list-concurrency",
            "1",
            &format!("oci_usage:{TENANCY}"),
        ],
    );
    assert_code(&out, 0);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(listed.len(), 2500);
    for e in &listed {
        let name = e["Path"].as_str().unwrap();
        let stored = oci.fake.object("bling", TENANCY, name).unwrap();
        assert_eq!(e["Size"], stored.data.len(), "{name}");
        assert_eq!(
            e["Hashes"]["md5"],
            ocisync_backend::Md5::of(&stored.data).to_hex(),
            "{name}"
        );
        assert!(e["ModTime"].as_str().unwrap().starts_with("20"), "{name}");
    }
    assert!(
        listed
            .iter()
            .any(|e| e["Path"].as_str().unwrap().starts_with("FOCUS Reports/"))
    );
    assert_eq!(
        oci.count("ListObjects"),
        3,
        "2500 objects = 3 pages of 1000"
    );
    assert_eq!(oci.object_heads() + oci.count("GetObject") as usize, 0);
}

#[test]
fn production_job_oci_to_s3_with_checksum() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(true));
    let s3 = rt.block_on(S3::start("ocijob"));
    bling(&oci, 1200);
    // An archived report that is not restored: reported and skipped, not a failure.
    oci.fake.seed(
        "bling",
        TENANCY,
        SeedObject::new("reports/cost-csv/0000000000000001-00001.csv.gz", "old")
            .tier(StorageTier::Archive)
            .archival_state(ArchivalState::Archived),
    );
    let dir = TempDir::new("ocijob");
    let cfg = config(
        &dir,
        &format!(
            "{}\n{}",
            oci.remote_toml("oci_usage"),
            s3.remote_toml("aws_s3")
        ),
    );
    let src = format!("oci_usage:{TENANCY}");
    let dst = format!("aws_s3:{}/oci-sync", s3.bucket);
    let out = run(&cfg, &["sync", "--checksum", &src, &dst]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("0000000000000001-00001.csv.gz: skipped"),
        "{}",
        stderr(&out)
    );
    assert_eq!(oci.count("GetObject"), 1200, "one GET per object, no HEAD");
    assert_eq!(oci.object_heads(), 0);

    // What landed in S3 is byte-identical (read back through ocisync into a local dir).
    let back = TempDir::new("back");
    assert_code(&run(&cfg, &["copy", &dst, back.str()]), 0);
    let tree = read_tree(back.path());
    assert_eq!(tree.len(), 1200);
    for (name, content) in tree.iter().take(50) {
        assert_eq!(
            &oci.fake.object("bling", TENANCY, name).unwrap().data[..],
            &content[..],
            "{name}"
        );
    }

    // The every-6-hours rerun: nothing to do, and nothing read from OCI but listings.
    oci.fake.monitor().reset();
    s3.reset_log();
    let out = run(
        &cfg,
        &["sync", "--checksum", &src, &dst, "--error-on-no-transfer"],
    );
    assert_code(&out, 9);
    assert_eq!(oci.count("GetObject") as usize + oci.object_heads(), 0);
    assert!(s3.writes().is_empty());
    assert_eq!(s3.object_heads(), 0, "S3 ETags are MD5s: no HEAD either");
}

#[test]
fn local_to_oci_to_s3_and_back_with_awkward_names_and_multipart() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(true));
    let s3 = rt.block_on(S3::start("ociback"));
    let dir = TempDir::new("ociback");
    let cfg = config(
        &dir,
        &format!("{}\n{}", oci.remote_toml("oci"), s3.remote_toml("s3")),
    );
    let src = TempDir::new("src");
    let big = bytes(5, 22 << 20);
    write_files(
        src.path(),
        &[
            ("FOCUS Reports/2026/11/27/focus 0001.csv.gz", b"focus"),
            ("plus+sign & percent%25.csv", b"p"),
            ("hash#question?.csv", b"h"),
            ("unicodé/ファイル.csv", b"u"),
            ("empty.csv", b""),
            ("big/22MiB.bin", &big),
        ],
    );
    let oci_path = format!("oci:{TENANCY}/upload");
    // local → OCI: the 22 MiB file goes in 5 MiB parts, each with Content-MD5 (checked by the fake).
    assert_code(
        &run(
            &cfg,
            &[
                "sync",
                src.str(),
                &oci_path,
                "--oos-upload-concurrency",
                "3",
            ],
        ),
        0,
    );
    assert_eq!(oci.count("UploadPart"), 5);
    let stored = oci
        .fake
        .object("bling", TENANCY, "upload/big/22MiB.bin")
        .unwrap();
    assert_eq!(&stored.data[..], &big[..]);
    assert!(oci.fake.pending_uploads("bling", TENANCY).is_empty());

    // OCI → S3 → local: the same tree.
    let s3_path = format!("s3:{}/from-oci", s3.bucket);
    assert_code(&run(&cfg, &["sync", "--checksum", &oci_path, &s3_path]), 0);
    let back = TempDir::new("back");
    assert_code(&run(&cfg, &["sync", &s3_path, back.str()]), 0);
    assert_eq!(read_tree(back.path()), read_tree(src.path()));

    // S3 → OCI into another prefix, then compare both OCI prefixes.
    let again = format!("oci:{TENANCY}/again");
    assert_code(&run(&cfg, &["sync", &s3_path, &again]), 0);
    let out = run(&cfg, &["check", &oci_path, &again]);
    assert_code(&out, 0);
    // Modification times survived every hop (rclone's mtime metadata).
    let local = std::fs::metadata(src.join("empty.csv"))
        .unwrap()
        .modified()
        .unwrap();
    let out = run(
        &cfg,
        &[
            "lsl",
            &format!("{again}/empty.csv").replace("/empty.csv", ""),
        ],
    );
    assert!(stdout(&out).contains("empty.csv"), "{}", stdout(&out));
    let returned = std::fs::metadata(back.join("empty.csv"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(returned, local);
}

#[test]
fn a_wrong_signature_is_refused_and_named() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(true));
    bling(&oci, 3);
    // Same key file, but a fingerprint/user the fake does not know.
    let text = std::fs::read_to_string(&oci.oci_config).unwrap().replace(
        "user=ocid1.user.oc1..aaaaaaaatestuser",
        "user=ocid1.user.oc1..aaaaaaaaintruder",
    );
    std::fs::write(&oci.oci_config, text).unwrap();
    let dir = TempDir::new("ocisig");
    let cfg = config(&dir, &oci.remote_toml("oci_usage"));
    let out = run(&cfg, &["lsf", &format!("oci_usage:{TENANCY}")]);
    assert_ne!(code(&out), 0);
    let err = stderr(&out);
    assert!(err.contains("oci_usage: list"), "{err}");
    assert!(
        err.contains("NotAuthenticated") && err.contains("401"),
        "{err}"
    );
    assert!(err.contains("opc-request-id"), "{err}");
}

#[test]
fn retry_after_is_honoured() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(true));
    bling(&oci, 5);
    oci.fake.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 429,
            retry_after: Some(2),
        })
        .operation("ListObjects")
        .times(1),
    );
    let dir = TempDir::new("ociretry");
    let cfg = config(&dir, &oci.remote_toml("oci_usage"));
    let out = run(
        &cfg,
        &["lsf", "-R", "--files-only", &format!("oci_usage:{TENANCY}")],
    );
    assert_code(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 5);
    let lists: Vec<_> = oci
        .fake
        .monitor()
        .log()
        .into_iter()
        .filter(|e| e.operation == "ListObjects")
        .collect();
    assert_eq!(lists[0].status, 429);
    assert_eq!(lists[1].status, 200);
    let waited = lists[1].time.duration_since(lists[0].time);
    // A lower bound only: a busy machine can make the wait longer, never shorter.
    assert!(
        waited >= jiff::SignedDuration::from_secs(2),
        "retried after {waited:?}"
    );
}

#[test]
fn truncated_bodies_and_503s_are_retried_without_failed_objects() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(true));
    let s3 = rt.block_on(S3::start("ocifault"));
    bling(&oci, 20);
    oci.fake.faults().add(
        FaultRule::new(FaultAction::Truncate { bytes: 10 })
            .operation("GetObject")
            .times(2),
    );
    oci.fake.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 503,
            retry_after: None,
        })
        .operation("GetObject")
        .after(5)
        .times(2),
    );
    oci.fake.faults().add(
        FaultRule::new(FaultAction::Reset)
            .operation("GetObject")
            .after(10)
            .times(1),
    );
    let dir = TempDir::new("ocifault");
    let cfg = config(
        &dir,
        &format!(
            "{}\n{}",
            oci.remote_toml("oci_usage"),
            s3.remote_toml("aws_s3")
        ),
    );
    let out = run(
        &cfg,
        &[
            "sync",
            "--checksum",
            &format!("oci_usage:{TENANCY}"),
            &format!("aws_s3:{}/f", s3.bucket),
        ],
    );
    assert_code(&out, 0);
    assert!(!stderr(&out).contains("ERROR"), "{}", stderr(&out));
    assert_eq!(oci.fake.faults().fired(), 5);
    let out = run(
        &cfg,
        &[
            "check",
            &format!("oci_usage:{TENANCY}"),
            &format!("aws_s3:{}/f", s3.bucket),
        ],
    );
    assert_code(&out, 0);
}

/// Transfers in flight, seen from the server: every GetObject held `DELAY` ms by the fake, so
/// each transfer slot completes at most one GET per `DELAY` and no window shorter than that
/// holds more completions than there are slots. Returns the most GETs in any `DELAY / 2` window.
fn most_gets_at_once(oci: &Oci) -> usize {
    let times: Vec<jiff::Timestamp> = oci
        .fake
        .monitor()
        .log()
        .into_iter()
        .filter(|e| e.operation == "GetObject")
        .map(|e| e.time)
        .collect();
    let window = jiff::SignedDuration::from_millis(DELAY as i64 / 2);
    times
        .iter()
        .map(|t| {
            times
                .iter()
                .filter(|u| **u >= *t && u.duration_since(*t) < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

const DELAY: u64 = 400;

/// Without `--transfers`, small objects (latency-bound) use up to 16 transfers at once; with
/// `--transfers 4` — rclone's default, given explicitly — never more than 4.
#[test]
fn small_objects_use_more_transfers_unless_transfers_is_given() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(false));
    bling(&oci, 40);
    oci.fake.faults().add(
        FaultRule::new(FaultAction::Delay { millis: DELAY })
            .operation("GetObject")
            .times(1000),
    );
    let dir = TempDir::new("ociauto");
    let cfg = config(&dir, &oci.unsigned_remote_toml("oci"));
    let src = format!("oci:{TENANCY}");

    oci.fake.monitor().reset();
    let fixed = dir.path().join("fixed");
    let out = run(
        &cfg,
        &["copy", "--transfers", "4", &src, fixed.to_str().unwrap()],
    );
    assert_code(&out, 0);
    let with_four = most_gets_at_once(&oci);
    assert!(with_four <= 4, "--transfers 4: {with_four} GETs at once");

    oci.fake.monitor().reset();
    let auto = dir.path().join("auto");
    let out = run(&cfg, &["copy", &src, auto.to_str().unwrap()]);
    assert_code(&out, 0);
    let automatic = most_gets_at_once(&oci);
    assert!(
        automatic >= 8,
        "small objects without --transfers: {automatic} GETs at once (16 allowed)"
    );
    assert_eq!(read_tree(&auto), read_tree(&fixed), "the same copy");
}
