//! Objects placed in the fake without HTTP, and a generator of buckets shaped like OCI's cost
//! and usage report bucket (namespace `bling`), with deterministic names, times and content.

use std::collections::BTreeMap;

use bytes::Bytes;
use jiff::{SignedDuration, Timestamp};

use super::store::{ArchivalState, ContentHeaders, ObjectMd5, StorageTier, StoredObject};
use crate::wire;

/// An object to seed. Defaults: Standard tier, modified now, no metadata, single-part MD5.
#[derive(Debug, Clone)]
pub struct SeedObject {
    name: String,
    data: Bytes,
    storage_tier: StorageTier,
    archival_state: Option<ArchivalState>,
    time_modified: Option<Timestamp>,
    metadata: BTreeMap<String, String>,
    content_type: Option<String>,
    part_size: Option<usize>,
}

impl SeedObject {
    pub fn new(name: impl Into<String>, data: impl Into<Bytes>) -> Self {
        SeedObject {
            name: name.into(),
            data: data.into(),
            storage_tier: StorageTier::Standard,
            archival_state: None,
            time_modified: None,
            metadata: BTreeMap::new(),
            content_type: None,
            part_size: None,
        }
    }

    /// Archive implies the `Archived` state unless [`SeedObject::archival_state`] says otherwise.
    pub fn tier(mut self, tier: StorageTier) -> Self {
        self.storage_tier = tier;
        self
    }

    pub fn archival_state(mut self, state: ArchivalState) -> Self {
        self.archival_state = Some(state);
        self
    }

    /// Creation and modification time (kept at millisecond precision, as OCI lists them).
    pub fn modified(mut self, time: Timestamp) -> Self {
        self.time_modified = Some(time);
        self
    }

    /// User metadata; `key` without the `opc-meta-` prefix.
    pub fn meta(mut self, key: &str, value: &str) -> Self {
        self.metadata
            .insert(key.to_ascii_lowercase(), value.to_string());
        self
    }

    pub fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = Some(content_type.to_string());
        self
    }

    /// Store it as if uploaded in parts of `part_size` bytes: `opc-multipart-md5` instead of
    /// `content-md5`, and the `<base64>-<N>` form in listings.
    pub fn multipart(mut self, part_size: usize) -> Self {
        self.part_size = Some(part_size.max(1));
        self
    }

    pub(super) fn into_stored(self) -> StoredObject {
        let md5 = match self.part_size {
            None => ObjectMd5::Whole(wire::md5(&self.data)),
            Some(size) => {
                let parts: Vec<[u8; 16]> = if self.data.is_empty() {
                    vec![wire::md5(&[])]
                } else {
                    self.data.chunks(size).map(wire::md5).collect()
                };
                ObjectMd5::of_parts(&parts)
            }
        };
        let time = wire::truncate_to_millis(self.time_modified.unwrap_or_else(Timestamp::now));
        let archival_state = self
            .archival_state
            .or((self.storage_tier == StorageTier::Archive).then_some(ArchivalState::Archived));
        StoredObject {
            name: self.name,
            data: self.data,
            etag: wire::uuid_like(),
            md5,
            time_created: time,
            time_modified: time,
            storage_tier: self.storage_tier,
            archival_state,
            metadata: self.metadata,
            headers: ContentHeaders {
                content_type: self.content_type,
                ..Default::default()
            },
        }
    }
}

/// A `bling`-shaped bucket: cost reports, (deprecated) usage reports and FOCUS reports.
#[derive(Debug, Clone)]
pub struct BlingSpec {
    pub objects: usize,
    /// Object sizes are drawn uniformly from `min_size..=max_size`.
    pub min_size: usize,
    pub max_size: usize,
    /// Same seed, same names, sizes, times and bytes.
    pub seed: u64,
    /// The newest report's time; the rest go back about a year (OCI's retention).
    pub newest: Timestamp,
}

impl Default for BlingSpec {
    fn default() -> Self {
        BlingSpec {
            objects: 100,
            min_size: 1024,
            max_size: 64 * 1024,
            seed: 1,
            newest: Timestamp::now(),
        }
    }
}

/// The objects of a `bling` bucket, oldest first: half `reports/cost-csv/<16 digits>.csv.gz`
/// (newer ones with a `-00001` part suffix), a fifth `reports/usage-csv/<16 digits>.csv.gz`,
/// the rest `FOCUS Reports/YYYY/MM/DD/<16 digits>-00001.csv.gz`. Content is pseudo-random (it
/// stands for gzip data) and deterministic per object.
pub fn bling_objects(spec: &BlingSpec) -> impl Iterator<Item = SeedObject> + '_ {
    let span = SignedDuration::from_hours(365 * 24);
    let step = span / i32::try_from(spec.objects.max(1)).unwrap_or(i32::MAX);
    (0..spec.objects).map(move |i| {
        let mut rng = SplitMix64::new(spec.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let back = i32::try_from(spec.objects - 1 - i).unwrap_or(i32::MAX);
        let modified = spec.newest.checked_sub(step * back).unwrap_or(spec.newest);
        let sequence = 1_000_000_600_000 + i as u64;
        let name = match i % 10 {
            0..=4 if i < spec.objects / 2 => format!("reports/cost-csv/{sequence:016}.csv.gz"),
            0..=4 => format!("reports/cost-csv/{sequence:016}-00001.csv.gz"),
            5 | 6 => format!("reports/usage-csv/{sequence:016}.csv.gz"),
            _ => {
                let day = modified.strftime("%Y/%m/%d");
                format!("FOCUS Reports/{day}/{sequence:016}-00001.csv.gz")
            }
        };
        let spread = spec.max_size.saturating_sub(spec.min_size) as u64 + 1;
        let size = spec.min_size + (rng.next() % spread) as usize;
        SeedObject::new(name, rng.bytes(size))
            .content_type("application/x-gzip")
            .modified(modified)
    })
}

/// A tiny deterministic generator (SplitMix64): fast enough to fill hundreds of MiB for the
/// benchmark, and stable across platforms and crate versions, unlike a general RNG.
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn bytes(&mut self, len: usize) -> Bytes {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        Bytes::from(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bling_bucket_is_deterministic_and_report_shaped() {
        let spec = BlingSpec {
            objects: 40,
            min_size: 10,
            max_size: 20,
            seed: 7,
            newest: "2025-06-01T00:00:00Z".parse().unwrap(),
        };
        let a: Vec<StoredObject> = bling_objects(&spec).map(SeedObject::into_stored).collect();
        let b: Vec<StoredObject> = bling_objects(&spec).map(SeedObject::into_stored).collect();
        assert_eq!(a.len(), 40);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (&x.name, &x.data, x.time_modified),
                (&y.name, &y.data, y.time_modified)
            );
            assert!((10..=20).contains(&x.data.len()), "{}", x.data.len());
        }
        let names: std::collections::BTreeSet<&str> = a.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names.len(), 40, "names are unique");
        assert!(names.contains("reports/cost-csv/0001000000600000.csv.gz"));
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("reports/cost-csv/") && n.ends_with("-00001.csv.gz"))
        );
        assert!(names.iter().any(|n| n.starts_with("reports/usage-csv/")));
        assert!(names.contains("FOCUS Reports/2025/06/01/0001000000600039-00001.csv.gz"));
        assert_eq!(a.last().unwrap().time_modified, spec.newest);
        assert!(a[0].time_modified < spec.newest - SignedDuration::from_hours(24 * 300));
        let other = bling_objects(&BlingSpec {
            seed: 8,
            ..spec.clone()
        })
        .next()
        .unwrap()
        .into_stored();
        assert_ne!(other.data, a[0].data, "the seed changes the content");
    }

    #[test]
    fn multipart_seed_md5() {
        let o = SeedObject::new("x", vec![1u8; 25])
            .multipart(10)
            .into_stored();
        let parts = [wire::md5(&[1; 10]), wire::md5(&[1; 10]), wire::md5(&[1; 5])];
        assert_eq!(o.md5, ObjectMd5::of_parts(&parts));
        assert_eq!(
            o.md5.multipart_md5().unwrap().rsplit_once('-').unwrap().1,
            "3"
        );
        let archived = SeedObject::new("y", "z")
            .tier(StorageTier::Archive)
            .into_stored();
        assert_eq!(archived.archival_state, Some(ArchivalState::Archived));
    }
}
