//! A user identity from OCI config-file settings (`provider = user_principal_auth`, and what
//! `env_auth` resolves to):
//!
//! - **API key**: `tenancy`, `user`, `fingerprint`, `key_file` (+ `pass_phrase`) — key id
//!   `<tenancy>/<user>/<fingerprint>`.
//! - **Session token** (`oci session authenticate`): `security_token_file` + `key_file` — key id
//!   `ST$<token>`, signed with `key_file`'s key. The token file is re-read whenever it changes
//!   (`oci session refresh` rewrites it) and after a 401.
//!
//! A profile with `security_token_file` is a session profile even if it inherits `user` from
//! `[DEFAULT]`. (The Go SDK prefers the API key when `user` is present, but with `[DEFAULT]`
//! inheritance that would pair a DEFAULT user's key id with the session key.)

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::{Error, ErrorKind, Result, Secret};
use async_trait::async_trait;
use tokio::sync::Mutex;

use super::config_file::{
    ConfigProfile, DEFAULT_PROFILE, Setting, check_private_file, expand_tilde,
};
use super::{OciAuth, SignBody};
use crate::keys::{RsaSigningKey, read_key_file};
use crate::sign::{HostHeader, sign_request};

/// The settings a user principal is built from, each with its origin.
#[derive(Debug, Default, Clone)]
pub struct UserSettings {
    pub tenancy: Option<Setting>,
    pub user: Option<Setting>,
    pub fingerprint: Option<Setting>,
    pub key_file: Option<Setting>,
    pub pass_phrase: Option<Setting>,
    pub region: Option<Setting>,
    pub security_token_file: Option<Setting>,
}

impl UserSettings {
    /// The config-file keys, which also name the settings.
    pub const KEYS: [&'static str; 7] = [
        "tenancy",
        "user",
        "fingerprint",
        "key_file",
        "pass_phrase",
        "region",
        "security_token_file",
    ];

    pub fn from_profile(profile: &ConfigProfile) -> Self {
        let mut settings = UserSettings::default();
        for key in Self::KEYS {
            if let Some(slot) = settings.slot(key) {
                *slot = profile.get(key).cloned();
            }
        }
        settings
    }

    /// The field for a config-file key, if it is one of [`Self::KEYS`].
    pub fn slot(&mut self, key: &str) -> Option<&mut Option<Setting>> {
        match key {
            "tenancy" => Some(&mut self.tenancy),
            "user" => Some(&mut self.user),
            "fingerprint" => Some(&mut self.fingerprint),
            "key_file" => Some(&mut self.key_file),
            "pass_phrase" => Some(&mut self.pass_phrase),
            "region" => Some(&mut self.region),
            "security_token_file" => Some(&mut self.security_token_file),
            _ => None,
        }
    }

    /// Takes each setting this one lacks from `lower` (a lower-priority source).
    pub fn fill_from(&mut self, mut lower: UserSettings) {
        for key in Self::KEYS {
            let theirs = lower.slot(key).and_then(Option::take);
            if let Some(ours) = self.slot(key).filter(|s| s.is_none()) {
                *ours = theirs;
            }
        }
    }
}

/// Signs as an OCI user, with an API key or a session token.
#[derive(Debug)]
pub struct UserPrincipal {
    provider: &'static str,
    key: RsaSigningKey,
    identity: Identity,
    region: Option<String>,
}

#[derive(Debug)]
enum Identity {
    ApiKey { key_id: String },
    SessionToken(TokenFile),
}

impl UserPrincipal {
    /// Builds the identity and loads its key. `provider` is the configured provider name;
    /// `home` expands `~` in file paths; `context` says where the settings were looked for, for
    /// "missing" errors (`/home/u/.oci/config [prod]`).
    pub fn from_settings(
        provider: &'static str,
        settings: &UserSettings,
        home: Option<&Path>,
        context: &str,
    ) -> Result<Self> {
        let missing = |key: &str| {
            Error::new(
                ErrorKind::Auth,
                format!("{provider}: `{key}` is not set in {context}"),
            )
        };
        let key_setting = settings
            .key_file
            .as_ref()
            .ok_or_else(|| missing("key_file"))?;
        let key_path = expand_tilde(key_setting.value.expose(), home).map_err(|e| {
            Error::new(
                ErrorKind::Auth,
                format!(
                    "{provider}: key_file ({}): {}",
                    key_setting.origin, e.message
                ),
            )
        })?;
        check_private_file(&key_path, "key_file", provider)?;
        let pem = read_key_file(&key_path).map_err(|e| {
            Error::new(
                ErrorKind::Auth,
                format!(
                    "{provider}: cannot read key_file {} ({})",
                    key_path.display(),
                    key_setting.origin
                ),
            )
            .with_source(e)
        })?;
        let pass_phrase = settings.pass_phrase.as_ref().map(|s| &s.value);
        let key = RsaSigningKey::from_pem(&pem, pass_phrase).map_err(|e| {
            Error::new(
                ErrorKind::Auth,
                format!(
                    "{provider}: key_file {} ({}): {e}",
                    key_path.display(),
                    key_setting.origin
                ),
            )
        })?;

        let identity = match &settings.security_token_file {
            Some(token) => Identity::SessionToken(TokenFile::new(
                expand_tilde(token.value.expose(), home).map_err(|e| {
                    Error::new(
                        ErrorKind::Auth,
                        format!(
                            "{provider}: security_token_file ({}): {}",
                            token.origin, e.message
                        ),
                    )
                })?,
                token.origin.clone(),
            )),
            None => {
                let tenancy = settings
                    .tenancy
                    .as_ref()
                    .ok_or_else(|| missing("tenancy"))?;
                let user = settings.user.as_ref().ok_or_else(|| missing("user"))?;
                let fingerprint = settings
                    .fingerprint
                    .as_ref()
                    .ok_or_else(|| missing("fingerprint"))?;
                let configured = fingerprint.value.expose().trim().to_ascii_lowercase();
                // A mismatch would only show up as 401 NotAuthenticated from the service.
                if configured != key.fingerprint() {
                    return Err(Error::new(
                        ErrorKind::Auth,
                        format!(
                            "{provider}: fingerprint {configured} ({}) is not the fingerprint of \
                             key_file {} ({}); use the fingerprint the OCI console shows for this key",
                            fingerprint.origin,
                            key_path.display(),
                            key.fingerprint()
                        ),
                    ));
                }
                Identity::ApiKey {
                    key_id: format!(
                        "{}/{}/{}",
                        tenancy.value.expose().trim(),
                        user.value.expose().trim(),
                        configured
                    ),
                }
            }
        };
        let region = settings
            .region
            .as_ref()
            .map(|r| r.value.expose().trim().to_string());
        Ok(UserPrincipal {
            provider,
            key,
            identity,
            region,
        })
    }
}

impl UserPrincipal {
    /// `provider = user_principal_auth`: a profile of an OCI config file (`~/.oci/config` and
    /// `DEFAULT` unless given).
    pub fn from_config_file(
        config_file: Option<&str>,
        profile: Option<&str>,
        home: Option<&Path>,
    ) -> Result<Self> {
        let path = config_file_path(config_file, home)?;
        let profile = ConfigProfile::load(&path, profile.unwrap_or(DEFAULT_PROFILE))?;
        let settings = UserSettings::from_profile(&profile);
        Self::from_settings("user_principal_auth", &settings, home, &profile.describe())
    }
}

/// The configured config file with `~` expanded, or `~/.oci/config`.
pub(crate) fn config_file_path(config_file: Option<&str>, home: Option<&Path>) -> Result<PathBuf> {
    match config_file.map(str::trim).filter(|f| !f.is_empty()) {
        Some(file) => expand_tilde(file, home),
        None => home.map(|h| h.join(".oci").join("config")).ok_or_else(|| {
            Error::config(
                "no config_file is set and $HOME is unknown, so ~/.oci/config cannot be found",
            )
        }),
    }
}

#[async_trait]
impl OciAuth for UserPrincipal {
    async fn sign(&self, parts: &mut http::request::Parts, body: SignBody<'_>) -> Result<()> {
        match &self.identity {
            Identity::ApiKey { key_id } => {
                sign_request(parts, key_id, &self.key, body, HostHeader::Signed)
            }
            Identity::SessionToken(file) => {
                let token = file.current().await?;
                let key_id = Secret::new(format!("ST${}", token.expose()));
                sign_request(parts, key_id.expose(), &self.key, body, HostHeader::Signed)
            }
        }
    }

    async fn refresh(&self) -> Result<()> {
        if let Identity::SessionToken(file) = &self.identity {
            file.forget().await;
        }
        Ok(())
    }

    async fn region(&self) -> Result<Option<String>> {
        Ok(self.region.clone())
    }

    fn name(&self) -> &'static str {
        self.provider
    }
}

/// A session token file, cached and re-read when its size or modification time changes.
#[derive(Debug)]
struct TokenFile {
    path: PathBuf,
    origin: String,
    cached: Mutex<Option<CachedToken>>,
}

#[derive(Debug)]
struct CachedToken {
    token: std::sync::Arc<Secret>,
    modified: Option<SystemTime>,
    len: u64,
}

impl TokenFile {
    fn new(path: PathBuf, origin: String) -> Self {
        TokenFile {
            path,
            origin,
            cached: Mutex::new(None),
        }
    }

    async fn current(&self) -> Result<std::sync::Arc<Secret>> {
        let meta = tokio::fs::metadata(&self.path)
            .await
            .map_err(|e| self.error("cannot read", e))?;
        let (modified, len) = (meta.modified().ok(), meta.len());
        let mut cached = self.cached.lock().await;
        // Without a modification time (rare filesystems) the file is read every time.
        let unchanged =
            |c: &CachedToken| modified.is_some() && c.modified == modified && c.len == len;
        if let Some(c) = cached.as_ref().filter(|c| unchanged(c)) {
            return Ok(c.token.clone());
        }
        let text = tokio::fs::read_to_string(&self.path)
            .await
            .map_err(|e| self.error("cannot read", e))?;
        let token = Secret::new(text.trim());
        drop(zeroize::Zeroizing::new(text));
        if token.is_empty() {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "security token file {} ({}) is empty",
                    self.path.display(),
                    self.origin
                ),
            ));
        }
        let token = std::sync::Arc::new(token);
        *cached = Some(CachedToken {
            token: token.clone(),
            modified,
            len,
        });
        Ok(token)
    }

    async fn forget(&self) {
        *self.cached.lock().await = None;
    }

    fn error(&self, what: &str, e: std::io::Error) -> Error {
        Error::new(
            ErrorKind::Auth,
            format!(
                "{what} security token file {} ({})",
                self.path.display(),
                self.origin
            ),
        )
        .with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{TempDir, openssl};

    fn setting(value: &str) -> Option<Setting> {
        Some(Setting {
            value: Secret::new(value),
            origin: "test config line 1 [DEFAULT]".into(),
        })
    }

    struct Fixture {
        dir: TempDir,
        fingerprint: String,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = TempDir::new("user-principal");
            let key = dir.path().join("key.pem");
            openssl(&["genrsa", "-out", &key.to_string_lossy(), "2048"]);
            let pem = std::fs::read(&key).expect("read key");
            let fingerprint = RsaSigningKey::from_pem(&pem, None)
                .expect("load")
                .fingerprint();
            Fixture { dir, fingerprint }
        }

        fn api_key_settings(&self) -> UserSettings {
            UserSettings {
                tenancy: setting("ocid1.tenancy.oc1..t"),
                user: setting("ocid1.user.oc1..u"),
                fingerprint: setting(&self.fingerprint),
                key_file: setting(&self.dir.path().join("key.pem").to_string_lossy()),
                region: setting("iad"),
                ..UserSettings::default()
            }
        }

        fn build(&self, settings: &UserSettings) -> Result<UserPrincipal> {
            UserPrincipal::from_settings(
                "user_principal_auth",
                settings,
                Some(self.dir.path()),
                "test config [DEFAULT]",
            )
        }
    }

    fn signed_get() -> http::request::Parts {
        http::Request::get("https://objectstorage.us-ashburn-1.oraclecloud.com/n")
            .body(())
            .expect("request")
            .into_parts()
            .0
    }

    fn key_id(parts: &http::request::Parts) -> String {
        let auth = parts.headers["authorization"].to_str().expect("ascii");
        let start = auth.find("keyId=\"").expect("keyId") + 7;
        auth[start..].split('"').next().expect("quote").to_string()
    }

    #[tokio::test]
    async fn api_keys_sign_with_tenancy_user_fingerprint() {
        let f = Fixture::new();
        let principal = f.build(&f.api_key_settings()).expect("build");
        let mut parts = signed_get();
        principal
            .sign(&mut parts, SignBody::None)
            .await
            .expect("sign");
        assert_eq!(
            key_id(&parts),
            format!("ocid1.tenancy.oc1..t/ocid1.user.oc1..u/{}", f.fingerprint)
        );
        assert_eq!(
            principal.region().await.expect("region").as_deref(),
            Some("iad")
        );
        assert_eq!(principal.name(), "user_principal_auth");
    }

    #[tokio::test]
    async fn missing_settings_and_wrong_fingerprints_are_named() {
        let f = Fixture::new();
        let mut settings = f.api_key_settings();
        settings.user = None;
        let err = f.build(&settings).expect_err("no user");
        assert_eq!(
            err.to_string(),
            "user_principal_auth: `user` is not set in test config [DEFAULT]"
        );

        let mut settings = f.api_key_settings();
        settings.fingerprint = setting("00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff");
        let err = f.build(&settings).expect_err("wrong fingerprint");
        assert!(
            err.to_string()
                .contains("is not the fingerprint of key_file"),
            "{err}"
        );
        assert!(err.to_string().contains(&f.fingerprint), "{err}");

        let mut settings = f.api_key_settings();
        settings.key_file = setting("~/absent.pem");
        let err = f.build(&settings).expect_err("no key file");
        assert!(err.to_string().contains("cannot read key_file"), "{err}");
        assert!(
            err.to_string()
                .contains(&f.dir.path().join("absent.pem").display().to_string()),
            "{err}"
        );
    }

    #[tokio::test]
    async fn encrypted_keys_need_the_right_pass_phrase() {
        let f = Fixture::new();
        let p = |n: &str| f.dir.path().join(n).to_string_lossy().to_string();
        openssl(&[
            "rsa",
            "-aes256",
            "-traditional",
            "-in",
            &p("key.pem"),
            "-out",
            &p("enc.pem"),
            "-passout",
            "pass:s3cret-pw",
        ]);
        let mut settings = f.api_key_settings();
        settings.key_file = setting("~/enc.pem");
        settings.pass_phrase = setting("wrong-pw");
        let err = f.build(&settings).expect_err("wrong pass phrase");
        let message = err.to_string();
        assert!(
            message.contains("wrong pass phrase") && message.contains("enc.pem"),
            "{message}"
        );
        assert!(
            !message.contains("wrong-pw") && !message.contains("s3cret-pw"),
            "{message}"
        );
        settings.pass_phrase = setting("s3cret-pw");
        assert!(f.build(&settings).is_ok());
    }

    #[tokio::test]
    async fn session_tokens_are_reread_when_the_file_changes() {
        let f = Fixture::new();
        let token_path = f.dir.path().join("token");
        std::fs::write(&token_path, "eyJhbGciOiJSUzI1NiJ9.first.sig\n").expect("write token");
        let settings = UserSettings {
            security_token_file: setting("~/token"),
            key_file: setting("~/key.pem"),
            // A session profile inherits `user` from [DEFAULT]; it must not win.
            user: setting("ocid1.user.oc1..u"),
            ..UserSettings::default()
        };
        let principal = f.build(&settings).expect("build");
        let mut parts = signed_get();
        principal
            .sign(&mut parts, SignBody::None)
            .await
            .expect("sign");
        assert_eq!(key_id(&parts), "ST$eyJhbGciOiJSUzI1NiJ9.first.sig");
        assert!(!format!("{parts:?}").contains("first.sig"));

        // A refreshed token of another length is picked up without any call to refresh().
        std::fs::write(&token_path, "eyJhbGciOiJSUzI1NiJ9.second-token.sig")
            .expect("rewrite token");
        let mut parts = signed_get();
        principal
            .sign(&mut parts, SignBody::None)
            .await
            .expect("sign");
        assert_eq!(key_id(&parts), "ST$eyJhbGciOiJSUzI1NiJ9.second-token.sig");

        std::fs::write(&token_path, "").expect("empty token");
        principal.refresh().await.expect("refresh");
        let err = principal
            .sign(&mut signed_get(), SignBody::None)
            .await
            .expect_err("empty");
        assert!(err.to_string().contains("is empty"), "{err}");
    }
}
