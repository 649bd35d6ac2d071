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

    // Plain FTP to a server that requires TLS: the login (for the login directory, when the
    // remote is opened) is refused.
    let e = open(server.port, "a", &[])
        .await
        .expect_err("a plain login to a TLS-only server");
    assert!(e.to_string().contains("logging in"), "{e}");

    // Trusting another CA: the certificate is refused, at open and by the operator's own
    // connections (an absolute path needs no login directory).
    // SAFETY: set before any thread of this test reads it; this test binary's only other
    // test does not read it.
    unsafe { std::env::set_var("SSL_CERT_FILE", certs.join("other-ca.pem")) };
    let e = open(server.port, "a", &tls)
        .await
        .expect_err("an untrusted certificate");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    let untrusted = open(server.port, "/a", &tls).await.unwrap();
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
}

/// A server that starts a login in `/home/ocisync` (pyftpdlib with a handler that changes
/// directory after the login, as a server that does not chroot its users): `ftp:drop` is
/// `/home/ocisync/drop`, as rclone reads it, and `ftp:/abs` is `/abs`. The real rclone lists
/// what ocisync wrote under the same path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_paths_start_at_the_login_directory_as_in_rclone() {
    ocisync_backend::transport::install();
    let dir = scratch("ftp-home");
    std::fs::create_dir_all(dir.join("home/ocisync")).unwrap();
    let port = ocisync_fakes::servers::free_port();
    let script = r#"
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
auth = DummyAuthorizer()
auth.add_user("ocisync", "ftp-secret", sys.argv[1], perm="elradfmwMT")
class Home(FTPHandler):
    def on_login(self, username):
        self.fs.cwd = "/home/ocisync"
Home.authorizer = auth
FTPServer(("127.0.0.1", int(sys.argv[2])), Home).serve_forever()
"#;
    let args: Vec<String> = vec![
        "-c".into(),
        script.into(),
        dir.to_string_lossy().into_owned(),
        port.to_string(),
    ];
    let server =
        ocisync_fakes::servers::start("pyftpdlib-home", Path::new("python3"), &args, port, &dir);
    let rel = open(port, "drop", &[]).await.unwrap();
    rel.op.write("x.csv", b"relative".to_vec()).await.unwrap();
    assert_eq!(
        std::fs::read(dir.join("home/ocisync/drop/x.csv")).unwrap(),
        b"relative",
        "{}",
        server.log()
    );
    let abs = open(port, "/abs", &[]).await.unwrap();
    abs.op.write("y.csv", b"absolute".to_vec()).await.unwrap();
    assert_eq!(std::fs::read(dir.join("abs/y.csv")).unwrap(), b"absolute");
    let remote = format!(
        ":ftp,host=127.0.0.1,port={port},user=ocisync,pass={}:drop",
        ocisync_obscure::obscure("ftp-secret")
    );
    let out = Command::new("rclone")
        .args(["--config", "/nonexistent/rclone.conf", "lsf", &remote])
        .output()
        .expect("rclone on PATH (the test venv)");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "x.csv",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A wrong password fails the open as an authentication problem, without the password.
    let mut values = ConfigValues::new();
    let wrong = ocisync_obscure::obscure("Wr0ng-ftp-q7");
    let port_s = port.to_string();
    for (k, v) in [
        ("host", "127.0.0.1"),
        ("port", port_s.as_str()),
        ("user", "ocisync"),
        ("pass", wrong.as_str()),
    ] {
        values.insert(k.to_string(), RawValue::String(v.to_string()));
    }
    let global = GlobalOptions::default();
    let e = ocisync_ftp::BACKEND
        .open(OpenContext {
            name: "ftp",
            path: "drop",
            values: &values,
            credentials: None,
            global: &global,
        })
        .await
        .expect_err("a wrong password");
    assert_eq!(e.kind, ocisync_backend::ErrorKind::Auth, "{e}");
    assert!(!e.to_string().contains("Wr0ng-ftp-q7"), "{e}");
}
