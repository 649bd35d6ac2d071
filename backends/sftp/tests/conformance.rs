//! The backend conformance suite on SFTP, against `rclone serve sftp` (the pinned rclone, on
//! 127.0.0.1, key login only, its own host key) through the real OpenSSH client: a fresh
//! directory per case. Plus the failures an operator must be told about plainly: an unknown
//! host key, a wrong login key.

use std::path::{Path, PathBuf};
use std::process::Command;

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;
use ocisync_fakes::servers::{Server, rclone_serve, scratch};

/// Keys made for this test: the server's host key, the client's login key, the known_hosts
/// and authorized_keys files that trust them.
struct Keys {
    dir: ocisync_fakes::servers::Scratch,
}

impl Keys {
    fn new() -> Keys {
        let dir = scratch("sftp-keys");
        for name in ["host", "client", "stranger"] {
            let st = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
                .arg(dir.join(name))
                .status()
                .expect("ssh-keygen (openssh-client)");
            assert!(st.success(), "ssh-keygen {name}");
        }
        std::fs::copy(dir.join("client.pub"), dir.join("authorized_keys")).unwrap();
        Keys { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    /// A known_hosts file naming `127.0.0.1:port` with the public key in `pub_file`.
    fn known_hosts(&self, name: &str, port: u16, pub_file: &str) -> String {
        let key = std::fs::read_to_string(self.dir.join(pub_file)).unwrap();
        let mut fields = key.split_whitespace();
        let (algo, b64) = (fields.next().unwrap(), fields.next().unwrap());
        let path = self.dir.join(name);
        std::fs::write(&path, format!("[127.0.0.1]:{port} {algo} {b64}\n")).unwrap();
        path.to_string_lossy().into_owned()
    }
}

fn serve(keys: &Keys, dir: &Path) -> Server {
    rclone_serve(
        "sftp",
        dir,
        &[
            "--user",
            "ocisync",
            "--key",
            &keys.path("host"),
            "--authorized-keys",
            &keys.path("authorized_keys"),
        ],
    )
}

fn values(pairs: &[(&str, &str)]) -> ConfigValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), RawValue::String(v.to_string())))
        .collect()
}

async fn open(values: &ConfigValues, path: &str) -> ocisync_backend::Result<Remote> {
    let global = GlobalOptions::default();
    ocisync_sftp::BACKEND
        .open(OpenContext {
            name: "drop",
            path,
            values,
            credentials: None,
            global: &global,
        })
        .await
}

struct Sftp {
    values: ConfigValues,
    _server: Server,
}

#[async_trait]
impl Fixture for Sftp {
    fn name(&self) -> &str {
        "sftp (rclone serve sftp, OpenSSH client)"
    }

    async fn remote(&self, case: &str) -> Remote {
        open(&self.values, &format!("conformance/{case}"))
            .await
            .expect("open sftp")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sftp_passes_the_conformance_suite_against_rclone_serve_sftp() {
    let keys = Keys::new();
    let root = scratch("sftp-root");
    let server = serve(&keys, &root);
    let port = server.port.to_string();
    let known = keys.known_hosts("known_hosts", server.port, "host.pub");
    let values = values(&[
        ("host", "127.0.0.1"),
        ("port", &port),
        ("user", "ocisync"),
        ("key_file", &keys.path("client")),
        ("known_hosts_file", &known),
    ]);
    ocisync_conformance::run(&Sftp {
        values,
        _server: server,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_keys_and_refused_logins_are_said_plainly() {
    use futures::StreamExt;
    let keys = Keys::new();
    let root = scratch("sftp-root");
    let server = serve(&keys, &root);
    let port = server.port.to_string();
    // The file names another key for this host: a man in the middle, for ssh.
    let wrong = keys.known_hosts("wrong_known_hosts", server.port, "stranger.pub");
    let v = values(&[
        ("host", "127.0.0.1"),
        ("port", &port),
        ("user", "ocisync"),
        ("key_file", &keys.path("client")),
        ("known_hosts_file", &wrong),
    ]);
    let remote = open(&v, "x").await.expect("open is lazy");
    let first = match remote.list(true).await {
        Err(e) => e,
        Ok(mut s) => s.next().await.expect("an item").expect_err("must fail"),
    };
    let text = first.to_string();
    assert!(text.contains("host key"), "{text}");
    assert!(text.contains("ssh-keyscan"), "{text}");
    assert!(text.contains("wrong_known_hosts"), "{text}");
    // Nothing was written on the server.
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);

    // The right host key, a key the server does not know.
    let known = keys.known_hosts("known_hosts", server.port, "host.pub");
    let v = values(&[
        ("host", "127.0.0.1"),
        ("port", &port),
        ("user", "ocisync"),
        ("key_file", &keys.path("stranger")),
        ("known_hosts_file", &known),
    ]);
    let remote = open(&v, "x").await.expect("open is lazy");
    let err = remote
        .op
        .write("a.txt", b"x".to_vec())
        .await
        .expect_err("login must fail");
    let text = err.to_string();
    assert!(text.contains("refused the login"), "{text}");
    drop(server);
}

/// OpenSSH's own server (Debian `openssh-server`), run by this test as the current user on
/// 127.0.0.1: its own host key and authorized_keys in the scratch directory, key logins only,
/// the in-process `internal-sftp` subsystem. Paths are absolute (under the scratch directory),
/// so nothing is written in the user's home.
fn sshd(keys: &Keys) -> Server {
    let program = Path::new("/usr/sbin/sshd");
    assert!(
        program.exists(),
        "/usr/sbin/sshd missing: install openssh-server (scripts/test.sh does)"
    );
    // Its privilege-separation directory, as the package's service unit makes it.
    let _ = std::fs::create_dir_all("/run/sshd");
    let port = ocisync_fakes::servers::free_port();
    let cfg = keys.dir.join("sshd_config");
    std::fs::write(
        &cfg,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nAuthorizedKeysFile {auth}\n\
             PidFile none\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n",
            host = keys.path("host"),
            auth = keys.path("authorized_keys"),
        ),
    )
    .unwrap();
    let args = ["-D", "-e", "-f", &cfg.to_string_lossy()].map(String::from);
    ocisync_fakes::servers::start("sshd", program, &args, port, &keys.dir)
}

fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

struct OpenSsh {
    values: ConfigValues,
    root: PathBuf,
    _server: Server,
}

#[async_trait]
impl Fixture for OpenSsh {
    fn name(&self) -> &str {
        "sftp (OpenSSH sshd, internal-sftp)"
    }

    async fn remote(&self, case: &str) -> Remote {
        let path = format!("{}/conformance/{case}", self.root.display());
        open(&self.values, &path).await.expect("open sftp")
    }

    async fn put_raw(&self, case: &str, key: &str, data: &[u8]) -> bool {
        // The server's own file system, as another tool would have written it; a file system
        // holds no key with an empty, `.` or `..` segment (and `/abs` must not leave the root).
        if key.starts_with('/')
            || key.ends_with('/')
            || key
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return false;
        }
        let p = self.root.join("conformance").join(case).join(key);
        std::fs::create_dir_all(p.parent().unwrap()).is_ok() && std::fs::write(p, data).is_ok()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sftp_passes_the_conformance_suite_against_openssh_sshd() {
    let keys = Keys::new();
    let server = sshd(&keys);
    let root = scratch("sftp-sshd-root");
    let port = server.port.to_string();
    let known = keys.known_hosts("known_hosts", server.port, "host.pub");
    let user = current_user();
    let values = values(&[
        ("host", "127.0.0.1"),
        ("port", &port),
        ("user", &user),
        ("key_file", &keys.path("client")),
        ("known_hosts_file", &known),
    ]);
    ocisync_conformance::run(&OpenSsh {
        values,
        root: root.to_path_buf(),
        _server: server,
    })
    .await;
}

/// `rclone serve sftp` on a given port (to restart it where the remote expects it).
fn serve_on(keys: &Keys, dir: &Path, port: u16) -> Server {
    let rclone = std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("rclone"))
                .find(|p| p.is_file())
        })
        .expect("rclone on PATH");
    let args = [
        "serve",
        "sftp",
        &dir.to_string_lossy(),
        "--addr",
        &format!("127.0.0.1:{port}"),
        "--config",
        "/nonexistent/rclone.conf",
        "--user",
        "ocisync",
        "--key",
        &keys.path("host"),
        "--authorized-keys",
        &keys.path("authorized_keys"),
    ]
    .map(String::from);
    ocisync_fakes::servers::start("rclone-serve-sftp", &rclone, &args, port, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_is_connected_to_again() {
    let keys = Keys::new();
    let root = scratch("sftp-root");
    let port = ocisync_fakes::servers::free_port();
    let server = serve_on(&keys, &root, port);
    let known = keys.known_hosts("known_hosts", port, "host.pub");
    let v = values(&[
        ("host", "127.0.0.1"),
        ("port", &port.to_string()),
        ("user", "ocisync"),
        ("key_file", &keys.path("client")),
        ("known_hosts_file", &known),
        ("connections", "1"),
    ]);
    let remote = open(&v, "restart").await.unwrap();
    remote.op.write("a.txt", b"before".to_vec()).await.unwrap();
    assert_eq!(remote.op.read("a.txt").await.unwrap().to_vec(), b"before");
    // The server goes away (SIGKILL) and comes back: the ssh master and its channel are dead.
    drop(server);
    let _server = serve_on(&keys, &root, port);
    // (Not a.txt again: rclone's server may not have renamed it on disk before the SIGKILL.)
    remote.op.write("b.txt", b"after".to_vec()).await.unwrap();
    assert_eq!(remote.op.read("b.txt").await.unwrap().to_vec(), b"after");
    drop(remote);
}

/// A file of several read rounds (1 MiB each, 20 KiB requests sent together), whole and in
/// ranges that start and end inside requests, from both servers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_files_and_ranges_read_back_exactly_from_both_servers() {
    let keys = Keys::new();
    let rclone_root = scratch("sftp-root");
    let rclone = serve(&keys, &rclone_root);
    let openssh = sshd(&keys);
    let openssh_root = scratch("sftp-sshd-root");
    let data = ocisync_conformance::content(3, (3 << 20) + (1 << 19) + 7);
    for (server, user, path) in [
        (&rclone, "ocisync".to_string(), "big".to_string()),
        (
            &openssh,
            current_user(),
            format!("{}/big", openssh_root.display()),
        ),
    ] {
        let port = server.port.to_string();
        let known = keys.known_hosts("known_hosts", server.port, "host.pub");
        let v = values(&[
            ("host", "127.0.0.1"),
            ("port", &port),
            ("user", &user),
            ("key_file", &keys.path("client")),
            ("known_hosts_file", &known),
        ]);
        let remote = open(&v, &path).await.unwrap();
        remote.op.write("f.bin", data.clone()).await.unwrap();
        let whole = remote.op.read("f.bin").await.unwrap().to_vec();
        assert!(whole == data, "{user}@{port}: whole file differs");
        for (start, end) in [
            (0, 1),
            ((1 << 20) - 3, (3 << 20) + 5),
            (20 * 1024 - 1, 20 * 1024 + 1),
            (data.len() as u64 - 9, data.len() as u64),
        ] {
            let got = remote
                .op
                .read_with("f.bin")
                .range(start..end)
                .await
                .unwrap()
                .to_vec();
            assert!(
                got == data[start as usize..end as usize],
                "{user}@{port}: range {start}..{end} differs ({} bytes)",
                got.len()
            );
        }
    }
    drop((rclone, openssh));
    let _ = std::fs::remove_dir_all(rclone_root);
    let _ = std::fs::remove_dir_all(openssh_root);
}
