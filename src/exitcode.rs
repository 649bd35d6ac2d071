//! rclone's exit codes (lib/exitcode), so scripts written for rclone keep working.

use ocisync_backend::ErrorKind;

pub const SUCCESS: u8 = 0;
pub const UNCATEGORIZED: u8 = 1;
pub const USAGE: u8 = 2;
pub const DIR_NOT_FOUND: u8 = 3;
pub const FILE_NOT_FOUND: u8 = 4;
/// A temporary error: retrying may help.
pub const RETRY: u8 = 5;
/// A less serious error that retrying will not fix.
pub const NO_RETRY: u8 = 6;
pub const FATAL: u8 = 7;
pub const TRANSFER_EXCEEDED: u8 = 8;
/// Nothing was transferred and `--error-on-no-transfer` was given.
pub const NO_FILES_TRANSFERRED: u8 = 9;

/// The exit code for an error that ended the run.
pub fn for_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::DirNotFound => DIR_NOT_FOUND,
        ErrorKind::NotFound => FILE_NOT_FOUND,
        ErrorKind::Temporary => RETRY,
        ErrorKind::Auth | ErrorKind::PermissionDenied | ErrorKind::Unsupported => NO_RETRY,
        _ => UNCATEGORIZED,
    }
}
