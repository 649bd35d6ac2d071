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

    /// One blocking task reads the files: the small ones whole, into one buffer its thread
    /// keeps, hashed side by side in vector lanes; larger ones on their own, as `md5` does.
    async fn md5_many(&self, paths: &[String]) -> Vec<Result<Md5>> {
        let (root, follow) = (self.root.clone(), self.follow);
        let rels: Vec<String> = paths
            .iter()
            .map(|p| p.trim_start_matches('/').to_string())
            .collect();
        let count = rels.len();
        match tokio::task::spawn_blocking(move || hash_files(&root, &rels, follow)).await {
            Ok(md5s) => md5s,
            Err(e) => (0..count)
                .map(|_| Err(Error::new(ErrorKind::Other, format!("hashing task: {e}"))))
                .collect(),
        }
    }
}

/// Files up to this size are read whole and hashed in lanes with the others of their group;
/// larger ones are read [`READ_BUF`] at a time. A group holds at most this much per file.
pub(crate) const WHOLE_FILE: u64 = 128 << 10;

fn hash_files(root: &std::path::Path, rels: &[String], follow: bool) -> Vec<Result<Md5>> {
    thread_local! {
        static WHOLE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    WHOLE.with_borrow_mut(|whole| {
        whole.clear();
        // Per file: its MD5 already, an error, or where its bytes are in `whole`.
        enum Got {
            Done(Result<Md5>),
            Read(std::ops::Range<usize>),
        }
        let got: Vec<Got> = rels
            .iter()
            .map(|rel| {
                let read = crate::links::open_file(root, rel, follow)
                    .and_then(|file| read_small(file, whole));
                match read {
                    Ok(Ok(range)) => Got::Read(range),
                    Ok(Err(md5)) => Got::Done(Ok(md5)),
                    Err(e) => Got::Done(Err(io_error(rel, e))),
                }
            })
            .collect();
        let read: Vec<&[u8]> = got
            .iter()
            .filter_map(|g| match g {
                Got::Read(r) => Some(&whole[r.clone()]),
                Got::Done(_) => None,
            })
            .collect();
        let mut lanes = ocisync_backend::md5_lanes::md5_all(&read).into_iter();
        got.into_iter()
            .map(|g| match g {
                Got::Done(md5) => md5,
                Got::Read(_) => Ok(lanes.next().expect("one MD5 per file read")),
            })
            .collect()
    })
}

/// Appends `file` to `whole` if it is at most [`WHOLE_FILE`] long, returning where it is;
/// otherwise (it may have grown since it was listed) hashes it on its own and returns the MD5,
/// leaving `whole` as it was.
fn read_small(
    file: std::fs::File,
    whole: &mut Vec<u8>,
) -> io::Result<Result<std::ops::Range<usize>, Md5>> {
    let start = whole.len();
    let mut file = file;
    let read = match (&mut file).take(WHOLE_FILE + 1).read_to_end(whole) {
        Ok(read) => read,
        Err(e) => {
            // What was read of it is no one's.
            whole.truncate(start);
            return Err(e);
        }
    };
    if read as u64 <= WHOLE_FILE {
        return Ok(Ok(start..start + read));
    }
    let mut h = Md5Hasher::new();
    h.update(&whole[start..]);
    whole.truncate(start);
    Ok(Err(hash_rest(file, h)?))
}

fn hash_file(file: std::fs::File) -> io::Result<Md5> {
    hash_rest(file, Md5Hasher::new())
}

/// Feeds `h` what is left of `file`, then gives its MD5.
fn hash_rest(mut file: std::fs::File, mut h: Md5Hasher) -> io::Result<Md5> {
    thread_local! {
        static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    BUF.with_borrow_mut(|buf| {
        buf.resize(READ_BUF, 0);
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

    /// A group in one call: small files in lanes, a large one on its own, a missing one named
    /// in its own slot, each answer in the order asked.
    #[tokio::test]
    async fn many_at_once_answer_in_order() {
        let dir = std::env::temp_dir().join(format!("ocisync-local-md5s-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("d")).unwrap();
        let mut want = Vec::new();
        let mut paths = Vec::new();
        let sizes = [
            0,
            1,
            63,
            64,
            65,
            4096,
            30_000,
            WHOLE_FILE as usize,
            WHOLE_FILE as usize + 1,
            3 * READ_BUF + 5,
        ];
        for (i, n) in sizes.into_iter().enumerate() {
            let data: Vec<u8> = (0..n).map(|j| (j * 7 + i) as u8).collect();
            std::fs::write(dir.join(format!("d/f{i}")), &data).unwrap();
            paths.push(format!("/d/f{i}"));
            want.push(Some(Md5::of(&data)));
            if i == 3 {
                paths.push("d/missing".into());
                want.push(None);
            }
        }
        let r = FileMd5 {
            root: Arc::new(dir.clone()),
            follow: false,
        };
        let got = r.md5_many(&paths).await;
        assert_eq!(got.len(), want.len());
        for ((got, want), path) in got.into_iter().zip(want).zip(&paths) {
            match (got, want) {
                (Ok(g), Some(w)) => assert_eq!(g, w, "{path}"),
                (Err(e), None) => {
                    assert_eq!(e.kind, ErrorKind::NotFound, "{path}");
                }
                (got, want) => panic!("{path}: got {got:?}, want {want:?}"),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
