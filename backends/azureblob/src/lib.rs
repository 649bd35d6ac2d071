//! `type = "azureblob"`: Azure Blob Storage, on OpenDAL's `azblob` service, under rclone's type
//! name and keys. `NAME:container/prefix`.
//!
//! Authentication, as rclone's `account`/`key`, `sas_url`, `use_emulator` or anonymous (`account`
//! alone, public containers): the key and the SAS URL are secrets and may come from a
//! `credentials = "NAME"` provider (`key`, `sas_url`). rclone's Azure AD logins (`env_auth`,
//! service principals, managed identity, `connection_string`, `use_az`) are refused with a clear
//! error: OpenDAL's service signs with shared keys and SAS tokens only here, and nothing is
//! taken from the environment.
//!
//! What the engine may rely on: listings carry `Content-MD5` (set by Azure on single-request
//! uploads), the real modification time is rclone's `mtime` metadata (RFC 3339, as rclone writes
//! it on Azure) and needs a HEAD; multipart uploads (Put Block List) have no Content-MD5, so their
//! MD5 goes in `md5chksum` as on S3.

mod errors;
mod sas;

use async_trait::async_trait;
use ocisync_backend::backend::{split_bucket, with_standard_layers};
use ocisync_backend::endpoint::{check_endpoint_url, with_scheme};
use ocisync_backend::keys::{DotSegments, KeyRules};
use ocisync_backend::remote::MtimeFormat;
use ocisync_backend::{
    Backend, BackendSpec, ConfigValues, Error, Features, HashSource, ModtimeSource, OpenContext,
    OptionError, Remote, Result, Secret, SetModtime, Size,
};

/// Azurite's well-known account and key (public: Microsoft's emulator documentation), used by
/// `use_emulator` as rclone does.
pub const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const EMULATOR_ENDPOINT: &str = "http://127.0.0.1:10000/devstoreaccount1";

ocisync_backend::declare_options! {
    /// Options of `type = "azureblob"` (rclone's names and meanings).
    pub struct AzureBlobOptions {
        /// Azure Storage account name. With `key`: shared-key authentication; alone: anonymous
        /// access to public containers.
        account: Option<String>;
        /// Storage account shared key.
        key: Option<Secret>;
        /// SAS URL for container-level (or account-level) access; the container in it must be
        /// the one in the path.
        sas_url: Option<Secret>;
        /// Read credentials from the runtime (Azure AD). Not supported by ocisync: use key,
        /// sas_url or a credentials provider.
        env_auth: bool = "false", advanced;
        /// Connection string. Not supported by ocisync: set account and key (or sas_url).
        connection_string: Option<Secret>, advanced;
        /// Azure AD tenant (service principal). Not supported by ocisync.
        tenant: Option<String>, advanced;
        /// Azure AD client ID (service principal or managed identity). Not supported by ocisync.
        client_id: Option<String>, advanced;
        /// Azure AD client secret. Not supported by ocisync.
        client_secret: Option<Secret>, advanced;
        /// Use a managed identity. Not supported by ocisync.
        use_msi: bool = "false", advanced;
        /// Use the Azure CLI's login. Not supported by ocisync.
        use_az: bool = "false", advanced;
        /// Use the local storage emulator (Azurite): its well-known account and key, and
        /// http://127.0.0.1:10000/devstoreaccount1 unless endpoint is set.
        use_emulator: bool = "false", advanced;
        /// Endpoint for the service (the blob service URL, e.g.
        /// https://ACCOUNT.blob.core.windows.net). Leave blank normally. Plain http only for
        /// loopback addresses.
        endpoint: Option<String>, advanced;
        /// Block size of multipart (Put Block List) uploads; blocks are buffered in memory,
        /// upload_concurrency at a time.
        chunk_size: Size = "4Mi", advanced;
        /// Blocks of one file uploaded at once.
        upload_concurrency: usize = "16", advanced;
        /// Files of at least this size are uploaded in blocks (rclone: deprecated; the block
        /// size decides).
        upload_cutoff: Option<Size>, advanced;
        /// Access tier of new blobs (hot, cool, cold, archive). Not supported by ocisync: blobs
        /// get the account's default tier.
        access_tier: Option<String>, advanced;
        /// Don't store the MD5 of multipart uploads in the `md5chksum` metadata.
        disable_checksum: bool = "false", advanced;
        /// Don't check or create the container (ocisync never creates containers; accepted for
        /// rclone).
        no_check_container: bool = "false", advanced;
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
    }
}

pub static SPEC: BackendSpec = BackendSpec {
    name: "azureblob",
    prefix: "azureblob",
    description: "Microsoft Azure Blob Storage (shared key, SAS URL, emulator or anonymous).",
    options: AzureBlobOptions::SPECS,
    open_options: false,
    credential_keys: &["key", "sas_url"],
};

pub struct AzureBlobBackend;

/// Registered in ocisync's backend list.
pub static BACKEND: AzureBlobBackend = AzureBlobBackend;

/// rclone keys whose login methods OpenDAL's azblob service cannot use here.
fn unsupported(o: &AzureBlobOptions) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let why = "Azure AD logins are not supported by ocisync's azureblob backend: use key, \
               sas_url or a credentials provider for them";
    if o.env_auth {
        out.push(("env_auth", why));
    }
    if o.tenant.is_some() || o.client_id.is_some() || o.client_secret.is_some() {
        let key = if o.tenant.is_some() {
            "tenant"
        } else if o.client_id.is_some() {
            "client_id"
        } else {
            "client_secret"
        };
        out.push((key, why));
    }
    if o.use_msi {
        out.push(("use_msi", why));
    }
    if o.use_az {
        out.push(("use_az", why));
    }
    if o.connection_string.is_some() {
        out.push((
            "connection_string",
            "not supported by ocisync: set account and key (or sas_url) from it",
        ));
    }
    if o.access_tier.as_deref().is_some_and(|t| !t.is_empty()) {
        out.push((
            "access_tier",
            "not supported by ocisync (OpenDAL's azblob service sets no tier): new blobs get the \
             account's default tier; remove the key or set the tier with a lifecycle rule",
        ));
    }
    out
}

#[async_trait]
impl Backend for AzureBlobBackend {
    fn spec(&self) -> &'static BackendSpec {
        &SPEC
    }

    fn validate(&self, values: &ConfigValues) -> Vec<OptionError> {
        let Ok(o) = AzureBlobOptions::from_values(values) else {
            return Vec::new();
        };
        let mut problems: Vec<OptionError> = unsupported(&o)
            .into_iter()
            .map(|(k, m)| OptionError::invalid(k, m))
            .collect();
        if let Some(e) = o.endpoint.as_deref().filter(|e| !e.trim().is_empty())
            && let Err(m) = check_endpoint_url(&with_scheme(e))
        {
            problems.push(OptionError::invalid("endpoint", m));
        }
        if let Some(s) = &o.sas_url
            && let Err(m) = sas::SasUrl::parse(s.expose())
        {
            problems.push(OptionError::invalid("sas_url", m));
        }
        if o.key.is_some() && o.account.as_deref().is_none_or(str::is_empty) && !o.use_emulator {
            problems.push(OptionError::invalid(
                "key",
                "a shared key needs the account it belongs to: set account",
            ));
        }
        if o.key.is_some() && o.sas_url.is_some() {
            problems.push(OptionError::invalid(
                "sas_url",
                "key and sas_url both say how to sign; keep one",
            ));
        }
        if o.chunk_size.bytes() == 0 || o.chunk_size.bytes() > 4000 << 20 {
            problems.push(OptionError::invalid(
                "chunk_size",
                "Azure blocks are 1 byte to 4000Mi",
            ));
        }
        if o.upload_concurrency == 0 {
            problems.push(OptionError::invalid(
                "upload_concurrency",
                "must be at least 1",
            ));
        }
        problems
    }

    async fn open(&self, ctx: OpenContext<'_>) -> Result<Remote> {
        let o = AzureBlobOptions::from_values(ctx.values)
            .map_err(|e| Error::config(e.to_string()).with_remote(ctx.name))?;
        if let Some((key, m)) = unsupported(&o).first() {
            return Err(Error::config(format!("{key}: {m}")).with_remote(ctx.name));
        }
        let (container, root) = split_bucket(ctx.path);
        if container.is_empty() {
            return Err(
                Error::config("a container is needed: NAME:container/prefix").with_remote(ctx.name),
            );
        }
        // Secrets: the provider's, else the file's.
        let mut key = o.key.clone();
        let mut sas_url = o.sas_url.clone();
        if let Some(c) = &ctx.credentials {
            let got = c.get().await.map_err(|e| e.with_remote(ctx.name))?;
            key = got.get("key").cloned().or(key);
            sas_url = got.get("sas_url").cloned().or(sas_url);
            if key.is_none() && sas_url.is_none() {
                return Err(Error::new(
                    ocisync_backend::ErrorKind::Auth,
                    format!(
                        "credentials {:?} supplied neither key nor sas_url",
                        c.name()
                    ),
                )
                .with_remote(ctx.name));
            }
        }
        let mut account = o.account.clone().filter(|a| !a.is_empty());
        let mut endpoint = o
            .endpoint
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(with_scheme);
        if o.use_emulator {
            account.get_or_insert_with(|| EMULATOR_ACCOUNT.to_string());
            key.get_or_insert_with(|| Secret::new(EMULATOR_KEY));
            endpoint.get_or_insert_with(|| EMULATOR_ENDPOINT.to_string());
        }
        let mut b = opendal::services::Azblob::default()
            .container(&container)
            .root(&root);
        let sas = match &sas_url {
            Some(s) => Some(
                sas::SasUrl::parse(s.expose())
                    .map_err(|m| Error::config(format!("sas_url: {m}")).with_remote(ctx.name))?,
            ),
            None => None,
        };
        if let Some(sas) = &sas {
            if let Some(c) = &sas.container
                && c != &container
            {
                return Err(Error::config(format!(
                    "sas_url: the SAS URL is for container {c:?}, the path names {container:?}"
                ))
                .with_remote(ctx.name));
            }
            endpoint.get_or_insert_with(|| sas.endpoint.clone());
            b = b.sas_token(sas.token.expose());
        }
        let endpoint = match (endpoint, &account) {
            (Some(e), _) => e,
            (None, Some(a)) => format!("https://{a}.blob.core.windows.net"),
            (None, None) => {
                return Err(Error::config(
                    "account (or sas_url, or use_emulator) is needed to know where the blobs are",
                )
                .with_remote(ctx.name));
            }
        };
        check_endpoint_url(&endpoint)
            .map_err(|m| Error::config(format!("endpoint: {m}")).with_remote(ctx.name))?;
        b = b.endpoint(endpoint.trim_end_matches('/'));
        match (&key, &sas) {
            (Some(k), _) => {
                let Some(a) = &account else {
                    return Err(Error::config("key needs account").with_remote(ctx.name));
                };
                b = b.account_name(a).account_key(k.expose());
            }
            (None, Some(_)) => {}
            (None, None) => b = b.skip_signature(),
        }
        let op = opendal::Operator::new(b).map_err(|e| Error::from(e).with_remote(ctx.name))?;
        let chunk = o.chunk_size.bytes() as usize;
        let features = Features {
            listing_md5: HashSource::ContentMd5,
            md5_in_metadata: !o.disable_checksum,
            md5_by_reading: false,
            modtime: ModtimeSource::Metadata,
            set_modtime: SetModtime::No,
            writes_metadata: true,
            mtime_format: MtimeFormat::Rfc3339,
            write_chunk: Some(chunk),
            write_concurrency: o.upload_concurrency.max(1),
            upload_cutoff: o.upload_cutoff.map(|s| s.bytes()).unwrap_or(chunk as u64),
            // Azure ETags are opaque.
            etag_is_md5_for_single_part: false,
            sorted_listing: true,
            classify_error: Some(errors::classify),
            keys: KeyRules {
                max_key_bytes: Some(1024),
                max_segment_bytes: None,
                // The blob name is a URL path: '.' and '..' segments are resolved away.
                dot_segments: DotSegments::Refused,
                forbidden: &[],
                prefix_bytes: 0,
                service: "Azure Blob Storage",
            }
            .with_prefix(&root),
            location: Some(location(&endpoint, &container, &root)),
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

/// Where a remote's root is, for the overlap check.
fn location(endpoint: &str, container: &str, root: &str) -> String {
    let prefix = root.trim_matches('/');
    let host = endpoint.trim_end_matches('/').to_ascii_lowercase();
    if prefix.is_empty() {
        format!("azureblob://{host}/{container}/")
    } else {
        format!("azureblob://{host}/{container}/{prefix}/")
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
    fn azure_ad_logins_are_refused_by_name() {
        for (k, v) in [
            ("env_auth", "true"),
            ("tenant", "t"),
            ("client_id", "c"),
            ("use_msi", "true"),
            ("use_az", "true"),
            ("connection_string", "DefaultEndpointsProtocol=https"),
            ("access_tier", "cool"),
        ] {
            let p = BACKEND.validate(&values(&[("account", "a"), (k, v)]));
            assert!(p.iter().any(|e| e.key() == k), "{k}: {p:?}");
        }
        assert!(BACKEND.validate(&values(&[("account", "a")])).is_empty());
    }

    #[test]
    fn a_key_needs_its_account_and_is_never_shown() {
        let p = BACKEND.validate(&values(&[("key", "S3CRETKEY==")]));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].key(), "key");
        assert!(!p[0].to_string().contains("S3CRETKEY"), "{}", p[0]);
        assert!(
            BACKEND
                .validate(&values(&[("key", "S3CRETKEY=="), ("account", "a")]))
                .is_empty()
        );
    }

    #[test]
    fn endpoints_pass_the_shared_check() {
        assert!(
            BACKEND
                .validate(&values(&[(
                    "endpoint",
                    "http://127.0.0.1:10000/devstoreaccount1"
                )]))
                .is_empty()
        );
        for bad in [
            "http://10.0.0.5:10000",
            "https://u:p@x.blob.core.windows.net",
        ] {
            let p = BACKEND.validate(&values(&[("endpoint", bad)]));
            assert_eq!(p.len(), 1, "{bad}");
            assert!(!p[0].to_string().contains("u:p"), "{}", p[0]);
        }
    }
}
