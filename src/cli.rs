//! The command line: rclone's commands and flag names. What the user typed lives here; the
//! objects built from it (filters, engine options) are made in [`crate::app`].

use std::path::PathBuf;

use clap::{
    Arg, ArgAction, ArgMatches, Args, Command, CommandFactory, FromArgMatches, Parser, Subcommand,
};

use crate::registry;

pub mod compat;
mod env;
pub mod groups;
pub mod ops;

pub use ops::*;

#[derive(Debug, Parser)]
#[command(
    name = "ocisync",
    version,
    about = "Copy and sync objects between storage systems, the way rclone does",
    long_about = "Copy and sync objects between storage systems, the way rclone does.\n\n\
        Remotes are written NAME:bucket/prefix (configured in the config file), \
        :type,key=value:bucket/prefix (connection strings) or as a local path.",
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
    #[command(flatten)]
    pub flags: Flags,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Make DST identical to SRC: copy new and changed objects, then delete objects only in
    /// DST (never after an error, never from an empty source).
    Sync(Pair),
    /// Copy new and changed objects from SRC to DST; delete nothing.
    Copy(Pair),
    /// Compare SRC and DST by size and MD5; exit 1 when they differ.
    Check {
        #[command(flatten)]
        pair: Pair,
        /// Only report objects missing from or different in DST.
        #[arg(long)]
        one_way: bool,
    },
    /// List objects with sizes (recursive).
    Ls(Target),
    /// List objects with sizes and modification times (recursive).
    Lsl(Target),
    /// List objects and directories in a form easy to parse.
    Lsf {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        list: ListFlags,
        /// Fields to print: p(ath), s(ize), t(ime), h(ash), m(ime type).
        #[arg(short = 'F', long, default_value = "p")]
        format: String,
        /// Separator between fields.
        #[arg(short = 's', long, default_value = ";")]
        separator: String,
    },
    /// List objects and directories as JSON, with rclone's fields.
    Lsjson {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        list: ListFlags,
        /// Add each object's MD5 (from the listing; a HEAD only where the listing has none).
        #[arg(long)]
        hash: bool,
        /// Leave out ModTime.
        #[arg(long)]
        no_modtime: bool,
        /// Leave out MimeType.
        #[arg(long)]
        no_mimetype: bool,
    },
    /// Count objects and total their sizes.
    Size {
        #[command(flatten)]
        target: Target,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the configured remotes.
    Listremotes {
        /// Show each remote's type too.
        #[arg(long)]
        long: bool,
    },
    /// Show or check the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigCmd,
    },
    /// List the backends and their options.
    Backends {
        /// Show one backend (or credentials type) in full.
        name: Option<String>,
        /// Print the reference as Markdown (docs/backends.md is generated this way).
        #[arg(long)]
        markdown: bool,
    },
    /// Show the version.
    Version,
    /// Send a message through the configured alert sinks, or test them.
    Alert {
        #[command(subcommand)]
        action: AlertCmd,
    },
    /// Check the set-up (config, identity, clock, region, policies, secrets, buckets, alert
    /// sinks) and print what is wrong with the exact fix; exit 1 when a check fails.
    Doctor {
        /// Remotes or SRC DST pairs to check (NAME:path); default: every configured remote.
        targets: Vec<String>,
        /// Print the checks as JSON.
        #[arg(long)]
        json: bool,
        /// Also write and delete a temporary object under each destination (proves write rights).
        #[arg(long)]
        write_probe: bool,
        /// Also send a test message through each alert sink.
        #[arg(long)]
        alert_probe: bool,
    },
    /// Abort the multipart uploads under REMOTE[:path] started longer ago than --max-age
    /// (default 24h) and never completed — left by a killed run; --dry-run lists them only.
    Cleanup(Target),
    /// Print a shell completion script (bash, zsh, fish, powershell or elvish).
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout.
    Man,
    /// Copy one object to a new name (or a directory, as copy).
    Copyto(Pair),
    /// Move objects from SRC to DST: copy, then delete each source object once its copy is
    /// proven (sync's safety: dry-run, no deletion after a failed copy).
    Move(MoveArgs),
    /// Move one object to a new name (or a directory, as move).
    Moveto(Pair),
    /// Delete the objects under the path that pass the filters.
    Delete(DeleteArgs),
    /// Delete one object.
    Deletefile(Target),
    /// Delete the path and everything under it (filters are not applied).
    Purge(Target),
    /// Make the directory (or bucket prefix) if it does not exist.
    Mkdir(Target),
    /// Remove the directory if it is empty.
    Rmdir(Target),
    /// Remove the empty directories under the path.
    Rmdirs(RmdirsArgs),
    /// Print the objects under the path to stdout.
    Cat(CatArgs),
    /// Copy standard input to an object.
    Rcat(RcatArgs),
    /// Print the MD5 of each object (md5sum format).
    Md5sum(HashArgs),
    /// Print the SHA-1 of each object (sha1sum format; --download for object stores).
    Sha1sum(HashArgs),
    /// Print a hash of each object: hashsum MD5|SHA-1|SHA-256 PATH.
    Hashsum(HashsumArgs),
    /// List the directories (or buckets' top-level prefixes) under the path.
    Lsd(LsdArgs),
    /// List the path as a tree.
    Tree(TreeArgs),
    /// Set an object's modification time, or create it empty.
    Touch(TouchArgs),
    /// Change the storage tier of the objects under the path.
    Settier(SettierArgs),
    /// Show how ocisync treats each rclone flag and command (docs/rclone-compat.md).
    Compat {
        /// Print the table as Markdown.
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertCmd {
    /// Send a message through every alert sink (or one), whatever their `on` setting.
    Send {
        /// Only this sink ([alerts.NAME]).
        #[arg(long)]
        sink: Option<String>,
        /// The message title (the e-mail subject for OCI Notifications).
        #[arg(long)]
        title: String,
        /// The message body.
        #[arg(long)]
        body: String,
    },
    /// Send a test message through each sink (or those named); exit 1 when one fails.
    Test {
        /// Sinks to test ([alerts.NAME]); default: all.
        names: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the configuration with every secret redacted.
    Show,
    /// Check the configuration; exit 0 when valid, 1 otherwise.
    Validate,
}

#[derive(Debug, Args)]
pub struct Pair {
    /// Source: NAME:bucket/prefix, :type,key=value:path or a local path.
    pub src: String,
    /// Destination.
    pub dst: String,
}

#[derive(Debug, Args)]
pub struct Target {
    /// NAME:bucket/prefix, :type,key=value:path or a local path.
    pub remote: String,
}

#[derive(Debug, Args)]
pub struct ListFlags {
    /// Recurse into the listing.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Only list files.
    #[arg(long)]
    pub files_only: bool,
    /// Only list directories.
    #[arg(long)]
    pub dirs_only: bool,
}

/// Flags every command accepts (rclone's names and defaults).
#[derive(Debug, Args)]
pub struct Flags {
    /// Config file (TOML, or an rclone.conf).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Do a trial run with no permanent changes.
    #[arg(short = 'n', long, global = true)]
    pub dry_run: bool,
    /// Compare size and MD5 instead of size and modification time.
    #[arg(short = 'c', long, global = true)]
    pub checksum: bool,
    /// Compare sizes only.
    #[arg(long, global = true)]
    pub size_only: bool,
    /// Skip objects that are newer on the destination.
    #[arg(short = 'u', long, global = true)]
    pub update: bool,
    /// Use the server's modification time (from the listing) instead of the `mtime` metadata.
    #[arg(long, global = true)]
    pub use_server_modtime: bool,
    /// Don't update destination modification times that differ when the content is equal.
    #[arg(long, global = true)]
    pub no_update_modtime: bool,
    /// Maximum time difference to be considered the same (e.g. 1s).
    #[arg(long, global = true, default_value = "1ns", value_name = "DURATION")]
    pub modify_window: String,
    /// Number of file transfers to run in parallel [default: 4, and up to 16 while the objects
    /// are under 1 MiB — latency-bound — when not given; see docs/sync.md].
    #[arg(long, global = true, value_name = "N")]
    pub transfers: Option<usize>,
    /// Number of checkers to run in parallel.
    #[arg(long, global = true, default_value_t = 8)]
    pub checkers: usize,
    /// Include objects matching the pattern (rclone glob rules; repeatable). As in rclone, all
    /// includes apply before all excludes: use --filter to choose the order.
    #[arg(long, global = true, action = ArgAction::Append, value_name = "PATTERN")]
    pub include: Vec<String>,
    /// Exclude objects matching the pattern (rclone glob rules; repeatable).
    #[arg(long, global = true, action = ArgAction::Append, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// A filtering rule, in order: "+ PATTERN" includes, "- PATTERN" excludes, "!" clears.
    #[arg(
        short = 'f',
        long,
        global = true,
        action = ArgAction::Append,
        value_name = "RULE",
        allow_hyphen_values = true
    )]
    pub filter: Vec<String>,
    /// Only objects older than this (duration like 1d2h, or a date 2006-01-02[T15:04:05]).
    #[arg(long, global = true, value_name = "DURATION")]
    pub min_age: Option<String>,
    /// Only objects younger than this.
    #[arg(long, global = true, value_name = "DURATION")]
    pub max_age: Option<String>,
    /// Only objects at least this big (size like 10Mi; a bare number is KiB).
    #[arg(long, global = true, value_name = "SIZE")]
    pub min_size: Option<String>,
    /// Only objects at most this big.
    #[arg(long, global = true, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// Stop (exit 7, deleting nothing) when a sync would delete more than this many objects.
    #[arg(long, global = true, default_value_t = -1, allow_negative_numbers = true)]
    pub max_delete: i64,
    /// Stop starting transfers after this many bytes (exit 8).
    #[arg(long, global = true, value_name = "SIZE")]
    pub max_transfer: Option<String>,
    /// Follow symlinks in local sources and copy what they point to (rclone's -L).
    #[arg(short = 'L', long, global = true)]
    pub copy_links: bool,
    /// Stop the run after this long (exit 10); transfers in flight are abandoned, as with
    /// rclone's default --cutoff-mode hard.
    #[arg(long, global = true, value_name = "DURATION")]
    pub max_duration: Option<String>,
    /// Let sync delete everything in DST when SRC lists no objects (refused by default).
    #[arg(long, global = true)]
    pub allow_empty_source: bool,
    /// Retry the whole operation this many times if it fails.
    #[arg(long, global = true, default_value_t = 3)]
    pub retries: u32,
    /// Number of low level retries of each request.
    #[arg(long, global = true, default_value_t = 10)]
    pub low_level_retries: usize,
    /// IO idle timeout.
    #[arg(long, global = true, default_value = "5m", value_name = "DURATION")]
    pub timeout: String,
    /// Connect (response start) timeout.
    #[arg(long, global = true, default_value = "1m", value_name = "DURATION")]
    pub contimeout: String,
    /// Exit with code 9 if nothing was transferred.
    #[arg(long, global = true)]
    pub error_on_no_transfer: bool,
    /// Append the log to this file instead of stderr.
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Print more (-v info, -vv debug).
    #[arg(short = 'v', long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// Print as little as possible (errors only).
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// Log level: DEBUG, INFO, NOTICE, ERROR.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Log as JSON lines.
    #[arg(long, global = true)]
    pub use_json_log: bool,
    /// Show progress during the transfer (terminals only).
    #[arg(short = 'P', long, global = true)]
    pub progress: bool,
    /// Print stats at this interval with -v (0 to disable).
    #[arg(long, global = true, default_value = "1m", value_name = "DURATION")]
    pub stats: String,
    /// Take this lock file (flock) for the run; a run finding it held exits 0 at once.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help_heading = "Unattended runs"
    )]
    pub lock_file: Option<PathBuf>,
    /// A lock held longer than this makes the skipped run a failure (exit 1, alert).
    #[arg(
        long,
        global = true,
        default_value = "12h",
        value_name = "DURATION",
        help_heading = "Unattended runs"
    )]
    pub lock_stale: String,
    /// Write the run report (JSON) to this file at the end of every sync, copy or check.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help_heading = "Unattended runs"
    )]
    pub report_json: Option<PathBuf>,
    /// Write Prometheus metrics (node_exporter textfile format) to this file after each run.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help_heading = "Unattended runs"
    )]
    pub metrics_file: Option<PathBuf>,
    /// The `job` label of the metrics (default: derived from SRC and DST).
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        help_heading = "Unattended runs"
    )]
    pub job_name: Option<String>,
    /// Don't send alerts at the end of the run.
    #[arg(long, global = true, help_heading = "Unattended runs")]
    pub no_alerts: bool,
    /// Act only on the objects of shard K of N (sync, copy, check): run N workers with
    /// 0/N … N-1/N to split one job between them (see docs/scale.md).
    #[arg(
        long,
        global = true,
        value_name = "K/N",
        value_parser = crate::args::parse_shard,
        help_heading = "Unattended runs"
    )]
    pub shard: Option<crate::engine::shard::Shard>,
    /// Listings in flight per remote on object stores (key ranges merged back into order;
    /// 1: one listing, page after page). Default: decided from the first page's latency, at
    /// most 16 (docs/performance.md).
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub list_concurrency: Option<u16>,
    #[command(flatten)]
    pub copy: groups::CopyFlags,
    #[command(flatten)]
    pub filters: groups::FilterFlags,
    #[command(flatten)]
    pub io: groups::IoFlags,
}

/// `--<prefix>-<key>` flags for every non-secret backend option, e.g. `--s3-chunk-size`. Their
/// values override the config file for every remote of that backend, as in rclone.
fn backend_flags() -> Vec<Arg> {
    let mut args = Vec::new();
    for b in registry::backends() {
        let spec = b.spec();
        for o in spec.options.iter().filter(|o| !o.sensitive) {
            let long = format!("{}-{}", spec.prefix, o.name.replace('_', "-"));
            let default = o
                .default
                .map(|d| format!(" [default: {d}]"))
                .unwrap_or_default();
            args.push(
                Arg::new(flag_id(spec.name, o.name))
                    .long(long)
                    .global(true)
                    .value_name(o.kind.to_string().to_uppercase())
                    .help(format!("{}{default}", o.short_help()))
                    .hide_short_help(true)
                    .help_heading(format!("{} backend", spec.name)),
            );
        }
    }
    args
}

fn flag_id(backend: &str, key: &str) -> String {
    format!("backend:{backend}:{key}")
}

/// The command line as parsed: typed flags plus backend option overrides.
pub struct Parsed {
    pub cli: Cli,
    /// backend name → option key → value.
    pub backend_values: std::collections::BTreeMap<String, ocisync_backend::ConfigValues>,
    /// `--include`/`--exclude` in the order given.
    pub filter_rules: Vec<(crate::filter::Action, String)>,
    /// rclone flags given that ocisync accepts and ignores ([`compat`]).
    pub ignored: Vec<&'static compat::Flag>,
}

pub fn command() -> Command {
    Cli::command()
        .args(backend_flags())
        .args(compat::extra_args())
        // As rclone's flag parser: a flag given twice takes its last value (repeatable flags
        // such as --include still collect every value).
        .args_override_self(true)
}

/// Parses the command line, with the flags `RCLONE_<FLAG>`/`OCISYNC_<FLAG>` variables set
/// ([`env`]).
pub fn parse_from<I, T>(args: I) -> Result<Parsed, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let argv: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let vars: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    parse_args(env::with_env_flags(argv, &vars)?)
}

fn parse_args(args: Vec<std::ffi::OsString>) -> Result<Parsed, clap::Error> {
    let matches = command()
        .try_get_matches_from(args)
        .map_err(refused_command)?;
    let cli = Cli::from_arg_matches(&matches)?;
    let sub = deepest(&matches);
    let ignored = compat::check(sub)?;
    let mut backend_values = std::collections::BTreeMap::new();
    for b in registry::backends() {
        let spec = b.spec();
        for o in spec.options.iter().filter(|o| !o.sensitive) {
            let id = flag_id(spec.name, o.name);
            if let Some(v) = sub.get_one::<String>(&id) {
                backend_values
                    .entry(spec.name.to_string())
                    .or_insert_with(ocisync_backend::ConfigValues::new)
                    .insert(
                        o.name.to_string(),
                        ocisync_backend::RawValue::String(v.clone()),
                    );
            }
        }
    }
    let mut rules: Vec<(usize, crate::filter::Action, String)> = Vec::new();
    for (id, action) in [
        ("include", crate::filter::Action::Include),
        ("exclude", crate::filter::Action::Exclude),
        ("filter", crate::filter::Action::Filter),
    ] {
        if let (Some(idx), Some(vals)) = (sub.indices_of(id), sub.get_many::<String>(id)) {
            rules.extend(idx.zip(vals).map(|(i, v)| (i, action, v.clone())));
        }
    }
    rules.sort_by_key(|(i, _, _)| *i);
    Ok(Parsed {
        cli,
        backend_values,
        filter_rules: rules.into_iter().map(|(_, a, p)| (a, p)).collect(),
        ignored,
    })
}

/// An rclone command ocisync does not have is named with the reason, not as a typo.
fn refused_command(e: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue};
    if e.kind() != clap::error::ErrorKind::InvalidSubcommand {
        return e;
    }
    match e.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(name)) => match compat::refused_command(name) {
            Some(msg) => clap::Error::raw(clap::error::ErrorKind::InvalidSubcommand, msg),
            None => e,
        },
        _ => e,
    }
}

/// Global flags' values end up in the innermost subcommand's matches.
fn deepest(m: &ArgMatches) -> &ArgMatches {
    match m.subcommand() {
        Some((_, sub)) => deepest(sub),
        None => m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_like_rclone() {
        let p = parse_from([
            "ocisync",
            "sync",
            "--exclude",
            "*.tmp",
            "a:",
            "b:",
            "-n",
            "--checksum",
            "--include",
            "*.csv",
            "--s3-chunk-size",
            "10Mi",
            "-vv",
            "--transfers",
            "16",
        ])
        .unwrap();
        assert!(p.cli.flags.dry_run && p.cli.flags.checksum);
        assert_eq!(p.cli.flags.verbose, 2);
        assert_eq!(p.cli.flags.transfers, Some(16));
        assert_eq!(
            p.filter_rules,
            vec![
                (crate::filter::Action::Exclude, "*.tmp".to_string()),
                (crate::filter::Action::Include, "*.csv".to_string())
            ]
        );
        assert_eq!(
            p.backend_values["s3"]["chunk_size"],
            ocisync_backend::RawValue::String("10Mi".into())
        );
        assert!(
            matches!(p.cli.command, Cmd::Sync(Pair { ref src, ref dst }) if src == "a:" && dst == "b:")
        );
    }

    #[test]
    fn a_flag_given_twice_takes_its_last_value_as_in_rclone() {
        let p = parse_from([
            "ocisync",
            "sync",
            "a:",
            "b:",
            "--transfers",
            "2",
            "--transfers",
            "8",
            "-n",
            "-n",
            "--include",
            "*.csv",
            "--include",
            "*.gz",
        ])
        .unwrap();
        assert_eq!(p.cli.flags.transfers, Some(8));
        assert!(p.cli.flags.dry_run);
        assert_eq!(p.cli.flags.include, ["*.csv", "*.gz"]);
    }

    #[test]
    fn usage_errors() {
        let e = parse_from(["ocisync", "sync", "only-one"]).err().unwrap();
        assert_eq!(e.exit_code(), 2);
        assert!(parse_from(["ocisync", "frobnicate"]).is_err());
    }

    #[test]
    fn defaults_are_rclones() {
        let p = parse_from(["ocisync", "ls", "x"]).unwrap();
        let f = &p.cli.flags;
        assert_eq!(
            (
                f.transfers.unwrap_or(crate::args::DEFAULT_TRANSFERS),
                f.checkers,
                f.retries,
                f.low_level_retries,
                f.max_delete
            ),
            (4, 8, 3, 10, -1)
        );
    }
}
