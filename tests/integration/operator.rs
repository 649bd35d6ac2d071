//! Operator experience (issue 16) and log/terminal hygiene (issue 18, items 8-9): the mistakes
//! operators make caught before the run, rclone habits giving rclone's results, and outputs
//! compared with the real rclone 1.75 byte for byte where rclone's output is deterministic.

use std::path::Path;
use std::process::Output;

use crate::support::rclone::{rclone, s3_remote};
use crate::support::s3::S3;
use crate::support::tree::{TempDir, bytes, config, write_files};
use crate::support::{assert_code, code, run, runtime, stderr, stdout};

/// Log lines without their `2026/11/30 14:01:53 ` date prefix.
fn undated(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let b = l.as_bytes();
            let dated = b.len() > 20 && b[4] == b'/' && b[7] == b'/' && b[13] == b':';
            if dated {
                l[20..].to_string()
            } else {
                l.to_string()
            }
        })
        .collect()
}

/// ocisync with no config file and `args`.
fn bare(args: &[&str]) -> Output {
    let cfg = TempDir::new("bare");
    let path = config(&cfg, "");
    run(&path, args)
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_string).collect();
    v.sort();
    v
}

mod filters {
    use super::*;

    /// 160 usage reports under reports/, 40 FOCUS reports, a few others.
    fn tree(root: &Path) {
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for i in 0..160 {
            files.push((format!("reports/usage-csv/{i:04}.csv"), vec![b'u']));
        }
        for i in 0..40 {
            files.push((format!("FOCUS Reports/2026/{i:04}.csv"), vec![b'f']));
        }
        for name in [
            "reports/usage-csv/notes.txt",
            "readme.txt",
            "tmp/x.csv",
            "a1",
            "!x",
        ] {
            files.push((name.to_string(), vec![b'x']));
        }
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect();
        write_files(root, &refs);
    }

    #[test]
    fn include_and_exclude_select_what_rclone_selects() {
        let src = TempDir::new("filters");
        tree(src.path());
        let cases: &[&[&str]] = &[
            // The finding: exclude written first, include second (rclone: includes first).
            &["--exclude", "reports/**", "--include", "*.csv"],
            &["--include", "*.csv", "--exclude", "reports/**"],
            &["--exclude", "*.txt", "--include", "reports/**"],
            &["--include", "/reports/**"],
            &["--exclude", "tmp/"],
            &["--include", "reports/"],
            &["--include", "[!a]*"],
            &["--include", "[^a]*"],
            &["--include", "{a,{!,z}}*"],
            &[
                "--filter",
                "- reports/**",
                "--filter",
                "+ *.csv",
                "--filter",
                "- **",
            ],
            &[
                "--filter", "+ *.txt", "--filter", "!", "--filter", "+ a1", "--filter", "- **",
            ],
        ];
        for flags in cases {
            let mut args = vec!["lsf", "-R", "--files-only", src.str()];
            args.extend_from_slice(flags);
            let theirs = rclone(&args);
            let ours = bare(&args);
            assert_code(&ours, 0);
            assert_eq!(
                sorted_lines(&stdout(&ours)),
                sorted_lines(&stdout(&theirs)),
                "{flags:?}: ocisync and rclone select different objects"
            );
            let mixed = flags.contains(&"--include") && flags.contains(&"--exclude");
            for (who, out) in [("rclone", &theirs), ("ocisync", &ours)] {
                assert_eq!(
                    stderr(out).contains(
                        "ERROR : Using --filter is recommended instead of both --include and --exclude as the order they are parsed in is indeterminate"
                    ),
                    mixed,
                    "{who} {flags:?}: {}",
                    stderr(out)
                );
            }
        }
        // The finding's numbers: 200 CSV files selected, not the 40 outside reports/.
        let out = bare(&[
            "lsf",
            "-R",
            "--files-only",
            src.str(),
            "--exclude",
            "reports/**",
            "--include",
            "*.csv",
        ]);
        assert_eq!(stdout(&out).lines().count(), 201, "{}", stdout(&out));
    }

    #[test]
    fn a_sync_copies_what_rclone_would() {
        let rt = runtime();
        let s3 = rt.block_on(S3::start("opfilter"));
        let dir = TempDir::new("opfilter");
        let cfg = config(&dir, &s3.remote_toml("s3"));
        let src = TempDir::new("src");
        tree(src.path());
        let flags = ["--exclude", "reports/**", "--include", "*.csv"];
        let mut ours = vec!["copy", src.str()];
        let target = format!("s3:{}/ours", s3.bucket);
        ours.push(&target);
        ours.extend_from_slice(&flags);
        assert_code(&run(&cfg, &ours), 0);
        let remote = s3_remote(&s3, "theirs");
        let mut theirs = vec!["copy", src.str(), remote.as_str()];
        theirs.extend_from_slice(&flags);
        assert_code(&rclone(&theirs), 0);
        let listed = |p: &str| {
            let out = run(
                &cfg,
                &[
                    "lsf",
                    "-R",
                    "--files-only",
                    &format!("s3:{}/{p}", s3.bucket),
                ],
            );
            sorted_lines(&stdout(&out))
        };
        let copied = listed("ours");
        assert_eq!(copied.len(), 201);
        assert_eq!(copied, listed("theirs"));
    }
}

mod listings {
    use super::*;

    fn s3_tree(rt: &tokio::runtime::Runtime, label: &str) -> (S3, TempDir, std::path::PathBuf) {
        let s3 = rt.block_on(S3::start(label));
        let dir = TempDir::new(label);
        let cfg = config(&dir, &s3.remote_toml("s3"));
        let src = TempDir::new("src");
        write_files(
            src.path(),
            &[
                ("a/f1.txt", b"hello1\n"),
                ("a/f2.txt", b"hello2\n"),
                ("a/b/g.csv", b"x\n"),
                ("c/h.gz", b"yy\n"),
                ("top.txt", b"top\n"),
                ("z/big.bin", &bytes(3, 1536)),
            ],
        );
        let remote = s3_remote(&s3, "p");
        assert_code(&rclone(&["copy", src.str(), remote.as_str()]), 0);
        (s3, dir, cfg)
    }

    /// Directories made up by a recursive listing carry the time of the listing (`"ModTime":"…"`
    /// in lsjson, `YYYY-MM-DD HH:MM:SS` wherever `t` sits in an lsf line): not comparable
    /// between two runs, so masked. The default time of listed directories (2000-01-01) is kept.
    fn mask_listing_time(text: &str) -> String {
        fn is_time(b: &[u8]) -> bool {
            b.len() == 19
                && b.iter().enumerate().all(|(i, c)| match i {
                    4 | 7 => *c == b'-',
                    10 => *c == b' ',
                    13 | 16 => *c == b':',
                    _ => c.is_ascii_digit(),
                })
        }
        text.lines()
            .map(|l| {
                if l.contains("\"IsDir\":true") && l.contains("\"Size\":-1") {
                    let start = l.find("\"ModTime\":\"").unwrap() + 11;
                    let end = start + l[start..].find('"').unwrap();
                    format!("{}<now>{}", &l[..start], &l[end..])
                } else if l.contains(";-1;") {
                    let b = l.as_bytes();
                    match (0..b.len().saturating_sub(18))
                        .find(|&i| is_time(&b[i..i + 19]) && &l[i..i + 19] != "2000-01-01 00:00:00")
                    {
                        Some(i) => format!("{}<now>{}", &l[..i], &l[i + 19..]),
                        None => l.to_string(),
                    }
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn listing_outputs_are_rclones_byte_for_byte() {
        let rt = runtime();
        let (s3, _dir, cfg) = s3_tree(&rt, "oplist");
        let ours_target = format!("s3:{}/p", s3.bucket);
        let theirs_target = s3_remote(&s3, "p");
        // rclone reads `mtime` metadata with a HEAD per object; ocisync shows the listing's
        // time (docs/sync.md): --use-server-modtime makes rclone show the same.
        for args in [
            &["size"][..],
            &["size", "--json"],
            &["lsjson"],
            &["lsjson", "-R"],
            &["lsjson", "-R", "--hash", "--no-mimetype"],
            &["lsjson", "--dirs-only"],
            &["lsf", "--format", "tsp"],
            &["lsf", "-R", "--format", "tsp"],
            &["lsf", "-R", "--format", "pst", "--include", "*.csv"],
            &["lsf", "-R", "--dirs-only"],
            &["ls"],
        ] {
            let mut theirs = args.to_vec();
            theirs.extend_from_slice(&[theirs_target.as_str(), "--use-server-modtime"]);
            let theirs = rclone(&theirs);
            assert_code(&theirs, 0);
            let mut ours = args.to_vec();
            ours.push(&ours_target);
            let ours = run(&cfg, &ours);
            assert_code(&ours, 0);
            assert_eq!(
                mask_listing_time(&stdout(&ours)),
                mask_listing_time(&stdout(&theirs)),
                "{args:?}"
            );
        }
        // The findings themselves, spelled out.
        let size = stdout(&run(&cfg, &["size", &ours_target]));
        assert_eq!(
            size,
            "Total objects: 6\nTotal size: 1.522 KiB (1559 Byte)\n"
        );
        let dirs = stdout(&run(&cfg, &["lsjson", "--dirs-only", &ours_target]));
        assert!(
            dirs.contains("\"Path\":\"a\",\"Name\":\"a\",\"Size\":0,"),
            "{dirs}"
        );
        let lsf = stdout(&run(&cfg, &["lsf", "--format", "tsp", &ours_target]));
        assert!(lsf.starts_with("2000-01-01 00:00:00;-1;a/\n"), "{lsf}");
    }

    #[test]
    fn check_summary_is_in_rclones_order() {
        let src = TempDir::new("chk-src");
        let dst = TempDir::new("chk-dst");
        write_files(
            src.path(),
            &[
                ("same.csv", b"1"),
                ("only-src.csv", b"2"),
                ("differs.csv", b"3"),
            ],
        );
        write_files(
            dst.path(),
            &[
                ("same.csv", b"1"),
                ("only-dst.csv", b"4"),
                ("differs.csv", b"333"),
            ],
        );
        let summary = |out: &Output| -> Vec<String> {
            undated(&stderr(out))
                .into_iter()
                .filter(|l| l.starts_with("NOTICE: ") && !l.contains("Config file"))
                .map(|l| {
                    // rclone names a local remote "Local file system at DIR"; ocisync "DIR".
                    l.replace("Local file system at ", "")
                })
                .collect()
        };
        let theirs = rclone(&["check", src.str(), dst.str()]);
        let ours = bare(&["check", src.str(), dst.str()]);
        assert_code(&theirs, 1);
        assert_code(&ours, 1);
        let (mut theirs, ours) = (summary(&theirs), summary(&ours));
        // rclone logs its final line at NOTICE, ocisync at ERROR (docs/sync.md).
        let last = theirs.pop().unwrap();
        assert_eq!(
            last,
            "NOTICE: Failed to check with 3 errors: last error was: 3 differences found"
        );
        assert_eq!(ours, theirs);
        let ours = bare(&["check", src.str(), dst.str()]);
        assert!(
            stderr(&ours).contains(
                "ERROR : Failed to check with 3 errors: last error was: 3 differences found"
            ),
            "{}",
            stderr(&ours)
        );
        // All equal: "0 differences found" before "N matching files".
        let theirs = summary(&rclone(&["check", src.str(), src.str()]));
        let ours = summary(&bare(&["check", src.str(), src.str()]));
        assert_eq!(ours, theirs);
        assert!(ours[0].ends_with(": 0 differences found"), "{ours:?}");
    }
}

mod summaries {
    use super::*;

    /// The end-of-run block's lines, with the elapsed time and rate (machine-dependent) masked.
    fn block(text: &str) -> Vec<String> {
        let lines = undated(text);
        let Some(start) = lines.iter().position(|l| l == "INFO  : ") else {
            return Vec::new();
        };
        lines[start..]
            .iter()
            .take_while(|l| !l.is_empty())
            .map(|l| {
                if l.starts_with("Elapsed time:") {
                    "Elapsed time: <masked>".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect()
    }

    #[test]
    fn an_empty_run_and_the_retry_lines_are_rclones() {
        let empty = TempDir::new("empty");
        let dst = TempDir::new("dst");
        let theirs = rclone(&["copy", empty.str(), dst.str(), "-v"]);
        let ours = bare(&["copy", empty.str(), dst.str(), "-v"]);
        assert_code(&ours, 0);
        let b = block(&stderr(&ours));
        assert_eq!(b, block(&stderr(&theirs)), "{}", stderr(&ours));
        assert_eq!(
            b[1],
            "Transferred:   \t          0 B / 0 B, -, 0 B/s, ETA -"
        );
        // rclone's text log ends the block with an empty line.
        assert!(stderr(&ours).ends_with("s\n\n"), "{:?}", stderr(&ours));
    }

    #[test]
    fn exit_7_and_exit_8_summaries_both_count_the_fatal_error() {
        let src = TempDir::new("sum-src");
        for i in 0..4 {
            write_files(src.path(), &[(&format!("f{i}"), &bytes(i, 300_000))]);
        }
        // Exit 8: the same closing lines as rclone.
        let dst = TempDir::new("sum-dst8");
        let args = |d: &TempDir| {
            vec![
                "copy".to_string(),
                src.str().to_string(),
                d.str().to_string(),
                "--max-transfer".into(),
                "400k".into(),
                "--transfers".into(),
                "1".into(),
                "-v".into(),
            ]
        };
        let a: Vec<String> = args(&dst);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let ours = bare(&a);
        assert_code(&ours, 8);
        let dst2 = TempDir::new("sum-dst8r");
        let b: Vec<String> = args(&dst2);
        let b: Vec<&str> = b.iter().map(String::as_str).collect();
        let theirs = rclone(&b);
        assert_code(&theirs, 8);
        let tail = |o: &Output| -> Vec<String> {
            undated(&stderr(o))
                .into_iter()
                .filter(|l| {
                    l.contains("not attempting retries")
                        || l.contains("Attempt ")
                        || l.starts_with("Errors:")
                        || l.contains("Failed to copy: max")
                })
                .map(|l| l.replace("NOTICE: Failed", "ERROR : Failed"))
                .filter(|l| {
                    !l.contains(": Failed to copy: max transfer") || l.starts_with("ERROR : Failed")
                })
                .collect()
        };
        assert_eq!(
            tail(&ours),
            [
                "ERROR : Fatal error received - not attempting retries",
                "Errors:                 1 (fatal error encountered)",
                "ERROR : Failed to copy: max transfer limit reached as set by --max-transfer",
            ]
        );
        assert_eq!(tail(&ours), tail(&theirs));

        // Exit 7 (--max-delete; ocisync deletes nothing, rclone deletes up to the limit): the
        // same shape — the fatal error counted in the block, no "Attempt" line.
        let dst = TempDir::new("sum-dst7");
        write_files(dst.path(), &[("x1", b"1"), ("x2", b"2")]);
        let ours = bare(&["sync", src.str(), dst.str(), "--max-delete", "1", "-v"]);
        assert_code(&ours, 7);
        let err = stderr(&ours);
        assert!(
            err.contains("\nErrors:                 1 (fatal error encountered)\n"),
            "{err}"
        );
        assert!(
            err.contains("ERROR : Fatal error received - not attempting retries"),
            "{err}"
        );
        assert!(!err.contains("Attempt "), "{err}");
        assert!(err.contains("ERROR : Failed to sync: "), "{err}");
        assert!(!err.contains("fatal error encountered: "), "{err}");
    }
}

mod logs {
    use super::*;

    #[test]
    fn log_file_problems_name_the_file_and_are_not_usage_errors() {
        let src = TempDir::new("lf");
        let missing = src.join("no-such-dir/ocisync.log");
        let out = bare(&["lsf", src.str(), "--log-file", missing.to_str().unwrap()]);
        assert_code(&out, 1);
        let err = stderr(&out);
        assert!(err.contains(missing.to_str().unwrap()), "{err}");
        assert!(err.contains("No such file or directory"), "{err}");
        assert!(err.contains("install -d"), "{err}");
        // rclone: exit 1 too.
        assert_eq!(
            code(&rclone(&[
                "lsf",
                src.str(),
                "--log-file",
                missing.to_str().unwrap()
            ])),
            1
        );
    }

    #[test]
    fn json_logs_carry_objects_and_structured_stats_like_rclone() {
        let src = TempDir::new("json-src");
        write_files(src.path(), &[("a/x.csv", b"12345"), ("y.csv", b"1")]);
        let ours_dst = TempDir::new("json-dst");
        let theirs_dst = TempDir::new("json-dst-r");
        let ours = bare(&["copy", src.str(), ours_dst.str(), "-v", "--use-json-log"]);
        assert_code(&ours, 0);
        let theirs = rclone(&["copy", src.str(), theirs_dst.str(), "-v", "--use-json-log"]);
        let parse = |o: &Output| -> Vec<serde_json::Value> {
            stderr(o)
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
                .collect()
        };
        let (ours, theirs) = (parse(&ours), parse(&theirs));
        let copied = |lines: &[serde_json::Value]| -> Vec<(String, String, u64)> {
            let mut v: Vec<_> = lines
                .iter()
                .filter(|l| l["msg"] == "Copied (new)")
                .map(|l| {
                    (
                        l["level"].as_str().unwrap().to_string(),
                        l["object"].as_str().unwrap().to_string(),
                        l["size"].as_u64().unwrap(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(copied(&ours), copied(&theirs));
        assert_eq!(copied(&ours).len(), 2);
        let keys = |l: &serde_json::Value| -> Vec<String> {
            l.as_object().unwrap().keys().cloned().collect()
        };
        let stats = |lines: &[serde_json::Value]| {
            lines
                .iter()
                .find(|l| l.get("stats").is_some())
                .cloned()
                .expect("a stats line")
        };
        let (our_stats, their_stats) = (stats(&ours), stats(&theirs));
        assert_eq!(keys(&our_stats["stats"]), keys(&their_stats["stats"]));
        assert_eq!(our_stats["stats"]["transfers"], 2);
        assert_eq!(our_stats["stats"]["bytes"], 6);
        assert!(
            our_stats["msg"]
                .as_str()
                .unwrap()
                .starts_with("\nTransferred:   \t")
        );
        // Field order as rclone writes it: time, level, msg, (attributes), object, objectType,
        // (stats), source.
        let line = stderr(&bare(&[
            "copy",
            src.str(),
            TempDir::new("json-dst3").str(),
            "-v",
            "--use-json-log",
        ]));
        let copied_line = line.lines().find(|l| l.contains("Copied (new)")).unwrap();
        let order: Vec<usize> = [
            "\"time\"",
            "\"level\"",
            "\"msg\"",
            "\"size\"",
            "\"object\"",
            "\"objectType\"",
            "\"source\"",
        ]
        .iter()
        .map(|k| {
            copied_line
                .find(k)
                .unwrap_or_else(|| panic!("{k} in {copied_line}"))
        })
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{copied_line}");
    }

    #[test]
    fn object_names_cannot_forge_log_lines_or_reach_the_terminal() {
        let src = TempDir::new("inject");
        let forged = "evil\n2026/01/01 00:00:00 ERROR : forged line.csv";
        let coloured = "red\x1b[31mtext\x1b]0;title\x07.csv";
        write_files(src.path(), &[(forged, b"1"), (coloured, b"2")]);
        let dst = TempDir::new("inject-dst");
        for json in [false, true] {
            let mut args = vec!["copy", src.str(), dst.str(), "-vv"];
            if json {
                args.push("--use-json-log");
            }
            let out = bare(&args);
            assert_code(&out, 0);
            let err = stderr(&out);
            assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
            assert!(
                !err.lines()
                    .any(|l| l.starts_with("2026/01/01 00:00:00 ERROR : forged")),
                "{err}"
            );
            if !json {
                assert!(
                    err.contains(
                        "evil\\n2026/01/01 00:00:00 ERROR : forged line.csv: Copied (new)"
                    ),
                    "{err}"
                );
                assert!(
                    err.contains("red\\x1b[31mtext\\x1b]0;title\\x07.csv"),
                    "{err}"
                );
            }
        }
        // Piped listings keep names byte for byte (scripts); a terminal gets them escaped.
        let out = bare(&["lsf", src.str()]);
        assert!(stdout(&out).contains(coloured), "{:?}", stdout(&out));
        let tty = std::process::Command::new("python3")
            .args([
                "-c",
                "import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))",
                env!("CARGO_BIN_EXE_ocisync"),
                "ls",
                src.str(),
            ])
            .env("HOME", "/nonexistent-home-for-tests")
            .env_remove("OCISYNC_CONFIG")
            .output()
            .expect("python3 (the test venv) for a pseudo-terminal");
        let shown = String::from_utf8_lossy(&tty.stdout);
        assert!(!shown.contains('\x1b'), "{shown:?}");
        assert!(
            shown.contains("red\\x1b[31mtext\\x1b]0;title\\x07.csv"),
            "{shown:?}"
        );
        assert!(shown.contains("evil\\n2026/01/01"), "{shown:?}");
    }
}

mod flags {
    use super::*;

    #[test]
    fn timeout_zero_disables_the_timeout_as_in_rclone() {
        let rt = runtime();
        let s3 = rt.block_on(S3::start("optimeout"));
        let dir = TempDir::new("optimeout");
        let cfg = config(&dir, &s3.remote_toml("s3"));
        let src = TempDir::new("src");
        write_files(
            src.path(),
            &[("a.csv", b"1"), ("b/c.csv", &bytes(1, 7 << 20))],
        );
        let target = format!("s3:{}/t0", s3.bucket);
        let out = run(
            &cfg,
            &[
                "copy",
                src.str(),
                &target,
                "--timeout",
                "0",
                "--contimeout",
                "0",
            ],
        );
        assert_code(&out, 0);
        let listed = stdout(&run(&cfg, &["lsf", "-R", "--files-only", &target]));
        assert_eq!(sorted_lines(&listed), ["a.csv", "b/c.csv"]);
    }
}

mod config_checks {
    use super::*;
    use crate::support::oci::{Oci, TENANCY};
    use crate::support::ocisync;

    const PASTED: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// A loopback port that records whether anything connected to it (stands for Vault, the
    /// metadata service: nothing may be asked).
    struct Tripwire(std::net::TcpListener);

    impl Tripwire {
        fn new() -> Tripwire {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.set_nonblocking(true).unwrap();
            Tripwire(l)
        }
        fn url(&self) -> String {
            format!("http://{}", self.0.local_addr().unwrap())
        }
        fn touched(&self) -> bool {
            self.0.accept().is_ok()
        }
    }

    #[test]
    fn a_secret_pasted_in_an_ocid_field_is_refused_and_never_shown() {
        let wire = Tripwire::new();
        let dir = TempDir::new("pasted");
        let cfg = config(
            &dir,
            &format!(
                "[remotes.aws_s3]\ntype = \"s3\"\nprovider = \"AWS\"\nregion = \"us-east-2\"\ncredentials = \"vault\"\n\n[credentials.vault]\ntype = \"oci_vault\"\nauth = \"instance_principal\"\nendpoint = \"{url}\"\nfederation_endpoint = \"{url}/v1/x509\"\naccess_key_id = \"ocid1.vaultsecret.oc1.iad.aaaa\"\nsecret_access_key = \"{PASTED}\"\n",
                url = wire.url()
            ),
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let place = format!(
            "{}:13: [credentials.vault] key \"secret_access_key\": is not an OCID",
            cfg.display()
        );
        let quiet = |o: &Output| {
            let all = format!("{}{}", stdout(o), stderr(o));
            assert!(
                !all.contains("wJalr") && !all.contains("EXAMPLEKEY"),
                "{all}"
            );
            all
        };
        let validate = run(&cfg, &["config", "validate"]);
        assert_code(&validate, 1);
        let all = quiet(&validate);
        assert!(all.contains(&place), "{all}");
        // Counted as a secret: the file is readable by others, so it says so.
        assert!(
            all.contains("holds secrets and is readable by group/others"),
            "{all}"
        );
        let show = run(&cfg, &["config", "show"]);
        assert_code(&show, 0);
        quiet(&show);
        // The run stops at the same line, before any request.
        let out = ocisync()
            .env("OCI_METADATA_BASE_URL", wire.url())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .arg("--config")
            .arg(&cfg)
            .args(["lsf", "aws_s3:bucket"])
            .output()
            .unwrap();
        assert_ne!(code(&out), 0);
        let all = quiet(&out);
        assert!(all.contains(&place), "{all}");
        assert!(!wire.touched(), "something was asked over the network");
    }

    fn validate(text: &str) -> (i32, String) {
        let dir = TempDir::new("validate");
        let cfg = config(&dir, text);
        let out = run(&cfg, &["config", "validate"]);
        (
            code(&out),
            format!("{}{}", stdout(&out), stderr(&out)).replace(&format!("{}", cfg.display()), "F"),
        )
    }

    #[test]
    fn validate_fails_on_what_the_run_would_fail_on() {
        let vault = "[credentials.vault]\ntype = \"oci_vault\"\naccess_key_id = \"ocid1.vaultsecret.oc1.iad.a\"\nsecret_access_key = \"ocid1.vaultsecret.oc1.iad.b\"\n";
        let (c, out) = validate(&format!("{vault}auth = \"instance_principle\"\n"));
        assert_eq!(c, 1, "{out}");
        assert!(
            out.contains("F:5: [credentials.vault] key \"auth\": must be instance_principal"),
            "{out}"
        );
        let (c, out) = validate(&format!("{vault}region = \"us-ashburn1\"\n"));
        assert_eq!(c, 1, "{out}");
        assert!(out.contains("F:5: [credentials.vault] key \"region\": unknown OCI region 'us-ashburn1' (did you mean 'us-ashburn-1'?)"), "{out}");
        let (c, out) = validate(
            "[remotes.u]\ntype = \"oracleobjectstorage\"\nprovider = \"workload_identity_auth\"\nregion = \"us-ashburn1\"\n",
        );
        assert_eq!(c, 1, "{out}");
        assert!(out.contains("F:3: [remotes.u] key \"provider\": workload_identity_auth (OKE pods) is rclone's but not supported"), "{out}");
        assert!(out.contains("F:4: [remotes.u] key \"region\""), "{out}");
        let (c, out) = validate(&format!(
            "[remotes.aws]\ntype = \"s3\"\nenv_auth = true\ncredentials = \"vault\"\n\n{vault}"
        ));
        assert_eq!(c, 1, "{out}");
        assert!(out.contains("F:3: [remotes.aws] env_auth = true and credentials = \"vault\" both say where the keys come from"), "{out}");
        // No config file at all is not "OK".
        let out = ocisync().args(["config", "validate"]).output().unwrap();
        assert_code(&out, 1);
        assert!(
            stderr(&out).contains("no config file found"),
            "{}",
            stderr(&out)
        );
        // --help no longer offers the provider the run refuses, nor cuts help at "e.g.".
        let help = stdout(&ocisync().args(["sync", "--help"]).output().unwrap());
        assert!(
            !help.contains("workload_identity_auth (OKE pods) or"),
            "{help}"
        );
        assert!(
            help.contains("Region, such as us-ashburn-1 (short codes such as iad are accepted)."),
            "{help}"
        );
    }

    #[test]
    fn ignored_keys_are_noted_once_by_validate_not_at_every_run() {
        let rt = runtime();
        let oci = rt.block_on(Oci::start(false));
        let dir = TempDir::new("ignored");
        let text = format!(
            "{}compartment = \"ocid1.tenancy.oc1..aaaa\"\n",
            oci.unsigned_remote_toml("usage")
        );
        let cfg = config(&dir, &text);
        let out = run(&cfg, &["config", "validate"]);
        assert_code(&out, 0);
        let line = text
            .lines()
            .position(|l| l.starts_with("compartment"))
            .unwrap()
            + 1;
        assert!(
            stdout(&out).contains(&format!(
                "{}:{line}: [remotes.usage] note: compartment = \"ocid1.tenancy.oc1..aaaa\" is accepted for rclone compatibility and ignored"
            , cfg.display())),
            "{}",
            stdout(&out)
        );
        let out = run(&cfg, &["lsf", &format!("usage:{TENANCY}")]);
        assert_code(&out, 0);
        assert!(!stderr(&out).contains("compartment"), "{}", stderr(&out));
    }

    #[test]
    fn the_shipped_example_is_keyless_and_clean() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
        let out = run(Path::new(example), &["config", "validate"]);
        assert_code(&out, 0);
        assert_eq!(
            stdout(&out).lines().count(),
            1,
            "no notes: {}",
            stdout(&out)
        );
        let shown = stdout(&run(Path::new(example), &["config", "show"]));
        let section = |name: &str| {
            let start = shown.find(&format!("[{name}]")).unwrap();
            let rest = &shown[start + 1..];
            rest[..rest.find("\n[").unwrap_or(rest.len())].to_string()
        };
        assert!(section("remotes.oci_usage").contains("provider = \"instance_principal_auth\""));
        let aws = section("remotes.aws_s3");
        assert!(
            aws.contains("credentials = \"aws_keys_from_vault\""),
            "{aws}"
        );
        assert!(!aws.contains("env_auth"), "{aws}");
        let vault = section("credentials.aws_keys_from_vault");
        assert!(
            vault.contains("type = \"oci_vault\"")
                && vault.contains("auth = \"instance_principal\""),
            "{vault}"
        );
    }

    #[test]
    fn help_documents_secret_options_and_one_default_profile() {
        let s3 = stdout(&ocisync().args(["backends", "s3"]).output().unwrap());
        assert!(
            s3.contains("no flag (a secret): set it in the config file, a [credentials] provider or RCLONE_S3_SECRET_ACCESS_KEY"),
            "{s3}"
        );
        let md = stdout(&ocisync().args(["backends", "--markdown"]).output().unwrap());
        assert!(
            md.contains("Secret options (type `string (secret)`) have no flag"),
            "{md}"
        );
        assert!(
            !md.contains("| `config_profile` | string | `Default` |"),
            "config_profile's default spelled two ways"
        );
        assert!(
            md.matches("| `config_profile` | string | `DEFAULT` |")
                .count()
                >= 3,
            "{md}"
        );
    }
}

mod environment {
    use super::*;
    use crate::support::ocisync;

    #[test]
    fn rclone_environment_variables_set_flags_and_config() {
        let rt = runtime();
        let s3 = rt.block_on(S3::start("openv"));
        let dir = TempDir::new("openv");
        // The remote's region comes from the environment, over the file's.
        let cfg = config(
            &dir,
            &s3.remote_toml("s3").replace("us-east-1", "eu-west-9"),
        );
        let src = TempDir::new("src");
        write_files(src.path(), &[("a.csv", b"1"), ("b.csv", b"2")]);
        let target = format!("s3:{}/env", s3.bucket);
        let with_env = |vars: &[(&str, &str)], args: &[&str]| {
            let mut c = ocisync();
            for (k, v) in vars {
                c.env(k, v);
            }
            c.args(args).output().unwrap()
        };
        let cfg_path = cfg.to_str().unwrap();
        // RCLONE_CONFIG is --config; RCLONE_DRY_RUN=true is --dry-run: nothing written.
        let out = with_env(
            &[
                ("RCLONE_CONFIG", cfg_path),
                ("RCLONE_DRY_RUN", "true"),
                ("RCLONE_CONFIG_S3_REGION", "us-east-1"),
            ],
            &["copy", src.str(), &target],
        );
        assert_code(&out, 0);
        assert!(
            stderr(&out).contains("a.csv: Skipped copy as --dry-run is set (size 1)"),
            "{}",
            stderr(&out)
        );
        assert!(s3.writes().is_empty(), "{:?}", s3.writes());
        // OCISYNC_ spelling, and the command line over the environment.
        let out = with_env(
            &[
                ("OCISYNC_CONFIG", cfg_path),
                ("RCLONE_DRY_RUN", "true"),
                ("OCISYNC_DRY_RUN", "false"),
                ("OCISYNC_CONFIG_S3_REGION", "us-east-1"),
                ("RCLONE_EXCLUDE", "b.csv"),
            ],
            &["copy", src.str(), &target, "-v"],
        );
        assert_code(&out, 0);
        let listed = stdout(&run(&cfg, &["lsf", &target, "--s3-region", "us-east-1"]));
        assert_eq!(listed, "a.csv\n");
        // A variable ocisync would ignore is refused, naming it.
        let out = with_env(
            &[("RCLONE_DRYRUN", "true")],
            &["--config", cfg_path, "lsf", &target],
        );
        assert_code(&out, 2);
        assert!(
            stderr(&out)
                .contains("environment variable RCLONE_DRYRUN: ocisync has no --dryrun flag"),
            "{}",
            stderr(&out)
        );
        let out = with_env(
            &[("RCLONE_CONFIG_NOSUCH_REGION", "x")],
            &["--config", cfg_path, "lsf", &target],
        );
        assert_code(&out, 1);
        assert!(
            stderr(&out)
                .contains("environment variable RCLONE_CONFIG_NOSUCH_REGION: names no remote"),
            "{}",
            stderr(&out)
        );
        // A remote made of environment variables only, as rclone allows; listed by both tools.
        let env = [
            ("RCLONE_CONFIG_MYS3_TYPE", "s3"),
            ("RCLONE_CONFIG_MYS3_PROVIDER", "Other"),
            ("RCLONE_CONFIG_MYS3_ENDPOINT", &s3.endpoint()),
            ("RCLONE_CONFIG_MYS3_REGION", "us-east-1"),
            ("RCLONE_CONFIG_MYS3_ACCESS_KEY_ID", "test"),
            ("RCLONE_CONFIG_MYS3_SECRET_ACCESS_KEY", "testsecret"),
        ];
        let ours = with_env(&env, &["listremotes"]);
        let mut theirs = std::process::Command::new("rclone");
        theirs
            .env("RCLONE_CONFIG", "/nonexistent/rclone.conf")
            .arg("listremotes");
        for (k, v) in &env {
            theirs.env(k, v);
        }
        let theirs = theirs.output().unwrap();
        assert_eq!(stdout(&ours), "mys3:\n");
        assert_eq!(stdout(&ours), stdout(&theirs));
        let out = with_env(&env, &["lsf", &format!("mys3:{}/env", s3.bucket)]);
        assert_code(&out, 0);
        assert_eq!(stdout(&out), "a.csv\n");
        // Validation names the variable.
        let out = with_env(
            &[("RCLONE_CONFIG_S3_REGOIN", "x")],
            &["--config", cfg_path, "config", "validate"],
        );
        assert_code(&out, 1);
        assert!(stderr(&out).contains("environment variable RCLONE_CONFIG_S3_REGOIN: [remotes.s3] unknown key \"regoin\" (did you mean \"region\"?)"), "{}", stderr(&out));
    }
}

mod oci_hints {
    use super::*;
    use crate::support::oci::{Oci, TENANCY};
    use ocisync_fakes::faults::{FaultAction, FaultRule};

    fn refuse(oci: &Oci, operation: &str) {
        oci.fake.faults().add(
            FaultRule::new(FaultAction::Status {
                status: 404,
                retry_after: None,
            })
            .operation(operation)
            .times(1000),
        );
    }

    #[test]
    fn a_write_to_bling_says_src_and_dst_are_swapped() {
        let rt = runtime();
        let oci = rt.block_on(Oci::start(true));
        let dir = TempDir::new("bling-write");
        let cfg = config(&dir, &oci.remote_toml("usage"));
        let src = TempDir::new("bling-src");
        write_files(src.path(), &[("report.csv", b"1")]);
        refuse(&oci, "PutObject");
        // The swapped command: the local copy as SRC, the cost reports as DST.
        let out = run(&cfg, &["copy", src.str(), &format!("usage:{TENANCY}")]);
        assert_ne!(code(&out), 0);
        let err = stderr(&out);
        assert!(
            err.contains("bling is read-only — are SRC and DST swapped?"),
            "{err}"
        );
        assert!(
            !err.contains("usage-report"),
            "a read-policy hint for a write: {err}"
        );
        // A refused read gets the policy, on one line (no continuation lines in the log).
        oci.fake.faults().clear();
        refuse(&oci, "ListObjects");
        let out = run(&cfg, &["lsf", &format!("usage:{TENANCY}")]);
        assert_ne!(code(&out), 0);
        let err = stderr(&out);
        let line = err
            .lines()
            .find(|l| l.contains("usage-report"))
            .unwrap_or_else(|| panic!("{err}"));
        assert!(line.contains("`define tenancy usage-report as ocid1.tenancy.oc1..aaaaaaaaned4fkpkisbwjlr56u7cj63lf3wffbilvqknstgtvzub7vhqkggq` and `endorse group <group> to read objects in tenancy usage-report`"), "{line}");
        assert!(
            err.lines()
                .all(|l| l.is_empty() || l.starts_with("20") || l.starts_with("ocisync")),
            "every log line is a whole line: {err}"
        );
    }
}

mod federation_clock {
    use super::*;
    use crate::support::ocisync;
    use ocisync_fakes::keyless::{KeylessFakes, TENANCY};

    #[test]
    fn a_refused_date_says_the_clock_is_off_and_by_how_much() {
        let rt = runtime();
        let fakes = rt.block_on(KeylessFakes::start()).expect("keyless fakes");
        // The services' clock 10 minutes ahead of this machine's.
        fakes.clock.set_offset(jiff::SignedDuration::from_mins(10));
        let dir = TempDir::new("skew");
        let cfg = config(
            &dir,
            &format!(
                "[remotes.usage]\ntype = \"oracleobjectstorage\"\nprovider = \"instance_principal_auth\"\nnamespace = \"bling\"\nendpoint = \"http://127.0.0.1:9\"\nfederation_endpoint = \"{}\"\n",
                fakes.federation.endpoint()
            ),
        );
        let out = ocisync()
            .env("OCI_METADATA_BASE_URL", fakes.imds.base_url())
            .arg("--config")
            .arg(&cfg)
            .args(["lsf", &format!("usage:{TENANCY}"), "--retries", "1"])
            .output()
            .unwrap();
        assert_eq!(code(&out), 6, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("refused the request's date, not the certificate"),
            "{err}"
        );
        // 10 minutes, give or take the seconds the run took.
        crate::support::assert_offset_said(&err, "behind the service's", 10 * 60);
        assert!(
            err.contains("chronyc makestep") && err.contains("timedatectl set-ntp true"),
            "{err}"
        );
        assert!(!err.contains("refused the instance certificate"), "{err}");
    }
}

mod empty_source {
    use super::*;

    #[test]
    fn a_mistyped_source_prefix_exits_0_as_rclone_but_says_so_and_reports_it() {
        let rt = runtime();
        let s3 = rt.block_on(S3::start("opempty"));
        let dir = TempDir::new("opempty");
        let cfg = config(&dir, &s3.remote_toml("s3"));
        let src = TempDir::new("src");
        write_files(src.path(), &[("reports/cost-csv/0001.csv.gz", b"1")]);
        assert_code(
            &run(
                &cfg,
                &["copy", src.str(), &format!("s3:{}/bling", s3.bucket)],
            ),
            0,
        );
        // "report" for "reports": the bucket exists, the prefix lists nothing.
        let typo = format!("s3:{}/bling/report", s3.bucket);
        let dst = TempDir::new("dst");
        let report = dir.join("last-run.json");
        let out = run(
            &cfg,
            &[
                "sync",
                &typo,
                dst.str(),
                "--report-json",
                report.to_str().unwrap(),
            ],
        );
        // rclone 1.75 exits 0 there too.
        let theirs = rclone(&[
            "sync",
            &s3_remote(&s3, "bling/report"),
            TempDir::new("d2").str(),
        ]);
        assert_eq!(code(&out), code(&theirs));
        assert_code(&out, 0);
        let said = format!(
            "{typo}: the source lists no objects, so nothing was copied: is the path mistyped?"
        );
        // At the default log level, as a NOTICE.
        assert!(
            stderr(&out).contains(&format!("NOTICE: {said}")),
            "{}",
            stderr(&out)
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(doc["warnings"], serde_json::json!([said]));
        assert_eq!(doc["result"], "nothing_to_transfer");
        // Filters that leave nothing say so too.
        let out = run(
            &cfg,
            &[
                "copy",
                &format!("s3:{}/bling", s3.bucket),
                dst.str(),
                "--include",
                "*.txt",
            ],
        );
        assert_code(&out, 0);
        assert!(
            stderr(&out).contains("none of the 1 objects the source lists passes the filters"),
            "{}",
            stderr(&out)
        );
        // And the doctor flags the source before the first run.
        let out = run(&cfg, &["doctor", &typo, dst.str()]);
        let text = stdout(&out);
        assert!(
            text.contains(&format!("warn  S3 listable: {typo}")),
            "{text}"
        );
        assert!(
            text.contains("the source lists no objects, so a sync copies nothing"),
            "{text}"
        );
    }
}

mod rclone_conf {
    use super::*;
    use crate::support::ocisync;
    use ocisync_fakes::keyless::{KeylessFakes, TENANCY};
    use ocisync_fakes::objectstorage::{BlingSpec, Config, FakeObjectStorage};

    const ACCESS: &str = "ocid1.vaultsecret.oc1.iad.amaaaaaarcloneconfaccess";
    const SECRET: &str = "ocid1.vaultsecret.oc1.iad.amaaaaaarcloneconfsecret";

    #[test]
    fn an_rclone_conf_expresses_the_keyless_job() {
        let rt = runtime();
        let fakes = rt.block_on(KeylessFakes::start()).expect("keyless fakes");
        fakes.vault.put_secret(ACCESS, "AKIARCLONECONF000001");
        fakes
            .vault
            .put_secret(SECRET, "rclone/conf+secret/0123456789abcdefGHIJK");
        let storage = rt
            .block_on(FakeObjectStorage::start(Config {
                keys: fakes.keys.clone(),
                ..Config::default()
            }))
            .unwrap();
        let spec = BlingSpec {
            objects: 5,
            ..BlingSpec::default()
        };
        assert_eq!(storage.seed_bling(TENANCY, &spec), 5);
        let s3 = rt.block_on(S3::start("rcloneconf"));
        let dir = TempDir::new("rcloneconf");
        let federation = fakes.federation.endpoint();
        let text = format!(
            "[oci_usage]\ntype = oracleobjectstorage\nprovider = instance_principal_auth\nnamespace = bling\nendpoint = {storage}\nfederation_endpoint = {federation}\nno_check_bucket = true\n\n[vault]\ntype = oci_vault\nauth = instance_principal\nendpoint = {vault}\nfederation_endpoint = {federation}\naccess_key_id = {ACCESS}\nsecret_access_key = {SECRET}\n\n[aws_s3]\ntype = s3\nprovider = Other\nendpoint = {s3}\nregion = us-east-1\ncredentials = vault\n",
            storage = storage.base_url(),
            vault = fakes.vault.base_url(),
            s3 = s3.endpoint(),
        );
        let conf = dir.join("rclone.conf");
        std::fs::write(&conf, &text).unwrap();
        let run_conf = |args: &[&str]| {
            ocisync()
                .env("OCI_METADATA_BASE_URL", fakes.imds.base_url())
                .arg("--config")
                .arg(&conf)
                .args(args)
                .output()
                .unwrap()
        };
        // The provider is not a remote.
        assert_eq!(stdout(&run_conf(&["listremotes"])), "aws_s3:\noci_usage:\n");
        assert_code(&run_conf(&["config", "validate"]), 0);
        let dst = format!("aws_s3:{}/oci-sync", s3.bucket);
        let out = run_conf(&["sync", "--checksum", &format!("oci_usage:{TENANCY}"), &dst]);
        assert_code(&out, 0);
        assert_eq!(
            stdout(&run_conf(&["lsf", "-R", "--files-only", &dst]))
                .lines()
                .count(),
            5
        );
        // Problems are named as the file names its sections.
        std::fs::write(
            &conf,
            text.replace("auth = instance_principal", "auth = instance_principle"),
        )
        .unwrap();
        let out = run_conf(&["config", "validate"]);
        assert_code(&out, 1);
        let line = text
            .lines()
            .position(|l| l == "auth = instance_principal")
            .unwrap()
            + 1;
        assert!(
            stderr(&out).contains(&format!("{}:{line}: [vault] key \"auth\"", conf.display())),
            "{}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("credentials.vault"),
            "{}",
            stderr(&out)
        );
    }
}
