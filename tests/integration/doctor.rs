//! `ocisync doctor`, the real binary against the fakes and moto: one scenario per row of the
//! troubleshooting table, each asserting the verdict line and the printed fix, and a healthy
//! keyless setup where every check is ok. Plus `sync` with `env_auth` and no AWS credentials:
//! exit 6 at once. All on 127.0.0.1 (the metadata service is the fake, or a refused port).
//!
//! Every doctor transcript is printed (`--nocapture` shows it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Method, Request, Response, StatusCode};
use ocisync_fakes::http::{Body, RequestBody, Server, Service};
use ocisync_fakes::identity::Region;
use ocisync_fakes::keyless::{KeylessFakes, KeylessOptions, TENANCY};
use ocisync_fakes::objectstorage::{BlingSpec, Config, FakeObjectStorage};
use ocisync_fakes::s3_operation::s3_operation;

use crate::support::s3::S3;
use crate::support::tree::{TempDir, config, write_files};
use crate::support::{code, ocisync, runtime, stderr, stdout};

const ACCESS_KEY_OCID: &str = "ocid1.vaultsecret.oc1.iad.amaaaaaadoctoraccesskeyid";
const SECRET_KEY_OCID: &str = "ocid1.vaultsecret.oc1.iad.amaaaaaadoctorsecretkey";
const ACCESS_KEY: &str = "AKIADOCTORVAULT7Q2XY";
const SECRET_KEY: &str = "dOcToR/vAuLt+SeCrEt/0123456789abcdefGHIJ";
const TOPIC: &str = "ocid1.onstopic.oc1.iad.amaaaaaadoctortopic";
const PREFIX: &str = "oci-sync";

/// What a scenario changes from the healthy setup.
#[derive(Clone)]
struct Scenario {
    /// Seed the cost-report bucket (absent: what a missing endorse policy looks like).
    bling: bool,
    /// The tenancy's home region, as Identity tells it (the instance is in us-ashburn-1).
    home_region: &'static str,
    /// The access key as stored in the Vault.
    access_key_value: String,
    /// Answer ListObjectsV2 with this S3 error (status, code, message) through a proxy.
    s3_refusal: Option<(u16, &'static str, &'static str)>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            bling: true,
            home_region: "us-ashburn-1",
            access_key_value: ACCESS_KEY.to_string(),
            s3_refusal: None,
        }
    }
}

/// The keyless fakes, the cost reports' Object Storage, moto (maybe behind a refusing proxy)
/// and a config directory.
struct Setup {
    fakes: KeylessFakes,
    storage: FakeObjectStorage,
    s3: S3,
    /// The S3 endpoint the config names: the recording proxy, or the refusing one in front.
    s3_endpoint: String,
    _refusing: Option<Server>,
    dir: TempDir,
}

impl Setup {
    async fn start(label: &str, scenario: &Scenario) -> Setup {
        let fakes = KeylessFakes::start_with(KeylessOptions {
            home_region: Region::named(scenario.home_region).expect("an oc1 region"),
            ..KeylessOptions::default()
        })
        .await
        .expect("keyless fakes");
        fakes
            .vault
            .put_secret(ACCESS_KEY_OCID, scenario.access_key_value.clone());
        fakes.vault.put_secret(SECRET_KEY_OCID, SECRET_KEY);
        fakes.notifications.add_topic(TOPIC);
        let storage = FakeObjectStorage::start(Config {
            keys: fakes.keys.clone(),
            ..Config::default()
        })
        .await
        .expect("fake object storage");
        if scenario.bling {
            let spec = BlingSpec {
                objects: 3,
                min_size: 100,
                max_size: 300,
                ..BlingSpec::default()
            };
            assert_eq!(storage.seed_bling(TENANCY, &spec), 3);
        }
        let s3 = S3::start(label).await;
        let (s3_endpoint, refusing) = match scenario.s3_refusal {
            None => (s3.endpoint(), None),
            Some((status, code, message)) => {
                let server = Server::start(
                    Arc::new(RefusingS3 {
                        upstream: s3.endpoint(),
                        client: reqwest::Client::new(),
                        status: StatusCode::from_u16(status).expect("status"),
                        code,
                        message,
                    }),
                    0,
                )
                .await
                .expect("refusing proxy");
                (server.base_url(), Some(server))
            }
        };
        Setup {
            fakes,
            storage,
            s3,
            s3_endpoint,
            _refusing: refusing,
            dir: TempDir::new(label),
        }
    }

    /// The keyless config: bling through the instance principal, AWS keys from the Vault, an
    /// ONS alert sink — no key anywhere.
    fn config(&self) -> PathBuf {
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
access_key_id = "{ACCESS_KEY_OCID}"
secret_access_key = "{SECRET_KEY_OCID}"

[remotes.aws_s3]
type = "s3"
provider = "Other"
endpoint = "{s3}"
region = "us-east-1"
credentials = "vault"

[alerts.ops]
type = "oci_notifications"
topic = "{TOPIC}"
auth = "instance_principal"
endpoint = "{ons}"
federation_endpoint = "{federation}"
on = ["failure"]
"#,
                storage = self.storage.base_url(),
                vault = self.fakes.vault.base_url(),
                s3 = self.s3_endpoint,
                ons = self.fakes.notifications.base_url(),
            ),
        )
    }

    fn source(&self) -> String {
        format!("oci_usage:{TENANCY}")
    }

    fn destination(&self) -> String {
        format!("aws_s3:{}/{PREFIX}", self.s3.bucket)
    }

    /// `ocisync doctor SRC DST args…` on the "VM": the fake metadata service and Identity.
    fn doctor(&self, config: &Path, args: &[&str]) -> Output {
        self.doctor_with_metadata(&self.fakes.imds.base_url(), config, args)
    }

    fn doctor_with_metadata(&self, metadata: &str, config: &Path, args: &[&str]) -> Output {
        let mut command = clean_env(ocisync());
        command
            .env("OCI_METADATA_BASE_URL", metadata)
            .env("OCISYNC_IDENTITY_ENDPOINT", self.fakes.iam.base_url())
            .arg("--config")
            .arg(config)
            .arg("doctor")
            .arg(self.source())
            .arg(self.destination())
            .args(args);
        run_doctor(command)
    }
}

/// No AWS variable of the test's own environment, and never the EC2 metadata address.
fn clean_env(mut command: Command) -> Command {
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_") {
            command.env_remove(&k);
        }
    }
    command.env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// Runs the doctor, prints its transcript, returns the output.
fn run_doctor(mut command: Command) -> Output {
    let started = Instant::now();
    let out = command.output().expect("run ocisync doctor");
    let took = started.elapsed();
    println!(
        "--- ocisync doctor → exit {} after {took:.1?}\n{}{}",
        code(&out),
        stdout(&out),
        if stderr(&out).trim().is_empty() {
            String::new()
        } else {
            format!("--- stderr\n{}", stderr(&out))
        }
    );
    assert!(took < Duration::from_secs(20), "doctor took {took:?}");
    out
}

/// The finding whose header line starts with `head` (`FAIL  bling listable: …`), with its
/// evidence and fix lines.
#[track_caller]
fn finding(out: &Output, head: &str) -> String {
    let text = stdout(out);
    let mut lines = text.lines().skip_while(|l| !l.starts_with(head));
    let Some(first) = lines.next() else {
        panic!(
            "no finding starting {head:?} in:\n{text}\nstderr:\n{}",
            stderr(out)
        );
    };
    let mut block = vec![first.to_string()];
    block.extend(lines.take_while(|l| l.starts_with(' ')).map(str::to_string));
    block.join("\n")
}

#[track_caller]
fn assert_exit(out: &Output, expected: i32) {
    assert_eq!(
        code(out),
        expected,
        "exit code\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{needle:?} not in:\n{haystack}");
}

/// Answers ListObjectsV2 with an S3 XML error, as S3 does; forwards everything else.
struct RefusingS3 {
    upstream: String,
    client: reqwest::Client,
    status: StatusCode,
    code: &'static str,
    message: &'static str,
}

impl Service for RefusingS3 {
    fn operation(&self, method: &Method, target: &str) -> &'static str {
        s3_operation(method, target)
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let target = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        if s3_operation(&parts.method, &target) == "ListObjects" && target.contains("list-type=2") {
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>DOCTORTESTREQ0001</RequestId><HostId>ocisync-doctor-test</HostId></Error>",
                self.code, self.message
            );
            return Response::builder()
                .status(self.status)
                .header("content-type", "application/xml")
                .header("x-amz-request-id", "DOCTORTESTREQ0001")
                .body(Body::new(xml.into()))
                .unwrap();
        }
        let body = body.bytes().await.unwrap_or_default();
        let mut req = self
            .client
            .request(parts.method.clone(), format!("{}{target}", self.upstream))
            .body(body);
        for (k, v) in &parts.headers {
            if k != http::header::HOST && k != http::header::CONTENT_LENGTH {
                req = req.header(k, v);
            }
        }
        let Ok(resp) = req.send().await else {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::new("refusing proxy: upstream failed".into()))
                .unwrap();
        };
        let mut out = Response::builder().status(resp.status());
        for (k, v) in resp.headers() {
            if (parts.method == Method::HEAD || k != http::header::CONTENT_LENGTH)
                && k != http::header::TRANSFER_ENCODING
            {
                out = out.header(k, v);
            }
        }
        out.body(Body::new(resp.bytes().await.unwrap_or_default()))
            .unwrap()
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn a_healthy_keyless_setup_passes_every_check() {
    let rt = runtime();
    let s = rt.block_on(Setup::start("doctor-ok", &Scenario::default()));
    let cfg = s.config();
    let out = s.doctor(&cfg, &["--write-probe", "--alert-probe"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    for line in text.lines() {
        assert!(
            !["warn", "FAIL", "skip"].iter().any(|t| line.starts_with(t)),
            "not ok: {line}\n{text}"
        );
    }
    for head in [
        "ok    config valid:",
        "ok    config permissions:",
        &format!("ok    instance metadata: {}", s.fakes.imds.base_url()),
        "ok    clock (OCI):",
        "ok    federation token:",
        &format!("ok    home region: oci_usage:{TENANCY}"),
        &format!("ok    bling listable: oci_usage:{TENANCY}"),
        &format!("ok    vault secret: [credentials.vault] access_key_id {ACCESS_KEY_OCID}"),
        &format!("ok    vault secret: [credentials.vault] secret_access_key {SECRET_KEY_OCID}"),
        "ok    S3 credentials: aws_s3:",
        "ok    clock (S3):",
        &format!("ok    S3 listable: aws_s3:{}/{PREFIX}/", s.s3.bucket),
        "ok    write probe (PUT):",
        "ok    write probe (DELETE):",
        "ok    alert sink: [alerts.ops] (oci_notifications)",
        "ok    alert probe: [alerts.ops] (oci_notifications)",
    ] {
        finding(&out, head);
    }
    assert_contains(&text, "checks: 0 failed, 0 warnings");
    assert_contains(
        &finding(&out, "ok    home region:"),
        "the tenancy's home region is us-ashburn-1 (IAD)",
    );
    assert_contains(&finding(&out, "ok    bling listable:"), "→ 200");
    // The S3 side as the proxy saw it: one page of one key, the probe written and deleted.
    let log = s.s3.requests();
    assert!(
        log.iter().any(|(m, t, _)| m == "GET"
            && t.contains("list-type=2")
            && t.contains("max-keys=1")
            && t.contains(&format!("prefix={PREFIX}/"))),
        "{log:?}"
    );
    let probe: Vec<_> = log
        .iter()
        .filter(|(_, t, _)| t.contains(".ocisync-doctor-"))
        .map(|(m, _, _)| m.as_str())
        .collect();
    assert_eq!(probe, ["PUT", "DELETE"], "{log:?}");
    assert_eq!(s.fakes.notifications.messages().len(), 1);
    // Secrets are read, never shown.
    assert!(
        !text.contains(ACCESS_KEY) && !text.contains(SECRET_KEY),
        "{text}"
    );

    // Without targets: every configured remote. The cost reports' bucket is the tenancy of
    // the instance's certificate; an S3 remote without a bucket is not listed.
    let mut command = clean_env(ocisync());
    command
        .env("OCI_METADATA_BASE_URL", s.fakes.imds.base_url())
        .env("OCISYNC_IDENTITY_ENDPOINT", s.fakes.iam.base_url())
        .arg("--config")
        .arg(&cfg)
        .arg("doctor");
    let out = run_doctor(command);
    assert_exit(&out, 0);
    finding(&out, &format!("ok    bling listable: oci_usage:{TENANCY}"));
    assert_contains(
        &finding(&out, "skip  S3 listable: aws_s3:"),
        "no bucket named",
    );

    // The same as JSON.
    let out = s.doctor(&cfg, &["--json"]);
    assert_exit(&out, 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let checks = doc["checks"].as_array().expect("checks");
    assert!(checks.len() >= 12, "{doc}");
    assert!(checks.iter().all(|c| c["verdict"] == "ok"), "{doc}");
}

#[test]
fn missing_endorse_policy_bling_404_prints_define_and_endorse() {
    let rt = runtime();
    let s = rt.block_on(Setup::start(
        "doctor-endorse",
        &Scenario {
            bling: false,
            ..Scenario::default()
        },
    ));
    // And a topic the instance may not publish to: the ONS hint; and no `inspect tenancies`:
    // the home region cannot be checked.
    s.fakes.notifications.deny_publish(true);
    s.fakes.iam.deny_inspect(true);
    let out = s.doctor(&s.config(), &["--alert-probe"]);
    assert_exit(&out, 1);
    let home = finding(&out, &format!("warn  home region: oci_usage:{TENANCY}"));
    assert_contains(&home, "could not check: GET ");
    assert_contains(&home, "404 NotAuthorizedOrNotFound");
    assert_contains(
        &home,
        "fix: allow dynamic-group <dynamic-group> to inspect tenancies in tenancy",
    );
    let bling = finding(&out, &format!("FAIL  bling listable: oci_usage:{TENANCY}"));
    assert_contains(&bling, "region must be the tenancy's home region");
    assert_contains(&bling, "404 BucketNotFound");
    assert_contains(&bling, "opc-request-id");
    assert_contains(
        &bling,
        "define tenancy usage-report as ocid1.tenancy.oc1..aaaaaaaaned4fkpkisbwjlr56u7cj63lf3wffbilvqknstgtvzub7vhqkggq",
    );
    assert_contains(
        &bling,
        "endorse dynamic-group <dynamic-group> to read objects in tenancy usage-report",
    );
    assert!(!bling.contains("the cause"), "{bling}");
    let ons = finding(&out, "FAIL  alert probe: [alerts.ops] (oci_notifications)");
    assert_contains(&ons, "404 NotAuthorizedOrNotFound");
    assert_contains(&ons, "fix: check the topic OCID");
    assert_contains(&ons, "to use ons-topics in compartment");
}

#[test]
fn wrong_region_bling_404_names_the_home_region_first() {
    let rt = runtime();
    let s = rt.block_on(Setup::start(
        "doctor-region",
        &Scenario {
            bling: false,
            home_region: "us-phoenix-1",
            ..Scenario::default()
        },
    ));
    let out = s.doctor(&s.config(), &[]);
    assert_exit(&out, 1);
    let region = finding(&out, &format!("FAIL  home region: oci_usage:{TENANCY}"));
    assert_contains(
        &region,
        "the tenancy's home region is us-phoenix-1 (PHX); the remote reads from us-ashburn-1",
    );
    assert_contains(
        &region,
        "set region = \"us-phoenix-1\" in [remotes.oci_usage]",
    );
    let bling = finding(&out, "FAIL  bling listable:");
    let cause = bling.find("first, the cause").expect("the region first");
    let define = bling
        .find("define tenancy usage-report")
        .expect("then the policy");
    assert!(cause < define, "{bling}");
    assert_contains(&bling, "set region = \"us-phoenix-1\"");
}

#[test]
fn wrong_secret_ocid_or_missing_secret_bundles_policy_is_a_404_with_the_policy_line() {
    let rt = runtime();
    let s = rt.block_on(Setup::start("doctor-secret", &Scenario::default()));
    let wrong = "ocid1.vaultsecret.oc1.iad.amaaaaaadoesnotexist";
    let text = std::fs::read_to_string(s.config())
        .unwrap()
        .replace(ACCESS_KEY_OCID, wrong);
    let cfg = config(&s.dir, &text);
    let out = s.doctor(&cfg, &[]);
    assert_exit(&out, 1);
    let secret = finding(
        &out,
        &format!("FAIL  vault secret: [credentials.vault] access_key_id {wrong}"),
    );
    assert_contains(&secret, "404 NotAuthorizedOrNotFound");
    assert_contains(
        &secret,
        &format!(
            "allow dynamic-group <dynamic-group> to read secret-bundles in compartment <secrets' compartment> where any {{target.secret.id = '{wrong}', target.secret.id = '{SECRET_KEY_OCID}'}}"
        ),
    );
    assert_contains(&secret, "`secrets` is the wrong resource type");
    finding(
        &out,
        "ok    vault secret: [credentials.vault] secret_access_key",
    );
    // The S3 branch stops there.
    finding(&out, "skip  S3 credentials: aws_s3:");
    finding(&out, "skip  S3 listable:");
    // Only the S3 clock check's unsigned `GET /` reached S3.
    let log = s.s3.requests();
    assert!(
        log.iter().all(|(m, t, _)| m == "GET" && t == "/"),
        "{log:?}"
    );
}

#[test]
fn a_secret_with_a_trailing_newline_is_a_warning_that_names_it_not_its_value() {
    let rt = runtime();
    let s = rt.block_on(Setup::start(
        "doctor-newline",
        &Scenario {
            access_key_value: format!("{ACCESS_KEY}\n"),
            ..Scenario::default()
        },
    ));
    let out = s.doctor(&s.config(), &[]);
    assert_exit(&out, 0);
    let secret = finding(
        &out,
        &format!("warn  vault secret: [credentials.vault] access_key_id {ACCESS_KEY_OCID}"),
    );
    assert_contains(
        &secret,
        "ends with a newline (21 bytes stored, 20 characters after trimming)",
    );
    assert_contains(&secret, "ocisync trims it");
    assert_contains(&secret, "printf '%s'");
    assert!(!stdout(&out).contains(ACCESS_KEY), "{}", stdout(&out));
    // ocisync trims it, so the rest works.
    finding(
        &out,
        &format!("ok    S3 listable: aws_s3:{}/{PREFIX}/", s.s3.bucket),
    );
    assert_contains(&stdout(&out), "checks: 0 failed, 1 warnings");
}

#[test]
fn without_a_metadata_service_the_oci_branch_stops_at_once() {
    let rt = runtime();
    let s = rt.block_on(Setup::start("doctor-noimds", &Scenario::default()));
    let absent = format!("http://127.0.0.1:{}/opc/v2", closed_port());
    let out = s.doctor_with_metadata(&absent, &s.config(), &[]);
    assert_exit(&out, 1);
    let imds = finding(&out, &format!("FAIL  instance metadata: {absent}"));
    assert_contains(
        &imds,
        &format!("GET {absent}/instance/ → could not connect"),
    );
    assert_contains(&imds, "is this an OCI compute instance?");
    assert_contains(&imds, "OCI_METADATA_BASE_URL is set");
    for head in [
        "skip  home region:",
        "skip  bling listable:",
        "skip  vault secret: [credentials.vault] access_key_id",
        "skip  vault secret: [credentials.vault] secret_access_key",
        "skip  S3 credentials:",
        "skip  S3 listable:",
    ] {
        assert_contains(
            &finding(&out, head),
            "not checked: instance metadata failed",
        );
    }
    assert!(
        !stdout(&out).contains("federation token"),
        "{}",
        stdout(&out)
    );
    assert_eq!(s.fakes.federation.monitor().log().len(), 0);
    assert_eq!(s.fakes.vault.monitor().log().len(), 0);
    assert_eq!(s.storage.monitor().log().len(), 0);
}

#[test]
fn a_skewed_clock_fails_with_both_times_and_the_offset() {
    let rt = runtime();
    let s = rt.block_on(Setup::start("doctor-clock", &Scenario::default()));
    // The fakes' clock (shared by their Date headers and signature checks) 10 minutes ahead,
    // set as any client would: through the admin endpoint.
    let set = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/_fake/clock", s.storage.base_url()))
            .body(r#"{"offset_seconds": 600}"#)
            .send()
            .await
            .expect("set the clock")
    });
    assert!(set.status().is_success(), "{}", set.status());
    let out = s.doctor(&s.config(), &[]);
    assert_exit(&out, 1);
    let clock = finding(&out, "FAIL  clock (OCI):");
    assert_contains(&clock, "server Date: ");
    assert_contains(&clock, "local time:  ");
    assert!(
        ["offset: +599 s", "offset: +600 s", "offset: +601 s"]
            .iter()
            .any(|o| clock.contains(o)),
        "{clock}"
    );
    assert_contains(&clock, "this clock is slow");
    assert_contains(&clock, "timedatectl set-ntp true");
    assert_contains(&clock, "more than 5 minutes");
    finding(&out, "skip  bling listable:");
    finding(&out, "skip  vault secret:");
    // S3's clock (moto, real time) is fine.
    finding(&out, "ok    clock (S3):");
    assert_eq!(s.fakes.federation.monitor().log().len(), 0);
}

#[test]
fn s3_access_denied_prints_the_least_privilege_iam_policy() {
    let rt = runtime();
    let s = rt.block_on(Setup::start(
        "doctor-denied",
        &Scenario {
            s3_refusal: Some((403, "AccessDenied", "Access Denied")),
            ..Scenario::default()
        },
    ));
    let out = s.doctor(&s.config(), &[]);
    assert_exit(&out, 1);
    let listing = finding(
        &out,
        &format!("FAIL  S3 listable: aws_s3:{}/{PREFIX}/", s.s3.bucket),
    );
    assert_contains(
        &listing,
        "AccessDenied: Access Denied [request id DOCTORTESTREQ0001]",
    );
    assert_contains(&listing, "needs (least privilege");

    // The policy as JSON, from the JSON output's fix.
    let out = s.doctor(&s.config(), &["--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let check = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "S3 listable")
        .expect("S3 listable");
    let fix = check["fix"].as_str().expect("a fix");
    let policy: serde_json::Value =
        serde_json::from_str(&fix[fix.find('{').expect("JSON in the fix")..]).expect("policy");
    let bucket = &s.s3.bucket;
    assert_eq!(policy["Statement"][0]["Action"], "s3:ListBucket");
    assert_eq!(
        policy["Statement"][0]["Resource"],
        format!("arn:aws:s3:::{bucket}")
    );
    assert_eq!(
        policy["Statement"][0]["Condition"]["StringLike"]["s3:prefix"],
        serde_json::json!([PREFIX, format!("{PREFIX}/*")])
    );
    assert_eq!(
        policy["Statement"][1]["Action"],
        serde_json::json!([
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts"
        ])
    );
    assert_eq!(
        policy["Statement"][1]["Resource"],
        format!("arn:aws:s3:::{bucket}/{PREFIX}/*")
    );
}

#[test]
fn s3_invalid_access_key_id_says_the_keys_in_vault_are_wrong() {
    let rt = runtime();
    let s = rt.block_on(Setup::start(
        "doctor-badkey",
        &Scenario {
            s3_refusal: Some((
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            )),
            ..Scenario::default()
        },
    ));
    let out = s.doctor(&s.config(), &[]);
    assert_exit(&out, 1);
    let listing = finding(&out, "FAIL  S3 listable:");
    assert_contains(&listing, "InvalidAccessKeyId");
    assert_contains(
        &listing,
        &format!(
            "the keys in Vault ([credentials.vault]: access_key_id {ACCESS_KEY_OCID}, secret_access_key {SECRET_KEY_OCID}) are wrong"
        ),
    );
    // The Vault itself was fine.
    finding(
        &out,
        "ok    vault secret: [credentials.vault] access_key_id",
    );
}

/// An S3 remote with `env_auth = true` in an environment with no AWS credentials at all.
fn env_auth_setup(s3: &S3, dir: &TempDir) -> (PathBuf, TempDir) {
    let cfg = config(
        dir,
        &format!(
            "[remotes.aws_s3]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\nenv_auth = true\n",
            s3.endpoint()
        ),
    );
    (cfg, TempDir::new("doctor-empty-home"))
}

fn without_credentials(home: &TempDir) -> Command {
    let mut command = clean_env(ocisync());
    command.env("HOME", home.path());
    command
}

#[test]
fn missing_aws_credentials_are_named_as_missing() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("doctor-noaws"));
    let dir = TempDir::new("doctor-noaws");
    let (cfg, home) = env_auth_setup(&s3, &dir);
    let mut command = without_credentials(&home);
    command
        .arg("--config")
        .arg(&cfg)
        .arg("doctor")
        .arg(format!("aws_s3:{}/{PREFIX}", s3.bucket));
    let out = run_doctor(command);
    assert_exit(&out, 1);
    let creds = finding(&out, "FAIL  S3 credentials: aws_s3:");
    assert_contains(
        &creds,
        "no AWS credentials found: env_auth = true looked in the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
    );
    assert_contains(&creds, &format!("{}/.aws/credentials", home.str()));
    assert_contains(
        &creds,
        "EC2 instance metadata (not asked: AWS_EC2_METADATA_DISABLED=true)",
    );
    assert_contains(
        &creds,
        "fix: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or use credentials = \"NAME\" with an oci_vault provider",
    );
    finding(&out, "skip  S3 listable:");
    // Only the clock check's unsigned `GET /` reached S3.
    let log = s3.requests();
    assert!(
        log.iter().all(|(m, t, _)| m == "GET" && t == "/"),
        "{log:?}"
    );
}

#[test]
fn sync_with_env_auth_and_no_aws_credentials_exits_6_at_once() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("doctor-sync-noaws"));
    let dir = TempDir::new("doctor-sync-noaws");
    let (cfg, home) = env_auth_setup(&s3, &dir);
    let src = TempDir::new("doctor-sync-src");
    write_files(src.path(), &[("a.csv", b"a,b\n")]);
    let started = Instant::now();
    let out = without_credentials(&home)
        .arg("--config")
        .arg(&cfg)
        .args(["sync", src.str(), &format!("aws_s3:{}/{PREFIX}", s3.bucket)])
        .output()
        .expect("run ocisync sync");
    let took = started.elapsed();
    println!("exit {} after {took:?}\n{}", code(&out), stderr(&out));
    assert_exit(&out, 6);
    let err = stderr(&out);
    assert_contains(
        &err,
        "aws_s3: no AWS credentials found: env_auth = true looked in the environment",
    );
    assert_contains(
        &err,
        "use credentials = \"NAME\" with an oci_vault provider",
    );
    assert!(!err.contains("Attempt "), "retried:\n{err}");
    assert!(!err.contains("signing http request"), "{err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(s3.requests().is_empty(), "{:?}", s3.requests());
}

/// A metadata service that answers only the legacy v1 paths, as a v1-only one would.
struct V1OnlyMetadata;

impl Service for V1OnlyMetadata {
    fn operation(&self, _method: &Method, target: &str) -> &'static str {
        if target.starts_with("/opc/v1/") {
            "V1"
        } else {
            "Other"
        }
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let (status, body) = if request.uri().path().starts_with("/opc/v1/") {
            (StatusCode::OK, r#"{"id":"ocid1.instance.oc1.iad.v1only"}"#)
        } else {
            (
                StatusCode::NOT_FOUND,
                r#"{"code":"NotFound","message":"Not Found"}"#,
            )
        };
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::new(body.into()))
            .unwrap()
    }
}

#[test]
fn a_metadata_service_without_v2_is_called_v1_only() {
    let rt = runtime();
    let s = rt.block_on(Setup::start("doctor-v1", &Scenario::default()));
    let v1 = rt
        .block_on(Server::start(Arc::new(V1OnlyMetadata), 0))
        .expect("v1-only metadata");
    let base = format!("{}/opc/v2", v1.base_url());
    let out = s.doctor_with_metadata(&base, &s.config(), &[]);
    assert_exit(&out, 1);
    let imds = finding(&out, &format!("FAIL  instance metadata: {base}"));
    assert_contains(&imds, &format!("GET {base}/instance/ → 404 NotFound"));
    assert_contains(&imds, "/opc/v1/instance/ → 200 OK");
    assert_contains(&imds, "IMDS v1 answers but v2 does not — IMDS v1-only?");
    finding(&out, "skip  bling listable:");
}

#[test]
fn a_user_principal_bling_remote_is_checked_with_group_policies() {
    use crate::support::oci::{Oci, TENANCY as USER_TENANCY};
    use ocisync_fakes::identity::{FakeIdentity, Tenancy};
    let rt = runtime();
    let (oci, iam) = rt.block_on(async {
        let oci = Oci::start(true).await;
        let iam = FakeIdentity::start(
            oci.fake.keys().clone(),
            Tenancy::new(USER_TENANCY, Region::named("us-ashburn-1").unwrap()),
        )
        .await
        .expect("identity");
        (oci, iam)
    });
    let dir = TempDir::new("doctor-user");
    let cfg = config(&dir, &oci.remote_toml("oci_usage"));
    let doctor = |iam_endpoint: &str| {
        let mut command = clean_env(ocisync());
        command
            .env(
                "OCI_METADATA_BASE_URL",
                format!("http://127.0.0.1:{}/opc/v2", closed_port()),
            )
            .env("OCISYNC_IDENTITY_ENDPOINT", iam_endpoint)
            .arg("--config")
            .arg(&cfg)
            .args(["doctor", &format!("oci_usage:{USER_TENANCY}")]);
        run_doctor(command)
    };
    let out = doctor(&iam.base_url());
    assert_exit(&out, 0);
    finding(&out, "ok    OCI identity: oci_usage:");
    finding(&out, "ok    home region:");
    finding(&out, "ok    bling listable:");
    // No metadata service was needed (nor asked).
    assert!(
        !stdout(&out).contains("instance metadata"),
        "{}",
        stdout(&out)
    );

    // Another tenancy's reports: 404, and the policy lines name a group, not a dynamic group.
    let other = "ocid1.tenancy.oc1..aaaaaaaaanothertenancy";
    let mut command = clean_env(ocisync());
    command
        .env(
            "OCI_METADATA_BASE_URL",
            format!("http://127.0.0.1:{}/opc/v2", closed_port()),
        )
        .env("OCISYNC_IDENTITY_ENDPOINT", iam.base_url())
        .arg("--config")
        .arg(&cfg)
        .args(["doctor", &format!("oci_usage:{other}")]);
    let out = run_doctor(command);
    assert_exit(&out, 1);
    assert_contains(
        &finding(&out, "warn  home region:"),
        "fix: allow group <group> to inspect tenancies in tenancy",
    );
    let bling = finding(&out, &format!("FAIL  bling listable: oci_usage:{other}"));
    assert_contains(&bling, "404 BucketNotFound");
    assert_contains(
        &bling,
        "endorse group <group> to read objects in tenancy usage-report",
    );
}
