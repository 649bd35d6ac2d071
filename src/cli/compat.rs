//! rclone's flags (the groups an operator's command lines use) and commands, each with what
//! ocisync does with it: supported with rclone's meaning, accepted and ignored, refused, or a
//! deliberate difference — always with the reason. One table drives three things:
//!
//! - the command line: flags ocisync ignores or refuses are still known to clap (generated
//!   here), so a pasted rclone cron line gets "accepted and ignored: why" at `-v`, or a refusal
//!   naming the reason — never a bare "unexpected argument";
//! - `ocisync compat` and `docs/rclone-compat.md` (`ocisync compat --markdown`);
//! - a test that reads the pinned rclone's own `rclone help flags --group NAME` and `rclone help`
//!   and fails when one of its flags or commands has no row here (so an rclone upgrade cannot
//!   add a flag nobody decided about).
//!
//! The differential suite (tests/integration/differential.rs) may only accept a disagreement
//! with rclone that is listed in [`DIFFERENCES`], so every one it tolerates is documented.

use std::fmt::Write as _;

use clap::{Arg, ArgAction, ArgMatches};

/// The flag groups of `rclone help flags --group NAME` this table covers.
pub const GROUPS: &[&str] = &[
    "Copy",
    "Sync",
    "Important",
    "Check",
    "Filter",
    "Listing",
    "Logging",
    "Networking",
    "Performance",
];

/// What ocisync does with an rclone flag or command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Supported with rclone's meaning (the note says how, where useful).
    Supported(&'static str),
    /// Accepted so command lines keep working; has no effect, for the reason given.
    Ignored(&'static str),
    /// Refused with this reason (exit 2 for a flag).
    Refused(&'static str),
    /// Supported, but deliberately not as rclone does it: what differs and why.
    Different(&'static str),
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Supported(_) => "supported",
            Status::Ignored(_) => "accepted, ignored",
            Status::Refused(_) => "refused",
            Status::Different(_) => "deliberate difference",
        }
    }

    pub fn note(self) -> &'static str {
        match self {
            Status::Supported(n)
            | Status::Ignored(n)
            | Status::Refused(n)
            | Status::Different(n) => n,
        }
    }

    /// Whether ocisync defines the flag itself (supported or different), rather than this table.
    pub fn is_ours(self) -> bool {
        matches!(self, Status::Supported(_) | Status::Different(_))
    }
}

/// One rclone flag.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// The long name, without `--`.
    pub name: &'static str,
    pub short: Option<char>,
    /// The rclone groups it is listed in, comma-separated.
    pub groups: &'static str,
    /// Whether it takes a value (`--order-by string`) or is a switch (`--fast-list`).
    pub takes_value: bool,
    pub status: Status,
}

/// One rclone command.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    pub name: &'static str,
    pub status: Status,
}

/// A disagreement with rclone that ocisync keeps on purpose; the differential suite names
/// these ids when it accepts one.
#[derive(Debug, Clone, Copy)]
pub struct Difference {
    pub id: &'static str,
    pub rclone: &'static str,
    pub ocisync: &'static str,
    pub why: &'static str,
}

const fn flag(name: &'static str, groups: &'static str, takes_value: bool, status: Status) -> Flag {
    Flag {
        name,
        short: None,
        groups,
        takes_value,
        status,
    }
}

const fn short(
    name: &'static str,
    c: char,
    groups: &'static str,
    takes_value: bool,
    status: Status,
) -> Flag {
    Flag {
        name,
        short: Some(c),
        groups,
        takes_value,
        status,
    }
}

use Status::{Different, Ignored, Refused, Supported};

const MULTI_THREAD: Status = Ignored(
    "downloads are one stream per object; uploads go multipart in chunk_size parts, \
     upload_concurrency at a time (--s3-chunk-size, --s3-upload-concurrency, --oos-…)",
);
const METADATA_FILTER: Status = Refused(
    "filtering on metadata would cost a HEAD request per object; filter on names, sizes and \
     ages instead",
);
const LOG_ROTATION: Status = Refused(
    "ocisync appends to --log-file and never rotates it itself: deploy/logrotate/ocisync \
     rotates it (copytruncate)",
);
const SYSLOG: Status =
    Refused("log to stderr (the journal, under systemd) or to --log-file; syslog is not spoken");
const MTLS: Status = Refused(
    "client certificates (mutual TLS) are not supported: S3 and OCI authenticate each request \
     by its signature",
);

/// Every flag of [`GROUPS`], in rclone's order within its first group.
pub const FLAGS: &[Flag] = &[
    // Copy
    flag(
        "check-first",
        "Copy",
        false,
        Supported("all comparisons finish before the first transfer starts"),
    ),
    short(
        "checksum",
        'c',
        "Copy",
        false,
        Supported("size and MD5 (the only hash S3 and OCI share)"),
    ),
    flag(
        "compare-dest",
        "Copy",
        true,
        Supported(
            "objects equal to their copy in one of these places (listed once each) are not transferred",
        ),
    ),
    flag(
        "copy-dest",
        "Copy",
        true,
        Supported(
            "objects equal to their copy in one of these places are copied from there server-side (same remote as the destination)",
        ),
    ),
    flag(
        "cutoff-mode",
        "Copy",
        true,
        Supported("hard, soft or cautious, for --max-transfer and --max-duration"),
    ),
    flag(
        "ignore-case-sync",
        "Copy",
        false,
        Refused(
            "S3 and OCI keys are case-sensitive: two reports whose names differ only in case are two objects",
        ),
    ),
    flag(
        "ignore-checksum",
        "Copy",
        false,
        Supported(
            "the MD5 of the bytes read is not compared with the source's (S3 ETags still are); use only for sources with wrong stored MD5s",
        ),
    ),
    flag("ignore-existing", "Copy", false, Supported("")),
    flag("ignore-size", "Copy", false, Supported("")),
    short("ignore-times", 'I', "Copy", false, Supported("")),
    flag(
        "immutable",
        "Copy",
        false,
        Supported("a destination object that differs is an error and is left as it is"),
    ),
    flag(
        "inplace",
        "Copy",
        false,
        Ignored(
            "object stores commit an upload only when it is whole; local files are written to a partial file and renamed, so a half-written file never replaces a good one",
        ),
    ),
    short(
        "links",
        'l',
        "Copy",
        false,
        Refused(
            "symlinks are skipped, or followed with -L/--copy-links; .rclonelink files are not made",
        ),
    ),
    flag(
        "max-backlog",
        "Copy,Check",
        true,
        Ignored(
            "the source listing streams through a fixed queue of 4096 objects and the destination is held in a compact index",
        ),
    ),
    flag(
        "max-duration",
        "Copy",
        true,
        Supported(
            "exit 10; with --cutoff-mode hard (default) uploads in flight are aborted, soft and cautious let them finish",
        ),
    ),
    flag(
        "max-transfer",
        "Copy",
        true,
        Supported("exit 8; --cutoff-mode as rclone"),
    ),
    short(
        "metadata",
        'M',
        "Copy",
        false,
        Different(
            "copies the source's user metadata, Content-Type, Cache-Control, Content-Disposition, Content-Encoding and Content-Language between object stores; a local source's owner, mode and access times are not stored as metadata",
        ),
    ),
    flag("modify-window", "Copy", true, Supported("")),
    flag("multi-thread-chunk-size", "Copy", true, MULTI_THREAD),
    flag("multi-thread-cutoff", "Copy", true, MULTI_THREAD),
    flag("multi-thread-streams", "Copy", true, MULTI_THREAD),
    flag("multi-thread-write-buffer-size", "Copy", true, MULTI_THREAD),
    flag(
        "name-transform",
        "Copy",
        true,
        Refused(
            "keys are copied under their own names; a renamed cost report would no longer match its manifest",
        ),
    ),
    flag(
        "no-check-dest",
        "Copy",
        false,
        Supported("copy only (refused with sync, --immutable and --backup-dir, as rclone)"),
    ),
    flag(
        "no-traverse",
        "Copy",
        false,
        Ignored(
            "the destination is listed once, which costs fewer requests than a HEAD per source object for jobs of this size",
        ),
    ),
    flag(
        "no-update-dir-modtime",
        "Copy",
        false,
        Ignored("ocisync never sets directory times"),
    ),
    flag("no-update-modtime", "Copy", false, Supported("")),
    flag(
        "order-by",
        "Copy",
        true,
        Supported(
            "size, name or modtime, ascending or descending (mixed is refused); implies --check-first's ordering of transfers",
        ),
    ),
    flag(
        "partial-suffix",
        "Copy",
        true,
        Ignored("local partial files are written in the destination's .ocisync-partial/ directory"),
    ),
    flag(
        "refresh-times",
        "Copy",
        false,
        Refused(
            "object stores cannot change a modification time without uploading the object again",
        ),
    ),
    flag(
        "server-side-across-configs",
        "Copy",
        false,
        Ignored(
            "ocisync copies between remotes by streaming; server-side copies are used within one remote only (--copy-dest, --backup-dir)",
        ),
    ),
    flag("size-only", "Copy", false, Supported("")),
    flag(
        "streaming-upload-cutoff",
        "Copy",
        true,
        Ignored("rcat streams in chunk_size multipart parts whatever the size"),
    ),
    short("update", 'u', "Copy", false, Supported("")),
    // Sync
    flag(
        "backup-dir",
        "Sync",
        true,
        Supported(
            "objects a sync would replace or delete are moved there (server-side copy then delete) instead; same remote as the destination, not overlapping it",
        ),
    ),
    flag("delete-after", "Sync", false, Supported("the default")),
    flag(
        "delete-before",
        "Sync",
        false,
        Supported(
            "the whole source is listed and compared first; deletions run before the first transfer, and not at all after a listing error",
        ),
    ),
    flag(
        "delete-during",
        "Sync",
        false,
        Different(
            "deletions run after the transfers, as with --delete-after: a deletion must never precede an error that should have prevented it",
        ),
    ),
    flag(
        "fix-case",
        "Sync",
        false,
        Refused("S3 and OCI keys are case-sensitive: there is no case to fix"),
    ),
    flag(
        "ignore-errors",
        "Sync",
        false,
        Refused(
            "deleting after an error could delete objects whose new copy failed; ocisync never deletes after an error",
        ),
    ),
    flag(
        "list-cutoff",
        "Sync",
        true,
        Ignored(
            "the destination index holds about 100 bytes per object in memory; nothing is sorted on disk",
        ),
    ),
    flag(
        "max-delete",
        "Sync",
        true,
        Different(
            "counts first: when more than N objects would go, none is deleted (exit 7) — rclone deletes N, then stops",
        ),
    ),
    flag(
        "max-delete-size",
        "Sync",
        true,
        Different(
            "counts first: when more than this many bytes would go, none is deleted (exit 7), as --max-delete",
        ),
    ),
    flag(
        "suffix",
        "Sync",
        true,
        Supported(
            "with --backup-dir, appended to backups; alone, replaced or deleted objects are renamed in place with it",
        ),
    ),
    flag("suffix-keep-extension", "Sync", false, Supported("")),
    flag(
        "track-renames",
        "Sync",
        false,
        Ignored(
            "a renamed object is copied under its new name and the old one deleted: the same end state, without server-side moves",
        ),
    ),
    flag(
        "track-renames-strategy",
        "Sync",
        true,
        Ignored("see --track-renames"),
    ),
    // Important
    short("dry-run", 'n', "Important", false, Supported("")),
    short(
        "interactive",
        'i',
        "Important",
        false,
        Refused("ocisync runs unattended and never asks; use --dry-run to see what would change"),
    ),
    short("verbose", 'v', "Important,Logging", false, Supported("")),
    // Filter
    flag("delete-excluded", "Filter", false, Supported("")),
    flag("exclude", "Filter", true, Supported("")),
    flag("exclude-from", "Filter", true, Supported("")),
    flag(
        "exclude-if-present",
        "Filter",
        true,
        Supported("found by one extra listing of each side"),
    ),
    flag(
        "files-from",
        "Filter",
        true,
        Supported("the listing is still one recursive listing, filtered by the list"),
    ),
    flag("files-from-raw", "Filter", true, Supported("")),
    flag("files-from0", "Filter", true, Supported("")),
    short("filter", 'f', "Filter", true, Supported("")),
    flag("filter-from", "Filter", true, Supported("")),
    flag(
        "hash-filter",
        "Filter",
        true,
        Different(
            "names are hashed as rclone hashes them (MD5 of the lower-cased name) but without Unicode NFC normalisation first: only decomposed (NFD) names can land in another partition; --shard K/N is ocisync's own, for sync, copy and check",
        ),
    ),
    flag("ignore-case", "Filter", false, Supported("")),
    flag("include", "Filter", true, Supported("")),
    flag("include-from", "Filter", true, Supported("")),
    flag("max-age", "Filter", true, Supported("")),
    flag("max-depth", "Filter", true, Supported("")),
    flag("max-size", "Filter", true, Supported("")),
    flag("metadata-exclude", "Filter", true, METADATA_FILTER),
    flag("metadata-exclude-from", "Filter", true, METADATA_FILTER),
    flag("metadata-filter", "Filter", true, METADATA_FILTER),
    flag("metadata-filter-from", "Filter", true, METADATA_FILTER),
    flag("metadata-include", "Filter", true, METADATA_FILTER),
    flag("metadata-include-from", "Filter", true, METADATA_FILTER),
    flag("min-age", "Filter", true, Supported("")),
    flag("min-size", "Filter", true, Supported("")),
    // Listing
    flag("default-time", "Listing", true, Supported("")),
    flag(
        "fast-list",
        "Listing",
        false,
        Ignored("ocisync's listings are already recursive and single-pass"),
    ),
    // Logging
    flag("log-file", "Logging", true, Supported("")),
    flag("log-file-compress", "Logging", false, LOG_ROTATION),
    flag("log-file-max-age", "Logging", true, LOG_ROTATION),
    flag("log-file-max-backups", "Logging", true, LOG_ROTATION),
    flag("log-file-max-size", "Logging", true, LOG_ROTATION),
    flag(
        "log-format",
        "Logging",
        true,
        Supported(
            "date, time, microseconds, UTC, pid, nolevel, json (longfile and shortfile are refused: there is no Go source to point at)",
        ),
    ),
    flag("log-level", "Logging", true, Supported("")),
    flag(
        "log-systemd",
        "Logging",
        false,
        Ignored(
            "under systemd stderr already goes to the journal, with the unit's name; ocisync does not speak the journal protocol itself",
        ),
    ),
    flag(
        "max-stats-groups",
        "Logging",
        true,
        Ignored("one run is one statistics group (there is no remote-control server)"),
    ),
    short("progress", 'P', "Logging", false, Supported("")),
    flag(
        "progress-terminal-title",
        "Logging",
        false,
        Ignored("the progress line is written to stderr only"),
    ),
    short("quiet", 'q', "Logging", false, Supported("")),
    flag("stats", "Logging", true, Supported("")),
    flag(
        "stats-file-name-length",
        "Logging",
        true,
        Ignored("the statistics name no files"),
    ),
    flag("stats-log-level", "Logging", true, Supported("")),
    flag("stats-one-line", "Logging", false, Supported("")),
    flag("stats-one-line-date", "Logging", false, Supported("")),
    flag(
        "stats-one-line-date-format",
        "Logging",
        true,
        Supported(
            "Go's reference-time layout, as rclone (the common elements: 2006 01 02 15 04 05 Jan Mon MST)",
        ),
    ),
    flag("stats-unit", "Logging", true, Supported("")),
    flag("syslog", "Logging", false, SYSLOG),
    flag("syslog-facility", "Logging", true, SYSLOG),
    flag("use-json-log", "Logging", false, Supported("")),
    // Networking
    flag(
        "bind",
        "Networking",
        true,
        Refused("outgoing connections use the system's routing; a source address cannot be chosen"),
    ),
    flag(
        "bwlimit",
        "Networking",
        true,
        Supported(
            "a rate or rclone's timetable (08:00,512k 12:00,10M … Mon-00:00,off), up:down pairs; applies to object bodies",
        ),
    ),
    flag("bwlimit-file", "Networking", true, Supported("")),
    flag(
        "ca-cert",
        "Networking",
        true,
        Supported("these CAs replace the built-in roots, as in rclone"),
    ),
    flag("client-cert", "Networking", true, MTLS),
    flag("client-key", "Networking", true, MTLS),
    flag("client-pass", "Networking", true, MTLS),
    flag("contimeout", "Networking", true, Supported("")),
    flag(
        "disable-http-keep-alives",
        "Networking",
        false,
        Ignored("connections are pooled and reused; an idle one is closed after 90 s"),
    ),
    flag(
        "disable-http2",
        "Networking",
        false,
        Ignored("ocisync's HTTP client speaks HTTP/1.1 only"),
    ),
    flag(
        "dscp",
        "Networking",
        true,
        Refused("packets are not marked; set DSCP with the host's firewall (nftables) if needed"),
    ),
    flag(
        "expect-continue-timeout",
        "Networking",
        true,
        Ignored("ocisync never sends Expect: 100-continue"),
    ),
    flag(
        "header",
        "Networking",
        true,
        Refused(
            "headers added to every request would go unsigned; use --header-upload for the headers uploads can carry",
        ),
    ),
    flag(
        "header-download",
        "Networking",
        true,
        Refused("downloads send no extra headers (a GET carries only what its signature covers)"),
    ),
    flag(
        "header-upload",
        "Networking",
        true,
        Supported(
            "Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Content-Type and X-Amz-Meta-* / Opc-Meta-* (user metadata); any other header is refused at start",
        ),
    ),
    flag(
        "http-proxy",
        "Networking",
        true,
        Refused("set HTTPS_PROXY/HTTP_PROXY (and NO_PROXY) in the environment: ocisync reads them"),
    ),
    flag(
        "max-connections",
        "Networking",
        true,
        Ignored("connections are bounded by --transfers, --checkers and the upload concurrency"),
    ),
    flag(
        "no-check-certificate",
        "Networking",
        false,
        Refused("TLS certificates are always verified; give a private CA with --ca-cert"),
    ),
    flag(
        "no-gzip-encoding",
        "Networking",
        false,
        Ignored("ocisync never asks for gzip transfer encoding"),
    ),
    flag("timeout", "Networking", true, Supported("")),
    flag(
        "tpslimit",
        "Networking",
        true,
        Supported("HTTP requests per second across the whole run"),
    ),
    flag("tpslimit-burst", "Networking", true, Supported("")),
    flag(
        "use-cookies",
        "Networking",
        false,
        Ignored("no service ocisync talks to needs cookies"),
    ),
    flag("user-agent", "Networking", true, Supported("")),
    // Performance
    flag(
        "buffer-size",
        "Performance",
        true,
        Ignored(
            "bodies stream through in chunks; memory per transfer is bounded by the chunk size times the upload concurrency",
        ),
    ),
    flag("checkers", "Performance", true, Supported("")),
    flag(
        "transfers",
        "Performance",
        true,
        Different(
            "when not given: 4 for objects of 1 MiB and more, and up to 16 in all while objects are smaller (their time is round trips, not bytes); given: exactly N, as rclone",
        ),
    ),
];

const NO_GUI: Status =
    Refused("ocisync is a command-line job runner: no interactive or served interface");

/// Every command of `rclone help`.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "about",
        status: Refused("S3 and OCI buckets report no quota"),
    },
    Command {
        name: "archive",
        status: Refused("ocisync copies objects as they are"),
    },
    Command {
        name: "authorize",
        status: Refused(
            "no OAuth backend: S3 and OCI authenticate by keys, instance or resource principals",
        ),
    },
    Command {
        name: "backend",
        status: Refused("no backend-specific commands"),
    },
    Command {
        name: "bisync",
        status: Refused("ocisync mirrors one way, from the source of truth"),
    },
    Command {
        name: "cat",
        status: Supported("--offset, --count, --head, --tail, --discard, --separator"),
    },
    Command {
        name: "check",
        status: Supported(""),
    },
    Command {
        name: "checksum",
        status: Refused("use md5sum on both sides, or check"),
    },
    Command {
        name: "cleanup",
        status: Different(
            "aborts multipart uploads older than --max-age (24h) left by killed runs; old object versions are not touched",
        ),
    },
    Command {
        name: "completion",
        status: Supported("ocisync completion bash|zsh|fish|powershell|elvish"),
    },
    Command {
        name: "config",
        status: Different(
            "config show and config validate; no interactive editor (write the TOML or rclone.conf)",
        ),
    },
    Command {
        name: "convmv",
        status: Refused("keys are never renamed"),
    },
    Command {
        name: "copy",
        status: Supported(""),
    },
    Command {
        name: "copyto",
        status: Supported(""),
    },
    Command {
        name: "copyurl",
        status: Refused("fetch the URL with curl and pipe it to ocisync rcat"),
    },
    Command {
        name: "cryptcheck",
        status: Refused("no crypt backend"),
    },
    Command {
        name: "cryptdecode",
        status: Refused("no crypt backend"),
    },
    Command {
        name: "dedupe",
        status: Refused("S3 and OCI have no duplicate names"),
    },
    Command {
        name: "delete",
        status: Supported(""),
    },
    Command {
        name: "deletefile",
        status: Supported(""),
    },
    Command {
        name: "gendocs",
        status: Refused("ocisync man prints the manual page"),
    },
    Command {
        name: "gitannex",
        status: NO_GUI,
    },
    Command {
        name: "gui",
        status: NO_GUI,
    },
    Command {
        name: "hashsum",
        status: Supported("md5 everywhere; sha1 (and others) with --download or on local files"),
    },
    Command {
        name: "help",
        status: Different(
            "ocisync --help and ocisync COMMAND --help; ocisync compat prints this table",
        ),
    },
    Command {
        name: "link",
        status: Refused(
            "no public links: pre-authenticated requests are made in OCI's console or CLI",
        ),
    },
    Command {
        name: "listremotes",
        status: Supported(""),
    },
    Command {
        name: "ls",
        status: Supported(""),
    },
    Command {
        name: "lsd",
        status: Supported(""),
    },
    Command {
        name: "lsf",
        status: Supported(""),
    },
    Command {
        name: "lsjson",
        status: Supported(""),
    },
    Command {
        name: "lsl",
        status: Supported(""),
    },
    Command {
        name: "md5sum",
        status: Supported("--download for objects without a stored MD5"),
    },
    Command {
        name: "mkdir",
        status: Different(
            "file systems as rclone; on S3/OCI a prefix needs no making and a missing bucket is not created (exit 3)",
        ),
    },
    Command {
        name: "mount",
        status: NO_GUI,
    },
    Command {
        name: "move",
        status: Supported("--delete-empty-src-dirs"),
    },
    Command {
        name: "moveto",
        status: Supported(""),
    },
    Command {
        name: "ncdu",
        status: NO_GUI,
    },
    Command {
        name: "nfsmount",
        status: NO_GUI,
    },
    Command {
        name: "obscure",
        status: Refused(
            "ocisync reads rclone-obscured passwords; obscure them with rclone, or keep secrets in a [credentials.NAME] provider",
        ),
    },
    Command {
        name: "purge",
        status: Different(
            "refuses filters as rclone; on S3/OCI the bucket is emptied, never deleted",
        ),
    },
    Command {
        name: "rc",
        status: NO_GUI,
    },
    Command {
        name: "rcat",
        status: Supported(""),
    },
    Command {
        name: "rcd",
        status: NO_GUI,
    },
    Command {
        name: "rmdir",
        status: Different(
            "file systems as rclone; on S3/OCI a bucket is never deleted (an empty prefix is nothing to remove)",
        ),
    },
    Command {
        name: "rmdirs",
        status: Supported(""),
    },
    Command {
        name: "selfupdate",
        status: Refused(
            "install a release tarball (scripts/release.sh) or the bootstrap's package",
        ),
    },
    Command {
        name: "serve",
        status: NO_GUI,
    },
    Command {
        name: "settier",
        status: Different(
            "OCI tiers (Standard, InfrequentAccess, Archive) through UpdateObjectStorageTier; S3 \
             storage classes are not changed (each object would be copied onto itself); --dry-run \
             changes nothing (rclone 1.75 changes the tiers anyway)",
        ),
    },
    Command {
        name: "sha1sum",
        status: Supported("needs --download except for local files: S3 and OCI store no SHA-1"),
    },
    Command {
        name: "size",
        status: Supported(""),
    },
    Command {
        name: "sync",
        status: Supported(""),
    },
    Command {
        name: "test",
        status: Refused("rclone's own test helpers"),
    },
    Command {
        name: "touch",
        status: Different(
            "new objects and file systems as rclone; the time of an existing S3/OCI object is not changed (it would need a copy of the object): exit 1",
        ),
    },
    Command {
        name: "tree",
        status: Supported(""),
    },
    Command {
        name: "version",
        status: Supported(""),
    },
];

/// Disagreements with rclone that ocisync keeps; the differential suite accepts only these.
pub const DIFFERENCES: &[Difference] = &[
    Difference {
        id: "empty-source",
        rclone: "sync from a source that lists no objects deletes everything in the destination (exit 0)",
        ocisync: "deletes nothing, exit 7, unless --allow-empty-source",
        why: "a mistyped prefix must not erase a year of cost reports",
    },
    Difference {
        id: "max-delete-all-or-none",
        rclone: "--max-delete N deletes N objects, then stops with a fatal error",
        ocisync: "counts first; deletes none when more than N would go (exit 7)",
        why: "a half-applied deletion is harder to reason about than none",
    },
    Difference {
        id: "empty-directories",
        rclone: "local destinations lose directories emptied by a sync; purge and rmdirs remove empty directories",
        ocisync: "directories stay unless a command removes them explicitly (rmdir, rmdirs, purge, move --delete-empty-src-dirs)",
        why: "object stores have no directories; a local destination keeps its folders",
    },
    Difference {
        id: "delete-during",
        rclone: "--delete-during deletes while transferring",
        ocisync: "deletes after the transfers",
        why: "a deletion must never precede an error that should have prevented it",
    },
    Difference {
        id: "hard-cutoff-partial",
        rclone: "--max-transfer with --cutoff-mode hard cuts the transfer that crosses the limit mid-stream (the object fails)",
        ocisync: "never starts a transfer that would cross the limit (what rclone calls cautious) in every mode but soft",
        why: "a cut upload is aborted anyway; starting it only wastes the bytes",
    },
    Difference {
        id: "missing-path-exit",
        rclone: "some commands (purge, rmdir, cat...) exit 1 for a path that does not exist, depending on the backend",
        ocisync: "a missing directory is exit 3 and a missing object exit 4, for every command and backend",
        why: "one exit code per cause, whatever the backend",
    },
    Difference {
        id: "settier-dry-run",
        rclone: "settier changes the tiers even with --dry-run",
        ocisync: "settier --dry-run only says what it would change",
        why: "a dry run must change nothing; moving reports to Archive makes them unreadable until restored",
    },
    Difference {
        id: "usage-exit-2",
        rclone: "some invalid combinations (filters with purge, --no-check-dest with sync) are reported when the command runs, after its retries, exit 1",
        ocisync: "refused before anything runs, exit 2 (usage error), with rclone's message",
        why: "a mistake in the command line is not a failed transfer",
    },
];

/// The flag named `long`, if rclone has it.
pub fn find(long: &str) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.name == long)
}

fn arg_id(name: &str) -> String {
    format!("compat:{name}")
}

/// clap arguments for the flags ocisync does not define itself (ignored and refused ones), so
/// they parse and can be answered with their reason.
pub fn extra_args() -> Vec<Arg> {
    FLAGS
        .iter()
        .filter(|f| !f.status.is_ours())
        .map(|f| {
            let mut a = Arg::new(arg_id(f.name))
                .long(f.name)
                .global(true)
                .hide_short_help(true)
                .help_heading("rclone flags ocisync does not act on (ocisync compat)")
                .help(format!("{}: {}", f.status.label(), f.status.note()));
            if let Some(c) = f.short {
                a = a.short(c);
            }
            if f.takes_value {
                a.action(ArgAction::Append)
                    .value_name("VALUE")
                    .allow_hyphen_values(true)
            } else {
                a.action(ArgAction::SetTrue)
            }
        })
        .collect()
}

/// What the table says about the flags given: the ignored ones (to say so at `-v`), or the
/// first refused one as a usage error.
pub fn check(m: &ArgMatches) -> Result<Vec<&'static Flag>, clap::Error> {
    let mut ignored = Vec::new();
    for f in FLAGS.iter().filter(|f| !f.status.is_ours()) {
        let id = arg_id(f.name);
        let given = if f.takes_value {
            m.try_get_many::<String>(&id).ok().flatten().is_some()
        } else {
            m.try_get_one::<bool>(&id).ok().flatten() == Some(&true)
        };
        if !given {
            continue;
        }
        match f.status {
            Refused(why) => {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("--{} is not supported by ocisync: {why}\n", f.name),
                ));
            }
            _ => ignored.push(f),
        }
    }
    Ok(ignored)
}

/// The message for a refused rclone command, if `name` is one.
pub fn refused_command(name: &str) -> Option<String> {
    COMMANDS
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| match c.status {
            Refused(why) => Some(format!("ocisync has no `{name}` command: {why}\n")),
            _ => None,
        })
}

fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// `docs/rclone-compat.md` (`ocisync compat --markdown`).
pub fn markdown() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# rclone compatibility\n\n\
         Generated by `ocisync compat --markdown` from the table in `src/cli/compat.rs` — do not \
         edit by hand. A test reads the pinned rclone's `rclone help flags --group NAME` (groups \
         {}) and `rclone help`, and fails when a flag or command has no row here.\n\n\
         Statuses: **supported** — rclone's meaning; **accepted, ignored** — parses, has no \
         effect (said at `-v`), for the reason given; **refused** — exit 2 with the reason; \
         **deliberate difference** — works, but not exactly as rclone, for the reason given.\n",
        GROUPS.join(", ")
    );
    let (flags, commands) = summary();
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(
        out,
        "| | supported | deliberate difference | accepted, ignored | refused | total |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for (what, c) in [("flags", flags), ("commands", commands)] {
        let _ = writeln!(
            out,
            "| {what} | {} | {} | {} | {} | {} |",
            c[0],
            c[1],
            c[2],
            c[3],
            c.iter().sum::<usize>()
        );
    }
    let _ = writeln!(out, "\n## Flags\n");
    for group in GROUPS {
        let _ = writeln!(out, "### {group}\n");
        let _ = writeln!(out, "| flag | status | note |");
        let _ = writeln!(out, "|---|---|---|");
        for f in FLAGS
            .iter()
            .filter(|f| f.groups.split(',').any(|g| g == *group))
        {
            let name = match f.short {
                Some(c) => format!("`-{c}`, `--{}`", f.name),
                None => format!("`--{}`", f.name),
            };
            let _ = writeln!(
                out,
                "| {name} | {} | {} |",
                f.status.label(),
                escape_cell(f.status.note())
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## Commands\n");
    let _ = writeln!(out, "| command | status | note |");
    let _ = writeln!(out, "|---|---|---|");
    for c in COMMANDS {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            c.name,
            c.status.label(),
            escape_cell(c.status.note())
        );
    }
    let _ = writeln!(
        out,
        "\n## Deliberate differences in behaviour\n\n\
         The differential suite (`tests/integration/differential.rs`) runs the same scenarios with \
         rclone and ocisync against the same servers and compares the results; it accepts a \
         disagreement only when it names one of these. More are listed in \
         [sync.md](sync.md#deliberately-different).\n"
    );
    let _ = writeln!(out, "| id | rclone | ocisync | why |");
    let _ = writeln!(out, "|---|---|---|---|");
    for d in DIFFERENCES {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            d.id,
            escape_cell(d.rclone),
            escape_cell(d.ocisync),
            escape_cell(d.why)
        );
    }
    out
}

/// Counts by status: supported, different, ignored, refused — for flags and commands.
pub fn summary() -> ([usize; 4], [usize; 4]) {
    fn count(statuses: impl Iterator<Item = Status>) -> [usize; 4] {
        let mut c = [0; 4];
        for s in statuses {
            c[match s {
                Supported(_) => 0,
                Different(_) => 1,
                Ignored(_) => 2,
                Refused(_) => 3,
            }] += 1;
        }
        c
    }
    (
        count(FLAGS.iter().map(|f| f.status)),
        count(COMMANDS.iter().map(|c| c.status)),
    )
}

/// `ocisync compat`: the table as text, one flag or command a line.
pub fn text() -> String {
    let mut out = String::new();
    for f in FLAGS {
        let _ = writeln!(
            out,
            "--{:<32} {:<22} {}",
            f.name,
            f.status.label(),
            f.status.note()
        );
    }
    for c in COMMANDS {
        let _ = writeln!(
            out,
            "{:<34} {:<22} {}",
            c.name,
            c.status.label(),
            c.status.note()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_sorted_within_groups() {
        let mut seen = std::collections::BTreeSet::new();
        for f in FLAGS {
            assert!(seen.insert(f.name), "--{} twice", f.name);
            assert!(
                f.groups.split(',').all(|g| GROUPS.contains(&g)),
                "--{}: group {}",
                f.name,
                f.groups
            );
            if !matches!(f.status, Supported(_)) {
                assert!(!f.status.note().is_empty(), "--{} has no reason", f.name);
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in COMMANDS {
            assert!(seen.insert(c.name), "{} twice", c.name);
        }
        let mut ids = std::collections::BTreeSet::new();
        for d in DIFFERENCES {
            assert!(ids.insert(d.id), "{} twice", d.id);
        }
    }

    #[test]
    fn every_row_is_what_the_command_line_does() {
        let cmd = crate::cli::command();
        for f in FLAGS {
            let arg = cmd
                .get_arguments()
                .find(|a| a.get_long() == Some(f.name))
                .unwrap_or_else(|| {
                    panic!("--{} is in the table but not on the command line", f.name)
                });
            let generated = arg.get_id().as_str().starts_with("compat:");
            assert_eq!(
                generated,
                !f.status.is_ours(),
                "--{}: {} but {}",
                f.name,
                f.status.label(),
                if generated {
                    "only accepted"
                } else {
                    "defined by ocisync"
                }
            );
            assert_eq!(arg.get_short(), f.short, "--{}: short flag", f.name);
            if let Refused(why) = f.status {
                let mut argv = vec!["ocisync".to_string(), "ls".into(), "x".into()];
                argv.push(format!("--{}", f.name));
                if f.takes_value {
                    argv.push("1".into());
                }
                let e = crate::cli::parse_from(argv).err().unwrap();
                assert_eq!(e.exit_code(), 2);
                assert!(e.to_string().contains(why), "--{}: {e}", f.name);
            }
        }
        for c in COMMANDS {
            let exists = cmd.find_subcommand(c.name).is_some();
            match c.status {
                Refused(why) => {
                    assert!(!exists, "{} is refused but exists", c.name);
                    let e = crate::cli::parse_from(["ocisync", c.name]).err().unwrap();
                    assert_eq!(e.exit_code(), 2);
                    let text = e.to_string();
                    assert!(
                        text.contains(why) && text.contains("has no"),
                        "{}: {text}",
                        c.name
                    );
                }
                // `help` is clap's --help; every other row names a subcommand.
                _ if c.name == "help" => {}
                _ => assert!(
                    exists,
                    "{} is {} but has no subcommand",
                    c.name,
                    c.status.label()
                ),
            }
        }
    }
}
