//! Security hardening (issue 18) through the real binary: hostile servers on 127.0.0.1 (a raw
//! HTTP server in this file that answers what a broken or malicious service would), moto
//! behind the recording proxy, local trees with symbolic links, and network namespaces
//! (`unshare -rn`) for anything that would otherwise leave loopback. Each test fails on the code
//! before the fix it covers (see docs/security.md).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::support::s3::S3;
use crate::support::tree::{TempDir, config, read_tree, write_files};
use crate::support::webhook::{Answer, Webhook};
use crate::support::{assert_code, code, ocisync, runtime, stderr, stdout};

// ---------------------------------------------------------------------------------------------
// A hostile HTTP server: one thread per connection, one answer per connection.
// ---------------------------------------------------------------------------------------------

/// A request as the hostile server saw it (all of it printed when an assertion fails).
#[derive(Debug, Clone)]
#[allow(dead_code)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

/// What the hostile server answers.
enum Reply {
    Fixed {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// `head`, then `chunk` again and again until the client goes away or `max` bytes are out
    /// (bounded: a test never streams forever).
    Endless {
        content_type: &'static str,
        head: Vec<u8>,
        chunk: Vec<u8>,
        max: usize,
    },
    /// Waits, then answers 500 (bounded).
    Hang(Duration),
}

fn fixed(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
    Reply::Fixed {
        status,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: body.into(),
    }
}

type Answer_ = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

struct Hostile {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Hostile {
    /// Serves `answer(request, n)` (n counts requests from 0) on 127.0.0.1.
    fn start(answer: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answer: Arc<Answer_> = Arc::new(answer);
        let count = Arc::new(AtomicUsize::new(0));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (answer, log, count) = (answer.clone(), log.clone(), count.clone());
                std::thread::spawn(move || serve(stream, &*answer, &log, &count));
            }
        });
        Hostile { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, answer: &Answer_, log: &Mutex<Vec<Seen>>, count: &AtomicUsize) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    // Requests on one connection, one after the other (keep-alive), until it closes.
    loop {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
            if head.len() > 64 << 10 {
                return;
            }
        }
        let text = String::from_utf8_lossy(&head).into_owned();
        let mut lines = text.split("\r\n");
        let mut first = lines.next().unwrap_or_default().split(' ');
        let method = first.next().unwrap_or_default().to_string();
        let target = first.next().unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        if stream.read_exact(&mut body).is_err() {
            return;
        }
        let seen = Seen {
            method,
            target,
            headers,
        };
        log.lock().unwrap().push(seen.clone());
        let n = count.fetch_add(1, Ordering::SeqCst);
        match answer(&seen, n) {
            Reply::Fixed {
                status,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                if stream.write_all(out.as_bytes()).is_err() || stream.write_all(&body).is_err() {
                    return;
                }
            }
            Reply::Endless {
                content_type,
                head,
                chunk,
                max,
            } => {
                let out = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(out.as_bytes());
                let _ = stream.write_all(&head);
                let mut sent = head.len();
                while sent < max && stream.write_all(&chunk).is_ok() {
                    sent += chunk.len();
                }
                return;
            }
            Reply::Hang(d) => {
                std::thread::sleep(d);
                let _ = stream.write_all(b"HTTP/1.1 500 X\r\nContent-Length: 0\r\n\r\n");
                return;
            }
        }
    }
}

/// An S3 ListObjectsV2 page.
fn s3_page(prefix: &str, keys: &[&str], next: Option<&str>) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>b</Name>\
         <Prefix>{prefix}</Prefix><KeyCount>{}</KeyCount><MaxKeys>1000</MaxKeys>",
        keys.len()
    );
    for k in keys {
        xml.push_str(&format!(
            "<Contents><Key>{k}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
             <ETag>\"0cc175b9c0f1b6a831c399e269772661\"</ETag><Size>1</Size>\
             <StorageClass>STANDARD</StorageClass></Contents>"
        ));
    }
    match next {
        Some(t) => xml.push_str(&format!(
            "<IsTruncated>true</IsTruncated><NextContinuationToken>{t}</NextContinuationToken>"
        )),
        None => xml.push_str("<IsTruncated>false</IsTruncated>"),
    }
    xml.push_str("</ListBucketResult>");
    xml
}

/// A config with one S3 remote `h` at `endpoint`.
fn s3_remote(endpoint: &str) -> String {
    format!(
        "[remotes.h]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"{endpoint}\"\n\
         region = \"us-east-1\"\naccess_key_id = \"AKIAHOSTILETEST\"\nsecret_access_key = \"x\"\n\
         session_token = \"SESSIONTOKENMARK\"\n"
    )
}

/// ocisync with the test rules: no EC2 metadata service, no AWS variables from outside.
fn cmd() -> Command {
    let mut c = ocisync();
    c.env("AWS_EC2_METADATA_DISABLED", "true");
    for v in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT",
        "AWS_S3_ENDPOINT",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        c.env_remove(v);
    }
    c
}

fn run_with(c: &mut Command, config: &Path, args: &[&str]) -> Output {
    let out = c
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run ocisync");
    if std::env::var_os("OCISYNC_TEST_VERBOSE").is_some() {
        eprintln!("ocisync {args:?} → {:?}\n{}", out.status, stderr(&out));
    }
    out
}

/// Runs ocisync inside a new network namespace that has only loopback (`unshare -rn`): nothing
/// it sends can leave this machine, whatever address it is given.
fn in_netns(envs: &[(&str, &str)], config: &Path, args: &[&str]) -> Output {
    let mut c = Command::new("unshare");
    c.args(["-rn", "sh", "-c", "ip link set lo up && exec \"$@\"", "sh"])
        .arg(env!("CARGO_BIN_EXE_ocisync"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("OCISYNC_CONFIG")
        .env("HOME", "/nonexistent-home-for-tests")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in envs {
        c.env(k, v);
    }
    let out = c
        .output()
        .expect("unshare -rn (util-linux) and ip (iproute2) are needed");
    assert!(
        !stderr(&out).contains("unshare: "),
        "network namespaces are needed for this test: {}",
        stderr(&out)
    );
    out
}

// ---------------------------------------------------------------------------------------------
// 1. Connection-string secrets
// ---------------------------------------------------------------------------------------------

#[test]
fn connection_string_secrets_stay_out_of_every_output() {
    const MARK: &str = "S3CRETMARK9";
    let dir = TempDir::new("sec-argv");
    let cfg = config(&dir, "");
    let log_file = dir.join("ocisync.log");
    let report = dir.join("report.json");
    let src = dir.join("src");
    write_files(&src, &[("a.txt", b"a")]);
    let specs = [
        // Does not parse: the quote never ends.
        format!(":s3,secret_access_key=\"{MARK}:bucket"),
        // Parses, refused when opened (keys in the endpoint URL; 5Mi minimum part size).
        format!(
            ":s3,provider=Other,endpoint=\"http://AKIAX:{MARK}@127.0.0.1:9\",access_key_id=AKIAX,secret_access_key={MARK}:bucket/p"
        ),
        format!(
            ":s3,provider=Other,access_key_id=AKIAX,secret_access_key={MARK},session_token={MARK},chunk_size=1:bucket/p"
        ),
    ];
    let mut all = String::new();
    for spec in &specs {
        for json in [false, true] {
            let mut args = vec!["copy", src.to_str().unwrap(), spec.as_str()];
            args.extend(["--log-file", log_file.to_str().unwrap()]);
            args.extend(["--report-json", report.to_str().unwrap()]);
            args.extend(["--retries", "1", "--low-level-retries", "1", "-vv"]);
            if json {
                args.push("--use-json-log");
            }
            let out = run_with(&mut cmd(), &cfg, &args);
            assert_ne!(code(&out), 0, "{spec}");
            all.push_str(&stderr(&out));
            all.push_str(&stdout(&out));
            let out = run_with(&mut cmd(), &cfg, &["lsjson", spec.as_str(), "-vv"]);
            assert_ne!(code(&out), 0, "{spec}");
            all.push_str(&stderr(&out));
        }
    }
    let logged = std::fs::read_to_string(&log_file).unwrap();
    let reported = std::fs::read_to_string(&report).unwrap_or_default();
    assert!(
        logged.contains("Failed to create file system") || logged.contains("remote path"),
        "the failures were logged:\n{logged}"
    );
    for (what, text) in [
        ("stderr", &all),
        ("--log-file", &logged),
        ("--report-json", &reported),
    ] {
        assert!(!text.contains(MARK), "{what} shows the secret:\n{text}");
    }
    // Said once per run, naming the parameters, never their values.
    let warnings = logged
        .lines()
        .filter(|l| l.contains("a secret was given on the command line"))
        .count();
    assert!(warnings >= specs.len(), "{logged}");
    assert!(
        logged.contains("(access_key_id, secret_access_key, session_token)")
            && logged.contains("/proc/PID/cmdline")
            && logged.contains("credentials = "),
        "{logged}"
    );
    // No warning without a secret on the command line.
    let out = run_with(
        &mut cmd(),
        &cfg,
        &["lsf", ":s3,provider=Other,chunk_size=1:b"],
    );
    assert!(
        !stderr(&out).contains("a secret was given"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// 2. config show
// ---------------------------------------------------------------------------------------------

#[test]
fn config_show_prints_only_declared_plain_options_and_counts_the_rest_as_secrets() {
    let dir = TempDir::new("sec-show");
    let conf = dir.join("rclone.conf");
    std::fs::write(
        &conf,
        "[gdrive]\ntype = drive\ntoken = {\"access_token\":\"DRIVETOKENMARK\"}\nclient_secret = CLIENTSECRETMARK\n\n\
         [box]\ntype = sftp\npass = SFTPPASSMARK\n\n\
         [aws]\ntype = s3\nregion = eu-west-1\nsecret_acess_key = MISSPELTMARK\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run_with(&mut cmd(), &conf, &["config", "show"]);
    assert_code(&out, 0);
    let shown = stdout(&out);
    for mark in [
        "DRIVETOKENMARK",
        "CLIENTSECRETMARK",
        "SFTPPASSMARK",
        "MISSPELTMARK",
    ] {
        assert!(!shown.contains(mark), "{mark} shown:\n{shown}");
    }
    assert!(shown.contains("region = \"eu-west-1\""), "{shown}");
    assert!(shown.contains("token = \"<redacted>\""), "{shown}");
    // Undeclared secrets make a world-readable file worth a warning too.
    assert!(
        stderr(&out).contains("holds secrets and is readable by group/others")
            && stderr(&out).contains("chmod 600"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// 3-5. Endpoints
// ---------------------------------------------------------------------------------------------

#[test]
fn endpoints_with_credentials_in_them_are_refused_before_any_request() {
    let dir = TempDir::new("sec-userinfo");
    let hostile = Hostile::start(|_, _| fixed(500, "text/plain", "no"));
    // The finding: a hand-split authority read `127.0.0.1` as the host of this URL.
    let cfg = config(
        &dir,
        &s3_remote(&format!("http://127.0.0.1:1@{}", hostile.addr)),
    );
    let out = run_with(&mut cmd(), &cfg, &["config", "validate"]);
    assert_code(&out, 1);
    assert!(
        stdout(&out).contains("credentials do not belong in the endpoint URL")
            || stderr(&out).contains("credentials do not belong in the endpoint URL"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = run_with(&mut cmd(), &cfg, &["lsf", "h:b"]);
    assert_ne!(code(&out), 0);
    assert!(
        hostile.seen().is_empty(),
        "a request was sent: {:?}",
        hostile.seen()
    );
    // Off loopback, plain http is refused; run where nothing could leave anyway.
    let cfg = config(&dir, &s3_remote("http://192.0.2.10:9000"));
    let out = in_netns(&[], &cfg, &["lsf", "h:b", "--low-level-retries", "1"]);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("plain http is only allowed to loopback"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn environment_endpoints_on_the_keyless_path_are_checked_and_logged() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("sec-envep"));
    let dir = TempDir::new("sec-envep");
    // `credentials = NAME` with no endpoint: the AWS convention of AWS_ENDPOINT_URL applies.
    let cfg = config(
        &dir,
        "[credentials.k]\ntype = \"static\"\naccess_key_id = \"test\"\nsecret_access_key = \"testsecret\"\n\n\
         [remotes.aws]\ntype = \"s3\"\nprovider = \"Other\"\nregion = \"us-east-1\"\ncredentials = \"k\"\n",
    );
    let target = format!("aws:{}", s3.bucket);
    let hostile = Hostile::start(|_, _| fixed(200, "application/xml", s3_page("", &[], None)));
    // Credentials in the URL: refused, nothing sent (it used to go out, signed).
    let with_keys = format!("http://AKIAX:ENVSECRETMARK@{}", hostile.addr);
    let out = run_with(
        cmd().env("AWS_ENDPOINT_URL", &with_keys),
        &cfg,
        &["lsf", &target, "--low-level-retries", "1"],
    );
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("AWS_ENDPOINT_URL="),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("ENVSECRETMARK"), "{}", stderr(&out));
    assert!(hostile.seen().is_empty(), "sent: {:?}", hostile.seen());
    // A loopback endpoint from the environment is honoured — and said.
    let out = run_with(
        cmd().env("AWS_S3_ENDPOINT", s3.endpoint()),
        &cfg,
        &["lsf", &target],
    );
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains(&format!(
            "S3 endpoint {} from AWS_S3_ENDPOINT",
            s3.endpoint()
        )),
        "{}",
        stderr(&out)
    );
    assert!(s3.count("ListObjectsV2") + s3.count("ListObjects") > 0);
    // Plain http off loopback: refused, in a namespace where it could not leave anyway.
    let out = in_netns(
        &[("AWS_ENDPOINT", "http://192.0.2.10:9000")],
        &cfg,
        &["lsf", &target, "--low-level-retries", "1"],
    );
    assert_ne!(code(&out), 0);
    let err = stderr(&out);
    assert!(
        err.contains("AWS_ENDPOINT=http://192.0.2.10:9000") && err.contains("plain http"),
        "{err}"
    );
}

#[test]
fn opendal_remotes_take_no_ambient_credentials_and_check_endpoints() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("sec-opendal"));
    let dir = TempDir::new("sec-opendal");
    let remote = |endpoint: &str, extra: &str| {
        format!(
            "[remotes.raw]\ntype = \"opendal\"\nservice = \"s3\"\nbucket = \"{}\"\n\
             endpoint = \"{endpoint}\"\nregion = \"us-east-1\"\n{extra}",
            s3.bucket
        )
    };
    let cfg = config(&dir, &remote(&s3.endpoint(), ""));
    let out = run_with(
        cmd()
            .env("AWS_ACCESS_KEY_ID", "AKIAAMBIENTMARK")
            .env("AWS_SECRET_ACCESS_KEY", "ambient-secret"),
        &cfg,
        &["lsf", "raw:"],
    );
    assert_code(&out, 0);
    let log = s3.proxy.monitor().log();
    assert!(!log.is_empty());
    for e in &log {
        assert!(
            !e.headers
                .get("authorization")
                .is_some_and(|a| a.contains("AKIAAMBIENTMARK")),
            "signed with the environment's key: {e:?}"
        );
    }
    // With env_auth = true the environment's key is used, as asked.
    s3.reset_log();
    let cfg = config(&dir, &remote(&s3.endpoint(), "env_auth = true\n"));
    let out = run_with(
        cmd()
            .env("AWS_ACCESS_KEY_ID", "AKIAAMBIENTMARK")
            .env("AWS_SECRET_ACCESS_KEY", "ambient-secret"),
        &cfg,
        &["lsf", "raw:"],
    );
    assert_code(&out, 0);
    assert!(s3.proxy.monitor().log().iter().any(|e| {
        e.headers
            .get("authorization")
            .is_some_and(|a| a.contains("AKIAAMBIENTMARK"))
    }));
    // The endpoint check applies.
    let cfg = config(&dir, &remote("http://192.0.2.10:9000", ""));
    let out = run_with(&mut cmd(), &cfg, &["config", "validate"]);
    assert_code(&out, 1);
}

// ---------------------------------------------------------------------------------------------
// 6. Symbolic links in local sources
// ---------------------------------------------------------------------------------------------

#[test]
fn local_symlinks_are_skipped_unless_copy_links() {
    let dir = TempDir::new("sec-links");
    let outside = dir.join("outside");
    write_files(
        &outside,
        &[("private.txt", b"OUTSIDEMARK"), ("sub/deep.txt", b"deep")],
    );
    let src = dir.join("src");
    write_files(&src, &[("a.txt", b"a")]);
    std::os::unix::fs::symlink(outside.join("private.txt"), src.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(outside.join("sub"), src.join("dirlink")).unwrap();
    std::os::unix::fs::symlink(&src, src.join("loop")).unwrap();
    let cfg = config(&dir, "");
    let dst = dir.join("dst");
    let out = run_with(
        &mut cmd(),
        &cfg,
        &["copy", src.to_str().unwrap(), dst.to_str().unwrap()],
    );
    assert_code(&out, 0);
    let copied = read_tree(&dst);
    assert_eq!(copied.keys().collect::<Vec<_>>(), ["a.txt"], "{copied:?}");
    for link in ["link.txt", "dirlink", "loop"] {
        assert!(
            stderr(&out).contains(&format!(
                "NOTICE: {link}: Can't follow symlink without -L/--copy-links"
            )),
            "{}",
            stderr(&out)
        );
    }
    // skip_links: the same, silently.
    let out = run_with(
        &mut cmd(),
        &cfg,
        &[
            "lsf",
            "-R",
            src.to_str().unwrap(),
            "--local-skip-links",
            "true",
        ],
    );
    assert_code(&out, 0);
    assert!(!stderr(&out).contains("symlink"), "{}", stderr(&out));
    // -L: what the links point to, once (the loop back to the root is not followed).
    let dst2 = dir.join("dst2");
    let out = run_with(
        &mut cmd(),
        &cfg,
        &["copy", "-L", src.to_str().unwrap(), dst2.to_str().unwrap()],
    );
    assert_code(&out, 0);
    let copied = read_tree(&dst2);
    assert_eq!(
        copied.keys().map(String::as_str).collect::<Vec<_>>(),
        ["a.txt", "dirlink/deep.txt", "link.txt"],
        "{}",
        stderr(&out)
    );
    assert_eq!(copied["link.txt"].as_slice(), b"OUTSIDEMARK");
}

// ---------------------------------------------------------------------------------------------
// 7. Proxies and redirects
// ---------------------------------------------------------------------------------------------

#[test]
fn proxies_never_carry_loopback_requests() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("sec-proxy"));
    let hook = rt.block_on(Webhook::start(Answer::Ok));
    let proxy = Hostile::start(|_, _| fixed(502, "text/plain", "proxy says no"));
    let dir = TempDir::new("sec-proxy");
    let cfg = config(
        &dir,
        &format!(
            "{}\n[alerts.hook]\ntype = \"webhook\"\nurl = \"{}\"\n",
            s3.remote_toml("s3r"),
            hook.url()
        ),
    );
    let with_proxies = || {
        let mut c = cmd();
        for v in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
        ] {
            c.env(v, proxy.url());
        }
        c
    };
    let out = run_with(
        &mut with_proxies(),
        &cfg,
        &["lsf", &format!("s3r:{}", s3.bucket)],
    );
    assert_code(&out, 0);
    let out = run_with(&mut with_proxies(), &cfg, &["alert", "test"]);
    assert_code(&out, 0);
    assert_eq!(hook.bodies().len(), 1);
    assert!(
        proxy.seen().is_empty(),
        "through the proxy: {:?}",
        proxy.seen()
    );
}

#[test]
fn redirects_are_never_followed() {
    let dir = TempDir::new("sec-redirect");
    let elsewhere = Hostile::start(|_, _| fixed(200, "application/xml", s3_page("", &[], None)));
    let target = format!("{}/b?list-type=2", elsewhere.url());
    let hostile = Hostile::start(move |_, _| Reply::Fixed {
        status: 307,
        headers: vec![("Location".into(), target.clone())],
        body: Vec::new(),
    });
    let cfg = config(&dir, &s3_remote(&hostile.url()));
    let out = run_with(
        &mut cmd(),
        &cfg,
        &["lsf", "h:b", "--low-level-retries", "1"],
    );
    assert_ne!(code(&out), 0, "{}", stderr(&out));
    assert!(!hostile.seen().is_empty());
    assert!(
        elsewhere.seen().is_empty(),
        "the signed request (session token included) followed the redirect: {:?}",
        elsewhere.seen()
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Hostile listings, auth answers and time
// ---------------------------------------------------------------------------------------------

#[test]
fn an_endless_listing_page_is_cut_off() {
    let dir = TempDir::new("sec-endless");
    let hostile = Hostile::start(|_, _| {
        Reply::Endless {
        content_type: "application/xml",
        head: b"<?xml version=\"1.0\"?><ListBucketResult><Name>b</Name><Prefix>p/</Prefix>".to_vec(),
        chunk: "<Contents><Key>p/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</Key><Size>1</Size></Contents>".repeat(64).into_bytes(),
        max: 64 << 20,
    }
    });
    let cfg = config(&dir, &s3_remote(&hostile.url()));
    let out = run_with(
        &mut cmd(),
        &cfg,
        &["lsf", "h:b/p", "--low-level-retries", "1"],
    );
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("larger than 16 MiB; refused"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn pagination_that_does_not_progress_stops() {
    let dir = TempDir::new("sec-pages");
    // Ever-new tokens for the same page: listed forever before.
    let hostile = Hostile::start(|_, n| {
        if n > 50 {
            return fixed(500, "text/plain", "test bound");
        }
        let token = format!("token-{n}");
        fixed(
            200,
            "application/xml",
            s3_page("p/", &["p/a.csv", "p/b.csv"], Some(&token)),
        )
    });
    let cfg = config(&dir, &s3_remote(&hostile.url()));
    let out = run_with(
        &mut cmd(),
        &cfg,
        &["lsf", "-R", "h:b/p", "--low-level-retries", "1"],
    );
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("not progressing"), "{}", stderr(&out));
    assert!(
        hostile.seen().len() <= 3,
        "{} pages asked",
        hostile.seen().len()
    );

    // OCI: the same, with `nextStartWith`.
    let oci = Hostile::start(|seen, n| {
        if n > 50 || !seen.target.contains("/o?") {
            return fixed(500, "application/json", "{\"code\":\"Bound\"}");
        }
        fixed(
            200,
            "application/json",
            format!(
                "{{\"objects\":[{{\"name\":\"p/a.csv\",\"size\":1}}],\"nextStartWith\":\"p/a.csv{n}\"}}"
            ),
        )
    });
    let cfg = config(
        &dir,
        &format!(
            "[remotes.o]\ntype = \"oracleobjectstorage\"\nprovider = \"no_auth\"\nnamespace = \"n\"\n\
             region = \"us-ashburn-1\"\nendpoint = \"{}\"\n",
            oci.url()
        ),
    );
    let out = run_with(
        &mut cmd(),
        &cfg,
        &["lsf", "-R", "o:b/p", "--low-level-retries", "1"],
    );
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("not progressing"), "{}", stderr(&out));
    assert!(oci.seen().len() <= 3, "{} pages asked", oci.seen().len());
}

#[test]
fn a_listed_key_outside_the_prefix_is_an_error_not_a_crash() {
    let dir = TempDir::new("sec-outside");
    let hostile = Hostile::start(|_, _| {
        fixed(
            200,
            "application/xml",
            s3_page("reports/", &["reports/a.csv", "etc"], None),
        )
    });
    let cfg = config(&dir, &s3_remote(&hostile.url()));
    let out = run_with(
        &mut cmd(),
        &cfg,
        &["lsf", "-R", "h:b/reports", "--low-level-retries", "1"],
    );
    // An error (not exit 101, a panic), and no retrying of a page that will not change.
    assert!(![0, 101].contains(&code(&out)), "{}", stderr(&out));
    assert_eq!(hostile.seen().len(), 1);
    assert!(
        stderr(&out).contains("\"etc\", which is outside the prefix \"reports/\""),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn an_endless_metadata_answer_is_refused() {
    let dir = TempDir::new("sec-imds");
    let imds = Hostile::start(|_, _| Reply::Endless {
        content_type: "application/json",
        head: b"{\"regionIdentifier\":\"us-ashburn-1\",\"x\":\"".to_vec(),
        chunk: vec![b'a'; 64 << 10],
        max: 64 << 20,
    });
    let cfg = config(
        &dir,
        &format!(
            "[remotes.o]\ntype = \"oracleobjectstorage\"\nprovider = \"instance_principal_auth\"\n\
             namespace = \"n\"\nregion = \"us-ashburn-1\"\nendpoint = \"{0}\"\n\
             federation_endpoint = \"{0}/v1/x509\"\n",
            imds.url()
        ),
    );
    let out = run_with(
        cmd().env("OCI_METADATA_BASE_URL", format!("{}/opc/v2", imds.url())),
        &cfg,
        &["lsf", "o:b", "--low-level-retries", "1"],
    );
    assert_ne!(code(&out), 0);
    let err = stderr(&out);
    assert!(err.contains("larger than 1024 KiB; refused"), "{err}");
    assert!(
        err.contains("instance metadata from OCI_METADATA_BASE_URL="),
        "the override is said: {err}"
    );
}

#[test]
fn max_duration_stops_the_run_with_exit_10() {
    let dir = TempDir::new("sec-duration");
    let hostile = Hostile::start(|seen, _| {
        if seen.target.contains("list-type") {
            fixed(200, "application/xml", s3_page("p/", &["p/big.csv"], None))
        } else {
            // Bounded: the test's own limit, far beyond --max-duration.
            Reply::Hang(Duration::from_secs(60))
        }
    });
    let cfg = config(&dir, &s3_remote(&hostile.url()));
    let report = dir.join("report.json");
    let out = run_with(
        &mut cmd(),
        &cfg,
        &[
            "copy",
            "h:b/p",
            dir.join("dst").to_str().unwrap(),
            "--max-duration",
            "1s",
            "--report-json",
            report.to_str().unwrap(),
        ],
    );
    assert_code(&out, 10);
    assert!(
        stderr(&out).contains("max transfer duration reached as set by --max-duration"),
        "{}",
        stderr(&out)
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["exit_code"], 10);
    assert_eq!(r["result"], "failed");
}

// ---------------------------------------------------------------------------------------------
// 10, 12. Helpers and the process itself
// ---------------------------------------------------------------------------------------------

#[test]
fn helpers_get_no_core_dumps_a_minimal_environment_and_show_their_stderr() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("sec-helper"));
    let dir = TempDir::new("sec-helper");
    let seen = dir.join("seen.txt");
    let helper = dir.join("helper.sh");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\ngrep 'Max core' /proc/$PPID/limits > '{0}'\nenv >> '{0}'\n\
             printf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"test\", \"SecretAccessKey\": \"testsecret\"}}'\n",
            seen.display()
        ),
    )
    .unwrap();
    let failing = dir.join("failing.sh");
    std::fs::write(
        &failing,
        "#!/bin/sh\necho '{\"SecretAccessKey\": \"STDOUTMARK\"}'\necho 'vault said 403: not authorized' >&2\nexit 4\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    for f in [&helper, &failing] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let remote = |name: &str, cred: &str| {
        format!(
            "[remotes.{name}]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\ncredentials = \"{cred}\"\n",
            s3.endpoint()
        )
    };
    let cfg = config(
        &dir,
        &format!(
            "[credentials.ok]\ntype = \"command\"\ncommand = \"'{}'\"\n\n[credentials.bad]\ntype = \"command\"\ncommand = \"'{}'\"\n\n{}\n{}",
            helper.display(),
            failing.display(),
            remote("good", "ok"),
            remote("broken", "bad")
        ),
    );
    let out = run_with(
        cmd().env("OCISYNC_TEST_HELPER_LEAK", "LEAKMARK"),
        &cfg,
        &["lsf", &format!("good:{}", s3.bucket)],
    );
    assert_code(&out, 0);
    let seen = std::fs::read_to_string(&seen).unwrap();
    let core = seen.lines().next().unwrap_or_default();
    let limits: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(
        &limits[limits.len() - 3..limits.len() - 1],
        ["0", "0"],
        "{core}"
    );
    assert!(
        !seen.contains("LEAKMARK"),
        "the helper saw ocisync's environment:\n{seen}"
    );
    let out = run_with(&mut cmd(), &cfg, &["lsf", &format!("broken:{}", s3.bucket)]);
    assert_ne!(code(&out), 0);
    let err = stderr(&out);
    assert!(
        err.contains("stderr: vault said 403: not authorized"),
        "{err}"
    );
    assert!(!err.contains("STDOUTMARK"), "{err}");
}
