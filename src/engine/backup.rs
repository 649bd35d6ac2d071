//! Objects kept elsewhere instead of replaced or deleted (`--backup-dir`, `--suffix`), and
//! copies found elsewhere (`--compare-dest`, `--copy-dest`), as rclone's operations do them.
//!
//! A backup is a move within the destination's remote: a server-side copy then a delete where
//! the backend can copy (S3), a rename on file systems, and — where the service has neither
//! (ocisync's OCI service) — the object streamed to its backup key (MD5 checked), then deleted.
//! The original is deleted only once its backup is written.

use std::sync::atomic::Ordering::Relaxed;

use futures::StreamExt;
use ocisync_backend::{Error, ErrorKind, ObjectInfo, Remote, Result};

use super::copy_object::{self, CopyTo};
use super::decide::{CompareOptions, Verdict};
use super::index::Index;
use super::pairing::compare;
use super::rules::{Backup, BackupVia, OtherDest, Rules};
use super::stats::{Stats, size_suffix};
use crate::filter::Filter;

/// Moves `obj` of `dst` to its backup place and name, or says it would (`--dry-run`).
pub async fn save(
    backup: &Backup,
    rules: &Rules,
    dst: &Remote,
    obj: &ObjectInfo,
    dry_run: bool,
    stats: &Stats,
) -> Result<()> {
    let name = rules.backup_name(&obj.path);
    if dry_run {
        tracing::warn!(
            object = %obj.path,
            skipped = "move into backup dir",
            size = obj.size,
            "Skipped move into backup dir as --dry-run is set (size {})",
            size_suffix(obj.size)
        );
        return Ok(());
    }
    match &backup.via {
        BackupVia::ServerSide {
            root,
            dst_prefix,
            backup_prefix,
        } => {
            let (from, to) = (
                format!("{dst_prefix}{}", obj.path),
                format!("{backup_prefix}{name}"),
            );
            server_side_move(root, &from, &to).await?;
        }
        BackupVia::Stream(place) => {
            place.check_key(&name)?;
            copy_object::copy_to(
                dst,
                place,
                obj,
                stats,
                CopyTo {
                    path: Some(&name),
                    options: None,
                },
            )
            .await?;
            dst.op
                .delete(&obj.path)
                .await
                .map_err(|e| dst.error(e, "delete", &obj.path))?;
        }
    }
    tracing::info!(object = %obj.path, "Moved into backup dir");
    Ok(())
}

/// Copies `from` to `to` within one remote (rename where the backend renames), then deletes
/// `from`.
pub async fn server_side_move(root: &Remote, from: &str, to: &str) -> Result<()> {
    let cap = root.op.info().capability();
    if cap.rename {
        return root
            .op
            .rename(from, to)
            .await
            .map_err(|e| root.error(e, "rename", from));
    }
    root.op
        .copy(from, to)
        .await
        .map_err(|e| root.error(e, "copy", from))?;
    root.op
        .delete(from)
        .await
        .map_err(|e| root.error(e, "delete", from))
}

/// Whether the backend copies objects server-side.
pub fn can_copy(r: &Remote) -> bool {
    let cap = r.op.info().capability();
    cap.copy || cap.rename
}

/// Lists every `--compare-dest`/`--copy-dest` place into its index (once, at the start: no
/// per-object request where a listing answers).
pub async fn list_other_dests(others: &[OtherDest], filter: &Filter) -> Result<()> {
    for o in others {
        let mut index = Index::default();
        match o.remote.list(true).await {
            Ok(mut stream) => {
                while let Some(item) = stream.next().await {
                    let obj = item?;
                    if filter.included(&obj.path, obj.size, obj.mtime) {
                        index.push(&obj);
                    }
                }
            }
            // A place that does not exist holds nothing (rclone: object not found).
            Err(e) if e.kind == ErrorKind::DirNotFound => {}
            Err(e) => return Err(e),
        }
        index.finish();
        *o.index.lock().unwrap_or_else(|p| p.into_inner()) = index;
    }
    Ok(())
}

/// What `--compare-dest`/`--copy-dest` found for a source object that needs a transfer.
pub enum Found {
    /// Nothing equal elsewhere: transfer as usual.
    Nothing,
    /// Equal elsewhere and dealt with (skipped, or copied from there).
    Done,
}

/// rclone's `CompareOrCopyDest`: for each place in order, its copy of `obj` (if any) is compared
/// as the destination would be; an equal one skips the transfer (`--compare-dest`) or is copied
/// server-side to the destination (`--copy-dest`).
#[allow(clippy::too_many_arguments)]
pub async fn other_dests(
    rules: &Rules,
    src: &Remote,
    dst: &Remote,
    obj: &ObjectInfo,
    existing: Option<&ObjectInfo>,
    opts: &CompareOptions,
    dry_run: bool,
    stats: &Stats,
) -> Result<Found> {
    for o in &rules.other_dests {
        let found = o
            .index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(&obj.path);
        let Some(there) = found else { continue };
        let (_, verdict) = compare(src, &o.remote, obj.clone(), there.clone(), opts, stats).await?;
        let equal = matches!(verdict, Verdict::Same(_) | Verdict::SameBySizeNoHash);
        if !equal {
            continue;
        }
        if !o.copy_from {
            tracing::debug!(object = %obj.path, "Destination found in --compare-dest, skipping");
            return Ok(Found::Done);
        }
        if dry_run {
            tracing::warn!(
                object = %obj.path,
                skipped = "copy",
                size = obj.size,
                "Skipped copy as --dry-run is set (size {})",
                size_suffix(obj.size)
            );
            return Ok(Found::Done);
        }
        if let (Some(d), Some(b)) = (existing, &rules.backup) {
            save(b, rules, dst, d, dry_run, stats).await?;
        }
        match &o.server_side {
            Some((root, from_prefix, to_prefix)) => {
                let (from, to) = (
                    format!("{from_prefix}{}", obj.path),
                    format!("{to_prefix}{}", obj.path),
                );
                root.op
                    .copy(&from, &to)
                    .await
                    .map_err(|e| root.error(e, "copy", &from))?;
            }
            None => {
                copy_object::copy_to(&o.remote, dst, &there, stats, CopyTo::default()).await?;
            }
        }
        stats.transfers.fetch_add(1, Relaxed);
        tracing::debug!(object = %obj.path, "Destination found in --copy-dest, using server-side copy");
        return Ok(Found::Done);
    }
    Ok(Found::Nothing)
}

/// Deletes a moved object's source once its copy is proven (`move`, `moveto`).
pub async fn delete_source(src: &Remote, obj: &ObjectInfo, dry_run: bool, stats: &Stats) {
    if dry_run {
        return;
    }
    match src.op.delete(&obj.path).await {
        Ok(()) => tracing::debug!(object = %obj.path, "Deleted source after the move"),
        Err(e) => {
            let e: Error = src.error(e, "delete", &obj.path);
            tracing::error!(object = %obj.path, "Couldn't delete: {e}");
            stats.error_of(&e);
        }
    }
}
