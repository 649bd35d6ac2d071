//! Configuration and command-line behaviour through the binary: errors that name file, line,
//! remote and key; rclone.conf read unchanged; secrets never printed; exit codes.

use crate::support::tree::{TempDir, config};
use crate::support::{assert_code, ocisync, run, stderr, stdout};

#[test]
fn validate_names_file_line_remote_and_key() {
    let dir = TempDir::new("cfg");
    let cfg = config(
        &dir,
        "[remotes.aws_s3]\ntype = \"s3\"\nregoin = \"us-east-2\"\nupload_concurrency = \"many\"\n\n[remotes.odd]\ntype = \"mega\"\n\n[remotes.scratch]\ntype = \"opendal\"\n\n[remotes.keyed]\ntype = \"s3\"\ncredentials = \"nope\"\n",
    );
    let out = run(&cfg, &["config", "validate"]);
    assert_code(&out, 1);
    let err = stderr(&out);
    let file = cfg.display().to_string();
    assert!(
        err.contains(&format!(
            "{file}:3: [remotes.aws_s3] unknown key \"regoin\" (did you mean \"region\"?)"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:4: [remotes.aws_s3] key \"upload_concurrency\": expected int, found \"many\""
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:7: [remotes.odd] unknown backend type \"mega\""
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:9: [remotes.scratch] missing required key \"service\""
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:14: [remotes.keyed] no [credentials.nope] section"
        )),
        "{err}"
    );
}

#[test]
fn syntax_errors_have_lines_and_exit_1() {
    let dir = TempDir::new("cfg");
    let cfg = config(&dir, "[remotes.a]\ntype = \"s3\"\nregion = \n");
    let out = run(&cfg, &["config", "validate"]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains(&format!("{}, line 3", cfg.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rclone_conf_is_read_unchanged_and_secrets_are_redacted() {
    let dir = TempDir::new("cfg");
    let path = dir.join("rclone.conf");
    std::fs::write(
        &path,
        "[aws]\ntype = s3\nprovider = AWS\nenv_auth = false\naccess_key_id = AKIAVERYSECRET1\nsecret_access_key = s3cr3t/VALUE+xyz\nregion = us-east-2\nacl = private\n",
    )
    .unwrap();
    let out = run(&path, &["config", "validate"]);
    assert_code(&out, 0);
    let out = run(&path, &["config", "show"]);
    assert_code(&out, 0);
    let shown = stdout(&out);
    assert!(
        shown.contains("[remotes.aws]") && shown.contains("region = \"us-east-2\""),
        "{shown}"
    );
    assert!(
        shown.contains("secret_access_key = \"<redacted>\""),
        "{shown}"
    );
    let all = format!("{shown}{}", stderr(&out));
    assert!(
        !all.contains("s3cr3t") && !all.contains("AKIAVERYSECRET1"),
        "{all}"
    );
    let out = run(&path, &["listremotes", "--long"]);
    assert_eq!(stdout(&out).trim(), "aws: s3");
}

#[test]
fn readable_config_with_secrets_gets_a_warning() {
    let dir = TempDir::new("cfg");
    let cfg = config(
        &dir,
        "[credentials.k]\ntype = \"static\"\naccess_key_id = \"AK\"\nsecret_access_key = \"SK-not-shown\"\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&cfg, &["config", "validate"]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("holds secrets and is readable by group/others (mode 0644)"),
        "{err}"
    );
    assert!(!err.contains("SK-not-shown"));
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(!stderr(&run(&cfg, &["config", "validate"])).contains("readable"));
}

#[test]
fn config_lookup_uses_env_then_home() {
    let dir = TempDir::new("cfg");
    let cfg = config(&dir, "[remotes.from_env]\ntype = \"local\"\n");
    let out = ocisync()
        .env("OCISYNC_CONFIG", &cfg)
        .args(["listremotes"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), "from_env:");
    let home = TempDir::new("home");
    std::fs::create_dir_all(home.join(".config/ocisync")).unwrap();
    std::fs::write(
        home.join(".config/ocisync/ocisync.toml"),
        "[remotes.from_home]\ntype = \"local\"\n",
    )
    .unwrap();
    let out = ocisync()
        .env("HOME", home.path())
        .args(["listremotes"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), "from_home:");
}

#[test]
fn usage_errors_exit_2_and_unknown_remote_is_named() {
    let out = ocisync().args(["sync", "only-one-arg"]).output().unwrap();
    assert_code(&out, 2);
    let out = ocisync()
        .args(["ls", "x", "--include", "[unclosed"])
        .output()
        .unwrap();
    assert_code(&out, 2);
    let dir = TempDir::new("cfg");
    let cfg = config(&dir, "[remotes.known]\ntype = \"local\"\n");
    let out = run(&cfg, &["ls", "unknown:bucket"]);
    assert_ne!(crate::support::code(&out), 0);
    assert!(
        stderr(&out)
            .contains("remote \"unknown\" is not defined in the config (known remotes: known)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn backends_reference_is_generated_and_current() {
    let out = ocisync().args(["backends", "--markdown"]).output().unwrap();
    assert_code(&out, 0);
    let generated = stdout(&out);
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/backends.md"))
            .unwrap_or_default();
    assert!(
        generated == committed,
        "docs/backends.md is stale: run `cargo run -- backends --markdown > docs/backends.md`"
    );
    let out = ocisync().args(["backends", "s3"]).output().unwrap();
    assert!(
        stdout(&out).contains("flag: --s3-chunk-size"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn example_config_is_valid_and_documents_every_key() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
    let out = run(std::path::Path::new(example), &["config", "validate"]);
    assert_code(&out, 0);
    let text = std::fs::read_to_string(example).unwrap();
    for section in [
        "[remotes.oci_usage]",
        "[remotes.aws_s3]",
        "[credentials.aws_keys_from_vault]",
    ] {
        assert!(text.contains(section), "{section}");
    }
    // Every option of every backend and credentials type appears as `# key =` or `key =`.
    let reference = stdout(&ocisync().args(["backends", "--markdown"]).output().unwrap());
    for line in reference.lines().filter(|l| l.starts_with("| `")) {
        let key = line.split('`').nth(1).unwrap();
        assert!(
            text.lines().any(|l| l
                .trim_start_matches('#')
                .trim_start()
                .starts_with(&format!("{key} ="))),
            "config.example.toml does not document {key:?}"
        );
    }
}

#[test]
fn completions_and_man_page_come_from_the_command_definitions() {
    for (shell, marker) in [
        ("bash", "_ocisync()"),
        ("zsh", "#compdef ocisync"),
        ("fish", "complete -c ocisync"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = ocisync().args(["completion", shell]).output().unwrap();
        assert_code(&out, 0);
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {marker} missing");
        for word in ["sync", "lock-file", "checksum", "doctor"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = ocisync().arg("man").output().unwrap();
    assert_code(&out, 0);
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH ocisync"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(
        page.contains("\\-\\-report\\-json"),
        "the man page documents the flags"
    );
    let out = ocisync().args(["completion", "tcsh"]).output().unwrap();
    assert_code(&out, 2);
}
