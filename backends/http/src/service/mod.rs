//! ocisync's own read-only OpenDAL service for HTTP directory listings. OpenDAL 0.59's
//! `services-http` stats and reads but cannot list, sends no extra headers and escapes paths
//! its own way; rclone's `http` backend is a listing (links of HTML index pages, a HEAD per
//! file) plus rclone's URL escaping, `headers`, `no_escape` and `no_slash`. Wrapping OpenDAL's
//! service would leave all of that to a second code path, so the whole service is here, small,
//! one file per responsibility as OpenDAL's services are laid out: the `Service` wiring
//! (backend), requests and metadata (core), listings (lister), reads (reader).

mod backend;
mod core;
mod lister;
mod reader;

pub use backend::{HttpBuilder, READ_ONLY, SCHEME};
pub use core::{ESCAPED, HttpConfig};
