//! From a parsed command line to an exit code: logging, configuration, remotes, then the command.
//! `sync`, `copy` and `check` run as unattended jobs do: under the lock, and ending — however
//! they end, SIGTERM included — with the run report, metrics and alerts.

use std::sync::Arc;

use ocisync_backend::{Error, Remote};

use crate::args::{self, Unattended, UsageError};
use crate::cli::{Cmd, ConfigCmd, ListFlags, Pair, Parsed};
use crate::commands::hashsum::Hash;
use crate::commands::{alert, cat, delete, dirs, hashsum, info, list, run, touch};
use crate::config::{self, Config};
use crate::engine::report::RunReport;
use crate::engine::stats::Stats;
use crate::engine::sync::Mode;
use crate::exitcode;
use crate::filter::Filter;
use crate::log;
use crate::remote_path::RemotePath;
use crate::resolve::Resolver;
use crate::unattended::document::{RunContext, RunDocument, RunResult};
use crate::unattended::lock::{self, Acquired};
use crate::unattended::{self as ops, hostname};

fn load_config(f: &crate::cli::Flags) -> Result<Config, u8> {
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

/// `spec` as it may be shown: connection-string parameters (which may hold keys) left out.
pub fn shown(spec: &str) -> String {
    RemotePath::parse(spec)
        .map(|p| p.to_string())
        .unwrap_or_else(|_| crate::remote_path::redact_input(spec))
}

/// Connection-string parameters on the command line that hold secrets, by name: declared
/// sensitive by a backend, or named like a secret.
fn secrets_in_args(p: &Parsed) -> Vec<String> {
    let specs: Vec<&str> = match &p.cli.command {
        Cmd::Sync(pair) | Cmd::Copy(pair) | Cmd::Check { pair, .. } => {
            vec![pair.src.as_str(), pair.dst.as_str()]
        }
        Cmd::Ls(t) | Cmd::Lsl(t) | Cmd::Size { target: t, .. } | Cmd::Cleanup(t) => {
            vec![t.remote.as_str()]
        }
        Cmd::Lsf { target, .. } | Cmd::Lsjson { target, .. } => vec![target.remote.as_str()],
        Cmd::Doctor { targets, .. } => targets.iter().map(String::as_str).collect(),
        other => other.targets(),
    };
    let sensitive = |key: &str| {
        crate::credentials::looks_secret(key)
            || crate::registry::backends().iter().any(|b| {
                b.spec()
                    .options
                    .iter()
                    .any(|o| o.sensitive && o.name == key)
            })
    };
    let mut found: Vec<String> = specs
        .into_iter()
        .flat_map(|spec| match RemotePath::parse(spec) {
            Ok(path) => path.params.into_iter().map(|(k, _)| k).collect::<Vec<_>>(),
            // Unparsable (an unterminated quote): the `key=` words are still on the line.
            Err(_) => spec
                .split(',')
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .map(|(k, _)| k.trim().replace('-', "_"))
                .collect(),
        })
        .filter(|k| sensitive(k))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Says once that secrets on the command line are visible to every user of the machine.
fn warn_about_secrets_in_args(p: &Parsed) {
    let found = secrets_in_args(p);
    if found.is_empty() {
        return;
    }
    tracing::warn!(
        "a secret was given on the command line ({}): the arguments of a running process are \
         readable by every user of this machine (/proc/PID/cmdline, ps) and may stay in shell \
         history; put it in a [credentials.NAME] section and set credentials = \"NAME\" on the \
         remote (or in the config file, mode 600)",
        found.join(", ")
    );
}

/// `--<prefix>-<key>` values, plus `-L/--copy-links`: the local backend's `copy_links`, as in
/// rclone.
fn backend_values(p: &Parsed) -> std::collections::BTreeMap<String, ocisync_backend::ConfigValues> {
    let mut values = p.backend_values.clone();
    if p.cli.flags.copy_links {
        values.entry("local".to_string()).or_default().insert(
            "copy_links".to_string(),
            ocisync_backend::RawValue::String("true".to_string()),
        );
    }
    values
}

async fn open(resolver: &Resolver, spec: &str) -> Result<Remote, (u8, String)> {
    let path = RemotePath::parse(spec).map_err(|e| (exitcode::USAGE, e.to_string()))?;
    resolver.open(&path).await.map_err(|e: Error| {
        (
            exitcode::for_kind(e.kind),
            format!(
                "Failed to create file system for {:?}: {e}",
                path.to_string()
            ),
        )
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
    let level = match args::log_level(f) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return exitcode::USAGE;
        }
    };
    let json = match args::rclone::log_format(f) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("{e}");
            return exitcode::USAGE;
        }
    };
    if let Err(e) = log::init(level, json, f.log_file.as_deref()) {
        // As rclone: not a usage error (exit 1), the file and the cause named.
        eprintln!("ocisync: {e}");
        return exitcode::UNCATEGORIZED;
    }
    for problem in crate::hardening::problems() {
        tracing::debug!("process hardening: {problem}");
    }
    warn_about_secrets_in_args(&p);
    for flag in &p.ignored {
        tracing::info!(
            "--{}: accepted and ignored: {}",
            flag.name,
            flag.status.note()
        );
    }
    if let Err(e) = args::rclone::configure_io(f) {
        tracing::error!("{e}");
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
        Cmd::Completion { shell } => return Ok(info::completion(*shell)),
        Cmd::Man => return Ok(info::man()),
        Cmd::Compat { markdown } => return Ok(crate::commands::compat::run(*markdown)),
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
        Cmd::Alert { action } => return Ok(alert::run(&config, action).await),
        _ => {}
    }
    let filter = args::build_filter(p)?;
    let global = args::global_options(f)?;
    let checkers = f.checkers.max(1);
    if let Cmd::Doctor {
        targets,
        json,
        write_probe,
        alert_probe,
    } = &p.cli.command
    {
        let options = crate::doctor::DoctorOptions {
            targets: targets.clone(),
            json: *json,
            write_probe: *write_probe,
            alert_probe: *alert_probe,
        };
        return Ok(crate::doctor::run(config, global, backend_values(p), options).await);
    }
    let unattended = args::unattended(f)?;
    let resolver = Resolver::new(config, global, backend_values(p));
    match &p.cli.command {
        Cmd::Sync(pair) => transfer(p, &resolver, &unattended, pair, Job::Sync, filter).await,
        Cmd::Copy(pair) => transfer(p, &resolver, &unattended, pair, Job::Copy, filter).await,
        Cmd::Move(a) => {
            let job = Job::Move {
                delete_empty_src_dirs: a.delete_empty_src_dirs,
            };
            transfer(p, &resolver, &unattended, &a.pair, job, filter).await
        }
        Cmd::Check { pair, one_way } => {
            let job = Job::Check { one_way: *one_way };
            transfer(p, &resolver, &unattended, pair, job, filter).await
        }
        Cmd::Cleanup(t) => {
            let max_age = match &f.max_age {
                Some(v) => args::duration("max-age", v)?,
                None => crate::commands::cleanup::DEFAULT_MAX_AGE,
            };
            Ok(crate::commands::cleanup::run(&resolver, &t.remote, max_age, f.dry_run).await)
        }
        Cmd::Mkdir(t) => Ok(dirs::mkdir(&resolver, &t.remote, f.dry_run).await),
        Cmd::Rmdir(t) => Ok(dirs::rmdir(&resolver, &t.remote, f.dry_run).await),
        Cmd::Rmdirs(a) => Ok(dirs::rmdirs(&resolver, a, &filter, f.dry_run).await),
        Cmd::Lsd(a) => Ok(dirs::lsd(&resolver, a, &filter).await),
        Cmd::Tree(a) => Ok(dirs::tree(&resolver, a, &filter).await),
        Cmd::Delete(a) => {
            Ok(delete::delete(&resolver, a, &filter, &args::rclone::deletes(f)).await)
        }
        Cmd::Deletefile(t) => Ok(delete::deletefile(&resolver, &t.remote, f.dry_run).await),
        Cmd::Purge(t) => {
            Ok(delete::purge(&resolver, &t.remote, &filter, &args::rclone::deletes(f)).await)
        }
        Cmd::Cat(a) => Ok(cat::cat(&resolver, a, &filter).await),
        Cmd::Rcat(a) => Ok(cat::rcat(&resolver, a, f.dry_run).await),
        Cmd::Md5sum(a) => Ok(hashsum::run(
            &resolver,
            &a.target.remote,
            Hash::Md5,
            &a.flags,
            &filter,
            checkers,
        )
        .await),
        Cmd::Sha1sum(a) => Ok(hashsum::run(
            &resolver,
            &a.target.remote,
            Hash::Sha1,
            &a.flags,
            &filter,
            checkers,
        )
        .await),
        Cmd::Hashsum(a) => Ok(hashsum::hashsum(&resolver, a, &filter, checkers).await),
        Cmd::Touch(a) => Ok(touch::touch(&resolver, a, &filter, f.dry_run).await),
        Cmd::Copyto(pair) | Cmd::Moveto(pair) => {
            use crate::commands::copyto::{self, Plan};
            let moving = matches!(p.cli.command, Cmd::Moveto(_));
            match copyto::plan(&resolver, pair, &filter).await {
                Err(failure) => Ok(failure.report()),
                Ok(Plan::Tree) => {
                    let job = match moving {
                        true => Job::Move {
                            delete_empty_src_dirs: false,
                        },
                        false => Job::Copy,
                    };
                    transfer(p, &resolver, &unattended, pair, job, filter).await
                }
                Ok(plan) => Ok(copyto::run_file(plan, f, moving).await),
            }
        }
        Cmd::Settier(a) => {
            Ok(crate::commands::settier::run(&resolver, a, &filter, f.dry_run).await)
        }
        _ => Ok(list_command(p, &resolver, &filter, checkers).await),
    }
}

/// `ls`, `lsl`, `lsf`, `lsjson` and `size`.
async fn list_command(p: &Parsed, resolver: &Resolver, filter: &Filter, checkers: usize) -> u8 {
    let stats = Stats::default();
    let target = match &p.cli.command {
        Cmd::Ls(t) | Cmd::Lsl(t) | Cmd::Size { target: t, .. } => t,
        Cmd::Lsf { target, .. } | Cmd::Lsjson { target, .. } => target,
        _ => unreachable!("only listing commands get here"),
    };
    let r = match open(resolver, &target.remote).await {
        Ok(r) => r,
        Err((code, message)) => {
            tracing::error!("{message}");
            return code;
        }
    };
    // --exclude-if-present: this remote's marked directories (one more listing, only then).
    let filter = &match crate::engine::markers::for_remote(&r, filter).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!("{e}");
            return exitcode::for_kind(e.kind);
        }
    };
    let whole = ListFlags {
        recursive: true,
        files_only: true,
        dirs_only: false,
    };
    let listed = match &p.cli.command {
        Cmd::Ls(_) | Cmd::Lsl(_) => {
            let long = matches!(p.cli.command, Cmd::Lsl(_));
            list::ls(listing(&r, filter, &whole, true), long).await
        }
        Cmd::Lsf {
            list: l,
            format,
            separator,
            ..
        } => {
            list::lsf(
                listing(&r, filter, l, false),
                format,
                separator,
                checkers,
                &stats,
            )
            .await
        }
        Cmd::Lsjson {
            list: l,
            hash,
            no_modtime,
            no_mimetype,
            ..
        } => {
            let jf = list::JsonFlags {
                hash: *hash,
                no_modtime: *no_modtime,
                no_mimetype: *no_mimetype,
            };
            list::lsjson(listing(&r, filter, l, false), jf, checkers, &stats).await
        }
        Cmd::Size { json, .. } => list::size(listing(&r, filter, &whole, true), *json).await,
        _ => unreachable!("only listing commands get here"),
    };
    match listed {
        Ok(()) => exitcode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            exitcode::for_kind(e.kind)
        }
    }
}

/// Which transfer-like command runs.
#[derive(Debug, Clone, Copy)]
enum Job {
    Sync,
    Copy,
    Move { delete_empty_src_dirs: bool },
    Check { one_way: bool },
}

impl Job {
    fn name(self) -> &'static str {
        match self {
            Job::Sync => "sync",
            Job::Copy => "copy",
            Job::Move { .. } => "move",
            Job::Check { .. } => "check",
        }
    }
}

/// `sync`, `copy` or `check` as an unattended job: lock, open, run (until done or stopped by
/// a signal), then report, metrics and alerts.
async fn transfer(
    p: &Parsed,
    resolver: &Resolver,
    u: &Unattended,
    pair: &Pair,
    job: Job,
    filter: Filter,
) -> Result<u8, UsageError> {
    let f = &p.cli.flags;
    let started = jiff::Timestamp::now();
    let ctx = run_context(f, u, pair, job);
    // Options first: a usage error is not a failed run.
    let reporting = args::reporting(f)?;
    // rclone's --max-duration counts from the start of the command.
    let deadline = f
        .max_duration
        .as_deref()
        .map(|v| args::duration("max-duration", v))
        .transpose()?
        .map(|d| (tokio::time::Instant::now() + d, d));
    let options = job_options(f, job, &filter)?;
    // The lock before anything else: a skipped run opens nothing.
    let _lock = match &u.lock_file {
        None => None,
        Some(path) => match lock::acquire(path) {
            Ok(Acquired::Locked(l)) => Some(l),
            Ok(Acquired::Held(holder)) => {
                return Ok(skipped(resolver.config(), u, &ctx, started, holder).await);
            }
            Err(e) => {
                let why = format!("--lock-file {}: {e}", path.display());
                return Ok(not_run(resolver.config(), u, &ctx, started, why).await);
            }
        },
    };
    let (src, dst) = match (
        open(resolver, &pair.src).await,
        open(resolver, &pair.dst).await,
    ) {
        (Ok(s), Ok(d)) => (s, d),
        (Err((code, message)), _) | (_, Err((code, message))) => {
            tracing::error!("{message}");
            let doc = RunDocument::not_run(&ctx, RunResult::Failed, code, started, message);
            ops::finish(&doc, u, resolver.config()).await;
            return Ok(code);
        }
    };
    // The places other flags name (--backup-dir, --compare-dest, --copy-dest).
    let mut options = options;
    if let Some(o) = options.as_mut() {
        let opened = crate::commands::places::open(
            resolver,
            f,
            &pair.dst,
            &src,
            &dst,
            &filter,
            &mut o.rules,
        )
        .await;
        if let Err(failure) = opened {
            tracing::error!("{}", failure.message);
            let doc = RunDocument::not_run(
                &ctx,
                RunResult::Failed,
                failure.code,
                started,
                failure.message,
            );
            ops::finish(&doc, u, resolver.config()).await;
            return Ok(failure.code);
        }
        // --max-duration with a soft or cautious cutoff: transfers stop starting, and those in
        // flight finish.
        if o.rules.cutoff != crate::engine::rules::Cutoff::Hard {
            o.rules.deadline = deadline.map(|(at, _)| at);
        }
    }
    let hard_deadline = options
        .as_ref()
        .is_none_or(|o| o.rules.cutoff == crate::engine::rules::Cutoff::Hard);
    let stats = Arc::new(Stats::default());
    let work = async {
        match (job, &options) {
            (Job::Check { one_way }, _) => {
                let o = args::check_options(f, one_way, filter);
                run::check(&src, &dst, &o, &stats).await
            }
            (_, Some(o)) => run::sync_or_copy(&src, &dst, o, &reporting, stats.clone()).await,
            (_, None) => unreachable!("sync and copy have options"),
        }
    };
    let out_of_time = async {
        match deadline {
            Some((at, d)) => {
                tokio::time::sleep_until(at).await;
                d
            }
            None => std::future::pending().await,
        }
    };
    let mut work = std::pin::pin!(work);
    let ended = tokio::select! {
        report = &mut work => Ok(report),
        signal = stop_signal() => Err(Why::Signal(signal)),
        d = out_of_time, if hard_deadline => Err(Why::Duration(d)),
    };
    let report = match ended {
        Ok(report) => report,
        Err(why) => {
            // Uploads in flight are aborted (never left half-done) before the report is written.
            stats.request_stop();
            tokio::select! {
                _ = &mut work => {}
                _ = tokio::time::sleep(ABORT_GRACE) => {}
                _ = stop_signal() => {}
            }
            return Ok(stopped(resolver, u, &ctx, started, &stats, why).await);
        }
    };
    run::log_failure(&report);
    let mut code = report.exit_code(reporting.error_on_no_transfer);
    if let (
        Job::Move {
            delete_empty_src_dirs: true,
        },
        exitcode::SUCCESS,
        Some(o),
    ) = (job, code, &options)
    {
        crate::commands::moves::remove_emptied_dirs(&src, &o.filter, o.dry_run).await;
    }
    if !hard_deadline {
        code = past_soft_deadline(code, deadline.map(|(at, _)| at));
    }
    let doc = RunDocument::from_report(&report, code, &ctx, resolver.request_counts());
    ops::finish(&doc, u, resolver.config()).await;
    Ok(code)
}

/// Who and what the run is, for its report, metrics and alerts.
fn run_context(f: &crate::cli::Flags, u: &Unattended, pair: &Pair, job: Job) -> RunContext {
    let (src_shown, dst_shown) = (shown(&pair.src), shown(&pair.dst));
    RunContext {
        command: job.name().to_string(),
        host: hostname(),
        job: u.job_name.clone().unwrap_or_else(|| {
            // Each shard is a job of its own: its own last success, its own alerts.
            let name = ops::default_job_name(job.name(), &src_shown, &dst_shown);
            match f.shard {
                Some(s) => format!("{name} (shard {s})"),
                None => name,
            }
        }),
        src: src_shown,
        dst: dst_shown,
        log_file: u.log_file.as_ref().map(|p| p.display().to_string()),
        shard: f.shard,
    }
}

/// The engine's options for `sync`, `copy` and `move` (`check` builds its own).
fn job_options(
    f: &crate::cli::Flags,
    job: Job,
    filter: &Filter,
) -> Result<Option<crate::engine::sync::RunOptions>, UsageError> {
    Ok(match job {
        Job::Sync => Some(args::run_options(f, Mode::Sync, filter.clone())?),
        Job::Copy => Some(args::run_options(f, Mode::Copy, filter.clone())?),
        Job::Move { .. } => Some(args::rclone::for_move(args::run_options(
            f,
            Mode::Copy,
            filter.clone(),
        )?)),
        Job::Check { .. } => None,
    })
}

/// A soft or cautious --max-duration lets the run end on its own: past the deadline it still
/// ends with rclone's exit 10.
fn past_soft_deadline(code: u8, deadline: Option<tokio::time::Instant>) -> u8 {
    if deadline.is_some_and(|at| tokio::time::Instant::now() >= at)
        && matches!(code, exitcode::SUCCESS | exitcode::NO_FILES_TRANSFERRED)
    {
        tracing::error!("max transfer duration reached as set by --max-duration");
        return exitcode::DURATION_EXCEEDED;
    }
    code
}

/// Another run holds the lock: exit 0 at once, unless it has held it beyond `--lock-stale`
/// (then it looks stuck: exit 1 and alert).
async fn skipped(
    config: &Config,
    u: &Unattended,
    ctx: &RunContext,
    started: jiff::Timestamp,
    holder: lock::Holder,
) -> u8 {
    let held_for = holder
        .started
        .map(|t| started.duration_since(t))
        .and_then(|d| std::time::Duration::try_from(d).ok());
    let stale = held_for.is_some_and(|d| d > u.lock_stale);
    let path = u
        .lock_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if stale {
        let why = format!(
            "{path} has been held by {holder} for {} (over --lock-stale {}): the previous run looks stuck",
            ocisync_backend::Duration(held_for.unwrap_or_default()),
            ocisync_backend::Duration(u.lock_stale)
        );
        tracing::error!("skipping this run: {why}");
        let doc = RunDocument::not_run(
            ctx,
            RunResult::Failed,
            exitcode::UNCATEGORIZED,
            started,
            why,
        );
        ops::finish(&doc, u, config).await;
        return exitcode::UNCATEGORIZED;
    }
    let why = format!("another run holds {path} ({holder}); skipping this run");
    tracing::warn!("{why}");
    let doc = RunDocument::not_run(ctx, RunResult::Skipped, exitcode::SUCCESS, started, why);
    ops::finish(&doc, u, config).await;
    exitcode::SUCCESS
}

/// The run could not start (the lock file cannot be opened): a failure, reported.
async fn not_run(
    config: &Config,
    u: &Unattended,
    ctx: &RunContext,
    started: jiff::Timestamp,
    why: String,
) -> u8 {
    tracing::error!("{why}");
    let doc = RunDocument::not_run(
        ctx,
        RunResult::Failed,
        exitcode::UNCATEGORIZED,
        started,
        why,
    );
    ops::finish(&doc, u, config).await;
    exitcode::UNCATEGORIZED
}

/// Why a run was stopped before its end.
#[derive(Debug, Clone, Copy)]
enum Why {
    Signal(Signal),
    /// `--max-duration` (rclone's hard cutoff: transfers in flight are abandoned).
    Duration(std::time::Duration),
}

/// Which signal stopped the run.
#[derive(Debug, Clone, Copy)]
enum Signal {
    Term,
    Int,
}

/// How long a stopped run may take to abort its uploads in flight (a second signal cuts it
/// short); well inside systemd's default 90 s stop timeout.
const ABORT_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// Resolves on SIGTERM (systemd stopping the unit, a timeout) or SIGINT.
async fn stop_signal() -> Signal {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = terminated => Signal::Term,
        _ = tokio::signal::ctrl_c() => Signal::Int,
    }
}

/// The run was stopped by a signal or `--max-duration`: what it did so far is reported as a
/// failure, then the process exits with 128 + the signal's number, or 10.
async fn stopped(
    resolver: &Resolver,
    u: &Unattended,
    ctx: &RunContext,
    started: jiff::Timestamp,
    stats: &Stats,
    why: Why,
) -> u8 {
    let (name, code) = match why {
        Why::Signal(Signal::Term) => ("SIGTERM".to_string(), exitcode::KILLED_BY_SIGTERM),
        Why::Signal(Signal::Int) => ("SIGINT".to_string(), exitcode::KILLED_BY_SIGINT),
        // rclone's words for the same stop.
        Why::Duration(d) => (
            format!(
                "--max-duration {}: max transfer duration reached as set by --max-duration",
                ocisync_backend::Duration(d)
            ),
            exitcode::DURATION_EXCEEDED,
        ),
    };
    tracing::error!("stopped by {name}; uploads in flight were aborted");
    let command = match ctx.command.as_str() {
        "sync" => crate::engine::report::Command::Sync,
        "copy" => crate::engine::report::Command::Copy,
        "move" => crate::engine::report::Command::Move,
        _ => crate::engine::report::Command::Check,
    };
    let mut report = RunReport::new(command, started);
    report.record(stats);
    report.stop = Some(crate::engine::report::Stop::Fatal(format!(
        "stopped by {name}"
    )));
    let mut doc = RunDocument::from_report(&report, code, ctx, resolver.request_counts());
    let why = format!("stopped by {name}");
    if !doc.first_errors.iter().any(|e| e.contains(&why)) {
        doc.first_errors.insert(0, why);
        doc.first_errors
            .truncate(crate::engine::stats::FIRST_ERRORS);
    }
    ops::finish(&doc, u, resolver.config()).await;
    code
}
