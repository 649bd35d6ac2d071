//! The `oracleobjectstorage` backend: turns a configured remote (`NAME:bucket/prefix`) into an
//! OpenDAL operator on the Object Storage service, with the [`Features`] the engine needs.

use async_trait::async_trait;
use ocisync_backend::backend::{split_bucket, with_standard_layers};
use ocisync_backend::keys::{DotSegments, KeyRules};
use ocisync_backend::opendal::{Metadata, Operator};
use ocisync_backend::{
    Backend, BackendSpec, ConfigValues, Error, Features, HashSource, ModtimeSource, OpenContext,
    OptionError, Remote, Result, SetModtime,
};

use std::sync::Arc;

use opendal_service_oci_objectstorage::core::{CoreSettings, ObjectStorageCore};
use opendal_service_oci_objectstorage::{
    META_ARCHIVAL_STATE, META_STORAGE_TIER, ObjectStorageBuilder, ObjectStorageConfig,
};

use super::config::{OracleOptions, warn_ignored_once};
use super::tiers::OciTiers;
use super::uploads::OciUploads;
use crate::auth::{AuthOptions, OciAuth, build_auth};
use crate::endpoints::{check_endpoint_url, object_storage_endpoint};
use crate::error::{classify, from_core};

pub static SPEC: BackendSpec = BackendSpec {
    name: "oracleobjectstorage",
    prefix: "oos",
    description: "Oracle Cloud Infrastructure Object Storage (native API, signed requests, instance principals).",
    options: OracleOptions::SPECS,
    open_options: false,
    credential_keys: &[],
};

pub struct OracleBackend;

/// Registered in ocisync's backend list.
pub static BACKEND: OracleBackend = OracleBackend;

#[async_trait]
impl Backend for OracleBackend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    fn validate(&self, values: &ConfigValues) -> Vec<OptionError> {
        let Ok(o) = OracleOptions::from_values(values) else {
            return Vec::new();
        };
        let mut problems = o.problems();
        if let Err(e) =
            crate::options::check_region_option(o.region.as_deref(), o.endpoint.as_deref())
        {
            problems.push(e);
        }
        if let Some(e) = o.endpoint.as_deref().filter(|e| !e.is_empty())
            && let Err(m) = check_endpoint_url(e)
        {
            problems.push(OptionError::invalid("endpoint", m.to_string()));
        }
        if let Err(e) = o.sse_customer_key() {
            problems.push(e);
        }
        problems
    }

    fn ignored(&self, values: &ConfigValues) -> Vec<(&'static str, String)> {
        OracleOptions::from_values(values)
            .map(|o| o.ignored_settings())
            .unwrap_or_default()
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        crate::use_ocisync_transport();
        let remote = ctx.name;
        let config_error = |e: OptionError| Error::config(e.to_string()).with_remote(remote);
        let o = OracleOptions::from_values(ctx.values).map_err(config_error)?;
        if let Some(p) = o.problems().into_iter().next() {
            return Err(config_error(p));
        }
        warn_ignored_once(remote, &o.ignored_settings());

        let (bucket, root) = split_bucket(ctx.path);
        if bucket.is_empty() {
            return Err(Error::config("a bucket is needed: NAME:bucket/prefix").with_remote(remote));
        }
        let auth = build_auth(&auth_options(&o))
            .await
            .map_err(|e| from_core(e).with_remote(remote))?;
        let endpoint = resolve_endpoint(&o, auth.as_ref())
            .await
            .map_err(|e| e.with_remote(remote))?;
        let sse_customer = o.sse_customer_key().map_err(config_error)?;

        let (prefix, bucket_name, endpoint_for_location) =
            (root.clone(), bucket.clone(), endpoint.clone());
        // The service's own configuration (non-exhaustive: filled field by field). Who signs
        // is given as the signer built above, not as `auth`.
        let mut config = ObjectStorageConfig::default();
        config.root = Some(root);
        config.bucket = bucket;
        config.namespace = o.namespace.clone().filter(|n| !n.is_empty());
        config.endpoint = endpoint;
        config.storage_tier = Some(o.storage_tier.clone());
        config.chunk_size = Some(part_bytes(o.chunk_size.bytes()));
        config.upload_concurrency = Some(o.upload_concurrency);
        config.max_upload_parts = Some(o.max_upload_parts);
        config.leave_parts_on_error = o.leave_parts_on_error;
        config.no_check_bucket = o.no_check_bucket;
        config.sse_kms_key_id = o.sse_kms_key_id.as_ref().map(|k| k.to_string());
        config.user_agent = Some(ocisync_backend::transport::USER_AGENT.to_string());
        // Pending multipart uploads (`ocisync cleanup`) through a core of their own: OpenDAL
        // has no call for them.
        let uploads_core = ObjectStorageCore::new(
            &config.endpoint,
            config.namespace.clone(),
            config.bucket.clone(),
            opendal::raw::normalize_root(&prefix),
            auth.clone(),
            CoreSettings {
                storage_tier: None,
                sse_customer: None,
                sse_kms_key_id: None,
                no_check_bucket: true,
                leave_parts_on_error: false,
                chunk_size: part_bytes(o.chunk_size.bytes()),
                upload_concurrency: 1,
                max_upload_parts: o.max_upload_parts,
                user_agent: Some(ocisync_backend::transport::USER_AGENT.to_string()),
            },
        );
        let mut builder = ObjectStorageBuilder::from_config(config).signer(auth);
        if let Some(key) = sse_customer {
            builder = builder.sse_customer_key(key);
        }
        let op = Operator::new(builder).map_err(|e| Error::from(e).with_remote(remote))?;

        let mut features = features(&o);
        features.keys = KEY_RULES.with_prefix(&prefix);
        features.location = Some(location(&endpoint_for_location, &o, &bucket_name, &prefix));
        let uploads_core = Arc::new(uploads_core);
        features.tiers = Some(Arc::new(OciTiers::new(uploads_core.clone(), remote)));
        features.uploads = Some(Arc::new(OciUploads::new(uploads_core, remote)));
        Ok(Remote {
            name: remote.to_string(),
            root: ctx.path.to_string(),
            op: with_standard_layers(op, ctx.global),
            features,
            modtime_setter: None,
            root_exists: None,
        })
    }
}

/// What the engine may rely on: listings carry OCI's MD5 (base64; multipart objects list
/// `<md5>-<parts>`, which the engine ignores) and upload times; the real modification time is
/// rclone's `mtime` metadata, which a HEAD or the GET of a copy returns.
fn features(o: &OracleOptions) -> Features {
    Features {
        listing_md5: HashSource::ContentMd5,
        md5_in_metadata: !o.disable_checksum,
        md5_by_reading: false,
        modtime: ModtimeSource::Metadata,
        set_modtime: SetModtime::No,
        writes_metadata: true,
        write_chunk: Some(part_bytes(o.chunk_size.bytes())),
        write_concurrency: o.upload_concurrency.max(1),
        upload_cutoff: o.upload_cutoff.bytes(),
        // OCI ETags are opaque identifiers, never MD5s.
        etag_is_md5_for_single_part: false,
        sorted_listing: true,
        check_root_exists: false,
        unreadable: Some(archive_not_restored),
        classify_error: Some(classify),
        ..Features::default()
    }
}

/// OCI object names: at most 1024 bytes of UTF-8, no line feed, carriage return or NUL; the
/// name travels as one URL segment (`/` encoded), so only a whole name of `.` or `..` would be
/// resolved away.
const KEY_RULES: KeyRules = KeyRules {
    max_key_bytes: Some(1024),
    max_segment_bytes: None,
    dot_segments: DotSegments::WholeKey,
    forbidden: &['\n', '\r', '\0'],
    prefix_bytes: 0,
    service: "OCI Object Storage",
};

/// Where a remote's root is, for the overlap check: endpoint, namespace (`-` when asked from
/// the service), bucket and prefix.
fn location(endpoint: &str, o: &OracleOptions, bucket: &str, root: &str) -> String {
    let ns = o
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or("-");
    let prefix = root.trim_matches('/');
    let endpoint = endpoint.trim_end_matches('/').to_ascii_lowercase();
    if prefix.is_empty() {
        format!("oos://{endpoint}/{ns}/{bucket}/")
    } else {
        format!("oos://{endpoint}/{ns}/{bucket}/{prefix}/")
    }
}

/// `chunk_size` as a buffer size (validated to at most 50 GiB, which fits 64-bit usize).
fn part_bytes(size: u64) -> usize {
    usize::try_from(size).unwrap_or(usize::MAX)
}

/// Archive-tier objects must be restored before they can be read: skipped with a warning.
pub fn archive_not_restored(meta: &Metadata) -> Option<String> {
    let user = meta.user_metadata()?;
    if !user.get(META_STORAGE_TIER)?.eq_ignore_ascii_case("Archive") {
        return None;
    }
    match user.get(META_ARCHIVAL_STATE) {
        Some(state) if state.eq_ignore_ascii_case("Restored") => None,
        state => Some(format!(
            "Archive tier object not restored{}: restore it first (oci os object restore)",
            state
                .map(|s| format!(" (archival state {s})"))
                .unwrap_or_default()
        )),
    }
}

fn auth_options(o: &OracleOptions) -> AuthOptions {
    AuthOptions {
        provider: o.provider.clone(),
        config_file: Some(o.config_file.clone()),
        config_profile: Some(o.config_profile.clone()),
        region: o.region.clone().filter(|r| !r.is_empty()),
        federation_endpoint: o.federation_endpoint.clone().filter(|e| !e.is_empty()),
    }
}

/// `endpoint` wins; otherwise the region's Object Storage URL, the region from the options or,
/// failing that, from the identity (config-file profile, instance metadata).
async fn resolve_endpoint(o: &OracleOptions, auth: &dyn OciAuth) -> Result<String> {
    if let Some(e) = o.endpoint.as_deref().filter(|e| !e.is_empty()) {
        check_endpoint_url(e).map_err(|m| Error::config(format!("endpoint {m}")))?;
        return Ok(e.trim_end_matches('/').to_string());
    }
    let region = match o.region.clone().filter(|r| !r.is_empty()) {
        Some(r) => r,
        None => auth.region().await.map_err(from_core)?.ok_or_else(|| {
            Error::config(format!(
                "no region: set `region` (or `endpoint`); the {} provider does not bring one",
                auth.name()
            ))
        })?,
    };
    object_storage_endpoint(&region).map_err(from_core)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocisync_backend::opendal::MetadataBuilder;

    fn listed(tier: Option<&str>, state: Option<&str>) -> Metadata {
        let mut m = MetadataBuilder::file(1);
        let user: Vec<(String, String)> = [(META_STORAGE_TIER, tier), (META_ARCHIVAL_STATE, state)]
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?.to_string())))
            .collect();
        m.user_metadata(user);
        m.build()
    }

    #[test]
    fn archive_objects_are_unreadable_until_restored() {
        assert!(
            archive_not_restored(&listed(Some("Archive"), Some("Archived")))
                .unwrap()
                .contains("restore it first")
        );
        assert!(
            archive_not_restored(&listed(Some("Archive"), Some("Restoring")))
                .unwrap()
                .contains("Restoring")
        );
        assert!(archive_not_restored(&listed(Some("Archive"), None)).is_some());
        assert_eq!(
            archive_not_restored(&listed(Some("Archive"), Some("Restored"))),
            None
        );
        assert_eq!(archive_not_restored(&listed(Some("Standard"), None)), None);
        assert_eq!(archive_not_restored(&listed(None, None)), None);
        assert_eq!(
            archive_not_restored(&MetadataBuilder::file(1).build()),
            None
        );
    }

    #[test]
    fn spec_matches_rclone() {
        assert_eq!(SPEC.name, "oracleobjectstorage");
        assert_eq!(SPEC.prefix, "oos");
        let f = features(&OracleOptions::from_values(&ConfigValues::new()).unwrap());
        assert_eq!(f.write_chunk, Some(5 << 20));
        assert_eq!(f.write_concurrency, 10);
        assert_eq!(f.upload_cutoff, 200 << 20);
        assert_eq!(f.listing_md5, HashSource::ContentMd5);
        assert!(f.sorted_listing && f.md5_in_metadata && !f.etag_is_md5_for_single_part);
    }
}
