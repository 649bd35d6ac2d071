//! `settier TIER PATH`: moves the objects under the path (or the one object it names) to
//! another storage tier — OCI's Standard, InfrequentAccess and Archive — through the backend's
//! tier hook (OCI's UpdateObjectStorageTier). A failed object does not stop the others; the
//! exit code says whether any failed.

use ocisync_backend::ObjectInfo;

use super::objects::{self, Failure, Target, walk};
use crate::cli::SettierArgs;
use crate::exitcode;
use crate::filter::Filter;
use crate::resolve::Resolver;

pub async fn run(resolver: &Resolver, a: &SettierArgs, filter: &Filter, dry_run: bool) -> u8 {
    objects::finish(run_inner(resolver, a, filter, dry_run).await)
}

async fn run_inner(
    resolver: &Resolver,
    a: &SettierArgs,
    filter: &Filter,
    dry_run: bool,
) -> Result<u8, Failure> {
    let (remote, objs) = match objects::target(resolver, &a.remote).await? {
        Target::File { parent, obj } => (parent, vec![obj]),
        Target::Dir(remote) => {
            let objs: Vec<ObjectInfo> = walk(&remote, filter)
                .await?
                .into_iter()
                .filter(|o| !o.is_dir)
                .collect();
            (remote, objs)
        }
    };
    let Some(tiers) = remote.features.tiers.clone() else {
        return Err(Failure::new(
            exitcode::UNCATEGORIZED,
            format!(
                "{}: this backend has no storage tiers ocisync can change (OCI Object Storage has)",
                remote.display()
            ),
        ));
    };
    // The service's spelling, whatever the case given (rclone lower-cases it too).
    let tier = tiers
        .names()
        .iter()
        .find(|n| n.eq_ignore_ascii_case(&a.tier))
        .ok_or_else(|| {
            Failure::new(
                exitcode::USAGE,
                format!(
                    "{:?} is not a storage tier of {} (use {})",
                    a.tier,
                    remote.display(),
                    tiers.names().join(", ")
                ),
            )
        })?;
    let mut errors = 0u64;
    for o in objs {
        if dry_run {
            tracing::warn!(object = %o.path, "Skipped set tier {tier} as --dry-run is set");
            continue;
        }
        match tiers.set(&o.path, tier).await {
            Ok(()) => tracing::info!(object = %o.path, "Storage tier set to {tier}"),
            Err(e) => {
                errors += 1;
                tracing::error!(object = %o.path, "Failed to do SetTier, {e}");
            }
        }
    }
    Ok(if errors > 0 {
        exitcode::UNCATEGORIZED
    } else {
        exitcode::SUCCESS
    })
}
