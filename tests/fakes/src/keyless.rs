//! The keyless setup in one call: an instance identity, the metadata service serving it, the
//! federation service trusting it, and the services an instance calls with its tokens — Vault,
//! Notifications and Identity — all on 127.0.0.1, sharing one [`KeyRing`] (which other fakes,
//! Object Storage, can share too) and one [`Clock`].

use std::io;
use std::sync::Arc;

use crate::certs::InstanceIdentity;
use crate::clock::Clock;
use crate::federation::FakeFederation;
use crate::identity::{FakeIdentity, Region, Tenancy};
use crate::imds::{FakeImds, RegionInfo};
use crate::notifications::FakeNotifications;
use crate::oci_sig::KeyRing;
use crate::vault::FakeVault;

pub const TENANCY: &str = "ocid1.tenancy.oc1..aaaaaaaafaketenancykeyless";
pub const INSTANCE: &str = "ocid1.instance.oc1.iad.anuwcljfakeinstancekeyless";

/// What to start: whose instance, where.
#[derive(Debug, Clone)]
pub struct KeylessOptions {
    /// The tenancy OCID in the instance certificate (and the Identity fake's tenancy).
    pub tenancy: String,
    pub instance: String,
    /// The instance's region, as the metadata service tells it.
    pub region: RegionInfo,
    /// The tenancy's home region, as Identity tells it; the instance's region is subscribed
    /// too.
    pub home_region: Region,
}

impl Default for KeylessOptions {
    /// [`TENANCY`] and [`INSTANCE`] in us-ashburn-1, the home region.
    fn default() -> Self {
        let region = RegionInfo::default();
        let home_region = Region::new(region.identifier.clone(), region.key.clone());
        KeylessOptions {
            tenancy: TENANCY.to_string(),
            instance: INSTANCE.to_string(),
            region,
            home_region,
        }
    }
}

/// The running fakes.
pub struct KeylessFakes {
    pub identity: Arc<InstanceIdentity>,
    pub imds: FakeImds,
    pub federation: FakeFederation,
    pub vault: FakeVault,
    /// Publishes to topics registered with `notifications.add_topic`.
    pub notifications: FakeNotifications,
    /// The Identity service (GetTenancy, ListRegionSubscriptions) for the tenancy.
    pub iam: FakeIdentity,
    /// Trusts the federation's tokens; hand it to other fakes (`objectstorage::Config::keys`).
    pub keys: Arc<KeyRing>,
    /// Every fake's clock (also `keys.clock()`); shift it for clock-skew tests.
    pub clock: Arc<Clock>,
}

impl KeylessFakes {
    /// Starts everything in the current Tokio runtime, for [`TENANCY`] and [`INSTANCE`].
    pub async fn start() -> io::Result<Self> {
        KeylessFakes::start_with(KeylessOptions::default()).await
    }

    /// Starts everything in the current Tokio runtime, as `options` say.
    pub async fn start_with(options: KeylessOptions) -> io::Result<Self> {
        let identity = Arc::new(
            InstanceIdentity::generate(&options.tenancy, &options.instance)
                .map_err(io::Error::other)?,
        );
        let clock = Arc::new(Clock::new());
        let instance_region = Region::new(
            options.region.identifier.clone(),
            options.region.key.clone(),
        );
        let imds =
            FakeImds::start_with_clock(identity.clone(), options.region, clock.clone()).await?;
        let federation = FakeFederation::start_with_clock(&identity, clock.clone()).await?;
        let keys = Arc::new(KeyRing::with_clock(clock.clone()));
        keys.set_session_tokens(federation.tokens());
        let vault = FakeVault::start(keys.clone()).await?;
        let notifications = FakeNotifications::start(keys.clone()).await?;
        let mut tenancy = Tenancy::new(options.tenancy, options.home_region);
        if instance_region != tenancy.home_region {
            tenancy.other_regions.push(instance_region);
        }
        let iam = FakeIdentity::start(keys.clone(), tenancy).await?;
        Ok(KeylessFakes {
            identity,
            imds,
            federation,
            vault,
            notifications,
            iam,
            keys,
            clock,
        })
    }
}
