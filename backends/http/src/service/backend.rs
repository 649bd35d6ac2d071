//! The OpenDAL service: a builder from a ready [`HttpConfig`] and the `Service` wiring stat,
//! read and list to the core; every write, delete or directory creation fails with rclone's
//! reason (the capability says so first, so the engine can refuse before any work).

use std::sync::Arc;

use http::StatusCode;
use opendal::raw::*;
use opendal::{Builder, Capability, Error, ErrorKind, OperationContext, Result};

use super::core::{
    HttpConfig, HttpCore, dir_metadata, file_metadata, media_type, redirects_to_dir, status_error,
};
use super::lister::HttpLister;
use super::reader::HttpReader;

/// The scheme OpenDAL reports for this service.
pub const SCHEME: &str = "http";

/// What writes, deletes and directory creation fail with.
pub const READ_ONLY: &str = "http remotes are read-only, as in rclone";

/// Builds the service from a configuration made by the backend (no key-value configuration:
/// URLs and headers are checked by ocisync first).
#[derive(Debug, Default)]
pub struct HttpBuilder {
    cfg: Option<HttpConfig>,
}

impl HttpBuilder {
    pub fn new(cfg: HttpConfig) -> Self {
        HttpBuilder { cfg: Some(cfg) }
    }
}

impl Builder for HttpBuilder {
    type Config = ();

    fn build(self) -> Result<impl Service> {
        let cfg = self
            .cfg
            .ok_or_else(|| Error::new(ErrorKind::ConfigInvalid, "http: no configuration given"))?;
        Ok(HttpBackend {
            core: Arc::new(HttpCore { cfg }),
        })
    }
}

#[derive(Debug, Clone)]
pub struct HttpBackend {
    core: Arc<HttpCore>,
}

fn read_only() -> Error {
    Error::new(ErrorKind::Unsupported, READ_ONLY)
}

impl Service for HttpBackend {
    type Reader = oio::StreamReader<HttpReader>;
    type Writer = ();
    type Lister = HttpLister;
    type Deleter = ();
    type Copier = ();
    type Composer = ();

    fn info(&self) -> ServiceInfo {
        ServiceInfo::new(SCHEME, "/", self.core.cfg.base.as_str())
    }

    fn capability(&self) -> Capability {
        Capability {
            stat: true,
            read: true,
            list: true,
            list_with_recursive: true,
            shared: true,
            ..Default::default()
        }
    }

    async fn create_dir(
        &self,
        _: &OperationContext,
        _: &str,
        _: OpCreateDir,
    ) -> Result<RpCreateDir> {
        Err(read_only())
    }

    async fn stat(&self, ctx: &OperationContext, path: &str, _: OpStat) -> Result<RpStat> {
        if path.is_empty() || path == "/" {
            return Ok(RpStat::new(dir_metadata()));
        }
        let url = self.core.url(path);
        let what = format!("HEAD {url}");
        let resp = self.core.head(ctx, path).await?;
        let status = resp.status();
        let headers = resp.headers();
        let is_html = media_type(headers).as_deref() == Some("text/html");
        if path.ends_with('/') {
            // A directory exists when its URL answers (nginx without autoindex: 403).
            return match status {
                s if s.is_success() || s == StatusCode::FORBIDDEN => {
                    Ok(RpStat::new(dir_metadata()))
                }
                s => Err(status_error(&what, s)),
            };
        }
        if status.is_success() {
            if self.core.cfg.no_slash && is_html {
                return Ok(RpStat::new(dir_metadata()));
            }
            return file_metadata(&url, headers).map(RpStat::new);
        }
        if status.is_redirection() && redirects_to_dir(&url, headers) {
            return Ok(RpStat::new(dir_metadata()));
        }
        Err(status_error(&what, status))
    }

    fn read(&self, ctx: &OperationContext, path: &str, _: OpRead) -> Result<Self::Reader> {
        Ok(oio::StreamReader::new(HttpReader::new(
            self.core.clone(),
            ctx.clone(),
            path,
        )))
    }

    fn write(&self, _: &OperationContext, _: &str, _: OpWrite) -> Result<Self::Writer> {
        Err(read_only())
    }

    fn delete(&self, _: &OperationContext) -> Result<Self::Deleter> {
        Err(read_only())
    }

    fn list(&self, ctx: &OperationContext, path: &str, args: OpList) -> Result<Self::Lister> {
        Ok(HttpLister::new(
            self.core.clone(),
            ctx.clone(),
            path,
            args.recursive(),
        ))
    }

    fn copy(&self, _: &OperationContext, _: &str, _: &str, _: OpCopy) -> Result<Self::Copier> {
        Err(read_only())
    }

    async fn rename(
        &self,
        _: &OperationContext,
        _: &str,
        _: &str,
        _: OpRename,
    ) -> Result<RpRename> {
        Err(read_only())
    }

    async fn presign(&self, _: &OperationContext, _: &str, _: OpPresign) -> Result<RpPresign> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "http: no presigned URLs",
        ))
    }
}
