//! Writes: into `NAME.XXXXXXXX.partial` next to the target (parent directories made on
//! demand), renamed over the target when complete, removed on abort — a reader never sees a
//! half-written file under its real name (rclone's partial uploads, same naming). The bytes
//! stream through with SFTP's pipelined writes; nothing is buffered beyond them.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Buf;
use opendal::raw::*;
use opendal::{Buffer, Error, ErrorKind, Metadata, MetadataBuilder, Result};
use openssh_sftp_client::Error as SftpError;
use openssh_sftp_client::error::SftpErrorKind;
use openssh_sftp_client::file::TokioCompatFile;
use tokio::io::AsyncWriteExt;

use super::core::{Channel, SftpCore};

pub struct SftpWriter {
    core: Arc<SftpCore>,
    /// Server-side paths.
    target: String,
    partial: String,
    open: Option<Open>,
    written: u64,
}

struct Open {
    ch: Channel,
    file: Pin<Box<TokioCompatFile>>,
    /// A second reference to the handle, to close it and wait for the answer before the
    /// rename (servers that handle requests concurrently, like rclone's, would otherwise
    /// rename a file still open, and a later SETSTAT could find the old name).
    handle: openssh_sftp_client::file::File,
}

impl SftpWriter {
    pub fn new(core: Arc<SftpCore>, path: &str) -> Self {
        let target = core.abs(path);
        let partial = partial_name(&target);
        SftpWriter {
            core,
            target,
            partial,
            open: None,
            written: 0,
        }
    }

    async fn file(&mut self) -> Result<&mut Open> {
        if self.open.is_none() {
            let ch = self.core.channel().await?;
            let file = match create(&ch, &self.partial).await {
                Ok(f) => f,
                Err(SftpError::SftpError(SftpErrorKind::NoSuchFile, _)) => {
                    if let Some((parent, _)) = self.target.rsplit_once('/') {
                        self.core.create_dirs(&ch, parent).await?;
                    }
                    match create(&ch, &self.partial).await {
                        Ok(f) => f,
                        Err(e) => {
                            return Err(self.core.error(&ch, e, "create", &self.partial).await);
                        }
                    }
                }
                Err(e) => return Err(self.core.error(&ch, e, "create", &self.partial).await),
            };
            self.open = Some(Open {
                ch,
                handle: file.clone(),
                file: Box::pin(TokioCompatFile::new(file)),
            });
        }
        Ok(self.open.as_mut().expect("opened above"))
    }

    async fn remove_partial(&self, ch: &Channel) {
        if let Err(e) = ch.sftp.fs().remove_file(&self.partial).await {
            tracing::warn!(
                "sftp: could not remove the partial file {:?}: {e}",
                self.partial
            );
        }
    }
}

async fn create(
    ch: &Channel,
    path: &str,
) -> std::result::Result<openssh_sftp_client::file::File, SftpError> {
    ch.sftp
        .options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .await
}

impl oio::Write for SftpWriter {
    async fn write(&mut self, mut bs: Buffer) -> Result<()> {
        let (core, target) = (self.core.clone(), self.target.clone());
        let open = self.file().await?;
        let mut moved = 0u64;
        while bs.has_remaining() {
            let n = match open.file.write(bs.chunk()).await {
                Ok(0) => 0,
                Ok(n) => n,
                Err(e) => {
                    // Not retried in place (part of the buffer may be written): the channel
                    // goes, and the next attempt of the file starts a new partial file.
                    core.discard(&open.ch).await;
                    return Err(Error::new(
                        ErrorKind::Unexpected,
                        format!("sftp write {target:?}: {e}"),
                    ));
                }
            };
            if n == 0 {
                return Err(Error::new(
                    ErrorKind::Unexpected,
                    format!("sftp write {target:?}: no progress"),
                ));
            }
            bs.advance(n);
            moved += n as u64;
        }
        self.written += moved;
        Ok(())
    }

    async fn close(&mut self) -> Result<Metadata> {
        // An empty file is written too.
        self.file().await?;
        let Open {
            ch,
            mut file,
            handle,
        } = self.open.take().expect("opened above");
        // Every write acknowledged...
        let flushed = file.shutdown().await;
        drop(file);
        if let Err(e) = flushed {
            drop(handle);
            self.core.discard(&ch).await;
            self.remove_partial(&ch).await;
            return Err(Error::new(
                ErrorKind::Unexpected,
                format!("sftp write {:?}: {e}", self.target),
            ));
        }
        // ...then the handle closed (the last reference sends CLOSE and waits for it).
        if let Err(e) = handle.close().await {
            self.remove_partial(&ch).await;
            return Err(self.core.error(&ch, e, "close", &self.partial).await);
        }
        let mut fs = ch.sftp.fs();
        if let Err(first) = fs.rename(&self.partial, &self.target).await {
            // Without the posix-rename extension, a rename does not replace an existing file.
            let replaced = !ch.sftp.support_posix_rename()
                && fs.remove_file(&self.target).await.is_ok()
                && fs.rename(&self.partial, &self.target).await.is_ok();
            if !replaced {
                self.remove_partial(&ch).await;
                return Err(self
                    .core
                    .error(&ch, first, "rename into place", &self.target)
                    .await);
            }
        }
        Ok(MetadataBuilder::file(self.written).build())
    }

    async fn abort(&mut self) -> Result<()> {
        if let Some(Open { ch, file, handle }) = self.open.take() {
            drop(file);
            let _ = handle.close().await;
            self.remove_partial(&ch).await;
        }
        Ok(())
    }
}

/// `dir/NAME.XXXXXXXX.partial`: unique per writer of this process.
fn partial_name(target: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tag = (u64::from(std::process::id()) << 32 | u64::from(nanos))
        ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!("{target}.{:08x}.partial", tag as u32)
}

#[cfg(test)]
mod tests {
    #[test]
    fn partial_names_sit_next_to_the_target_and_differ() {
        let a = super::partial_name("d/x.csv");
        let b = super::partial_name("d/x.csv");
        assert!(a.starts_with("d/x.csv.") && a.ends_with(".partial"), "{a}");
        assert_ne!(a, b);
    }
}
