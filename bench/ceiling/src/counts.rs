//! Requests the ceiling client sent, by server and kind, printed with its result.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

#[derive(Debug, Default)]
pub struct Counts {
    pub oci_list: AtomicU64,
    pub oci_get: AtomicU64,
    pub s3_list: AtomicU64,
    pub s3_put: AtomicU64,
    pub s3_multipart_create: AtomicU64,
    pub s3_upload_part: AtomicU64,
    pub s3_multipart_complete: AtomicU64,
    pub objects: AtomicU64,
    pub bytes: AtomicU64,
}

/// [`Counts`] as plain numbers.
#[derive(Debug, Serialize)]
pub struct CountsSnapshot {
    pub oci_list: u64,
    pub oci_get: u64,
    pub s3_list: u64,
    pub s3_put: u64,
    pub s3_multipart_create: u64,
    pub s3_upload_part: u64,
    pub s3_multipart_complete: u64,
    pub objects: u64,
    pub bytes: u64,
}

impl Counts {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub fn snapshot(&self) -> CountsSnapshot {
        CountsSnapshot {
            oci_list: self.oci_list.load(Relaxed),
            oci_get: self.oci_get.load(Relaxed),
            s3_list: self.s3_list.load(Relaxed),
            s3_put: self.s3_put.load(Relaxed),
            s3_multipart_create: self.s3_multipart_create.load(Relaxed),
            s3_upload_part: self.s3_upload_part.load(Relaxed),
            s3_multipart_complete: self.s3_multipart_complete.load(Relaxed),
            objects: self.objects.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
        }
    }
}
