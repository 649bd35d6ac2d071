//! Reads: a file opened once, streamed in rounds of up to 1 MiB — 20 KiB read requests, all of
//! a round sent together (one round trip per MiB, not per request) — at offsets this reader
//! keeps itself; the whole file is never held.

use std::io::SeekFrom;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use opendal::raw::*;
use opendal::{Buffer, BytesRange, Result};
use openssh_sftp_client::file::File;
use tokio::io::AsyncSeekExt;

use super::core::{Channel, READ_PIECE, SftpCore};

/// Bytes asked for in one round (a bounded buffer per open read).
const ROUND: u64 = 1 << 20;

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
        let file = match ch.sftp.open(&abs).await {
            Ok(f) => f,
            Err(e) => return Err(self.core.error(&ch, e, "open", &abs).await),
        };
        let stream = SftpReadStream {
            core: self.core.clone(),
            ch,
            file,
            path: abs,
            offset: range.offset(),
            left: range.size(),
            eof: false,
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
    ch: Channel,
    file: File,
    path: String,
    /// Where the next round starts (the client's own file offset advances by what was asked,
    /// not by what a short read returned: it is not relied on).
    offset: u64,
    /// Bytes still wanted (`None`: to the end).
    left: Option<u64>,
    eof: bool,
}

impl oio::ReadStream for SftpReadStream {
    async fn read(&mut self) -> Result<Buffer> {
        let want = match self.left {
            _ if self.eof => return Ok(Buffer::new()),
            Some(0) => return Ok(Buffer::new()),
            Some(n) => n.min(ROUND),
            None => ROUND,
        };
        let max = u64::from(READ_PIECE);
        // One request per server-sized piece, each on its own handle clone at its own offset.
        let mut pieces = Vec::new();
        let mut at = 0;
        while at < want {
            let n = (want - at).min(max);
            let mut f = self.file.clone();
            let start = self.offset + at;
            pieces.push(async move {
                f.seek(SeekFrom::Start(start)).await.map_err(|e| {
                    openssh_sftp_client::Error::IOError(std::io::Error::other(e.to_string()))
                })?;
                f.read(n as u32, BytesMut::new()).await.map(|got| (n, got))
            });
            at += n;
        }
        let mut out: Vec<Bytes> = Vec::new();
        let mut got_total = 0u64;
        for answer in futures::future::join_all(pieces).await {
            match answer {
                Ok((asked, Some(bytes))) => {
                    let short = (bytes.len() as u64) < asked;
                    got_total += bytes.len() as u64;
                    out.push(bytes.freeze());
                    // A short answer: what follows is asked again from there next round.
                    if short {
                        break;
                    }
                }
                Ok((_, None)) => {
                    self.eof = true;
                    break;
                }
                Err(e) => return Err(self.core.error(&self.ch, e, "read", &self.path).await),
            }
        }
        if got_total > 0 {
            // Bytes arrived: not the end yet, whatever a later piece said.
            self.eof = false;
        }
        self.offset += got_total;
        if let Some(left) = self.left.as_mut() {
            *left = left.saturating_sub(got_total);
        }
        Ok(out.into_iter().collect())
    }
}
