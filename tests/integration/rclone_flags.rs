//! rclone flags whose effect the differential suite cannot see in a final state: keeping expired
//! cost reports with `--backup-dir` on the product's own path (OCI → S3) and seeing the pending
//! deletions first (doctor, dry run); `--ca-cert` against a TLS server; `-M` and
//! `--header-upload` as the objects' stored headers show them; `--log-format` and
//! `--stats-one-line` next to rclone's lines; `--max-duration` with each cutoff mode.

use crate::support::oci::{Oci, TENANCY};
use crate::support::rclone::{rclone, s3_remote};
use crate::support::s3::S3;
use crate::support::tree::{TempDir, config, write_files};
use crate::support::{assert_code, code, run, runtime, stderr, stdout};
use ocisync_fakes::objectstorage::SeedObject;

fn sorted(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn expired_reports_are_kept_with_backup_dir_and_the_deletion_is_shown_first() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(false));
    let s3 = rt.block_on(S3::start("backupdir"));
    let dir = TempDir::new("backupdir");
    let cfg = config(
        &dir,
        &format!(
            "{}\n{}",
            oci.unsigned_remote_toml("usage"),
            s3.remote_toml("aws")
        ),
    );
    for i in 1..=4 {
        oci.fake.seed(
            "bling",
            TENANCY,
            SeedObject::new(
                format!("reports/cost-csv/000{i}.csv.gz"),
                format!("cost-{i}"),
            ),
        );
    }
    let src = format!("usage:{TENANCY}");
    let dst = format!("aws:{}/oci-sync", s3.bucket);
    let kept = format!("aws:{}/oci-sync-expired", s3.bucket);
    assert_code(&run(&cfg, &["sync", &src, &dst]), 0);
    // OCI drops the oldest report after a year.
    let gone = rt.block_on(async {
        reqwest::Client::new()
            .delete(format!(
                "{}/n/bling/b/{TENANCY}/o/reports%2Fcost-csv%2F0001.csv.gz",
                oci.fake.base_url()
            ))
            .send()
            .await
            .unwrap()
    });
    assert!(gone.status().is_success(), "{}", gone.status());
    // The doctor counts what a sync would delete, from the listings alone.
    s3.reset_log();
    let out = run(&cfg, &["doctor", &src, &dst]);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("warn  sync would delete: {dst}")),
        "{text}"
    );
    assert!(
        text.contains(
            "1 objects (6 B) are in DST but not in SRC — e.g. reports/cost-csv/0001.csv.gz"
        ),
        "{text}"
    );
    assert!(text.contains("--backup-dir"), "{text}");
    // A dry run names the deletion and sums it up, writing nothing.
    let out = run(&cfg, &["sync", "--dry-run", &src, &dst]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("reports/cost-csv/0001.csv.gz: Skipped delete as --dry-run is set (size 6)"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "NOTICE: {dst}: --dry-run: a sync would delete 1 objects (6 B)"
        )),
        "{err}"
    );
    assert!(s3.writes().is_empty(), "{:?}", s3.writes());
    // With --backup-dir the expired report moves to the archive, server-side (no GET, no PUT).
    s3.reset_log();
    let out = run(&cfg, &["sync", &src, &dst, "--backup-dir", &kept, "-v"]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("reports/cost-csv/0001.csv.gz: Moved into backup dir"),
        "{}",
        stderr(&out)
    );
    // One PUT carrying no body (S3's CopyObject: x-amz-copy-source), no GET: server-side.
    let log = s3.proxy.monitor().log();
    let puts: Vec<_> = log.iter().filter(|e| e.method == "PUT").collect();
    assert_eq!(puts.len(), 1, "{log:?}");
    assert!(
        puts[0]
            .target
            .contains("oci-sync-expired/reports/cost-csv/0001.csv.gz")
            && puts[0].request_body_bytes == 0,
        "{:?}",
        puts[0]
    );
    assert!(!log.iter().any(|e| e.operation == "GetObject"), "{log:?}");
    let listed = |spec: &str| sorted(&stdout(&run(&cfg, &["lsf", "-R", "--files-only", spec])));
    assert_eq!(
        listed(&dst),
        [
            "reports/cost-csv/0002.csv.gz",
            "reports/cost-csv/0003.csv.gz",
            "reports/cost-csv/0004.csv.gz"
        ]
    );
    assert_eq!(listed(&kept), ["reports/cost-csv/0001.csv.gz"]);
    assert_eq!(
        stdout(&run(
            &cfg,
            &["cat", &format!("{kept}/reports/cost-csv/0001.csv.gz")]
        )),
        "cost-1"
    );
    // rclone, given the same command line on its own copy, ends the same way.
    let theirs_dst = s3_remote(&s3, "by-rclone");
    let theirs_kept = s3_remote(&s3, "by-rclone-expired");
    let theirs_src = oci.rclone_remote(TENANCY);
    let seeded = |name: &str| {
        oci.fake.seed(
            "bling",
            TENANCY,
            SeedObject::new(name.to_string(), b"cost-1".to_vec()),
        )
    };
    seeded("reports/cost-csv/0001.csv.gz");
    assert_code(&rclone(&["sync", &theirs_src, &theirs_dst]), 0);
    rt.block_on(async {
        reqwest::Client::new()
            .delete(format!(
                "{}/n/bling/b/{TENANCY}/o/reports%2Fcost-csv%2F0001.csv.gz",
                oci.fake.base_url()
            ))
            .send()
            .await
            .unwrap()
    });
    assert_code(
        &rclone(&[
            "sync",
            &theirs_src,
            &theirs_dst,
            "--backup-dir",
            &theirs_kept,
        ]),
        0,
    );
    assert_eq!(
        listed(&format!("aws:{}/by-rclone", s3.bucket)),
        listed(&dst)
    );
    assert_eq!(
        listed(&format!("aws:{}/by-rclone-expired", s3.bucket)),
        listed(&kept)
    );
}

/// A CA and a certificate for 127.0.0.1 signed by it (openssl, as the README requires).
fn tls_files(dir: &TempDir) -> (String, String, String) {
    let sh = |script: &str| {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir.path())
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sh(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
        -subj /CN=ocisync-test-ca 2>/dev/null",
    );
    sh(
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
        -subj /CN=127.0.0.1 2>/dev/null",
    );
    sh(
        "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && openssl x509 -req -in server.csr \
        -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext \
        2>/dev/null",
    );
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    (p("ca.pem"), p("server.pem"), p("server.key"))
}

#[test]
fn ca_cert_trusts_a_private_ca_as_rclone_does() {
    let certs = TempDir::new("tls");
    let (ca, cert, key) = tls_files(&certs);
    let root = TempDir::new("tls-served");
    write_files(root.path(), &[("bucket/a.csv", b"a")]);
    let server =
        ocisync_fakes::servers::rclone_serve("s3", root.path(), &["--cert", &cert, "--key", &key]);
    let https = server.endpoint.replace("http://", "https://");
    let remote = format!(
        ":s3,provider=Other,endpoint='{https}',access_key_id=x,secret_access_key=y,region=us-east-1:bucket"
    );
    let dir = TempDir::new("tls-cfg");
    let cfg = config(&dir, "");
    // Without the CA: the certificate is refused, said once, not retried into minutes.
    let out = run(&cfg, &["lsf", &remote]);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).to_lowercase().contains("certificate"),
        "{}",
        stderr(&out)
    );
    let out = run(&cfg, &["lsf", &remote, "--ca-cert", &ca]);
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "a.csv\n");
    // rclone agrees on both counts.
    assert_ne!(
        code(&rclone(&[
            "lsf",
            &remote,
            "--low-level-retries",
            "1",
            "--retries",
            "1"
        ])),
        0
    );
    assert_eq!(
        stdout(&rclone(&["lsf", &remote, "--ca-cert", &ca])),
        "a.csv\n"
    );
    // A file that holds no certificate is a usage error naming it.
    let bogus = dir.join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let out = run(
        &cfg,
        &["lsf", &remote, "--ca-cert", bogus.to_str().unwrap()],
    );
    assert_code(&out, 2);
    assert!(stderr(&out).contains("--ca-cert"), "{}", stderr(&out));
}

/// HEAD of an object on moto: its headers.
fn head(rt: &tokio::runtime::Runtime, s3: &S3, key: &str) -> reqwest::header::HeaderMap {
    rt.block_on(async {
        let r = reqwest::Client::new()
            .head(format!(
                "{}/{}/{key}",
                ocisync_fakes::moto::endpoint(),
                s3.bucket
            ))
            // moto checks that a request is signed, not the signature.
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            )
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "HEAD {key}: {}", r.status());
        r.headers().clone()
    })
}

#[test]
fn metadata_and_upload_headers_are_stored_as_rclone_stores_them() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("meta"));
    let dir = TempDir::new("meta");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("meta-src");
    write_files(src.path(), &[("r.csv", b"report")]);
    let headers = [
        "--header-upload",
        "Cache-Control: max-age=3600",
        "--header-upload",
        "X-Amz-Meta-Owner: finops",
        "--header-upload",
        "Content-Disposition: attachment",
    ];
    let mut ours = vec!["copy", src.str()];
    let target = format!("s3:{}/ours", s3.bucket);
    ours.push(&target);
    ours.extend(headers);
    assert_code(&run(&cfg, &ours), 0);
    let remote = s3_remote(&s3, "theirs");
    let mut theirs = vec!["copy", src.str(), remote.as_str()];
    theirs.extend(headers);
    assert_code(&rclone(&theirs), 0);
    let wanted = [
        "cache-control",
        "x-amz-meta-owner",
        "content-disposition",
        "x-amz-meta-mtime",
    ];
    let (a, b) = (head(&rt, &s3, "ours/r.csv"), head(&rt, &s3, "theirs/r.csv"));
    for h in wanted {
        assert_eq!(a.get(h), b.get(h), "{h}");
        assert!(a.get(h).is_some(), "{h} missing: {a:?}");
    }
    // -M carries them on from object to object (S3 → S3).
    let moved = format!("s3:{}/again", s3.bucket);
    assert_code(&run(&cfg, &["copy", &target, &moved, "-M"]), 0);
    let c = head(&rt, &s3, "again/r.csv");
    for h in wanted {
        assert_eq!(c.get(h), a.get(h), "-M {h}");
    }
    // Without -M they stay behind (content type and times only).
    let plain = format!("s3:{}/plain", s3.bucket);
    assert_code(&run(&cfg, &["copy", &target, &plain]), 0);
    let d = head(&rt, &s3, "plain/r.csv");
    assert!(d.get("x-amz-meta-owner").is_none() && d.get("cache-control").is_none());
    // A header an upload cannot carry is refused before anything runs.
    let out = run(
        &cfg,
        &[
            "copy",
            src.str(),
            &target,
            "--header-upload",
            "X-Amz-Acl: public-read",
        ],
    );
    assert_code(&out, 2);
    assert!(stderr(&out).contains("\"X-Amz-Acl\""), "{}", stderr(&out));
}

#[test]
fn log_format_and_one_line_stats_look_like_rclones() {
    let src = TempDir::new("logfmt-src");
    write_files(src.path(), &[("a.csv", b"a"), ("b.csv", b"bb")]);
    let dir = TempDir::new("logfmt");
    let cfg = config(&dir, "");
    let flags = [
        "-v",
        "--log-format",
        "time,pid,UTC",
        "--stats-one-line",
        "--stats-unit",
        "bits",
    ];
    let shape = |text: &str| -> Vec<String> {
        // `15:04:05 [PID] INFO  : ` then the message, with the numbers masked.
        text.lines()
            .filter(|l| l.contains("Copied (new)") || l.contains("bit/s"))
            .map(|l| {
                l.chars()
                    .map(|c| if c.is_ascii_digit() { '9' } else { c })
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let d1 = TempDir::new("logfmt-d1");
    let mut ours = vec!["copy", src.str(), d1.str()];
    ours.extend(flags);
    let ours = run(&cfg, &ours);
    assert_code(&ours, 0);
    let d2 = TempDir::new("logfmt-d2");
    let mut theirs = vec!["copy", src.str(), d2.str()];
    theirs.extend(flags);
    let theirs = rclone(&theirs);
    let (mut o, mut t) = (shape(&stderr(&ours)), shape(&stderr(&theirs)));
    o.sort();
    t.sort();
    // rclone's average speed differs run to run (9 vs 99.999): compare up to the rate.
    let cut = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|l| l.split(", 9").next().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(cut(o.clone()), cut(t), "{o:?}");
    assert!(o.iter().any(|l| l.starts_with("99:99:99 [9")), "{o:?}");
}

#[test]
fn max_duration_stops_every_cutoff_mode_as_rclone_does() {
    // A deadline already past when the first transfer would start: nothing is copied, exit 10
    // — whatever the mode, for both tools (time-independent: 1ns is over before any request).
    let src = TempDir::new("maxdur-src");
    write_files(src.path(), &[("a.csv", b"a"), ("b.csv", b"b")]);
    let dir = TempDir::new("maxdur");
    let cfg = config(&dir, "");
    for mode in ["hard", "soft", "cautious"] {
        let (d1, d2) = (TempDir::new("maxdur-o"), TempDir::new("maxdur-r"));
        let args = |d: &TempDir| {
            vec![
                "copy".to_string(),
                src.str().into(),
                d.str().into(),
                "--max-duration".into(),
                "1ns".into(),
                "--cutoff-mode".into(),
                mode.into(),
            ]
        };
        let a = args(&d1);
        let ours = run(&cfg, &a.iter().map(String::as_str).collect::<Vec<_>>());
        let b = args(&d2);
        let theirs = rclone(&b.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code(&ours), code(&theirs), "{mode}: {}", stderr(&ours));
        assert_code(&ours, 10);
        assert_eq!(
            crate::support::tree::read_tree(d1.path()),
            crate::support::tree::read_tree(d2.path()),
            "{mode}"
        );
    }
}

#[test]
fn order_by_and_check_first_shape_the_requests() {
    // What the final state cannot show: the order transfers start in, and that every
    // comparison comes before the first upload.
    let rt = runtime();
    let s3 = rt.block_on(S3::start("orderby"));
    let dir = TempDir::new("orderby");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("orderby-src");
    let sizes = [
        ("m.bin", 300usize),
        ("s.bin", 10),
        ("l.bin", 5000),
        ("x.bin", 70),
    ];
    for (name, size) in sizes {
        write_files(src.path(), &[(name, &vec![b'o'; size][..])]);
    }
    let target = format!("s3:{}/o", s3.bucket);
    s3.reset_log();
    let out = run(
        &cfg,
        &[
            "copy",
            src.str(),
            &target,
            "--order-by",
            "size,descending",
            "--transfers",
            "1",
        ],
    );
    assert_code(&out, 0);
    let puts: Vec<String> = s3
        .requests()
        .into_iter()
        .filter(|r| r.2 == "PutObject")
        .map(|r| r.1.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(puts, ["l.bin", "m.bin", "x.bin", "s.bin"]);
    // Changed sources, then --check-first: every HEAD (a comparison needing the real mtime)
    // before the first PUT.
    for (name, size) in sizes {
        write_files(src.path(), &[(name, &vec![b'n'; size][..])]);
        crate::support::tree::set_mtime(&src.join(name), 2_000_000_000);
    }
    s3.reset_log();
    let out = run(&cfg, &["copy", src.str(), &target, "--check-first"]);
    assert_code(&out, 0);
    let ops: Vec<&'static str> = s3.requests().into_iter().map(|r| r.2).collect();
    let first_put = ops.iter().position(|o| *o == "PutObject").unwrap();
    let last_head = ops.iter().rposition(|o| *o == "HeadObject").unwrap();
    assert!(last_head < first_put, "{ops:?}");
    assert_eq!(
        ops.iter().filter(|o| **o == "PutObject").count(),
        4,
        "{ops:?}"
    );
}

#[test]
fn bandwidth_and_request_limits_parse_as_rclone_and_change_nothing_else() {
    // Their pacing is measured in unit tests without a clock (throttle.rs); here: accepted in
    // rclone's syntax, the same requests and result, and a bad timetable refused by name.
    let rt = runtime();
    let s3 = rt.block_on(S3::start("limits"));
    let dir = TempDir::new("limits");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("limits-src");
    write_files(
        src.path(),
        &[("a.csv", b"a"), ("b.csv", &[b'b'; 40_000][..])],
    );
    let plain = format!("s3:{}/plain", s3.bucket);
    let limited = format!("s3:{}/limited", s3.bucket);
    s3.reset_log();
    assert_code(&run(&cfg, &["copy", src.str(), &plain]), 0);
    let unlimited_requests = s3.requests().len();
    s3.reset_log();
    let out = run(
        &cfg,
        &[
            "copy",
            src.str(),
            &limited,
            "--bwlimit",
            "Mon-00:00,512M Sun-00:00,1G:512M 00:00,off",
            "--bwlimit-file",
            "100M",
            "--tpslimit",
            "1000",
            "--tpslimit-burst",
            "10",
        ],
    );
    assert_code(&out, 0);
    assert_eq!(s3.requests().len(), unlimited_requests);
    let listed = |spec: &str| stdout(&run(&cfg, &["lsf", "--format", "sp", spec]));
    assert_eq!(listed(&limited), listed(&plain));
    let out = run(
        &cfg,
        &[
            "copy",
            src.str(),
            &limited,
            "--bwlimit",
            "25:00,1M 08:00,off",
        ],
    );
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("--bwlimit \"25:00,1M 08:00,off\": invalid hour"),
        "{}",
        stderr(&out)
    );
    assert_ne!(
        code(&rclone(&[
            "lsf",
            src.str(),
            "--bwlimit",
            "25:00,1M 08:00,off"
        ])),
        0
    );
}
