//! `provider = resource_principal_auth`: the identity OCI gives a resource (a Function, a
//! Container Instance...) through environment variables, version 2.2:
//!
//! | Variable | Value |
//! |---|---|
//! | `OCI_RESOURCE_PRINCIPAL_VERSION` | `2.2` |
//! | `OCI_RESOURCE_PRINCIPAL_RPST` | the security token, or the absolute path of a file holding it |
//! | `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM` | the session private key (PEM), or an absolute path |
//! | `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE` | optional; value or path, as the PEM |
//! | `OCI_RESOURCE_PRINCIPAL_REGION` | the region identifier |
//!
//! A value that is an absolute path is a file, as in Oracle's SDKs. Files are re-read when the
//! token nears its expiry or a service refuses it (the platform rewrites them); values are read
//! once. Versions 1.1 and 3.0 use other flows and are refused with a message saying so.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Error, ErrorKind, Result, Secret};
use async_trait::async_trait;
use jiff::Timestamp;
use zeroize::Zeroizing;

use super::session::{Session, SessionCache, SessionSource, token_expiry};
use super::{OciAuth, SignBody};
use crate::keys::RsaSigningKey;

const WHO: &str = "resource principal";
const VERSION: &str = "OCI_RESOURCE_PRINCIPAL_VERSION";
const RPST: &str = "OCI_RESOURCE_PRINCIPAL_RPST";
const PRIVATE_PEM: &str = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM";
const PASSPHRASE: &str = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE";
const REGION: &str = "OCI_RESOURCE_PRINCIPAL_REGION";

/// The resource principal identity.
pub struct ResourcePrincipal {
    sessions: SessionCache<ResourceSessions>,
    region: String,
}

impl std::fmt::Debug for ResourcePrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourcePrincipal")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl ResourcePrincipal {
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(&|name| std::env::var(name).ok())
    }

    fn from_env_with(env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| {
            env(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let missing = |name: &str| {
            Error::new(
                ErrorKind::Auth,
                format!(
                    "{WHO}: {name} is not set (is this running in an OCI resource with a resource principal?)"
                ),
            )
        };
        match get(VERSION).as_deref() {
            Some("2.2") => {}
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("{WHO}: {VERSION}={other} is not supported; only version 2.2 is"),
                ));
            }
            None => return Err(missing(VERSION)),
        }
        let token = Origin::of(RPST, get(RPST).ok_or_else(|| missing(RPST))?);
        let key = Origin::of(
            PRIVATE_PEM,
            get(PRIVATE_PEM).ok_or_else(|| missing(PRIVATE_PEM))?,
        );
        let passphrase = get(PASSPHRASE).map(|v| Origin::of(PASSPHRASE, v));
        // As in the Go SDK: a pass phrase file for an inline key (or the reverse) is a mistake.
        if let Some(p) = &passphrase
            && p.is_file() != key.is_file()
        {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "{WHO}: {PRIVATE_PEM} and {PASSPHRASE} must both be values or both be file paths"
                ),
            ));
        }
        let region = get(REGION).ok_or_else(|| missing(REGION))?;
        Ok(ResourcePrincipal {
            sessions: SessionCache::new(ResourceSessions {
                token,
                key,
                passphrase,
            }),
            region,
        })
    }
}

#[async_trait]
impl OciAuth for ResourcePrincipal {
    async fn sign(&self, parts: &mut http::request::Parts, body: SignBody<'_>) -> Result<()> {
        self.sessions.sign(parts, body).await
    }

    async fn refresh(&self) -> Result<()> {
        self.sessions.refresh().await;
        Ok(())
    }

    async fn refresh_after_refusal(&self, signed: &http::HeaderMap) -> Result<()> {
        self.sessions.refresh_after_refusal(signed).await;
        Ok(())
    }

    async fn region(&self) -> Result<Option<String>> {
        Ok(Some(self.region.clone()))
    }

    fn name(&self) -> &'static str {
        "resource_principal_auth"
    }
}

/// A variable's value, or the file it names.
enum Origin {
    Value {
        variable: &'static str,
        value: Secret,
    },
    File {
        variable: &'static str,
        path: PathBuf,
    },
}

impl Origin {
    fn of(variable: &'static str, value: String) -> Self {
        if Path::new(&value).is_absolute() {
            Origin::File {
                variable,
                path: PathBuf::from(value),
            }
        } else {
            Origin::Value {
                variable,
                value: Secret::new(value),
            }
        }
    }

    fn is_file(&self) -> bool {
        matches!(self, Origin::File { .. })
    }

    /// The value, read from the file now if it is one.
    fn read(&self) -> Result<Secret> {
        match self {
            Origin::Value { value, .. } => Ok(value.clone()),
            Origin::File { variable, path } => {
                let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                    Error::new(
                        ErrorKind::Auth,
                        format!("{WHO}: cannot read {} (from {variable})", path.display()),
                    )
                    .with_source(e)
                })?);
                Ok(Secret::new(text.trim()))
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Origin::Value { variable, .. } => (*variable).to_string(),
            Origin::File { variable, path } => format!("{} (from {variable})", path.display()),
        }
    }
}

/// Makes resource-principal sessions from the variables (or their files).
struct ResourceSessions {
    token: Origin,
    key: Origin,
    passphrase: Option<Origin>,
}

#[async_trait]
impl SessionSource for ResourceSessions {
    async fn fetch(&self) -> Result<Session> {
        let token = self.token.read()?;
        let expires_at = token_expiry(&format!("{WHO}: {}", self.token.describe()), &token)?;
        let pem = self.key.read()?;
        let passphrase = self.passphrase.as_ref().map(Origin::read).transpose()?;
        let key =
            RsaSigningKey::from_pem(pem.expose().as_bytes(), passphrase.as_ref()).map_err(|e| {
                Error::new(
                    ErrorKind::Auth,
                    format!("{WHO}: {}: {e}", self.key.describe()),
                )
            })?;
        Ok(Session {
            token,
            key: Arc::new(key),
            expires_at,
            fetched_at: Timestamp::now(),
        })
    }

    fn describe(&self) -> &'static str {
        WHO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{TempDir, openssl};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use std::collections::HashMap;

    fn rpst(exp: i64, marker: &str) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(format!(
                r#"{{"exp":{exp},"res_tenant":"ocid1.tenancy.oc1..t","jti":"{marker}"}}"#
            )),
            URL_SAFE_NO_PAD.encode(b"sig")
        )
    }

    fn build(vars: &[(&str, &str)]) -> Result<ResourcePrincipal> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ResourcePrincipal::from_env_with(&|name| vars.get(name).cloned())
    }

    async fn key_id(principal: &ResourcePrincipal) -> String {
        let (mut parts, ()) =
            http::Request::get("https://objectstorage.us-phoenix-1.oraclecloud.com/n")
                .body(())
                .expect("request")
                .into_parts();
        principal
            .sign(&mut parts, SignBody::None)
            .await
            .expect("sign");
        let auth = parts.headers["authorization"].to_str().expect("ascii");
        let start = auth.find("keyId=\"").expect("keyId") + 7;
        auth[start..].split('"').next().expect("quote").to_string()
    }

    fn key_pem(dir: &TempDir) -> String {
        let path = dir.path().join("rp-key.pem");
        openssl(&["genrsa", "-out", &path.to_string_lossy(), "2048"]);
        std::fs::read_to_string(&path).expect("read key")
    }

    #[tokio::test]
    async fn inline_values_sign_with_the_rpst() {
        let dir = TempDir::new("rp-inline");
        let token = rpst(Timestamp::now().as_second() + 3600, "inline");
        let pem = key_pem(&dir);
        let principal = build(&[
            (VERSION, "2.2"),
            (RPST, &token),
            (PRIVATE_PEM, &pem),
            (REGION, "us-phoenix-1"),
        ])
        .expect("build");
        assert_eq!(key_id(&principal).await, format!("ST${token}"));
        assert_eq!(
            principal.region().await.expect("region").as_deref(),
            Some("us-phoenix-1")
        );
        assert_eq!(principal.name(), "resource_principal_auth");
        assert!(!format!("{principal:?}").contains(&token));
    }

    #[tokio::test]
    async fn token_files_are_re_read_after_a_refusal() {
        let dir = TempDir::new("rp-files");
        let token_path = dir.path().join("rpst");
        let key_path = dir.path().join("key.pem");
        std::fs::write(&key_path, key_pem(&dir)).expect("write key");
        let first = rpst(Timestamp::now().as_second() + 3600, "first");
        std::fs::write(&token_path, format!("{first}\n")).expect("write token");
        let principal = build(&[
            (VERSION, "2.2"),
            (RPST, &token_path.to_string_lossy()),
            (PRIVATE_PEM, &key_path.to_string_lossy()),
            (REGION, "us-ashburn-1"),
        ])
        .expect("build");
        assert_eq!(key_id(&principal).await, format!("ST${first}"));

        // The platform rewrote the file; nothing changes until the token is refused or expires.
        let second = rpst(Timestamp::now().as_second() + 7200, "second");
        std::fs::write(&token_path, &second).expect("rewrite token");
        assert_eq!(key_id(&principal).await, format!("ST${first}"));
        principal.refresh().await.expect("refresh");
        assert_eq!(key_id(&principal).await, format!("ST${second}"));
    }

    #[test]
    fn unsupported_versions_and_missing_variables_are_named() {
        let err = build(&[(VERSION, "1.1")]).expect_err("1.1");
        assert!(
            err.to_string().contains("VERSION=1.1 is not supported"),
            "{err}"
        );
        let err = build(&[]).expect_err("nothing");
        assert!(err.to_string().contains(VERSION), "{err}");
        let err = build(&[(VERSION, "2.2"), (RPST, "tok")]).expect_err("no pem");
        assert!(err.to_string().contains(PRIVATE_PEM), "{err}");
        let err = build(&[
            (VERSION, "2.2"),
            (RPST, "tok"),
            (PRIVATE_PEM, "-----BEGIN PRIVATE KEY-----"),
            (PASSPHRASE, "/run/secrets/passphrase"),
            (REGION, "iad"),
        ])
        .expect_err("mixed modes");
        assert!(
            err.to_string()
                .contains("both be values or both be file paths"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_token_that_is_not_a_jwt_is_refused_without_showing_it() {
        let dir = TempDir::new("rp-opaque");
        let pem = key_pem(&dir);
        let principal = build(&[
            (VERSION, "2.2"),
            (RPST, "opaque-secret-token"),
            (PRIVATE_PEM, &pem),
            (REGION, "iad"),
        ])
        .expect("build");
        let (mut parts, ()) = http::Request::get("https://h/n")
            .body(())
            .expect("req")
            .into_parts();
        let err = principal
            .sign(&mut parts, SignBody::None)
            .await
            .expect_err("not a JWT");
        assert!(err.to_string().contains("not a JWT"), "{err}");
        assert!(!err.to_string().contains("opaque-secret-token"), "{err}");
    }
}
