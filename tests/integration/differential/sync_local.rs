//! sync and copy between local directories, across rclone's Copy, Sync and Filter flags.

use super::harness::{Case, Kind, Out, Seed, T0, World, check_all, full};
use super::trees::{DST, SRC, prefixed};

/// Flags every sync and copy case runs with, each a case of its own.
fn flag_matrix() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("plain", vec![]),
        ("dry-run", vec!["--dry-run"]),
        ("checksum", vec!["--checksum"]),
        ("size-only", vec!["--size-only"]),
        ("update", vec!["--update"]),
        ("ignore-existing", vec!["--ignore-existing"]),
        ("ignore-times", vec!["--ignore-times"]),
        ("ignore-size", vec!["--ignore-size"]),
        ("immutable", vec!["--immutable"]),
        ("include", vec!["--include", "*.csv"]),
        ("exclude-dir", vec!["--exclude", "b/**"]),
        (
            "filter-rules",
            vec![
                "--filter", "- b/", "--filter", "+ *.csv", "--filter", "- **",
            ],
        ),
        ("filter-from", vec!["--filter-from", "{file:rules}"]),
        ("include-from", vec!["--include-from", "{file:includes}"]),
        ("exclude-from", vec!["--exclude-from", "{file:excludes}"]),
        ("files-from", vec!["--files-from", "{file:list}"]),
        ("files-from-raw", vec!["--files-from-raw", "{file:list}"]),
        (
            "exclude-if-present",
            vec!["--exclude-if-present", ".ignore"],
        ),
        ("max-depth", vec!["--max-depth", "1"]),
        ("min-size", vec!["--min-size", "5B"]),
        ("max-size", vec!["--max-size", "1k"]),
        ("ignore-case", vec!["--ignore-case", "--include", "*.csv"]),
        (
            "regexp",
            vec!["--include", "{{[a-d]}}.csv", "--include", "/deep/**"],
        ),
        ("hash-filter", vec!["--hash-filter", "1/3"]),
        ("check-first", vec!["--check-first"]),
        (
            "order-by",
            vec!["--order-by", "size,descending", "--transfers", "1"],
        ),
        ("no-traverse", vec!["--no-traverse"]),
        ("fast-list", vec!["--fast-list"]),
    ]
}

fn case(cmd: &str, name: &str, flags: &[&str]) -> Case {
    Case::new(format!("{cmd} {name}"), &[cmd, "{src}", "{dst}"])
        .with(flags)
        .place("src", SRC)
        .place("dst", DST)
        .file("rules", "# comment\n- skip/\n+ *.csv\n+ e/**\n- **\n")
        .file("includes", "*.gz\n; comment\nb/*\n")
        .file("excludes", "*.txt\nsp ace/**\n")
        .file(
            "list",
            "a.csv\nb/d.txt\n# not a file\n/e/f.gz\nmissing.csv\n",
        )
}

#[test]
fn sync_and_copy_flags_local() {
    let world = World::new(Kind::Local);
    let mut cases = Vec::new();
    for cmd in ["sync", "copy"] {
        for (name, flags) in flag_matrix() {
            cases.push(case(cmd, name, &flags));
        }
    }
    check_all(&world, cases);
}

#[test]
fn sync_deletion_rules_local() {
    let world = World::new(Kind::Local);
    let mut cases = vec![
        case("sync", "delete-before", &["--delete-before"]),
        case("sync", "delete-after", &["--delete-after"]),
        case("sync", "max-delete 0", &["--max-delete", "0"]),
        // rclone deletes one, then stops; ocisync counts first and deletes none.
        case("sync", "max-delete 1", &["--max-delete", "1"]).differs("max-delete-all-or-none"),
        case("sync", "max-delete 3", &["--max-delete", "3"]),
        case("sync", "max-delete-size 1B", &["--max-delete-size", "1B"]),
        case("sync", "max-delete-size 5B", &["--max-delete-size", "5B"])
            .differs("max-delete-all-or-none"),
        case(
            "sync",
            "delete-excluded",
            &["--delete-excluded", "--exclude", "*.txt"],
        ),
        case(
            "sync",
            "delete-excluded filter-from",
            &["--delete-excluded", "--filter-from", "{file:rules}"],
        ),
        // An empty source: rclone empties the destination, ocisync refuses (exit 7).
        Case::new("sync empty source", &["sync", "{src}", "{dst}"])
            .place("src", &[])
            .place("dst", DST)
            .differs("empty-source"),
        Case::new("copy empty source", &["copy", "{src}", "{dst}"])
            .place("src", &[])
            .place("dst", DST),
        // Into a directory that does not exist yet.
        Case::new(
            "sync into a new directory",
            &["sync", "{src}", "{dst/new/deeper}"],
        )
        .place("src", SRC)
        .place("dst", &[]),
        // rclone removes the directories a sync empties; ocisync keeps them.
        Case::new("sync emptied directories", &["sync", "{src}", "{dst}"])
            .place("src", SRC)
            .place(
                "dst",
                &[("gone/x.csv", b"x", T0), ("gone/deeper/y.csv", b"y", T0)],
            )
            .dirs()
            .differs("empty-directories"),
    ];
    for (mode, code_flags) in [
        ("hard", vec!["--cutoff-mode", "hard"]),
        ("soft", vec!["--cutoff-mode", "soft"]),
        ("cautious", vec!["--cutoff-mode", "cautious"]),
    ] {
        for limit in ["5k", "6k", "2k"] {
            let mut flags = vec![
                "--max-transfer",
                limit,
                "--transfers",
                "1",
                "--check-first",
                "--order-by",
                "name",
            ];
            flags.extend(code_flags.iter().copied());
            cases.push(
                Case::new(
                    format!("copy max-transfer {limit} {mode}"),
                    &["copy", "{src}", "{dst}"],
                )
                .with(&flags)
                .place("src", TRANSFER_SRC)
                .place("dst", &[]),
            );
        }
    }
    check_all(&world, cases);
}

/// Four 2000-byte objects: `--max-transfer 5k` lets two or three through, by mode.
const TRANSFER_SRC: &[Seed] = &[
    ("t1.bin", &[1u8; 2000], T0),
    ("t2.bin", &[2u8; 2000], T0),
    ("t3.bin", &[3u8; 2000], T0),
    ("t4.bin", &[4u8; 2000], T0),
];

#[test]
fn backups_and_other_destinations_local() {
    let world = World::new(Kind::Local);
    let backups: &[Seed] = &[("b/c.csv", b"an older backup\n", T0 - 5000)];
    let cases = vec![
        Case::new(
            "sync backup-dir",
            &["sync", "{src}", "{root/dst}", "--backup-dir", "{root/bak}"],
        )
        .place("src", SRC)
        .place("root", &prefixed("dst", DST)),
        Case::new(
            "sync backup-dir suffix",
            &[
                "sync",
                "{src}",
                "{root/dst}",
                "--backup-dir",
                "{root/bak}",
                "--suffix",
                ".2026-01-01",
            ],
        )
        .place("src", SRC)
        .place(
            "root",
            &[&prefixed("dst", DST)[..], &prefixed("bak", backups)[..]].concat(),
        ),
        Case::new(
            "copy backup-dir suffix-keep-extension",
            &[
                "copy",
                "{src}",
                "{root/dst}",
                "--backup-dir",
                "{root/bak}",
                "--suffix",
                "-old",
                "--suffix-keep-extension",
            ],
        )
        .place("src", SRC)
        .place("root", &prefixed("dst", DST)),
        Case::new(
            "sync suffix alone",
            &["sync", "{src}", "{dst}", "--suffix", ".bak"],
        )
        .place("src", SRC)
        .place("dst", DST),
        Case::new(
            "sync backup-dir dry-run",
            &[
                "sync",
                "{src}",
                "{root/dst}",
                "--backup-dir",
                "{root/bak}",
                "--dry-run",
            ],
        )
        .place("src", SRC)
        .place("root", &prefixed("dst", DST)),
        Case::new(
            "sync backup-dir inside dst",
            &[
                "sync",
                "{src}",
                "{root/dst}",
                "--backup-dir",
                "{root/dst/bak}",
            ],
        )
        .place("src", SRC)
        .place("root", &prefixed("dst", DST)),
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
        .place("root", &prefixed("prev", DST)),
        Case::new(
            "copy copy-dest",
            &["copy", "{src}", "{root/dst}", "--copy-dest", "{root/prev}"],
        )
        .place("src", SRC)
        .place("root", &prefixed("prev", DST)),
        Case::new(
            "sync copy-dest checksum",
            &[
                "sync",
                "{src}",
                "{root/dst}",
                "--copy-dest",
                "{root/prev}",
                "--checksum",
            ],
        )
        .place("src", SRC)
        .place(
            "root",
            &[&prefixed("prev", SRC)[..], &prefixed("dst", DST)[..]].concat(),
        ),
        Case::new(
            "copy no-check-dest",
            &["copy", "{src}", "{dst}", "--no-check-dest"],
        )
        .place("src", SRC)
        .place("dst", DST),
    ];
    check_all(&world, cases);
}

#[test]
fn listings_after_filters_local() {
    // lsf is the oracle's own view of what a filter selects: compared byte for byte (sorted).
    let world = World::new(Kind::Local);
    let mut cases = Vec::new();
    for (name, flags) in flag_matrix() {
        if [
            "dry-run",
            "check-first",
            "order-by",
            "no-traverse",
            "fast-list",
        ]
        .contains(&name)
        {
            continue;
        }
        cases.push(
            Case::new(format!("lsf -R {name}"), &["lsf", "-R", "{src}"])
                .with(&flags)
                .place("src", SRC)
                .file("rules", "# comment\n- skip/\n+ *.csv\n+ e/**\n- **\n")
                .file("includes", "*.gz\n; comment\nb/*\n")
                .file("excludes", "*.txt\nsp ace/**\n")
                .file(
                    "list",
                    "a.csv\nb/d.txt\n# not a file\n/e/f.gz\nmissing.csv\n",
                )
                .out(Out::Sorted),
        );
    }
    if full() {
        for cmd in ["sync", "copy"] {
            for (name, flags) in flag_matrix() {
                cases
                    .push(case(cmd, &format!("{name} (full)"), &flags).with(&["--transfers", "1"]));
            }
        }
    }
    check_all(&world, cases);
}
