//! ocisync: copy and sync objects between storage systems the way rclone does, on Apache OpenDAL.
//!
//! The binary (`main.rs`) only parses the command line and maps errors to exit codes; the work
//! happens here: [`config`] reads remotes, [`resolve`] turns `NAME:path` into an OpenDAL-backed
//! [`ocisync_backend::Remote`], and [`engine`] lists, compares, transfers and deletes.

pub mod alerts;
pub mod app;
pub mod args;
pub mod cli;
pub mod commands;
pub mod config;
pub mod credentials;
pub mod doctor;
pub mod engine;
pub mod exitcode;
pub mod filter;
pub mod hardening;
pub mod log;
pub mod mime;
pub mod registry;
pub mod remote_path;
pub mod requests;
pub mod resolve;
pub mod throttle;
pub mod unattended;
