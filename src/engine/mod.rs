//! The engine: generic over any two remotes. [`sync`] copies and syncs (one attempt is a
//! [`sync::SyncRun`]), [`check`] compares, [`pairing`] holds what both share (listing into the
//! compact [`index`], comparing a pair), [`decide`] holds rclone's equality rules,
//! [`copy_object`] moves one object, [`stats`] counts and [`report`] is the typed outcome.

pub mod backup;
pub mod check;
pub mod copy_object;
pub mod decide;
pub mod growing;
pub(crate) mod hash;
pub mod index;
pub mod listing;
pub mod markers;
pub mod overlap;
pub mod pairing;
pub mod report;
pub mod rules;
pub mod shard;
pub mod stats;
pub mod stats_style;
pub mod sync;
