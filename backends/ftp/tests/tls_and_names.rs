//! Explicit FTPS against pyftpdlib with certificates made at test time by the openssl CLI (a
//! CA and a leaf for 127.0.0.1), trusted through SSL_CERT_FILE as an operator trusts a private
//! CA; and what happens to names FTP's LIST lines cannot carry.

use std::path::Path;
use std::process::Command;

use futures::StreamExt;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_fakes::servers::{pyftpdlib, scratch};

async fn open(port: u16, root: &str, extra: &[(&str, &str)]) -> ocisync_backend::Result<Remote> {
    let mut values = ConfigValues::new();
    let pass = ocisync_obscure::obscure("ftp-secret");
    let port = port.to_string();
    let base = [
        ("host", "127.0.0.1"),
        ("port", port.as_str()),
        ("user", "ocisync"),
        ("pass", pass.as_str()),
    ];
    for (k, v) in base.iter().chain(extra) {
        values.insert(k.to_string(), RawValue::String(v.to_string()));
    }
    let global = GlobalOptions::default();
    ocisync_ftp::BACKEND
        .open(OpenContext {
            name: "ftps",
            path: root,
            values: &values,
            credentials: None,
            global: &global,
        })
        .await
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl CLI (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `NAME-ca.pem`, and a leaf for 127.0.0.1 it signed (`NAME.pem`, `NAME.key`).
fn certificates(dir: &Path, name: &str) {
    let (ca_key, ca) = (format!("{name}-ca.key"), format!("{name}-ca.pem"));
    let (key, csr, cert) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    let ext = format!("{name}.ext");
    let subject = format!("/CN={name} test CA");
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &subject,
            "-keyout", &ca_key, "-out", &ca,
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            &key,
            "-out",
            &csr,
        ],
    );
    std::fs::write(
        dir.join(&ext),
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\n\
         extendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    );
}

async fn list_all(r: &Remote) -> (Vec<String>, Vec<String>) {
    let (mut keys, mut errors) = (Vec::new(), Vec::new());
    match r.list(true).await {
        Ok(mut l) => {
            while let Some(item) = l.next().await {
                match item {
                    Ok(o) => keys.push(o.path.to_string()),
                    Err(e) => errors.push(e.to_string()),
                }
            }
        }
        Err(e) => errors.push(e.to_string()),
    }
    keys.sort();
    (keys, errors)
}

/// The conformance suite over explicit FTPS, after a connection to a server whose certificate
/// is not trusted has failed with an error (not a panic: two rustls providers are compiled in,
/// and the backend installs aws-lc as the default before the first TLS connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_ftps_verifies_the_server_and_passes_the_conformance_suite() {
    ocisync_backend::transport::install();
    let certs = scratch("ftps-certs");
    certificates(&certs, "server");
    certificates(&certs, "other");
    let dir = scratch("ftps-root");
    let server = pyftpdlib(
        &dir,
        "ocisync",
        "ftp-secret",
        Some((&certs.join("server.pem"), &certs.join("server.key"))),
    );
    let tls = [("explicit_tls", "true")];

    // Plain FTP to a server that requires TLS: the login is refused.
    let plain = open(server.port, "a", &[]).await.unwrap();
    plain
        .op
        .write("x.csv", b"x".to_vec())
        .await
        .expect_err("a plain login to a TLS-only server");

    // Trusting another CA: the certificate is refused.
    // SAFETY: set before any thread of this test reads it; this test binary's only other
    // test does not read it.
    unsafe { std::env::set_var("SSL_CERT_FILE", certs.join("other-ca.pem")) };
    let untrusted = open(server.port, "a", &tls).await.unwrap();
    let err = untrusted
        .op
        .write("x.csv", b"x".to_vec())
        .await
        .expect_err("an untrusted certificate");
    assert!(
        format!("{err:?}").to_lowercase().contains("certificate"),
        "{err:?}"
    );
    assert!(!dir.join("a/x.csv").exists());

    unsafe { std::env::set_var("SSL_CERT_FILE", certs.join("server-ca.pem")) };
    let r = open(server.port, "a/b", &tls).await.unwrap();
    r.op.write("d/x.csv", b"over tls".to_vec()).await.unwrap();
    assert_eq!(
        std::fs::read(dir.join("a/b/d/x.csv")).unwrap(),
        b"over tls",
        "{}",
        server.log()
    );

    struct Ftps(u16);
    #[async_trait::async_trait]
    impl ocisync_conformance::Fixture for Ftps {
        fn name(&self) -> &str {
            "ftp over explicit TLS (pyftpdlib)"
        }
        async fn remote(&self, case: &str) -> Remote {
            open(
                self.0,
                &format!("conformance/{case}"),
                &[("explicit_tls", "true")],
            )
            .await
            .expect("open ftps")
        }
    }
    ocisync_conformance::run(&Ftps(server.port)).await;
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(certs);
}

/// Names another tool wrote that an `ls`-style line cannot carry: a listing that gives one
/// name twice fails naming it, and so does a stat of that name — never another file's size.
/// A missing root lists as empty and is not created by the listing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_list_cannot_carry_fail_and_listings_create_no_root() {
    ocisync_backend::transport::install();
    let dir = scratch("ftp-names");
    let server = pyftpdlib(&dir, "ocisync", "ftp-secret", None);
    std::fs::create_dir_all(dir.join("r")).unwrap();
    std::fs::write(dir.join("r/ lead.csv"), b"leading space").unwrap();
    std::fs::write(dir.join("r/lead.csv"), b"x").unwrap();
    let r = open(server.port, "r", &[]).await.unwrap();
    let (_, errors) = list_all(&r).await;
    assert!(
        errors
            .iter()
            .any(|e| e.contains("\"lead.csv\" twice") && e.contains("leading spaces")),
        "{errors:?}"
    );
    let e = r.stat("lead.csv").await.expect_err("an ambiguous stat");
    assert!(e.to_string().contains("twice"), "{e}");

    // A missing root lists as empty (as OpenDAL's other services list one), without creating
    // it; the first write creates it, parents included.
    for root in ["typo", "no/such"] {
        let missing = open(server.port, root, &[]).await.unwrap();
        let (keys, errors) = list_all(&missing).await;
        assert!(keys.is_empty() && errors.is_empty(), "{keys:?} {errors:?}");
    }
    assert!(!dir.join("typo").exists(), "listing a missing root made it");
    assert!(!dir.join("no").exists(), "listing a missing root made it");
    let deep = open(server.port, "no/such", &[]).await.unwrap();
    deep.op.write("x.csv", b"x".to_vec()).await.unwrap();
    assert_eq!(std::fs::read(dir.join("no/such/x.csv")).unwrap(), b"x");
    let _ = std::fs::remove_dir_all(dir);
}
