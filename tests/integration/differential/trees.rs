//! The trees the cases start from.

use super::harness::{Seed, T0};

/// The source: cost-report-like names, awkward ones, nested directories, a marker file.
pub const SRC: &[Seed] = &[
    ("a.csv", b"a-1\n", T0),
    ("b/c.csv", b"c-2\n", T0 + 1),
    ("b/d.txt", b"d-3\n", T0 + 2),
    ("e/f.gz", b"f-4-gz-bytes\n", T0 + 3),
    (
        "sp ace/\u{fc}n\u{ef} c\u{f8}d\u{e9}.csv",
        b"unicode\n",
        T0 + 4,
    ),
    ("x+y%z#q=@.csv", b"punct\n", T0 + 5),
    ("deep/er/still/z.csv", b"zz\n", T0 + 6),
    ("skip/.ignore", b"", T0 + 7),
    ("skip/kept-out.csv", b"no\n", T0 + 8),
    ("upd.csv", b"src-version\n", T0),
    ("big.bin", &[7u8; 3000], T0 + 9),
    ("CAPS.CSV", b"caps\n", T0 + 10),
];

/// The destination: one equal object, one changed, one changed in content only (same size and
/// time), one newer, and objects the source lacks.
pub const DST: &[Seed] = &[
    ("a.csv", b"a-1\n", T0),
    ("b/c.csv", b"c-OLD-version\n", T0 - 100),
    ("b/d.txt", b"d-9\n", T0 + 2),
    ("upd.csv", b"dst-version-newer\n", T0 + 1000),
    ("old.csv", b"old\n", T0 - 200),
    ("e/old.tmp", b"tmp\n", T0 - 300),
    ("skip/dst-only.csv", b"dst\n", T0 - 5),
];

/// `seeds` under `dir/`.
pub fn prefixed(dir: &str, seeds: &[Seed]) -> Vec<Seed> {
    seeds
        .iter()
        .map(|(n, d, t)| {
            let name: &'static str = Box::leak(format!("{dir}/{n}").into_boxed_str());
            (name, *d, *t)
        })
        .collect()
}
