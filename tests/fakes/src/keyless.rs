//! The keyless setup in one call: an instance identity, the metadata service serving it, the
//! federation service trusting it, and a Vault that accepts the federation's tokens — all on
//! 127.0.0.1, sharing one [`KeyRing`] that other fakes (Object Storage) can share too.

use std::io;
use std::sync::Arc;

use crate::certs::InstanceIdentity;
use crate::federation::FakeFederation;
use crate::imds::{FakeImds, RegionInfo};
use crate::oci_sig::KeyRing;
use crate::vault::FakeVault;

pub const TENANCY: &str = "ocid1.tenancy.oc1..aaaaaaaafaketenancykeyless";
pub const INSTANCE: &str = "ocid1.instance.oc1.iad.anuwcljfakeinstancekeyless";

/// The running fakes.
pub struct KeylessFakes {
    pub identity: Arc<InstanceIdentity>,
    pub imds: FakeImds,
    pub federation: FakeFederation,
    pub vault: FakeVault,
    /// Trusts the federation's tokens; hand it to other fakes (`objectstorage::Config::keys`).
    pub keys: Arc<KeyRing>,
}

impl KeylessFakes {
    /// Starts everything in the current Tokio runtime, for [`TENANCY`] and [`INSTANCE`].
    pub async fn start() -> io::Result<Self> {
        let identity =
            Arc::new(InstanceIdentity::generate(TENANCY, INSTANCE).map_err(io::Error::other)?);
        let imds = FakeImds::start(identity.clone(), RegionInfo::default()).await?;
        let federation = FakeFederation::start(&identity).await?;
        let keys = Arc::new(KeyRing::new());
        keys.set_session_tokens(federation.tokens());
        let vault = FakeVault::start(keys.clone()).await?;
        Ok(KeylessFakes {
            identity,
            imds,
            federation,
            vault,
            keys,
        })
    }
}
