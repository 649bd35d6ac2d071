//! A real OpenStack Swift for the swift backend's tests: "Swift all in one" on 127.0.0.1 — one
//! account, container and object server (one device, one replica, rings made here with
//! `swift-ring-builder`) and a proxy with tempauth (user `test:tester`, key `testing`), each
//! started like the other servers in [`crate::servers`] and stopped with this value.
//!
//! Swift comes from PyPI (pinned in `tests/requirements-swift.txt`, installed by scripts/test.sh
//! into `target/venv-swift`; `OCISYNC_TEST_SWIFT_BIN` names another directory of its scripts).
//! tempauth issues Fernet tokens (`active_fernet_key_id`), so no memcached is needed. The
//! devices directory is a scratch directory: Swift needs user xattrs there (ext4, tmpfs and
//! overlayfs have them).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::servers::{Scratch, Server, free_port, scratch, start};

/// tempauth's account and user, as Swift's own functional tests use them.
pub const USER: &str = "test:tester";
pub const KEY: &str = "testing";

/// A running one-node Swift.
pub struct Saio {
    /// The v1 auth URL: `http://127.0.0.1:PORT/auth/v1.0`.
    pub auth_url: String,
    /// The account's storage URL: `http://127.0.0.1:PORT/v1/AUTH_test`.
    pub storage_url: String,
    pub proxy_port: u16,
    // Proxy first: dropped (stopped) before the servers behind it.
    proxy: Server,
    _servers: Vec<Server>,
    // Last: removed after the servers working in it have stopped.
    _dir: Scratch,
}

/// Where the Swift scripts are.
fn bin_dir() -> PathBuf {
    match std::env::var_os("OCISYNC_TEST_SWIFT_BIN") {
        Some(d) => PathBuf::from(d),
        None => {
            let target = match std::env::var_os("CARGO_TARGET_DIR") {
                Some(d) => PathBuf::from(d),
                None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")),
            };
            target.join("venv-swift/bin")
        }
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Starts a one-node Swift and waits until it answers a login.
pub fn saio() -> Saio {
    let bin = bin_dir();
    let ring_builder = bin.join("swift-ring-builder");
    assert!(
        ring_builder.exists(),
        "{} missing: install the pinned Swift (tests/requirements-swift.txt) into \
         target/venv-swift (scripts/test.sh does), or set OCISYNC_TEST_SWIFT_BIN",
        ring_builder.display()
    );
    let dir = scratch("swift");
    let devices = dir.join("devices");
    std::fs::create_dir_all(devices.join("d1")).expect("devices dir");
    write(
        &dir.join("swift.conf"),
        "[swift-hash]\nswift_hash_path_suffix = ocisync-test\nswift_hash_path_prefix = ocisync\n\n\
         [storage-policy:0]\nname = gold\ndefault = yes\n",
    );
    let mut backends = Vec::new();
    for kind in ["account", "container", "object"] {
        let port = free_port();
        let builder = format!("{kind}.builder");
        for args in [
            vec!["create", "0", "1", "1"],
            vec!["add", &format!("r1z1-127.0.0.1:{port}/d1"), "1"],
            vec!["rebalance"],
        ] {
            let out = Command::new(&ring_builder)
                .arg(&builder)
                .args(&args)
                .current_dir(&dir)
                .output()
                .expect("swift-ring-builder");
            // rebalance exits 1 for "balanced with warnings"; the ring file is what counts.
            assert!(
                out.status.code().is_some_and(|c| c <= 1),
                "swift-ring-builder {builder} {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let conf = dir.join(format!("{kind}.conf"));
        write(
            &conf,
            &format!(
                "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 0\n\
                 swift_dir = {swift_dir}\ndevices = {devices}\nmount_check = false\n\
                 log_level = WARNING\nlog_address = /nonexistent\n\n\
                 [pipeline:main]\npipeline = {kind}-server\n\n\
                 [app:{kind}-server]\nuse = egg:swift#{kind}\n",
                swift_dir = dir.display(),
                devices = devices.display(),
            ),
        );
        assert!(
            dir.join(format!("{kind}.ring.gz")).exists(),
            "no {kind} ring"
        );
        backends.push((kind, conf, port));
    }
    let port = free_port();
    let conf = dir.join("proxy.conf");
    write(
        &conf,
        &format!(
            "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 0\n\
             swift_dir = {swift_dir}\nlog_level = WARNING\nlog_address = /nonexistent\n\n\
             [pipeline:main]\npipeline = catch_errors gatekeeper proxy-logging listing_formats \
             bulk tempauth copy slo dlo proxy-logging proxy-server\n\n\
             [app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n\n\
             [filter:tempauth]\nuse = egg:swift#tempauth\nuser_test_tester = testing .admin\n\
             fernet_key_k1 = b2Npc3luYy10ZXN0LWZlcm5ldC1rZXktMzItYnl0ZXM=\n\
             active_fernet_key_id = k1\n\n\
             [filter:catch_errors]\nuse = egg:swift#catch_errors\n\n\
             [filter:gatekeeper]\nuse = egg:swift#gatekeeper\n\n\
             [filter:proxy-logging]\nuse = egg:swift#proxy_logging\n\n\
             [filter:listing_formats]\nuse = egg:swift#listing_formats\n\n\
             [filter:bulk]\nuse = egg:swift#bulk\n\n\
             [filter:copy]\nuse = egg:swift#copy\n\n\
             [filter:slo]\nuse = egg:swift#slo\n\n\
             [filter:dlo]\nuse = egg:swift#dlo\n",
            swift_dir = dir.display(),
        ),
    );
    backends.push(("proxy", conf, port));
    // The four start at once: each is a Python process importing Swift (seconds on a busy
    // machine).
    let mut servers: Vec<Server> = std::thread::scope(|s| {
        let started: Vec<_> = backends
            .iter()
            .map(|(kind, conf, port)| {
                let (bin, dir) = (&bin, &dir);
                s.spawn(move || {
                    start(
                        &format!("swift-{kind}"),
                        &bin.join(format!("swift-{kind}-server")),
                        &[conf.to_string_lossy().into_owned()],
                        *port,
                        dir,
                    )
                })
            })
            .collect();
        started
            .into_iter()
            .map(|h| h.join().expect("server start"))
            .collect()
    });
    let proxy = servers.pop().expect("the proxy");
    let saio = Saio {
        auth_url: format!("http://127.0.0.1:{port}/auth/v1.0"),
        storage_url: format!("http://127.0.0.1:{port}/v1/AUTH_test"),
        proxy_port: port,
        proxy,
        _servers: servers,
        _dir: dir,
    };
    // The account exists once the first authorised request made it (account_autocreate).
    let token = saio.token();
    let (status, _) = saio.request("HEAD", "/v1/AUTH_test", &token, &[], b"");
    assert!(
        (200..300).contains(&status),
        "Swift account HEAD: {status}\n{}",
        saio.proxy.log()
    );
    saio
}

impl Saio {
    /// A fresh token from tempauth.
    pub fn token(&self) -> String {
        let (status, headers) = self.request(
            "GET",
            "/auth/v1.0",
            "",
            &[("X-Auth-User", USER), ("X-Auth-Key", KEY)],
            b"",
        );
        assert_eq!(status, 200, "tempauth login\n{}", self.proxy.log());
        headers
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-auth-token"))
            .map(|(_, v)| v)
            .expect("X-Auth-Token")
    }

    /// Creates a container (as rclone or the swift CLI would, past ocisync).
    pub fn create_container(&self, name: &str) {
        let token = self.token();
        let (status, _) = self.request("PUT", &format!("/v1/AUTH_test/{name}"), &token, &[], b"");
        assert!(
            status == 201 || status == 202,
            "create container {name}: {status}"
        );
    }

    /// Stores `data` under the already percent-encoded `path` (`/v1/AUTH_test/c/key`) exactly.
    pub fn put_raw(&self, path: &str, data: &[u8]) -> u16 {
        let token = self.token();
        self.request("PUT", path, &token, &[], data).0
    }

    /// What the proxy logged (for failure messages).
    pub fn log(&self) -> String {
        self.proxy.log()
    }

    /// The proxy, the server clients talk to.
    pub fn proxy(&self) -> &Server {
        &self.proxy
    }

    /// One HTTP/1.0 request to the proxy: status and headers.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<(String, String)>) {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, self.proxy_port)).expect("proxy");
        let mut req = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n",
            self.proxy_port,
            body.len()
        );
        if !token.is_empty() {
            req.push_str(&format!("X-Auth-Token: {token}\r\n"));
        }
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).expect("send");
        s.write_all(body).expect("send body");
        let mut out = Vec::new();
        s.read_to_end(&mut out).expect("answer");
        let text = String::from_utf8_lossy(&out);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        (status, headers)
    }
}
