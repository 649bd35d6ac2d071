//! ocisync's integration tests: the real binary against real servers (moto for S3, the
//! project's OCI fakes, the real rclone for compatibility). One test binary, many modules.

mod support;

mod cli_config;
mod compat_matrix;
mod differential;
mod doctor;
mod extra_backends;
mod keyless;
mod listing;
mod local;
mod model;
mod oci;
mod operator;
mod rclone_compat;
mod rclone_flags;
mod reliability;
mod s3_sync;
mod security;
mod shard;
mod unattended;
