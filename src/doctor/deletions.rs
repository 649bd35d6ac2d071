//! For a `SRC DST` pair: what a `sync` would delete from DST right now — the objects DST holds
//! that SRC does not list — counted from one listing of each side (no per-object request).
//!
//! This is the number to know before the first unattended sync: OCI keeps cost reports for a
//! year, so a plain `sync` deletes the S3 copy of each report once it expires at the source; a
//! `copy`, or `sync --backup-dir`, keeps them.

use futures::StreamExt;
use ocisync_backend::Remote;

use super::Verdict;
use super::plan::Doctor;
use crate::engine::index::Index;
use crate::engine::stats::human_bytes;

/// Objects of `dst` absent from `src`: (count, bytes, a few names), or the listing's error.
async fn pending(src: &Remote, dst: &Remote) -> ocisync_backend::Result<(u64, u64, Vec<String>)> {
    let mut index = Index::default();
    let mut listing = src.list(true).await?;
    while let Some(item) = listing.next().await {
        index.push(&item?);
    }
    index.finish();
    let (mut count, mut bytes, mut names) = (0u64, 0u64, Vec::new());
    let mut listing = dst.list(true).await?;
    while let Some(item) = listing.next().await {
        let o = item?;
        if index.take(&o.path).is_none() {
            count += 1;
            bytes += o.size;
            if names.len() < 3 {
                names.push(o.path.to_string());
            }
        }
    }
    Ok((count, bytes, names))
}

/// Adds the `sync would delete` finding for the pair.
pub async fn check(d: &mut Doctor, src_spec: &str, dst_spec: &str) {
    const CHECK: &str = "sync would delete";
    let subject = crate::app::shown(dst_spec);
    let (src, dst) = match (open(d, src_spec).await, open(d, dst_spec).await) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(e), _) | (_, Err(e)) => {
            d.add(
                CHECK,
                &subject,
                Verdict::Skip,
                format!("not checked: {e}"),
                None,
            );
            return;
        }
    };
    match pending(&src, &dst).await {
        Ok((0, _, _)) => {
            d.add(
                CHECK,
                &subject,
                Verdict::Ok,
                "nothing: every object of DST is in SRC (listings only)",
                None,
            );
        }
        Ok((count, bytes, names)) => {
            d.add(
                CHECK,
                &subject,
                Verdict::Warn,
                format!(
                    "{count} objects ({}) are in DST but not in SRC — e.g. {} — and a sync deletes them",
                    human_bytes(bytes),
                    names.join(", ")
                ),
                Some(format!(
                    "if they must stay (OCI deletes cost reports after a year; their S3 copies \
                     are the archive), run `copy` instead of `sync`, or keep what a sync removes \
                     with `--backup-dir {}`; `ocisync sync --dry-run {} {}` lists each deletion",
                    backup_hint(dst_spec),
                    crate::app::shown(src_spec),
                    subject
                )),
            );
        }
        Err(e) => {
            d.add(
                CHECK,
                &subject,
                Verdict::Skip,
                format!("not checked: {e}"),
                None,
            );
        }
    }
}

async fn open(d: &Doctor, spec: &str) -> Result<Remote, String> {
    let path = crate::remote_path::RemotePath::parse(spec).map_err(|e| e.to_string())?;
    d.resolver.open(&path).await.map_err(|e| e.to_string())
}

/// A backup place next to the destination (`s3:bucket/oci-sync` → `s3:bucket/oci-sync-deleted`).
fn backup_hint(dst: &str) -> String {
    format!("{}-deleted", crate::app::shown(dst).trim_end_matches('/'))
}
