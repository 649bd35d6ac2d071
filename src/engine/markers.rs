//! `--exclude-if-present NAME`: a directory holding an object called NAME is excluded, with
//! everything below it — on each side by its own markers, as rclone looks for the file in each
//! directory it lists. Found by one listing of each side before the run (only when the flag is
//! given); the run then uses a filter per side.

use futures::StreamExt;
use ocisync_backend::{ErrorKind, Remote, Result};

use crate::filter::Filter;

/// `filter` with the directories of `remote` that hold a marker excluded.
pub async fn for_remote(remote: &Remote, filter: &Filter) -> Result<Filter> {
    let mut out = filter.clone();
    if filter.marker_names().is_empty() {
        return Ok(out);
    }
    let mut dirs = Vec::new();
    match remote.list(true).await {
        Ok(mut stream) => {
            while let Some(item) = stream.next().await {
                let o = item?;
                if let Some(d) = filter.marker_dir(&o.path) {
                    tracing::debug!(object = %d, "Excluded (--exclude-if-present {})", o.name());
                    dirs.push(d.to_string());
                }
            }
        }
        // Nothing there, no markers (a destination that will be created).
        Err(e) if e.kind == ErrorKind::DirNotFound => {}
        Err(e) => return Err(e),
    }
    out.set_marked_dirs(dirs);
    Ok(out)
}
