//! `ocisync cleanup REMOTE[:path]` (rclone's name): aborts the multipart uploads under the path
//! that were started longer ago than `--max-age` (24h by default) and never completed — what a
//! killed run (`kill -9`, a lost VM) leaves behind: parts that are stored and billed but belong
//! to no object. `--dry-run` lists them only. S3 and OCI Object Storage list their pending
//! uploads; a local directory has partial files instead, removed whenever it is opened.
//!
//! The age keeps uploads of a run still in progress (another worker, another schedule) out of
//! reach: 24h is four of the 6-hourly runs.

use std::time::Duration;

use jiff::Timestamp;
use ocisync_backend::Error;

use crate::exitcode;
use crate::remote_path::RemotePath;
use crate::resolve::Resolver;

/// Uploads younger than this are left alone unless `--max-age` says otherwise.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Runs the command; returns the exit code.
pub async fn run(resolver: &Resolver, target: &str, max_age: Duration, dry_run: bool) -> u8 {
    let path = match RemotePath::parse(target) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("{e}");
            return exitcode::USAGE;
        }
    };
    let remote = match resolver.open(&path).await {
        Ok(r) => r,
        Err(e) => {
            return failed(
                &format!("Failed to create file system for {:?}", path.to_string()),
                e,
            );
        }
    };
    let shown = remote.display();
    let Some(uploads) = remote.features.uploads.clone() else {
        if remote.features.skip_prefix.is_some() {
            // Opening the directory removed the partial files of dead processes already.
            tracing::warn!(
                "{shown}: a local directory has no multipart uploads; partial files left by \
                 interrupted runs were removed when it was opened"
            );
            return exitcode::SUCCESS;
        }
        tracing::error!("{shown}: cleanup: this backend cannot list pending multipart uploads");
        return exitcode::NO_RETRY;
    };
    let pending = match uploads.list().await {
        Ok(p) => p,
        Err(e) => return failed("cleanup", e),
    };
    let now = Timestamp::now();
    let old_enough = |started: Option<Timestamp>| {
        started.is_some_and(|t| {
            now.duration_since(t)
                .try_into()
                .is_ok_and(|age: Duration| age > max_age)
        })
    };
    let max_age_shown = ocisync_backend::Duration(max_age);
    let (mut aborted, mut kept, mut errors) = (0u64, 0u64, 0u64);
    let mut last: Option<Error> = None;
    for u in &pending {
        let started = u
            .started
            .map(|t| t.to_string())
            .unwrap_or_else(|| "at an unknown time".into());
        if !old_enough(u.started) {
            kept += 1;
            tracing::info!(
                object = %u.key,
                "multipart upload {} started {started}: younger than --max-age {max_age_shown}, kept",
                u.id
            );
            continue;
        }
        if dry_run {
            aborted += 1;
            tracing::warn!(
                object = %u.key,
                skipped = "abort",
                "Skipped abort of multipart upload {} (started {started}) as --dry-run is set",
                u.id
            );
            continue;
        }
        match uploads.abort(u).await {
            Ok(()) => {
                aborted += 1;
                tracing::info!(
                    object = %u.key,
                    "Aborted multipart upload {} (started {started})",
                    u.id
                );
            }
            Err(e) => {
                errors += 1;
                tracing::error!(object = %u.key, "Failed to abort multipart upload {}: {e}", u.id);
                last = Some(e);
            }
        }
    }
    let verb = if dry_run { "would abort" } else { "aborted" };
    tracing::warn!(
        "{shown}: {} pending multipart upload(s); {verb} {aborted} started over {max_age_shown} \
         ago, kept {kept}{}",
        pending.len(),
        if errors > 0 {
            format!(", {errors} failed")
        } else {
            String::new()
        }
    );
    match last {
        None => exitcode::SUCCESS,
        Some(e) => exitcode::for_kind(e.kind),
    }
}

fn failed(what: &str, e: Error) -> u8 {
    tracing::error!("{what}: {e}");
    exitcode::for_kind(e.kind)
}
