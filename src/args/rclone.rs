//! rclone's Copy, Sync, Filter, Logging and Networking flags ([`crate::cli::groups`]) turned
//! into options, with the mistakes clap cannot see reported as usage errors (exit 2): bad
//! values, and the combinations rclone refuses (`--no-check-dest` with sync...) — refused
//! here before anything runs rather than when the run starts.

use std::time::Duration;

use super::{UsageError, duration, size, usage};
use crate::cli::Flags;
use crate::engine::rules::{CopyOptions, Cutoff, OrderBy, Rules, UploadHeaders};
use crate::engine::sync::Mode;
use crate::filter::files::{Lines, read_lines};
use crate::filter::{Action, Filter};

/// Adds the Filter group's flags to the filter built from `--include`/`--exclude`/`--filter`
/// and the age and size limits, in rclone's order.
pub fn extend_filter(f: &Flags, filter: &mut Filter) -> Result<(), UsageError> {
    let g = &f.filters;
    for (flag, files, action) in [
        ("include-from", &g.include_from, Action::Include),
        ("exclude-from", &g.exclude_from, Action::Exclude),
        ("filter-from", &g.filter_from, Action::Filter),
    ] {
        for path in files {
            let lines = read_lines(flag, path, Lines::Cooked).map_err(usage)?;
            filter
                .add_from_file(action, lines)
                .map_err(|e| usage(format!("--{flag} {}: {e}", path.display())))?;
        }
    }
    if g.ignore_case {
        filter
            .set_ignore_case(true)
            .map_err(|e| usage(e.to_string()))?;
    }
    if let Some(spec) = &g.hash_filter {
        filter.set_hash_filter(spec).map_err(usage)?;
    }
    if !g.exclude_if_present.is_empty() {
        filter.set_exclude_if_present(g.exclude_if_present.clone());
    }
    if g.max_depth >= 0 {
        filter.max_depth = Some(g.max_depth as usize);
    }
    let mut lists = Vec::new();
    for (flag, files, how) in [
        ("files-from", &g.files_from, Lines::Cooked),
        ("files-from-raw", &g.files_from_raw, Lines::Raw),
        ("files-from0", &g.files_from0, Lines::Nul),
    ] {
        for path in files {
            lists.push(read_lines(flag, path, how).map_err(usage)?);
        }
    }
    if !lists.is_empty() {
        filter
            .set_files(lists.into_iter().flatten())
            .map_err(usage)?;
    }
    Ok(())
}

/// `--cutoff-mode`.
pub fn cutoff(f: &Flags) -> Result<Cutoff, UsageError> {
    match f.copy.cutoff_mode.to_ascii_uppercase().as_str() {
        "HARD" => Ok(Cutoff::Hard),
        "SOFT" => Ok(Cutoff::Soft),
        "CAUTIOUS" => Ok(Cutoff::Cautious),
        other => Err(usage(format!(
            "--cutoff-mode {other:?}: use HARD, SOFT or CAUTIOUS"
        ))),
    }
}

/// `--order-by size|name|modtime[,ascending|descending]`.
pub fn order_by(v: &str) -> Result<OrderBy, UsageError> {
    let bad = |why: &str| usage(format!("--order-by {v:?}: {why}"));
    let mut parts = v.split(',').map(str::trim);
    let key = parts.next().unwrap_or_default().to_ascii_lowercase();
    let descending = match parts.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("ascending") | Some("asc") => false,
        Some("descending") | Some("desc") => true,
        Some("mixed") => {
            return Err(bad(
                "mixed ordering is not supported; order by one key, ascending or descending",
            ));
        }
        Some(other) => return Err(bad(&format!("unknown direction {other:?}"))),
    };
    if parts.next().is_some() {
        return Err(bad("expected KEY[,ascending|descending]"));
    }
    let by = match key.as_str() {
        "size" => OrderBy::Size,
        "name" => OrderBy::Name,
        "modtime" => OrderBy::Modtime,
        _ => return Err(bad("order by size, name or modtime")),
    };
    Ok(if descending { by.descending() } else { by })
}

/// The Copy and Sync groups' rules for a sync, copy or move. Remotes named by flags
/// (`--backup-dir`, `--compare-dest`, `--copy-dest`) are opened by the caller.
pub fn rules(f: &Flags, mode: Mode) -> Result<Rules, UsageError> {
    let c = &f.copy;
    if c.no_check_dest {
        if mode == Mode::Sync {
            return Err(usage(
                "can't use --no-check-dest with sync: use copy instead",
            ));
        }
        if c.immutable {
            return Err(usage("can't use --no-check-dest with --immutable"));
        }
        if c.backup_dir.is_some() {
            return Err(usage("can't use --no-check-dest with --backup-dir"));
        }
    }
    let deletes = [c.delete_before, c.delete_during, c.delete_after]
        .iter()
        .filter(|b| **b)
        .count();
    if deletes > 1 {
        return Err(usage(
            "only one of --delete-before, --delete-during and --delete-after may be given",
        ));
    }
    if !c.compare_dest.is_empty() && !c.copy_dest.is_empty() {
        return Err(usage("can't use --compare-dest with --copy-dest"));
    }
    if c.delete_during {
        tracing::info!(
            "--delete-during: deletions run after the transfers, as with --delete-after \
             (docs/rclone-compat.md)"
        );
    }
    Ok(Rules {
        ignore_existing: c.ignore_existing,
        ignore_times: c.ignore_times,
        ignore_size: c.ignore_size,
        immutable: c.immutable,
        check_first: c.check_first || c.delete_before,
        order_by: c.order_by.as_deref().map(order_by).transpose()?,
        delete_before: c.delete_before && mode == Mode::Sync,
        delete_excluded: f.filters.delete_excluded,
        max_delete_size: c
            .max_delete_size
            .as_deref()
            .map(|v| size("max-delete-size", v))
            .transpose()?,
        cutoff: cutoff(f)?,
        no_check_dest: c.no_check_dest,
        suffix: c.suffix.clone().filter(|s| !s.is_empty()),
        suffix_keep_extension: c.suffix_keep_extension,
        copy: CopyOptions {
            metadata: c.metadata,
            ignore_checksum: c.ignore_checksum,
            headers: UploadHeaders::parse(&f.io.header_upload).map_err(usage)?,
        },
        ..Rules::default()
    })
}

/// `--max-duration`, if given.
pub fn max_duration(f: &Flags) -> Result<Option<Duration>, UsageError> {
    f.max_duration
        .as_deref()
        .map(|v| duration("max-duration", v))
        .transpose()
}

/// `delete` and `purge` options.
pub fn deletes(f: &Flags) -> crate::commands::delete::DeleteOptions {
    crate::commands::delete::DeleteOptions {
        dry_run: f.dry_run,
        max_delete: u64::try_from(f.max_delete).ok(),
        checkers: f.checkers.max(1),
    }
}

/// `--log-format`: sets the text lines' prefix; returns whether the log is JSON (`json`, or
/// `--use-json-log`). Called before logging starts.
pub fn log_format(f: &Flags) -> Result<bool, UsageError> {
    let mut fmt = crate::log::Format {
        date: false,
        time: false,
        ..crate::log::Format::default()
    };
    let mut json = f.use_json_log;
    for bit in
        f.io.log_format
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
    {
        match bit.to_ascii_lowercase().as_str() {
            "date" => fmt.date = true,
            "time" => fmt.time = true,
            "microseconds" => fmt.microseconds = true,
            "utc" => fmt.utc = true,
            "pid" => fmt.pid = true,
            "nolevel" => fmt.nolevel = true,
            "json" => json = true,
            "longfile" | "shortfile" => {
                return Err(usage(format!(
                    "--log-format {bit}: there is no Go source file to name (ocisync is not \
                     rclone); use date, time, microseconds, UTC, pid, nolevel or json"
                )));
            }
            _ => {
                return Err(usage(format!(
                    "--log-format {bit:?}: use date, time, microseconds, UTC, pid, nolevel or json"
                )));
            }
        }
    }
    crate::log::set_format(fmt);
    Ok(json)
}

/// The Logging and Networking flags that set process-wide state: the bandwidth and request
/// limits, the TLS roots and user agent, the statistics' style, the listings' default time.
/// Called once, after logging starts.
pub fn configure_io(f: &Flags) -> Result<(), UsageError> {
    let io = &f.io;
    let level = crate::log::LogLevel::parse(&io.stats_log_level).ok_or_else(|| {
        usage(format!(
            "--stats-log-level {:?}: use DEBUG, INFO, NOTICE or ERROR",
            io.stats_log_level
        ))
    })?;
    let bits = match io.stats_unit.to_ascii_lowercase().as_str() {
        "bits" => true,
        "bytes" => false,
        other => {
            return Err(usage(format!("--stats-unit {other:?}: use bits or bytes")));
        }
    };
    let date_format = match (&io.stats_one_line_date_format, io.stats_one_line_date) {
        (Some(layout), _) => Some(crate::engine::stats_style::go_layout(layout)),
        (None, true) => Some(crate::engine::stats_style::go_layout(
            "2006/01/02 15:04:05 - ",
        )),
        (None, false) => None,
    };
    crate::engine::stats_style::configure(crate::engine::stats_style::StatsStyle {
        one_line: io.stats_one_line || date_format.is_some(),
        date_format,
        bits,
        level,
    });
    let default_time = f
        .filters
        .default_time
        .parse::<jiff::Timestamp>()
        .or_else(|_| {
            f.filters
                .default_time
                .parse::<jiff::civil::DateTime>()
                .map_err(|e| e.to_string())
                .and_then(|d| {
                    d.to_zoned(jiff::tz::TimeZone::system())
                        .map(|z| z.timestamp())
                        .map_err(|e| e.to_string())
                })
        })
        .map_err(|e| usage(format!("--default-time {:?}: {e}", f.filters.default_time)))?;
    crate::commands::list::set_default_time(default_time);
    crate::engine::listing::set_concurrency(f.list_concurrency.map(usize::from));
    let table = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|v| {
                crate::throttle::Timetable::parse(v)
                    .map_err(|e| usage(format!("--{flag} {v:?}: {e}")))
            })
            .transpose()
    };
    let bw = table("bwlimit", &io.bwlimit)?;
    let per_file = table("bwlimit-file", &io.bwlimit_file)?;
    if io.tpslimit < 0.0 || !io.tpslimit.is_finite() {
        return Err(usage(format!(
            "--tpslimit {}: expected a rate >= 0",
            io.tpslimit
        )));
    }
    let tps = (io.tpslimit > 0.0).then_some((io.tpslimit, io.tpslimit_burst));
    crate::throttle::configure(bw, per_file, tps);
    let mut ca_certs = Vec::new();
    for path in &io.ca_cert {
        let pem =
            std::fs::read(path).map_err(|e| usage(format!("--ca-cert {}: {e}", path.display())))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            usage(format!(
                "--ca-cert {}: not a PEM certificate bundle ({e})",
                path.display()
            ))
        })?;
        if certs.is_empty() {
            return Err(usage(format!(
                "--ca-cert {}: no certificate in the file",
                path.display()
            )));
        }
        ca_certs.extend(certs);
    }
    ocisync_backend::transport::configure(ocisync_backend::transport::Settings {
        ca_certs,
        user_agent: io.user_agent.clone(),
    });
    Ok(())
}

/// `move`: a copy whose source objects go once their copies are proven.
pub fn for_move(mut o: crate::engine::sync::RunOptions) -> crate::engine::sync::RunOptions {
    o.rules.move_source = true;
    o
}
