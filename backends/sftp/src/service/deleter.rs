//! Deletes: a file (or an empty directory, for a path ending in `/`); one already gone is no
//! error.

use std::sync::Arc;

use opendal::raw::*;
use opendal::{ErrorKind, Result};

use super::core::SftpCore;

pub struct SftpDeleter {
    core: Arc<SftpCore>,
}

impl SftpDeleter {
    pub fn new(core: Arc<SftpCore>) -> Self {
        SftpDeleter { core }
    }
}

impl oio::OneShotDelete for SftpDeleter {
    async fn delete_once(&self, path: String, _: OpDelete) -> Result<()> {
        let abs = self.core.abs(&path);
        let ch = self.core.channel().await?;
        let mut fs = ch.sftp.fs();
        let res = if path.ends_with('/') {
            fs.remove_dir(&abs).await
        } else {
            fs.remove_file(&abs).await
        };
        match res {
            Ok(()) => Ok(()),
            Err(e) => {
                let err = self.core.error(&ch, e, "delete", &abs).await;
                if err.kind() == ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }
}
