//! `type = "s3"`: Amazon S3 and S3-compatible servers, on OpenDAL's `s3` service.
//!
//! Option keys and meanings are rclone's. Credentials come, in this order, from a
//! `credentials = "NAME"` provider (fetched at run time, kept in memory), from the
//! `access_key_id`/`secret_access_key` keys, from the environment/instance when `env_auth` is
//! true, or not at all (anonymous access) — as in rclone. With `env_auth`, the runtime's
//! credentials are looked for when the remote is opened: none found fails at once as an
//! authentication error naming where it looked, not as a signing failure on the first request.

mod credentials;
mod errors;
mod uploads;

pub use credentials::{MISSING_FIX, RuntimeCredentials, find_runtime_credentials};

use std::sync::Arc;

use async_trait::async_trait;
use ocisync_backend::backend::{split_bucket, with_standard_layers};
use ocisync_backend::endpoint::{aws_env_endpoint, check_endpoint_url, with_scheme};
use ocisync_backend::keys::KeyRules;
use ocisync_backend::{
    Backend, BackendSpec, Error, Features, HashSource, ModtimeSource, OpenContext, OptionError,
    Remote, Result, Secret, SetModtime, Size,
};

ocisync_backend::declare_options! {
    /// Options of `type = "s3"` (rclone's names and meanings).
    pub struct S3Options {
        /// S3 provider: AWS, Minio, Ceph, Other... AWS selects virtual-hosted-style addressing.
        provider: Option<String>;
        /// Get AWS credentials from the runtime (environment variables, shared profile, EC2/ECS
        /// instance metadata) when access_key_id and secret_access_key are blank.
        env_auth: bool = "false";
        /// AWS access key ID. Leave blank for anonymous access or runtime credentials.
        access_key_id: Option<Secret>;
        /// AWS secret access key. Leave blank for anonymous access or runtime credentials.
        secret_access_key: Option<Secret>;
        /// AWS session token, for temporary credentials.
        session_token: Option<Secret>, advanced;
        /// Region to connect to (us-east-1 if blank).
        region: Option<String>;
        /// Endpoint for the S3 API; required for S3-compatible servers. Plain http only for
        /// loopback addresses.
        endpoint: Option<String>;
        /// Location constraint (used by rclone when creating buckets; ocisync never creates
        /// buckets, so it is accepted and ignored).
        location_constraint: Option<String>, advanced;
        /// Canned ACL for objects written.
        acl: Option<String>, advanced;
        /// Canned ACL for buckets created (ignored: ocisync never creates buckets).
        bucket_acl: Option<String>, advanced;
        /// If true use path-style access, if false virtual-hosted style. AWS always uses
        /// virtual-hosted style unless an endpoint is given.
        force_path_style: bool = "true", advanced;
        /// Storage class for new objects (STANDARD, STANDARD_IA, GLACIER_IR, ...).
        storage_class: Option<String>;
        /// Server-side encryption: AES256 or aws:kms.
        server_side_encryption: Option<String>;
        /// KMS key ARN or ID when server_side_encryption is aws:kms.
        sse_kms_key_id: Option<String>;
        /// Files of at least this size are uploaded multipart.
        upload_cutoff: Size = "200Mi", advanced;
        /// Part size of multipart uploads; parts are buffered in memory, upload_concurrency at a time.
        chunk_size: Size = "5Mi", advanced;
        /// Parts of one file uploaded at once.
        upload_concurrency: usize = "4", advanced;
        /// Don't check or create the bucket (ocisync never creates buckets; accepted for rclone).
        no_check_bucket: bool = "false", advanced;
        /// Don't store the MD5 of multipart uploads in the `md5chksum` metadata (saves reading
        /// local files twice, but rclone and ocisync can then compare them by size only).
        disable_checksum: bool = "false", advanced;
        /// Checksum sent with every PUT and part for the server to verify: crc32c, md5 or none.
        /// Blank: crc32c on AWS (provider AWS, no endpoint), none elsewhere (moto and rclone
        /// serve s3 verify none). ocisync's own MD5 check of the whole object stays. With
        /// crc32c the server's check of each part replaces ocisync's second MD5 pass over the
        /// parts (the multipart ETag check), so set it only for servers that verify it (AWS,
        /// SeaweedFS).
        checksum_algorithm: Option<String>, advanced;
        /// Shared credentials profile for env_auth.
        profile: Option<String>, advanced;
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
    }
}

pub static SPEC: BackendSpec = BackendSpec {
    name: "s3",
    prefix: "s3",
    description: "Amazon S3 and S3-compatible object storage.",
    options: S3Options::SPECS,
    open_options: false,
    credential_keys: &["access_key_id", "secret_access_key", "session_token"],
};

pub struct S3Backend;

/// Registered in ocisync's backend list.
pub static BACKEND: S3Backend = S3Backend;

#[async_trait]
impl Backend for S3Backend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    fn validate(&self, values: &ocisync_backend::ConfigValues) -> Vec<OptionError> {
        let Ok(o) = S3Options::from_values(values) else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        if o.access_key_id.is_some() != o.secret_access_key.is_some() {
            let missing = if o.access_key_id.is_some() {
                "secret_access_key"
            } else {
                "access_key_id"
            };
            problems.push(OptionError::invalid(
                missing,
                "access_key_id and secret_access_key go together",
            ));
        }
        if o.chunk_size.bytes() < 5 << 20 {
            problems.push(OptionError::invalid(
                "chunk_size",
                "S3 parts must be at least 5Mi",
            ));
        }
        if o.upload_concurrency == 0 {
            problems.push(OptionError::invalid(
                "upload_concurrency",
                "must be at least 1",
            ));
        }
        if let Some(e) = &o.endpoint
            && let Err(m) = check_endpoint_url(&with_scheme(e))
        {
            problems.push(OptionError::invalid("endpoint", m));
        }
        if let Err(m) = checksum_algorithm(&o, false) {
            problems.push(OptionError::invalid("checksum_algorithm", m));
        }
        problems
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        let o = S3Options::from_values(ctx.values)
            .map_err(|e| Error::config(e.to_string()).with_remote(ctx.name))?;
        let (bucket, root) = split_bucket(ctx.path);
        if bucket.is_empty() {
            return Err(
                Error::config("a bucket is needed: NAME:bucket/prefix").with_remote(ctx.name)
            );
        }
        let mut b = opendal::services::S3::default().bucket(&bucket).root(&root);
        b = b.region(
            o.region
                .as_deref()
                .filter(|r| !r.is_empty())
                .unwrap_or("us-east-1"),
        );
        let aws = o
            .provider
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case("aws"));
        // OpenDAL's own configuration loading is always off: it would take an endpoint from
        // AWS_ENDPOINT_URL & co. unchecked (a session token sent in clear) and credentials from
        // places the operator did not choose. Endpoint and credentials are decided here.
        b = b.disable_config_load();
        let static_keys = o.access_key_id.is_some() && o.secret_access_key.is_some();
        let honour_env = ctx.credentials.is_some() || (o.env_auth && !static_keys);
        let endpoint_url = endpoint(&o, honour_env, ctx.name)?;
        let virtual_host = match &endpoint_url {
            Some(_) => !o.force_path_style,
            None => aws || !o.force_path_style,
        };
        if let Some(e) = &endpoint_url {
            b = b.endpoint(e);
        }
        if virtual_host {
            b = b.enable_virtual_host_style();
        }
        let region = o
            .region
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "us-east-1".into());
        // The same credentials, for the requests OpenDAL has no call for (`ocisync cleanup`).
        let uploads_auth = if let Some(c) = &ctx.credentials {
            uploads::Auth::Provider(c.clone())
        } else if let (Some(k), Some(s)) = (&o.access_key_id, &o.secret_access_key) {
            uploads::Auth::Static {
                access_key_id: k.clone(),
                secret_access_key: s.clone(),
                session_token: o.session_token.clone(),
            }
        } else if o.env_auth {
            uploads::Auth::Runtime(o.profile.clone())
        } else {
            uploads::Auth::Anonymous
        };
        let uploads = uploads::S3Uploads::new(
            ctx.name,
            bucket_url(endpoint_url.as_deref(), &region, &bucket, virtual_host),
            &root,
            &region,
            uploads_auth,
        );
        if let Some(c) = &ctx.credentials {
            // Fetched now so that a provider failure (wrong Vault secret OCID, failing command)
            // is reported as such; inside the signer it would only be "signing http request".
            c.get().await.map_err(|e| e.with_remote(ctx.name))?;
            b = b.credential_provider_chain(credentials::chain(c.clone()));
        } else if let (Some(k), Some(s)) = (&o.access_key_id, &o.secret_access_key) {
            b = b.access_key_id(k.expose()).secret_access_key(s.expose());
            if let Some(t) = &o.session_token {
                b = b.session_token(t.expose());
            }
        } else if o.env_auth {
            // Looked for now, so that none found is said as such (and not retried): inside
            // the signer it would only be "signing http request: failed to load signing
            // credential" on the first request.
            let runtime = credentials::runtime(o.profile.as_deref())
                .await
                .map_err(|e| e.with_remote(ctx.name))?;
            if let Some(p) = &o.profile {
                b = b.profile(p);
            }
            b = b.credential_provider_chain(runtime.chain);
        } else {
            b = b.skip_signature();
        }
        // Per-part checksums the server verifies (AWS rejects a corrupted part or PUT).
        let on_aws = aws && endpoint_url.is_none();
        let algorithm = checksum_algorithm(&o, on_aws)
            .map_err(|m| Error::config(format!("checksum_algorithm: {m}")).with_remote(ctx.name))?;
        if let Some(algorithm) = algorithm {
            b = b.checksum_algorithm(algorithm);
        }
        if let Some(c) = &o.storage_class {
            b = b.default_storage_class(c);
        }
        if let Some(acl) = &o.acl {
            b = b.default_acl(acl);
        }
        if let Some(sse) = &o.server_side_encryption {
            b = b.server_side_encryption(sse);
        }
        if let Some(k) = &o.sse_kms_key_id {
            b = b.server_side_encryption_aws_kms_key_id(k);
        }
        let op = opendal::Operator::new(b).map_err(|e| Error::from(e).with_remote(ctx.name))?;
        // With SSE-KMS or SSE-C the ETag is not the content's MD5.
        let etag_is_md5 = o
            .server_side_encryption
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("AES256"));
        let features = Features {
            listing_md5: if etag_is_md5 {
                HashSource::EtagIfMd5
            } else {
                HashSource::None
            },
            md5_in_metadata: !o.disable_checksum,
            md5_by_reading: false,
            modtime: ModtimeSource::Metadata,
            set_modtime: SetModtime::No,
            writes_metadata: true,
            write_chunk: Some(o.chunk_size.bytes() as usize),
            write_concurrency: o.upload_concurrency.max(1),
            upload_cutoff: o.upload_cutoff.bytes(),
            etag_is_md5_for_single_part: etag_is_md5,
            // OpenDAL sends a CRC32C with every part (and lists them in the completion) only
            // for crc32c; AWS and SeaweedFS refuse a part that does not match it.
            parts_verified_by_server: algorithm == Some("crc32c"),
            sorted_listing: true,
            classify_error: Some(errors::classify),
            keys: KeyRules::s3(&root),
            uploads: Some(Arc::new(uploads)),
            location: Some(location(o.endpoint.as_deref(), &bucket, &root)),
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

/// The endpoint requests go to: the remote's `endpoint`, else — with `env_auth` or a
/// `credentials` provider, where the runtime's AWS conventions apply — `AWS_ENDPOINT_URL`,
/// `AWS_ENDPOINT` or `AWS_S3_ENDPOINT`, said in the log. Either passes the one endpoint check
/// (https, plain http only to loopback, no user:password). `None`: AWS's own endpoints.
fn endpoint(o: &S3Options, honour_env: bool, remote: &str) -> Result<Option<String>> {
    if let Some(e) = o.endpoint.as_deref().filter(|e| !e.trim().is_empty()) {
        let url = with_scheme(e);
        check_endpoint_url(&url)
            .map_err(|m| Error::config(format!("endpoint: {m}")).with_remote(remote))?;
        return Ok(Some(url));
    }
    if !honour_env {
        return Ok(None);
    }
    match aws_env_endpoint() {
        Ok(Some((variable, url))) => {
            tracing::warn!(
                "{remote}: S3 endpoint {url} from {variable} (the remote sets no endpoint)"
            );
            Ok(Some(url))
        }
        Ok(None) => Ok(None),
        Err(m) => {
            Err(Error::config(format!("S3 endpoint from the environment: {m}")).with_remote(remote))
        }
    }
}

/// The checksum OpenDAL sends with every PUT and part: the option's, or crc32c on AWS when it
/// is blank. `None`: no checksum header.
fn checksum_algorithm(
    o: &S3Options,
    on_aws: bool,
) -> std::result::Result<Option<&'static str>, String> {
    match o.checksum_algorithm.as_deref().map(str::trim) {
        None | Some("") => Ok(on_aws.then_some("crc32c")),
        Some(v) if v.eq_ignore_ascii_case("crc32c") => Ok(Some("crc32c")),
        Some(v) if v.eq_ignore_ascii_case("md5") => Ok(Some("md5")),
        Some(v) if v.eq_ignore_ascii_case("none") => Ok(None),
        Some(v) => Err(format!("{v:?} is not one of crc32c, md5, none")),
    }
}

/// The bucket's base URL, as OpenDAL's S3 service builds it: path style
/// (`{endpoint}/{bucket}`) or virtual-hosted style (`{scheme}://{bucket}.{host}`).
fn bucket_url(endpoint: Option<&str>, region: &str, bucket: &str, virtual_host: bool) -> String {
    let base = endpoint
        .map(|e| e.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
    if !virtual_host {
        return format!("{base}/{bucket}");
    }
    match base.split_once("://") {
        Some((scheme, host)) => format!("{scheme}://{bucket}.{host}"),
        None => format!("https://{bucket}.{base}"),
    }
}

/// Where a remote's root is, for the overlap check: the endpoint (AWS when none: bucket names
/// are global there), bucket and prefix.
fn location(endpoint: Option<&str>, bucket: &str, root: &str) -> String {
    let host = endpoint
        .map(|e| with_scheme(e).trim_end_matches('/').to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "aws".into());
    let prefix = root.trim_matches('/');
    if prefix.is_empty() {
        format!("s3://{host}/{bucket}/")
    } else {
        format!("s3://{host}/{bucket}/{prefix}/")
    }
}

/// Reads `Arc<CredentialSource>` values as AWS credentials.
pub(crate) type Source = Arc<ocisync_backend::CredentialSource>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked_by_the_shared_check() {
        let values = |endpoint: &str| {
            let mut v = ocisync_backend::ConfigValues::new();
            v.insert(
                "endpoint".into(),
                ocisync_backend::RawValue::String(endpoint.into()),
            );
            v
        };
        for ok in [
            "https://s3.us-east-2.amazonaws.com",
            "http://127.0.0.1:9000",
            "s3.example.com",
        ] {
            assert!(BACKEND.validate(&values(ok)).is_empty(), "{ok}");
        }
        // The finding: userinfo made a hand-split check see 127.0.0.1 as the host.
        for bad in [
            "http://127.0.0.1:1@192.0.2.10/",
            "127.0.0.1:1@192.0.2.10",
            "http://10.0.0.5:9000",
            "ftp://x",
        ] {
            let problems = BACKEND.validate(&values(bad));
            assert_eq!(problems.len(), 1, "{bad}");
            assert_eq!(problems[0].key(), "endpoint");
        }
    }
}
