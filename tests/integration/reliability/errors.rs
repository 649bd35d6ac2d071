//! Item 6: bad input ends a run at once with a one-line cause and rclone's exit code — refused
//! or missing credentials, a malformed key, a clock that is off (said with the offset, from the
//! server's `Date`), an unreachable endpoint, a name that does not resolve, a TLS failure, a
//! bucket in another region, a full disk. Errors that retrying cannot fix are not retried:
//! the server sees one request (two for OCI, which refreshes its credentials once on 401).

use std::process::{Command, Output};

use ocisync_fakes::objectstorage::SeedObject;

use super::moto::Hooked;
use crate::support::oci::{Oci, TENANCY};
use crate::support::tree::{TempDir, bytes, config, write_files};
use crate::support::{assert_code, assert_offset_said, run, runtime, stderr};

/// The ERROR lines of a run's output.
fn errors(out: &Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| l.contains("ERROR"))
        .map(str::to_string)
        .collect()
}

/// The run was not retried: no "Attempt 1/3 failed" line.
fn not_retried(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("Attempt 1/3 failed"), "retried:\n{err}");
}

fn s3_error(code: &str, message: &str, extra: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message>{extra}<RequestId>R1</RequestId></Error>"
    )
}

#[test]
fn credentials_the_server_refuses_fail_at_once_with_exit_6() {
    let rt = runtime();
    let dst = TempDir::new("creds-dst");
    for (code, message) in [
        (
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
        ("ExpiredToken", "The provided token has expired."),
        (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
    ] {
        let s3 = rt.block_on(Hooked::start("creds"));
        s3.answer("ListObjects", 403, &[], &s3_error(code, message, ""));
        let dir = TempDir::new("creds");
        let cfg = config(&dir, &s3.remote_toml("s3"));
        let out = run(&cfg, &["sync", &s3.at("s3", ""), dst.str()]);
        assert_code(&out, 6);
        not_retried(&out);
        assert_eq!(s3.count("ListObjects"), 1, "{code}: one request");
        assert!(
            errors(&out)
                .iter()
                .any(|l| l.contains(code) && l.contains(message)),
            "{code}: {}",
            stderr(&out)
        );
    }
    // No credentials at all (env_auth with nothing in the environment).
    let s3 = rt.block_on(Hooked::start("nocreds"));
    let dir = TempDir::new("nocreds");
    let cfg = config(
        &dir,
        &format!(
            "[remotes.s3]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"{}\"\nenv_auth = true\n",
            s3.server.base_url()
        ),
    );
    let out = crate::support::ocisync()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .arg("--config")
        .arg(&cfg)
        .args(["sync", &s3.at("s3", ""), dst.str()])
        .output()
        .unwrap();
    assert_code(&out, 6);
    assert!(
        stderr(&out).contains("no AWS credentials found"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s3.log().len(), 0, "nothing sent without credentials");
}

#[test]
fn an_unknown_or_malformed_oci_key_fails_at_once() {
    let rt = runtime();
    let oci = rt.block_on(Oci::start(true));
    oci.fake
        .seed("bling", TENANCY, SeedObject::new("a.csv", b"a".to_vec()));
    let dst = TempDir::new("key-dst");
    // A key the service does not know (another key pair, same OCIDs): 401.
    let dir = TempDir::new("key");
    let other = ocisync_fakes::keys::TestKeyPair::generate().unwrap();
    let pem = dir.join("other.pem");
    std::fs::write(&pem, other.private_key_pem().unwrap().as_bytes()).unwrap();
    std::fs::set_permissions(&pem, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let original = std::fs::read_to_string(&oci.oci_config).unwrap();
    let key_line = original
        .lines()
        .find(|l| l.starts_with("key_file="))
        .unwrap();
    let fp_line = original
        .lines()
        .find(|l| l.starts_with("fingerprint="))
        .unwrap();
    let oci_config = dir.join("oci-config");
    std::fs::write(
        &oci_config,
        original
            .replace(key_line, &format!("key_file={}", pem.display()))
            .replace(
                fp_line,
                &format!("fingerprint={}", other.public_key().fingerprint()),
            ),
    )
    .unwrap();
    let remote = oci.remote_toml("oci").replace(
        &oci.oci_config.display().to_string(),
        &oci_config.display().to_string(),
    );
    let cfg = config(&dir, &remote);
    oci.fake.monitor().reset();
    let out = run(&cfg, &["sync", &format!("oci:{TENANCY}"), dst.str()]);
    assert_code(&out, 6);
    not_retried(&out);
    assert!(
        stderr(&out).contains("NotAuthenticated"),
        "{}",
        stderr(&out)
    );
    assert!(
        oci.count("ListObjects") <= 2,
        "once, and once more after a refresh"
    );

    // A key file that is not a key: the file is named, nothing is sent.
    std::fs::write(
        &pem,
        "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    oci.fake.monitor().reset();
    let out = run(&cfg, &["sync", &format!("oci:{TENANCY}"), dst.str()]);
    assert_code(&out, 6);
    not_retried(&out);
    assert!(
        stderr(&out).contains(&pem.display().to_string()),
        "{}",
        stderr(&out)
    );
    assert_eq!(oci.fake.monitor().log().len(), 0, "nothing sent");
}

#[test]
fn a_clock_that_is_off_is_said_with_the_offset_from_the_servers_date() {
    let rt = runtime();
    let dst = TempDir::new("skew-dst");
    // S3: RequestTimeTooSkewed, the server's Date 20 minutes ahead of ours.
    let s3 = rt.block_on(Hooked::start("skew"));
    let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(20 * 60);
    let date = ahead.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
    s3.answer(
        "ListObjects",
        403,
        &[("date", &date)],
        &s3_error(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            "",
        ),
    );
    let dir = TempDir::new("skew");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let out = run(&cfg, &["sync", &s3.at("s3", ""), dst.str()]);
    assert_code(&out, 6);
    not_retried(&out);
    let err = stderr(&out);
    // 20 minutes, less the time between the test reading its clock and ocisync reading its own
    // (starting a process on a loaded CI machine takes seconds, not milliseconds).
    assert_offset_said(&err, "behind S3's", 20 * 60);
    // OCI: the service's clock 10 minutes behind ours.
    let oci = rt.block_on(Oci::start(true));
    oci.fake
        .keys()
        .clock()
        .set_offset(jiff::SignedDuration::from_secs(-10 * 60));
    let cfg = config(&dir, &oci.remote_toml("oci"));
    let out = run(&cfg, &["sync", &format!("oci:{TENANCY}"), dst.str()]);
    assert_code(&out, 6);
    not_retried(&out);
    let err = stderr(&out);
    assert_offset_said(&err, "ahead of OCI's", 10 * 60);
}

#[test]
fn a_bucket_in_another_region_names_the_region() {
    let rt = runtime();
    let s3 = rt.block_on(Hooked::start("region"));
    s3.answer(
        "ListObjects",
        301,
        &[("x-amz-bucket-region", "eu-west-1")],
        &s3_error(
            "PermanentRedirect",
            "The bucket you are attempting to access must be addressed using the specified endpoint.",
            "<Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint>",
        ),
    );
    let dir = TempDir::new("region");
    let dst = TempDir::new("region-dst");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let out = run(&cfg, &["sync", &s3.at("s3", ""), dst.str()]);
    assert_code(&out, 1);
    not_retried(&out);
    assert_eq!(s3.count("ListObjects"), 1);
    let err = stderr(&out);
    assert!(
        err.contains("in region eu-west-1") && err.contains("region = \"eu-west-1\""),
        "{err}"
    );
}

#[test]
fn unreachable_unresolvable_and_tls_failing_endpoints_are_one_line_each() {
    let rt = runtime();
    let dst = TempDir::new("net-dst");
    let dir = TempDir::new("net");
    let plain = rt.block_on(Hooked::start("tls"));
    let cases = [
        // Nothing listens on port 1.
        (
            "refused",
            "http://127.0.0.1:1".to_string(),
            "the endpoint refused the connection",
            5,
        ),
        // An http server spoken to in TLS.
        (
            "tls",
            plain.server.base_url().replace("http://", "https://"),
            "the TLS handshake with the endpoint failed",
            1,
        ),
    ];
    for (what, endpoint, says, exit) in cases {
        let cfg = config(
            &dir,
            &format!(
                "[remotes.s3]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"{endpoint}\"\nregion = \"us-east-1\"\naccess_key_id = \"k\"\nsecret_access_key = \"s\"\n"
            ),
        );
        let out = run(
            &cfg,
            &["sync", "s3:b", dst.str(), "--low-level-retries", "3"],
        );
        assert_eq!(crate::support::code(&out), exit, "{what}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(says), "{what}: {err}");
        assert!(
            errors(&out).iter().all(|l| l.len() < 600),
            "{what}: one line each:\n{err}"
        );
        if what == "tls" {
            not_retried(&out);
        }
    }
    // A name that does not resolve, where nothing can leave the machine.
    let cfg = config(
        &dir,
        "[remotes.s3]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"https://no-such-host.invalid\"\nregion = \"us-east-1\"\naccess_key_id = \"k\"\nsecret_access_key = \"s\"\n",
    );
    let out = Command::new("unshare")
        .args(["-rn", "sh", "-c", "ip link set lo up && exec \"$@\"", "sh"])
        .arg(env!("CARGO_BIN_EXE_ocisync"))
        .arg("--config")
        .arg(&cfg)
        .args(["sync", "s3:b", dst.str()])
        .env("HOME", "/nonexistent-home-for-tests")
        .output()
        .expect("unshare -rn");
    assert_ne!(crate::support::code(&out), 0);
    let err = stderr(&out);
    assert!(
        err.contains("no-such-host.invalid") && err.contains("resolve"),
        "{err}"
    );
    not_retried(&out);
}

#[test]
fn a_full_local_disk_is_said_once_and_not_retried() {
    // A 1 MiB file system of its own (a private mount namespace, as root or with user
    // namespaces), and a 4 MiB object to write into it.
    let src = TempDir::new("full-src");
    write_files(
        src.path(),
        &[("big.bin", &bytes(1, 4 << 20)), ("small.csv", b"s")],
    );
    let mnt = TempDir::new("full-mnt");
    let script = format!(
        "mount -t tmpfs -o size=1m tmpfs '{}' && exec \"$@\"",
        mnt.str()
    );
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", &script, "sh"])
        .arg(env!("CARGO_BIN_EXE_ocisync"))
        .args(["sync", src.str(), mnt.str()])
        .env("HOME", "/nonexistent-home-for-tests")
        .output()
        .expect("unshare -rm");
    let err = stderr(&out);
    assert!(
        !err.contains("unshare: "),
        "mount namespaces are needed: {err}"
    );
    assert_code(&out, 1);
    not_retried(&out);
    assert!(
        err.contains("big.bin") && err.contains("No space left on device"),
        "{err}"
    );
}
