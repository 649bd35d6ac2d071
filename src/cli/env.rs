//! rclone's environment form of flags, and ocisync's own: `RCLONE_<FLAG>` / `OCISYNC_<FLAG>`
//! (`RCLONE_DRY_RUN=true` is `--dry-run`, `RCLONE_TRANSFERS=8` is `--transfers 8`,
//! `RCLONE_CONFIG=path` is `--config path`, `RCLONE_VERBOSE=2` is `-vv`), as rclone documents
//! them (docs.md, "Environment variables"): the command line wins over the environment, the
//! `OCISYNC_` spelling over the `RCLONE_` one, and repeatable flags (`--include`) take a
//! comma-separated list and add to the command line's values.
//!
//! Backend options (`RCLONE_S3_CHUNK_SIZE`) and `RCLONE_CONFIG_<REMOTE>_<KEY>` are the
//! configuration's business ([`crate::config`]). An `RCLONE_` variable that is neither is
//! refused (exit 2): a silently ignored `RCLONE_DRY_RUN` is a dry run that copies for real.
//! Other `OCISYNC_` variables are ocisync's own settings (`OCISYNC_IDENTITY_ENDPOINT`) and left
//! alone.

use std::ffi::OsString;

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command};

/// One flag set from the environment.
struct FromEnv {
    var: String,
    id: String,
    long: String,
    action: ArgAction,
    value: String,
    global: bool,
}

/// `argv` with the flags the environment sets added (globals before the subcommand, the
/// subcommand's own at the end), or a usage error naming the variable.
pub(super) fn with_env_flags(
    argv: Vec<OsString>,
    vars: &[(String, String)],
) -> Result<Vec<OsString>, clap::Error> {
    let ours: Vec<&(String, String)> = vars
        .iter()
        .filter(|(k, _)| k.starts_with("RCLONE_") || k.starts_with("OCISYNC_"))
        // An empty variable is an unset one (a blank line in an environment file).
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if ours.is_empty() {
        return Ok(argv);
    }
    let root = super::command();
    // Help, --version and usage errors are the normal parse's to report.
    let Ok(matches) = root.clone().try_get_matches_from(argv.clone()) else {
        return Ok(argv);
    };
    let (leaf, chain) = deepest(&root, &matches);
    let mut found: Vec<FromEnv> = Vec::new();
    // RCLONE_ first: a later OCISYNC_ spelling of the same flag replaces it.
    for prefix in ["RCLONE_", "OCISYNC_"] {
        for (var, value) in ours.iter().filter(|(k, _)| k.starts_with(prefix)) {
            let name = &var[prefix.len()..];
            if crate::config::is_config_variable(name) {
                continue;
            }
            let arg = root
                .get_arguments()
                .map(|a| (a, true))
                .chain(
                    chain
                        .iter()
                        .flat_map(|c| c.get_arguments())
                        .map(|a| (a, false)),
                )
                .find(|(a, _)| {
                    !a.get_id().as_str().starts_with("backend:")
                        && a.get_long()
                            .is_some_and(|l| l.replace('-', "_").to_ascii_uppercase() == name)
                });
            let Some((arg, global)) = arg else {
                if prefix == "RCLONE_" {
                    return Err(unknown(var, name));
                }
                continue;
            };
            let long = arg.get_long().unwrap_or_default().to_string();
            if matches!(long.as_str(), "help" | "version") {
                continue;
            }
            found.retain(|f| f.long != long);
            found.push(FromEnv {
                var: var.clone(),
                id: arg.get_id().as_str().to_string(),
                long,
                action: arg.get_action().clone(),
                value: value.clone(),
                global: global || arg.is_global_set(),
            });
        }
    }
    let mut front: Vec<OsString> = Vec::new();
    let mut back: Vec<OsString> = Vec::new();
    for f in found {
        // try_get_raw first: value_source panics (debug builds) on an id the leaf lacks.
        let on_command_line = leaf.try_get_raw(&f.id).is_ok()
            && leaf.value_source(&f.id) == Some(ValueSource::CommandLine);
        let args = flag_args(&f)?;
        let repeatable = matches!(f.action, ArgAction::Append);
        if on_command_line && !repeatable {
            continue;
        }
        if f.global { &mut front } else { &mut back }.extend(args);
    }
    let mut out: Vec<OsString> = Vec::with_capacity(argv.len() + front.len() + back.len());
    let mut rest = argv.into_iter();
    out.extend(rest.next());
    out.extend(front);
    let rest: Vec<OsString> = rest.collect();
    match rest.iter().position(|a| a == "--") {
        Some(i) => {
            out.extend(rest[..i].iter().cloned());
            out.extend(back);
            out.extend(rest[i..].iter().cloned());
        }
        None => {
            out.extend(rest);
            out.extend(back);
        }
    }
    Ok(out)
}

/// The innermost matches and the chain of subcommands that led there.
fn deepest<'a>(root: &'a Command, m: &'a ArgMatches) -> (&'a ArgMatches, Vec<&'a Command>) {
    let mut chain = Vec::new();
    let (mut cmd, mut m) = (root, m);
    while let Some((name, sub)) = m.subcommand() {
        match cmd.find_subcommand(name) {
            Some(c) => {
                chain.push(c);
                cmd = c;
                m = sub;
            }
            None => break,
        }
    }
    (m, chain)
}

/// The command-line words for one flag's environment value.
fn flag_args(f: &FromEnv) -> Result<Vec<OsString>, clap::Error> {
    let bad = |what: &str| {
        clap::Error::raw(
            clap::error::ErrorKind::InvalidValue,
            format!(
                "environment variable {}={:?}: {what} for --{}\n",
                f.var, f.value, f.long
            ),
        )
    };
    let flag = || OsString::from(format!("--{}", f.long));
    Ok(match f.action {
        ArgAction::SetTrue => match parse_bool(&f.value) {
            Some(true) => vec![flag()],
            Some(false) => Vec::new(),
            None => return Err(bad("expected true or false")),
        },
        ArgAction::Count => {
            let n: u8 = f
                .value
                .trim()
                .parse()
                .map_err(|_| bad("expected a count (1 for -v, 2 for -vv)"))?;
            (0..n).map(|_| flag()).collect()
        }
        ArgAction::Append => f
            .value
            .split(',')
            .map(|v| v.trim().trim_matches('"'))
            .filter(|v| !v.is_empty())
            .map(|v| OsString::from(format!("--{}={v}", f.long)))
            .collect(),
        _ => vec![OsString::from(format!("--{}={}", f.long, f.value))],
    })
}

/// Go's `strconv.ParseBool`, which rclone uses for boolean variables.
fn parse_bool(v: &str) -> Option<bool> {
    match v.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn unknown(var: &str, name: &str) -> clap::Error {
    let flag = name.to_ascii_lowercase().replace('_', "-");
    clap::Error::raw(
        clap::error::ErrorKind::UnknownArgument,
        format!(
            "environment variable {var}: ocisync has no --{flag} flag, so it would be ignored; \
             unset it. (ocisync reads RCLONE_<FLAG> for its own flags, RCLONE_<BACKEND>_<KEY> \
             such as RCLONE_S3_CHUNK_SIZE, and RCLONE_CONFIG_<REMOTE>_<KEY>.)\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn argv(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    fn parsed(words: &[&str], env: &[(&str, &str)]) -> super::super::Parsed {
        let args = with_env_flags(argv(words), &vars(env)).unwrap();
        super::super::parse_args(args).unwrap()
    }

    #[test]
    fn flags_come_from_the_environment_unless_given() {
        let p = parsed(
            &["ocisync", "sync", "a:", "b:"],
            &[
                ("RCLONE_DRY_RUN", "true"),
                ("RCLONE_TRANSFERS", "8"),
                ("OCISYNC_TRANSFERS", "16"),
                ("RCLONE_VERBOSE", "2"),
                ("RCLONE_EXCLUDE", "*.tmp,*.bak"),
                ("RCLONE_CONFIG", "/etc/rclone.conf"),
                ("OCISYNC_IDENTITY_ENDPOINT", "http://127.0.0.1:1"),
            ],
        );
        let f = &p.cli.flags;
        assert!(f.dry_run);
        assert_eq!(f.transfers, Some(16), "OCISYNC_ over RCLONE_");
        assert_eq!(f.verbose, 2);
        assert_eq!(f.exclude, ["*.tmp", "*.bak"]);
        assert_eq!(
            f.config.as_deref(),
            Some(std::path::Path::new("/etc/rclone.conf"))
        );
        // The command line wins; a false boolean sets nothing.
        let p = parsed(
            &["ocisync", "sync", "a:", "b:", "--transfers", "2"],
            &[("RCLONE_TRANSFERS", "8"), ("RCLONE_DRY_RUN", "false")],
        );
        assert_eq!(p.cli.flags.transfers, Some(2));
        assert!(!p.cli.flags.dry_run);
        // A subcommand's own flag.
        let p = parsed(&["ocisync", "lsf", "x"], &[("RCLONE_FORMAT", "ps")]);
        assert!(
            matches!(p.cli.command, super::super::Cmd::Lsf { ref format, .. } if format == "ps")
        );
    }

    #[test]
    fn unknown_rclone_variables_are_refused() {
        let e = with_env_flags(
            argv(&["ocisync", "ls", "x"]),
            &vars(&[("RCLONE_DRYRUN", "true")]),
        )
        .err()
        .unwrap();
        assert!(
            e.to_string()
                .contains("RCLONE_DRYRUN: ocisync has no --dryrun flag"),
            "{e}"
        );
        assert_eq!(e.exit_code(), 2);
        let e = with_env_flags(
            argv(&["ocisync", "ls", "x"]),
            &vars(&[("RCLONE_DRY_RUN", "maybe")]),
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("expected true or false"), "{e}");
        // Configuration variables are not flags, and other OCISYNC_ variables are ours.
        assert!(
            with_env_flags(
                argv(&["ocisync", "ls", "x"]),
                &vars(&[
                    ("RCLONE_CONFIG_AWS_REGION", "x"),
                    ("RCLONE_S3_CHUNK_SIZE", "16Mi"),
                    ("RCLONE_CONFIG_PASS", "p"),
                    ("OCISYNC_TEST_WHATEVER", "1"),
                ])
            )
            .is_ok()
        );
    }
}
