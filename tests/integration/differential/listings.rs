//! Listing and hash commands compared byte for byte (sorted where rclone prints in parallel):
//! lsd, tree, md5sum, sha1sum, hashsum, cat — on local directories, `rclone serve s3` and the
//! fake OCI service.

use super::harness::{Case, Kind, Out, World, check_all};
use super::trees::SRC;

fn listing_cases(kind: Kind) -> Vec<Case> {
    let l = |name: &str, args: &[&str], out: Out| Case::new(name, args).place("src", SRC).out(out);
    let mut cases = vec![
        l("md5sum", &["md5sum", "{src}"], Out::Sorted),
        l(
            "md5sum include",
            &["md5sum", "{src}", "--include", "*.csv"],
            Out::Sorted,
        ),
        l(
            "md5sum download",
            &["md5sum", "{src}", "--download"],
            Out::Sorted,
        ),
        l(
            "md5sum base64",
            &["md5sum", "{src}", "--base64"],
            Out::Sorted,
        ),
        l("md5sum one file", &["md5sum", "{src/b/c.csv}"], Out::Exact),
        l(
            "sha1sum download",
            &["sha1sum", "{src}", "--download"],
            Out::Sorted,
        ),
        l("hashsum MD5", &["hashsum", "MD5", "{src}"], Out::Sorted),
        l(
            "hashsum sha256 download",
            &["hashsum", "sha256", "{src}", "--download"],
            Out::Sorted,
        ),
        l("cat a file", &["cat", "{src/a.csv}"], Out::Exact),
        l("cat a directory", &["cat", "{src/b}"], Out::Exact),
        l(
            "cat head",
            &["cat", "{src/big.bin}", "--head", "10"],
            Out::Exact,
        ),
        l(
            "cat tail",
            &["cat", "{src/e/f.gz}", "--tail", "4"],
            Out::Exact,
        ),
        l(
            "cat offset count",
            &["cat", "{src/e/f.gz}", "--offset", "2", "--count", "3"],
            Out::Exact,
        ),
        l(
            "cat negative offset",
            &["cat", "{src/e/f.gz}", "--offset", "-5"],
            Out::Exact,
        ),
        l(
            "cat separator",
            &["cat", "{src/b}", "--separator", "--\n"],
            Out::Exact,
        ),
        l("cat discard", &["cat", "{src/b}", "--discard"], Out::Exact),
        l("cat missing", &["cat", "{src/nope.csv}"], Out::Exact),
        l("lsf -R", &["lsf", "-R", "{src}"], Out::Sorted),
        l("lsf dirs", &["lsf", "--dirs-only", "{src}"], Out::Exact),
        l(
            "lsf max-depth",
            &["lsf", "-R", "--max-depth", "2", "{src}"],
            Out::Sorted,
        ),
        l("size", &["size", "{src}"], Out::Exact),
        l(
            "ls include-from",
            &["ls", "{src}", "--include-from", "{file:inc}"],
            Out::Sorted,
        )
        .file("inc", "*.csv\n"),
    ];
    if kind == Kind::Local {
        // Directories with their own times and sizes: file systems only (an object store's
        // prefixes have the time of the listing).
        cases.extend([
            l("lsd", &["lsd", "{src}"], Out::Exact),
            l("lsd -R", &["lsd", "-R", "{src}"], Out::Sorted),
            l("sha1sum", &["sha1sum", "{src}"], Out::Sorted),
            l(
                "hashsum sha256",
                &["hashsum", "sha256", "{src}"],
                Out::Sorted,
            ),
        ]);
    }
    cases.extend([
        l("tree", &["tree", "{src}"], Out::Exact),
        l("tree all sizes", &["tree", "-a", "-s", "{src}"], Out::Exact),
        l("tree dirs-only", &["tree", "-d", "{src}"], Out::Exact),
        l("tree level", &["tree", "--level", "1", "{src}"], Out::Exact),
        l(
            "tree quote noreport",
            &["tree", "-Q", "--noreport", "{src}"],
            Out::Exact,
        ),
        l(
            "tree full-path",
            &["tree", "--full-path", "{src}"],
            Out::Exact,
        ),
        l("tree reverse", &["tree", "-r", "{src}"], Out::Exact),
        l(
            "tree include",
            &["tree", "{src}", "--include", "*.csv"],
            Out::Exact,
        ),
    ]);
    cases
}

#[test]
fn listings_local() {
    check_all(&World::new(Kind::Local), listing_cases(Kind::Local));
}

#[test]
fn listings_serve_s3() {
    check_all(&World::new(Kind::ServeS3), listing_cases(Kind::ServeS3));
}

#[test]
fn listings_oci() {
    check_all(&World::new(Kind::Oci), listing_cases(Kind::Oci));
}
