//! The arguments of rclone's object and directory commands (move, delete, cat, hashsum, tree,
//! touch, settier...), with rclone's flag names. The work is in `crate::commands`.

use clap::Args;

use super::{Pair, Target};

#[derive(Debug, Args)]
pub struct MoveArgs {
    #[command(flatten)]
    pub pair: Pair,
    /// Delete the source directories the move empties (local sources).
    #[arg(long)]
    pub delete_empty_src_dirs: bool,
    /// Accepted for rclone compatibility: object stores have no empty directories to create.
    #[arg(long)]
    pub create_empty_src_dirs: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub target: Target,
    /// Also remove the directories left empty (not the root).
    #[arg(long)]
    pub rmdirs: bool,
}

#[derive(Debug, Args)]
pub struct RmdirsArgs {
    #[command(flatten)]
    pub target: Target,
    /// Do not remove the root directory if it is empty.
    #[arg(long)]
    pub leave_root: bool,
}

#[derive(Debug, Args)]
pub struct LsdArgs {
    #[command(flatten)]
    pub target: Target,
    /// Recurse into the listing.
    #[arg(short = 'R', long)]
    pub recursive: bool,
}

#[derive(Debug, Args)]
pub struct CatArgs {
    #[command(flatten)]
    pub target: Target,
    /// Only print the first N bytes.
    #[arg(long, default_value_t = 0)]
    pub head: i64,
    /// Only print the last N bytes.
    #[arg(long, default_value_t = 0)]
    pub tail: i64,
    /// Start printing at byte N (from the end when negative).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub offset: i64,
    /// Only print N bytes.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub count: i64,
    /// Read but do not print.
    #[arg(long)]
    pub discard: bool,
    /// Separator printed between objects.
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    pub separator: String,
}

#[derive(Debug, Args)]
pub struct RcatArgs {
    #[command(flatten)]
    pub target: Target,
    /// Size hint for the data on stdin (-1: unknown).
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub size: i64,
}

/// Flags of md5sum, sha1sum and hashsum.
#[derive(Debug, Args)]
pub struct HashFlags {
    /// Read each object and hash it here, for objects without a stored hash.
    #[arg(long)]
    pub download: bool,
    /// Print the hash in base64 (URL-safe) instead of hex.
    #[arg(long)]
    pub base64: bool,
    /// Write the sums to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct HashArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub flags: HashFlags,
}

#[derive(Debug, Args)]
pub struct HashsumArgs {
    /// The hash: MD5, SHA-1 (sha1), SHA-256 (sha256); none lists them.
    pub hash: Option<String>,
    /// NAME:bucket/prefix, :type,key=value:path or a local path.
    pub remote: Option<String>,
    #[command(flatten)]
    pub flags: HashFlags,
}

#[derive(Debug, Args)]
pub struct TreeArgs {
    #[command(flatten)]
    pub target: Target,
    /// All files are listed (names starting with . too).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// List directories only.
    #[arg(short = 'd', long)]
    pub dirs_only: bool,
    /// Print the full path of each entry.
    #[arg(long)]
    pub full_path: bool,
    /// No file and directory count at the end.
    #[arg(long)]
    pub noreport: bool,
    /// Descend only this many levels (0: all).
    #[arg(long, default_value_t = 0)]
    pub level: usize,
    /// Print the size in bytes of each file.
    #[arg(short = 's', long)]
    pub size: bool,
    /// Quote names in double quotes.
    #[arg(short = 'Q', long)]
    pub quote: bool,
    /// Print the modification date of each file.
    #[arg(short = 'D', long)]
    pub modtime: bool,
    /// Leave entries in listing order.
    #[arg(short = 'U', long)]
    pub unsorted: bool,
    /// Sort by modification time.
    #[arg(short = 't', long)]
    pub sort_modtime: bool,
    /// Reverse the order.
    #[arg(short = 'r', long)]
    pub sort_reverse: bool,
    /// Put directories before files.
    #[arg(long)]
    pub dirsfirst: bool,
}

#[derive(Debug, Args)]
pub struct TouchArgs {
    #[command(flatten)]
    pub target: Target,
    /// Do not create the object if it does not exist.
    #[arg(short = 'C', long)]
    pub no_create: bool,
    /// The time to set instead of now: 2006-01-02T15:04:05[.999999999] or 2006-01-02[ 15:04:05].
    #[arg(short = 't', long, value_name = "TIME")]
    pub timestamp: Option<String>,
    /// Read --timestamp as local time, not UTC.
    #[arg(long)]
    pub localtime: bool,
    /// Touch every object under the path (existing ones only).
    #[arg(short = 'R', long)]
    pub recursive: bool,
}

#[derive(Debug, Args)]
pub struct SettierArgs {
    /// The tier: Standard, InfrequentAccess or Archive (OCI); an S3 storage class.
    pub tier: String,
    /// NAME:bucket/prefix (every object under it) or NAME:bucket/key.
    pub remote: String,
}

impl super::Cmd {
    /// The remote paths the command names (for the secrets-on-the-command-line warning).
    pub fn targets(&self) -> Vec<&str> {
        use super::Cmd::*;
        match self {
            Copyto(p) | Moveto(p) => vec![p.src.as_str(), p.dst.as_str()],
            Move(a) => vec![a.pair.src.as_str(), a.pair.dst.as_str()],
            Delete(DeleteArgs { target, .. })
            | Rmdirs(RmdirsArgs { target, .. })
            | Lsd(LsdArgs { target, .. })
            | Cat(CatArgs { target, .. })
            | Rcat(RcatArgs { target, .. })
            | Md5sum(HashArgs { target, .. })
            | Sha1sum(HashArgs { target, .. })
            | Tree(TreeArgs { target, .. })
            | Touch(TouchArgs { target, .. })
            | Deletefile(target)
            | Purge(target)
            | Mkdir(target)
            | Rmdir(target) => vec![target.remote.as_str()],
            Hashsum(a) => a.remote.iter().map(String::as_str).collect(),
            Settier(a) => vec![a.remote.as_str()],
            _ => Vec::new(),
        }
    }
}
