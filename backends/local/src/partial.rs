//! Writes through a partial file: the bytes go to `.ocisync-partial/<host>.<pid>.<n>.partial`
//! under the root, and only a complete, flushed file is renamed into place — a reader never
//! sees half a file, and an aborted or dropped write (a failed copy, SIGTERM) removes its
//! partial file.
//!
//! The name is short and says whose it is. Short: OpenDAL's own atomic writes name the
//! temporary file after the target plus a suffix, so a name near the file system's 255-byte
//! limit could not be written at all. Whose: a process killed with `kill -9` cannot clean up,
//! so the next run that opens the directory removes partial files whose process is gone
//! ([`remove_stale`]) — but never those of another process still writing (`--shard` workers
//! share a destination).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use opendal::raw::oio;
use opendal::raw::*;
use opendal::{Buffer, Error, ErrorKind, Metadata, MetadataBuilder, Result};
use tokio::io::AsyncWriteExt;

use crate::PARTIAL_DIR;

/// A partial file untouched this long is stale whoever made it (another host's, or one from
/// before partial files were named after their process).
const STALE_AFTER: Duration = Duration::from_secs(3600);

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// This machine's name, for partial file names (`.` and `/` replaced).
fn host() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let name = if rc == 0 {
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    };
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() { "host".into() } else { name }
}

/// `root/path`, refusing anything that would leave the root (as OpenDAL's fs service does).
pub fn confined(root: &Path, path: &str) -> Result<PathBuf> {
    let trimmed = path.trim_start_matches('/');
    if trimmed.is_empty()
        || trimmed.ends_with('/')
        || Path::new(trimmed).components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        })
    {
        return Err(Error::new(
            ErrorKind::Unexpected,
            format!("{path:?} is not a file path inside the root"),
        ));
    }
    Ok(root.join(trimmed))
}

/// One write in progress.
pub struct PartialWriter {
    root: Arc<PathBuf>,
    path: String,
    open: Option<tokio::fs::File>,
    /// The partial file, until it is renamed into place or removed.
    temp: Option<PathBuf>,
    /// Once a call failed, every later one fails the same way: a write that failed half-way
    /// must not be retried on top of its own half (OpenDAL's retry layer retries writes and
    /// closes), and a close must never start a fresh, empty file.
    failed: Option<String>,
}

impl PartialWriter {
    pub fn new(root: Arc<PathBuf>, path: &str) -> Self {
        PartialWriter {
            root,
            path: path.to_string(),
            open: None,
            temp: None,
            failed: None,
        }
    }

    /// An I/O failure, said once and kept: not temporary, so no layer retries it.
    fn fail(&mut self, what: &str, e: std::io::Error) -> Error {
        let message = format!("{what} {}: {e}", self.path);
        self.failed = Some(message.clone());
        self.open = None;
        Error::new(ErrorKind::Unexpected, message).set_source(e)
    }

    fn poisoned(&self) -> Result<()> {
        match &self.failed {
            Some(m) => Err(Error::new(
                ErrorKind::Unexpected,
                format!("{m} (the write had already failed)"),
            )),
            None => Ok(()),
        }
    }

    /// The partial file, created on first use — once: a writer never makes a second one.
    async fn file(&mut self) -> Result<&mut tokio::fs::File> {
        self.poisoned()?;
        if self.temp.is_none() {
            // Checked before any byte is written: a bad path fails the write at once.
            confined(&self.root, &self.path)?;
            let dir = self.root.join(PARTIAL_DIR);
            if let Err(e) = tokio::fs::create_dir_all(&dir).await {
                return Err(self.fail("creating the partial file for", e));
            }
            let temp = dir.join(format!(
                "{}.{}.{}.partial",
                host(),
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let opened = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)
                .await;
            match opened {
                Ok(f) => {
                    self.temp = Some(temp);
                    self.open = Some(f);
                }
                Err(e) => return Err(self.fail("creating the partial file for", e)),
            }
        }
        match self.open.as_mut() {
            Some(f) => Ok(f),
            None => Err(Error::new(
                ErrorKind::Unexpected,
                format!("writing {}: the partial file is closed", self.path),
            )),
        }
    }
}

impl oio::Write for PartialWriter {
    async fn write(&mut self, bs: Buffer) -> Result<()> {
        let file = self.file().await?;
        let mut result = Ok(());
        for chunk in bs {
            if let Err(e) = file.write_all(&chunk).await {
                result = Err(e);
                break;
            }
        }
        result.map_err(|e| self.fail("writing", e))
    }

    async fn close(&mut self) -> Result<Metadata> {
        self.file().await?;
        let Some(mut file) = self.open.take() else {
            return Err(Error::new(ErrorKind::Unexpected, "partial file not open"));
        };
        // tokio reports a failed background write on the next call: flush and sync say it.
        if let Err(e) = file.flush().await {
            return Err(self.fail("writing", e));
        }
        if let Err(e) = file.sync_all().await {
            return Err(self.fail("writing", e));
        }
        drop(file);
        let target = confined(&self.root, &self.path)?;
        if let Some(parent) = target.parent()
            && let Err(e) = tokio::fs::create_dir_all(parent).await
        {
            return Err(self.fail("creating the directory of", e));
        }
        let Some(temp) = self.temp.clone() else {
            return Err(Error::new(ErrorKind::Unexpected, "no partial file"));
        };
        if let Err(e) = tokio::fs::rename(&temp, &target).await {
            return Err(self.fail("moving into place", e));
        }
        self.temp = None;
        // Nothing more may happen to this writer.
        self.failed = Some(format!("{} was already written", self.path));
        let meta = tokio::fs::metadata(&target)
            .await
            .map_err(new_std_io_error)?;
        let mut out = MetadataBuilder::file(meta.len());
        if let Some(t) = meta
            .modified()
            .ok()
            .and_then(|t| Timestamp::try_from(t).ok())
        {
            out.last_modified(t);
        }
        Ok(out.build())
    }

    async fn abort(&mut self) -> Result<()> {
        self.open = None;
        self.failed
            .get_or_insert_with(|| "the write was aborted".into());
        if let Some(temp) = self.temp.take() {
            match tokio::fs::remove_file(&temp).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(new_std_io_error(e)),
            }
        }
        Ok(())
    }
}

impl Drop for PartialWriter {
    /// A write dropped half-way (a stopped run) leaves nothing behind.
    fn drop(&mut self) {
        self.open = None;
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Whether process `pid` exists on this machine.
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes the partial files left under `root` by processes that are gone (a `kill -9`, a
/// crash), then the scratch directory once empty. Returns how many were removed.
pub fn remove_stale(root: &Path) -> usize {
    let dir = root.join(PARTIAL_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let me = host();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = parse(&name);
        let stale = match ours {
            Some((h, pid)) if h == me => !alive(pid),
            _ => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_AFTER),
        };
        if stale && entry.file_type().is_ok_and(|t| t.is_file()) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!(
                    "{}: stale partial file not removed: {e}",
                    entry.path().display()
                ),
            }
        }
    }
    if removed > 0 {
        tracing::info!(
            "{}: removed {removed} partial file(s) left by an interrupted run",
            dir.display()
        );
    }
    let _ = std::fs::remove_dir(&dir);
    removed
}

/// `(host, pid)` of a partial file name `<host>.<pid>.<n>.partial`.
fn parse(name: &str) -> Option<(&str, i32)> {
    let rest = name.strip_suffix(".partial")?;
    let (rest, n) = rest.rsplit_once('.')?;
    n.parse::<u64>().ok()?;
    let (host, pid) = rest.rsplit_once('.')?;
    Some((host, pid.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oio::Write as _;

    fn base(label: &str) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("ocisync-partial-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    #[tokio::test]
    async fn commit_abort_and_drop() {
        let root = Arc::new(base("writer"));
        let long = "n".repeat(255);
        let mut w = PartialWriter::new(root.clone(), &format!("d/{long}"));
        w.write(Buffer::from(b"hello".to_vec())).await.unwrap();
        assert_eq!(
            std::fs::read_dir(root.join(PARTIAL_DIR)).unwrap().count(),
            1
        );
        w.close().await.unwrap();
        assert_eq!(std::fs::read(root.join("d").join(&long)).unwrap(), b"hello");
        assert!(w.close().await.is_err(), "closed once");

        let mut w = PartialWriter::new(root.clone(), "aborted");
        w.write(Buffer::from(b"x".to_vec())).await.unwrap();
        w.abort().await.unwrap();
        let mut w = PartialWriter::new(root.clone(), "dropped");
        w.write(Buffer::from(b"x".to_vec())).await.unwrap();
        drop(w);
        assert_eq!(
            std::fs::read_dir(root.join(PARTIAL_DIR)).unwrap().count(),
            0
        );
        assert!(!root.join("aborted").exists() && !root.join("dropped").exists());
        assert!(confined(&root, "../x").is_err() && confined(&root, "a/../../x").is_err());

        // After a failure nothing more happens: no retried write, no new empty file on close.
        let mut w = PartialWriter::new(root.clone(), "failed");
        w.write(Buffer::from(b"x".to_vec())).await.unwrap();
        w.failed = Some("writing failed: No space left on device".into());
        assert!(w.write(Buffer::from(b"y".to_vec())).await.is_err());
        assert!(w.close().await.is_err());
        assert!(w.close().await.is_err(), "a retried close fails too");
        assert!(!root.join("failed").exists());
        drop(w);
        let _ = std::fs::remove_dir_all(&*root);
    }

    #[test]
    fn stale_files_of_gone_processes_are_removed() {
        let root = base("stale");
        let dir = root.join(PARTIAL_DIR);
        std::fs::create_dir_all(&dir).unwrap();
        let me = host();
        // A pid that cannot exist (above the kernel's maximum), one that does (ours), and a
        // fresh file of another host.
        let dead = dir.join(format!("{me}.{}.0.partial", i32::MAX));
        let live = dir.join(format!("{me}.{}.1.partial", std::process::id()));
        let other = dir.join("elsewhere.1.2.partial");
        for f in [&dead, &live, &other] {
            std::fs::write(f, b"part").unwrap();
        }
        assert_eq!(remove_stale(&root), 1);
        assert!(!dead.exists() && live.exists() && other.exists());
        assert_eq!(parse("my.host.12.3.partial"), Some(("my.host", 12)));
        assert_eq!(parse("report.csv.AbCdEfGh"), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
