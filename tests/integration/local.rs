//! Sync semantics on local directories: what is copied, updated, deleted and refused.

use crate::support::tree::{TempDir, config, read_tree, set_mtime, write_files};
use crate::support::{assert_code, run, stderr};

struct Fixture {
    _dir: TempDir,
    src: TempDir,
    dst: TempDir,
    cfg: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = TempDir::new("local");
    let cfg = config(&dir, "");
    Fixture {
        _dir: dir,
        src: TempDir::new("src"),
        dst: TempDir::new("dst"),
        cfg,
    }
}

impl Fixture {
    fn sync(&self, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["sync", self.src.str(), self.dst.str(), "-v"];
        args.extend_from_slice(extra);
        run(&self.cfg, &args)
    }
}

#[test]
fn sync_copies_updates_and_deletes() {
    let f = fixture();
    write_files(
        f.src.path(),
        &[("a.csv", b"one"), ("d/b.csv", b"two"), ("d/e/empty", b"")],
    );
    set_mtime(&f.src.join("a.csv"), 1_700_000_000);
    assert_code(&f.sync(&[]), 0);
    assert_eq!(read_tree(f.dst.path()), read_tree(f.src.path()));
    let mtime = std::fs::metadata(f.dst.join("a.csv"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        mtime,
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        "mtime kept"
    );
    assert!(
        !f.dst.join(".ocisync-partial").exists(),
        "no scratch directory left behind"
    );

    // Changed size → copied again; extraneous → deleted; nothing else touched.
    write_files(f.src.path(), &[("a.csv", b"one more")]);
    write_files(f.dst.path(), &[("stale.csv", b"old")]);
    let out = f.sync(&[]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(err.contains("a.csv: Copied (replaced existing)"), "{err}");
    assert!(err.contains("stale.csv: Deleted"), "{err}");
    assert!(!err.contains("b.csv: Copied"), "{err}");
    assert_eq!(read_tree(f.dst.path()), read_tree(f.src.path()));
}

#[test]
fn same_content_different_time_updates_the_time_only() {
    let f = fixture();
    write_files(f.src.path(), &[("a.csv", b"same")]);
    set_mtime(&f.src.join("a.csv"), 1_700_000_000);
    assert_code(&f.sync(&[]), 0);
    set_mtime(&f.src.join("a.csv"), 1_700_000_500);
    let out = f.sync(&[]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("a.csv: Updated modification time in destination"),
        "{err}"
    );
    assert!(!err.contains("Copied"), "{err}");
    let m = std::fs::metadata(f.dst.join("a.csv"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        m,
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_500)
    );
}

#[test]
fn checksum_catches_same_size_same_time_changes() {
    let f = fixture();
    write_files(f.src.path(), &[("a.csv", b"aaaa")]);
    set_mtime(&f.src.join("a.csv"), 1_700_000_000);
    assert_code(&f.sync(&[]), 0);
    write_files(f.src.path(), &[("a.csv", b"bbbb")]);
    set_mtime(&f.src.join("a.csv"), 1_700_000_000);
    // Default mode trusts size + time: nothing to do.
    let out = f.sync(&["--error-on-no-transfer"]);
    assert_code(&out, 9);
    // --checksum reads both sides and copies.
    assert_code(&f.sync(&["--checksum"]), 0);
    assert_eq!(std::fs::read(f.dst.join("a.csv")).unwrap(), b"bbbb");
    // --size-only would not have.
    write_files(f.src.path(), &[("a.csv", b"cccc")]);
    assert_code(&f.sync(&["--size-only", "--error-on-no-transfer"]), 9);
}

#[test]
fn dry_run_changes_nothing_and_says_what_it_would_do() {
    let f = fixture();
    write_files(f.src.path(), &[("new.csv", b"12345")]);
    write_files(f.dst.path(), &[("old.csv", b"1234")]);
    let before = read_tree(f.dst.path());
    let out = run(&f.cfg, &["sync", "--dry-run", f.src.str(), f.dst.str()]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        // rclone prints the size as a SizeSuffix: "(size 5)", "(size 292.969Ki)".
        err.contains("NOTICE: new.csv: Skipped copy as --dry-run is set (size 5)"),
        "{err}"
    );
    assert!(
        err.contains("NOTICE: old.csv: Skipped delete as --dry-run is set (size 4)"),
        "{err}"
    );
    assert!(
        err.contains("Transferred:            1 / 1, 100%"),
        "summary without -v: {err}"
    );
    assert_eq!(read_tree(f.dst.path()), before);
}

#[test]
fn empty_source_deletes_nothing_unless_allowed() {
    let f = fixture();
    write_files(f.dst.path(), &[("keep1.csv", b"1"), ("keep2.csv", b"2")]);
    let out = f.sync(&[]);
    assert_code(&out, 7);
    assert!(
        stderr(&out).contains("refusing to delete 2 of 2 objects"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read_tree(f.dst.path()).len(), 2);
    assert_code(&f.sync(&["--allow-empty-source"]), 0);
    assert!(read_tree(f.dst.path()).is_empty());
}

#[test]
fn missing_source_is_directory_not_found() {
    let f = fixture();
    write_files(f.dst.path(), &[("keep.csv", b"1")]);
    let missing = f.src.join("no/such/dir");
    let out = run(&f.cfg, &["sync", missing.to_str().unwrap(), f.dst.str()]);
    assert_code(&out, 3);
    assert!(
        stderr(&out).contains("directory not found"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read_tree(f.dst.path()).len(), 1);
}

#[test]
fn max_delete_stops_before_deleting() {
    let f = fixture();
    write_files(f.src.path(), &[("a", b"1")]);
    write_files(f.dst.path(), &[("x", b"1"), ("y", b"1"), ("z", b"1")]);
    let out = f.sync(&["--max-delete", "2"]);
    assert_code(&out, 7);
    assert!(
        stderr(&out).contains("3 objects to delete exceeds --max-delete 2; deleted nothing"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        read_tree(f.dst.path()).len(),
        4,
        "a copied, nothing deleted"
    );
    assert_code(&f.sync(&["--max-delete", "3"]), 0);
    assert_eq!(read_tree(f.dst.path()).len(), 1);
}

#[test]
fn filters_select_and_protect() {
    let f = fixture();
    write_files(
        f.src.path(),
        &[
            ("reports/cost-csv/1.csv.gz", b"1"),
            ("reports/usage-csv/2.csv.gz", b"2"),
            ("FOCUS Reports/2026/x.csv", b"3"),
        ],
    );
    write_files(f.dst.path(), &[("notes.txt", b"mine")]);
    let out = f.sync(&["--include", "/reports/cost-csv/**", "--include", "*.txt"]);
    assert_code(&out, 0);
    let tree = read_tree(f.dst.path());
    assert!(tree.contains_key("reports/cost-csv/1.csv.gz"));
    assert!(
        !tree.contains_key("reports/usage-csv/2.csv.gz")
            && !tree.contains_key("FOCUS Reports/2026/x.csv")
    );
    // notes.txt is included by the filter but absent from the source: deleted.
    assert!(!tree.contains_key("notes.txt"));
    // Excluded destination files are never deleted.
    write_files(f.dst.path(), &[("private/keep.bin", b"k")]);
    assert_code(&f.sync(&["--exclude", "private/"]), 0);
    assert!(read_tree(f.dst.path()).contains_key("private/keep.bin"));
}

#[test]
fn copy_never_deletes_and_check_reports_differences() {
    let f = fixture();
    write_files(f.src.path(), &[("a", b"1"), ("b", b"22")]);
    write_files(f.dst.path(), &[("extra", b"x"), ("b", b"23")]);
    assert_code(
        &run(&f.cfg, &["copy", f.src.str(), f.dst.str(), "--size-only"]),
        0,
    );
    let tree = read_tree(f.dst.path());
    assert!(tree.contains_key("extra") && tree.contains_key("a"));
    assert_eq!(tree["b"], b"23", "same size: --size-only keeps it");
    let out = run(&f.cfg, &["check", f.src.str(), f.dst.str()]);
    assert_code(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("b: md5 differs"), "{err}");
    assert!(
        err.contains(&format!("extra: file not in {}", f.src.str())),
        "{err}"
    );
    assert!(err.contains("2 differences found"), "{err}");
}

#[test]
fn a_filter_matching_nothing_in_the_source_deletes_nothing() {
    let f = fixture();
    write_files(f.src.path(), &[("old.csv", b"1")]);
    set_mtime(&f.src.join("old.csv"), 1_600_000_000);
    write_files(f.dst.path(), &[("recent.csv", b"2")]);
    // --max-age 1d: nothing in the source is that young, but the destination's file is; an
    // empty (filtered) source must not empty the destination.
    let out = f.sync(&["--max-age", "1d"]);
    assert_code(&out, 7);
    assert!(read_tree(f.dst.path()).contains_key("recent.csv"));
}

/// `--checksum` and `md5sum` read local files in groups, hashed side by side in vector lanes
/// (small files whole, larger ones on their own): every file must still get its own MD5. Among
/// many files of mixed sizes — around the 64-byte block, the padding's 56 bytes and the
/// 128 KiB whole-file limit — the changed ones of the same size and time are found, and only
/// they are copied.
#[test]
fn checksum_finds_every_same_size_change_among_many_files_of_mixed_sizes() {
    use crate::support::tree::bytes;
    let f = fixture();
    let sizes = [
        0, 1, 55, 56, 63, 64, 1000, 40_000, 131_072, 131_073, 300_000,
    ];
    let names: Vec<String> = (0..120)
        .map(|i| format!("d{}/f{i:03}.csv", i % 7))
        .collect();
    let size = |i: usize| sizes[i % sizes.len()];
    for (i, name) in names.iter().enumerate() {
        write_files(f.src.path(), &[(name, &bytes(i as u64, size(i)))]);
        set_mtime(&f.src.join(name), 1_700_000_000);
    }
    assert_code(&f.sync(&[]), 0);
    let changed: Vec<usize> = (0..names.len())
        .filter(|i| i % 9 == 4 && size(*i) > 0)
        .collect();
    for &i in &changed {
        write_files(
            f.src.path(),
            &[(&names[i], &bytes(1000 + i as u64, size(i)))],
        );
        set_mtime(&f.src.join(&names[i]), 1_700_000_000);
    }
    let out = f.sync(&["--checksum"]);
    assert_code(&out, 0);
    let log = stderr(&out);
    let copied = log.lines().filter(|l| l.contains(": Copied")).count();
    assert_eq!(copied, changed.len(), "{log}");
    for &i in &changed {
        assert_eq!(
            std::fs::read(f.dst.join(&names[i])).unwrap(),
            bytes(1000 + i as u64, size(i)),
            "{}",
            names[i]
        );
    }
    // md5sum reads the same way: one line per file, each with that file's MD5.
    let out = run(&f.cfg, &["md5sum", f.src.str()]);
    assert_code(&out, 0);
    let mut got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    got.sort();
    let mut want: Vec<String> = names
        .iter()
        .map(|n| {
            let data = std::fs::read(f.src.join(n)).unwrap();
            format!("{}  {n}", ocisync_backend::Md5::of(&data).to_hex())
        })
        .collect();
    want.sort();
    assert_eq!(got, want);
}
