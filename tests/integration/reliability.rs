//! Issue 11 — never lose, corrupt or wrongly delete an object: keys that do not round-trip,
//! listings that fail or do not progress, sources that change in the middle of a copy, bodies
//! that end early or run long, runs stopped or killed in the middle of uploads, abandoned
//! uploads (`ocisync cleanup`), overlapping remotes. The real binary against moto (through a
//! proxy that can change what chosen requests see), the OCI fake and local directories.
//! docs/reliability.md lists each hazard with the test here that covers it.

mod errors;
pub mod moto;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ocisync_fakes::faults::{FaultAction, FaultRule};
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage, SeedObject};

use crate::support::oci::{Oci, TENANCY};
use crate::support::tree::{TempDir, bytes, config, read_tree, write_files};
use crate::support::{assert_code, code, ocisync, run, runtime, stderr};
use moto::{Hooked, OnGet};

/// Waits (polling, generous deadline) until `ready` holds; panics with `what` otherwise.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn spawn(cfg: &Path, args: &[&str]) -> Child {
    ocisync()
        .arg("--config")
        .arg(cfg)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ocisync")
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Files under `root`'s partial-file directory.
fn partial_files(root: &Path) -> Vec<String> {
    std::fs::read_dir(root.join(".ocisync-partial"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// 1. Keys round-trip exactly or fail loudly
// ---------------------------------------------------------------------------------------------

#[test]
fn keys_that_cannot_round_trip_are_reported_by_name_and_block_every_deletion() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(true));
    let s3 = rt.block_on(Hooked::start("keys"));
    let dir = TempDir::new("keys");
    let cfg = config(
        &dir,
        &format!("{}{}", oci.remote_toml("oci"), s3.remote_toml("s3")),
    );
    // The source: plain keys, keys OpenDAL would rewrite next to the objects a rewritten key
    // would reach, a dot segment, an object `dir/` with content and an empty folder marker.
    let plain: Vec<(&str, Vec<u8>)> = vec![
        ("keep.csv", bytes(1, 300)),
        ("a/b", bytes(2, 200)),
        ("lead", bytes(3, 100)),
        ("y", bytes(4, 50)),
    ];
    let hostile = [" lead", "a//b", "dd/../y", "dir/", "/abs", "trail\t"];
    for (k, v) in &plain {
        oci.fake
            .seed("bling", TENANCY, SeedObject::new(*k, v.clone()));
    }
    for (i, k) in hostile.iter().enumerate() {
        oci.fake.seed(
            "bling",
            TENANCY,
            SeedObject::new(*k, bytes(10 + i as u64, 77)),
        );
    }
    oci.fake
        .seed("bling", TENANCY, SeedObject::new("empty/", Vec::new()));
    rt.block_on(s3.moto.put("old.csv", b"extraneous"));

    let out = run(&cfg, &["sync", &format!("oci:{TENANCY}"), &s3.at("s3", "")]);
    assert_code(&out, 1);
    let err = stderr(&out);
    for k in hostile {
        let shown = k.escape_debug().to_string();
        assert!(
            err.lines().any(|l| l.contains("Not copied")
                && l.contains("cannot be addressed exactly")
                && l.contains(&shown)),
            "{k:?} must be reported by name:\n{err}"
        );
    }
    assert!(
        err.contains("not deleting files as there were IO errors"),
        "{err}"
    );
    assert!(
        !err.contains("empty/"),
        "an empty folder marker is not an object:\n{err}"
    );
    let stored = rt.block_on(s3.moto.objects());
    let mut want: std::collections::BTreeMap<String, Vec<u8>> = plain
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    // Nothing deleted after errors; every addressable key copied exactly, under itself.
    want.insert("old.csv".into(), b"extraneous".to_vec());
    assert_eq!(stored, want);

    // The destination side: an extraneous key that cannot be addressed (deleting `old//x`
    // would delete `old/x`) — reported, and then nothing at all is deleted.
    let src = TempDir::new("keys-src");
    write_files(src.path(), &[("keep.csv", &bytes(1, 300))]);
    rt.block_on(s3.moto.put("old//x", b"raw"));
    rt.block_on(s3.moto.put("old/x", b"plain"));
    let out = run(&cfg, &["sync", src.str(), &s3.at("s3", "")]);
    assert_code(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("old//x: Not deleted") && err.contains("cannot be addressed exactly"),
        "{err}"
    );
    assert_eq!(
        s3.count("DeleteObject") + s3.count("DeleteObjects"),
        0,
        "{:?}",
        s3.log()
    );
    let keys = rt.block_on(s3.moto.keys());
    for k in ["old//x", "old/x", "old.csv"] {
        assert!(keys.contains(&k.to_string()), "{k} must survive: {keys:?}");
    }
}

#[test]
fn keys_that_differ_by_normalisation_or_case_and_the_longest_keys_round_trip() {
    let rt = runtime();
    let s3 = rt.block_on(Hooked::start("variants"));
    let oci = rt.block_on(Oci::start(true));
    let dir = TempDir::new("variants");
    let cfg = config(
        &dir,
        &format!("{}{}", oci.remote_toml("oci"), s3.remote_toml("s3")),
    );
    let src = TempDir::new("variants-src");
    let long_name = "\u{e9}".repeat(127); // 254 bytes: a name the file system allows
    let files: Vec<(String, Vec<u8>)> = vec![
        ("caf\u{e9}.csv".into(), bytes(1, 10)),
        ("cafe\u{301}.csv".into(), bytes(2, 11)),
        ("Case.csv".into(), bytes(3, 12)),
        ("case.csv".into(), bytes(4, 13)),
        ("ctl\u{1}x".into(), bytes(5, 14)),
        (format!("d/{long_name}"), bytes(6, 15)),
    ];
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(k, v)| (k.as_str(), &v[..])).collect();
    write_files(src.path(), &refs);
    // local → S3 → OCI → local: every hop keeps every key apart and exact.
    let out = run(&cfg, &["sync", src.str(), &s3.at("s3", "p")]);
    assert_code(&out, 0);
    let out = run(
        &cfg,
        &["sync", &s3.at("s3", "p"), &format!("oci:{TENANCY}/q")],
    );
    assert_code(&out, 0);
    let back = TempDir::new("variants-back");
    let out = run(&cfg, &["sync", &format!("oci:{TENANCY}/q"), back.str()]);
    assert_code(&out, 0);
    let tree = read_tree(back.path());
    let want: std::collections::BTreeMap<String, Vec<u8>> = files.into_iter().collect();
    assert_eq!(tree, want);

    // The longest S3 key (1024 bytes with the prefix `p/`) copies; one byte more is refused
    // before any request, naming the key and the limit. (Segments of 200 bytes, so that the
    // local source can hold them.)
    let long_key = |n: usize| -> String {
        let mut k = String::new();
        while k.len() < n {
            let room = n - k.len();
            if room > 201 {
                k.push_str(&"k".repeat(200));
                k.push('/');
            } else {
                k.push_str(&"k".repeat(room));
            }
        }
        k
    };
    let (longest, over) = (long_key(1022), long_key(1023));
    let long_src = TempDir::new("long-src");
    write_files(
        long_src.path(),
        &[(&longest, b"longest"), (&over, b"one more")],
    );
    let out = run(&cfg, &["copy", long_src.str(), &s3.at("s3", "p")]);
    assert_code(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("the key is 1025 bytes with the prefix (2 bytes), over the 1024 S3 allows")
            && err.contains(&over),
        "{err}"
    );
    assert_eq!(
        rt.block_on(s3.moto.get(&format!("p/{longest}"))).as_deref(),
        Some(&b"longest"[..])
    );
    assert!(rt.block_on(s3.moto.get(&format!("p/{over}"))).is_none());
}

// ---------------------------------------------------------------------------------------------
// 2. Listing failures never look like empty listings
// ---------------------------------------------------------------------------------------------

/// Six objects in both places, three more only on the destination: a sync that lists both
/// fully deletes three.
async fn listing_fixture(label: &str, page_size: usize) -> (FakeObjectStorage, Hooked) {
    let fake = FakeObjectStorage::start(Config {
        require_signatures: false,
        page_size,
        ..Config::default()
    })
    .await
    .expect("fake");
    let s3 = Hooked::start(label).await;
    for i in 0..6 {
        let data = bytes(i, 100);
        fake.seed("bling", "src", SeedObject::new(format!("o{i}.csv"), data));
    }
    for i in 0..9 {
        s3.moto.put(&format!("o{i}.csv"), &bytes(i, 100)).await;
    }
    (fake, s3)
}

fn listing_config(dir: &TempDir, fake: &FakeObjectStorage, s3: &Hooked) -> std::path::PathBuf {
    config(
        dir,
        &format!(
            "[remotes.oci]\ntype = \"oracleobjectstorage\"\nprovider = \"no_auth\"\nnamespace = \"bling\"\nregion = \"us-ashburn-1\"\nendpoint = \"{}\"\nno_check_bucket = true\n{}",
            fake.base_url(),
            s3.remote_toml("s3")
        ),
    )
}

const QUICK_RETRIES: [&str; 4] = ["--low-level-retries", "2", "--retries", "1"];

#[test]
fn a_source_listing_page_that_fails_after_retries_at_any_page_deletes_nothing() {
    let rt = runtime();
    for fail_at in 0..3u32 {
        let (fake, s3) = rt.block_on(listing_fixture("srcpage", 2));
        fake.faults().add(
            FaultRule::new(FaultAction::Status {
                status: 503,
                retry_after: None,
            })
            .operation("ListObjects")
            .after(fail_at)
            .times(1000),
        );
        let dir = TempDir::new("srcpage");
        let cfg = listing_config(&dir, &fake, &s3);
        let mut args = vec!["sync".to_string(), "oci:src".into(), s3.at("s3", "")];
        args.extend(QUICK_RETRIES.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&cfg, &args);
        assert_code(&out, 5);
        let err = stderr(&out);
        assert!(err.contains("ListObjects") || err.contains("list"), "{err}");
        assert_eq!(
            s3.count("DeleteObject") + s3.count("DeleteObjects"),
            0,
            "page {fail_at}"
        );
        assert_eq!(
            rt.block_on(s3.moto.keys()).len(),
            9,
            "page {fail_at}: nothing deleted"
        );
    }
}

#[test]
fn a_destination_listing_page_that_fails_after_retries_at_any_page_deletes_nothing() {
    let rt = runtime();
    for fail_at in 0..3u32 {
        let (fake, s3) = rt.block_on(listing_fixture("dstpage", 1000));
        s3.page_size(2);
        s3.server.faults().add(
            FaultRule::new(FaultAction::Status {
                status: 500,
                retry_after: None,
            })
            .operation("ListObjects")
            .after(fail_at)
            .times(1000),
        );
        let dir = TempDir::new("dstpage");
        let cfg = listing_config(&dir, &fake, &s3);
        let mut args = vec!["sync".to_string(), "oci:src".into(), s3.at("s3", "")];
        args.extend(QUICK_RETRIES.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&cfg, &args);
        assert_code(&out, 5);
        assert_eq!(
            s3.count("DeleteObject") + s3.count("DeleteObjects"),
            0,
            "page {fail_at}"
        );
        assert_eq!(
            rt.block_on(s3.moto.keys()).len(),
            9,
            "page {fail_at}: nothing deleted"
        );
    }
}

/// A server whose `start-after` skips keys (SeaweedFS 4.48 read it as a path and passed over
/// whole directories; ocisync's cuts no longer provoke it there, so a proxy plays it): where
/// two key ranges meet, the next range must reach the key the range before it saw past its
/// end. Once: the rest is listed one page after another with a NOTICE, every key is found and
/// a sync deletes nothing. Every time: the second skip is an error, and nothing is deleted.
#[test]
fn a_range_whose_start_after_skips_a_key_is_caught_where_the_ranges_meet() {
    let rt = runtime();
    let src = rt.block_on(Hooked::start("skips"));
    // Spread-out names: cuts are made below the first page's common prefix.
    let mut names: Vec<String> = (0..2500u64)
        .map(|i| format!("d/{:08x}.csv", (i * 2_654_435_761) % (1 << 32)))
        .collect();
    names.sort();
    rt.block_on(async {
        for chunk in names.chunks(50) {
            futures::future::join_all(chunk.iter().map(|n| src.moto.put(n, b"x"))).await;
        }
    });
    // Pages of 100, so that ranges cut (after 1,000 keys) and meet many times.
    src.page_size(100);
    let dst = TempDir::new("skips-dst");
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    write_files(dst.path(), &files);
    let dir = TempDir::new("skips");
    let cfg = config(&dir, &src.remote_toml("s3"));
    let sync = || {
        run(
            &cfg,
            &[
                "sync",
                &src.at("s3", ""),
                dst.str(),
                "--size-only",
                "--list-concurrency",
                "4",
                "--retries",
                "1",
                "-v",
            ],
        )
    };

    src.skip_first_key_after_start_after(1);
    let out = sync();
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("the server skipped") && err.contains("one page after another"),
        "{err}\n{:#?}",
        src.log()
            .into_iter()
            .filter(|(_, op, _)| *op == "ListObjects")
            .collect::<Vec<_>>()
    );
    assert!(!err.contains("Deleted"), "{err}");
    assert_eq!(read_tree(dst.path()).len(), names.len(), "nothing deleted");

    src.skip_first_key_after_start_after(u32::MAX);
    let out = sync();
    assert_ne!(code(&out), 0);
    let err = stderr(&out);
    assert!(err.contains("twice"), "{err}");
    assert_eq!(read_tree(dst.path()).len(), names.len(), "nothing deleted");
}

#[test]
fn a_repeated_page_or_a_key_listed_twice_is_detected_not_looped_on_or_counted_twice() {
    let rt = runtime();
    // The destination serves its first page again in place of the second: the same
    // continuation token forever, unless the client notices.
    let (fake, s3) = rt.block_on(listing_fixture("repeat", 1000));
    s3.page_size(2);
    s3.repeat_page(0);
    let dir = TempDir::new("repeat");
    let cfg = listing_config(&dir, &fake, &s3);
    let out = run(
        &cfg,
        &["sync", "oci:src", &s3.at("s3", ""), "--retries", "1"],
    );
    assert_ne!(code(&out), 0);
    let err = stderr(&out);
    assert!(err.contains("the listing is not progressing"), "{err}");
    assert!(
        s3.count("ListObjects") <= 3,
        "stopped at the first repeat: {:?}",
        s3.log()
    );
    assert_eq!(s3.count("DeleteObject") + s3.count("DeleteObjects"), 0);

    // The source lists a key twice (the last key of a page again first on the next): one
    // error naming it, not two copies; nothing deleted at the destination.
    let src = rt.block_on(Hooked::start("twice"));
    for i in 0..6 {
        rt.block_on(src.moto.put(&format!("o{i}.csv"), &bytes(i, 100)));
    }
    src.page_size(2);
    src.duplicate_after_page(0);
    let dst = TempDir::new("twice-dst");
    write_files(dst.path(), &[("extra.csv", b"keep me")]);
    let cfg = config(&dir, &src.remote_toml("s3"));
    let out = run(
        &cfg,
        &["sync", &src.at("s3", ""), dst.str(), "--retries", "1", "-v"],
    );
    assert_ne!(code(&out), 0);
    let err = stderr(&out);
    assert!(err.contains("\"o1.csv\" was listed twice"), "{err}");
    assert!(
        read_tree(dst.path()).contains_key("extra.csv"),
        "nothing deleted"
    );
    assert_eq!(
        err.matches("o1.csv: Copied").count(),
        1,
        "copied once, not twice:\n{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. A source changed in the middle of a copy; bodies that end early or run long
// ---------------------------------------------------------------------------------------------

#[test]
fn a_source_replaced_after_listing_is_copied_as_its_new_version_never_a_mix() {
    let rt = runtime();
    let src = rt.block_on(Hooked::start("changed"));
    let old = bytes(1, 4000);
    let new = bytes(2, 6000);
    rt.block_on(src.moto.put("report.csv", &old));
    rt.block_on(src.moto.put("other.csv", &bytes(3, 100)));
    // Replaced after the listing saw it, just before its GET is answered: with another size,
    // and with the same size (only the ETag tells).
    src.on_get("report.csv", 0, 1, OnGet::Replace(vec![new.clone()]));
    let same_size = bytes(9, 4000);
    rt.block_on(src.moto.put("same.csv", &old));
    src.on_get("same.csv", 0, 1, OnGet::Replace(vec![same_size.clone()]));
    let dir = TempDir::new("changed");
    let dst = TempDir::new("changed-dst");
    let cfg = config(&dir, &src.remote_toml("s3"));
    let out = run(&cfg, &["sync", &src.at("s3", ""), dst.str(), "-v"]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("report.csv: source changed during copy"),
        "{err}"
    );
    let tree = read_tree(dst.path());
    assert_eq!(tree["report.csv"], new, "the new version, whole");
    assert_eq!(
        tree["same.csv"], same_size,
        "the new version of the same size"
    );
    assert!(
        err.contains("same.csv: source changed during copy (ETag"),
        "{err}"
    );
    // The listed version was asked for by ETag: the replaced object was refused (412).
    let gets: Vec<_> = src
        .server
        .monitor()
        .log()
        .into_iter()
        .filter(|e| e.operation == "GetObject" && e.target.ends_with("/report.csv"))
        .collect();
    assert!(
        gets[0].headers.contains_key("if-match"),
        "{:?}",
        gets[0].headers
    );
    assert_eq!(gets[0].status, 412);

    // A source that changes before every read is reported, not stored.
    rt.block_on(src.moto.put("busy.csv", &bytes(4, 1000)));
    src.on_get(
        "busy.csv",
        0,
        1000,
        OnGet::Replace(vec![bytes(5, 1001), bytes(6, 1002)]),
    );
    let out = run(
        &cfg,
        &["copy", &src.at("s3", ""), dst.str(), "--retries", "1"],
    );
    assert_code(&out, 5);
    let err = stderr(&out);
    assert!(
        err.contains("busy.csv: Failed to copy") && err.contains("source changed during copy"),
        "{err}"
    );
    assert!(!read_tree(dst.path()).contains_key("busy.csv"));
    assert!(partial_files(dst.path()).is_empty());
}

#[test]
fn a_multipart_read_resumed_from_a_replaced_object_is_refused_never_mixed() {
    let rt = runtime();
    let src = rt.block_on(Hooked::start("resumed"));
    let old = bytes(7, 12 << 20);
    let new = bytes(8, 12 << 20);
    rt.block_on(src.moto.put("big.bin", &old));
    // The first GET is cut after 3 MiB; the object is replaced before the read resumes.
    src.server.faults().add(
        FaultRule::new(FaultAction::Truncate { bytes: 3 << 20 })
            .operation("GetObject")
            .times(1),
    );
    src.on_get("big.bin", 1, 1, OnGet::Replace(vec![new.clone()]));
    let oci = rt.block_on(Oci::start(true));
    let dir = TempDir::new("resumed");
    let cfg = config(
        &dir,
        &format!(
            "{}{}chunk_size = \"5Mi\"\n",
            src.remote_toml("s3"),
            oci.remote_toml("oci")
        ),
    );
    let out = run(
        &cfg,
        &["copy", &src.at("s3", ""), &format!("oci:{TENANCY}/d"), "-v"],
    );
    assert_code(&out, 0);
    let stored = oci
        .fake
        .object("bling", TENANCY, "d/big.bin")
        .expect("copied");
    assert!(
        stored.data[..] == new[..],
        "exactly the new version, not a mix of both"
    );
    assert!(oci.fake.pending_uploads("bling", TENANCY).is_empty());
    let resumed: Vec<_> = src
        .server
        .monitor()
        .log()
        .into_iter()
        .filter(|e| e.operation == "GetObject")
        .collect();
    assert!(
        resumed
            .iter()
            .skip(1)
            .all(|e| e.headers.contains_key("if-match")),
        "every read of it names the version: {resumed:?}"
    );
}

#[test]
fn a_body_that_ends_early_or_runs_long_is_never_committed() {
    let rt = runtime();
    let src = rt.block_on(Hooked::start("bodies"));
    let oci = rt.block_on(Oci::start(true));
    let short = bytes(1, 1000);
    let long = bytes(2, 1000);
    let big = bytes(3, 11 << 20);
    for (k, v) in [
        ("short.csv", &short),
        ("long.csv", &long),
        ("big.bin", &big),
    ] {
        rt.block_on(src.moto.put(k, v));
    }
    // A good copy of short.csv is already there: a bad read must not replace it.
    oci.fake.seed(
        "bling",
        TENANCY,
        SeedObject::new("d/short.csv", bytes(9, 999)),
    );
    // Complete HTTP answers (their Content-Length matches) of the wrong length: no transport
    // error, every time.
    src.on_get("short.csv", 0, 1000, OnGet::Body(short[..600].to_vec()));
    let mut longer = long.clone();
    longer.extend_from_slice(b"and some more");
    src.on_get("long.csv", 0, 1000, OnGet::Body(longer));
    src.on_get(
        "big.bin",
        0,
        1000,
        OnGet::Body(big[..big.len() - 1].to_vec()),
    );
    let dir = TempDir::new("bodies");
    let cfg = config(
        &dir,
        &format!(
            "{}{}chunk_size = \"5Mi\"\n",
            src.remote_toml("s3"),
            oci.remote_toml("oci")
        ),
    );
    let out = run(
        &cfg,
        &[
            "sync",
            &src.at("s3", ""),
            &format!("oci:{TENANCY}/d"),
            "--retries",
            "1",
        ],
    );
    assert_code(&out, 5);
    let err = stderr(&out);
    assert!(
        err.contains("short.csv: Failed to copy") && err.contains("read 600 bytes, expected 1000"),
        "{err}"
    );
    assert!(
        err.contains("long.csv: Failed to copy") && err.contains("more than the 1000 bytes listed"),
        "{err}"
    );
    assert!(err.contains("big.bin: Failed to copy"), "{err}");
    assert_eq!(
        oci.fake
            .object("bling", TENANCY, "d/short.csv")
            .unwrap()
            .data[..],
        bytes(9, 999)[..],
        "the previous copy stays"
    );
    assert!(oci.fake.object("bling", TENANCY, "d/long.csv").is_none());
    assert!(oci.fake.object("bling", TENANCY, "d/big.bin").is_none());
    assert!(
        oci.fake.pending_uploads("bling", TENANCY).is_empty(),
        "the multipart upload of the cut body was aborted"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Stops, kills and abandoned uploads
// ---------------------------------------------------------------------------------------------

/// A 30 MiB source file and an S3 destination whose UploadParts after the first are held for
/// `millis`: a run is in the middle of a multipart upload for as long as the test needs.
fn slow_upload(
    label: &str,
    millis: u64,
) -> (
    tokio::runtime::Runtime,
    Hooked,
    TempDir,
    TempDir,
    std::path::PathBuf,
) {
    let rt = runtime();
    let s3 = rt.block_on(Hooked::start(label));
    s3.server.faults().add(
        FaultRule::new(FaultAction::Delay { millis })
            .operation("UploadPart")
            .after(1)
            .times(1000),
    );
    let src = TempDir::new(&format!("{label}-src"));
    write_files(src.path(), &[("big.bin", &bytes(11, 30 << 20))]);
    let dir = TempDir::new(label);
    let cfg = config(&dir, &s3.remote_toml("s3"));
    (rt, s3, src, dir, cfg)
}

#[test]
fn sigterm_aborts_the_multipart_upload_in_flight_and_writes_the_report() {
    // Parts held 2 s: the stopping run lets the part in flight end, then aborts the upload.
    // Parts held 60 s: it gives up waiting and aborts the upload by its id.
    for millis in [2_000, 60_000] {
        let (rt, s3, src, dir, cfg) = slow_upload("term", millis);
        let report = dir.join("r.json");
        let child = spawn(
            &cfg,
            &[
                "sync",
                src.str(),
                &s3.at("s3", "p"),
                "--report-json",
                report.to_str().unwrap(),
                "-vv",
            ],
        );
        wait_for("a first part uploaded", || s3.count("UploadPart") >= 1);
        signal(&child, "-TERM");
        let out = child.wait_with_output().unwrap();
        assert_code(&out, 143);
        assert!(
            stderr(&out).contains("uploads in flight were aborted"),
            "{}",
            stderr(&out)
        );
        assert!(
            s3.count("AbortMultipartUpload") >= 1,
            "parts held {millis} ms: {:?}\n{}",
            s3.log(),
            stderr(&out)
        );
        assert!(
            rt.block_on(s3.moto.pending_uploads()).is_empty(),
            "nothing left uploading"
        );
        assert!(rt.block_on(s3.moto.keys()).is_empty(), "nothing committed");
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(r["exit_code"], 143);
    }
}

#[test]
fn sigint_and_sigterm_leave_no_partial_file_in_a_local_destination() {
    let rt = runtime();
    let src = rt.block_on(Hooked::start("intsrc"));
    rt.block_on(src.moto.put("a.bin", &bytes(1, 1 << 20)));
    rt.block_on(src.moto.put("b.bin", &bytes(2, 1 << 20)));
    // b.bin's GET is held: the run waits on it with a.bin done.
    src.server.faults().add(
        FaultRule::new(FaultAction::Delay { millis: 20_000 })
            .path_contains("/b.bin")
            .times(1000),
    );
    let dir = TempDir::new("int");
    let cfg = config(&dir, &src.remote_toml("s3"));
    for (sig, code_) in [("-INT", 130), ("-TERM", 143)] {
        let dst = TempDir::new("int-dst");
        let child = spawn(
            &cfg,
            &["sync", &src.at("s3", ""), dst.str(), "--transfers", "1"],
        );
        wait_for("a.bin copied", || dst.join("a.bin").exists());
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        assert_code(&out, code_);
        assert!(partial_files(dst.path()).is_empty(), "{sig}");
        assert!(!dst.join("b.bin").exists(), "{sig}");
    }
}

#[test]
fn after_kill_9_nothing_partial_is_visible_cleanup_aborts_the_upload_and_the_next_run_converges() {
    let (rt, s3, src, _dir, cfg) = slow_upload("kill", 20_000);
    let child = spawn(&cfg, &["sync", src.str(), &s3.at("s3", "p")]);
    wait_for("a first part uploaded", || s3.count("UploadPart") >= 1);
    let mut child = child;
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    assert!(rt.block_on(s3.moto.keys()).is_empty(), "nothing committed");
    let pending = rt.block_on(s3.moto.pending_uploads());
    assert_eq!(
        pending.len(),
        1,
        "the killed run's upload is uncommitted: {pending:?}"
    );
    s3.server.faults().clear();

    // cleanup --dry-run lists it and aborts nothing; cleanup aborts it. (moto reports every
    // upload as started in 2010, so any --max-age covers it.)
    let out = run(&cfg, &["cleanup", &s3.at("s3", "p"), "--dry-run"]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("p/big.bin: Skipped abort of multipart upload"),
        "{err}"
    );
    assert_eq!(rt.block_on(s3.moto.pending_uploads()).len(), 1);
    let out = run(&cfg, &["cleanup", &s3.at("s3", "p")]);
    assert_code(&out, 0);
    assert!(stderr(&out).contains("aborted 1"), "{}", stderr(&out));
    assert!(rt.block_on(s3.moto.pending_uploads()).is_empty());

    let out = run(&cfg, &["sync", src.str(), &s3.at("s3", "p")]);
    assert_code(&out, 0);
    assert_eq!(
        rt.block_on(s3.moto.get("p/big.bin")).unwrap(),
        bytes(11, 30 << 20)
    );

    // A local destination: a partial file left by kill -9 goes with the next open.
    let big = TempDir::new("kill-local-src");
    write_files(big.path(), &[("huge.bin", &bytes(12, 256 << 20))]);
    let dst = TempDir::new("kill-local-dst");
    let mut child = spawn(&cfg, &["sync", big.str(), dst.str()]);
    wait_for("a partial file", || !partial_files(dst.path()).is_empty());
    child.kill().unwrap();
    let _ = child.wait();
    assert!(!partial_files(dst.path()).is_empty(), "kill -9 leaves it");
    assert!(
        !dst.join("huge.bin").exists(),
        "never visible under its name"
    );
    let out = run(&cfg, &["sync", big.str(), dst.str()]);
    assert_code(&out, 0);
    assert!(partial_files(dst.path()).is_empty());
    assert!(!dst.join(".ocisync-partial").exists());
    assert_eq!(
        std::fs::read(dst.join("huge.bin")).unwrap(),
        bytes(12, 256 << 20)
    );
}

#[test]
fn cleanup_aborts_only_uploads_older_than_max_age_under_the_path_on_oci() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(false));
    let dir = TempDir::new("cleanup-oci");
    let cfg = config(&dir, &oci.unsigned_remote_toml("oci"));
    let client = reqwest::Client::new();
    for name in ["p/a.csv", "p/b.csv", "other/c.csv"] {
        let url = format!("{}/n/bling/b/{TENANCY}/u", oci.fake.base_url());
        let body = serde_json::json!({ "object": name }).to_string();
        let r = rt
            .block_on(
                client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send(),
            )
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    assert_eq!(oci.fake.pending_uploads("bling", TENANCY).len(), 3);
    let target = format!("oci:{TENANCY}/p");
    let out = run(&cfg, &["cleanup", &target, "--max-age", "1h"]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("2 pending multipart upload(s); aborted 0"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        oci.fake.pending_uploads("bling", TENANCY).len(),
        3,
        "younger than 1h: kept"
    );
    let out = run(&cfg, &["cleanup", &target, "--max-age", "0s", "--dry-run"]);
    assert_code(&out, 0);
    assert_eq!(
        oci.fake.pending_uploads("bling", TENANCY).len(),
        3,
        "dry run"
    );
    let out = run(&cfg, &["cleanup", &target, "--max-age", "0s"]);
    assert_code(&out, 0);
    assert!(stderr(&out).contains("aborted 2"), "{}", stderr(&out));
    assert_eq!(
        oci.fake.pending_uploads("bling", TENANCY).len(),
        1,
        "the upload outside the path stays"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Overlapping source and destination
// ---------------------------------------------------------------------------------------------

#[test]
fn overlapping_remotes_are_refused_before_anything_is_listed() {
    let rt = runtime();
    let s3 = rt.block_on(Hooked::start("overlap"));
    rt.block_on(s3.moto.put("p/a.csv", b"a"));
    let dir = TempDir::new("overlap");
    // Two names for one bucket overlap too.
    let cfg = config(
        &dir,
        &format!("{}{}", s3.remote_toml("s3"), s3.remote_toml("other")),
    );
    let local = TempDir::new("overlap-local");
    write_files(local.path(), &[("a.csv", b"a"), ("sub/b.csv", b"b")]);
    let sub = local.join("sub");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["sync".into(), s3.at("s3", "p"), s3.at("s3", "p/sub")],
            "inside the source",
        ),
        (
            vec!["sync".into(), s3.at("s3", "p/sub"), s3.at("other", "p")],
            "contains",
        ),
        (
            vec!["copy".into(), s3.at("s3", "p"), s3.at("other", "p/")],
            "same place",
        ),
        (
            vec!["sync".into(), local.str().into(), local.str().into()],
            "same place",
        ),
        (
            vec![
                "sync".into(),
                local.str().into(),
                sub.to_string_lossy().into(),
            ],
            "inside the source",
        ),
        (
            vec![
                "sync".into(),
                format!("{}/", local.str()),
                format!("{}/./sub/../", local.str()),
            ],
            "same place",
        ),
    ];
    for (args, how) in &cases {
        s3.server.monitor().reset();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&cfg, &args);
        assert_code(&out, 7);
        let err = stderr(&out);
        assert!(
            err.contains(how) && err.contains("can't sync or copy files on overlapping remotes"),
            "{args:?}: {err}"
        );
        assert!(
            s3.log().is_empty(),
            "{args:?}: nothing listed: {:?}",
            s3.log()
        );
    }
    // As rclone: excluding the nested folder from the source makes it fine.
    let out = run(
        &cfg,
        &[
            "copy",
            local.str(),
            &sub.to_string_lossy(),
            "--exclude",
            "sub/**",
        ],
    );
    assert_code(&out, 0);
    assert_eq!(std::fs::read(sub.join("a.csv")).unwrap(), b"a");
}

// ---------------------------------------------------------------------------------------------
// 8. Integrity where the destination can check
// ---------------------------------------------------------------------------------------------

#[test]
fn checksum_algorithm_crc32c_sends_the_right_checksum_with_every_put_and_part() {
    let rt = runtime();
    let s3 = rt.block_on(Hooked::start("crc"));
    let src = TempDir::new("crc-src");
    let (small, big) = (bytes(1, 1000), bytes(2, 12 << 20));
    write_files(src.path(), &[("small.csv", &small), ("big.bin", &big)]);
    let dir = TempDir::new("crc");
    let cfg = config(
        &dir,
        &format!("{}checksum_algorithm = \"crc32c\"\n", s3.remote_toml("s3")),
    );
    let out = run(&cfg, &["sync", src.str(), &s3.at("s3", "")]);
    assert_code(&out, 0);
    let sums = s3.checksums();
    assert_eq!(
        sums.iter().filter(|c| c.operation == "UploadPart").count(),
        3,
        "12 MiB in 5 MiB parts: {sums:?}"
    );
    assert_eq!(
        sums.iter().filter(|c| c.operation == "PutObject").count(),
        1
    );
    for c in &sums {
        assert_eq!(
            c.sent.as_deref(),
            Some(c.actual.as_str()),
            "{} carries the CRC32C of its own body",
            c.operation
        );
    }
    // ocisync's own end-to-end check is unchanged: the objects are the source's.
    assert_eq!(rt.block_on(s3.moto.get("small.csv")).unwrap(), small);
    assert_eq!(rt.block_on(s3.moto.get("big.bin")).unwrap(), big);

    // Not AWS and not asked for: no checksum header (none of these servers checks one).
    let plain = rt.block_on(Hooked::start("nocrc"));
    let cfg = config(&dir, &plain.remote_toml("s3"));
    assert_code(&run(&cfg, &["sync", src.str(), &plain.at("s3", "")]), 0);
    assert!(plain.checksums().iter().all(|c| c.sent.is_none()));
    // An unknown algorithm is a configuration error.
    let cfg = config(
        &dir,
        &format!("{}checksum_algorithm = \"sha7\"\n", plain.remote_toml("s3")),
    );
    let out = run(&cfg, &["config", "validate"]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("checksum_algorithm")
            || crate::support::stdout(&out).contains("checksum_algorithm")
    );
    assert_eq!(
        moto::crc32c(b"123456789"),
        0xE306_9283,
        "the check value of CRC32C"
    );
}

/// A multipart part damaged between ocisync and the server is caught either way: by ocisync's
/// multipart ETag check (the part MD5s) where the server checks nothing (moto), and by the
/// server itself where every part carries a CRC32C it verifies (SeaweedFS, as AWS) — there
/// ocisync skips the part MD5s. Damaged every time: nothing is stored; once: the retry stores
/// the source's bytes.
#[test]
fn a_part_damaged_on_the_way_is_caught_by_the_etag_check_or_by_the_servers_crc32c() {
    let rt = runtime();
    let src = TempDir::new("damaged-src");
    let big = bytes(7, 12 << 20);
    write_files(src.path(), &[("big.bin", &big)]);
    let dir = TempDir::new("damaged");
    let weed = ocisync_fakes::servers::seaweedfs("damaged");
    let cases = [
        (
            "moto, no checksum",
            rt.block_on(Hooked::start("damaged")),
            "",
        ),
        (
            "seaweedfs, crc32c",
            rt.block_on(Hooked::over(moto::Moto::existing(
                &weed.endpoint,
                "damaged",
            ))),
            "checksum_algorithm = \"crc32c\"\n",
        ),
    ];
    for (what, s3, extra) in &cases {
        let cfg = config(&dir, &format!("{}{extra}", s3.remote_toml("s3")));
        // Every try damaged: the run fails, naming the file, and nothing is stored.
        s3.corrupt_part(2, u32::MAX);
        let out = run(
            &cfg,
            &["copy", src.str(), &s3.at("s3", ""), "--retries", "2"],
        );
        assert_ne!(code(&out), 0, "{what}: {}", stderr(&out));
        assert!(stderr(&out).contains("big.bin"), "{what}: {}", stderr(&out));
        assert_eq!(rt.block_on(s3.moto.get("big.bin")), None, "{what}: stored");
        let sums = s3.checksums();
        let with_crc = sums.iter().filter(|c| c.sent.is_some()).count();
        assert_eq!(with_crc > 0, !extra.is_empty(), "{what}: {sums:?}");
        // Damaged once: the next try stores the source's bytes.
        s3.corrupt_part(2, 1);
        let out = run(
            &cfg,
            &["copy", src.str(), &s3.at("s3", ""), "--retries", "2"],
        );
        assert_code(&out, 0);
        assert!(
            rt.block_on(s3.moto.get("big.bin")) == Some(big.clone()),
            "{what}: the object is not the source's"
        );
        rt.block_on(s3.moto.delete("big.bin"));
    }
}

/// rclone's `serve s3` over a temporary directory (anonymous), as the benchmark runs it.
struct ServeS3 {
    child: Child,
    url: String,
    _dir: TempDir,
}

impl ServeS3 {
    fn start(bucket: &str) -> ServeS3 {
        use std::io::{BufRead, BufReader};
        let dir = TempDir::new("serve-s3");
        std::fs::create_dir_all(dir.join(bucket)).unwrap();
        let mut child = Command::new("rclone")
            .args([
                "serve",
                "s3",
                dir.str(),
                "--addr",
                "127.0.0.1:0",
                "--config",
                "/dev/null",
            ])
            .args(["--log-level", "NOTICE"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rclone from the test venv");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let marker = "Starting s3 server on [http://";
        let url = loop {
            let line = lines
                .next()
                .expect("rclone serve s3 said where it listens")
                .unwrap();
            if let Some(rest) = line.split(marker).nth(1) {
                break format!(
                    "http://{}",
                    rest.split("/]").next().unwrap().trim_end_matches('/')
                );
            }
        };
        // Keep draining its stderr so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ServeS3 {
            child,
            url,
            _dir: dir,
        }
    }
}

impl Drop for ServeS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn what_moto_and_rclone_serve_s3_verify_is_what_the_docs_say() {
    // docs/reliability.md's table, measured: moto (the pinned version) stores a PUT whose
    // Content-MD5 or x-amz-checksum-crc32c does not match its body; rclone serve s3 refuses a
    // wrong Content-MD5 (400 BadDigest) but stores a wrong CRC32C. (AWS refuses both.) That is
    // why ocisync checks each whole object's MD5 itself, whatever the server.
    let rt = runtime();
    let moto = rt.block_on(Hooked::start("digest"));
    let serve = ServeS3::start("digest");
    let client = reqwest::Client::new();
    let good_md5 = ("content-md5", "XUFAKrxLKna5cZ2REBfFkg=="); // MD5("hello")
    let wrong_md5 = ("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==");
    let wrong_crc = ("x-amz-checksum-crc32c", "AAAAAA==");
    let put = |url: String, (header, value): (&str, &str)| {
        let sent = client
            .put(url)
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            )
            .header(header, value)
            .body("hello")
            .send();
        rt.block_on(sent).expect("PUT").status().as_u16()
    };
    let moto_bucket = format!("{}/{}", moto.moto.endpoint, moto.moto.bucket);
    let serve_bucket = format!("{}/digest", serve.url);
    let measured = [
        (
            "moto",
            "good Content-MD5",
            put(format!("{moto_bucket}/a"), good_md5),
        ),
        (
            "moto",
            "wrong Content-MD5",
            put(format!("{moto_bucket}/b"), wrong_md5),
        ),
        (
            "moto",
            "wrong CRC32C",
            put(format!("{moto_bucket}/c"), wrong_crc),
        ),
        (
            "rclone serve s3",
            "good Content-MD5",
            put(format!("{serve_bucket}/a"), good_md5),
        ),
        (
            "rclone serve s3",
            "wrong Content-MD5",
            put(format!("{serve_bucket}/b"), wrong_md5),
        ),
        (
            "rclone serve s3",
            "wrong CRC32C",
            put(format!("{serve_bucket}/c"), wrong_crc),
        ),
    ];
    let expected = [200, 200, 200, 200, 400, 200];
    let got: Vec<u16> = measured.iter().map(|m| m.2).collect();
    assert_eq!(
        got, expected,
        "{measured:?}: the servers changed; update docs/reliability.md"
    );
}

#[test]
fn an_empty_object_whose_read_fails_is_not_stored() {
    // A listed size of 0 is no licence to skip the read: the object may have been replaced
    // (the read would say so) or the read may fail; either way nothing is written.
    let rt = runtime();
    let oci = rt.block_on(Oci::start(false));
    oci.fake
        .seed("bling", TENANCY, SeedObject::new("empty.csv", Vec::new()));
    oci.fake.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 500,
            retry_after: None,
        })
        .operation("GetObject")
        .times(1000),
    );
    let dir = TempDir::new("empty-read");
    let dst = TempDir::new("empty-read-dst");
    let cfg = config(&dir, &oci.unsigned_remote_toml("oci"));
    let out = run(
        &cfg,
        &[
            "copy",
            &format!("oci:{TENANCY}"),
            dst.str(),
            "--low-level-retries",
            "2",
            "-vv",
        ],
    );
    assert!(!dst.join("empty.csv").exists(), "{}", stderr(&out));
    assert_code(&out, 5);

    // Listed empty, replaced before its GET: the new version is copied, not an empty file.
    let src = rt.block_on(Hooked::start("emptyrepl"));
    rt.block_on(src.moto.put("e.csv", b""));
    src.on_get(
        "e.csv",
        0,
        1,
        OnGet::Replace(vec![b"not empty any more".to_vec()]),
    );
    let cfg = config(&dir, &src.remote_toml("s3"));
    let out = run(&cfg, &["copy", &src.at("s3", ""), dst.str()]);
    assert_code(&out, 0);
    assert_eq!(
        std::fs::read(dst.join("e.csv")).unwrap(),
        b"not empty any more"
    );
}
