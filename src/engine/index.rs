//! The destination listing as the engine holds it during a sync: every name in one string
//! arena and a sorted vector of fixed-size entries, about 56 bytes plus the name per object
//! (a `HashMap<String, ObjectInfo>` costs several times that). Looking a name up is a binary
//! search; matched entries are marked, and what is left unmatched is what a sync deletes.

use jiff::Timestamp;
use ocisync_backend::{Md5, ObjectInfo};

const HAS_MD5: u8 = 1;
const HAS_MTIME: u8 = 2;
const MTIME_EXACT: u8 = 4;
const MD5_OBTAINABLE: u8 = 8;
const MATCHED: u8 = 16;

#[derive(Clone, Copy)]
struct Entry {
    name_at: u64,
    name_len: u32,
    mtime_nanos: u32,
    size: u64,
    mtime_secs: i64,
    md5: [u8; 16],
    flags: u8,
}

#[derive(Default)]
pub struct Index {
    names: String,
    entries: Vec<Entry>,
}

impl Index {
    pub fn push(&mut self, o: &ObjectInfo) {
        let mut flags = 0;
        if o.md5.is_some() {
            flags |= HAS_MD5;
        }
        if o.mtime.is_some() {
            flags |= HAS_MTIME;
        }
        if o.mtime_exact {
            flags |= MTIME_EXACT;
        }
        if o.md5_obtainable {
            flags |= MD5_OBTAINABLE;
        }
        let t = o.mtime.unwrap_or(Timestamp::UNIX_EPOCH);
        self.entries.push(Entry {
            name_at: self.names.len() as u64,
            name_len: o.path.len() as u32,
            mtime_nanos: t.subsec_nanosecond() as u32,
            size: o.size,
            mtime_secs: t.as_second(),
            md5: o.md5.map(|m| m.0).unwrap_or_default(),
            flags,
        });
        self.names.push_str(&o.path);
    }

    fn name(&self, e: &Entry) -> &str {
        &self.names[e.name_at as usize..e.name_at as usize + e.name_len as usize]
    }

    /// Sorts by name (object-store listings already are) and drops duplicate names.
    pub fn finish(&mut self) {
        let names = &self.names;
        let name = |e: &Entry| &names[e.name_at as usize..e.name_at as usize + e.name_len as usize];
        if !self.entries.is_sorted_by(|a, b| name(a) <= name(b)) {
            self.entries.sort_unstable_by(|a, b| name(a).cmp(name(b)));
        }
        self.entries.dedup_by(|a, b| name(a) == name(b));
        self.entries.shrink_to_fit();
        self.names.shrink_to_fit();
    }

    /// The name pushed last.
    pub fn last_name(&self) -> Option<&str> {
        self.entries.last().map(|e| self.name(e))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn info(&self, e: &Entry) -> ObjectInfo {
        let mut o = ObjectInfo::file(self.name(e), e.size);
        if e.flags & HAS_MTIME != 0 {
            o.mtime = Timestamp::new(e.mtime_secs, e.mtime_nanos as i32).ok();
        }
        if e.flags & HAS_MD5 != 0 {
            o.md5 = Some(Md5(e.md5));
        }
        o.mtime_exact = e.flags & MTIME_EXACT != 0;
        o.md5_obtainable = e.flags & MD5_OBTAINABLE != 0;
        o
    }

    /// The entry for `path`, marked as matched so it is not left over for deletion.
    pub fn take(&mut self, path: &str) -> Option<ObjectInfo> {
        let i = self
            .entries
            .binary_search_by(|e| self.name(e).cmp(path))
            .ok()?;
        if self.entries[i].flags & MATCHED != 0 {
            return None;
        }
        self.entries[i].flags |= MATCHED;
        Some(self.info(&self.entries[i]))
    }

    /// Entries never taken: on the destination only.
    pub fn unmatched(&self) -> impl Iterator<Item = ObjectInfo> + '_ {
        self.entries
            .iter()
            .filter(|e| e.flags & MATCHED == 0)
            .map(|e| self.info(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(path: &str, size: u64) -> ObjectInfo {
        let mut o = ObjectInfo::file(path, size);
        o.mtime = Timestamp::new(1_700_000_000, 123).ok();
        o.mtime_exact = true;
        o.md5 = Some(Md5::of(path.as_bytes()));
        o
    }

    #[test]
    fn lookups_marks_and_leftovers() {
        let mut idx = Index::default();
        for (p, s) in [("b/2", 2), ("a/1", 1), ("c", 3), ("a/1", 1)] {
            idx.push(&obj(p, s));
        }
        idx.finish();
        assert_eq!(idx.len(), 3, "duplicates dropped");
        let a = idx.take("a/1").unwrap();
        assert_eq!(a, obj("a/1", 1), "round trip keeps size, time, md5, flags");
        assert!(idx.take("a/1").is_none(), "taken once");
        assert!(idx.take("zzz").is_none());
        let left: Vec<_> = idx.unmatched().map(|o| o.path.to_string()).collect();
        assert_eq!(left, ["b/2", "c"]);
    }
}
