//! `type = "local"`: the local file system, on OpenDAL's `fs` service.
//!
//! Files are written to a partial file inside `.ocisync-partial/` under the root and renamed
//! into place when complete, so a reader never sees half a file ([`partial`]: those left by a
//! killed run are removed when the directory is next opened); the modification time is then
//! set to the source's, as rclone does.
//!
//! Symbolic links are skipped with a NOTICE, as rclone does without `-L`; `copy_links`
//! (`-L/--copy-links`) follows them and `skip_links` skips them silently. Files are read without
//! following any link below the root ([`links`]).

mod hash;
mod links;
mod partial;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use ocisync_backend::backend::with_standard_layers;
use ocisync_backend::keys::{DotSegments, KeyRules};
use ocisync_backend::remote::{ModtimeSetter, RootState};
use ocisync_backend::{
    Backend, BackendSpec, Error, ErrorKind, Features, HashSource, ModtimeSource, OpenContext,
    Remote, Result, SetModtime,
};

/// Where partial files live while they are written. Listings skip it.
pub const PARTIAL_DIR: &str = ".ocisync-partial";

ocisync_backend::declare_options! {
    /// Options of `type = "local"`.
    pub struct LocalOptions {
        /// Don't set the modification time of copied files (they get the time of the copy).
        no_set_modtime: bool = "false", advanced;
        /// Follow symlinks and copy the pointed to item (also -L/--copy-links).
        copy_links: bool = "false";
        /// Don't warn about skipped symlinks.
        skip_links: bool = "false", advanced;
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
    }
}

pub static SPEC: BackendSpec = BackendSpec {
    name: "local",
    prefix: "local",
    description: "Local disk. A path without `NAME:` is local.",
    options: LocalOptions::SPECS,
    open_options: false,
    credential_keys: &[],
};

pub struct LocalBackend;

/// Registered in ocisync's backend list.
pub static BACKEND: LocalBackend = LocalBackend;

#[async_trait]
impl Backend for LocalBackend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        let opts =
            LocalOptions::from_values(ctx.values).map_err(|e| Error::config(e.to_string()))?;
        let root = absolute_root(ctx.path)?;
        let root_str = root.to_string_lossy().to_string();
        let first_missing = first_missing_ancestor(&root);
        // Writes go through partial files of the links layer, not OpenDAL's atomic writes.
        let op = opendal::Operator::new(opendal::services::Fs::default().root(&root_str))
            .map_err(|e| Error::from(e).with_remote(ctx.name.to_string()))?
            .layer(links::LinksLayer {
                root: root.clone(),
                links: if opts.copy_links {
                    links::Links::Follow
                } else if opts.skip_links {
                    links::Links::SkipQuietly
                } else {
                    links::Links::Skip
                },
            });
        // OpenDAL's fs service creates the root when it is built. Undo that: a mistyped
        // source must stay missing (and be reported as such). Writes create it when needed.
        if let Some(top) = first_missing {
            remove_empty_dirs(&top);
        }
        // Partial files of a run that was killed (kill -9, a crash) go now.
        partial::remove_stale(&root);
        let features = Features {
            listing_md5: HashSource::None,
            md5_in_metadata: false,
            md5_by_reading: true,
            modtime: ModtimeSource::Native,
            set_modtime: if opts.no_set_modtime {
                SetModtime::No
            } else {
                SetModtime::Yes
            },
            writes_metadata: false,
            write_chunk: None,
            write_concurrency: 1,
            check_root_exists: true,
            skip_prefix: Some(PARTIAL_DIR),
            keys: KeyRules {
                // PATH_MAX counts the terminating NUL.
                max_key_bytes: Some(4095),
                max_segment_bytes: Some(255),
                dot_segments: DotSegments::Refused,
                forbidden: &['\0'],
                prefix_bytes: 0,
                service: "the file system",
            }
            .with_prefix(&root_str),
            location: Some(location(&root)),
            classify_error: Some(classify),
            md5_reader: Some(Arc::new(hash::FileMd5 {
                root: Arc::new(root.clone()),
                follow: opts.copy_links,
            })),
            ..Features::default()
        };
        Ok(Remote {
            name: ctx.name.to_string(),
            root: ctx.path.to_string(),
            op: with_standard_layers(op, ctx.global),
            features,
            modtime_setter: (!opts.no_set_modtime)
                .then(|| Arc::new(FileTimes { root: root.clone() }) as Arc<dyn ModtimeSetter>),
            root_exists: Some(Arc::new(move || match std::fs::metadata(&root) {
                Ok(m) if m.is_dir() => RootState::Dir,
                Ok(_) => RootState::File,
                Err(_) => RootState::Missing,
            })),
        })
    }
}

fn absolute_root(path: &str) -> Result<PathBuf> {
    let p = if path.is_empty() {
        Path::new(".")
    } else {
        Path::new(path)
    };
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::new(ErrorKind::Other, format!("current directory: {e}")))?
            .join(p)
    };
    Ok(abs)
}

/// File system errors that retrying cannot fix, said plainly: a full disk or quota, a
/// read-only file system, no permission. (Everything else keeps OpenDAL's reading.)
fn classify(e: &opendal::Error) -> Option<(ErrorKind, String)> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            let (kind, what) = match io.raw_os_error()? {
                libc::ENOSPC => (ErrorKind::Other, "no space left on the device"),
                libc::EDQUOT => (ErrorKind::Other, "the disk quota is exceeded"),
                libc::EROFS => (ErrorKind::PermissionDenied, "the file system is read-only"),
                libc::EACCES | libc::EPERM => (ErrorKind::PermissionDenied, "permission denied"),
                _ => return None,
            };
            return Some((kind, format!("{what}: {}", e.message())));
        }
        cause = c.source();
    }
    None
}

/// The directory with every link resolved (as far as it exists), for the overlap check: two
/// spellings of one directory, or one reached through a link, are one place.
fn location(root: &Path) -> String {
    let mut rest = Vec::new();
    let mut at = root;
    let base = loop {
        match std::fs::canonicalize(at) {
            Ok(p) => break p,
            Err(_) => match (at.parent(), at.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    at = parent;
                }
                _ => break at.to_path_buf(),
            },
        }
    };
    let mut full = base;
    for name in rest.into_iter().rev() {
        full.push(name);
    }
    let s = full.to_string_lossy();
    format!("file://{}/", s.trim_end_matches('/'))
}

/// The outermost directory of `path` that does not exist yet.
fn first_missing_ancestor(path: &Path) -> Option<PathBuf> {
    let mut missing = None;
    for a in path.ancestors() {
        if a.exists() {
            break;
        }
        missing = Some(a.to_path_buf());
    }
    missing
}

/// Removes `dir` if it holds nothing but empty directories.
fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_dirs(&e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Sets file modification times (OpenDAL's fs service has no call for it).
struct FileTimes {
    root: PathBuf,
}

#[async_trait]
impl ModtimeSetter for FileTimes {
    async fn set_modtime(&self, path: &str, mtime: jiff::Timestamp) -> Result<()> {
        let file = self.root.join(path.trim_start_matches('/'));
        let when = std::time::SystemTime::from(mtime);
        tokio::task::spawn_blocking(move || {
            std::fs::File::options()
                .write(true)
                .open(&file)
                .and_then(|f| f.set_modified(when))
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?
        .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))
    }
}
