//! Differential tests, rclone as the oracle: each case runs the same command line with the real
//! rclone (the pinned 1.75.2) and with ocisync, each against its own fresh copy of the same
//! places — local directories, `rclone serve s3` over a directory, the project's fake OCI
//! Object Storage — and compares what matters: every place's final state (keys, bytes, the
//! modification time rclone's metadata carries), the exit code, and stdout where rclone's is
//! deterministic (byte for byte, or as sorted lines where rclone prints in parallel).
//!
//! A disagreement fails the case unless the case names a deliberate difference listed in
//! `ocisync::cli::compat::DIFFERENCES` (docs/rclone-compat.md) — and then the disagreement must
//! still be there, so a fixed difference cannot stay listed. Every case runs, and a failing test
//! reports all its disagreements at once.
//!
//! The cases are grouped by place and command family, one test per group (they run in
//! parallel). `OCISYNC_DIFF_FULL=1` adds the long variants (every sync flag on every place).

mod harness;

mod listings;
mod moves;
mod operations;
mod sync_local;
mod sync_remote;
mod trees;
