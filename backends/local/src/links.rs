//! Symbolic links in a local source, as rclone treats them: skipped with a NOTICE unless
//! `copy_links` (`-L/--copy-links`) says to follow them; `skip_links` skips them silently.
//!
//! OpenDAL's `fs` service follows links: its lister stats entries whose type it does not know,
//! so a link to `/etc/shadow` inside a source tree is listed — and uploaded — as a file, and a
//! link to a directory trips an assertion. This layer takes over `list` and `read` for the
//! local backend: listings come from `lstat`, and files are opened so that no symbolic link on
//! the way is followed (`openat2` with `RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH` below the root
//! where the kernel has it, else `O_NOFOLLOW` on the last component), so a link swapped in
//! after the listing is refused too. Writes go through a partial file ([`crate::partial`]);
//! deletes and stats go to OpenDAL unchanged.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use opendal::raw::oio;
use opendal::raw::*;
use opendal::{Buffer, Capability, Error, ErrorKind, MetadataBuilder, OperationContext, Result};

/// What to do with symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Skip, with a NOTICE per link (rclone's default).
    Skip,
    /// Skip without a word (`skip_links`).
    SkipQuietly,
    /// Follow: list and copy what they point to (`copy_links`, `-L`).
    Follow,
}

/// The layer: `list` and `read` by [`Links`], everything else by OpenDAL.
#[derive(Debug, Clone)]
pub struct LinksLayer {
    pub root: PathBuf,
    pub links: Links,
}

impl Layer for LinksLayer {
    fn apply_service(&self, inner: Servicer) -> Servicer {
        Arc::new(LinksService {
            inner,
            root: Arc::new(self.root.clone()),
            links: self.links,
        })
    }
}

#[derive(Debug)]
struct LinksService {
    inner: Servicer,
    root: Arc<PathBuf>,
    links: Links,
}

impl Service for LinksService {
    type Reader = oio::Reader;
    type Writer = oio::Writer;
    type Lister = oio::Lister;
    type Deleter = oio::Deleter;
    type Copier = oio::Copier;
    type Composer = oio::Composer;

    fn info(&self) -> ServiceInfo {
        self.inner.info()
    }

    fn capability(&self) -> Capability {
        let mut cap = self.inner.capability();
        // This lister walks the tree itself.
        cap.list_with_recursive = true;
        cap
    }

    async fn create_dir(
        &self,
        ctx: &OperationContext,
        path: &str,
        args: OpCreateDir,
    ) -> Result<RpCreateDir> {
        self.inner.create_dir(ctx, path, args).await
    }

    async fn stat(&self, ctx: &OperationContext, path: &str, args: OpStat) -> Result<RpStat> {
        self.inner.stat(ctx, path, args).await
    }

    fn read(&self, _ctx: &OperationContext, path: &str, _args: OpRead) -> Result<Self::Reader> {
        Ok(Box::new(oio::PositionReader::new(NoFollowReader {
            root: self.root.clone(),
            path: path.trim_start_matches('/').to_string(),
            follow: self.links == Links::Follow,
        })))
    }

    fn write(&self, _ctx: &OperationContext, path: &str, _args: OpWrite) -> Result<Self::Writer> {
        // Through a partial file of this process's, renamed into place when complete.
        Ok(Box::new(crate::partial::PartialWriter::new(
            self.root.clone(),
            path,
        )))
    }

    fn delete(&self, ctx: &OperationContext) -> Result<Self::Deleter> {
        self.inner.delete(ctx)
    }

    fn list(&self, _ctx: &OperationContext, path: &str, args: OpList) -> Result<Self::Lister> {
        Ok(Box::new(Walker::new(
            self.root.clone(),
            path,
            args.recursive(),
            self.links,
        )))
    }

    fn copy(
        &self,
        ctx: &OperationContext,
        from: &str,
        to: &str,
        args: OpCopy,
    ) -> Result<Self::Copier> {
        self.inner.copy(ctx, from, to, args)
    }

    fn compose(&self, ctx: &OperationContext, to: &str, args: OpCompose) -> Result<Self::Composer> {
        self.inner.compose(ctx, to, args)
    }

    async fn rename(
        &self,
        ctx: &OperationContext,
        from: &str,
        to: &str,
        args: OpRename,
    ) -> Result<RpRename> {
        self.inner.rename(ctx, from, to, args).await
    }

    async fn presign(
        &self,
        ctx: &OperationContext,
        path: &str,
        args: OpPresign,
    ) -> Result<RpPresign> {
        self.inner.presign(ctx, path, args).await
    }
}

// ---------------------------------------------------------------------------------------------
// Reading without following links
// ---------------------------------------------------------------------------------------------

struct NoFollowReader {
    root: Arc<PathBuf>,
    /// Relative to the root, no leading `/`.
    path: String,
    follow: bool,
}

impl oio::PositionRead for NoFollowReader {
    type Handle = Arc<File>;

    async fn open(&self) -> Result<Self::Handle> {
        let (root, path, follow) = (self.root.clone(), self.path.clone(), self.follow);
        let file = tokio::task::spawn_blocking(move || open_file(&root, &path, follow))
            .await
            .map_err(|e| Error::new(ErrorKind::Unexpected, format!("open task: {e}")))?;
        file.map(Arc::new).map_err(|e| open_error(&self.path, e))
    }

    async fn read_at(handle: &Self::Handle, offset: u64, size: usize) -> Result<Buffer> {
        if size == 0 {
            return Ok(Buffer::new());
        }
        let file = handle.clone();
        tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0u8; size];
            let mut filled = 0;
            while filled < size {
                match file.read_at(&mut buf[filled..], offset + filled as u64) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(new_std_io_error(e)),
                }
            }
            buf.truncate(filled);
            Ok(Buffer::from(buf))
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Unexpected, format!("read task: {e}")))?
    }
}

fn open_error(path: &str, e: io::Error) -> Error {
    // ELOOP (O_NOFOLLOW, RESOLVE_NO_SYMLINKS) and EXDEV (RESOLVE_BENEATH): a link on the way.
    if matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::EXDEV)) {
        return Error::new(
            ErrorKind::PermissionDenied,
            format!("{path}: a symbolic link is on the way; not followed without -L/--copy-links"),
        );
    }
    new_std_io_error(e)
}

/// Opens `root/path` for reading. Without `follow`, no symbolic link below the root is
/// followed, whichever component it is.
pub fn open_file(root: &Path, path: &str, follow: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let full = root.join(path);
    if follow {
        return File::open(full);
    }
    #[cfg(target_os = "linux")]
    match open_beneath(root, path) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS) | Some(libc::EPERM)) => {}
        other => return other,
    }
    // Older kernels (before 5.6) or a seccomp filter without openat2: the last component.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(full)
}

/// `openat2(root, path, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH)`.
#[cfg(target_os = "linux")]
fn open_beneath(root: &Path, path: &str) -> io::Result<File> {
    use std::ffi::CString;
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    // The root itself may be reached through links (the operator named it).
    let dir = File::open(root)?;
    let c_path = CString::new(Path::new(path).as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a file name"))?;
    /// The kernel's `struct open_how` (libc's is non-exhaustive and cannot be built).
    #[repr(C)]
    struct OpenHow {
        flags: u64,
        mode: u64,
        resolve: u64,
    }
    let how = OpenHow {
        flags: (libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64,
        mode: 0,
        resolve: libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_BENEATH,
    };
    // SAFETY: `c_path` is a NUL-terminated string and `how` a fully initialised `open_how`, both
    // alive for the call; the kernel reads `size_of::<open_how>()` bytes of it and returns a new
    // descriptor (or -1), which is owned by the `File` made from it and by nothing else.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir.as_raw_fd(),
            c_path.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a descriptor the kernel just opened for this process, owned by no one else.
    Ok(unsafe { File::from_raw_fd(fd as i32) })
}

// ---------------------------------------------------------------------------------------------
// Listing with lstat
// ---------------------------------------------------------------------------------------------

/// Entries read from a directory per blocking call.
const BATCH: usize = 512;

/// Walks the tree under `root/path`: directories first-seen, depth by a stack, one batch of a
/// directory's entries at a time (memory does not grow with a directory's size).
struct Walker {
    root: Arc<PathBuf>,
    recursive: bool,
    links: Links,
    /// The path itself is reported first, as OpenDAL's listers do.
    start: Option<String>,
    /// Directories (relative, ending in `/`) still to read.
    pending: Vec<String>,
    /// The directory being read and its open handle.
    current: Option<(String, std::fs::ReadDir)>,
    ready: std::collections::VecDeque<oio::Entry>,
    /// Directories seen (device, inode), so a followed link cannot loop.
    seen: HashSet<(u64, u64)>,
}

impl Walker {
    fn new(root: Arc<PathBuf>, path: &str, recursive: bool, links: Links) -> Walker {
        let dir = path.trim_start_matches('/').to_string();
        Walker {
            root,
            recursive,
            links,
            start: Some(dir.clone()),
            pending: vec![dir],
            current: None,
            ready: Default::default(),
            seen: HashSet::new(),
        }
    }
}

/// What one batch found.
struct Batch {
    dir: String,
    rd: Option<std::fs::ReadDir>,
    entries: Vec<oio::Entry>,
    subdirs: Vec<String>,
    seen: HashSet<(u64, u64)>,
}

impl oio::List for Walker {
    async fn next(&mut self) -> Result<Option<oio::Entry>> {
        if let Some(start) = self.start.take() {
            return Ok(Some(oio::Entry::new(
                &start,
                MetadataBuilder::dir().build(),
            )));
        }
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Ok(Some(e));
            }
            let (dir, rd) = match self.current.take() {
                Some(c) => (c.0, Some(c.1)),
                None => match self.pending.pop() {
                    Some(d) => (d, None),
                    None => return Ok(None),
                },
            };
            let (root, links) = (self.root.clone(), self.links);
            let seen = std::mem::take(&mut self.seen);
            let batch =
                tokio::task::spawn_blocking(move || read_batch(&root, dir, rd, links, seen))
                    .await
                    .map_err(|e| Error::new(ErrorKind::Unexpected, format!("list task: {e}")))??;
            self.seen = batch.seen;
            if self.recursive {
                // Reversed onto the stack so they are read in the order found.
                self.pending.extend(batch.subdirs.into_iter().rev());
            }
            self.ready.extend(batch.entries);
            if let Some(rd) = batch.rd {
                self.current = Some((batch.dir, rd));
            }
        }
    }
}

fn read_batch(
    root: &Path,
    dir: String,
    rd: Option<std::fs::ReadDir>,
    links: Links,
    mut seen: HashSet<(u64, u64)>,
) -> Result<Batch> {
    use std::os::unix::fs::MetadataExt;
    let abs = root.join(&dir);
    let mut rd = match rd {
        Some(rd) => rd,
        None => match std::fs::read_dir(&abs) {
            Ok(rd) => {
                if let Ok(m) = std::fs::metadata(&abs) {
                    seen.insert((m.dev(), m.ino()));
                }
                rd
            }
            // A missing directory lists as empty (the remote checks its root separately), as
            // does one removed while it is listed.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(Batch {
                    dir,
                    rd: None,
                    entries: Vec::new(),
                    subdirs: Vec::new(),
                    seen,
                });
            }
            Err(e) => return Err(new_std_io_error(e)),
        },
    };
    let mut entries = Vec::new();
    let mut subdirs = Vec::new();
    let mut exhausted = false;
    for _ in 0..BATCH {
        let Some(de) = rd.next() else {
            exhausted = true;
            break;
        };
        let de = match de {
            Ok(de) => de,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(new_std_io_error(e)),
        };
        let name = de.file_name().to_string_lossy().into_owned();
        let rel = format!("{dir}{name}");
        let lstat = match std::fs::symlink_metadata(de.path()) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(new_std_io_error(e)),
        };
        let meta = if lstat.file_type().is_symlink() {
            match links {
                Links::SkipQuietly => continue,
                Links::Skip => {
                    tracing::warn!("{rel}: Can't follow symlink without -L/--copy-links");
                    continue;
                }
                Links::Follow => match std::fs::metadata(de.path()) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!("{rel}: symlink not followed: {e}");
                        continue;
                    }
                },
            }
        } else {
            lstat
        };
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| Timestamp::try_from(t).ok());
        if meta.is_dir() {
            if !seen.insert((meta.dev(), meta.ino())) {
                tracing::warn!("{rel}: directory already listed (a symlink loop?); skipped");
                continue;
            }
            let path = format!("{rel}/");
            let mut b = MetadataBuilder::dir();
            if let Some(t) = modified {
                b.last_modified(t);
            }
            entries.push(oio::Entry::new(&path, b.build()));
            subdirs.push(path);
        } else {
            let mut b = if meta.is_file() {
                MetadataBuilder::file(meta.len())
            } else {
                // Sockets, pipes, devices: the remote skips them with a NOTICE.
                MetadataBuilder::unknown()
            };
            if let Some(t) = modified {
                b.last_modified(t);
            }
            entries.push(oio::Entry::new(&rel, b.build()));
        }
    }
    Ok(Batch {
        dir,
        rd: (!exhausted).then_some(rd),
        entries,
        subdirs,
        seen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_never_follow_a_link_below_the_root() {
        let base = std::env::temp_dir().join(format!("ocisync-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let (root, outside) = (base.join("root"), base.join("outside"));
        std::fs::create_dir_all(root.join("dir")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("dir/plain.txt"), b"plain").unwrap();
        std::fs::write(outside.join("secret.txt"), b"secret").unwrap();
        std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("last.txt")).unwrap();
        // A directory swapped for a link after the listing: the link is in the middle.
        std::os::unix::fs::symlink(&outside, root.join("middle")).unwrap();
        assert!(open_file(&root, "dir/plain.txt", false).is_ok());
        for path in ["last.txt", "middle/secret.txt"] {
            let e = open_file(&root, path, false).expect_err(path);
            assert!(
                matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::EXDEV)),
                "{path}: {e}"
            );
            assert!(open_file(&root, path, true).is_ok(), "{path} with -L");
        }
        // Nothing above the root either.
        assert!(open_file(&root.join("dir"), "../../outside/secret.txt", false).is_err());
        let _ = std::fs::remove_dir_all(&base);
    }
}
