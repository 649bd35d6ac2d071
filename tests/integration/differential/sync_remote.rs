//! sync and copy into and out of object stores: local → `rclone serve s3`, local → fake OCI,
//! and between two places of each, with the flags cron lines use.

use super::harness::{Case, Kind, World, check_all, full};
use super::trees::{DST, SRC, prefixed};

fn cases(kind: Kind) -> Vec<Case> {
    let mut flags: Vec<(&str, Vec<&str>)> = vec![
        ("plain", vec![]),
        ("checksum", vec!["--checksum"]),
        ("size-only", vec!["--size-only"]),
        ("update", vec!["--update"]),
        ("ignore-existing", vec!["--ignore-existing"]),
        ("include", vec!["--include", "*.csv"]),
        ("filter-from", vec!["--filter-from", "{file:rules}"]),
        ("files-from", vec!["--files-from", "{file:list}"]),
        ("dry-run", vec!["--dry-run"]),
        ("max-delete", vec!["--max-delete", "5"]),
    ];
    if full() {
        flags.extend([
            ("ignore-times", vec!["--ignore-times"]),
            ("immutable", vec!["--immutable"]),
            (
                "exclude-if-present",
                vec!["--exclude-if-present", ".ignore"],
            ),
            ("delete-before", vec!["--delete-before"]),
            ("check-first", vec!["--check-first"]),
        ]);
    }
    let mut out = Vec::new();
    // Uploads (a local source, as the bench's and most cron lines' are) and downloads; between
    // two buckets rclone copies server-side, which the fake OCI service does not offer.
    for (way, local) in [("up", "src"), ("down", "dst")] {
        for cmd in ["sync", "copy"] {
            for (name, f) in &flags {
                out.push(
                    Case::new(format!("{cmd} {way} {name}"), &[cmd, "{src}", "{dst}"])
                        .with(f)
                        .place("src", SRC)
                        .place("dst", DST)
                        .local(local)
                        .file("rules", "- skip/\n+ *.csv\n+ e/**\n- **\n")
                        .file("list", "a.csv\nb/d.txt\n/e/f.gz\nmissing.csv\n"),
                );
            }
        }
    }
    if kind == Kind::ServeS3 {
        // Server-side copies: rclone's OCI backend makes them with CopyObject, which the fake
        // OCI service does not offer (ocisync streams there), so S3 only.
        out.extend(server_side_cases());
    }
    out.extend([
        Case::new("move up", &["move", "{src}", "{dst}"])
            .place("src", SRC)
            .local("src")
            .place("dst", DST),
        Case::new("move down", &["move", "{src}", "{dst}"])
            .place("src", SRC)
            .place("dst", DST)
            .local("dst"),
        Case::new(
            "copyto",
            &["copyto", "{src/b/c.csv}", "{dst/x/renamed.csv}"],
        )
        .place("src", SRC)
        .local("src")
        .place("dst", DST),
        Case::new(
            "moveto",
            &["moveto", "{src/b/c.csv}", "{dst/x/renamed.csv}"],
        )
        .place("src", SRC)
        .local("src")
        .place("dst", DST),
        Case::new("delete include", &["delete", "{dst}", "--include", "*.csv"]).place("dst", DST),
        Case::new("deletefile", &["deletefile", "{dst/b/c.csv}"]).place("dst", DST),
        Case::new("purge a prefix", &["purge", "{dst/b}"]).place("dst", DST),
        Case::new("rcat", &["rcat", "{dst/in/stdin.txt}"])
            .place("dst", DST)
            .stdin(b"from stdin\n")
            .no_mtimes(),
        Case::new("touch new", &["touch", "{dst/t.txt}", "-t", "260102"]).place("dst", DST),
        Case::new("sync empty source", &["sync", "{src}", "{dst}"])
            .place("src", &[])
            .local("src")
            .place("dst", DST)
            .differs("empty-source"),
    ]);
    out
}

fn server_side_cases() -> Vec<Case> {
    vec![
        Case::new(
            "sync backup-dir",
            &[
                "sync",
                "{src}",
                "{root/dst}",
                "--backup-dir",
                "{root/archive}",
            ],
        )
        .place("src", SRC)
        .local("src")
        .place("root", &prefixed("dst", DST)),
        Case::new(
            "sync backup-dir suffix",
            &[
                "sync",
                "{src}",
                "{root/dst}",
                "--backup-dir",
                "{root/archive}",
                "--suffix",
                "-2026",
            ],
        )
        .place("src", SRC)
        .local("src")
        .place("root", &prefixed("dst", DST)),
        Case::new(
            "sync suffix alone",
            &["sync", "{src}", "{dst}", "--suffix", ".old"],
        )
        .place("src", SRC)
        .local("src")
        .place("dst", DST),
        Case::new(
            "copy copy-dest",
            &["copy", "{src}", "{root/dst}", "--copy-dest", "{root/prev}"],
        )
        .place("src", SRC)
        .local("src")
        .place("root", &prefixed("prev", DST)),
        Case::new(
            "copy compare-dest",
            &[
                "copy",
                "{src}",
                "{root/dst}",
                "--compare-dest",
                "{root/prev}",
            ],
        )
        .place("src", SRC)
        .local("src")
        .place("root", &prefixed("prev", DST)),
        Case::new(
            "moveto within the bucket",
            &["moveto", "{root/a/b/c.csv}", "{root/z/c2.csv}"],
        )
        .place("root", &prefixed("a", SRC)),
    ]
}

#[test]
fn sync_serve_s3() {
    check_all(&World::new(Kind::ServeS3), cases(Kind::ServeS3));
}

#[test]
fn sync_oci() {
    check_all(&World::new(Kind::Oci), cases(Kind::Oci));
}

#[test]
fn storage_tiers_oci() {
    let t = |name: &str, args: &[&str]| Case::new(name, args).place("dst", DST);
    let cases = vec![
        t(
            "settier Archive a prefix",
            &["settier", "Archive", "{dst/b}"],
        ),
        t(
            "settier InfrequentAccess everything",
            &["settier", "InfrequentAccess", "{dst}"],
        ),
        t(
            "settier one object, lower case",
            &["settier", "archive", "{dst/a.csv}"],
        ),
        t(
            "settier include",
            &["settier", "Archive", "{dst}", "--include", "*.csv"],
        ),
        t(
            "settier dry-run",
            &["settier", "Archive", "{dst}", "--dry-run"],
        )
        .differs("settier-dry-run"),
    ];
    check_all(&World::new(Kind::Oci), cases);
}
