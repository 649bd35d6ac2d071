//! `--lock-file`: one run at a time. An exclusive, non-blocking `flock` on the file; the kernel
//! drops it when the process ends however it ends (`kill -9` included), so there is never a
//! stale lock to clean up. The holder writes its pid and start time into the file so that a run
//! finding the lock taken can say who holds it and for how long.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

/// A lock held for the life of the value.
#[derive(Debug)]
pub struct RunLock {
    // Closing the file releases the lock.
    _file: File,
    path: PathBuf,
}

impl RunLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Who holds the lock, as its file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: Option<u32>,
    pub started: Option<Timestamp>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "pid {pid}")?,
            None => write!(f, "an unknown process")?,
        }
        if let Some(t) = self.started {
            write!(f, ", started {}", t.strftime("%Y-%m-%dT%H:%M:%SZ"))?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub enum Acquired {
    Locked(RunLock),
    /// Another process holds it.
    Held(Holder),
}

/// Takes the lock at `path` (created if missing), or says who holds it.
pub fn acquire(path: &Path) -> std::io::Result<Acquired> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Ok(Acquired::Held(parse_holder(&text)));
        }
        Err(TryLockError::Error(e)) => return Err(e),
    }
    // Ours now: say who we are (the previous holder's lines are replaced).
    file.set_len(0)?;
    file.rewind()?;
    writeln!(
        file,
        "pid={}\nstarted={}",
        std::process::id(),
        Timestamp::now()
    )?;
    file.flush()?;
    Ok(Acquired::Locked(RunLock {
        _file: file,
        path: path.to_path_buf(),
    }))
}

fn parse_holder(text: &str) -> Holder {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .map(str::trim)
    };
    Holder {
        pid: field("pid").and_then(|p| p.parse().ok()),
        started: field("started").and_then(|t| t.parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_taker_learns_the_holder_and_release_frees_it() {
        let dir = std::env::temp_dir().join(format!("ocisync-lock-{}", std::process::id()));
        let path = dir.join("sub/run.lock");
        let first = match acquire(&path).unwrap() {
            Acquired::Locked(l) => l,
            Acquired::Held(h) => panic!("held by {h}"),
        };
        // A second open file description conflicts with the first, even in one process.
        match acquire(&path).unwrap() {
            Acquired::Held(h) => {
                assert_eq!(h.pid, Some(std::process::id()));
                assert!(h.started.is_some());
            }
            Acquired::Locked(_) => panic!("locked twice"),
        }
        drop(first);
        assert!(matches!(acquire(&path).unwrap(), Acquired::Locked(_)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn holder_text() {
        let h = parse_holder("pid=42\nstarted=2026-11-30T06:00:00Z\n");
        assert_eq!(h.to_string(), "pid 42, started 2026-11-30T06:00:00Z");
        assert_eq!(parse_holder("").to_string(), "an unknown process");
    }
}
