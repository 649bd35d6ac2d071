//! Keyless operation end to end, with the real binary: OCI through the instance principal (fake
//! metadata and federation services), the AWS keys for S3 read from the fake Vault at run time,
//! the cost reports copied from the fake Object Storage into the real S3 server (moto behind the
//! recording proxy). All on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use ocisync_fakes::faults::{FaultAction, FaultRule};
use ocisync_fakes::federation::TokenPolicy;
use ocisync_fakes::keyless::{KeylessFakes, TENANCY};
use ocisync_fakes::objectstorage::{BlingSpec, Config, FakeObjectStorage};

use crate::support::s3::S3;
use crate::support::tree::{TempDir, config, read_tree};
use crate::support::{assert_code, code, ocisync, runtime, stderr, stdout};

const ACCESS_KEY_OCID: &str = "ocid1.vaultsecret.oc1.iad.amaaaaaakeylessaccesskeyid";
const SECRET_KEY_OCID: &str = "ocid1.vaultsecret.oc1.iad.amaaaaaakeylesssecretkey";
/// Stored in the Vault with a trailing newline, as `echo … | base64` leaves it.
const ACCESS_KEY: &str = "AKIAKEYLESSVAULT7Q2X";
const SECRET_KEY: &str = "kEyLeSs/vAuLt+SeCrEt/0123456789abcdefGHIJ";
const REPORTS: usize = 40;

/// The fakes, the S3 server and a config that names no key anywhere.
struct Keyless {
    fakes: KeylessFakes,
    storage: FakeObjectStorage,
    s3: S3,
    dir: TempDir,
}

impl Keyless {
    async fn start(label: &str) -> Keyless {
        let fakes = KeylessFakes::start().await.expect("keyless fakes");
        fakes
            .vault
            .put_secret(ACCESS_KEY_OCID, format!("{ACCESS_KEY}\n"));
        fakes.vault.put_secret(SECRET_KEY_OCID, SECRET_KEY);
        let storage = FakeObjectStorage::start(Config {
            keys: fakes.keys.clone(),
            ..Config::default()
        })
        .await
        .expect("fake object storage");
        let spec = BlingSpec {
            objects: REPORTS,
            min_size: 100,
            max_size: 3000,
            ..BlingSpec::default()
        };
        assert_eq!(storage.seed_bling(TENANCY, &spec), REPORTS);
        let s3 = S3::start(label).await;
        Keyless {
            fakes,
            storage,
            s3,
            dir: TempDir::new(label),
        }
    }

    /// `access_key_id` is the secret OCID the provider reads.
    fn config(&self, access_key_id: &str) -> PathBuf {
        let federation = self.fakes.federation.endpoint();
        config(
            &self.dir,
            &format!(
                r#"[remotes.oci_usage]
type = "oracleobjectstorage"
provider = "instance_principal_auth"
namespace = "bling"
endpoint = "{storage}"
federation_endpoint = "{federation}"
no_check_bucket = true

[credentials.vault]
type = "oci_vault"
auth = "instance_principal"
endpoint = "{vault}"
federation_endpoint = "{federation}"
access_key_id = "{access_key_id}"
secret_access_key = "{SECRET_KEY_OCID}"

[remotes.aws_s3]
type = "s3"
provider = "Other"
endpoint = "{s3}"
region = "us-east-1"
credentials = "vault"
"#,
                storage = self.storage.base_url(),
                vault = self.fakes.vault.base_url(),
                s3 = self.s3.endpoint(),
            ),
        )
    }

    fn destination(&self) -> String {
        format!("aws_s3:{}/oci-sync", self.s3.bucket)
    }

    /// Runs ocisync as on the VM: the metadata service is the fake one.
    fn run(&self, config: &Path, args: &[&str]) -> Output {
        run_with_metadata(&self.fakes.imds.base_url(), config, args)
    }
}

fn run_with_metadata(metadata: &str, config: &Path, args: &[&str]) -> Output {
    ocisync()
        .env("OCI_METADATA_BASE_URL", metadata)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run ocisync")
}

#[test]
fn instance_principal_and_vault_keys_sync_reports_to_s3_with_a_token_refresh_mid_sync() {
    let rt = runtime();
    let k = rt.block_on(Keyless::start("keyless"));
    // The first token stops working after 12 signed requests (2 Vault reads, the listing, some
    // of the GETs): it expires in the middle of the transfers.
    k.fakes.federation.push_policy(TokenPolicy {
        valid_for_requests: Some(12),
        ..TokenPolicy::default()
    });
    let cfg = k.config(ACCESS_KEY_OCID);
    let log_file = k.dir.join("ocisync.log");
    let source = format!("oci_usage:{TENANCY}");
    let out = k.run(
        &cfg,
        &[
            "sync",
            "--checksum",
            &source,
            &k.destination(),
            "-vv",
            "--log-file",
            &log_file.to_string_lossy(),
        ],
    );
    assert_code(&out, 0);

    // Two federation calls: the first token, and its replacement after the 401s. Shared by the
    // Object Storage remote and the Vault provider.
    assert_eq!(k.fakes.federation.monitor().count("X509Federation"), 2);
    let issued = k.fakes.federation.tokens().issued();
    assert_eq!(issued.len(), 2);
    assert_eq!(
        issued[0].uses, 12,
        "the first token was used until it expired"
    );
    let storage_log = k.storage.monitor().log();
    let first_refusal = storage_log
        .iter()
        .find(|e| e.status == 401)
        .expect("a 401 for the expired token")
        .seq;
    let reads_ok = |before: bool| {
        storage_log
            .iter()
            .filter(|e| {
                e.operation == "GetObject" && e.status == 200 && (e.seq < first_refusal) == before
            })
            .count()
    };
    assert!(
        reads_ok(true) > 0 && reads_ok(false) > 0,
        "the token expired between report downloads"
    );
    // No failed object: every report was read successfully and written once.
    let read_ok: std::collections::BTreeSet<String> = k
        .storage
        .monitor()
        .log()
        .into_iter()
        .filter(|e| e.operation == "GetObject" && e.status == 200)
        .map(|e| e.target)
        .collect();
    assert_eq!(read_ok.len(), REPORTS);
    assert_eq!(k.s3.count("PutObject"), REPORTS as u64);
    assert!(!stderr(&out).contains("ERROR"), "{}", stderr(&out));

    // The keys came from the Vault (trailing newline trimmed) and reached every S3 request.
    assert_eq!(k.fakes.vault.monitor().count("GetSecretBundle"), 2);
    let credential = format!("Credential={ACCESS_KEY}/");
    let s3_log = k.s3.proxy.monitor().log();
    assert!(!s3_log.is_empty());
    for entry in &s3_log {
        let authorization = entry
            .headers
            .get("authorization")
            .map(String::as_str)
            .unwrap_or("");
        assert!(
            authorization.contains(&credential),
            "{} {}: {authorization}",
            entry.method,
            entry.target
        );
    }

    // Shown with --no-capture: the evidence in brief.
    println!(
        "federation calls: {}; token 1 used {} times; Object Storage 401s: {}; GetObject 200s: {} \
         ({} before the first 401); Vault GetSecretBundle: {}; S3 PutObject: {}; S3 auth: {}",
        k.fakes.federation.monitor().count("X509Federation"),
        issued[0].uses,
        storage_log.iter().filter(|e| e.status == 401).count(),
        read_ok.len(),
        reads_ok(true),
        k.fakes.vault.monitor().count("GetSecretBundle"),
        k.s3.count("PutObject"),
        s3_log[0]
            .headers
            .get("authorization")
            .map(String::as_str)
            .unwrap_or("")
    );

    // Nothing secret in what the run printed or logged at the most verbose level.
    let logged = std::fs::read_to_string(&log_file).expect("log file written");
    let auth_lines: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains("security token") || l.contains("401"))
        .collect();
    println!(
        "--- log file (-vv), identity lines\n{}",
        auth_lines.join("\n")
    );
    println!("--- log file (-vv), last lines\n{}", tail(&logged, 6));
    assert!(
        logged.lines().count() > 10,
        "the debug log has content: {logged}"
    );
    let mut secrets: Vec<(String, String)> = vec![
        ("AWS access key".into(), ACCESS_KEY.into()),
        ("AWS secret key".into(), SECRET_KEY.into()),
    ];
    for (i, token) in issued.iter().enumerate() {
        secrets.push((format!("token {i}"), token.token.clone()));
        for (j, part) in token.token.split('.').enumerate() {
            secrets.push((format!("token {i} part {j}"), part.to_string()));
        }
    }
    for line in k
        .fakes
        .identity
        .leaf_key_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
    {
        secrets.push(("instance key (PEM line)".into(), line.to_string()));
    }
    for (what, text) in [
        ("stdout", stdout(&out)),
        ("stderr", stderr(&out)),
        ("log file", logged),
    ] {
        assert_no_secrets(what, &text, &secrets);
    }

    // What landed in S3 is the reports, byte for byte (read back with the same keyless config).
    let back = TempDir::new("keyless-back");
    assert_code(&k.run(&cfg, &["copy", &k.destination(), back.str()]), 0);
    let tree = read_tree(back.path());
    assert_eq!(tree.len(), REPORTS);
    for (name, content) in &tree {
        assert_eq!(
            &k.storage.object("bling", TENANCY, name).expect(name).data[..],
            &content[..],
            "{name}"
        );
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `text` holds none of `secrets`, no private key armour and no long base64 run (a session key
/// is about 1600 base64 characters).
#[track_caller]
fn assert_no_secrets(what: &str, text: &str, secrets: &[(String, String)]) {
    for (name, value) in secrets {
        assert!(
            value.len() < 8 || !text.contains(value.as_str()),
            "{what} contains the {name}"
        );
    }
    assert!(
        !text.contains("PRIVATE KEY"),
        "{what} contains a private key"
    );
    let longest_base64 = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest_base64 < 400,
        "{what} contains a {longest_base64}-character base64 run"
    );
}

#[test]
fn a_wrong_secret_ocid_fails_clearly_and_writes_nothing() {
    let rt = runtime();
    let k = rt.block_on(Keyless::start("keyless-wrong"));
    let wrong = "ocid1.vaultsecret.oc1.iad.amaaaaaadoesnotexist";
    let cfg = k.config(wrong);
    let out = k.run(
        &cfg,
        &[
            "sync",
            "--checksum",
            &format!("oci_usage:{TENANCY}"),
            &k.destination(),
            "-vv",
        ],
    );
    assert_ne!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "oci_vault: secret {wrong} (access_key_id): 404 NotAuthorizedOrNotFound"
        )),
        "{err}"
    );
    assert!(
        !err.contains(ACCESS_KEY) && !err.contains(SECRET_KEY),
        "{err}"
    );
    println!(
        "exit code {}\n--- stderr, last lines\n{}",
        code(&out),
        tail(&err, 4)
    );
    assert!(
        k.s3.writes().is_empty(),
        "nothing written to S3: {:?}",
        k.s3.writes()
    );
    assert!(k.s3.count("PutObject") == 0);
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn without_a_metadata_service_lsf_fails_fast_with_a_clear_message() {
    let dir = TempDir::new("keyless-noimds");
    // No endpoint and no region: the region too must come from the (absent) metadata service.
    let cfg = config(
        &dir,
        "[remotes.oci_usage]\ntype = \"oracleobjectstorage\"\nprovider = \"instance_principal_auth\"\nnamespace = \"bling\"\n",
    );
    // A closed port (refused at once) and a listener that accepts but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let bases = [
        format!("http://127.0.0.1:{}/opc/v2", closed_port()),
        format!("http://{}/opc/v2", silent.local_addr().expect("addr")),
    ];
    for base in bases {
        let started = Instant::now();
        let out = run_with_metadata(&base, &cfg, &["lsf", &format!("oci_usage:{TENANCY}")]);
        let took = started.elapsed();
        assert_ne!(code(&out), 0);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "instance principal: metadata service at {base} did not answer — is this an OCI compute instance?"
            )),
            "{err}"
        );
        // The issue's bound: metadata requests are capped at 3 attempts of at most 3 s each.
        assert!(took < Duration::from_secs(15), "took {took:?}");
        println!(
            "{base}: exit {} after {took:?}\n{}",
            code(&out),
            tail(&err, 2)
        );
    }
}

const TOPIC_OPS: &str = "ocid1.onstopic.oc1.iad.aaaaaaaakeylessopstopic";
const TOPIC_FINOPS: &str = "ocid1.onstopic.oc1.iad.aaaaaaaakeylessfinopstopic";

impl Keyless {
    /// The keyless config plus `[alerts.NAME]` sections publishing to the fake Notifications
    /// service with the instance principal, each hearing `on`.
    fn config_with_alerts(&self, sinks: &[(&str, &str, &str)]) -> PathBuf {
        let base = std::fs::read_to_string(self.config(ACCESS_KEY_OCID)).unwrap();
        let mut text = base;
        for (name, topic, on) in sinks {
            self.fakes.notifications.add_topic(topic);
            text.push_str(&format!(
                "\n[alerts.{name}]\ntype = \"oci_notifications\"\ntopic = \"{topic}\"\nauth = \"instance_principal\"\nendpoint = \"{}\"\nfederation_endpoint = \"{}\"\non = {on}\n",
                self.fakes.notifications.base_url(),
                self.fakes.federation.endpoint(),
            ));
        }
        config(&self.dir, &text)
    }
}

#[test]
fn a_failed_sync_publishes_one_oci_notification_per_sink_with_the_exit_code_and_first_error() {
    let rt = runtime();
    let k = rt.block_on(Keyless::start("ons-failure"));
    let cfg = k.config_with_alerts(&[
        ("ops", TOPIC_OPS, "[\"failure\"]"),
        ("finops", TOPIC_FINOPS, "[\"failure\", \"change\"]"),
    ]);
    // S3 refuses every upload.
    k.s3.proxy.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 403,
            retry_after: None,
        })
        .method(http::Method::PUT)
        .times(10_000),
    );
    let source = format!("oci_usage:{TENANCY}");
    let log_file = k.dir.join("ocisync.log");
    let out = k.run(
        &cfg,
        &[
            "sync",
            "--checksum",
            &source,
            &k.destination(),
            "--retries",
            "1",
            "--log-file",
            &log_file.to_string_lossy(),
        ],
    );
    let exit = code(&out);
    assert_ne!(exit, 0);
    let messages = k.fakes.notifications.messages();
    if std::env::var_os("OCISYNC_TEST_VERBOSE").is_some() {
        for m in &messages {
            eprintln!(
                "--- ONS message on {} (keyId {}):\ntitle: {}\n{}",
                m.topic_id,
                m.key_id,
                m.title.as_deref().unwrap_or(""),
                m.body
            );
        }
    }
    assert_eq!(messages.len(), 2, "one message per sink: {messages:#?}");
    let mut topics: Vec<&str> = messages.iter().map(|m| m.topic_id.as_str()).collect();
    topics.sort();
    assert_eq!(topics, [TOPIC_FINOPS, TOPIC_OPS]);
    let host = ocisync::unattended::hostname();
    let log = std::fs::read_to_string(&log_file).unwrap();
    for m in &messages {
        assert!(
            m.key_id.starts_with("ST$"),
            "signed by the instance principal: {}",
            m.key_id
        );
        let title = m.title.as_deref().unwrap_or_default();
        assert_eq!(
            title,
            format!(
                "ocisync FAILED on {host}: oci_usage:{TENANCY} -> {} (exit {exit})",
                k.destination()
            )
        );
        assert!(m.body.contains(&format!("exit code {exit}")), "{}", m.body);
        let first_error = m
            .body
            .lines()
            .skip_while(|l| *l != "First errors:")
            .nth(1)
            .expect("a first error");
        assert!(
            first_error.contains("aws_s3: write ") && first_error.contains("403"),
            "names the remote, operation, object and refusal: {first_error}"
        );
        assert!(
            log.contains(first_error.trim_start_matches("- ")),
            "the first error is the log's: {first_error}"
        );
        assert!(
            m.body.contains(&log_file.to_string_lossy().to_string()),
            "{}",
            m.body
        );
        for secret in [ACCESS_KEY, SECRET_KEY, "PRIVATE KEY"] {
            assert!(
                !m.body.contains(secret) && !title.contains(secret),
                "{secret} in {m:#?}"
            );
        }
    }
}

#[test]
fn an_oci_notifications_sink_that_is_refused_or_down_never_changes_the_outcome() {
    let rt = runtime();
    let k = rt.block_on(Keyless::start("ons-refused"));
    let cfg = k.config_with_alerts(&[("ops", TOPIC_OPS, "[\"success\"]")]);
    let source = format!("oci_usage:{TENANCY}");
    // No `use ons-topics` policy: OCI answers 404.
    k.fakes.notifications.deny_publish(true);
    let out = k.run(&cfg, &["sync", "--checksum", &source, &k.destination()]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(err.contains("alert not sent through [alerts.ops]"), "{err}");
    assert!(
        err.contains("NotAuthorizedOrNotFound") && err.contains("use ons-topics"),
        "{err}"
    );
    let out = k.run(&cfg, &["alert", "test"]);
    assert_code(&out, 1);
    assert!(
        stdout(&out).contains("[alerts.ops] (oci_notifications): FAILED")
            && stdout(&out).contains("use ons-topics"),
        "{}",
        stdout(&out)
    );

    // Down: every publish answers 503 (retried, bounded), the run still succeeds.
    k.fakes.notifications.deny_publish(false);
    k.fakes.notifications.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 503,
            retry_after: None,
        })
        .times(100),
    );
    let before = k.fakes.notifications.monitor().count("PublishMessage");
    let started = Instant::now();
    let out = k.run(&cfg, &["sync", "--checksum", &source, &k.destination()]);
    assert_code(&out, 0);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        k.fakes.notifications.monitor().count("PublishMessage") - before,
        3,
        "503 is retried: 3 attempts"
    );
    assert!(k.fakes.notifications.messages().is_empty());

    // Back up: `alert test` and `alert send` get through.
    k.fakes.notifications.faults().clear();
    let out = k.run(&cfg, &["alert", "test"]);
    assert_code(&out, 0);
    let out = k.run(
        &cfg,
        &[
            "alert",
            "send",
            "--sink",
            "ops",
            "--title",
            "bootstrap failed",
            "--body",
            "sha256 mismatch",
        ],
    );
    assert_code(&out, 0);
    let messages = k.fakes.notifications.messages();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(
        messages[0]
            .title
            .as_deref()
            .unwrap()
            .starts_with("ocisync test alert from ")
    );
    assert_eq!(messages[1].title.as_deref(), Some("bootstrap failed"));
    assert_eq!(messages[1].body, "sha256 mismatch");
}
