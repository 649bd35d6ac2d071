//! The compatibility matrix (docs/rclone-compat.md) against the pinned rclone itself: every
//! flag `rclone help flags --group NAME` lists for the groups the matrix covers, and every
//! command `rclone help` lists, has a row — so upgrading rclone cannot bring a flag nobody
//! decided about — and every row names something rclone has. The generated document must be
//! what `ocisync compat --markdown` prints, and a flag ocisync ignores or refuses must behave so
//! in the binary.

use std::collections::BTreeSet;

use ocisync::cli::compat::{self, COMMANDS, FLAGS, GROUPS, Status};

use crate::support::rclone::rclone;
use crate::support::tree::{TempDir, config};
use crate::support::{assert_code, run, stderr, stdout};

/// `--name` (and `-x`) of each line of `rclone help flags --group NAME`.
fn rclone_flags(group: &str) -> BTreeSet<(String, Option<char>)> {
    let out = rclone(&["help", "flags", "--group", group]);
    assert_code(&out, 0);
    let text = stdout(&out);
    let mut flags = BTreeSet::new();
    for line in text.lines().map(str::trim_start) {
        let (short, rest) = match line.strip_prefix('-') {
            Some(r) if !r.starts_with('-') => {
                let c = r.chars().next();
                (c, r.split_once(", ").map(|(_, r)| r).unwrap_or(""))
            }
            _ => (None, line),
        };
        let Some(long) = rest.strip_prefix("--") else {
            continue;
        };
        let name = long.split_whitespace().next().unwrap_or_default();
        flags.insert((name.to_string(), short));
    }
    assert!(
        !flags.is_empty(),
        "rclone help flags --group {group} listed nothing:\n{text}"
    );
    flags
}

/// The commands of `rclone help`.
fn rclone_commands() -> BTreeSet<String> {
    let out = rclone(&["help"]);
    assert_code(&out, 0);
    let text = stdout(&out);
    let listed = text
        .split("Available commands:")
        .nth(1)
        .unwrap_or_else(|| panic!("no command list in rclone help:\n{text}"));
    listed
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_rclone_flag_and_command_has_a_status_and_every_row_is_rclones() {
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for group in GROUPS {
        let theirs = rclone_flags(group);
        for (name, short) in &theirs {
            match compat::find(name) {
                None => missing.push(format!("--{name} ({group})")),
                Some(f) => {
                    assert!(
                        f.groups.split(',').any(|g| g == *group),
                        "--{name}: rclone lists it in {group}, the matrix in {}",
                        f.groups
                    );
                    assert_eq!(f.short, *short, "--{name}: short flag");
                }
            }
        }
        for f in FLAGS
            .iter()
            .filter(|f| f.groups.split(',').any(|g| g == *group))
        {
            if !theirs.iter().any(|(n, _)| n == f.name) {
                stale.push(format!("--{} ({group})", f.name));
            }
        }
    }
    let commands = rclone_commands();
    for c in &commands {
        if !COMMANDS.iter().any(|row| row.name == c) {
            missing.push(format!("command {c}"));
        }
    }
    for row in COMMANDS {
        if !commands.contains(row.name) {
            stale.push(format!("command {}", row.name));
        }
    }
    assert!(
        missing.is_empty() && stale.is_empty(),
        "the pinned rclone has these without a status in src/cli/compat.rs: {missing:?}; \
         the matrix has rows rclone does not: {stale:?}"
    );
    // The counts the matrix's summary shows, measured from rclone's own output.
    let flags: BTreeSet<String> = GROUPS
        .iter()
        .flat_map(|g| rclone_flags(g))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(flags.len(), FLAGS.len());
    assert_eq!(commands.len(), COMMANDS.len());
}

#[test]
fn docs_rclone_compat_md_is_generated_from_the_table() {
    let dir = TempDir::new("compat-md");
    let cfg = config(&dir, "");
    let out = run(&cfg, &["compat", "--markdown"]);
    assert_code(&out, 0);
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/rclone-compat.md"
    ))
    .unwrap_or_default();
    assert!(
        stdout(&out) == doc,
        "docs/rclone-compat.md is stale: regenerate it with `ocisync compat --markdown > docs/rclone-compat.md`"
    );
    let (flags, commands) = compat::summary();
    assert!(
        doc.contains(&format!(
            "| flags | {} | {} | {} | {} | {} |",
            flags[0],
            flags[1],
            flags[2],
            flags[3],
            FLAGS.len()
        )),
        "{doc}"
    );
    assert!(commands.iter().sum::<usize>() == COMMANDS.len());
}

#[test]
fn ignored_flags_say_so_and_refused_ones_exit_2_with_their_reason() {
    let dir = TempDir::new("compat-flags");
    let cfg = config(&dir, "");
    let src = TempDir::new("compat-src");
    std::fs::write(src.join("a.csv"), b"a").unwrap();
    for f in FLAGS {
        let mut args = vec!["lsf".to_string(), src.str().to_string(), "-v".into()];
        args.push(format!("--{}", f.name));
        if f.takes_value {
            args.push("1".into());
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        match f.status {
            Status::Ignored(why) => {
                let out = run(&cfg, &a);
                assert_code(&out, 0);
                assert_eq!(stdout(&out), "a.csv\n", "--{}", f.name);
                assert!(
                    stderr(&out).contains(&format!("--{}: accepted and ignored: {why}", f.name)),
                    "--{}: {}",
                    f.name,
                    stderr(&out)
                );
            }
            Status::Refused(why) => {
                let out = run(&cfg, &a);
                assert_code(&out, 2);
                let err = stderr(&out);
                assert!(
                    err.contains(&format!("--{} is not supported by ocisync: {why}", f.name)),
                    "--{}: {err}",
                    f.name
                );
                assert!(!err.contains("unexpected argument"), "{err}");
            }
            Status::Supported(_) | Status::Different(_) => {}
        }
    }
    for c in COMMANDS {
        if let Status::Refused(why) = c.status {
            let out = run(&cfg, &[c.name]);
            assert_code(&out, 2);
            assert!(
                stderr(&out).contains(&format!("ocisync has no `{}` command: {why}", c.name)),
                "{}: {}",
                c.name,
                stderr(&out)
            );
        }
    }
}
