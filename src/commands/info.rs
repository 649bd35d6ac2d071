//! Commands that describe rather than move: `config show|validate`, `listremotes`, `backends`,
//! `version`, `completion`, `man`.

/// `println!` that ignores a closed stdout (`ocisync ... | head`) instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!` counterpart of [`outln!`].
#[allow(unused_macros)]
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

use std::fmt::Write;

use ocisync_backend::OptionSpec;

use crate::config::{self, Config};
use crate::exitcode;
use crate::registry;

pub fn config_show(config: &Config) -> u8 {
    out!("{}", config::render(config));
    exitcode::SUCCESS
}

pub fn config_validate(config: &Config) -> u8 {
    let empty =
        config.remotes.is_empty() && config.credentials.is_empty() && config.alerts.is_empty();
    if config.path.is_none() && empty {
        // Nothing to validate is not "valid": the run would find no remote either.
        eprintln!(
            "no config file found (looked for --config, $OCISYNC_CONFIG, $RCLONE_CONFIG, {}) and no remote defined in the environment",
            config::candidates()
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return exitcode::UNCATEGORIZED;
    }
    let problems = config::check(config);
    let file = config
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(no config file: environment variables only)".into());
    for n in config::check::notes(config) {
        outln!("{n}");
    }
    if problems.is_empty() {
        outln!(
            "{file}: OK ({} remotes, {} credentials providers, {} alert sinks)",
            config.remotes.len(),
            config.credentials.len(),
            config.alerts.len()
        );
        exitcode::SUCCESS
    } else {
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!("{file}: {} problem(s)", problems.len());
        exitcode::UNCATEGORIZED
    }
}

pub fn listremotes(config: &Config, long: bool) -> u8 {
    let width = config
        .remotes
        .keys()
        .map(|k| k.len() + 1)
        .max()
        .unwrap_or(0);
    for (name, s) in &config.remotes {
        if long {
            outln!("{:<width$} {}", format!("{name}:"), s.type_name);
        } else {
            outln!("{name}:");
        }
    }
    exitcode::SUCCESS
}

pub fn version() -> u8 {
    outln!("ocisync v{}", env!("CARGO_PKG_VERSION"));
    outln!("- opendal 0.59");
    outln!("- backends: {}", registry::backend_names().join(", "));
    exitcode::SUCCESS
}

pub fn backends(name: Option<&str>, markdown: bool) -> u8 {
    if markdown {
        out!("{}", markdown_reference());
        return exitcode::SUCCESS;
    }
    match name {
        None => {
            outln!("Backends (type = \"...\"):");
            for b in registry::backends() {
                outln!("  {:<22} {}", b.spec().name, b.spec().description);
            }
            outln!("\nCredentials providers ([credentials.NAME] type = \"...\"):");
            for t in registry::credential_types() {
                outln!("  {:<22} {}", t.spec().name, t.spec().description);
            }
            outln!("\nAlert sinks ([alerts.NAME] type = \"...\"):");
            for t in registry::alert_types() {
                outln!("  {:<22} {}", t.spec().name, t.spec().description);
            }
            outln!("\nRun `ocisync backends NAME` for a backend's options.");
            exitcode::SUCCESS
        }
        Some(n) => {
            if let Some(b) = registry::backend(n) {
                let s = b.spec();
                outln!("{} — {}\n", s.name, s.description);
                print_options(s.options, Some(s.prefix));
                if s.open_options {
                    outln!("\nOther keys are passed to the OpenDAL service unchanged.");
                }
                exitcode::SUCCESS
            } else if let Some(t) = registry::credential_type(n) {
                let s = t.spec();
                outln!("credentials type {} — {}\n", s.name, s.description);
                print_options(s.options, None);
                exitcode::SUCCESS
            } else if let Some(t) = registry::alert_type(n) {
                let s = t.spec();
                outln!("alert sink type {} — {}\n", s.name, s.description);
                print_options(s.options, None);
                outln!(
                    "  on (list of strings) default [\"failure\"]\n      Outcomes to alert on: failure, success, change (a success that copied or deleted)."
                );
                exitcode::SUCCESS
            } else {
                eprintln!(
                    "unknown backend, credentials type or alert sink type {n:?}; run `ocisync backends`"
                );
                exitcode::USAGE
            }
        }
    }
}

fn print_options(options: &[OptionSpec], prefix: Option<&str>) {
    for o in options {
        let mut head = format!("  {} ({})", o.name, o.kind);
        if let Some(d) = o.default {
            let _ = write!(head, " default {d}");
        }
        if o.required && o.default.is_none() {
            head.push_str(" required");
        }
        if o.sensitive {
            head.push_str(" secret");
        }
        if o.advanced {
            head.push_str(" advanced");
        }
        outln!("{head}");
        outln!("      {}", o.help_text());
        match (prefix, o.sensitive) {
            (Some(p), false) => outln!("      flag: --{p}-{}", o.name.replace('_', "-")),
            // Command lines are readable by every user of the machine (/proc, ps).
            (Some(p), true) => outln!(
                "      no flag (a secret): set it in the config file, a [credentials] provider or RCLONE_{}_{}",
                p.to_ascii_uppercase(),
                o.name.to_ascii_uppercase()
            ),
            _ => {}
        }
    }
}

/// docs/backends.md: generated from the option declarations (a test keeps the file current).
pub fn markdown_reference() -> String {
    let mut out = String::from(
        "# Backend and credentials reference\n\n\
         Generated by `ocisync backends --markdown` from the option declarations in `backends/`; \
         do not edit by hand.\n\n\
         Every non-secret option of a backend can also be given on the command line as \
         `--<prefix>-<key>` (underscores become dashes); it then overrides the config file for \
         every remote of that backend, as in rclone. Secret options (type `string (secret)`) have \
         no flag — a command line can be read by every user of the machine — and are set in the \
         config file, through a credentials provider, or as `RCLONE_<PREFIX>_<KEY>` / \
         `RCLONE_CONFIG_<REMOTE>_<KEY>` environment variables. Options of type `OCID` take an \
         Oracle Cloud identifier; any other value is refused without being shown.\n",
    );
    for b in registry::backends() {
        let s = b.spec();
        let _ = write!(
            out,
            "\n## `{}`\n\n{}\n\nFlag prefix: `--{}-`\n\n",
            s.name, s.description, s.prefix
        );
        table(&mut out, s.options);
        if s.open_options {
            out.push_str("\nOther keys are passed to the OpenDAL service unchanged.\n");
        }
        if !s.credential_keys.is_empty() {
            let _ = writeln!(
                out,
                "\nTakes `credentials = \"NAME\"`: the provider supplies {}.",
                s.credential_keys
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    for t in registry::credential_types() {
        let s = t.spec();
        let _ = write!(
            out,
            "\n## credentials `{}`\n\n{}\n\n",
            s.name, s.description
        );
        table(&mut out, s.options);
    }
    for t in registry::alert_types() {
        let s = t.spec();
        let _ = write!(out, "\n## alert sink `{}`\n\n{}\n\n", s.name, s.description);
        table(&mut out, s.options);
        out.push_str(
            "| `on` | list of strings | `[\"failure\"]` | Outcomes to alert on: failure, success, change (a success that copied or deleted). Common to every sink type. |\n",
        );
    }
    out
}

/// `ocisync completion SHELL`: the completion script, generated from the command definitions.
pub fn completion(shell: clap_complete::Shell) -> u8 {
    let mut command = crate::cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut command, "ocisync", &mut buf);
    out!("{}", String::from_utf8_lossy(&buf));
    exitcode::SUCCESS
}

/// `ocisync man`: the manual page (roff), generated from the command definitions.
pub fn man() -> u8 {
    let mut buf = Vec::new();
    match clap_mangen::Man::new(crate::cli::command()).render(&mut buf) {
        Ok(()) => {
            out!("{}", String::from_utf8_lossy(&buf));
            exitcode::SUCCESS
        }
        Err(e) => {
            eprintln!("ocisync man: {e}");
            exitcode::UNCATEGORIZED
        }
    }
}

fn table(out: &mut String, options: &[OptionSpec]) {
    out.push_str("| key | type | default | description |\n|---|---|---|---|\n");
    for o in options {
        let default = match (o.default, o.required) {
            (Some(d), _) => format!("`{d}`"),
            (None, true) => "required".into(),
            (None, false) => String::new(),
        };
        let mut kind = o.kind.to_string();
        if o.advanced {
            kind.push_str(", advanced");
        }
        let _ = writeln!(
            out,
            "| `{}` | {kind} | {default} | {} |",
            o.name,
            o.help_text().replace('|', "\\|")
        );
    }
}
