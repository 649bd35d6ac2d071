//! `type = "google cloud storage"` (rclone's name; `gcs` is its prefix and is accepted as a
//! type too): Google Cloud Storage on OpenDAL's `gcs` service. `NAME:bucket/prefix`.
//!
//! Authentication as rclone's: `service_account_file`, `service_account_credentials` (the JSON,
//! a secret a `credentials = "NAME"` provider may supply), `access_token`, `anonymous`, or
//! `env_auth` (Application Default Credentials: `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's
//! well-known file, the GCE metadata server). Without one of them nothing is taken from the
//! environment. rclone's OAuth login (`token`, made by `rclone config`) needs rclone's own client
//! and is refused with a clear error.
//!
//! What the engine may rely on: listings carry `md5Hash` for every object written in one
//! request (multipart and composite objects have none: ocisync stores the MD5 of its multipart
//! uploads in `md5chksum`, read by a HEAD), so `--checksum` is listing-only for files under
//! `chunk_size`; the real
//! modification time is rclone's `mtime` metadata (RFC 3339, as rclone writes it on GCS; a HEAD
//! reads it, as the listing leaves metadata out).

mod errors;

use async_trait::async_trait;
use base64::Engine;
use ocisync_backend::backend::{split_bucket, with_standard_layers};
use ocisync_backend::endpoint::{check_endpoint_url, with_scheme};
use ocisync_backend::keys::{DotSegments, KeyRules};
use ocisync_backend::remote::MtimeFormat;
use ocisync_backend::{
    Backend, BackendSpec, ConfigValues, Error, ErrorKind, Features, HashSource, ModtimeSource,
    OpenContext, OptionError, Remote, Result, Secret, SetModtime, Size,
};

ocisync_backend::declare_options! {
    /// Options of `type = "google cloud storage"` (rclone's names and meanings).
    pub struct GcsOptions {
        /// Service account credentials JSON file path.
        service_account_file: Option<String>;
        /// Service account credentials JSON blob (the file's content).
        service_account_credentials: Option<Secret>;
        /// Short-lived OAuth2 access token (sent as a bearer token; not refreshed).
        access_token: Option<Secret>, advanced;
        /// Access public buckets and objects without credentials.
        anonymous: bool = "false";
        /// Get GCP credentials from the runtime (GOOGLE_APPLICATION_CREDENTIALS, gcloud's
        /// application default credentials, the GCE metadata server).
        env_auth: bool = "false";
        /// rclone's OAuth token from `rclone config`. Not supported by ocisync: use a service
        /// account (service_account_file) or env_auth.
        token: Option<Secret>, advanced;
        /// OAuth client ID (rclone's OAuth login). Not supported by ocisync.
        client_id: Option<String>, advanced;
        /// OAuth client secret (rclone's OAuth login). Not supported by ocisync.
        client_secret: Option<Secret>, advanced;
        /// Project number (used by rclone to create buckets; ocisync never creates buckets).
        project_number: Option<String>, advanced;
        /// Project to bill for requester-pays buckets. Not supported by ocisync.
        user_project: Option<String>, advanced;
        /// Access control list for new objects (authenticatedRead, bucketOwnerFullControl,
        /// bucketOwnerRead, private, projectPrivate, publicRead). Ignored when
        /// bucket_policy_only is true.
        object_acl: Option<String>;
        /// Access control list for new buckets (ignored: ocisync never creates buckets).
        bucket_acl: Option<String>, advanced;
        /// The bucket uses uniform bucket-level access: no object ACLs are sent.
        bucket_policy_only: bool = "false";
        /// Location for new buckets (ignored: ocisync never creates buckets).
        location: Option<String>;
        /// Storage class for new objects (STANDARD, NEARLINE, COLDLINE, ARCHIVE...).
        storage_class: Option<String>;
        /// Don't check or create the bucket (ocisync never creates buckets; accepted for rclone).
        no_check_bucket: bool = "false", advanced;
        /// Endpoint for the service (https://storage.googleapis.com when blank). Plain http only
        /// for loopback addresses.
        endpoint: Option<String>, advanced;
        /// Files of at least this size are uploaded multipart (the XML API's multipart
        /// upload), in parts of this size (at least 5Mi); parts are buffered in memory.
        chunk_size: Size = "16Mi", advanced;
        /// Don't store the MD5 of multipart uploads in the `md5chksum` metadata (GCS gives
        /// multipart objects no md5Hash; without it they compare by size only).
        disable_checksum: bool = "false", advanced;
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
    }
}

pub static SPEC: BackendSpec = BackendSpec {
    name: "google cloud storage",
    prefix: "gcs",
    description: "Google Cloud Storage (service account, access token, runtime credentials or anonymous).",
    options: GcsOptions::SPECS,
    open_options: false,
    credential_keys: &["service_account_credentials", "access_token"],
};

pub struct GcsBackend;

/// Registered in ocisync's backend list.
pub static BACKEND: GcsBackend = GcsBackend;

fn refused(o: &GcsOptions) -> Option<(&'static str, &'static str)> {
    if o.token.is_some() || o.client_id.is_some() || o.client_secret.is_some() {
        let key = if o.token.is_some() {
            "token"
        } else if o.client_id.is_some() {
            "client_id"
        } else {
            "client_secret"
        };
        return Some((
            key,
            "rclone's OAuth login is not supported by ocisync (it needs rclone's OAuth client): \
             use a service account (service_account_file or service_account_credentials) or \
             env_auth",
        ));
    }
    if o.user_project.as_deref().is_some_and(|p| !p.is_empty()) {
        return Some((
            "user_project",
            "requester-pays buckets are not supported by ocisync (OpenDAL's gcs service sends \
             no userProject)",
        ));
    }
    None
}

/// How many ways to authenticate the options name (0 is an error unless a provider supplies
/// one).
fn auth_methods(o: &GcsOptions) -> Vec<&'static str> {
    let mut m = Vec::new();
    if o.service_account_file
        .as_deref()
        .is_some_and(|f| !f.is_empty())
    {
        m.push("service_account_file");
    }
    if o.service_account_credentials.is_some() {
        m.push("service_account_credentials");
    }
    if o.access_token.is_some() {
        m.push("access_token");
    }
    if o.anonymous {
        m.push("anonymous");
    }
    if o.env_auth {
        m.push("env_auth");
    }
    m
}

#[async_trait]
impl Backend for GcsBackend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    fn validate(&self, values: &ConfigValues) -> Vec<OptionError> {
        let Ok(o) = GcsOptions::from_values(values) else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        if let Some((k, m)) = refused(&o) {
            problems.push(OptionError::invalid(k, m));
        }
        let methods = auth_methods(&o);
        if methods.len() > 1 {
            problems.push(OptionError::invalid(
                methods[1],
                format!(
                    "{} both say how to authenticate; keep one",
                    methods.join(" and ")
                ),
            ));
        }
        if let Some(e) = o.endpoint.as_deref().filter(|e| !e.trim().is_empty())
            && let Err(m) = check_endpoint_url(&with_scheme(e))
        {
            problems.push(OptionError::invalid("endpoint", m));
        }
        if o.chunk_size.bytes() < 5 << 20 {
            problems.push(OptionError::invalid(
                "chunk_size",
                "GCS multipart upload parts are at least 5Mi",
            ));
        }
        problems
    }

    fn ignored(&self, values: &ConfigValues) -> Vec<(&'static str, String)> {
        let Ok(o) = GcsOptions::from_values(values) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, set) in [
            ("location", o.location.is_some()),
            ("bucket_acl", o.bucket_acl.is_some()),
            ("project_number", o.project_number.is_some()),
        ] {
            if set {
                out.push((key, "ocisync never creates buckets".to_string()));
            }
        }
        if o.bucket_policy_only && o.object_acl.is_some() {
            out.push((
                "object_acl",
                "bucket_policy_only = true: no object ACL is sent".to_string(),
            ));
        }
        out
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        let o = GcsOptions::from_values(ctx.values)
            .map_err(|e| Error::config(e.to_string()).with_remote(ctx.name))?;
        if let Some((k, m)) = refused(&o) {
            return Err(Error::config(format!("{k}: {m}")).with_remote(ctx.name));
        }
        let (bucket, root) = split_bucket(ctx.path);
        if bucket.is_empty() {
            return Err(
                Error::config("a bucket is needed: NAME:bucket/prefix").with_remote(ctx.name)
            );
        }
        let mut json = o.service_account_credentials.clone();
        let mut token = o.access_token.clone();
        if let Some(c) = &ctx.credentials {
            let got = c.get().await.map_err(|e| e.with_remote(ctx.name))?;
            json = got.get("service_account_credentials").cloned().or(json);
            token = got.get("access_token").cloned().or(token);
            if json.is_none() && token.is_none() {
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!(
                        "credentials {:?} supplied neither service_account_credentials nor \
                         access_token",
                        c.name()
                    ),
                )
                .with_remote(ctx.name));
            }
        }
        let mut b = opendal::services::Gcs::default()
            .bucket(&bucket)
            .root(&root);
        let endpoint = o
            .endpoint
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(|e| api_base(&with_scheme(e)));
        if let Some(e) = &endpoint {
            check_endpoint_url(e)
                .map_err(|m| Error::config(format!("endpoint: {m}")).with_remote(ctx.name))?;
            b = b.endpoint(e);
        }
        // Only what the remote names: OpenDAL's own search of the environment and the metadata
        // server is for env_auth.
        if !o.env_auth {
            b = b.disable_config_load().disable_vm_metadata();
        }
        if let Some(t) = &token {
            b = b.token(t.expose().to_string());
        } else if let Some(j) = &json {
            b = b.credential(&base64::engine::general_purpose::STANDARD.encode(j.expose()));
        } else if let Some(f) = o.service_account_file.as_deref().filter(|f| !f.is_empty()) {
            let path = expand_home(f);
            if !std::path::Path::new(&path).is_file() {
                return Err(Error::config(format!(
                    "service_account_file: {path} is not a readable file"
                ))
                .with_remote(ctx.name));
            }
            b = b.credential_path(&path);
        } else if o.anonymous {
            b = b.skip_signature();
        } else if !o.env_auth {
            return Err(Error::config(
                "no credentials: set service_account_file, service_account_credentials, \
                 access_token, anonymous = true or env_auth = true (or credentials = NAME)",
            )
            .with_remote(ctx.name));
        }
        if !o.bucket_policy_only
            && let Some(acl) = o.object_acl.as_deref().filter(|a| !a.is_empty())
        {
            b = b.predefined_acl(acl);
        }
        if let Some(c) = o.storage_class.as_deref().filter(|c| !c.is_empty()) {
            b = b.default_storage_class(c);
        }
        let op = opendal::Operator::new(b).map_err(|e| Error::from(e).with_remote(ctx.name))?;
        let features = Features {
            listing_md5: HashSource::ContentMd5,
            // Multipart (XML API) uploads get no md5Hash: their MD5 goes in `md5chksum`.
            md5_in_metadata: !o.disable_checksum,
            md5_by_reading: false,
            modtime: ModtimeSource::Metadata,
            set_modtime: SetModtime::No,
            writes_metadata: true,
            mtime_format: MtimeFormat::Rfc3339,
            write_chunk: Some(o.chunk_size.bytes() as usize),
            write_concurrency: 4,
            upload_cutoff: o.chunk_size.bytes(),
            etag_is_md5_for_single_part: false,
            sorted_listing: true,
            classify_error: Some(errors::classify),
            keys: KeyRules {
                max_key_bytes: Some(1024),
                max_segment_bytes: None,
                dot_segments: DotSegments::Refused,
                forbidden: &['\r', '\n'],
                prefix_bytes: 0,
                service: "Google Cloud Storage",
            }
            .with_prefix(&root),
            location: Some(location(endpoint.as_deref(), &bucket, &root)),
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

/// The endpoint as OpenDAL wants it (the server's base URL). rclone's `endpoint` names the JSON
/// API root (`http://127.0.0.1:4443/storage/v1/` for an emulator, as rclone's docs write it):
/// that suffix is dropped, so one rclone.conf serves both tools.
fn api_base(endpoint: &str) -> String {
    let e = endpoint.trim_end_matches('/');
    e.strip_suffix("/storage/v1").unwrap_or(e).to_string()
}

/// `~/x` as rclone expands it.
fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if !home.is_empty() => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}

fn location(endpoint: Option<&str>, bucket: &str, root: &str) -> String {
    let host = endpoint
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_else(|| "https://storage.googleapis.com".into());
    let prefix = root.trim_matches('/');
    if prefix.is_empty() {
        format!("gcs://{host}/{bucket}/")
    } else {
        format!("gcs://{host}/{bucket}/{prefix}/")
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
    fn rclone_oauth_is_refused_by_name() {
        let p = BACKEND.validate(&values(&[("token", "{\"access_token\":\"x\"}")]));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].key(), "token");
        assert!(p[0].to_string().contains("service account"), "{}", p[0]);
    }

    #[test]
    fn one_way_to_authenticate() {
        let p = BACKEND.validate(&values(&[
            ("anonymous", "true"),
            ("service_account_file", "/x.json"),
        ]));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            BACKEND
                .validate(&values(&[("anonymous", "true")]))
                .is_empty()
        );
    }

    #[test]
    fn rclones_endpoint_form_is_understood() {
        assert_eq!(
            api_base("http://127.0.0.1:4443/storage/v1/"),
            "http://127.0.0.1:4443"
        );
        assert_eq!(
            api_base("https://storage.googleapis.com"),
            "https://storage.googleapis.com"
        );
    }

    #[test]
    fn parts_are_at_least_5mi() {
        let p = BACKEND.validate(&values(&[("anonymous", "true"), ("chunk_size", "1Mi")]));
        assert_eq!(p[0].key(), "chunk_size");
    }
}
