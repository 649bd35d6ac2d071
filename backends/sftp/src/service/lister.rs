//! Listings: one directory per call (OpenDAL walks sub-directories for recursive listings),
//! the directory itself first, then its entries with size and modification time from the
//! same READDIR answer — no per-file request.

use std::pin::Pin;
use std::sync::Arc;

use futures::StreamExt;
use opendal::raw::*;
use opendal::{Error, ErrorKind, Result};
use openssh_sftp_client::fs::ReadDir;

use super::core::{Channel, SftpCore, to_metadata};

pub struct SftpLister {
    core: Arc<SftpCore>,
    /// The listed directory as OpenDAL names it (`""`/`"/"` for the root, else ending in `/`).
    path: String,
    state: State,
}

enum State {
    Start,
    Reading {
        _ch: Channel,
        dir: Pin<Box<ReadDir>>,
        abs: String,
    },
    Done,
}

impl SftpLister {
    pub fn new(core: Arc<SftpCore>, path: &str) -> Self {
        SftpLister {
            core,
            path: path.to_string(),
            state: State::Start,
        }
    }

    fn prefix(&self) -> &str {
        if self.path == "/" { "" } else { &self.path }
    }
}

impl oio::List for SftpLister {
    async fn next(&mut self) -> Result<Option<oio::Entry>> {
        loop {
            match &mut self.state {
                State::Done => return Ok(None),
                State::Start => {
                    let abs = self.core.abs(&self.path);
                    let ch = self.core.channel().await?;
                    let opened = ch.sftp.fs().open_dir(&abs).await;
                    match opened {
                        Ok(dir) => {
                            self.state = State::Reading {
                                _ch: ch,
                                dir: Box::pin(dir.read_dir()),
                                abs,
                            };
                        }
                        Err(e) => {
                            let err = self.core.error(&ch, e, "list", &abs).await;
                            self.state = State::Done;
                            // A file, not a directory: nothing under it, as an object store's
                            // `file/` prefix (the engine then looks the path up as one object).
                            let is_file = err.kind() == ErrorKind::Unexpected
                                && !err.is_temporary()
                                && ch
                                    .sftp
                                    .fs()
                                    .metadata(&abs)
                                    .await
                                    .is_ok_and(|m| m.file_type().is_some_and(|t| !t.is_dir()));
                            if is_file {
                                return Ok(None);
                            }
                            return match err.kind() {
                                // A directory that does not exist lists as empty.
                                ErrorKind::NotFound => Ok(None),
                                // OpenDAL's recursive walk would skip it silently, and a sync
                                // would then delete its copies: an error instead.
                                ErrorKind::PermissionDenied => Err(Error::new(
                                    ErrorKind::Unexpected,
                                    format!("{}: permission denied, cannot list it", err.message()),
                                )),
                                _ => Err(err),
                            };
                        }
                    }
                }
                State::Reading { _ch, dir, abs } => {
                    let Some(item) = dir.next().await else {
                        self.state = State::Done;
                        return Ok(None);
                    };
                    let entry = match item {
                        Ok(e) => e,
                        Err(e) => {
                            let abs = abs.clone();
                            let ch = _ch.clone();
                            return Err(self.core.error(&ch, e, "list", &abs).await);
                        }
                    };
                    let Some(name) = entry.filename().to_str() else {
                        tracing::warn!(
                            "sftp list {abs:?}: skipped {:?}: the name is not UTF-8",
                            entry.filename()
                        );
                        continue;
                    };
                    let meta = to_metadata(&entry.metadata());
                    let path = match name {
                        ".." => continue,
                        "." if self.prefix().is_empty() => "/".to_string(),
                        "." => self.path.clone(),
                        n if meta.is_dir() => format!("{}{n}/", self.prefix()),
                        n => format!("{}{n}", self.prefix()),
                    };
                    return Ok(Some(oio::Entry::new(&path, meta)));
                }
            }
        }
    }
}
