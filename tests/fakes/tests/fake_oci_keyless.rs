//! `fake-oci --keyless` as a process, the way a shell-driven test uses it: it prints one JSON
//! line of base URLs, every service answers on 127.0.0.1 sharing one key ring and clock, and
//! SIGTERM stops it cleanly.

mod common;

use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{Client, JsonBody, Sign, USER, oci_error};
use ocisync_fakes::keys::TestKeyPair;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// fake-oci's default bucket, which `--keyless` takes as the tenancy.
const TENANCY: &str = "ocid1.tenancy.oc1..aaaaaaaafaketenancy";
const SECRET: &str = "ocid1.vaultsecret.oc1.iad.aaaaaaaafakeociprocess";
const TOPIC: &str = "ocid1.onstopic.oc1.iad.aaaaaaaafakeociprocess";

#[tokio::test]
async fn keyless_mode_prints_its_urls_and_every_service_answers() {
    let key = TestKeyPair::generate().unwrap();
    let pem_path = std::env::temp_dir().join(format!(
        "fake-oci-keyless-{}-{}.pem",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    std::fs::write(&pem_path, key.public_key().to_pem()).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-oci"))
        .args([
            "--keyless",
            "--home-region",
            "us-phoenix-1",
            "--topic",
            TOPIC,
        ])
        .arg("--secret")
        .arg(format!("{SECRET}=AKIA=KEYLESS"))
        .args(["--tenancy", TENANCY, "--user", USER, "--public-key"])
        .arg(&pem_path)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), stdout.next_line())
        .await
        .expect("fake-oci printed its URLs")
        .unwrap()
        .expect("a line on stdout");
    let _ = std::fs::remove_file(&pem_path);
    let urls: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = |name: &str| -> String {
        let value = urls[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {line}"));
        assert!(value.starts_with("http://127.0.0.1:"), "{name}: {value}");
        value.to_string()
    };
    let imds = url("imds");
    assert!(imds.ends_with("/opc/v2"), "{imds}");
    let federation = url("federation");
    assert!(federation.ends_with("/v1/x509"), "{federation}");
    assert_eq!(urls["tenancy"], TENANCY);
    assert_eq!(urls["namespace"], "bling");
    assert_eq!(urls["home_region"], "us-phoenix-1");
    assert_eq!(urls["region"], "us-ashburn-1");

    let http = reqwest::Client::new();
    let region = http
        .get(format!("{imds}/instance/region"))
        .header("authorization", "Bearer Oracle")
        .send()
        .await
        .unwrap();
    assert_eq!(region.status(), 200);
    assert_eq!(region.text().await.unwrap(), "iad");

    // The federation checks its requests: an unsigned one is refused.
    let refused = http.post(&federation).body("{}").send().await.unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());

    // The API key given on the command line is trusted by every signed service.
    let key_id = format!("{TENANCY}/{USER}/{}", key.public_key().fingerprint());
    let signed = Client::for_url(&url("objectstorage"), Some((key, key_id)));
    let namespace = signed.get("/n/").await;
    assert_eq!(namespace.status(), 200);
    assert_eq!(namespace.json_value().await, "bling");

    let identity = signed.at(&url("identity"));
    let tenancy = identity
        .get(&format!("/20160918/tenancies/{TENANCY}"))
        .await
        .json_value()
        .await;
    assert_eq!(tenancy["homeRegionKey"], "PHX");
    let regions = identity
        .get(&format!(
            "/20160918/tenancies/{TENANCY}/regionSubscriptions"
        ))
        .await
        .json_value()
        .await;
    assert_eq!(regions.as_array().map(Vec::len), Some(2), "{regions}");

    let bundle = signed
        .at(&url("vault"))
        .get(&format!("/20190301/secretbundles/{SECRET}"))
        .await
        .json_value()
        .await;
    let content = bundle["secretBundleContent"]["content"].as_str().unwrap();
    assert_eq!(STANDARD.decode(content).unwrap(), b"AKIA=KEYLESS");

    let notifications = url("notifications");
    let published = signed
        .at(&notifications)
        .send(
            "POST",
            &format!("/20181201/topics/{TOPIC}/messages"),
            &[],
            br#"{"title":"t","body":"from the process test"}"#.to_vec(),
            Sign::WithBody,
        )
        .await;
    assert_eq!(published.status(), 200);
    let messages = reqwest::get(format!("{notifications}/_fake/messages"))
        .await
        .unwrap()
        .json_value()
        .await;
    assert_eq!(messages[0]["body"], "from the process test");
    assert_eq!(messages[0]["topic_id"], TOPIC);

    // One clock for the whole process: shifted through one server, refused by another.
    let set = http
        .post(format!("{notifications}/_fake/clock"))
        .body(r#"{"offset_seconds": -900}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let (status, _, message) = oci_error(
        identity
            .get(&format!("/20160918/tenancies/{TENANCY}"))
            .await,
    )
    .await;
    assert_eq!(status, 401);
    assert!(message.contains("clock skew"), "{message}");

    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("fake-oci exits on SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}
