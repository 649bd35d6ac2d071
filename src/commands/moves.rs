//! What `move` does beyond its copy: `--delete-empty-src-dirs` removes the source directories
//! the move emptied (file systems; object stores have none), never the source root itself.

use ocisync_backend::Remote;

use super::objects::{has_directories, walk};
use crate::filter::Filter;

/// Removes the source's directories that hold no object any more.
pub async fn remove_emptied_dirs(src: &Remote, filter: &Filter, dry_run: bool) {
    if !has_directories(src) {
        return;
    }
    match walk(src, filter).await {
        Ok(entries) => {
            let (errors, removed) =
                super::dirs::remove_empty_dirs(src, &entries, &Filter::default(), dry_run).await;
            tracing::debug!(
                "{}: {removed} emptied source directories removed ({errors} could not be)",
                src.display()
            );
        }
        Err(e) => tracing::error!("{}: source directories not removed: {e}", src.display()),
    }
}
