//! move, moveto and copyto between local directories: what moves, what stays, what a
//! dry run or a filter leaves alone.

use super::harness::{Case, Kind, World, check_all};
use super::trees::{DST, SRC};

#[test]
fn moves_and_single_objects_local() {
    let world = World::new(Kind::Local);
    let cases = vec![
        Case::new("move", &["move", "{src}", "{dst}"])
            .place("src", SRC)
            .place("dst", DST),
        Case::new("move checksum", &["move", "{src}", "{dst}", "--checksum"])
            .place("src", SRC)
            .place("dst", DST),
        Case::new(
            "move include",
            &["move", "{src}", "{dst}", "--include", "*.csv"],
        )
        .place("src", SRC)
        .place("dst", DST),
        Case::new("move dry-run", &["move", "{src}", "{dst}", "--dry-run"])
            .place("src", SRC)
            .place("dst", DST),
        Case::new(
            "move ignore-existing",
            &["move", "{src}", "{dst}", "--ignore-existing"],
        )
        .place("src", SRC)
        .place("dst", DST),
        Case::new(
            "move delete-empty-src-dirs",
            &["move", "{src}", "{dst}", "--delete-empty-src-dirs"],
        )
        .place("src", SRC)
        .place("dst", &[])
        .dirs(),
        Case::new(
            "moveto a file",
            &["moveto", "{src/b/c.csv}", "{dst/renamed/c2.csv}"],
        )
        .place("src", SRC)
        .place("dst", DST),
        Case::new(
            "moveto over an equal file",
            &["moveto", "{src/a.csv}", "{dst/a.csv}"],
        )
        .place("src", SRC)
        .place("dst", DST),
        Case::new("moveto a directory", &["moveto", "{src/b}", "{dst/bb}"])
            .place("src", SRC)
            .place("dst", DST),
        Case::new(
            "copyto a file",
            &["copyto", "{src/e/f.gz}", "{dst/f-copy.gz}"],
        )
        .place("src", SRC)
        .place("dst", DST),
        Case::new(
            "copyto onto a changed file",
            &["copyto", "{src/b/c.csv}", "{dst/b/c.csv}"],
        )
        .place("src", SRC)
        .place("dst", DST),
        Case::new(
            "copyto a directory",
            &["copyto", "{src/deep}", "{dst/deep2}"],
        )
        .place("src", SRC)
        .place("dst", DST),
        Case::new(
            "copyto dry-run",
            &["copyto", "{src/a.csv}", "{dst/z.csv}", "--dry-run"],
        )
        .place("src", SRC)
        .place("dst", DST),
        Case::new(
            "copyto a missing source",
            &["copyto", "{src/nope.csv}", "{dst/z.csv}"],
        )
        .place("src", SRC)
        .place("dst", DST),
    ];
    check_all(&world, cases);
}
