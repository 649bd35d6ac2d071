//! Unattended runs with the real binary: the run report (`--report-json`), the metrics file
//! (`--metrics-file`, parsed by Prometheus' own Python parser), the lock (`--lock-file`),
//! SIGTERM, and the webhook and command alert sinks — against moto behind the recording proxy,
//! the OCI Object Storage fake and local receivers, all on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ocisync_fakes::faults::{FaultAction, FaultRule};
use serde_json::Value;

use crate::support::oci::Oci;
use crate::support::s3::S3;
use crate::support::tree::{TempDir, config, write_files};
use crate::support::webhook::{Answer, Webhook};
use crate::support::{assert_code, code, ocisync, run, runtime, stderr};

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

/// A shell script that appends what it reads on stdin (one run report per line) to `out`.
fn recorder_script(dir: &TempDir, name: &str, out: &Path) -> PathBuf {
    let script = dir.join(name);
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n{{ tr -d '\\n'; echo; }} >> '{}'\n",
            out.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

fn recorded(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The samples of a metrics file as Prometheus' own text parser (prometheus_client, from the
/// test venv) reads them: `name{labels}` → value. Fails the test if it does not parse.
fn parse_metrics(path: &Path) -> std::collections::BTreeMap<String, f64> {
    const PARSE: &str = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
for family in text_string_to_metric_families(text):
    for s in family.samples:
        labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
        print("%s{%s} %r" % (s.name, labels, s.value))
"#;
    let out = Command::new("python3")
        .args(["-c", PARSE])
        .arg(path)
        .output()
        .expect("python3 (the README test command installs prometheus_client in its venv)");
    assert!(
        out.status.success(),
        "prometheus_client could not parse {}:\n{}\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

fn metric(m: &std::collections::BTreeMap<String, f64>, name: &str, job: &str) -> f64 {
    let key = format!("{name}{{job=\"{job}\"}}");
    *m.get(&key)
        .unwrap_or_else(|| panic!("{key} missing from {m:#?}"))
}

#[test]
fn report_metrics_and_sinks_follow_success_then_failure() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("unattended"));
    let hook = rt.block_on(Webhook::start(Answer::Ok));
    let dir = TempDir::new("unattended");
    let src = TempDir::new("unattended-src");
    write_files(
        src.path(),
        &[
            ("reports/a.csv", b"one"),
            ("reports/b.csv", b"two"),
            ("c.csv", b"three"),
        ],
    );
    let alerts_out = dir.join("alerts.jsonl");
    let script = recorder_script(&dir, "record.sh", &alerts_out);
    let cfg = config(
        &dir,
        &format!(
            "{}\n[alerts.hook]\ntype = \"webhook\"\nurl = \"{}\"\non = [\"failure\", \"success\"]\n\n[alerts.script]\ntype = \"command\"\ncommand = [\"{}\"]\n",
            s3.remote_toml("aws"),
            hook.url(),
            script.display()
        ),
    );
    let (report, metrics) = (dir.join("last-run.json"), dir.join("ocisync.prom"));
    let dst = format!("aws:{}/oci-sync", s3.bucket);
    let sync = |extra: &[&str]| {
        let mut args = vec![
            "sync",
            src.str(),
            &dst,
            "--report-json",
            report.to_str().unwrap(),
            "--metrics-file",
            metrics.to_str().unwrap(),
            "--job-name",
            "reports",
            "--retries",
            "1",
        ];
        args.extend_from_slice(extra);
        run(&cfg, &args)
    };

    // 1. Success.
    let out = sync(&[]);
    assert_code(&out, 0);
    let r = read_json(&report);
    assert_eq!(r["result"], "ok", "{r:#}");
    assert_eq!(r["command"], "sync");
    assert_eq!(r["exit_code"], 0);
    assert_eq!(r["transferred"], 3);
    assert_eq!(r["transferred_bytes"], 11);
    assert_eq!(r["listed_src"], 3);
    assert_eq!(r["errors"], 0);
    assert_eq!(r["src"], src.str());
    assert_eq!(r["dst"], dst.as_str());
    assert_eq!(r["job"], "reports");
    assert_eq!(r["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        r["requests"]["aws"]["put"],
        s3.count("PutObject"),
        "requests counted as the server saw them: {r:#}"
    );
    assert!(r["requests"]["aws"]["list"].as_u64().unwrap() >= 1, "{r:#}");
    let started: jiff::Timestamp = r["started"].as_str().unwrap().parse().unwrap();
    let finished: jiff::Timestamp = r["finished"].as_str().unwrap().parse().unwrap();
    assert!(started <= finished);
    let m = parse_metrics(&metrics);
    let first_success = metric(&m, "ocisync_last_success_timestamp_seconds", "reports");
    assert_eq!(
        first_success,
        metric(&m, "ocisync_last_run_timestamp_seconds", "reports")
    );
    assert_eq!(metric(&m, "ocisync_last_run_exit_code", "reports"), 0.0);
    assert_eq!(
        metric(&m, "ocisync_last_run_objects_transferred", "reports"),
        3.0
    );
    assert_eq!(
        metric(&m, "ocisync_last_run_bytes_transferred", "reports"),
        11.0
    );
    assert_eq!(
        hook.bodies().len(),
        1,
        "success is heard by on = [failure, success]"
    );
    let delivered: Value = serde_json::from_str(&hook.bodies()[0]).unwrap();
    assert_eq!(delivered["result"], "ok");
    assert!(
        recorded(&alerts_out).is_empty(),
        "the command sink only hears failures"
    );

    // 2. Failure: the server refuses every PUT.
    std::thread::sleep(Duration::from_millis(1100)); // a later run timestamp
    write_files(src.path(), &[("reports/d.csv", b"four")]);
    s3.proxy.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 403,
            retry_after: None,
        })
        .method(http::Method::PUT)
        .times(1000),
    );
    let out = sync(&[]);
    let failed_code = code(&out);
    assert_ne!(failed_code, 0, "{}", stderr(&out));
    let r = read_json(&report);
    assert_eq!(r["result"], "failed", "{r:#}");
    assert_eq!(r["exit_code"], failed_code);
    assert_eq!(r["transferred"], 0);
    assert!(r["errors"].as_u64().unwrap() >= 1);
    let first = r["first_errors"][0].as_str().unwrap();
    assert!(first.contains("reports/d.csv"), "{first}");
    let m = parse_metrics(&metrics);
    assert_eq!(
        metric(&m, "ocisync_last_success_timestamp_seconds", "reports"),
        first_success,
        "the last success survives a failed run"
    );
    assert!(metric(&m, "ocisync_last_run_timestamp_seconds", "reports") > first_success);
    assert_eq!(
        metric(&m, "ocisync_last_run_exit_code", "reports"),
        f64::from(failed_code as u8)
    );
    assert_eq!(metric(&m, "ocisync_last_run_success", "reports"), 0.0);
    let bodies = hook.bodies();
    assert_eq!(bodies.len(), 2, "one message per run");
    let delivered: Value = serde_json::from_str(&bodies[1]).unwrap();
    assert_eq!(delivered["result"], "failed");
    assert_eq!(delivered["exit_code"], failed_code);
    let scripted = recorded(&alerts_out);
    assert_eq!(scripted.len(), 1, "the command sink heard the failure once");
    assert_eq!(scripted[0]["result"], "failed");
    assert_eq!(scripted[0]["first_errors"], r["first_errors"]);

    // No secret anywhere: the S3 secret key, the webhook's token.
    let everything = format!(
        "{}{}{}{}{}",
        std::fs::read_to_string(&report).unwrap(),
        std::fs::read_to_string(&metrics).unwrap(),
        stderr(&out),
        bodies.join(""),
        std::fs::read_to_string(&alerts_out).unwrap()
    );
    for secret in ["testsecret", "SECRETWEBHOOKTOKEN"] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
}

#[test]
fn nothing_to_transfer_and_change_only_sinks() {
    let dir = TempDir::new("unattended-idle");
    let (src, dst) = (TempDir::new("idle-src"), TempDir::new("idle-dst"));
    write_files(src.path(), &[("a.csv", b"a")]);
    let (changes, successes) = (dir.join("changes.jsonl"), dir.join("successes.jsonl"));
    let on_change = recorder_script(&dir, "changes.sh", &changes);
    let on_success = recorder_script(&dir, "successes.sh", &successes);
    let cfg = config(
        &dir,
        &format!(
            "[alerts.changes]\ntype = \"command\"\ncommand = [\"{}\"]\non = [\"change\"]\n\n[alerts.heartbeat]\ntype = \"command\"\ncommand = [\"{}\"]\non = [\"success\"]\n",
            on_change.display(),
            on_success.display()
        ),
    );
    let report = dir.join("r.json");
    let args = [
        "sync",
        src.str(),
        dst.str(),
        "--report-json",
        report.to_str().unwrap(),
    ];
    assert_code(&run(&cfg, &args), 0);
    assert_eq!(read_json(&report)["result"], "ok");
    assert_code(&run(&cfg, &args), 0);
    assert_eq!(read_json(&report)["result"], "nothing_to_transfer");
    assert_eq!(
        recorded(&changes).len(),
        1,
        "only the run that copied is a change"
    );
    assert_eq!(recorded(&successes).len(), 2, "every success is heard");
    assert_eq!(recorded(&successes)[1]["result"], "nothing_to_transfer");
}

/// Waits until the lock file names a holder.
fn wait_for_holder(lock: &Path, pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::fs::read_to_string(lock).is_ok_and(|t| t.contains(&format!("pid={pid}\n"))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} never named pid {pid}", lock.display());
}

#[test]
fn one_run_at_a_time_and_the_lock_dies_with_its_holder() {
    let dir = TempDir::new("unattended-lock");
    let (src, dst) = (TempDir::new("lock-src"), TempDir::new("lock-dst"));
    write_files(src.path(), &[("a.csv", b"a")]);
    // The first run keeps the lock while its success sink sleeps.
    let cfg = config(
        &dir,
        "[alerts.slow]\ntype = \"command\"\ncommand = [\"sleep\", \"60\"]\ntimeout = \"90s\"\non = [\"success\"]\n",
    );
    let lock = dir.join("run/ocisync.lock");
    let report = dir.join("r.json");
    let mut holder = ocisync()
        .arg("--config")
        .arg(&cfg)
        .args([
            "sync",
            src.str(),
            dst.str(),
            "--lock-file",
            lock.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_holder(&lock, holder.id());

    let started = Instant::now();
    let out = run(
        &cfg,
        &[
            "sync",
            src.str(),
            dst.str(),
            "--lock-file",
            lock.to_str().unwrap(),
            "--report-json",
            report.to_str().unwrap(),
            "--no-alerts",
        ],
    );
    let took = started.elapsed();
    assert_code(&out, 0);
    assert!(
        took < Duration::from_secs(1),
        "skipped at once, took {took:?}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("NOTICE") && err.contains(&format!("pid {}", holder.id())),
        "{err}"
    );
    let r = read_json(&report);
    assert_eq!(r["result"], "skipped");
    assert_eq!(r["exit_code"], 0);

    // kill -9 of the holder: the kernel drops the lock; the next run proceeds.
    holder.kill().unwrap();
    holder.wait().unwrap();
    write_files(src.path(), &[("b.csv", b"b")]);
    let out = run(
        &cfg,
        &[
            "sync",
            src.str(),
            dst.str(),
            "--lock-file",
            lock.to_str().unwrap(),
            "--no-alerts",
            "-v",
        ],
    );
    assert_code(&out, 0);
    assert!(dst.join("b.csv").exists(), "{}", stderr(&out));
}

#[test]
fn a_lock_held_too_long_makes_the_skipped_run_a_failure() {
    let dir = TempDir::new("unattended-stale");
    let (src, dst) = (TempDir::new("stale-src"), TempDir::new("stale-dst"));
    let alerts_out = dir.join("alerts.jsonl");
    let script = recorder_script(&dir, "record.sh", &alerts_out);
    let cfg = config(
        &dir,
        &format!(
            "[alerts.script]\ntype = \"command\"\ncommand = [\"{}\"]\n",
            script.display()
        ),
    );
    // This test process holds the lock, as a run started 13 hours ago would.
    let lock = dir.join("ocisync.lock");
    let mut file = std::fs::File::create(&lock).unwrap();
    file.try_lock().unwrap();
    let long_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(13);
    use std::io::Write;
    write!(file, "pid=4242\nstarted={long_ago}\n").unwrap();
    let report = dir.join("r.json");
    let out = run(
        &cfg,
        &[
            "sync",
            src.str(),
            dst.str(),
            "--lock-file",
            lock.to_str().unwrap(),
            "--report-json",
            report.to_str().unwrap(),
        ],
    );
    assert_code(&out, 1);
    assert!(stderr(&out).contains("pid 4242"), "{}", stderr(&out));
    assert!(stderr(&out).contains("looks stuck"), "{}", stderr(&out));
    assert_eq!(read_json(&report)["result"], "failed");
    let alerts = recorded(&alerts_out);
    assert_eq!(alerts.len(), 1, "the stuck holder is alerted on");
    assert!(
        alerts[0]["first_errors"][0]
            .as_str()
            .unwrap()
            .contains("--lock-stale"),
        "{:#}",
        alerts[0]
    );
    // Within --lock-stale it is an ordinary skip.
    let out = run(
        &cfg,
        &[
            "sync",
            src.str(),
            dst.str(),
            "--lock-file",
            lock.to_str().unwrap(),
            "--lock-stale",
            "24h",
        ],
    );
    assert_code(&out, 0);
    assert_eq!(
        recorded(&alerts_out).len(),
        1,
        "a fresh skip is not a failure"
    );
}

#[test]
fn sigterm_ends_the_run_with_a_report_metrics_and_exit_143() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(false));
    oci.fake.seed_bling(
        crate::support::oci::TENANCY,
        &ocisync_fakes::objectstorage::BlingSpec {
            objects: 5,
            ..Default::default()
        },
    );
    // Every GetObject is answered 503 with Retry-After: the run waits inside its retries.
    oci.fake.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 503,
            retry_after: Some(60),
        })
        .operation("GetObject")
        .times(1000),
    );
    let dir = TempDir::new("unattended-term");
    let dst = TempDir::new("term-dst");
    let cfg = config(&dir, &oci.unsigned_remote_toml("oci"));
    let (report, metrics) = (dir.join("r.json"), dir.join("m.prom"));
    let child = ocisync()
        .arg("--config")
        .arg(&cfg)
        .args([
            "sync",
            &format!("oci:{}", crate::support::oci::TENANCY),
            dst.str(),
            "--report-json",
            report.to_str().unwrap(),
            "--metrics-file",
            metrics.to_str().unwrap(),
            "--job-name",
            "term",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while oci.count("GetObject") == 0 {
        assert!(Instant::now() < deadline, "no GetObject reached the fake");
        std::thread::sleep(Duration::from_millis(50));
    }
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out: Output = child.wait_with_output().unwrap();
    assert_code(&out, 143);
    let r = read_json(&report);
    assert_eq!(r["result"], "failed", "{r:#}");
    assert_eq!(r["exit_code"], 143);
    assert_eq!(r["listed_src"], 5);
    assert!(
        r["first_errors"][0]
            .as_str()
            .unwrap()
            .contains("stopped by SIGTERM"),
        "{r:#}"
    );
    assert!(r["requests"]["oci"]["get"].as_u64().unwrap() >= 1, "{r:#}");
    let m = parse_metrics(&metrics);
    assert_eq!(metric(&m, "ocisync_last_run_exit_code", "term"), 143.0);
    assert!(
        stderr(&out).contains("stopped by SIGTERM"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_hanging_or_failing_sink_never_changes_the_outcome() {
    let rt = runtime();
    let hanging = rt.block_on(Webhook::start(Answer::Hang(Duration::from_secs(30))));
    let failing = rt.block_on(Webhook::start(Answer::Status(500)));
    let dir = TempDir::new("unattended-sinks");
    let (src, dst) = (TempDir::new("sinks-src"), TempDir::new("sinks-dst"));
    write_files(src.path(), &[("a.csv", b"a")]);
    let cfg = config(
        &dir,
        &format!(
            "[alerts.hangs]\ntype = \"webhook\"\nurl = \"{}\"\ntimeout = \"1s\"\non = [\"success\"]\n\n[alerts.fails]\ntype = \"webhook\"\nurl = \"{}\"\non = [\"success\"]\n\n[alerts.missing]\ntype = \"command\"\ncommand = [\"/nonexistent/pager\"]\non = [\"success\"]\n",
            hanging.url(),
            failing.url()
        ),
    );
    let started = Instant::now();
    let out = run(&cfg, &["sync", src.str(), dst.str()]);
    let took = started.elapsed();
    assert_code(&out, 0);
    assert!(took < Duration::from_secs(15), "bounded: {took:?}");
    let err = stderr(&out);
    for sink in ["hangs", "fails", "missing"] {
        assert!(
            err.contains(&format!("alert not sent through [alerts.{sink}]")),
            "{sink}: {err}"
        );
    }
    assert!(err.contains("answered 500"), "{err}");
    assert!(!err.contains("SECRETWEBHOOKTOKEN"), "{err}");
    assert_eq!(failing.bodies().len(), 3, "500 is retried (3 attempts)");
    // --no-alerts: nothing sent.
    let before = failing.bodies().len();
    assert_code(
        &run(&cfg, &["sync", src.str(), dst.str(), "--no-alerts"]),
        0,
    );
    assert_eq!(failing.bodies().len(), before);
}
