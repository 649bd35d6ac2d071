//! The in-memory state of the Object Storage fake: namespaces, buckets, objects and pending
//! multipart uploads, and the listing walk (prefix, start/end bounds, `/` delimiter, pages).

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;
use jiff::Timestamp;

use crate::wire;

/// Storage tier, spelled as OCI spells it in headers and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageTier {
    Standard,
    InfrequentAccess,
    Archive,
}

impl StorageTier {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageTier::Standard => "Standard",
            StorageTier::InfrequentAccess => "InfrequentAccess",
            StorageTier::Archive => "Archive",
        }
    }

    /// Case-insensitive, as the service accepts it.
    pub fn parse(s: &str) -> Option<Self> {
        [
            StorageTier::Standard,
            StorageTier::InfrequentAccess,
            StorageTier::Archive,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

/// Restore state of an object in the Archive tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchivalState {
    Archived,
    Restoring,
    Restored,
}

impl ArchivalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ArchivalState::Archived => "Archived",
            ArchivalState::Restoring => "Restoring",
            ArchivalState::Restored => "Restored",
        }
    }

    /// Whether the content can be read (GetObject) in this state.
    pub fn readable(self) -> bool {
        self == ArchivalState::Restored
    }
}

/// The MD5 OCI reports for an object: the content's for single-part uploads, the MD5 of the
/// parts' binary MD5s for multipart ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectMd5 {
    Whole([u8; 16]),
    Multipart { digest: [u8; 16], parts: usize },
}

impl ObjectMd5 {
    /// Multipart MD5 of parts with these MD5s, in part order.
    pub fn of_parts(part_md5s: &[[u8; 16]]) -> Self {
        let joined: Vec<u8> = part_md5s.iter().flatten().copied().collect();
        ObjectMd5::Multipart {
            digest: wire::md5(&joined),
            parts: part_md5s.len(),
        }
    }

    /// `content-md5` value (base64), single-part objects only.
    pub fn content_md5(&self) -> Option<String> {
        match self {
            ObjectMd5::Whole(d) => Some(wire::base64(d)),
            ObjectMd5::Multipart { .. } => None,
        }
    }

    /// `opc-multipart-md5` value (`<base64>-<parts>`), multipart objects only.
    pub fn multipart_md5(&self) -> Option<String> {
        match self {
            ObjectMd5::Whole(_) => None,
            ObjectMd5::Multipart { digest, parts } => {
                Some(format!("{}-{parts}", wire::base64(digest)))
            }
        }
    }

    /// The `md5` field of list results: either form.
    pub fn listed(&self) -> String {
        self.content_md5()
            .or_else(|| self.multipart_md5())
            .unwrap_or_default()
    }
}

/// Headers stored with an object and returned on HEAD/GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub content_disposition: Option<String>,
    pub cache_control: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StoredObject {
    pub name: String,
    pub data: Bytes,
    pub etag: String,
    pub md5: ObjectMd5,
    pub time_created: Timestamp,
    pub time_modified: Timestamp,
    pub storage_tier: StorageTier,
    /// Set for Archive-tier objects only.
    pub archival_state: Option<ArchivalState>,
    /// User metadata, keys without the `opc-meta-` prefix, lowercase.
    pub metadata: BTreeMap<String, String>,
    pub headers: ContentHeaders,
}

impl StoredObject {
    pub fn size(&self) -> u64 {
        self.data.len() as u64
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .content_type
            .as_deref()
            .unwrap_or("application/octet-stream")
    }
}

#[derive(Debug, Clone)]
pub struct Part {
    pub data: Bytes,
    pub md5: [u8; 16],
    pub etag: String,
}

#[derive(Debug, Clone)]
pub struct MultipartUpload {
    pub object: String,
    pub upload_id: String,
    pub time_created: Timestamp,
    pub storage_tier: StorageTier,
    pub metadata: BTreeMap<String, String>,
    pub headers: ContentHeaders,
    pub parts: BTreeMap<u32, Part>,
}

#[derive(Debug)]
pub struct Bucket {
    pub name: String,
    pub compartment_id: String,
    pub time_created: Timestamp,
    pub etag: String,
    pub objects: BTreeMap<String, StoredObject>,
    /// By upload id.
    pub uploads: BTreeMap<String, MultipartUpload>,
}

impl Bucket {
    pub fn new(name: &str) -> Self {
        Bucket {
            name: name.to_string(),
            compartment_id: "ocid1.compartment.oc1..fakecompartment".to_string(),
            time_created: wire::now_millis(),
            etag: wire::uuid_like(),
            objects: BTreeMap::new(),
            uploads: BTreeMap::new(),
        }
    }
}

/// All namespaces and their buckets.
#[derive(Debug, Default)]
pub struct Store {
    pub namespaces: BTreeMap<String, BTreeMap<String, Bucket>>,
}

impl Store {
    pub fn bucket_mut(&mut self, namespace: &str, bucket: &str) -> &mut Bucket {
        self.namespaces
            .entry(namespace.to_string())
            .or_default()
            .entry(bucket.to_string())
            .or_insert_with(|| Bucket::new(bucket))
    }
}

/// What a ListObjects page asks for (already validated).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefix: String,
    /// Inclusive lower bound.
    pub start: Option<String>,
    /// Exclusive lower bound.
    pub start_after: Option<String>,
    /// Exclusive upper bound.
    pub end: Option<String>,
    /// Group names at the next `/` after the prefix.
    pub delimiter: bool,
    /// Objects plus prefixes on this page.
    pub limit: usize,
}

pub struct ListPage<'a> {
    pub objects: Vec<&'a StoredObject>,
    pub prefixes: Vec<String>,
    /// The name to pass as `start` for the next page.
    pub next_start_with: Option<String>,
}

/// One page of `objects` in name order. With the delimiter, each group of names sharing a
/// prefix up to the next `/` appears once, as a prefix, and a page never ends inside a group
/// already reported, so `nextStartWith` never repeats a prefix.
pub fn list<'a>(objects: &'a BTreeMap<String, StoredObject>, q: &ListQuery) -> ListPage<'a> {
    let mut lower: Bound<String> = Bound::Included(q.prefix.clone());
    if let Some(start) = &q.start
        && start.as_str() > bound_value(&lower)
    {
        lower = Bound::Included(start.clone());
    }
    if let Some(after) = &q.start_after
        && after.as_str() >= bound_value(&lower)
    {
        lower = Bound::Excluded(after.clone());
    }
    let mut page = ListPage {
        objects: Vec::new(),
        prefixes: Vec::new(),
        next_start_with: None,
    };
    let mut taken = 0;
    while let Some((name, object)) = objects
        .range::<String, _>((lower.clone(), Bound::Unbounded))
        .next()
    {
        if !name.starts_with(&q.prefix) || q.end.as_ref().is_some_and(|end| name >= end) {
            break;
        }
        if taken == q.limit {
            page.next_start_with = Some(name.clone());
            break;
        }
        taken += 1;
        let rest = &name[q.prefix.len()..];
        match rest.find('/').filter(|_| q.delimiter) {
            Some(slash) => {
                let group = name[..q.prefix.len() + slash + 1].to_string();
                // Every name in the group starts with `group`, which ends in '/'; the first
                // name after them is at or above the group with '/' raised to '0'.
                let mut after_group = group[..group.len() - 1].to_string();
                after_group.push('0');
                page.prefixes.push(group);
                lower = Bound::Included(after_group);
            }
            None => {
                page.objects.push(object);
                lower = Bound::Excluded(name.clone());
            }
        }
    }
    page
}

fn bound_value(bound: &Bound<String>) -> &str {
    match bound {
        Bound::Included(s) | Bound::Excluded(s) => s,
        Bound::Unbounded => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(names: &[&str]) -> BTreeMap<String, StoredObject> {
        names
            .iter()
            .map(|n| {
                let o = StoredObject {
                    name: n.to_string(),
                    data: Bytes::new(),
                    etag: String::new(),
                    md5: ObjectMd5::Whole([0; 16]),
                    time_created: Timestamp::UNIX_EPOCH,
                    time_modified: Timestamp::UNIX_EPOCH,
                    storage_tier: StorageTier::Standard,
                    archival_state: None,
                    metadata: BTreeMap::new(),
                    headers: ContentHeaders::default(),
                };
                (n.to_string(), o)
            })
            .collect()
    }

    fn names<'a>(page: &ListPage<'a>) -> Vec<&'a str> {
        page.objects.iter().map(|o| o.name.as_str()).collect()
    }

    #[test]
    fn pages_with_delimiter_never_repeat_a_prefix() {
        let all = objects(&["a/1", "a/2", "a0", "b", "c/x/1", "c/y", "d"]);
        let mut q = ListQuery {
            delimiter: true,
            limit: 2,
            ..Default::default()
        };
        let mut seen_objects = Vec::new();
        let mut seen_prefixes = Vec::new();
        loop {
            let page = list(&all, &q);
            seen_objects.extend(names(&page).into_iter().map(str::to_string));
            seen_prefixes.extend(page.prefixes.clone());
            match page.next_start_with {
                Some(next) => q.start = Some(next),
                None => break,
            }
        }
        assert_eq!(seen_objects, ["a0", "b", "d"]);
        assert_eq!(seen_prefixes, ["a/", "c/"]);
    }

    #[test]
    fn bounds_and_prefix() {
        let all = objects(&["r/1", "r/2", "r/3", "r/4", "s"]);
        let q = |start: Option<&str>, after: Option<&str>, end: Option<&str>| ListQuery {
            prefix: "r/".into(),
            start: start.map(Into::into),
            start_after: after.map(Into::into),
            end: end.map(Into::into),
            delimiter: false,
            limit: 1000,
        };
        assert_eq!(
            names(&list(&all, &q(None, None, None))),
            ["r/1", "r/2", "r/3", "r/4"]
        );
        assert_eq!(
            names(&list(&all, &q(Some("r/2"), None, Some("r/4")))),
            ["r/2", "r/3"]
        );
        assert_eq!(
            names(&list(&all, &q(None, Some("r/2"), None))),
            ["r/3", "r/4"]
        );
        assert_eq!(
            names(&list(&all, &q(Some("a"), None, None))),
            ["r/1", "r/2", "r/3", "r/4"]
        );
        let page = list(
            &all,
            &ListQuery {
                limit: 3,
                ..q(None, None, None)
            },
        );
        assert_eq!(page.next_start_with.as_deref(), Some("r/4"));
        let tree = objects(&["p/a/1", "p/a/2", "p/b"]);
        let nested = list(
            &tree,
            &ListQuery {
                prefix: "p/".into(),
                delimiter: true,
                limit: 10,
                ..Default::default()
            },
        );
        assert_eq!(nested.prefixes, ["p/a/"]);
        assert_eq!(names(&nested), ["p/b"]);
    }

    #[test]
    fn multipart_md5_forms() {
        let a = wire::md5(b"part one");
        let b = wire::md5(b"part two");
        let md5 = ObjectMd5::of_parts(&[a, b]);
        let mut joined = a.to_vec();
        joined.extend_from_slice(&b);
        let expected = format!("{}-2", wire::base64(&wire::md5(&joined)));
        assert_eq!(md5.multipart_md5().as_deref(), Some(expected.as_str()));
        assert_eq!(md5.listed(), expected);
        assert_eq!(md5.content_md5(), None);
    }
}
