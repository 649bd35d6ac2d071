//! The ceiling: the job's requests and nothing else. The source listing streams through a
//! bounded channel while transfers run (as in ocisync), each small object is one GET and one
//! PUT of the bytes received, and a large one is a multipart upload whose parts are ranged GETs
//! uploaded as they arrive, `part_concurrency` at a time.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::mpsc;

use crate::counts::Counts;
use crate::oci::{Listed, Oci};
use crate::s3::{S3, Stored};
use crate::{BenchError, Result};

/// Listed objects waiting for a transfer slot (ocisync's engine uses the same bound).
const QUEUE: usize = 4096;

/// How hard to push.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Objects in flight (`--transfers`).
    pub concurrency: usize,
    /// Objects larger than this go multipart in parts of this size.
    pub chunk_size: u64,
    /// Parts of one object in flight.
    pub part_concurrency: usize,
}

/// What to do with the listed objects.
pub enum Mode {
    /// List only.
    List,
    /// GET every object and drop the bytes: the source server's own ceiling.
    Read,
    /// GET and PUT every object, or with `changed_only` only those the destination's listing
    /// does not show with the same size and MD5 (the `--checksum` sync).
    Copy { s3: S3, changed_only: bool },
}

pub async fn run(oci: Arc<Oci>, mode: Mode, plan: Plan, counts: Arc<Counts>) -> Result<()> {
    let (tx, mut rx) = mpsc::channel::<Listed>(QUEUE);
    let lister = {
        let (oci, counts) = (oci.clone(), counts.clone());
        tokio::spawn(async move { list_into(&oci, tx, &counts).await })
    };
    let (s3, existing) = match mode {
        Mode::List => {
            while rx.recv().await.is_some() {
                Counts::add(&counts.objects, 1);
            }
            return join(lister).await;
        }
        Mode::Read => (None, None),
        Mode::Copy { s3, changed_only } => {
            let existing = if changed_only {
                Some(s3.list_all(&counts).await?)
            } else {
                None
            };
            (Some(s3), existing)
        }
    };
    let todo = futures::stream::poll_fn(|cx| rx.poll_recv(cx))
        .filter(|o| std::future::ready(existing.as_ref().is_none_or(|e| differs(o, e))))
        .map(Ok::<_, BenchError>);
    let (oci, s3, counts) = (&*oci, s3.as_ref(), &*counts);
    todo.try_for_each_concurrent(plan.concurrency.max(1), |o| async move {
        if o.size > plan.chunk_size {
            transfer_in_parts(oci, s3, &o, plan, counts).await?;
        } else {
            let body = oci.get(&o.name, None, counts).await?;
            Counts::add(&counts.bytes, body.len() as u64);
            if let Some(s3) = s3 {
                s3.put(&o.name, body, counts).await?;
            }
        }
        Counts::add(&counts.objects, 1);
        Ok(())
    })
    .await?;
    join(lister).await
}

async fn join(lister: tokio::task::JoinHandle<Result<()>>) -> Result<()> {
    lister
        .await
        .map_err(|e| BenchError(format!("lister: {e}")))?
}

async fn list_into(oci: &Oci, tx: mpsc::Sender<Listed>, counts: &Counts) -> Result<()> {
    let mut start: Option<String> = None;
    loop {
        let (objects, next) = oci.list_page(start.as_deref(), counts).await?;
        for o in objects {
            if tx.send(o).await.is_err() {
                return Ok(());
            }
        }
        match next {
            Some(n) => start = Some(n),
            None => return Ok(()),
        }
    }
}

/// Not in the destination with the same size and MD5.
fn differs(o: &Listed, existing: &HashMap<String, Stored>) -> bool {
    let Some(d) = existing.get(&o.name) else {
        return true;
    };
    let md5_hex = o
        .md5
        .as_deref()
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .map(|raw| raw.iter().map(|b| format!("{b:02x}")).collect::<String>());
    d.size != o.size || md5_hex.is_none_or(|m| m != d.etag)
}

/// A large object: ranged GETs uploaded as parts (or only read, without a destination).
async fn transfer_in_parts(
    oci: &Oci,
    s3: Option<&S3>,
    o: &Listed,
    plan: Plan,
    counts: &Counts,
) -> Result<()> {
    let parts = o.size.div_ceil(plan.chunk_size);
    let upload_id = match s3 {
        Some(s3) => Some(s3.create_multipart(&o.name, counts).await?),
        None => None,
    };
    let upload_id = upload_id.as_deref();
    let etags: Vec<String> = futures::stream::iter(0..parts)
        .map(|i| async move {
            let first = i * plan.chunk_size;
            let last = (first + plan.chunk_size).min(o.size) - 1;
            let body = oci.get(&o.name, Some((first, last)), counts).await?;
            Counts::add(&counts.bytes, body.len() as u64);
            match (s3, upload_id) {
                (Some(s3), Some(id)) => {
                    s3.upload_part(&o.name, id, i as usize + 1, body, counts)
                        .await
                }
                _ => Ok(String::new()),
            }
        })
        .buffered(plan.part_concurrency.max(1))
        .try_collect()
        .await?;
    if let (Some(s3), Some(id)) = (s3, upload_id) {
        s3.complete_multipart(&o.name, id, &etags, counts).await?;
    }
    Ok(())
}
