//! Storage tiers (`ocisync settier`): a backend whose service moves objects between tiers
//! (OCI: Standard, InfrequentAccess, Archive) offers this hook; OpenDAL has no call for it.

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;

/// Changes the storage tier of a remote's objects.
#[async_trait]
pub trait StorageTiers: Send + Sync + fmt::Debug {
    /// The tier names the service knows, as it spells them.
    fn names(&self) -> &'static [&'static str];
    /// Moves the object at `path` (relative to the remote's root) to `tier` (one of
    /// [`names`](Self::names)).
    async fn set(&self, path: &str, tier: &str) -> Result<()>;
}
