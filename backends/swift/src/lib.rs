//! `type = "swift"`: OpenStack Swift (and Swift-compatible services: OVH, Rackspace Cloud Files,
//! Memset, Blomp...) under rclone's type name and keys. `NAME:container/prefix`.
//!
//! Login ([`auth`]): auth v1 (`user`/`key` against `auth`, what tempauth and many providers
//! speak) or Keystone v3 (password, application credential or token; the object-store endpoint
//! from the catalog for `region`/`endpoint_type`); `storage_url` + `auth_token` skip the login
//! as in rclone, and either alone overrides what the login returned. `env_auth` reads the
//! standard `OS_*`/`ST_*` variables as rclone does. Keystone v2.0 is refused by name. The
//! login happens once when the remote is opened: the token is used for the run.
//!
//! Objects: OpenDAL's `swift` service lists, reads, stats, copies and deletes; writes are one
//! streamed `PUT` each ([`put`]), so nothing is buffered and nothing lands in `.segments/`.
//! Objects over Swift's 5 GiB single-request limit are refused with an error naming the file
//! (rclone uploads them as segmented large objects).
//!
//! What the engine may rely on: listings carry the size and `hash`, the MD5 of the content for
//! every object ocisync writes (large-object manifests made by other tools excepted, see
//! docs/remotes.md); the real modification time is rclone's `X-Object-Meta-Mtime` (decimal
//! seconds, written by both), read by a HEAD, as rclone does, and changed in place by a POST
//! ([`mtime`]).

pub mod auth;
pub mod list;
pub mod mtime;
pub mod put;

use std::sync::Arc;

use async_trait::async_trait;
use ocisync_backend::backend::{split_bucket, with_standard_layers};
use ocisync_backend::endpoint::check_endpoint_url;
use ocisync_backend::keys::{DotSegments, KeyRules};
use ocisync_backend::remote::MtimeFormat;
use ocisync_backend::{
    Backend, BackendSpec, ConfigValues, Error, ErrorKind, Features, HashSource, ModtimeSource,
    OpenContext, OptionError, Remote, Result, Secret, SetModtime, Size,
};

/// rclone's default `encoding` for swift (`Slash,InvalidUtf8`; sorted, lowercase): what ocisync does anyway (names
/// are UTF-8 and never contain `/` inside a segment).
const DEFAULT_ENCODING: &[&str] = &["invalidutf8", "slash"];

ocisync_backend::declare_options! {
    /// Options of `type = "swift"` (rclone's names and meanings).
    pub struct SwiftOptions {
        /// Get swift credentials from environment variables in standard OpenStack form
        /// (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, ST_AUTH, ST_USER, ST_KEY...;
        /// a variable that is set wins over the key).
        env_auth: bool = "false";
        /// User name to log in (OS_USERNAME).
        user: Option<String>;
        /// API key or password (OS_PASSWORD).
        key: Option<Secret>;
        /// Authentication URL for server (OS_AUTH_URL), e.g. https://auth.cloud.ovh.net/v3 or
        /// https://example.com/auth/v1.0. Plain http only for loopback addresses.
        auth: Option<String>;
        /// User ID to log in - optional - most swift systems use user and leave this blank (v3
        /// auth) (OS_USER_ID).
        user_id: Option<String>;
        /// User domain - optional (v3 auth) (OS_USER_DOMAIN_NAME).
        domain: Option<String>;
        /// Tenant name - optional for v1 auth, this or tenant_id required otherwise
        /// (OS_TENANT_NAME or OS_PROJECT_NAME).
        tenant: Option<String>;
        /// Tenant ID - optional for v1 auth, this or tenant required otherwise (OS_TENANT_ID).
        tenant_id: Option<String>;
        /// Tenant domain - optional (v3 auth) (OS_PROJECT_DOMAIN_NAME).
        tenant_domain: Option<String>;
        /// Region name - optional (OS_REGION_NAME).
        region: Option<String>;
        /// Storage URL - optional (OS_STORAGE_URL). With auth_token: no login at all.
        storage_url: Option<String>;
        /// Auth Token from alternate authentication - optional (OS_AUTH_TOKEN).
        auth_token: Option<Secret>;
        /// Application Credential ID (OS_APPLICATION_CREDENTIAL_ID).
        application_credential_id: Option<String>;
        /// Application Credential Name (OS_APPLICATION_CREDENTIAL_NAME).
        application_credential_name: Option<String>;
        /// Application Credential Secret (OS_APPLICATION_CREDENTIAL_SECRET).
        application_credential_secret: Option<Secret>;
        /// AuthVersion - optional - set to (1,2,3) if your auth URL has no version
        /// (ST_AUTH_VERSION). 2 (Keystone v2.0) is not supported by ocisync.
        auth_version: i64 = "0";
        /// Endpoint type to choose from the service catalogue (OS_ENDPOINT_TYPE): public,
        /// internal or admin.
        endpoint_type: String = "public";
        /// If true avoid calling abort upload on a failure (accepted for rclone; ocisync writes
        /// no segments, so there is nothing to leave).
        leave_parts_on_error: bool = "false", advanced;
        /// The storage policy to use when creating a new container (accepted for rclone;
        /// ocisync never creates containers).
        storage_policy: Option<String>;
        /// When paginating, always fetch unless we received an empty page (accepted for rclone;
        /// ocisync always pages until an empty page).
        fetch_until_empty_page: bool = "false", advanced;
        /// When paginating, fetch if the current page is within this percentage of the limit
        /// (accepted for rclone; ocisync always pages until an empty page).
        partial_page_fetch_threshold: i64 = "0", advanced;
        /// Above this size files will be chunked (accepted for rclone; ocisync writes every file
        /// in one request and refuses files over Swift's 5 GiB single-object limit).
        chunk_size: Size = "5Gi", advanced;
        /// Don't chunk files during streaming upload (what ocisync always does).
        no_chunk: bool = "false", advanced;
        /// Disable support for static and dynamic large objects: 0-byte listing entries are
        /// taken as listed, without the HEAD that finds a dynamic large object's real size.
        no_large_objects: bool = "false", advanced;
        /// Where rclone keeps large-object segments: true, false or unset (rclone's choice: false
        /// for the providers it knows need it, such as Blomp). When false, the container's
        /// `.file-segments` directory is left out of listings, as rclone does, so no sync copies
        /// or deletes it. ocisync itself writes no segments.
        use_segments_container: Option<String>, advanced;
        /// The encoding for the backend. Only rclone's default (Slash,InvalidUtf8) is supported:
        /// ocisync stores names as they are.
        encoding: Option<String>, advanced;
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
    }
}

pub static SPEC: BackendSpec = BackendSpec {
    name: "swift",
    prefix: "swift",
    description: "OpenStack Swift (OVH, Rackspace Cloud Files, Memset, Blomp; auth v1 and \
                  Keystone v3).",
    options: SwiftOptions::SPECS,
    open_options: false,
    credential_keys: &["key", "auth_token", "application_credential_secret"],
};

pub struct SwiftBackend;

/// Registered in ocisync's backend list.
pub static BACKEND: SwiftBackend = SwiftBackend;

/// Keys set to something ocisync cannot do, with why.
fn refused(o: &SwiftOptions) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !matches!(o.endpoint_type.as_str(), "public" | "internal" | "admin") {
        out.push((
            "endpoint_type",
            format!(
                "{:?} is not an endpoint type (public, internal, admin)",
                o.endpoint_type
            ),
        ));
    }
    if o.auth_version == 2 {
        out.push((
            "auth_version",
            "2 (Keystone v2.0) is not supported by ocisync: use the v3 URL of the same Keystone \
             or v1 auth"
                .into(),
        ));
    } else if !(0..=3).contains(&o.auth_version) {
        out.push((
            "auth_version",
            format!("{} is not an auth version (1, 2 or 3)", o.auth_version),
        ));
    }
    if let Some(e) = o.encoding.as_deref().filter(|e| !e.trim().is_empty())
        && !is_default_encoding(e)
    {
        out.push((
            "encoding",
            format!(
                "{e:?} is not supported by ocisync, which stores names as they are (rclone's \
                 default Slash,InvalidUtf8 is accepted)"
            ),
        ));
    }
    for (key, v) in [("auth", &o.auth), ("storage_url", &o.storage_url)] {
        if let Some(u) = v.as_deref().filter(|u| !u.trim().is_empty())
            && let Err(e) = check_endpoint_url(u.trim())
        {
            out.push((key, e.to_string()));
        }
    }
    out
}

fn is_default_encoding(e: &str) -> bool {
    let mut parts: Vec<String> = e
        .split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    parts.sort();
    parts.dedup();
    parts == DEFAULT_ENCODING
}

#[async_trait]
impl Backend for SwiftBackend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    fn validate(&self, values: &ConfigValues) -> Vec<OptionError> {
        let Ok(o) = SwiftOptions::from_values(values) else {
            return Vec::new();
        };
        let mut problems: Vec<OptionError> = refused(&o)
            .into_iter()
            .map(|(k, m)| OptionError::invalid(k, m))
            .collect();
        if let Some(u) = o.use_segments_container.as_deref()
            && !matches!(
                u.trim().to_ascii_lowercase().as_str(),
                "" | "true" | "false" | "unset"
            )
        {
            problems.push(OptionError::invalid(
                "use_segments_container",
                format!("expected true, false or unset, found {u:?}"),
            ));
        }
        problems
    }

    fn ignored(&self, values: &ConfigValues) -> Vec<(&'static str, String)> {
        let Ok(o) = SwiftOptions::from_values(values) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if o.leave_parts_on_error {
            out.push((
                "leave_parts_on_error",
                "ocisync writes each object in one request: there are no parts".into(),
            ));
        }
        if o.storage_policy.as_deref().is_some_and(|p| !p.is_empty()) {
            out.push((
                "storage_policy",
                "ocisync never creates containers; the container's policy applies".into(),
            ));
        }
        if o.fetch_until_empty_page || o.partial_page_fetch_threshold != 0 {
            out.push((
                if o.fetch_until_empty_page {
                    "fetch_until_empty_page"
                } else {
                    "partial_page_fetch_threshold"
                },
                "ocisync always asks for the next page until an empty one".into(),
            ));
        }
        if o.chunk_size.bytes() != 5 << 30 {
            out.push((
                "chunk_size",
                "ocisync writes each object in one request (up to Swift's 5 GiB limit)".into(),
            ));
        }
        out
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        let o = SwiftOptions::from_values(ctx.values)
            .map_err(|e| Error::config(e.to_string()).with_remote(ctx.name))?;
        if let Some((k, m)) = refused(&o).into_iter().next() {
            return Err(Error::config(format!("{k}: {m}")).with_remote(ctx.name));
        }
        let (container, root) = split_bucket(ctx.path);
        if container.is_empty() {
            return Err(
                Error::config("a container is needed: NAME:container/prefix").with_remote(ctx.name),
            );
        }
        let mut c = Connection::from_options(&o);
        if o.env_auth {
            c.apply_env(|name| std::env::var(name).ok());
        }
        let c_auth = c.creds.auth_url.clone();
        if let Some(source) = &ctx.credentials {
            let got = source.get().await.map_err(|e| e.with_remote(ctx.name))?;
            // A provider's values are the secrets themselves.
            c.creds.key = got.get("key").cloned().or(c.creds.key);
            c.auth_token = got.get("auth_token").cloned().or(c.auth_token);
            c.creds.application_credential_secret = got
                .get("application_credential_secret")
                .cloned()
                .or(c.creds.application_credential_secret);
            if c.creds.key.is_none()
                && c.auth_token.is_none()
                && c.creds.application_credential_secret.is_none()
            {
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!(
                        "credentials {:?} supplied none of key, auth_token, \
                         application_credential_secret",
                        source.name()
                    ),
                )
                .with_remote(ctx.name));
            }
        }
        let client = ocisync_backend::transport::client_builder()
            .connect_timeout(std::time::Duration::from_secs(15))
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::Other, format!("HTTP client: {e}")).with_remote(ctx.name)
            })?;
        let session = c.session(&client, ctx.global.timeout).await.map_err(|e| {
            let kind = if e.is_credentials() {
                ErrorKind::Auth
            } else {
                ErrorKind::Temporary
            };
            Error::new(kind, format!("swift login: {e}")).with_remote(ctx.name)
        })?;
        let storage_url = session.storage_url.trim_end_matches('/').to_string();
        let b = opendal::services::Swift::default()
            .endpoint(&storage_url)
            .container(&container)
            .root(&root)
            .token(session.token.expose());
        let op = opendal::Operator::new(b).map_err(|e| Error::from(e).with_remote(ctx.name))?;
        let target = put::Target {
            client,
            storage_url: storage_url.clone(),
            container: container.clone(),
            root: opendal::raw::normalize_root(&root),
            token: session.token,
            max_object: put::MAX_SINGLE_OBJECT,
        };
        let target = Arc::new(target);
        let op = op.layer(put::SwiftLayer {
            target: target.clone(),
            no_large_objects: o.no_large_objects,
        });
        let features = Features {
            // Swift's `hash` is the MD5 of the content for every object written in one request.
            listing_md5: HashSource::ContentMd5,
            md5_in_metadata: false,
            md5_by_reading: false,
            modtime: ModtimeSource::Metadata,
            // A POST with the object's metadata and the new mtime, as rclone's SetModTime.
            set_modtime: SetModtime::Yes,
            writes_metadata: true,
            mtime_format: MtimeFormat::UnixSeconds,
            write_chunk: None,
            write_concurrency: 1,
            // A PUT's ETag is the MD5 of what Swift stored.
            etag_is_md5_for_single_part: true,
            sorted_listing: true,
            // rclone's segments directory, left out of a container's listing as rclone does.
            skip_prefix: (root == "/" && hides_segments_directory(&o, &c_auth))
                .then_some(SEGMENTS_DIRECTORY),
            classify_error: Some(classify),
            keys: KeyRules {
                // Swift's MAX_OBJECT_NAME_LENGTH.
                max_key_bytes: Some(1024),
                max_segment_bytes: None,
                // Object names travel in URL paths: '.' and '..' segments are resolved away.
                dot_segments: DotSegments::Refused,
                forbidden: &['\0'],
                prefix_bytes: 0,
                service: "Swift",
            }
            .with_prefix(&root),
            location: Some(location(&storage_url, &container, &root)),
            ..Features::default()
        };
        Ok(Remote {
            name: ctx.name.to_string(),
            root: ctx.path.to_string(),
            op: with_standard_layers(op, ctx.global),
            features,
            modtime_setter: Some(Arc::new(mtime::Setter(target))),
            root_exists: None,
        })
    }
}

/// How to reach the storage: a login, or a storage URL and token given directly.
#[derive(Debug, Clone, Default)]
struct Connection {
    creds: auth::Credentials,
    auth_version: i64,
    storage_url: Option<String>,
    auth_token: Option<Secret>,
}

impl Connection {
    fn from_options(o: &SwiftOptions) -> Connection {
        let s = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Connection {
            creds: auth::Credentials {
                auth_url: o.auth.clone().unwrap_or_default().trim().to_string(),
                version: 0,
                user: s(&o.user),
                user_id: s(&o.user_id),
                key: o.key.clone().filter(|k| !k.is_empty()),
                domain: s(&o.domain),
                tenant: s(&o.tenant),
                tenant_id: s(&o.tenant_id),
                tenant_domain: s(&o.tenant_domain),
                region: s(&o.region),
                application_credential_id: s(&o.application_credential_id),
                application_credential_name: s(&o.application_credential_name),
                application_credential_secret: o
                    .application_credential_secret
                    .clone()
                    .filter(|k| !k.is_empty()),
                endpoint_type: o.endpoint_type.clone(),
            },
            auth_version: o.auth_version,
            storage_url: s(&o.storage_url),
            auth_token: o.auth_token.clone().filter(|k| !k.is_empty()),
        }
    }

    /// rclone's `env_auth` (ncw/swift's ApplyEnvironment): each variable that is set and not
    /// empty replaces the key's value.
    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        let get = |name: &str| env(name).filter(|v| !v.is_empty());
        let c = &mut self.creds;
        let text: [(&mut Option<String>, &[&str]); 10] = [
            (&mut c.domain, &["OS_USER_DOMAIN_NAME"]),
            (&mut c.user, &["OS_USERNAME", "ST_USER"]),
            (&mut c.user_id, &["OS_USER_ID"]),
            (
                &mut c.application_credential_id,
                &["OS_APPLICATION_CREDENTIAL_ID"],
            ),
            (
                &mut c.application_credential_name,
                &["OS_APPLICATION_CREDENTIAL_NAME"],
            ),
            (&mut c.region, &["OS_REGION_NAME"]),
            (&mut c.tenant, &["OS_TENANT_NAME", "OS_PROJECT_NAME"]),
            (&mut c.tenant_id, &["OS_TENANT_ID"]),
            (&mut c.tenant_domain, &["OS_PROJECT_DOMAIN_NAME"]),
            (&mut self.storage_url, &["OS_STORAGE_URL"]),
        ];
        for (field, names) in text {
            // The later name wins, as ncw/swift applies them in order.
            for n in names {
                if let Some(v) = get(n) {
                    *field = Some(v);
                }
            }
        }
        for n in ["OS_PASSWORD", "ST_KEY"] {
            if let Some(v) = get(n) {
                c.key = Some(Secret::new(v));
            }
        }
        if let Some(v) = get("OS_APPLICATION_CREDENTIAL_SECRET") {
            c.application_credential_secret = Some(Secret::new(v));
        }
        if let Some(v) = get("OS_AUTH_TOKEN") {
            self.auth_token = Some(Secret::new(v));
        }
        for n in ["OS_AUTH_URL", "ST_AUTH"] {
            if let Some(v) = get(n) {
                c.auth_url = v;
            }
        }
        if let Some(v) = get("OS_ENDPOINT_TYPE") {
            c.endpoint_type = v;
        }
        if let Some(v) = get("ST_AUTH_VERSION").and_then(|v| v.trim().parse().ok()) {
            self.auth_version = v;
        }
    }

    /// The storage URL and token: as given (both), or from a login, with either given one
    /// replacing what the login returned (rclone's rule).
    async fn session(
        mut self,
        client: &reqwest::Client,
        timeout: std::time::Duration,
    ) -> std::result::Result<auth::Session, auth::AuthError> {
        if let (Some(url), Some(token)) = (&self.storage_url, &self.auth_token) {
            check_endpoint_url(url)
                .map_err(|e| auth::AuthError::Config(format!("storage_url: {e}")))?;
            return Ok(auth::Session {
                storage_url: url.clone(),
                token: token.clone(),
            });
        }
        if self.creds.auth_url.is_empty() {
            return Err(auth::AuthError::Config(
                "auth is needed to log in (or storage_url and auth_token to skip the login)".into(),
            ));
        }
        self.creds.version = auth::version_of(&self.creds.auth_url, self.auth_version)?;
        let mut session = tokio::time::timeout(timeout, auth::login(client, &self.creds))
            .await
            .map_err(|_| auth::AuthError::Answer {
                url: self.creds.auth_url.clone(),
                message: format!("no login answer within {timeout:?}"),
            })??;
        if let Some(url) = self.storage_url {
            check_endpoint_url(&url)
                .map_err(|e| auth::AuthError::Config(format!("storage_url: {e}")))?;
            session.storage_url = url;
        }
        if let Some(token) = self.auth_token {
            session.token = token;
        }
        Ok(session)
    }
}

/// The directory at a container's root where rclone puts large-object segments when
/// `use_segments_container` is false.
const SEGMENTS_DIRECTORY: &str = ".file-segments";

/// rclone's `use_segments_container`: when false (set, or chosen by rclone for the providers it
/// knows need it), rclone keeps segments in `.file-segments` and leaves it out of listings.
fn hides_segments_directory(o: &SwiftOptions, auth_url: &str) -> bool {
    match o
        .use_segments_container
        .as_deref()
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("true") => false,
        Some("false") => true,
        _ => needs_file_segments_directory(auth_url),
    }
}

/// rclone's `needFileSegmentsDirectory`: `\.(ain?\.net|blomp\.com|praetector\.com|
/// signmy\.name|rackfactory\.com)($|/)` on the auth URL.
fn needs_file_segments_directory(auth_url: &str) -> bool {
    [
        ".ain.net",
        ".an.net",
        ".blomp.com",
        ".praetector.com",
        ".signmy.name",
        ".rackfactory.com",
    ]
    .iter()
    .any(|domain| {
        auth_url.match_indices(domain).any(|(i, m)| {
            let rest = &auth_url[i + m.len()..];
            rest.is_empty() || rest.starts_with('/')
        })
    })
}

/// Swift's refusal of a token (expired during a long run, or revoked) is a login problem, not
/// a permission one.
fn classify(e: &opendal::Error) -> Option<(ErrorKind, String)> {
    if e.kind() == opendal::ErrorKind::PermissionDenied
        && e.message()
            .contains("could not verify that you are authorized")
    {
        return Some((
            ErrorKind::Auth,
            "Swift refused the token (401 Unauthorized): it expired or was revoked; ocisync \
             logs in once per run"
                .into(),
        ));
    }
    None
}

/// Where a remote's root is, for the overlap check.
fn location(storage_url: &str, container: &str, root: &str) -> String {
    let prefix = root.trim_matches('/');
    // Scheme and host compare without case; the account in the path keeps its own.
    let url = url::Url::parse(storage_url)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| storage_url.to_string());
    let url = url.trim_end_matches('/');
    if prefix.is_empty() {
        format!("swift:{url}/{container}/")
    } else {
        format!("swift:{url}/{container}/{prefix}/")
    }
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
    fn refused_keys_are_named() {
        for (k, v) in [
            ("auth_version", "2"),
            ("auth_version", "7"),
            ("endpoint_type", "private"),
            ("encoding", "Slash,Dot"),
            ("auth", "http://keystone.example.com/v3"),
            ("storage_url", "http://swift.example.com/v1/AUTH_x"),
            ("use_segments_container", "maybe"),
        ] {
            let p = BACKEND.validate(&values(&[(k, v)]));
            assert_eq!(p.len(), 1, "{k}={v}: {p:?}");
            assert_eq!(p[0].key(), k);
        }
        assert!(
            BACKEND
                .validate(&values(&[
                    ("auth", "http://127.0.0.1:8080/auth/v1.0"),
                    ("encoding", "InvalidUtf8, Slash"),
                    ("endpoint_type", "internal"),
                ]))
                .is_empty()
        );
    }

    #[test]
    fn accepted_but_ignored_keys_are_reported() {
        let got = BACKEND.ignored(&values(&[
            ("leave_parts_on_error", "true"),
            ("storage_policy", "pca"),
            ("chunk_size", "1Gi"),
            ("fetch_until_empty_page", "true"),
        ]));
        let keys: Vec<&str> = got.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "leave_parts_on_error",
                "storage_policy",
                "fetch_until_empty_page",
                "chunk_size",
            ]
        );
        assert!(
            BACKEND
                .ignored(&values(&[("chunk_size", "5Gi")]))
                .is_empty()
        );
    }

    #[test]
    fn env_auth_reads_rclones_variables_and_wins() {
        let mut c = Connection::from_options(
            &SwiftOptions::from_values(&values(&[("user", "file-user"), ("tenant", "t")])).unwrap(),
        );
        let env = [
            ("OS_AUTH_URL", "https://keystone.example.com/v3"),
            ("OS_USERNAME", "env-user"),
            ("OS_PASSWORD", "env-pass"),
            ("OS_PROJECT_NAME", "reports"),
            ("OS_REGION_NAME", "GRA"),
            ("OS_USER_DOMAIN_NAME", ""),
        ];
        c.apply_env(|n| {
            env.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        });
        assert_eq!(c.creds.auth_url, "https://keystone.example.com/v3");
        assert_eq!(c.creds.user.as_deref(), Some("env-user"));
        assert_eq!(c.creds.key.as_ref().map(Secret::expose), Some("env-pass"));
        assert_eq!(c.creds.tenant.as_deref(), Some("reports"));
        assert_eq!(c.creds.region.as_deref(), Some("GRA"));
        assert_eq!(c.creds.domain, None, "an empty variable changes nothing");
        assert!(!format!("{c:?}").contains("env-pass"), "{c:?}");
    }

    #[test]
    fn segments_directory_as_rclone_decides() {
        assert!(needs_file_segments_directory(
            "https://authenticate.ain.net"
        ));
        assert!(needs_file_segments_directory("https://x.blomp.com/v1"));
        assert!(!needs_file_segments_directory(
            "https://authenticate.ain.network"
        ));
        assert!(!needs_file_segments_directory(
            "https://auth.cloud.ovh.net/v3"
        ));
        let opts = |v: &str| SwiftOptions::from_values(&values(&[("use_segments_container", v)]));
        assert!(hides_segments_directory(&opts("false").unwrap(), ""));
        assert!(!hides_segments_directory(
            &opts("true").unwrap(),
            "https://authenticate.ain.net"
        ));
        assert!(hides_segments_directory(
            &opts("").unwrap(),
            "https://authenticate.ain.net"
        ));
    }

    #[test]
    fn locations_compare_by_url_container_and_prefix() {
        assert_eq!(
            location("https://S.example/v1/AUTH_a/", "c", "/"),
            "swift:https://s.example/v1/AUTH_a/c/"
        );
        assert_eq!(
            location("https://s.example/v1/AUTH_a", "c", "/p/q/"),
            "swift:https://s.example/v1/AUTH_a/c/p/q/"
        );
    }
}
