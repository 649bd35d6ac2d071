//! Logging in to Swift before the OpenDAL service is opened (OpenDAL's `swift` service takes a
//! storage URL and a token only): auth v1 (`GET auth` with `X-Auth-User`/`X-Auth-Key`, what
//! Swift's tempauth, swauth and many providers speak) and Keystone v3 (`POST {auth}/auth/tokens`
//! with a password, an application credential or a token; the object-store endpoint from the
//! returned catalog). Keystone v2.0 is refused by name. The request bodies follow the Go
//! library rclone uses (`ncw/swift`), so a configuration that logs in with rclone logs in here.
//!
//! Secrets (`key`, application-credential secrets, tokens) are [`Secret`]s: they leave only in
//! the request, and no error or log line carries them.

use ocisync_backend::Secret;
use ocisync_backend::endpoint::check_endpoint_url;
use serde::Deserialize;
use serde_json::{Value, json};

/// A login answer larger than this is refused (a Keystone catalog is a few kilobytes).
const MAX_ANSWER: usize = 4 << 20;

/// What a login needs: rclone's keys, after `env_auth` filled in the blanks.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub auth_url: String,
    /// 1 or 3 (2 is refused; 0 means: from the URL, as rclone).
    pub version: u8,
    pub user: Option<String>,
    pub user_id: Option<String>,
    pub key: Option<Secret>,
    pub domain: Option<String>,
    pub tenant: Option<String>,
    pub tenant_id: Option<String>,
    pub tenant_domain: Option<String>,
    pub region: Option<String>,
    pub application_credential_id: Option<String>,
    pub application_credential_name: Option<String>,
    pub application_credential_secret: Option<Secret>,
    /// public, internal or admin.
    pub endpoint_type: String,
}

/// Where the objects are and the token that opens them.
#[derive(Debug, Clone)]
pub struct Session {
    pub storage_url: String,
    pub token: Secret,
}

/// Why a login failed; never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    Config(String),
    #[error("{url}: the login was refused ({status}){detail}")]
    Refused {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{url}: {message}")]
    Answer { url: String, message: String },
    #[error("{url}: {source}")]
    Network {
        url: String,
        #[source]
        source: reqwest::Error,
    },
}

impl AuthError {
    /// A refusal (401/403) or a configuration error: retrying the same login will not help.
    pub fn is_credentials(&self) -> bool {
        match self {
            AuthError::Refused { status, .. } => matches!(status, 401 | 403),
            AuthError::Config(_) => true,
            _ => false,
        }
    }
}

/// The auth version rclone (ncw/swift) would use: the configured one, else `v3`/`v2`/`v1` in
/// the URL.
pub fn version_of(auth_url: &str, configured: i64) -> Result<u8, AuthError> {
    let v = match configured {
        0 if auth_url.contains("v3") => 3,
        0 if auth_url.contains("v2") => 2,
        0 if auth_url.contains("v1") => 1,
        0 => {
            return Err(AuthError::Config(format!(
                "auth_version: cannot tell the auth version from {auth_url:?} (no v1, v2 or v3 \
                 in it): set auth_version"
            )));
        }
        1..=3 => configured as u8,
        n => {
            return Err(AuthError::Config(format!(
                "auth_version: {n} is not an auth version (1, 2 or 3)"
            )));
        }
    };
    if v == 2 {
        return Err(AuthError::Config(
            "auth_version 2 (Keystone v2.0) is not supported by ocisync: use the v3 URL of the \
             same Keystone (…/v3) or v1 auth"
                .into(),
        ));
    }
    Ok(v)
}

/// Logs in with `client` and returns the storage URL and token.
pub async fn login(client: &reqwest::Client, c: &Credentials) -> Result<Session, AuthError> {
    check_endpoint_url(&c.auth_url).map_err(|e| AuthError::Config(format!("auth: {e}")))?;
    let session = match c.version {
        1 => login_v1(client, c).await?,
        3 => login_v3(client, c).await?,
        v => {
            return Err(AuthError::Config(format!(
                "auth_version {v} is not supported by ocisync (1 or 3)"
            )));
        }
    };
    // The token travels to this URL with every request: the same rule as a configured one.
    check_endpoint_url(&session.storage_url).map_err(|e| AuthError::Answer {
        url: c.auth_url.clone(),
        message: format!("the storage URL the login returned is refused: {e}"),
    })?;
    Ok(session)
}

async fn login_v1(client: &reqwest::Client, c: &Credentials) -> Result<Session, AuthError> {
    let user = c
        .user
        .as_deref()
        .ok_or_else(|| AuthError::Config("user is needed for v1 auth".into()))?;
    let key = c
        .key
        .as_ref()
        .ok_or_else(|| AuthError::Config("key is needed for v1 auth".into()))?;
    let url = c.auth_url.clone();
    let resp = client
        .get(&url)
        .header("X-Auth-User", user)
        .header("X-Auth-Key", key.expose())
        .send()
        .await
        .map_err(|source| AuthError::Network {
            url: url.clone(),
            source,
        })?;
    let status = resp.status().as_u16();
    if !resp.status().is_success() {
        return Err(refused(&url, status, resp).await);
    }
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let storage_url = header("x-storage-url").ok_or_else(|| AuthError::Answer {
        url: url.clone(),
        message: "the login answer has no X-Storage-Url".into(),
    })?;
    let token = header("x-auth-token")
        .or_else(|| header("x-storage-token"))
        .ok_or_else(|| AuthError::Answer {
            url: url.clone(),
            message: "the login answer has no X-Auth-Token".into(),
        })?;
    Ok(Session {
        storage_url,
        token: Secret::new(token),
    })
}

/// The Keystone v3 request body, as ncw/swift builds it.
fn v3_body(c: &Credentials) -> Result<Value, AuthError> {
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let (user, user_id, domain) = (nonempty(&c.user), nonempty(&c.user_id), nonempty(&c.domain));
    let app_id = nonempty(&c.application_credential_id);
    let app_name = nonempty(&c.application_credential_name);
    let app_secret = c
        .application_credential_secret
        .as_ref()
        .filter(|s| !s.is_empty());
    if let (Some(secret), true) = (app_secret, app_id.is_some() || app_name.is_some()) {
        let mut cred = json!({ "secret": secret.expose() });
        if let Some(id) = app_id {
            cred["id"] = json!(id);
        } else {
            cred["name"] = json!(app_name);
            cred["user"] = match (user_id, user, domain) {
                (Some(id), _, _) => json!({ "id": id }),
                (None, Some(name), Some(d)) => json!({ "name": name, "domain": { "name": d } }),
                (None, None, _) => {
                    return Err(AuthError::Config(
                        "application_credential_name needs user or user_id".into(),
                    ));
                }
                (None, Some(_), None) => {
                    return Err(AuthError::Config(
                        "application_credential_name with user needs domain".into(),
                    ));
                }
            };
        }
        // Application credentials carry their own scope.
        return Ok(json!({ "auth": { "identity": {
            "methods": ["application_credential"],
            "application_credential": cred,
        } } }));
    }
    let key = c.key.as_ref().filter(|k| !k.is_empty()).ok_or_else(|| {
        AuthError::Config(
            "key (or application_credential_id/_name with application_credential_secret) is \
                 needed for v3 auth"
                .into(),
        )
    })?;
    let identity = if user.is_none() && user_id.is_none() {
        // ncw/swift: no user means the key is a token to exchange.
        json!({ "methods": ["token"], "token": { "id": key.expose() } })
    } else {
        let mut u = json!({ "password": key.expose() });
        if let Some(n) = &user {
            u["name"] = json!(n);
        }
        if let Some(i) = &user_id {
            u["id"] = json!(i);
        }
        if let Some(d) = &domain {
            u["domain"] = json!({ "name": d });
        }
        json!({ "methods": ["password"], "password": { "user": u } })
    };
    let mut auth = json!({ "identity": identity });
    if let Some(id) = nonempty(&c.tenant_id) {
        auth["scope"] = json!({ "project": { "id": id } });
    } else if let Some(name) = nonempty(&c.tenant) {
        let d = nonempty(&c.tenant_domain)
            .or(domain)
            .unwrap_or_else(|| "Default".into());
        auth["scope"] = json!({ "project": { "name": name, "domain": { "name": d } } });
    }
    Ok(json!({ "auth": auth }))
}

#[derive(Deserialize)]
struct V3Answer {
    token: V3Token,
}

#[derive(Deserialize)]
struct V3Token {
    #[serde(default)]
    catalog: Vec<V3Service>,
}

#[derive(Deserialize)]
struct V3Service {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    endpoints: Vec<V3Endpoint>,
}

#[derive(Deserialize)]
struct V3Endpoint {
    #[serde(default)]
    interface: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    region_id: String,
    #[serde(default)]
    url: String,
}

/// The object-store endpoint of `interface` (in `region` when one is set), as ncw/swift picks
/// it: the first match in catalog order.
fn object_store_url(answer: &V3Answer, interface: &str, region: Option<&str>) -> Option<String> {
    answer
        .token
        .catalog
        .iter()
        .filter(|s| s.kind == "object-store")
        .flat_map(|s| &s.endpoints)
        .find(|e| {
            e.interface == interface
                && region.is_none_or(|r| e.region == r || (e.region.is_empty() && e.region_id == r))
        })
        .map(|e| e.url.clone())
}

async fn login_v3(client: &reqwest::Client, c: &Credentials) -> Result<Session, AuthError> {
    let body = v3_body(c)?;
    let url = format!("{}/auth/tokens", c.auth_url.trim_end_matches('/'));
    let resp = client
        .post(&url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|source| AuthError::Network {
            url: url.clone(),
            source,
        })?;
    let status = resp.status().as_u16();
    if !resp.status().is_success() {
        return Err(refused(&url, status, resp).await);
    }
    let token = resp
        .headers()
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(Secret::new)
        .ok_or_else(|| AuthError::Answer {
            url: url.clone(),
            message: "the login answer has no X-Subject-Token".into(),
        })?;
    let bytes = read_bounded(resp)
        .await
        .map_err(|message| AuthError::Answer {
            url: url.clone(),
            message,
        })?;
    let answer: V3Answer = serde_json::from_slice(&bytes).map_err(|e| AuthError::Answer {
        url: url.clone(),
        message: format!("the login answer is not Keystone's token document: {e}"),
    })?;
    let region = c.region.as_deref().filter(|r| !r.is_empty());
    let storage_url =
        object_store_url(&answer, &c.endpoint_type, region).ok_or_else(|| AuthError::Answer {
            url: url.clone(),
            message: format!(
                "the token's catalog has no object-store endpoint of interface {:?}{} (set \
                 region or endpoint_type, or tenant for a project-scoped token)",
                c.endpoint_type,
                region
                    .map(|r| format!(" in region {r:?}"))
                    .unwrap_or_default()
            ),
        })?;
    Ok(Session { storage_url, token })
}

/// The body, up to [`MAX_ANSWER`] bytes.
async fn read_bounded(mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading the login answer: {e}"))?
    {
        if out.len() + chunk.len() > MAX_ANSWER {
            return Err(format!("the login answer is over {MAX_ANSWER} bytes"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A refusal, with the first line of what the server said (no request data is echoed).
async fn refused(url: &str, status: u16, resp: reqwest::Response) -> AuthError {
    let text = read_bounded(resp).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let line: String = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('<'))
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    AuthError::Refused {
        url: url.to_string(),
        status,
        detail: if line.is_empty() {
            String::new()
        } else {
            format!(": {line}")
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            auth_url: "https://keystone.example.com/v3".into(),
            version: 3,
            endpoint_type: "public".into(),
            ..Credentials::default()
        }
    }

    #[test]
    fn versions_as_rclone_reads_them() {
        assert_eq!(version_of("https://a.example/auth/v1.0", 0).unwrap(), 1);
        assert_eq!(version_of("https://a.example/v3", 0).unwrap(), 3);
        assert_eq!(version_of("https://a.example/auth", 1).unwrap(), 1);
        let e = version_of("https://a.example/v2.0", 0).unwrap_err();
        assert!(e.to_string().contains("Keystone v2.0"), "{e}");
        assert!(version_of("https://a.example/auth", 0).is_err());
        assert!(version_of("https://a.example/v3", 4).is_err());
    }

    #[test]
    fn v3_password_scoped_to_a_project_by_name() {
        let mut c = creds();
        c.user = Some("alice".into());
        c.key = Some(Secret::new("pw"));
        c.domain = Some("Users".into());
        c.tenant = Some("reports".into());
        let b = v3_body(&c).unwrap();
        assert_eq!(
            b,
            json!({ "auth": {
                "identity": { "methods": ["password"], "password": { "user": {
                    "name": "alice", "password": "pw", "domain": { "name": "Users" } } } },
                "scope": { "project": { "name": "reports", "domain": { "name": "Users" } } },
            } })
        );
        c.tenant_domain = Some("Projects".into());
        c.domain = None;
        let b = v3_body(&c).unwrap();
        assert_eq!(b["auth"]["scope"]["project"]["domain"]["name"], "Projects");
        c.tenant_id = Some("p-1".into());
        assert_eq!(
            v3_body(&c).unwrap()["auth"]["scope"],
            json!({ "project": { "id": "p-1" } })
        );
    }

    #[test]
    fn v3_application_credentials_and_tokens() {
        let mut c = creds();
        c.application_credential_id = Some("ac-1".into());
        c.application_credential_secret = Some(Secret::new("s3cr3t"));
        c.tenant = Some("ignored: the credential has its scope".into());
        let b = v3_body(&c).unwrap();
        assert_eq!(
            b,
            json!({ "auth": { "identity": { "methods": ["application_credential"],
                "application_credential": { "id": "ac-1", "secret": "s3cr3t" } } } })
        );
        c.application_credential_id = None;
        c.application_credential_name = Some("sync".into());
        assert!(v3_body(&c).is_err(), "a named credential needs its user");
        c.user_id = Some("u-1".into());
        let b = v3_body(&c).unwrap();
        assert_eq!(
            b["auth"]["identity"]["application_credential"]["user"],
            json!({ "id": "u-1" })
        );
        let mut t = creds();
        t.key = Some(Secret::new("tok"));
        assert_eq!(
            v3_body(&t).unwrap()["auth"]["identity"],
            json!({ "methods": ["token"], "token": { "id": "tok" } })
        );
        assert!(v3_body(&creds()).is_err(), "nothing to log in with");
    }

    #[test]
    fn catalog_endpoint_by_interface_and_region() {
        let answer: V3Answer = serde_json::from_value(json!({ "token": { "catalog": [
            { "type": "identity", "endpoints": [
                { "interface": "public", "region": "r1", "url": "https://id.example" } ] },
            { "type": "object-store", "endpoints": [
                { "interface": "internal", "region": "r1", "url": "https://int-r1.example/v1/AUTH_p" },
                { "interface": "public", "region": "r1", "url": "https://r1.example/v1/AUTH_p" },
                { "interface": "public", "region": "r2", "url": "https://r2.example/v1/AUTH_p" } ] },
        ] } }))
        .unwrap();
        let url = |i, r| object_store_url(&answer, i, r);
        assert_eq!(
            url("public", None).as_deref(),
            Some("https://r1.example/v1/AUTH_p")
        );
        assert_eq!(
            url("public", Some("r2")).as_deref(),
            Some("https://r2.example/v1/AUTH_p")
        );
        assert_eq!(
            url("internal", Some("r1")).as_deref(),
            Some("https://int-r1.example/v1/AUTH_p")
        );
        assert_eq!(url("admin", None), None);
        assert_eq!(url("public", Some("r3")), None);
    }
}
