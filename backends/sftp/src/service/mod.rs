//! ocisync's own OpenDAL service for SFTP, on the OpenSSH client (`openssh`) and an SFTP v3
//! client (`openssh-sftp-client`) — the crates OpenDAL's `services-sftp` uses, but with the
//! `ssh` options under ocisync's control (no `~/.ssh/config`, strict host keys against a
//! given known_hosts file, a private control directory, a connect timeout) and modification
//! times that can be set. One file per responsibility, as OpenDAL's services are laid out.

mod backend;
mod control;
mod core;
mod deleter;
mod lister;
mod reader;
mod writer;

pub use backend::{SCHEME, SftpBuilder};
pub use core::{ConnectOptions, SftpCore};
