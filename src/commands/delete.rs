//! `delete`, `deletefile` and `purge`, with sync's safety: the whole listing comes first and
//! nothing is deleted when it failed; `--max-delete` counts first and deletes none when more
//! would go (exit 7); `--dry-run` says what would go; one failed deletion does not stop the
//! others, and the run ends with rclone's exit code.

use std::sync::atomic::Ordering::Relaxed;

use futures::StreamExt;
use ocisync_backend::{ObjectInfo, Remote};

use super::objects::{self, Failure, Target, has_directories, walk};
use crate::cli::DeleteArgs;
use crate::engine::stats::{Stats, size_suffix};
use crate::exitcode;
use crate::filter::Filter;
use crate::resolve::Resolver;

/// How a deletion command runs.
pub struct DeleteOptions {
    pub dry_run: bool,
    pub max_delete: Option<u64>,
    pub checkers: usize,
}

/// `delete PATH [--rmdirs]`: the objects under the path that pass the filters.
pub async fn delete(resolver: &Resolver, a: &DeleteArgs, filter: &Filter, o: &DeleteOptions) -> u8 {
    objects::finish(delete_inner(resolver, a, filter, o).await)
}

async fn delete_inner(
    resolver: &Resolver,
    a: &DeleteArgs,
    filter: &Filter,
    o: &DeleteOptions,
) -> Result<u8, Failure> {
    let (remote, entries) = match objects::target(resolver, &a.target.remote).await? {
        Target::File { parent, obj } => {
            if !filter.is_empty() {
                return Err(Failure::new(
                    exitcode::USAGE,
                    format!(
                        "can't limit to single files when using filters: {}",
                        crate::app::shown(&a.target.remote)
                    ),
                ));
            }
            (parent, vec![obj])
        }
        Target::Dir(remote) => {
            let entries = walk(&remote, filter).await?;
            (remote, entries)
        }
    };
    let files: Vec<ObjectInfo> = entries.iter().filter(|e| !e.is_dir).cloned().collect();
    let stats = Stats::default();
    let code = delete_objects(&remote, files, o, &stats).await?;
    if a.rmdirs && code == exitcode::SUCCESS && has_directories(&remote) {
        let left: Vec<ObjectInfo> = if o.dry_run {
            entries.iter().filter(|e| e.is_dir).cloned().collect()
        } else {
            walk(&remote, filter).await?
        };
        let (errors, _) = super::dirs::remove_empty_dirs(&remote, &left, filter, o.dry_run).await;
        if errors > 0 {
            return Ok(exitcode::UNCATEGORIZED);
        }
    }
    Ok(code)
}

/// Deletes `files` (already listed in full): none when more than `--max-delete` would go.
pub async fn delete_objects(
    remote: &Remote,
    files: Vec<ObjectInfo>,
    o: &DeleteOptions,
    stats: &Stats,
) -> Result<u8, Failure> {
    if let Some(max) = o.max_delete
        && files.len() as u64 > max
    {
        return Err(Failure::new(
            exitcode::FATAL,
            format!(
                "{}: {} objects to delete exceeds --max-delete {max}; deleted nothing",
                remote.display(),
                files.len()
            ),
        ));
    }
    // A key the storage library would rewrite: deleting it would delete another object.
    let unaddressable: Vec<_> = files
        .iter()
        .filter_map(|d| remote.check_key(&d.path).err())
        .collect();
    if let Some(e) = unaddressable.first() {
        for e in &unaddressable {
            tracing::error!(object = %e.path.as_deref().unwrap_or_default(), "Not deleted: {e}");
        }
        return Err(Failure::new(
            exitcode::NO_RETRY,
            format!(
                "{}: not deleting files as there were IO errors: {e}",
                remote.display()
            ),
        ));
    }
    futures::stream::iter(files)
        .for_each_concurrent(o.checkers.max(1), |obj| async move {
            delete_one(remote, &obj, o.dry_run, stats).await;
        })
        .await;
    let errors = stats.errors.load(Relaxed);
    if errors > 0 {
        let last = stats.last_error().unwrap_or_default();
        tracing::error!("Failed to delete with {errors} errors: last error was: {last}");
        return Ok(if stats.is_retryable() {
            exitcode::RETRY
        } else {
            exitcode::UNCATEGORIZED
        });
    }
    Ok(exitcode::SUCCESS)
}

/// Deletes one object (or says it would), logging as rclone does.
pub async fn delete_one(remote: &Remote, obj: &ObjectInfo, dry_run: bool, stats: &Stats) -> bool {
    if dry_run {
        tracing::warn!(
            object = %obj.path,
            skipped = "delete",
            size = obj.size,
            "Skipped delete as --dry-run is set (size {})",
            size_suffix(obj.size)
        );
        stats.deletes.fetch_add(1, Relaxed);
        return true;
    }
    match remote.op.delete(&obj.path).await {
        Ok(()) => {
            stats.deletes.fetch_add(1, Relaxed);
            stats.deleted_bytes.fetch_add(obj.size, Relaxed);
            tracing::info!(object = %obj.path, "Deleted");
            true
        }
        Err(e) => {
            let e = remote.error(e, "delete", &obj.path);
            tracing::error!(object = %obj.path, "Couldn't delete: {e}");
            stats.error(e.to_string(), e.is_temporary());
            false
        }
    }
}

/// `deletefile PATH`: exactly one object.
pub async fn deletefile(resolver: &Resolver, spec: &str, dry_run: bool) -> u8 {
    objects::finish(deletefile_inner(resolver, spec, dry_run).await)
}

async fn deletefile_inner(resolver: &Resolver, spec: &str, dry_run: bool) -> Result<u8, Failure> {
    match objects::target(resolver, spec).await? {
        Target::File { parent, obj } => {
            let stats = Stats::default();
            if delete_one(&parent, &obj, dry_run, &stats).await {
                Ok(exitcode::SUCCESS)
            } else {
                Ok(if stats.is_retryable() {
                    exitcode::RETRY
                } else {
                    exitcode::UNCATEGORIZED
                })
            }
        }
        Target::Dir(_) => Err(Failure::new(
            exitcode::FILE_NOT_FOUND,
            format!(
                "{} is a directory or doesn't exist: object not found",
                crate::app::shown(spec)
            ),
        )),
    }
}

/// `purge PATH`: everything under the path, then the directory itself on file systems; refused
/// with filters (as rclone: it would delete everything anyway). A bucket is emptied, never
/// deleted.
pub async fn purge(resolver: &Resolver, spec: &str, filter: &Filter, o: &DeleteOptions) -> u8 {
    objects::finish(purge_inner(resolver, spec, filter, o).await)
}

async fn purge_inner(
    resolver: &Resolver,
    spec: &str,
    filter: &Filter,
    o: &DeleteOptions,
) -> Result<u8, Failure> {
    if !filter.is_empty() {
        return Err(Failure::new(
            exitcode::USAGE,
            "filters are not supported with purge (purge will delete everything unconditionally)",
        ));
    }
    let remote = objects::open(resolver, spec).await?;
    let entries = walk(&remote, &Filter::default()).await?;
    let files: Vec<ObjectInfo> = entries.iter().filter(|e| !e.is_dir).cloned().collect();
    let stats = Stats::default();
    let code = delete_objects(&remote, files, o, &stats).await?;
    if code != exitcode::SUCCESS || !has_directories(&remote) {
        return Ok(code);
    }
    // Every object is gone: every directory is empty now.
    let dirs: Vec<ObjectInfo> = entries.into_iter().filter(|e| e.is_dir).collect();
    let (errors, _) =
        super::dirs::remove_empty_dirs(&remote, &dirs, &Filter::default(), o.dry_run).await;
    if errors > 0 {
        return Ok(exitcode::UNCATEGORIZED);
    }
    if o.dry_run {
        tracing::warn!(object = %remote.display(), "Skipped remove directory as --dry-run is set");
        return Ok(exitcode::SUCCESS);
    }
    if let Some((parent_path, leaf)) = objects::split(spec.trim_end_matches('/'))? {
        let p = resolver.open(&parent_path).await.map_err(Failure::from)?;
        p.op.delete(&format!("{leaf}/"))
            .await
            .map_err(|e| Failure::from(p.error(e, "rmdir", &leaf)))?;
    }
    Ok(exitcode::SUCCESS)
}
