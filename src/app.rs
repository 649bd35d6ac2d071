//! From a parsed command line to an exit code: logging, configuration, remotes, then the command.

use std::time::Duration;

use ocisync_backend::{Error, GlobalOptions, Remote, Size};

use crate::cli::{Cmd, ConfigCmd, Flags, ListFlags, Parsed};
use crate::commands::{info, list, transfer};
use crate::config::{self, Config};
use crate::engine::check::CheckOptions;
use crate::engine::decide::{Compare, CompareOptions};
use crate::engine::stats::Stats;
use crate::engine::sync::{Mode, RunOptions};
use crate::exitcode;
use crate::filter::Filter;
use crate::log::{self, LogLevel};
use crate::remote_path::RemotePath;
use crate::resolve::Resolver;

/// A mistake in the command line found after parsing (bad duration, bad pattern): exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn usage(msg: impl Into<String>) -> UsageError {
    UsageError(msg.into())
}

fn log_level(f: &Flags) -> Result<LogLevel, UsageError> {
    if let Some(l) = &f.log_level {
        return LogLevel::parse(l).ok_or_else(|| {
            usage(format!(
                "--log-level {l:?}: use DEBUG, INFO, NOTICE or ERROR"
            ))
        });
    }
    Ok(match (f.quiet, f.verbose) {
        (true, _) => LogLevel::Error,
        (false, 0) => LogLevel::Notice,
        (false, 1) => LogLevel::Info,
        (false, _) => LogLevel::Debug,
    })
}

fn duration(flag: &str, v: &str) -> Result<Duration, UsageError> {
    ocisync_backend::Duration::parse(v)
        .map(|d| d.0)
        .map_err(|e| usage(format!("--{flag}: {e}")))
}

fn size(flag: &str, v: &str) -> Result<u64, UsageError> {
    Size::parse(v)
        .map(|s| s.0)
        .map_err(|e| usage(format!("--{flag}: {e}")))
}

/// `--min-age`/`--max-age` take a duration before now or a date.
fn age_to_time(flag: &str, v: &str) -> Result<jiff::Timestamp, UsageError> {
    if let Ok(d) = ocisync_backend::Duration::parse(v) {
        let d = jiff::SignedDuration::try_from(d.0).map_err(|e| usage(format!("--{flag}: {e}")))?;
        return Ok(jiff::Timestamp::now() - d);
    }
    if let Ok(t) = v.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let civil = v
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| {
            v.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .map_err(|_| {
            usage(format!(
                "--{flag} {v:?}: expected a duration (1d2h) or a date (2006-01-02[T15:04:05])"
            ))
        })?;
    civil
        .to_zoned(jiff::tz::TimeZone::system())
        .map(|z| z.timestamp())
        .map_err(|e| usage(format!("--{flag}: {e}")))
}

fn build_filter(p: &Parsed) -> Result<Filter, UsageError> {
    let f = &p.cli.flags;
    let mut filter = Filter::default();
    for (action, pattern) in &p.filter_rules {
        filter
            .add(*action, pattern)
            .map_err(|e| usage(e.to_string()))?;
    }
    if let Some(v) = &f.min_age {
        filter.modified_before = Some(age_to_time("min-age", v)?);
    }
    if let Some(v) = &f.max_age {
        filter.modified_after = Some(age_to_time("max-age", v)?);
    }
    filter.min_size = f
        .min_size
        .as_deref()
        .map(|v| size("min-size", v))
        .transpose()?;
    filter.max_size = f
        .max_size
        .as_deref()
        .map(|v| size("max-size", v))
        .transpose()?;
    Ok(filter)
}

fn global_options(f: &Flags) -> Result<GlobalOptions, UsageError> {
    Ok(GlobalOptions {
        low_level_retries: f.low_level_retries.max(1),
        timeout: duration("contimeout", &f.contimeout)?,
        io_timeout: duration("timeout", &f.timeout)?,
        transfers: f.transfers.max(1),
        checkers: f.checkers.max(1),
    })
}

fn load_config(f: &Flags) -> Result<Config, u8> {
    match Config::load(f.config.as_deref()) {
        Ok(mut c) => {
            c.mark_secrets();
            config::warn_if_readable_secrets(&c);
            Ok(c)
        }
        Err(e) => {
            tracing::error!("{e}");
            Err(exitcode::UNCATEGORIZED)
        }
    }
}

async fn open(resolver: &Resolver, spec: &str) -> Result<Remote, u8> {
    let path = RemotePath::parse(spec).map_err(|e| {
        tracing::error!("{e}");
        exitcode::USAGE
    })?;
    resolver.open(&path).await.map_err(|e: Error| {
        tracing::error!("Failed to create file system for {spec:?}: {e}");
        exitcode::for_kind(e.kind)
    })
}

fn listing<'a>(
    remote: &'a Remote,
    filter: &'a Filter,
    l: &ListFlags,
    recursive: bool,
) -> list::Listing<'a> {
    list::Listing {
        remote,
        recursive: recursive || l.recursive,
        filter,
        files_only: l.files_only,
        dirs_only: l.dirs_only,
    }
}

/// Runs the command; returns the process exit code.
pub async fn run(p: Parsed) -> u8 {
    let f = &p.cli.flags;
    let level = match log_level(f) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return exitcode::USAGE;
        }
    };
    if let Err(e) = log::init(level, f.use_json_log, f.log_file.as_deref()) {
        eprintln!("--log-file: {e}");
        return exitcode::USAGE;
    }
    match run_command(&p).await {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e}");
            exitcode::USAGE
        }
    }
}

async fn run_command(p: &Parsed) -> Result<u8, UsageError> {
    let f = &p.cli.flags;
    match &p.cli.command {
        Cmd::Version => return Ok(info::version()),
        Cmd::Backends { name, markdown } => return Ok(info::backends(name.as_deref(), *markdown)),
        _ => {}
    }
    let config = match load_config(f) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    match &p.cli.command {
        Cmd::Config {
            action: ConfigCmd::Show,
        } => return Ok(info::config_show(&config)),
        Cmd::Config {
            action: ConfigCmd::Validate,
        } => return Ok(info::config_validate(&config)),
        Cmd::Listremotes { long } => return Ok(info::listremotes(&config, *long)),
        _ => {}
    }
    let filter = build_filter(p)?;
    let global = global_options(f)?;
    let resolver = Resolver::new(config, global, p.backend_values.clone());
    let checkers = f.checkers.max(1);
    let stats = Stats::default();
    macro_rules! remote {
        ($spec:expr) => {
            match open(&resolver, $spec).await {
                Ok(r) => r,
                Err(code) => return Ok(code),
            }
        };
    }
    let listed = |r: ocisync_backend::Result<()>| match r {
        Ok(()) => exitcode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            exitcode::for_kind(e.kind)
        }
    };
    let code = match &p.cli.command {
        Cmd::Sync(pair) | Cmd::Copy(pair) => {
            let mode = if matches!(p.cli.command, Cmd::Sync(_)) {
                Mode::Sync
            } else {
                Mode::Copy
            };
            let (src, dst) = (remote!(&pair.src), remote!(&pair.dst));
            if f.checksum && f.size_only {
                return Err(usage("--checksum and --size-only cannot be used together"));
            }
            let compare = CompareOptions {
                mode: if f.size_only {
                    Compare::SizeOnly
                } else if f.checksum {
                    Compare::Checksum
                } else {
                    Compare::ModTime
                },
                update: f.update,
                use_server_modtime: f.use_server_modtime,
                window: duration("modify-window", &f.modify_window)?,
            };
            let opts = RunOptions {
                mode,
                dry_run: f.dry_run,
                compare,
                transfers: f.transfers.max(1),
                checkers,
                filter,
                max_delete: u64::try_from(f.max_delete).ok(),
                allow_empty_source: f.allow_empty_source,
                max_transfer: f
                    .max_transfer
                    .as_deref()
                    .map(|v| size("max-transfer", v))
                    .transpose()?,
                no_update_modtime: f.no_update_modtime,
            };
            let every = duration("stats", &f.stats)?;
            let reporting = transfer::Reporting {
                retries: f.retries,
                stats_every: (!every.is_zero() && f.verbose > 0).then_some(every),
                progress: f.progress,
                error_on_no_transfer: f.error_on_no_transfer,
            };
            transfer::sync_or_copy(&src, &dst, &opts, &reporting).await
        }
        Cmd::Check { pair, one_way } => {
            let (src, dst) = (remote!(&pair.src), remote!(&pair.dst));
            let o = CheckOptions {
                size_only: f.size_only,
                one_way: *one_way,
                filter,
                checkers,
            };
            transfer::check(&src, &dst, &o).await
        }
        Cmd::Ls(t) | Cmd::Lsl(t) => {
            let r = remote!(&t.remote);
            let none = ListFlags {
                recursive: true,
                files_only: true,
                dirs_only: false,
            };
            listed(
                list::ls(
                    listing(&r, &filter, &none, true),
                    matches!(p.cli.command, Cmd::Lsl(_)),
                )
                .await,
            )
        }
        Cmd::Lsf {
            target,
            list: l,
            format,
            separator,
        } => {
            let r = remote!(&target.remote);
            listed(
                list::lsf(
                    listing(&r, &filter, l, false),
                    format,
                    separator,
                    checkers,
                    &stats,
                )
                .await,
            )
        }
        Cmd::Lsjson {
            target,
            list: l,
            hash,
            no_modtime,
            no_mimetype,
        } => {
            let r = remote!(&target.remote);
            let jf = list::JsonFlags {
                hash: *hash,
                no_modtime: *no_modtime,
                no_mimetype: *no_mimetype,
            };
            listed(list::lsjson(listing(&r, &filter, l, false), jf, checkers, &stats).await)
        }
        Cmd::Size { target, json } => {
            let r = remote!(&target.remote);
            let all = ListFlags {
                recursive: true,
                files_only: true,
                dirs_only: false,
            };
            listed(list::size(listing(&r, &filter, &all, true), *json).await)
        }
        Cmd::Version | Cmd::Backends { .. } | Cmd::Config { .. } | Cmd::Listremotes { .. } => {
            unreachable!("handled above")
        }
    };
    Ok(code)
}
