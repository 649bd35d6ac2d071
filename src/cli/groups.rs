//! rclone's everyday flags beyond the original set, by rclone group (Copy, Sync, Filter,
//! Listing, Logging, Networking): what the user typed, flattened into [`super::Flags`]. Their
//! meaning is rclone's (see `docs/rclone-compat.md`); the conversion into options is in
//! `crate::args::rclone`.

use std::path::PathBuf;

use clap::{ArgAction, Args};

/// The Copy and Sync groups.
#[derive(Debug, Args, Default)]
pub struct CopyFlags {
    /// Do all the checks before starting transfers.
    #[arg(long, global = true)]
    pub check_first: bool,
    /// Objects equal to their copy under this path (same tool, other place) are not copied.
    #[arg(long, global = true, action = ArgAction::Append, value_name = "PATH")]
    pub compare_dest: Vec<String>,
    /// Objects equal to their copy under this path are copied from there server-side.
    #[arg(long, global = true, action = ArgAction::Append, value_name = "PATH")]
    pub copy_dest: Vec<String>,
    /// How --max-transfer and --max-duration stop: HARD, SOFT or CAUTIOUS.
    #[arg(long, global = true, default_value = "HARD", value_name = "MODE")]
    pub cutoff_mode: String,
    /// Don't compare the MD5 of the bytes read with the source's.
    #[arg(long, global = true)]
    pub ignore_checksum: bool,
    /// Skip all objects that exist on the destination.
    #[arg(long, global = true)]
    pub ignore_existing: bool,
    /// Ignore sizes when deciding whether to skip (modification time or checksum only).
    #[arg(long, global = true)]
    pub ignore_size: bool,
    /// Don't skip objects that match size and time: transfer all unconditionally.
    #[arg(short = 'I', long, global = true)]
    pub ignore_times: bool,
    /// Never modify destination objects: one that differs is an error.
    #[arg(long, global = true)]
    pub immutable: bool,
    /// Copy user metadata and content headers between object stores.
    #[arg(short = 'M', long, global = true)]
    pub metadata: bool,
    /// Don't list the destination: copy everything (copy only).
    #[arg(long, global = true)]
    pub no_check_dest: bool,
    /// Order of transfers: size, name or modtime, optionally ",ascending"/",descending".
    #[arg(long, global = true, value_name = "ORDER")]
    pub order_by: Option<String>,
    /// Move objects a sync replaces or deletes into this path (same remote).
    #[arg(long, global = true, value_name = "PATH")]
    pub backup_dir: Option<String>,
    /// Delete on the destination after the transfers (the default).
    #[arg(long, global = true)]
    pub delete_after: bool,
    /// Delete on the destination before the transfers (after the whole source is listed).
    #[arg(long, global = true)]
    pub delete_before: bool,
    /// Accepted; deletions still run after the transfers (see docs/rclone-compat.md).
    #[arg(long, global = true)]
    pub delete_during: bool,
    /// Stop (exit 7, deleting nothing) when a sync would delete more than this many bytes.
    #[arg(long, global = true, value_name = "SIZE")]
    pub max_delete_size: Option<String>,
    /// Suffix added to backups (with --backup-dir), or to replaced objects kept in place.
    #[arg(long, global = true, value_name = "SUFFIX", allow_hyphen_values = true)]
    pub suffix: Option<String>,
    /// Put the --suffix before the extension.
    #[arg(long, global = true)]
    pub suffix_keep_extension: bool,
}

/// The Filter group (beyond --include/--exclude/--filter and the age and size limits).
#[derive(Debug, Args, Default)]
pub struct FilterFlags {
    /// Delete objects on the destination that the filters exclude.
    #[arg(long, global = true)]
    pub delete_excluded: bool,
    /// Read exclude patterns from this file (- for stdin).
    #[arg(long, global = true, action = ArgAction::Append, value_name = "FILE")]
    pub exclude_from: Vec<PathBuf>,
    /// Read include patterns from this file (- for stdin).
    #[arg(long, global = true, action = ArgAction::Append, value_name = "FILE")]
    pub include_from: Vec<PathBuf>,
    /// Read filtering rules ("+ PATTERN", "- PATTERN", "!") from this file (- for stdin).
    #[arg(long, global = true, action = ArgAction::Append, value_name = "FILE")]
    pub filter_from: Vec<PathBuf>,
    /// Exclude directories containing a file of this name.
    #[arg(long, global = true, action = ArgAction::Append, value_name = "NAME")]
    pub exclude_if_present: Vec<String>,
    /// Only the objects listed in this file (one path a line; # and ; comments).
    #[arg(long, global = true, action = ArgAction::Append, value_name = "FILE")]
    pub files_from: Vec<PathBuf>,
    /// As --files-from, lines taken as they are.
    #[arg(long, global = true, action = ArgAction::Append, value_name = "FILE")]
    pub files_from_raw: Vec<PathBuf>,
    /// As --files-from, names separated by NUL.
    #[arg(long = "files-from0", global = true, action = ArgAction::Append, value_name = "FILE")]
    pub files_from0: Vec<PathBuf>,
    /// Only objects whose name hashes to partition K of N (rclone's --hash-filter K/N, @/N).
    #[arg(long, global = true, value_name = "K/N")]
    pub hash_filter: Option<String>,
    /// Match filter patterns without regard to case.
    #[arg(long, global = true)]
    pub ignore_case: bool,
    /// Only this many directory levels deep (-1: no limit).
    #[arg(long, global = true, default_value_t = -1, allow_negative_numbers = true)]
    pub max_depth: i64,
    /// Time shown for objects whose modification time is unknown.
    #[arg(
        long,
        global = true,
        default_value = "2000-01-01T00:00:00Z",
        value_name = "TIME"
    )]
    pub default_time: String,
}

/// The Logging and Networking groups.
#[derive(Debug, Args, Default)]
pub struct IoFlags {
    /// Log line prefix: comma-separated date, time, microseconds, UTC, pid, nolevel, json.
    #[arg(
        long,
        global = true,
        default_value = "date,time",
        value_name = "FORMAT"
    )]
    pub log_format: String,
    /// Level the --stats output is logged at (DEBUG, INFO, NOTICE, ERROR).
    #[arg(long, global = true, default_value = "INFO", value_name = "LEVEL")]
    pub stats_log_level: String,
    /// Make the stats fit on one line.
    #[arg(long, global = true)]
    pub stats_one_line: bool,
    /// --stats-one-line with the date first.
    #[arg(long, global = true)]
    pub stats_one_line_date: bool,
    /// --stats-one-line-date with this date format (Go layout, e.g. "2006-01-02 15:04:05 - ").
    #[arg(long, global = true, value_name = "FORMAT")]
    pub stats_one_line_date_format: Option<String>,
    /// Rates in the stats as "bits" or "bytes" per second.
    #[arg(long, global = true, default_value = "bytes", value_name = "UNIT")]
    pub stats_unit: String,
    /// Bandwidth limit (rate, up:down, or a timetable "08:00,512k 18:00,off").
    #[arg(long, global = true, value_name = "LIMIT")]
    pub bwlimit: Option<String>,
    /// Bandwidth limit per object.
    #[arg(long, global = true, value_name = "LIMIT")]
    pub bwlimit_file: Option<String>,
    /// CA certificate (PEM) to verify servers with, instead of the built-in roots.
    #[arg(long, global = true, action = ArgAction::Append, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
    /// Header for uploads ("Cache-Control: max-age=3600"; repeatable).
    #[arg(long, global = true, action = ArgAction::Append, value_name = "HEADER")]
    pub header_upload: Vec<String>,
    /// Limit HTTP requests per second to this (0: no limit).
    #[arg(long, global = true, default_value_t = 0.0, value_name = "RATE")]
    pub tpslimit: f64,
    /// Requests allowed at once above --tpslimit.
    #[arg(long, global = true, default_value_t = 1, value_name = "N")]
    pub tpslimit_burst: u32,
    /// The User-Agent header.
    #[arg(long, global = true, value_name = "AGENT")]
    pub user_agent: Option<String>,
}
