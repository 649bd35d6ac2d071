//! Object and directory commands on local directories: delete, deletefile, purge, mkdir, rmdir,
//! rmdirs, touch, rcat.

use super::harness::{Case, Kind, T0, World, check_all};
use super::trees::{DST, SRC};

#[test]
fn deletions_and_directories_local() {
    let world = World::new(Kind::Local);
    let with_empty: Vec<_> = SRC
        .iter()
        .copied()
        .chain([("empty/deeper/", &b""[..], T0), ("b/void/", &b""[..], T0)])
        .collect();
    let cases = vec![
        Case::new("delete", &["delete", "{dst}"])
            .place("dst", DST)
            .dirs(),
        Case::new("delete include", &["delete", "{dst}", "--include", "*.csv"])
            .place("dst", DST)
            .dirs(),
        Case::new(
            "delete rmdirs",
            &["delete", "{dst}", "--include", "*.csv", "--rmdirs"],
        )
        .place("dst", DST)
        .dirs(),
        Case::new("delete dry-run", &["delete", "{dst}", "--dry-run"]).place("dst", DST),
        Case::new(
            "delete max-delete",
            &["delete", "{dst}", "--max-delete", "2"],
        )
        .place("dst", DST)
        .differs("max-delete-all-or-none"),
        Case::new("delete min-age", &["delete", "{dst}", "--min-age", "1d"]).place("dst", DST),
        Case::new("delete a file", &["delete", "{dst/old.csv}"]).place("dst", DST),
        Case::new("deletefile", &["deletefile", "{dst/b/c.csv}"]).place("dst", DST),
        Case::new("deletefile missing", &["deletefile", "{dst/nope.csv}"]).place("dst", DST),
        Case::new("deletefile directory", &["deletefile", "{dst/b}"]).place("dst", DST),
        Case::new("purge", &["purge", "{dst/b}"])
            .place("dst", DST)
            .dirs(),
        Case::new(
            "purge refuses filters",
            &["purge", "{dst/skip}", "--include", "*.txt"],
        )
        .place("dst", DST)
        .dirs()
        .differs("usage-exit-2"),
        Case::new("purge missing", &["purge", "{dst/nope}"])
            .place("dst", DST)
            .differs("missing-path-exit"),
        Case::new("mkdir", &["mkdir", "{dst/new/deeper}"])
            .place("dst", DST)
            .dirs(),
        Case::new("mkdir existing", &["mkdir", "{dst/b}"])
            .place("dst", DST)
            .dirs(),
        Case::new("rmdir non-empty", &["rmdir", "{dst/b}"])
            .place("dst", DST)
            .dirs(),
        Case::new("rmdir empty", &["rmdir", "{dst/empty/deeper}"])
            .place("dst", &with_empty)
            .dirs(),
        Case::new("rmdir missing", &["rmdir", "{dst/nope}"])
            .place("dst", DST)
            .dirs()
            .differs("missing-path-exit"),
        Case::new("rmdirs", &["rmdirs", "{src}"])
            .place("src", &with_empty)
            .dirs(),
        Case::new(
            "rmdirs leave-root",
            &["rmdirs", "{src/empty}", "--leave-root"],
        )
        .place("src", &with_empty)
        .dirs(),
        Case::new(
            "touch new",
            &["touch", "{dst/t/new.txt}", "--timestamp", "260102"],
        )
        .place("dst", DST),
        Case::new(
            "touch existing",
            &["touch", "{dst/a.csv}", "-t", "2026-01-02T03:04:05"],
        )
        .place("dst", DST),
        Case::new("touch no-create", &["touch", "{dst/none.txt}", "-C"]).place("dst", DST),
        Case::new(
            "touch recursive",
            &[
                "touch",
                "{dst/b}",
                "-R",
                "-t",
                "2026-01-02T03:04:05.123456789",
            ],
        )
        .place("dst", DST),
        Case::new("rcat", &["rcat", "{dst/in/stdin.txt}"])
            .place("dst", DST)
            .stdin(b"from stdin\n")
            .no_mtimes(),
    ];
    check_all(&world, cases);
}
