//! The private directory for the OpenSSH master's control socket: one per remote opened by this
//! process, mode 0700, under `$XDG_RUNTIME_DIR` (or the temporary directory), removed when the
//! remote is dropped; those of processes that are gone (killed) are removed at the next open.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const PREFIX: &str = "ocisync-ssh-";

#[derive(Debug)]
pub struct ControlDir {
    path: PathBuf,
}

impl ControlDir {
    pub fn create() -> std::io::Result<ControlDir> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let base = base();
        remove_stale(&base);
        let pid = std::process::id();
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = base.join(format!("{PREFIX}{pid}-{n}"));
        // Left over by an earlier process that had this pid.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(ControlDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ControlDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// `$XDG_RUNTIME_DIR` (per user, 0700, tmpfs) when set, else the temporary directory. Socket
/// paths are limited to ~100 bytes, so nothing deeper.
fn base() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

/// Removes the control directories of processes that no longer run (only this user's: others
/// cannot be removed anyway).
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_and_removed_when_dropped() {
        let d = ControlDir::create().unwrap();
        let p = d.path().to_path_buf();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        drop(d);
        assert!(!p.exists());
    }
}
