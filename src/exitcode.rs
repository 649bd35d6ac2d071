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
/// `--max-duration` was reached.
pub const DURATION_EXCEEDED: u8 = 10;
/// The shell's convention for a process ended by a signal: 128 + the signal number.
pub const KILLED_BY_SIGINT: u8 = 130;
pub const KILLED_BY_SIGTERM: u8 = 143;

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

/// What an exit code means, in rclone's words (its documentation's list of exit codes).
pub fn meaning(code: u8) -> &'static str {
    match code {
        SUCCESS => "success",
        UNCATEGORIZED => "error not otherwise categorised",
        USAGE => "syntax or usage error",
        DIR_NOT_FOUND => "directory not found",
        FILE_NOT_FOUND => "file not found",
        RETRY => "temporary error: a later run may succeed",
        NO_RETRY => "error that retrying will not fix (refused credentials, permissions)",
        FATAL => "fatal error: the run was stopped on purpose (e.g. --max-delete, empty source)",
        TRANSFER_EXCEEDED => "--max-transfer limit reached",
        NO_FILES_TRANSFERRED => "success, but nothing was transferred (--error-on-no-transfer)",
        DURATION_EXCEEDED => "--max-duration reached: the run was stopped",
        KILLED_BY_SIGTERM => "stopped by SIGTERM",
        KILLED_BY_SIGINT => "stopped by SIGINT (Ctrl-C)",
        _ => "unknown exit code",
    }
}
