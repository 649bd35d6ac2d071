//! `type = "sftp"`: SSH/SFTP servers (OpenSSH, `rclone serve sftp`, appliances) under rclone's
//! keys. `NAME:path` is a directory: relative to the login directory, or absolute with a
//! leading `/` (as in rclone).
//!
//! Connections go through the OpenSSH client (`ssh`, which must be installed) driven by
//! ocisync's own OpenDAL service ([`service`]): key authentication only (`pass` is refused:
//! OpenSSH takes no password non-interactively), host keys checked strictly — against
//! `known_hosts_file` when set, else against the user's known_hosts (rclone's unset
//! known_hosts_file accepts any host key; ocisync does not) — and `~/.ssh/config` not read.
//!
//! What the engine may rely on: listings (READDIR) give sizes and modification times, whole
//! seconds, never a hash (rclone runs `md5sum` over ssh for one; ocisync runs no remote
//! commands). With `set_modtime` (rclone's default) a copy's time is set to the source's after
//! the write, so `sync` compares size and time as rclone does; `--checksum` falls back to
//! sizes.

pub mod service;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use ocisync_backend::backend::with_standard_layers;
use ocisync_backend::keys::{DotSegments, KeyRules};
use ocisync_backend::remote::ModtimeSetter;
use ocisync_backend::{
    Backend, BackendSpec, ConfigValues, Error, ErrorKind, Features, HashSource, ModtimeSource,
    OpenContext, OptionError, Remote, Result, Secret, SetModtime,
};

use service::{ConnectOptions, SftpBuilder, SftpCore};

// rclone's `fs.ModTimeNotSupported` (set_modtime = false): any two times are equal.
use ocisync_backend::MODTIME_NOT_SUPPORTED;

/// Names of the partial files writes go through: `NAME` + `.XXXXXXXX.partial`.
const PARTIAL_SUFFIX_BYTES: usize = 17;

ocisync_backend::declare_options! {
    /// Options of `type = "sftp"` (rclone's names and meanings; docs/remotes.md says which
    /// ocisync refuses or ignores).
    pub struct SftpOptions {
        /// SSH host to connect to, e.g. "example.com".
        host: String;
        /// SSH username (default: the current user, as ssh and rclone).
        user: Option<String>;
        /// SSH port number.
        port: u32 = "22";
        /// SSH password. Not supported by ocisync (the OpenSSH client takes no password
        /// non-interactively): use key_file.
        pass: Option<Secret>;
        /// Raw PEM-encoded private key. Not supported by ocisync (it would have to be written
        /// to disk for ssh): use key_file.
        key_pem: Option<Secret>;
        /// Path to the private key file (`~` expanded). Unset: ssh's default keys and the agent.
        key_file: Option<String>;
        /// Passphrase of key_file. Not supported by ocisync: use an unencrypted key readable
        /// only by its user, or ssh-agent (SSH_AUTH_SOCK).
        key_file_pass: Option<Secret>;
        /// SSH public certificate. Not supported by ocisync.
        pubkey: Option<String>;
        /// Path to a public key/certificate file. Not supported by ocisync.
        pubkey_file: Option<String>;
        /// Use ssh-agent. ssh uses the agent in SSH_AUTH_SOCK whenever it is set.
        key_use_agent: bool = "false";
        /// Enable insecure ciphers and key exchanges. Refused by ocisync when true.
        use_insecure_cipher: bool = "false";
        /// Do not run remote hash commands. ocisync never runs them (SFTP has no hashes).
        disable_hashcheck: bool = "false";
        /// External ssh command. Not supported by ocisync: it always runs `ssh` from PATH with
        /// its own options.
        ssh: Option<Vec<String>>;
        /// known_hosts file the server's host key must be in (`~` expanded). Unset: the user's
        /// ~/.ssh/known_hosts — still strict (rclone would accept any host key). Add a key with
        /// `ssh-keyscan -p PORT HOST >> FILE`.
        known_hosts_file: Option<String>, advanced;
        /// Trust the host key on first use. Refused by ocisync when true: use known_hosts_file.
        pin_host_key: bool = "false", advanced;
        /// Pinned host keys. Not supported by ocisync: put them in a known_hosts_file.
        host_keys: Option<Vec<String>>, advanced;
        /// Ask for the password. Refused by ocisync when true (unattended runs, key auth only).
        ask_password: bool = "false", advanced;
        /// Path used by remote hash commands. Ignored by ocisync (no remote commands).
        path_override: Option<String>, advanced;
        /// rclone's name encoding. Ignored by ocisync: names are sent as they are.
        encoding: Option<String>, advanced;
        /// Set the modification time of copied files to the source's.
        set_modtime: bool = "true", advanced;
        /// Remote shell type (for hash commands). Ignored by ocisync.
        shell_type: Option<String>, advanced;
        /// Supported checksum types. Ignored by ocisync (SFTP listings carry no hash).
        hashes: Option<Vec<String>>, advanced;
        /// Remote MD5 command. Ignored by ocisync.
        md5sum_command: Option<String>, advanced;
        /// Remote SHA-1 command. Ignored by ocisync.
        sha1sum_command: Option<String>, advanced;
        /// Remote CRC-32 command. Ignored by ocisync.
        crc32sum_command: Option<String>, advanced;
        /// Remote SHA-256 command. Ignored by ocisync.
        sha256sum_command: Option<String>, advanced;
        /// Remote BLAKE3 command. Ignored by ocisync.
        blake3sum_command: Option<String>, advanced;
        /// Remote XXH3 command. Ignored by ocisync.
        xxh3sum_command: Option<String>, advanced;
        /// Remote XXH128 command. Ignored by ocisync.
        xxh128sum_command: Option<String>, advanced;
        /// Skip symlinks and other non-regular files. ocisync always skips them in listings.
        skip_links: bool = "false", advanced;
        /// SSH2 subsystem. Only "sftp" is supported.
        subsystem: String = "sftp", advanced;
        /// Command that runs an sftp server on the remote host. Not supported by ocisync.
        server_command: Option<String>, advanced;
        /// Use fstat instead of stat. Ignored by ocisync.
        use_fstat: bool = "false", advanced;
        /// Disable concurrent reads. Ignored by ocisync (reads are sequential per file).
        disable_concurrent_reads: bool = "false", advanced;
        /// Disable concurrent writes. Ignored by ocisync.
        disable_concurrent_writes: bool = "false", advanced;
        /// Close idle connections after this long. Ignored by ocisync (one connection per run).
        idle_timeout: Option<ocisync_backend::Duration>, advanced;
        /// Upload and download chunk size. Ignored by ocisync (the server's largest).
        chunk_size: Option<ocisync_backend::Size>, advanced;
        /// Outstanding requests per file. Ignored by ocisync.
        concurrency: Option<u32>, advanced;
        /// SFTP channels at most (0: one per --transfers, at most 16). All share one SSH
        /// connection.
        connections: u32 = "0", advanced;
        /// Environment variables for the server. Not supported by ocisync.
        set_env: Option<Vec<String>>, advanced;
        /// Ciphers. Not supported by ocisync (OpenSSH's defaults apply).
        ciphers: Option<Vec<String>>, advanced;
        /// Key exchange algorithms. Not supported by ocisync (OpenSSH's defaults apply).
        key_exchange: Option<Vec<String>>, advanced;
        /// MACs. Not supported by ocisync (OpenSSH's defaults apply).
        macs: Option<Vec<String>>, advanced;
        /// Host key algorithms. Not supported by ocisync (OpenSSH's defaults apply).
        host_key_algorithms: Option<Vec<String>>, advanced;
        /// SOCKS5 proxy. Not supported by ocisync.
        socks_proxy: Option<String>, advanced;
        /// HTTP CONNECT proxy. Not supported by ocisync.
        http_proxy: Option<String>, advanced;
        /// Server-side copies as hard links. Ignored by ocisync (no server-side copies).
        copy_is_hardlink: bool = "false", advanced;
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
    }
}

pub static SPEC: BackendSpec = BackendSpec {
    name: "sftp",
    prefix: "sftp",
    description: "SSH/SFTP servers, through the OpenSSH client (ssh must be installed).",
    options: SftpOptions::SPECS,
    open_options: false,
    credential_keys: &[],
};

pub struct SftpBackend;

/// Registered in ocisync's backend list.
pub static BACKEND: SftpBackend = SftpBackend;

fn set<T>(v: &Option<T>) -> bool
where
    T: IsEmpty,
{
    v.as_ref().is_some_and(|v| !v.is_empty())
}

trait IsEmpty {
    fn is_empty(&self) -> bool;
}
impl IsEmpty for String {
    fn is_empty(&self) -> bool {
        self.trim().is_empty()
    }
}
impl IsEmpty for Vec<String> {
    fn is_empty(&self) -> bool {
        self.iter().all(|s| s.trim().is_empty())
    }
}
impl IsEmpty for Secret {
    fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

/// Keys rclone honours that ocisync cannot: the first one set, with why and what to do.
fn refused(o: &SftpOptions) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut refuse = |cond: bool, key: &'static str, why: &str| {
        if cond {
            out.push((key, why.to_string()));
        }
    };
    refuse(
        set(&o.pass),
        "pass",
        "password logins are not supported by ocisync's sftp backend (the OpenSSH client takes \
         no password non-interactively): use key_file with a key in the server's \
         authorized_keys",
    );
    refuse(
        o.ask_password,
        "ask_password",
        "ocisync never asks for passwords (unattended runs): use key_file",
    );
    refuse(
        set(&o.key_pem),
        "key_pem",
        "not supported by ocisync (the key would have to be written to disk for ssh): save it \
         to a file readable only by this user and set key_file",
    );
    refuse(
        set(&o.key_file_pass),
        "key_file_pass",
        "encrypted key files are not supported by ocisync: load the key into ssh-agent \
         (SSH_AUTH_SOCK) or use an unencrypted key readable only by this user",
    );
    refuse(
        set(&o.pubkey) || set(&o.pubkey_file),
        if set(&o.pubkey) {
            "pubkey"
        } else {
            "pubkey_file"
        },
        "SSH certificates are not supported by ocisync's sftp backend",
    );
    refuse(
        o.use_insecure_cipher,
        "use_insecure_cipher",
        "insecure ciphers are refused by ocisync",
    );
    refuse(
        set(&o.ssh),
        "ssh",
        "an external ssh command is not supported: ocisync always runs `ssh` from PATH with its \
         own options",
    );
    refuse(
        o.known_hosts_file.as_deref().map(str::trim) == Some("none"),
        "known_hosts_file",
        "\"none\" (no host key check) is refused by ocisync: add the server's key with \
         `ssh-keyscan -p PORT HOST >> FILE` and set known_hosts_file = FILE",
    );
    refuse(
        o.pin_host_key,
        "pin_host_key",
        "trust on first use is refused by ocisync: add the server's key with \
         `ssh-keyscan -p PORT HOST >> FILE` and set known_hosts_file = FILE",
    );
    refuse(
        set(&o.host_keys),
        "host_keys",
        "not supported by ocisync: put the keys in a known_hosts file (`HOST ALGO KEY` lines) \
         and set known_hosts_file",
    );
    refuse(
        o.subsystem.trim() != "sftp",
        "subsystem",
        "only the \"sftp\" subsystem is supported by ocisync",
    );
    refuse(
        set(&o.server_command),
        "server_command",
        "not supported by ocisync (it uses the server's sftp subsystem)",
    );
    refuse(set(&o.set_env), "set_env", "not supported by ocisync");
    for (key, v) in [
        ("ciphers", &o.ciphers),
        ("key_exchange", &o.key_exchange),
        ("macs", &o.macs),
        ("host_key_algorithms", &o.host_key_algorithms),
    ] {
        refuse(
            set(v),
            key,
            "not supported by ocisync: OpenSSH's own (secure) defaults apply",
        );
    }
    refuse(
        set(&o.socks_proxy),
        "socks_proxy",
        "proxies are not supported by ocisync's sftp backend",
    );
    refuse(
        set(&o.http_proxy),
        "http_proxy",
        "proxies are not supported by ocisync's sftp backend",
    );
    out
}

fn check_port(port: u32) -> std::result::Result<u16, String> {
    u16::try_from(port)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("{port} is not a TCP port (1-65535)"))
}

/// `~/x` → `$HOME/x` (rclone expands `~` in key_file and known_hosts_file; ssh would not see
/// it through `-o UserKnownHostsFile` the same way everywhere).
fn expand_home(p: &str) -> PathBuf {
    let p = p.trim();
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ if p == "~" => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default(),
        _ => PathBuf::from(p),
    }
}

/// A configured value as the operator wrote it, for notes (none of these keys is a secret).
fn shown(values: &ConfigValues, key: &str) -> String {
    match values.get(key) {
        Some(ocisync_backend::RawValue::String(s)) => format!("{s:?}"),
        Some(ocisync_backend::RawValue::Bool(b)) => b.to_string(),
        Some(ocisync_backend::RawValue::Int(i)) => i.to_string(),
        Some(ocisync_backend::RawValue::List(l)) => format!("{l:?}"),
        _ => "...".to_string(),
    }
}

/// Whether `program` is an executable file in a PATH directory.
fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| {
            std::fs::metadata(d.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

#[async_trait]
impl Backend for SftpBackend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    fn validate(&self, values: &ConfigValues) -> Vec<OptionError> {
        let Ok(o) = SftpOptions::from_values(values) else {
            return Vec::new();
        };
        let mut problems: Vec<OptionError> = refused(&o)
            .into_iter()
            .map(|(k, m)| OptionError::invalid(k, m))
            .collect();
        if o.host.trim().is_empty() {
            problems.push(OptionError::invalid("host", "empty"));
        } else if o.host.trim().starts_with('-') || o.host.contains(char::is_whitespace) {
            // ssh would read a leading dash as an option.
            problems.push(OptionError::invalid("host", "not a host name"));
        }
        if let Some(u) = &o.user
            && (u.starts_with('-') || u.contains(char::is_whitespace))
        {
            problems.push(OptionError::invalid("user", "not a user name"));
        }
        if let Err(m) = check_port(o.port) {
            problems.push(OptionError::invalid("port", m));
        }
        problems
    }

    fn ignored(&self, values: &ConfigValues) -> Vec<(&'static str, String)> {
        let Ok(o) = SftpOptions::from_values(values) else {
            return Vec::new();
        };
        let no_commands = "ocisync runs no commands over ssh: SFTP listings carry no hash";
        let tuning = "ocisync's SFTP client sizes its own requests";
        let mut candidates: Vec<(&'static str, bool, &str)> = [
            ("path_override", &o.path_override),
            ("shell_type", &o.shell_type),
            ("md5sum_command", &o.md5sum_command),
            ("sha1sum_command", &o.sha1sum_command),
            ("crc32sum_command", &o.crc32sum_command),
            ("sha256sum_command", &o.sha256sum_command),
            ("blake3sum_command", &o.blake3sum_command),
            ("xxh3sum_command", &o.xxh3sum_command),
            ("xxh128sum_command", &o.xxh128sum_command),
        ]
        .into_iter()
        .map(|(key, v)| (key, set(v), no_commands))
        .collect();
        candidates.extend([
            ("hashes", set(&o.hashes), no_commands),
            ("encoding", set(&o.encoding), "names are sent as they are"),
            ("use_fstat", o.use_fstat, tuning),
            (
                "disable_concurrent_reads",
                o.disable_concurrent_reads,
                tuning,
            ),
            (
                "disable_concurrent_writes",
                o.disable_concurrent_writes,
                tuning,
            ),
            ("chunk_size", o.chunk_size.is_some(), tuning),
            ("concurrency", o.concurrency.is_some(), tuning),
            (
                "idle_timeout",
                o.idle_timeout.is_some(),
                "ocisync keeps one connection for the run",
            ),
            (
                "copy_is_hardlink",
                o.copy_is_hardlink,
                "ocisync makes no server-side copies",
            ),
        ]);
        candidates
            .into_iter()
            .filter(|(_, on, _)| *on)
            .map(|(key, _, why)| (key, format!("{key} = {} ({why})", shown(values, key))))
            .collect()
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        let o = SftpOptions::from_values(ctx.values)
            .map_err(|e| Error::config(e.to_string()).with_remote(ctx.name))?;
        if let Some((k, m)) = refused(&o).into_iter().next() {
            return Err(Error::config(format!("{k}: {m}")).with_remote(ctx.name));
        }
        let port = check_port(o.port)
            .map_err(|m| Error::config(format!("port: {m}")).with_remote(ctx.name))?;
        if !on_path("ssh") {
            return Err(Error::new(
                ErrorKind::Other,
                "the OpenSSH client `ssh` was not found on PATH; the sftp backend runs it \
                 (install openssh-client; the static release binary does not bundle it)",
            )
            .with_remote(ctx.name));
        }
        let channels = match o.connections {
            0 => ctx.global.transfers.clamp(1, 16),
            n => n as usize,
        };
        let connect = ConnectOptions {
            host: o.host.trim().to_string(),
            port,
            user: o
                .user
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string),
            key_file: o
                .key_file
                .as_deref()
                .filter(|k| !k.trim().is_empty())
                .map(expand_home),
            known_hosts_file: o
                .known_hosts_file
                .as_deref()
                .filter(|k| !k.trim().is_empty())
                .map(expand_home),
            // ssh counts whole seconds (0 would mean no timeout at all).
            connect_timeout: ctx.global.timeout.clamp(
                std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(60),
            ),
            channels,
        };
        if let Some(k) = &connect.known_hosts_file
            && !k.is_file()
        {
            return Err(Error::config(format!(
                "known_hosts_file: {} does not exist (add the server's key with \
                 `ssh-keyscan -p {port} {} >> {}`)",
                k.display(),
                connect.host,
                k.display()
            ))
            .with_remote(ctx.name));
        }
        let location = location(&connect, ctx.path);
        let core = Arc::new(
            SftpCore::new(connect, ctx.path).map_err(|e| Error::from(e).with_remote(ctx.name))?,
        );
        let op = opendal::Operator::new(SftpBuilder::new(core.clone()))
            .map_err(|e| Error::from(e).with_remote(ctx.name))?;
        let features = Features {
            listing_md5: HashSource::None,
            md5_in_metadata: false,
            md5_by_reading: false,
            modtime: ModtimeSource::Native,
            set_modtime: if o.set_modtime {
                SetModtime::Yes
            } else {
                SetModtime::No
            },
            writes_metadata: false,
            // SFTP v3 times are whole seconds (rclone's sftp precision too).
            modtime_precision: if o.set_modtime {
                std::time::Duration::from_secs(1)
            } else {
                MODTIME_NOT_SUPPORTED
            },
            write_chunk: None,
            write_concurrency: 1,
            sorted_listing: false,
            keys: KeyRules {
                max_key_bytes: Some(4095),
                // NAME_MAX, less the partial file's suffix.
                max_segment_bytes: Some(255 - PARTIAL_SUFFIX_BYTES),
                dot_segments: DotSegments::Refused,
                forbidden: &['\0'],
                prefix_bytes: 0,
                service: "SFTP",
            }
            .with_prefix(ctx.path),
            location: Some(location),
            ..Features::default()
        };
        Ok(Remote {
            name: ctx.name.to_string(),
            root: ctx.path.to_string(),
            op: with_standard_layers(op, ctx.global),
            features,
            modtime_setter: o
                .set_modtime
                .then(|| Arc::new(Times { core }) as Arc<dyn ModtimeSetter>),
            root_exists: None,
        })
    }
}

/// Sets modification times through the remote's own connection.
struct Times {
    core: Arc<SftpCore>,
}

#[async_trait]
impl ModtimeSetter for Times {
    async fn set_modtime(&self, path: &str, mtime: jiff::Timestamp) -> Result<()> {
        self.core
            .set_mtime(path, std::time::SystemTime::from(mtime))
            .await
            .map_err(Error::from)
    }
}

/// Where a remote's root is, for the overlap check.
fn location(c: &ConnectOptions, path: &str) -> String {
    let user = c.user.as_deref().unwrap_or("");
    let dir = path.trim_end_matches('/');
    format!(
        "sftp://{user}@{}:{}/{}{}",
        c.host.to_ascii_lowercase(),
        c.port,
        // Relative roots are under the login directory, absolute ones are not.
        if dir.starts_with('/') { "" } else { "~/" },
        format!("{}/", dir.trim_start_matches('/')).trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocisync_backend::RawValue;

    fn values(pairs: &[(&str, &str)]) -> ConfigValues {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), RawValue::String(v.to_string())))
            .collect()
    }

    #[test]
    fn passwords_are_refused_without_echo() {
        let p = BACKEND.validate(&values(&[("host", "h.example"), ("pass", "hunter2!")]));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].key(), "pass");
        assert!(!p[0].to_string().contains("hunter2"), "{}", p[0]);
        assert!(p[0].to_string().contains("key_file"), "{}", p[0]);
    }

    #[test]
    fn rclone_keys_ocisync_cannot_honour_are_refused_by_name() {
        for (k, v) in [
            ("key_pem", "-----BEGIN OPENSSH PRIVATE KEY-----"),
            ("key_file_pass", "x"),
            ("pubkey_file", "/k.pub"),
            ("use_insecure_cipher", "true"),
            ("ssh", "ssh -o ProxyJump=x"),
            ("known_hosts_file", "none"),
            ("pin_host_key", "true"),
            ("host_keys", "ssh-ed25519 AAAA"),
            ("ask_password", "true"),
            ("subsystem", "sftp-server2"),
            ("server_command", "sudo /usr/lib/sftp-server"),
            ("ciphers", "aes128-cbc"),
            ("socks_proxy", "127.0.0.1:1080"),
        ] {
            let p = BACKEND.validate(&values(&[("host", "h.example"), (k, v)]));
            assert_eq!(p.len(), 1, "{k}: {p:?}");
            assert_eq!(p[0].key(), k);
        }
        assert!(
            BACKEND
                .validate(&values(&[
                    ("host", "h.example"),
                    ("user", "drop"),
                    ("port", "2222"),
                    ("key_file", "~/.ssh/id_ed25519"),
                    ("known_hosts_file", "~/.ssh/known_hosts"),
                    ("set_modtime", "false"),
                ]))
                .is_empty()
        );
    }

    #[test]
    fn hash_commands_and_tuning_are_reported_as_ignored() {
        let ig = BACKEND.ignored(&values(&[
            ("host", "h"),
            ("md5sum_command", "md5sum"),
            ("chunk_size", "255Ki"),
            ("use_fstat", "true"),
        ]));
        let keys: Vec<_> = ig.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["md5sum_command", "use_fstat", "chunk_size"]);
        assert!(
            ig[0].1.starts_with("md5sum_command = \"md5sum\" ("),
            "{}",
            ig[0].1
        );
        assert!(BACKEND.ignored(&values(&[("host", "h")])).is_empty());
    }

    #[test]
    fn ports_and_hosts_that_ssh_would_misread_are_refused() {
        let p = BACKEND.validate(&values(&[("host", "h"), ("port", "70000")]));
        assert_eq!(p[0].key(), "port");
        let p = BACKEND.validate(&values(&[("host", "-oProxyCommand=x")]));
        assert_eq!(p[0].key(), "host");
    }

    #[test]
    fn locations_tell_relative_and_absolute_roots_apart() {
        let c = ConnectOptions {
            host: "H.example".into(),
            port: 22,
            user: Some("u".into()),
            key_file: None,
            known_hosts_file: None,
            connect_timeout: std::time::Duration::from_secs(1),
            channels: 1,
        };
        assert_eq!(location(&c, "drop/x"), "sftp://u@h.example:22/~/drop/x/");
        assert_eq!(location(&c, "/srv/drop"), "sftp://u@h.example:22/srv/drop/");
        assert_eq!(location(&c, ""), "sftp://u@h.example:22/~/");
    }
}
