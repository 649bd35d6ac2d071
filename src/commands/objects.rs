//! What rclone's object and directory commands share: opening a path that may name one object
//! (rclone's `NewFsFile`: the parent, and the object in it), walking a remote's objects and
//! directories in rclone's order, and the way a command ends (its error logged, rclone's exit
//! code).

use futures::StreamExt;
use ocisync_backend::{Error, ErrorKind, ObjectInfo, Remote};

use crate::exitcode;
use crate::filter::Filter;
use crate::remote_path::{RemotePath, RemoteRef};
use crate::resolve::Resolver;

/// A command's failure: the exit code and the message to log.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// Logs the message; returns the exit code.
    pub fn report(self) -> u8 {
        tracing::error!("{}", self.message);
        self.code
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure {
            code: exitcode::for_kind(e.kind),
            message: e.to_string(),
        }
    }
}

/// The exit code of a command's result, its failure logged.
pub fn finish(r: Result<u8, Failure>) -> u8 {
    r.unwrap_or_else(Failure::report)
}

/// Opens `spec` as a directory (or bucket prefix).
pub async fn open(resolver: &Resolver, spec: &str) -> Result<Remote, Failure> {
    let path = RemotePath::parse(spec).map_err(|e| Failure::new(exitcode::USAGE, e.to_string()))?;
    open_path(resolver, &path).await
}

async fn open_path(resolver: &Resolver, path: &RemotePath) -> Result<Remote, Failure> {
    resolver.open(path).await.map_err(|e| Failure {
        code: exitcode::for_kind(e.kind),
        message: format!(
            "Failed to create file system for {:?}: {e}",
            path.to_string()
        ),
    })
}

/// `spec` split into its parent and its last segment (`s3:b/dir/x.csv` → `s3:b/dir`, `x.csv`);
/// `None` when it has no last segment to name an object (`s3:b`, `s3:`, `x/`).
pub fn split(spec: &str) -> Result<Option<(RemotePath, String)>, Failure> {
    let mut path =
        RemotePath::parse(spec).map_err(|e| Failure::new(exitcode::USAGE, e.to_string()))?;
    if path.path.ends_with('/') || path.path.is_empty() {
        return Ok(None);
    }
    let object_store = path.remote != RemoteRef::Local;
    let (parent, leaf) = match path.path.rfind('/') {
        Some(i) => (path.path[..i].to_string(), path.path[i + 1..].to_string()),
        // A bucket name alone is never an object.
        None if object_store => return Ok(None),
        None => (".".to_string(), path.path.clone()),
    };
    if leaf.is_empty() || leaf == "." || leaf == ".." {
        return Ok(None);
    }
    path.path = if parent.is_empty() && !object_store {
        "/".to_string()
    } else {
        parent
    };
    Ok(Some((path, leaf)))
}

/// What a path names.
pub enum Target {
    /// A directory, bucket or prefix.
    Dir(Remote),
    /// One object: the remote of its parent and the object as it is there.
    File { parent: Remote, obj: ObjectInfo },
}

/// Opens `spec` as one object when it names one (a HEAD, or a stat of the file), else as a
/// directory — rclone's `NewFsFile`.
pub async fn target(resolver: &Resolver, spec: &str) -> Result<Target, Failure> {
    if let Some((parent, leaf)) = split(spec)? {
        let remote = open_path(resolver, &parent).await?;
        match remote.stat(&leaf).await {
            Ok(obj) if !obj.is_dir => {
                return Ok(Target::File {
                    parent: remote,
                    obj,
                });
            }
            Ok(_) => {}
            Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::DirNotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Target::Dir(open(resolver, spec).await?))
}

/// Opens `spec` as the place of one object to be written: its parent and its name (rclone's
/// `NewFsDstFile`).
pub async fn dst_file(resolver: &Resolver, spec: &str) -> Result<(Remote, String), Failure> {
    let (parent, leaf) = split(spec)?.ok_or_else(|| {
        Failure::new(
            exitcode::USAGE,
            format!(
                "{:?} names a directory, not an object",
                crate::app::shown(spec)
            ),
        )
    })?;
    Ok((open_path(resolver, &parent).await?, leaf))
}

/// Whether the remote is a file system (directories exist on their own).
pub fn has_directories(r: &Remote) -> bool {
    r.features.check_root_exists
}

/// Everything under a remote: objects that pass the filter, and directories — real ones on
/// file systems (empty ones too), made up from object paths on object stores — that pass its
/// directory rules. Sorted by path; directories have no trailing `/`.
pub async fn walk(remote: &Remote, filter: &Filter) -> Result<Vec<ObjectInfo>, Error> {
    // --exclude-if-present: this remote's marked directories (one more listing, only then).
    let filter = &crate::engine::markers::for_remote(remote, filter).await?;
    let mut out = Vec::new();
    let mut dirs = std::collections::BTreeSet::new();
    if has_directories(remote) {
        // Remote::list checks the root exists (and reports a missing one as rclone does).
        drop(remote.list(false).await?);
        let mut lister = remote
            .op
            .lister_with("")
            .recursive(true)
            .await
            .map_err(|e| remote.error(e, "list", &remote.root))?;
        while let Some(entry) = lister.next().await {
            let entry = entry.map_err(|e| remote.error(e, "list", &remote.root))?;
            let path = entry.path().trim_end_matches('/');
            let own = remote
                .features
                .skip_prefix
                .is_some_and(|p| path == p || path.starts_with(&format!("{p}/")));
            if path.is_empty() || own {
                continue;
            }
            let meta = entry.metadata();
            if meta.is_dir() {
                let mut o = ObjectInfo::file(path, 0);
                o.is_dir = true;
                o.mtime = meta.last_modified().map(ocisync_backend::remote::to_jiff);
                dirs.insert(path.to_string());
                if filter.dir_included(path) {
                    out.push(o);
                }
            } else if meta.mode() == opendal::EntryMode::FILE {
                let o =
                    ocisync_backend::remote::info_from_metadata(path, meta, &remote.features, true);
                if filter.included(&o.path, o.size, o.mtime) {
                    out.push(o);
                }
            }
        }
    } else {
        let mut stream = remote.list(true).await?;
        while let Some(item) = stream.next().await {
            let o = item?;
            let mut end = o.path.len();
            while let Some(i) = o.path[..end].rfind('/') {
                if !dirs.insert(o.path[..i].to_string()) {
                    break;
                }
                end = i;
            }
            if filter.included(&o.path, o.size, o.mtime) {
                out.push(o);
            }
        }
        for d in &dirs {
            if filter.dir_included(d) {
                let mut o = ObjectInfo::file(d.as_str(), 0);
                o.is_dir = true;
                out.push(o);
            }
        }
    }
    // Directories are only shown when their parents pass too (rclone descends into them).
    out.retain(|o| {
        let parent = o.path.rfind('/').map(|i| &o.path[..i]);
        parent.is_none_or(|p| filter.dir_included(p))
    });
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The backend's scratch directory (local partial files) goes once empty, as after a sync.
pub async fn remove_partial_dir(remote: &Remote) {
    if let Some(p) = remote.features.skip_prefix
        && let Err(e) = remote.op.delete(&format!("{p}/")).await
    {
        tracing::debug!("{}: {p}/ not removed: {e}", remote.display());
    }
}

/// The parent directory of a path (`""` for the top level).
pub fn parent(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

/// The error for a path that names nothing (rclone's "object not found", exit 4).
pub fn not_found(spec: &str, what: &str) -> Failure {
    Failure::new(
        exitcode::FILE_NOT_FOUND,
        format!("{} {what}: object not found", crate::app::shown(spec)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(spec: &str) -> Option<(String, String)> {
        split(spec).unwrap().map(|(p, l)| (p.to_string(), l))
    }

    #[test]
    fn paths_split_into_parent_and_object() {
        assert_eq!(
            parts("s3:b/dir/x.csv"),
            Some(("s3:b/dir".into(), "x.csv".into()))
        );
        assert_eq!(parts("s3:b/x.csv"), Some(("s3:b".into(), "x.csv".into())));
        assert_eq!(parts("s3:b"), None);
        assert_eq!(parts("s3:b/dir/"), None);
        assert_eq!(parts("/tmp/x"), Some(("/tmp".into(), "x".into())));
        assert_eq!(parts("/x"), Some(("/".into(), "x".into())));
        assert_eq!(parts("x"), Some((".".into(), "x".into())));
        assert_eq!(parts("/tmp/.."), None);
    }
}
