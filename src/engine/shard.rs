//! `--shard K/N`: which objects one of N workers acts on.
//!
//! An object belongs to shard `fmix64(fnv1a64(key)) % N`, where `key` is the object's path
//! relative to the remote's root (the same bytes on the source and the destination), hashed as
//! its UTF-8 bytes with 64-bit FNV-1a and then mixed by MurmurHash3's 64-bit finaliser. Both are
//! a few lines of fixed arithmetic written out here, so the assignment is the same on every
//! platform, build and ocisync version: N workers started with `--shard 0/N` … `--shard N-1/N`
//! split the keys between them exactly once. The finaliser is there because FNV-1a alone
//! spreads keys that differ only in their last bytes poorly over a few shards (its low bit is
//! the parity of the bytes' low bits); the unit tests pin known key → shard values and check
//! the spread. The assignment is documented in docs/scale.md — changing it would make workers
//! of two versions disagree, so it never changes.

use std::fmt;

/// One worker's part of the key space: shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// A `--shard` value that is not `K/N` with `0 <= K < N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not K/N with 0 <= K < N (e.g. 0/3, 1/3, 2/3)")]
pub struct ShardParseError(String);

impl Shard {
    pub fn new(index: u32, count: u32) -> Option<Shard> {
        (index < count).then_some(Shard { index, count })
    }

    /// `K/N`, e.g. `1/3`.
    pub fn parse(s: &str) -> Result<Shard, ShardParseError> {
        let bad = || ShardParseError(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        // Digits only: `+1/3` and `1 /3` are typos, not shards.
        let number = |v: &str| -> Result<u32, ShardParseError> {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            v.parse().map_err(|_| bad())
        };
        Shard::new(number(k)?, number(n)?).ok_or_else(bad)
    }

    pub fn index(&self) -> u32 {
        self.index
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether this shard acts on the object at `key` (its path relative to the remote root).
    pub fn owns(&self, key: &str) -> bool {
        shard_of(key, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = ShardParseError;

    fn from_str(s: &str) -> Result<Shard, ShardParseError> {
        Shard::parse(s)
    }
}

/// Whether `shard` (none: the whole key space) owns `key`.
pub fn owns(shard: Option<&Shard>, key: &str) -> bool {
    shard.is_none_or(|s| s.owns(key))
}

/// The shard of `key` among `count` (`count` > 0).
pub fn shard_of(key: &str, count: u32) -> u32 {
    (fmix64(fnv1a64(key.as_bytes())) % u64::from(count.max(1))) as u32
}

/// 64-bit FNV-1a.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET_BASIS, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// MurmurHash3's 64-bit finaliser: every input bit affects every output bit.
pub fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        // From the FNV reference (draft-eastlake-fnv): the empty string, "a", "foobar".
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    /// Pinned: these values are the documented assignment (docs/scale.md, computed there with
    /// a Python one-liner independent of this code). If this test fails, workers of different
    /// versions would split keys differently: fix the code, never the table.
    #[test]
    fn known_keys_land_in_known_shards() {
        let table: &[(&str, u64, [u32; 4])] = &[
            ("", 0xefd01f60ba992926, [0, 2, 6, 6]),
            ("a", 0x82a2a958a9bece5b, [1, 2, 3, 11]),
            ("b", 0x6e673288764ad2d0, [0, 1, 0, 0]),
            ("c", 0x77093774d2da810e, [0, 0, 6, 14]),
            ("x/y/z.csv", 0xe9aafc9d96cc4f71, [1, 2, 1, 1]),
            (
                "reports/cost-csv/0001/2026-11-27/0000000001.csv.gz",
                0xa75ecbecd7fa1a09,
                [1, 0, 1, 9],
            ),
            (
                "FOCUS Reports/2026/11/27/focus 0001.csv.gz",
                0xe9fb02ebd2e1e06b,
                [1, 2, 3, 11],
            ),
            ("unicodé/ファイル.csv", 0xfe8a6d2cbfb6b3ca, [0, 0, 2, 10]),
        ];
        for (key, mixed, shards) in table {
            assert_eq!(fmix64(fnv1a64(key.as_bytes())), *mixed, "{key:?}");
            for (n, want) in [2, 3, 8, 16].into_iter().zip(shards) {
                assert_eq!(shard_of(key, n), *want, "{key:?} among {n}");
            }
        }
    }

    #[test]
    fn every_key_has_exactly_one_shard() {
        for i in 0..1000 {
            let key = format!("dir/{i}.csv");
            for n in [1, 2, 3, 8] {
                let owners: Vec<u32> = (0..n)
                    .filter(|k| Shard::new(*k, n).unwrap().owns(&key))
                    .collect();
                assert_eq!(owners.len(), 1, "{key} among {n}: {owners:?}");
            }
        }
    }

    /// Keys that differ only in a counter spread evenly (within 10% of the mean) — report
    /// names look like this.
    #[test]
    fn report_shaped_keys_spread_evenly() {
        for n in [2u32, 3, 8] {
            let mut counts = vec![0u32; n as usize];
            for i in 0..10_000 {
                let key = format!("reports/cost-csv/0001/2026-11-27/{i:010}.csv.gz");
                counts[shard_of(&key, n) as usize] += 1;
            }
            let mean = 10_000 / n;
            for c in &counts {
                assert!(c.abs_diff(mean) * 10 < mean, "{n} shards: {counts:?}");
            }
        }
    }

    #[test]
    fn parse_accepts_k_of_n_only() {
        assert_eq!(Shard::parse("0/1"), Ok(Shard { index: 0, count: 1 }));
        assert_eq!(Shard::parse("2/3").unwrap().to_string(), "2/3");
        assert_eq!("7/8".parse::<Shard>().unwrap().index(), 7);
        for bad in [
            "",
            "3",
            "3/3",
            "4/3",
            "0/0",
            "-1/3",
            "+1/3",
            "1/+3",
            "1/3/5",
            "a/3",
            "1/b",
            "1 /3",
            "1/ 3",
            " 1/3",
            "/3",
            "1/",
            "99999999999/3",
        ] {
            assert!(Shard::parse(bad).is_err(), "{bad:?} accepted");
        }
        let e = Shard::parse("3/3").unwrap_err().to_string();
        assert!(e.contains("\"3/3\"") && e.contains("0 <= K < N"), "{e}");
    }

    #[test]
    fn no_shard_owns_everything() {
        assert!(owns(None, "anything"));
        let one = Shard::new(0, 1).unwrap();
        assert!(owns(Some(&one), "anything"));
    }
}
