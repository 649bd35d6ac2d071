//! Reads: one GET per opened range, streamed. A server that ignores `Range` (`python -m
//! http.server` does) answers 200 with the whole file; the stream then skips to the offset and
//! stops at the range's end, so a ranged read never returns the wrong bytes.

use std::sync::Arc;

use bytes::Buf;
use http::StatusCode;
use opendal::raw::*;
use opendal::{Buffer, BytesRange, HttpBody, OperationContext, Result};

use super::core::{HttpCore, status_error};

pub struct HttpReader {
    core: Arc<HttpCore>,
    ctx: OperationContext,
    path: String,
}

impl HttpReader {
    pub fn new(core: Arc<HttpCore>, ctx: OperationContext, path: &str) -> Self {
        HttpReader {
            core,
            ctx,
            path: path.to_string(),
        }
    }
}

impl oio::StreamRead for HttpReader {
    async fn open(&self, range: BytesRange) -> Result<(RpRead, Box<dyn oio::ReadStreamDyn>)> {
        let resp = self.core.get(&self.ctx, &self.path, range).await?;
        let status = resp.status();
        let (skip, left) = match status {
            StatusCode::PARTIAL_CONTENT => (0, None),
            StatusCode::OK => (range.offset(), range.size()),
            _ => {
                let what = format!("GET {}", self.core.url(&self.path));
                // The body (bounded by the transport) is not needed: the status says it.
                drop(resp);
                return Err(status_error(&what, status));
            }
        };
        let stream = Window {
            body: resp.into_body(),
            skip,
            left,
        };
        Ok((RpRead::default(), Box::new(stream)))
    }
}

/// The part of a response body from `skip` bytes on, at most `left` bytes.
struct Window {
    body: HttpBody,
    skip: u64,
    left: Option<u64>,
}

impl oio::ReadStream for Window {
    async fn read(&mut self) -> Result<Buffer> {
        loop {
            if self.left == Some(0) {
                return Ok(Buffer::new());
            }
            let mut buf = oio::ReadStream::read(&mut self.body).await?;
            if buf.is_empty() {
                return Ok(buf);
            }
            if self.skip > 0 {
                let n = self.skip.min(buf.len() as u64);
                buf.advance(n as usize);
                self.skip -= n;
                if buf.is_empty() {
                    continue;
                }
            }
            if let Some(left) = self.left.as_mut() {
                if (buf.len() as u64) > *left {
                    buf.truncate(*left as usize);
                }
                *left -= buf.len() as u64;
            }
            return Ok(buf);
        }
    }
}
