//! Where rclone's relative paths start: the login directory. OpenDAL's ftp service changes into
//! an absolute root (`ftp:drop` would be `/drop`), while rclone sends relative paths, which the
//! server reads from the directory a login starts in (`/home/finance` on a server that does
//! not chroot its users). A remote with a relative path therefore logs in once when it is
//! opened and asks `PWD`, and roots itself at `PWD/path` — what rclone reaches.

use std::sync::Arc;

use ocisync_backend::ErrorKind;
use suppaftp::tokio::{AsyncRustlsConnector, AsyncRustlsFtpStream};
use suppaftp::tokio_rustls::TlsConnector;

/// How to reach and log in to the server (the same as the remote's operator).
pub struct Login<'a> {
    /// `host:port` (IPv6 in brackets).
    pub address: &'a str,
    /// The name the certificate must carry (the host, without brackets).
    pub host: &'a str,
    pub tls: bool,
    pub user: &'a str,
    pub pass: &'a str,
    pub timeout: std::time::Duration,
}

/// The login directory, `/` when the server says nothing usable. Errors say what failed
/// (connect, TLS, login), never with the password.
pub async fn login_dir(l: &Login<'_>) -> Result<String, (ErrorKind, String)> {
    let other = |m: String| (ErrorKind::Other, m);
    let work = async {
        let mut ftp = AsyncRustlsFtpStream::connect(l.address)
            .await
            .map_err(|e| other(format!("connecting to {}: {e}", l.address)))?;
        if l.tls {
            ftp = ftp
                .into_secure(connector().map_err(other)?, l.host.trim_matches(['[', ']']))
                .await
                .map_err(|e| other(format!("TLS with {}: {e}", l.address)))?;
        }
        ftp.login(l.user, l.pass).await.map_err(|e| {
            let m = format!("logging in to {} as {:?}: {e}", l.address, l.user);
            (ErrorKind::Auth, m)
        })?;
        let dir = ftp
            .pwd()
            .await
            .map_err(|e| other(format!("PWD on {}: {e}", l.address)))?;
        let _ = ftp.quit().await;
        Ok(dir)
    };
    let dir = tokio::time::timeout(l.timeout, work).await.map_err(|_| {
        let m = format!("no answer from {} within {:?}", l.address, l.timeout);
        (ErrorKind::Temporary, m)
    })??;
    Ok(if dir.starts_with('/') {
        dir
    } else {
        "/".into()
    })
}

/// The TLS client OpenDAL's service uses too: the system's roots (SSL_CERT_FILE and
/// SSL_CERT_DIR honoured), aws-lc.
fn connector() -> Result<AsyncRustlsConnector, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(AsyncRustlsConnector::from(TlsConnector::from(Arc::new(
        config,
    ))))
}

/// `login_dir` joined with a relative remote path, as an absolute OpenDAL root.
pub fn join(login_dir: &str, path: &str) -> String {
    let base = login_dir.trim_end_matches('/');
    let rel = path.trim_matches('/');
    match (base.is_empty(), rel.is_empty()) {
        (_, true) => format!("{base}/"),
        (true, false) => format!("/{rel}/"),
        (false, false) => format!("{base}/{rel}/"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn relative_paths_join_the_login_directory() {
        assert_eq!(super::join("/", "drop"), "/drop/");
        assert_eq!(
            super::join("/home/finance", "drop/x/"),
            "/home/finance/drop/x/"
        );
        assert_eq!(super::join("/home/finance/", ""), "/home/finance/");
    }
}
