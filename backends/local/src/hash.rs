//! MD5 of a local file for `--checksum` and `hashsum`, without OpenDAL's reader: one blocking
//! task per file that opens it (never through a link, as every read here), reads it into a
//! buffer its thread keeps, and hashes it there. Through OpenDAL each file cost an open task,
//! a zeroed 1 MiB buffer per read (two per small file: the data, then end of file) and the
//! hashing on the engine's task; a 3,000-file `--checksum` no-op was slower than rclone's.

use std::cell::RefCell;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use ocisync_backend::fast_md5::Md5Hasher;
use ocisync_backend::remote::Md5Reader;
use ocisync_backend::{Error, ErrorKind, Md5, Result};

/// Read size: large enough that a syscall's cost vanishes next to hashing the bytes, small
/// enough to stay in the L2 cache while it is hashed.
const READ_BUF: usize = 256 << 10;

#[derive(Debug)]
pub(crate) struct FileMd5 {
    pub root: Arc<PathBuf>,
    /// `-L/--copy-links`: links are followed.
    pub follow: bool,
}

#[async_trait]
impl Md5Reader for FileMd5 {
    async fn md5(&self, path: &str) -> Result<Md5> {
        let (root, follow) = (self.root.clone(), self.follow);
        let rel = path.trim_start_matches('/').to_string();
        tokio::task::spawn_blocking(move || {
            let file = crate::links::open_file(&root, &rel, follow);
            file.and_then(hash_file).map_err(|e| io_error(&rel, e))
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Other, format!("hashing task: {e}")))?
    }
}

fn hash_file(mut file: std::fs::File) -> io::Result<Md5> {
    thread_local! {
        static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    BUF.with_borrow_mut(|buf| {
        buf.resize(READ_BUF, 0);
        let mut h = Md5Hasher::new();
        loop {
            match file.read(buf) {
                Ok(0) => return Ok(h.finalize()),
                Ok(n) => h.update(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    })
}

/// The same kinds and words as reads through OpenDAL give.
fn io_error(path: &str, e: io::Error) -> Error {
    let (kind, what) = match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::EXDEV) => (
            ErrorKind::PermissionDenied,
            format!("{path}: a symbolic link is on the way; not followed without -L/--copy-links"),
        ),
        Some(libc::EACCES) | Some(libc::EPERM) => (
            ErrorKind::PermissionDenied,
            format!("permission denied: {e}"),
        ),
        _ if e.kind() == io::ErrorKind::NotFound => (ErrorKind::NotFound, e.to_string()),
        _ => (ErrorKind::Other, e.to_string()),
    };
    Error::new(kind, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_files_and_names_missing_ones() {
        let dir = std::env::temp_dir().join(format!("ocisync-local-md5-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a")).unwrap();
        let big: Vec<u8> = (0..(READ_BUF * 2 + 17)).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.join("a/big"), &big).unwrap();
        std::fs::write(dir.join("empty"), b"").unwrap();
        let r = FileMd5 {
            root: Arc::new(dir.clone()),
            follow: false,
        };
        assert_eq!(r.md5("a/big").await.unwrap(), Md5::of(&big));
        assert_eq!(r.md5("/empty").await.unwrap(), Md5::of(b""));
        let e = r.md5("nope").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
