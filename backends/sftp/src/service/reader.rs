//! Reads: a file opened at the requested offset, streamed in the server's largest read
//! requests; the whole file is never held.

use std::sync::Arc;

use bytes::BytesMut;
use opendal::raw::*;
use opendal::{Buffer, BytesRange, Result};
use openssh_sftp_client::file::File;
use tokio::io::AsyncSeekExt;

use super::core::{Channel, SftpCore};

/// Bytes asked for at once (a bounded buffer per open read).
const READ_CHUNK: u64 = 1 << 20;

pub struct SftpReader {
    core: Arc<SftpCore>,
    path: String,
}

impl SftpReader {
    pub fn new(core: Arc<SftpCore>, path: &str) -> Self {
        SftpReader {
            core,
            path: path.to_string(),
        }
    }
}

impl oio::StreamRead for SftpReader {
    async fn open(&self, range: BytesRange) -> Result<(RpRead, Box<dyn oio::ReadStreamDyn>)> {
        let abs = self.core.abs(&self.path);
        let ch = self.core.channel().await?;
        let mut file = match ch.sftp.open(&abs).await {
            Ok(f) => f,
            Err(e) => return Err(self.core.error(&ch, e, "open", &abs).await),
        };
        if range.offset() != 0 {
            file.seek(std::io::SeekFrom::Start(range.offset()))
                .await
                .map_err(new_std_io_error)?;
        }
        let stream = SftpReadStream {
            core: self.core.clone(),
            _ch: ch,
            file,
            path: abs,
            left: range.size(),
        };
        Ok((
            RpRead::default(),
            Box::new(stream) as Box<dyn oio::ReadStreamDyn>,
        ))
    }
}

pub struct SftpReadStream {
    core: Arc<SftpCore>,
    /// Keeps the channel of the open file.
    _ch: Channel,
    file: File,
    path: String,
    /// Bytes still wanted (`None`: to the end).
    left: Option<u64>,
}

impl oio::ReadStream for SftpReadStream {
    async fn read(&mut self) -> Result<Buffer> {
        // Larger than one SFTP request: the client splits it into requests sent together.
        let max = READ_CHUNK;
        let want = match self.left {
            Some(0) => return Ok(Buffer::new()),
            Some(n) => n.min(max),
            None => max,
        } as u32;
        match self.file.read(want, BytesMut::new()).await {
            Ok(Some(bytes)) => {
                if let Some(left) = self.left.as_mut() {
                    *left = left.saturating_sub(bytes.len() as u64);
                }
                Ok(Buffer::from(bytes.freeze()))
            }
            // End of file.
            Ok(None) => Ok(Buffer::new()),
            Err(e) => Err(self.core.error(&self._ch, e, "read", &self.path).await),
        }
    }
}
