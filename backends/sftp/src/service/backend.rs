//! The OpenDAL service: a builder around a ready [`SftpCore`] (so that the caller can share
//! the connection, e.g. to set modification times) and the `Service` wiring each operation to
//! its reader, writer, lister or deleter.

use std::sync::Arc;

use opendal::raw::*;
use opendal::{Builder, Capability, Error, ErrorKind, OperationContext, Result};

use super::core::{SftpCore, to_metadata};
use super::deleter::SftpDeleter;
use super::lister::SftpLister;
use super::reader::SftpReader;
use super::writer::SftpWriter;

/// The scheme OpenDAL reports for this service.
pub const SCHEME: &str = "sftp";

/// Builds the service on a core made with [`SftpCore::new`]. There is deliberately no
/// key-value configuration: connections are set up in code, with ocisync's checks.
#[derive(Debug, Default)]
pub struct SftpBuilder {
    core: Option<Arc<SftpCore>>,
}

impl SftpBuilder {
    pub fn new(core: Arc<SftpCore>) -> Self {
        SftpBuilder { core: Some(core) }
    }
}

impl Builder for SftpBuilder {
    // No serde configuration (see the type's docs).
    type Config = ();

    fn build(self) -> Result<impl Service> {
        let core = self.core.ok_or_else(|| {
            Error::new(
                ErrorKind::ConfigInvalid,
                "sftp: no connection given to the builder",
            )
        })?;
        Ok(SftpBackend { core })
    }
}

#[derive(Debug, Clone)]
pub struct SftpBackend {
    core: Arc<SftpCore>,
}

impl Service for SftpBackend {
    type Reader = oio::StreamReader<SftpReader>;
    type Writer = SftpWriter;
    type Lister = SftpLister;
    type Deleter = oio::OneShotDeleter<SftpDeleter>;
    type Copier = ();
    type Composer = ();

    fn info(&self) -> ServiceInfo {
        ServiceInfo::new(SCHEME, &self.core.root, self.core.destination())
    }

    fn capability(&self) -> Capability {
        Capability {
            stat: true,
            read: true,
            write: true,
            // The writer streams any number of writes into one file.
            write_can_multi: true,
            write_can_empty: true,
            create_dir: true,
            delete: true,
            list: true,
            shared: true,
            ..Default::default()
        }
    }

    async fn create_dir(
        &self,
        _: &OperationContext,
        path: &str,
        _: OpCreateDir,
    ) -> Result<RpCreateDir> {
        let ch = self.core.channel().await?;
        self.core.create_dirs(&ch, &self.core.abs(path)).await?;
        Ok(RpCreateDir::default())
    }

    async fn stat(&self, _: &OperationContext, path: &str, _: OpStat) -> Result<RpStat> {
        let abs = self.core.abs(path);
        let ch = self.core.channel().await?;
        let meta = match ch.sftp.fs().metadata(&abs).await {
            Ok(m) => to_metadata(&m),
            Err(e) => return Err(self.core.error(&ch, e, "stat", &abs).await),
        };
        if path.ends_with('/') && !meta.is_dir() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("sftp stat {abs:?}: not a directory"),
            ));
        }
        Ok(RpStat::new(meta))
    }

    fn read(&self, _: &OperationContext, path: &str, _: OpRead) -> Result<Self::Reader> {
        Ok(oio::StreamReader::new(SftpReader::new(
            self.core.clone(),
            path,
        )))
    }

    fn write(&self, _: &OperationContext, path: &str, _: OpWrite) -> Result<Self::Writer> {
        Ok(SftpWriter::new(self.core.clone(), path))
    }

    fn delete(&self, _: &OperationContext) -> Result<Self::Deleter> {
        Ok(oio::OneShotDeleter::new(SftpDeleter::new(
            self.core.clone(),
        )))
    }

    fn list(&self, _: &OperationContext, path: &str, _: OpList) -> Result<Self::Lister> {
        Ok(SftpLister::new(self.core.clone(), path))
    }

    fn copy(&self, _: &OperationContext, _: &str, _: &str, _: OpCopy) -> Result<Self::Copier> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "sftp: no server-side copy",
        ))
    }

    async fn rename(
        &self,
        _: &OperationContext,
        _: &str,
        _: &str,
        _: OpRename,
    ) -> Result<RpRename> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "sftp: rename is not offered",
        ))
    }

    async fn presign(&self, _: &OperationContext, _: &str, _: OpPresign) -> Result<RpPresign> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "sftp: no presigned URLs",
        ))
    }
}
