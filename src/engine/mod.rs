//! The engine: generic over any two remotes. [`sync::run`] copies and syncs, [`check::run`]
//! compares, [`decide`] holds rclone's equality rules, [`transfer`] moves one object,
//! [`stats`] counts and summarises.

pub mod check;
pub mod decide;
pub mod index;
pub mod stats;
pub mod sync;
pub mod transfer;
