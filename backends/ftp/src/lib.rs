//! `type = "ftp"`: FTP and explicit FTPS servers (vsftpd, ProFTPD, Pure-FTPd, pyftpdlib,
//! `rclone serve ftp`...) on OpenDAL's `ftp` service, under rclone's keys. `NAME:path` is a
//! directory on the server (relative to the login directory, as in rclone).
//!
//! Plain FTP sends the password and the data in clear: without `explicit_tls = true` only
//! loopback hosts are accepted (the rule every plain protocol in ocisync follows). `pass` is
//! rclone-obscured, as in every rclone.conf; from a `credentials = "NAME"` provider it is the
//! plain value.
//!
//! What the engine may rely on: listings (`LIST`, parsed by suppaftp) give sizes and the
//! server's idea of the modification time — in `ls` form, to the minute or the day, in the
//! server's time zone — never a hash, and the service cannot set a file's time. Times are
//! therefore not compared (rclone's `ModTimeNotSupported`, what rclone does on a server
//! without MDTM/MLSD times it can set): `sync` compares sizes, and `--checksum` falls back to
//! sizes. Writes go to a temporary name and are renamed into place when complete.

use async_trait::async_trait;
use ocisync_backend::backend::with_standard_layers;
use ocisync_backend::keys::{DotSegments, KeyRules};
use ocisync_backend::{
    Backend, BackendSpec, ConfigValues, Error, ErrorKind, Features, HashSource, ModtimeSource,
    OpenContext, OptionError, Remote, Result, Secret, SetModtime,
};

mod keys;
mod layer;
mod login_dir;

pub use ocisync_backend::MODTIME_NOT_SUPPORTED;

/// rclone's default `encoding` for ftp (`encoder.Display | EncodeRightSpace`).
pub const RCLONE_ENCODING: &str = "Slash,Del,Ctl,RightSpace,Dot";

ocisync_backend::declare_options! {
    /// Options of `type = "ftp"` (rclone's names and meanings).
    pub struct FtpOptions {
        /// FTP host to connect to, e.g. ftp.example.com. Without explicit_tls only loopback
        /// hosts (127.0.0.0/8, ::1, localhost): plain FTP sends the password in clear.
        host: String, sensitive;
        /// FTP user name (default: the current user, as rclone).
        user: Option<String>, sensitive;
        /// FTP port number.
        port: u64 = "21";
        /// FTP password, obscured as rclone obscures it (`rclone obscure PASSWORD`).
        pass: Option<Secret>;
        /// Implicit FTPS (TLS from the first byte, usually port 990). Not supported by ocisync
        /// (OpenDAL's ftp service speaks explicit FTPS only): use explicit_tls.
        tls: bool = "false";
        /// Explicit FTPS: `AUTH TLS` on the plain port, then TLS for the login and all data.
        /// The certificate is checked against the system's roots (SSL_CERT_FILE or
        /// SSL_CERT_DIR name a private CA).
        explicit_tls: bool = "false";
        /// Most simultaneous FTP connections, 0 for unlimited. Accepted and reported as
        /// ignored: ocisync holds at most one connection per transfer and checker (lower
        /// --transfers/--checkers for a server with a connection limit).
        concurrency: u64 = "0", advanced;
        /// Do not verify the server's TLS certificate. Not supported by ocisync: trust a
        /// private CA through SSL_CERT_FILE instead.
        no_check_certificate: bool = "false", advanced;
        /// Don't use EPSV. ocisync always uses PASV (never EPSV): accepted either way.
        disable_epsv: bool = "false", advanced;
        /// Don't use MLSD. ocisync always lists with LIST (never MLSD): accepted either way.
        disable_mlsd: bool = "false", advanced;
        /// Don't use UTF-8 even if the server advertises it. Accepted and reported as ignored:
        /// ocisync sends names as UTF-8.
        disable_utf8: bool = "false", advanced;
        /// Use MDTM to set modification times (vsftpd). Accepted and reported as ignored:
        /// ocisync cannot set times on ftp, so it compares sizes.
        writing_mdtm: bool = "false", advanced;
        /// Use `LIST -a` to list hidden files. Not supported by ocisync (it sends a plain
        /// LIST); refused, so that files it cannot see are not taken as missing.
        force_list_hidden: bool = "false", advanced;
        /// Time before idle connections are closed (another value is accepted and reported as
        /// ignored).
        idle_timeout: ocisync_backend::Duration = "1m0s", advanced;
        /// Time to wait for a response to close (another value is accepted and reported as
        /// ignored).
        close_timeout: ocisync_backend::Duration = "1m0s", advanced;
        /// TLS session cache size (another value is accepted and reported as ignored).
        tls_cache_size: u64 = "32", advanced;
        /// Disable TLS 1.3. Not supported by ocisync (refused when true).
        disable_tls13: bool = "false", advanced;
        /// Allow insecure TLS ciphers. Not supported by ocisync (refused when true).
        allow_insecure_tls_ciphers: bool = "false", advanced;
        /// Time to wait for the data connection's closing status (another value is accepted
        /// and reported as ignored).
        shut_timeout: ocisync_backend::Duration = "1m0s", advanced;
        /// Ask for the password when needed. Not supported: ocisync never prompts (refused
        /// when true); set pass or use credentials = "NAME".
        ask_password: bool = "false", advanced;
        /// SOCKS5 proxy host. Not supported by ocisync (refused when set).
        socks_proxy: Option<String>, advanced;
        /// HTTP CONNECT proxy URL. Not supported by ocisync (refused when set).
        http_proxy: Option<String>, advanced;
        /// Don't check the upload is OK. Accepted either way; it changes nothing in ocisync.
        no_check_upload: bool = "false", advanced;
        /// rclone's file-name encoding. ocisync keeps names as they are and refuses the names
        /// rclone's default would change (control characters, trailing spaces): another
        /// value is accepted and reported as ignored.
        encoding: String = "Slash,Del,Ctl,RightSpace,Dot", advanced;
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
    }
}

pub static SPEC: BackendSpec = BackendSpec {
    name: "ftp",
    prefix: "ftp",
    description: "FTP and explicit FTPS servers.",
    options: FtpOptions::SPECS,
    open_options: false,
    credential_keys: &["pass"],
};

pub struct FtpBackend;

/// Registered in ocisync's backend list.
pub static BACKEND: FtpBackend = FtpBackend;

/// The first key set to something ocisync cannot do, and why.
fn refused(o: &FtpOptions) -> Option<(&'static str, String)> {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if o.tls {
        return Some((
            "tls",
            "implicit FTPS is not supported by ocisync (OpenDAL's ftp service speaks explicit \
             FTPS only): set explicit_tls = true if the server accepts AUTH TLS"
                .into(),
        ));
    }
    if o.no_check_certificate {
        return Some((
            "no_check_certificate",
            "ocisync always verifies the server's certificate: trust a private CA with \
             SSL_CERT_FILE=/path/to/ca.pem instead"
                .into(),
        ));
    }
    if o.disable_tls13 {
        return Some((
            "disable_tls13",
            "ocisync cannot turn TLS 1.3 off for ftp".into(),
        ));
    }
    if o.allow_insecure_tls_ciphers {
        return Some((
            "allow_insecure_tls_ciphers",
            "ocisync's TLS library (rustls) has no insecure ciphers to allow".into(),
        ));
    }
    if o.force_list_hidden {
        return Some((
            "force_list_hidden",
            "ocisync lists with a plain LIST: hidden files the server leaves out would look \
             missing (and a sync from this remote would delete them at the destination)"
                .into(),
        ));
    }
    if o.ask_password {
        return Some((
            "ask_password",
            "ocisync never prompts: set pass (rclone obscure) or credentials = \"NAME\"".into(),
        ));
    }
    if set(&o.socks_proxy) {
        return Some((
            "socks_proxy",
            "proxies are not supported by ocisync's ftp backend".into(),
        ));
    }
    if set(&o.http_proxy) {
        return Some((
            "http_proxy",
            "proxies are not supported by ocisync's ftp backend".into(),
        ));
    }
    None
}

/// `host` must be a bare host name or address; in clear only a loopback one.
fn check_host(host: &str, tls: bool) -> std::result::Result<(), String> {
    let h = host.trim();
    if h.is_empty() {
        return Err("empty host".into());
    }
    if h.contains(['/', '@', ' ']) || h.contains("://") {
        return Err(format!(
            "{h:?} is not a host name: give the host alone (port and user have their own keys)"
        ));
    }
    if !tls && !is_loopback(h) {
        return Err(format!(
            "{h}: plain FTP sends the password and the data in clear, so it is only allowed to \
             loopback hosts (127.0.0.0/8, ::1, localhost); set explicit_tls = true"
        ));
    }
    Ok(())
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// `host:port` as a URL authority (IPv6 addresses in brackets).
fn authority(host: &str, port: u64) -> String {
    let h = host.trim();
    if h.contains(':') && !h.starts_with('[') {
        format!("[{h}]:{port}")
    } else {
        format!("{h}:{port}")
    }
}

/// rclone's default user: the current user.
fn current_user() -> Option<String> {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
}

/// OpenDAL's ftp service builds its TLS configuration with rustls' process-default crypto
/// provider. Its suppaftp brings in ring next to the aws-lc that reqwest uses, and with two
/// providers compiled in rustls has no default to pick and panics. ocisync's provider is
/// aws-lc: install it before any FTPS connection (a provider installed earlier stays).
fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

fn same_encoding(a: &str, b: &str) -> bool {
    let set = |s: &str| {
        s.split(',')
            .map(|f| f.trim().to_ascii_lowercase())
            .filter(|f| !f.is_empty())
            .collect::<std::collections::BTreeSet<_>>()
    };
    set(a) == set(b)
}

#[async_trait]
impl Backend for FtpBackend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    fn validate(&self, values: &ConfigValues) -> Vec<OptionError> {
        let Ok(o) = FtpOptions::from_values(values) else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        if let Some((k, m)) = refused(&o) {
            problems.push(OptionError::invalid(k, m));
        }
        if let Err(m) = check_host(&o.host, o.explicit_tls) {
            problems.push(OptionError::invalid("host", m));
        }
        if o.port == 0 || o.port > 65535 {
            problems.push(OptionError::invalid(
                "port",
                format!("{} is not a TCP port", o.port),
            ));
        }
        if let Some(p) = &o.pass
            && let Err(e) = ocisync_obscure::reveal(p.expose())
        {
            problems.push(OptionError::invalid("pass", e.to_string()));
        }
        problems
    }

    fn ignored(&self, values: &ConfigValues) -> Vec<(&'static str, String)> {
        let Ok(o) = FtpOptions::from_values(values) else {
            return Vec::new();
        };
        let minute = std::time::Duration::from_secs(60);
        let mut out = Vec::new();
        if o.concurrency != 0 {
            out.push((
                "concurrency",
                "ocisync holds at most one connection per transfer and checker: lower \
                 --transfers/--checkers for a server with a connection limit"
                    .into(),
            ));
        }
        if o.disable_utf8 {
            out.push(("disable_utf8", "ocisync sends names as UTF-8".into()));
        }
        if o.writing_mdtm {
            out.push((
                "writing_mdtm",
                "ocisync cannot set modification times on ftp: sizes are compared".into(),
            ));
        }
        for (k, d) in [
            ("idle_timeout", o.idle_timeout),
            ("close_timeout", o.close_timeout),
            ("shut_timeout", o.shut_timeout),
        ] {
            if d.0 != minute {
                out.push((
                    k,
                    "ocisync's --timeout and --contimeout apply instead".into(),
                ));
            }
        }
        if o.tls_cache_size != 32 {
            out.push(("tls_cache_size", "not adjustable in ocisync".into()));
        }
        if !same_encoding(&o.encoding, RCLONE_ENCODING) {
            out.push((
                "encoding",
                format!(
                    "encoding = {:?}: ocisync keeps names as they are (and refuses the ones \
                     rclone's default would change)",
                    o.encoding
                ),
            ));
        }
        out
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        let o = FtpOptions::from_values(ctx.values)
            .map_err(|e| Error::config(e.to_string()).with_remote(ctx.name))?;
        if let Some((k, m)) = refused(&o) {
            return Err(Error::config(format!("{k}: {m}")).with_remote(ctx.name));
        }
        check_host(&o.host, o.explicit_tls)
            .map_err(|m| Error::config(format!("host: {m}")).with_remote(ctx.name))?;
        let port = u16::try_from(o.port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| {
                Error::config(format!("port: {} is not a TCP port", o.port)).with_remote(ctx.name)
            })?;
        let mut pass = match &o.pass {
            Some(p) => Some(
                ocisync_obscure::reveal(p.expose())
                    .map_err(|e| Error::config(format!("pass: {e}")).with_remote(ctx.name))?,
            ),
            None => None,
        };
        if let Some(c) = &ctx.credentials {
            let got = c.get().await.map_err(|e| e.with_remote(ctx.name))?;
            // A provider's values are the secrets themselves, not obscured.
            pass = got.get("pass").cloned().or(pass);
            if pass.is_none() {
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!("credentials {:?} supplied no pass", c.name()),
                )
                .with_remote(ctx.name));
            }
        }
        let user = o
            .user
            .clone()
            .filter(|u| !u.is_empty())
            .or_else(current_user)
            .ok_or_else(|| {
                Error::config("user: not set, and the current user is unknown ($USER)")
                    .with_remote(ctx.name)
            })?;
        let host = o.host.trim();
        let scheme = if o.explicit_tls { "ftps" } else { "ftp" };
        let endpoint = format!("{scheme}://{}", authority(host, u64::from(port)));
        if o.explicit_tls {
            install_crypto_provider();
        }
        // OpenDAL makes the root absolute; rclone reads a relative path (and an empty one) from
        // the login directory: ask the server where that is (login_dir.rs).
        let root = if ctx.path.starts_with('/') {
            login_dir::join("/", ctx.path)
        } else {
            let pwd = login_dir::login_dir(&login_dir::Login {
                address: &authority(host, u64::from(port)),
                host,
                tls: o.explicit_tls,
                user: &user,
                pass: pass.as_ref().map(Secret::expose).unwrap_or(""),
                timeout: ctx.global.timeout,
            })
            .await
            .map_err(|(kind, m)| {
                Error::new(kind, format!("finding the login directory: {m}")).with_remote(ctx.name)
            })?;
            login_dir::join(&pwd, ctx.path)
        };
        let builder = |root: &str| {
            let b = opendal::services::Ftp::default()
                .endpoint(&endpoint)
                .root(root)
                .user(&user);
            match &pass {
                Some(p) => b.password(p.expose()),
                None => b,
            }
        };
        let operator = |root: &str| {
            opendal::Operator::new(builder(root)).map_err(|e| Error::from(e).with_remote(ctx.name))
        };
        // The server's `/`, for creating and checking the root (see layer.rs).
        let top = with_standard_layers(operator("/")?, ctx.global);
        let op = operator(&root)?.layer(layer::FtpFixLayer {
            root: layer::Root::new(&root, top),
        });
        let features = Features {
            listing_md5: HashSource::None,
            md5_in_metadata: false,
            md5_by_reading: false,
            modtime: ModtimeSource::Native,
            set_modtime: SetModtime::No,
            writes_metadata: false,
            modtime_precision: MODTIME_NOT_SUPPORTED,
            write_chunk: None,
            write_concurrency: 1,
            sorted_listing: false,
            keys: KeyRules {
                max_key_bytes: None,
                max_segment_bytes: None,
                // The server resolves '.' and '..' in the paths it is given.
                dot_segments: DotSegments::Refused,
                forbidden: keys::FORBIDDEN,
                prefix_bytes: 0,
                service: "FTP",
            },
            location: Some(location(scheme, host, port, &user, &root)),
            ..Features::default()
        };
        Ok(Remote {
            name: ctx.name.to_string(),
            root: ctx.path.to_string(),
            op: with_standard_layers(op, ctx.global),
            features,
            modtime_setter: None,
            root_exists: None,
        })
    }
}

/// Where a remote's root is, for the overlap check: server, login and directory.
fn location(scheme: &str, host: &str, port: u16, user: &str, path: &str) -> String {
    let dir = path.trim_matches('/');
    let server = format!(
        "{scheme}://{user}@{}",
        authority(&host.to_ascii_lowercase(), port.into())
    );
    if dir.is_empty() {
        format!("ftp:{server}/")
    } else {
        format!("ftp:{server}/{dir}/")
    }
}

#[cfg(test)]
mod tests;
