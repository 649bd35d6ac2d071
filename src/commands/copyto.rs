//! `copyto` and `moveto`: a source that names one object is copied (or moved) to the name the
//! destination gives — compared first, so an equal copy is left alone; a source that names a
//! directory is a `copy` (or `move`) of that directory, run by the caller as one.

use ocisync_backend::{ObjectInfo, Remote};

use super::objects::{self, Failure, Target};
use crate::cli::{Flags, Pair};
use crate::engine::backup;
use crate::engine::copy_object::{self, CopyTo};
use crate::engine::decide::Verdict;
use crate::engine::pairing::compare;
use crate::engine::stats::{Stats, size_suffix};
use crate::exitcode;
use crate::filter::Filter;
use crate::resolve::Resolver;

/// What the source names.
pub enum Plan {
    /// A directory: run as `copy`/`move` of `SRC` to `DST`.
    Tree,
    /// One object and where it goes.
    File(Box<OneObject>),
}

/// The object a `copyto`/`moveto` source names, and where it goes.
pub struct OneObject {
    src: Remote,
    obj: ObjectInfo,
    dst: Remote,
    name: String,
}

/// Looks at the source (a HEAD, or a stat of the file).
pub async fn plan(resolver: &Resolver, pair: &Pair, filter: &Filter) -> Result<Plan, Failure> {
    match objects::target(resolver, &pair.src).await? {
        Target::Dir(_) => Ok(Plan::Tree),
        Target::File { parent, obj } => {
            if !filter.is_empty() {
                return Err(Failure::new(
                    exitcode::USAGE,
                    format!(
                        "can't limit to single files when using filters: {}",
                        crate::app::shown(&pair.src)
                    ),
                ));
            }
            let (dst, name) = objects::dst_file(resolver, &pair.dst).await?;
            dst.check_key(&name)?;
            Ok(Plan::File(Box::new(OneObject {
                src: parent,
                obj,
                dst,
                name,
            })))
        }
    }
}

/// Copies (or moves) one object: rclone's `CopyFile`/`MoveFile`.
pub async fn run_file(plan: Plan, f: &Flags, moving: bool) -> u8 {
    objects::finish(run_file_inner(plan, f, moving).await)
}

async fn run_file_inner(plan: Plan, f: &Flags, moving: bool) -> Result<u8, Failure> {
    let Plan::File(one) = plan else {
        return Ok(exitcode::SUCCESS);
    };
    let OneObject {
        src,
        obj,
        dst,
        name,
    } = *one;
    let stats = Stats::default();
    let options = crate::args::run_options(f, crate::engine::sync::Mode::Copy, Filter::default())
        .map_err(|e| Failure::new(exitcode::USAGE, e.0))?;
    let existing = match dst.stat(&name).await {
        Ok(o) if !o.is_dir => Some(o),
        Ok(_) => {
            return Err(Failure::new(
                exitcode::UNCATEGORIZED,
                format!("{}: {name} is a directory", dst.display()),
            ));
        }
        Err(e) if e.kind == ocisync_backend::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(d) = existing {
        // The comparison sees the destination under the source's name.
        let mut seen = d.clone();
        seen.path = obj.path.clone();
        let (_, verdict) = compare(&src, &dst, obj.clone(), seen, &options.compare, &stats).await?;
        if matches!(verdict, Verdict::Same(_) | Verdict::SameBySizeNoHash) {
            tracing::debug!(object = %name, "Unchanged skipping");
            if moving {
                backup::delete_source(&src, &obj, f.dry_run, &stats).await;
            }
            return Ok(finish(&stats));
        }
    }
    let what = if moving { "move" } else { "copy" };
    if f.dry_run {
        tracing::warn!(
            object = %obj.path,
            skipped = what,
            size = obj.size,
            "Skipped {what} as --dry-run is set (size {})",
            size_suffix(obj.size)
        );
        return Ok(exitcode::SUCCESS);
    }
    // A move within one remote that can rename or copy is done there.
    if moving && same_place(&src, &dst) {
        let (from, to) = (obj.path.to_string(), name.clone());
        if backup::can_copy(&src) && src.root == dst.root {
            backup::server_side_move(&src, &from, &to).await?;
            tracing::info!(object = %obj.path, "Moved (server-side) to: {name}");
            return Ok(exitcode::SUCCESS);
        }
    }
    let to = CopyTo {
        path: Some(&name),
        options: Some(&options.rules.copy),
    };
    let copied = copy_object::copy_to(&src, &dst, &obj, &stats, to).await;
    super::objects::remove_partial_dir(&dst).await;
    copied?;
    tracing::info!(object = %obj.path, "Copied (new) to: {name}");
    if moving {
        backup::delete_source(&src, &obj, false, &stats).await;
    }
    Ok(finish(&stats))
}

/// Whether two remotes are the same configured place (same remote, same root).
fn same_place(a: &Remote, b: &Remote) -> bool {
    a.name == b.name && a.features.location.is_some() && a.features.location == b.features.location
}

fn finish(stats: &Stats) -> u8 {
    if stats.errors.load(std::sync::atomic::Ordering::Relaxed) > 0 {
        if stats.is_retryable() {
            exitcode::RETRY
        } else {
            exitcode::UNCATEGORIZED
        }
    } else {
        exitcode::SUCCESS
    }
}
