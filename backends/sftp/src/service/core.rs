//! The connection to one SFTP server: one OpenSSH master (`ssh -M`, started lazily, with
//! ocisync's options only) and a bounded set of SFTP channels through it, reconnected when
//! one breaks; path joining under the root, errors as OpenDAL's, times and directories.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use opendal::raw::Timestamp;
use opendal::{EntryMode, Error, ErrorKind, Metadata, MetadataBuilder, Result};
use openssh::{ControlPersist, KnownHosts, Session, SessionBuilder};
use openssh_sftp_client::error::SftpErrorKind;
use openssh_sftp_client::metadata::{MetaData, MetaDataBuilder};
use openssh_sftp_client::{Error as SftpError, Sftp, SftpOptions, UnixTimeStamp};
use tokio::sync::Mutex;

use super::control::ControlDir;

/// How to reach the server: what `ssh` is told, nothing read from `~/.ssh/config`.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub key_file: Option<PathBuf>,
    /// `None`: the user's default known_hosts files (still strict).
    pub known_hosts_file: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// SFTP channels at most (each one pipelines many requests).
    pub channels: usize,
}

/// The size of one read request: what the SFTP client allows on every server (its default
/// without the server's `limits@openssh.com`, OpenSSH's 20 KiB download buffer; servers with
/// the extension allow more). Readers send as many at once as a round needs, so a server's
/// larger limit buys little; a shorter answer is still read correctly.
pub const READ_PIECE: u32 = 20 * 1024;

/// One SFTP channel handed out, with the slot it came from (to drop it if it breaks).
#[derive(Clone)]
pub struct Channel {
    pub sftp: Arc<Sftp>,
    slot: usize,
}

pub struct SftpCore {
    pub options: ConnectOptions,
    /// `""` (the login directory), `"dir/"` (under it) or `"/abs/dir/"`.
    pub root: String,
    control: ControlDir,
    session: Mutex<Option<Arc<Session>>>,
    slots: Vec<Mutex<Option<Arc<Sftp>>>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for SftpCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SftpCore")
            .field("host", &self.options.host)
            .field("port", &self.options.port)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl SftpCore {
    pub fn new(options: ConnectOptions, root: &str) -> Result<Self> {
        let control = ControlDir::create().map_err(|e| {
            Error::new(
                ErrorKind::Unexpected,
                format!("cannot create a private directory for the ssh control socket: {e}"),
            )
        })?;
        let channels = options.channels.max(1);
        Ok(SftpCore {
            options,
            root: normalize_root(root),
            control,
            session: Mutex::new(None),
            slots: (0..channels).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        })
    }

    /// `user@host:port` for messages.
    pub fn destination(&self) -> String {
        match &self.options.user {
            Some(u) => format!("{u}@{}:{}", self.options.host, self.options.port),
            None => format!("{}:{}", self.options.host, self.options.port),
        }
    }

    /// The server-side path of `path` (relative to the root; a trailing `/` is dropped).
    pub fn abs(&self, path: &str) -> String {
        let p = path.trim_start_matches('/').trim_end_matches('/');
        let full = format!("{}{p}", self.root);
        let full = full.trim_end_matches('/');
        match full {
            "" if self.root.starts_with('/') => "/".to_string(),
            "" => ".".to_string(),
            f => f.to_string(),
        }
    }

    /// A channel, opened (and the master started) on first use. Channels are shared:
    /// the SFTP client pipelines the requests of every caller on one channel.
    pub async fn channel(&self) -> Result<Channel> {
        let slot = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let mut held = self.slots[slot].lock().await;
        if let Some(sftp) = held.as_ref() {
            return Ok(Channel {
                sftp: sftp.clone(),
                slot,
            });
        }
        let session = self.session().await?;
        let sftp = match Sftp::from_clonable_session(session.clone(), SftpOptions::default()).await
        {
            Ok(s) => Arc::new(s),
            Err(e) => {
                // The master may be gone (server restart, network): start a new one next time.
                let mut current = self.session.lock().await;
                if current.as_ref().is_some_and(|s| Arc::ptr_eq(s, &session)) {
                    *current = None;
                }
                return Err(Error::new(
                    ErrorKind::Unexpected,
                    format!(
                        "sftp {}: cannot open an SFTP channel (is the sftp subsystem enabled?): {e}",
                        self.destination()
                    ),
                )
                .set_temporary());
            }
        };
        *held = Some(sftp.clone());
        Ok(Channel { sftp, slot })
    }

    async fn session(&self) -> Result<Arc<Session>> {
        let mut current = self.session.lock().await;
        if let Some(s) = current.as_ref() {
            return Ok(s.clone());
        }
        let o = &self.options;
        let mut b = SessionBuilder::default();
        b.port(o.port)
            // An operator's ~/.ssh/config (and /etc/ssh/ssh_config) must not change a remote
            // behind its configuration: Host aliases, ProxyCommand, StrictHostKeyChecking=no.
            .config_file("/dev/null")
            .known_hosts_check(KnownHosts::Strict)
            .control_directory(self.control.path())
            // The master leaves by itself once no channel is left (a killed ocisync).
            .control_persist(ControlPersist::IdleFor(
                std::num::NonZeroUsize::new(30).expect("nonzero"),
            ))
            .connect_timeout(o.connect_timeout)
            .server_alive_interval(Duration::from_secs(15));
        if let Some(u) = &o.user {
            b.user(u.clone());
        }
        if let Some(k) = &o.key_file {
            b.keyfile(k);
        }
        if let Some(k) = &o.known_hosts_file {
            b.user_known_hosts_file(k);
        }
        let session = b
            .connect(&o.host)
            .await
            .map_err(|e| connect_error(&self.destination(), o, e))?;
        let session = Arc::new(session);
        *current = Some(session.clone());
        Ok(session)
    }

    /// An SFTP error as OpenDAL's, naming the operation and the path; a broken channel is
    /// dropped so that the retry gets a fresh one.
    pub async fn error(&self, ch: &Channel, e: SftpError, op: &str, path: &str) -> Error {
        let (kind, temporary) = match &e {
            SftpError::SftpError(k, _) => match k {
                SftpErrorKind::NoSuchFile => (ErrorKind::NotFound, false),
                SftpErrorKind::PermDenied => (ErrorKind::PermissionDenied, false),
                SftpErrorKind::OpUnsupported => (ErrorKind::Unsupported, false),
                _ => (ErrorKind::Unexpected, false),
            },
            SftpError::UnsupportedSftpProtocol { .. } => (ErrorKind::Unsupported, false),
            // The channel or the connection under it failed.
            _ => (ErrorKind::Unexpected, true),
        };
        if temporary {
            self.discard(ch).await;
        }
        let err = Error::new(kind, format!("sftp {op} {path:?}: {e}"));
        if temporary { err.set_temporary() } else { err }
    }

    /// Drops a channel that failed, so that the next request opens a fresh one.
    pub async fn discard(&self, ch: &Channel) {
        let mut held = self.slots[ch.slot].lock().await;
        if held.as_ref().is_some_and(|s| Arc::ptr_eq(s, &ch.sftp)) {
            *held = None;
        }
    }

    /// Creates `dir` (server-side path) and its missing parents.
    pub async fn create_dirs(&self, ch: &Channel, dir: &str) -> Result<()> {
        let mut fs = ch.sftp.fs();
        // Walk up to the first directory that exists, then create downwards.
        let mut missing = Vec::new();
        let mut at = dir.trim_end_matches('/').to_string();
        loop {
            if at.is_empty() || at == "." || at == "/" {
                break;
            }
            match fs.metadata(&at).await {
                Ok(m) if m.file_type().is_some_and(|t| t.is_dir()) => break,
                Ok(_) => {
                    return Err(Error::new(
                        ErrorKind::NotADirectory,
                        format!("sftp mkdir {at:?}: a file is in the way of the directory"),
                    ));
                }
                Err(SftpError::SftpError(SftpErrorKind::NoSuchFile, _)) => {
                    missing.push(at.clone());
                    match at.rsplit_once('/') {
                        Some((parent, _)) => at = parent.to_string(),
                        None => break,
                    }
                }
                Err(e) => return Err(self.error(ch, e, "stat", &at).await),
            }
        }
        for d in missing.into_iter().rev() {
            if let Err(e) = fs.create_dir(&d).await {
                // Another writer may have made it meanwhile.
                let made = fs
                    .metadata(&d)
                    .await
                    .is_ok_and(|m| m.file_type().is_some_and(|t| t.is_dir()));
                if !made {
                    return Err(self.error(ch, e, "mkdir", &d).await);
                }
            }
        }
        Ok(())
    }

    /// Sets a file's modification (and access) time; SFTP v3 keeps whole seconds.
    pub async fn set_mtime(&self, path: &str, mtime: std::time::SystemTime) -> Result<()> {
        let abs = self.abs(path);
        let t = UnixTimeStamp::new(mtime).map_err(|e| {
            Error::new(
                ErrorKind::Unsupported,
                format!("sftp set modtime {abs:?}: the time does not fit SFTP's: {e}"),
            )
        })?;
        // A time is set right after the file was written. `rclone serve sftp` renames its
        // `.partial` file into place after the close has been answered, and a SETSTAT that
        // arrives in between is refused as no such file (seen in CI on a 9 MiB file): so a
        // missing file is asked for again, a few times over ~0.75 s, before it is an error.
        let mut pause = Duration::from_millis(50);
        loop {
            let ch = self.channel().await?;
            let mut attrs = MetaDataBuilder::new();
            attrs.time(t, t);
            match ch.sftp.fs().set_metadata(&abs, attrs.create()).await {
                Ok(()) => return Ok(()),
                Err(SftpError::SftpError(SftpErrorKind::NoSuchFile, _))
                    if pause <= Duration::from_millis(400) =>
                {
                    drop(ch);
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => return Err(self.error(&ch, e, "set modtime", &abs).await),
            }
        }
    }
}

impl Drop for SftpCore {
    fn drop(&mut self) {
        for s in &mut self.slots {
            s.get_mut().take();
        }
        // The channels' tasks may still hold the session (openssh asks the master to exit only
        // when the last holder drops it), and `control` — removed right after this — holds its
        // socket: ask the master to exit now, through the socket, rather than leave it running
        // until its idle timeout.
        if let Some(session) = self.session.get_mut().take() {
            let _ = std::process::Command::new("ssh")
                .arg("-S")
                .arg(session.control_socket())
                .args([
                    "-F",
                    "/dev/null",
                    "-o",
                    "BatchMode=yes",
                    "-O",
                    "exit",
                    "none",
                ])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

fn normalize_root(root: &str) -> String {
    let absolute = root.starts_with('/');
    let inner = root.trim_matches('/');
    match (absolute, inner.is_empty()) {
        (true, true) => "/".to_string(),
        (true, false) => format!("/{inner}/"),
        (false, true) => String::new(),
        (false, false) => format!("{inner}/"),
    }
}

/// Why the master could not start, said so an operator can act on it.
fn connect_error(dest: &str, o: &ConnectOptions, e: openssh::Error) -> Error {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    let io_not_found =
        matches!(&e, openssh::Error::Connect(io) if io.kind() == std::io::ErrorKind::NotFound);
    if io_not_found {
        return Error::new(
            ErrorKind::ConfigInvalid,
            format!(
                "sftp {dest}: the OpenSSH client `ssh` was not found on PATH; ocisync's sftp \
                 backend runs it (install openssh-client)"
            ),
        );
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("host key verification failed")
        || lower.contains("no matching host key")
        || lower.contains("host key is known")
        || lower.contains("remote host identification has changed")
    {
        let file = o
            .known_hosts_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "~/.ssh/known_hosts".into());
        return Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "sftp {dest}: the server's host key is not in {file} (or does not match it); \
                 check the key, then add it with `ssh-keyscan -p {} {} >> FILE` and set \
                 known_hosts_file = FILE: {text}",
                o.port, o.host
            ),
        );
    }
    if lower.contains("permission denied") {
        return Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "sftp {dest}: the server refused the login (key_file, user, authorized_keys?): {text}"
            ),
        );
    }
    Error::new(
        ErrorKind::Unexpected,
        format!("sftp {dest}: cannot connect: {text}"),
    )
    .set_temporary()
}

/// SFTP attributes as OpenDAL metadata: size and modification time; anything that is not a
/// file or a directory (links, devices) has an unknown mode and is skipped by listings.
pub fn to_metadata(meta: &MetaData) -> Metadata {
    let mode = match meta.file_type() {
        Some(t) if t.is_file() => EntryMode::FILE,
        Some(t) if t.is_dir() => EntryMode::DIR,
        _ => EntryMode::Unknown,
    };
    let mut m = match mode {
        EntryMode::FILE => MetadataBuilder::file(meta.len().unwrap_or(0)),
        EntryMode::DIR => MetadataBuilder::dir(),
        EntryMode::Unknown => MetadataBuilder::unknown(),
    };
    if let Some(t) = meta.modified()
        && let Ok(ts) = Timestamp::try_from(t.as_system_time())
    {
        m.last_modified(ts);
    }
    m.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots() {
        assert_eq!(normalize_root(""), "");
        assert_eq!(normalize_root("/"), "/");
        assert_eq!(normalize_root("a/b/"), "a/b/");
        assert_eq!(normalize_root("/srv/drop"), "/srv/drop/");
    }
}
