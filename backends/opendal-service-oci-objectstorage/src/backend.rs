//! The OpenDAL service: its builder (configuration, and optionally a signer and an SSE-C key
//! given in code) and the `Service` wiring each operation to its reader, writer, lister or
//! deleter.

use std::fmt;
use std::sync::Arc;

use http::StatusCode;
use opendal::raw::*;
use opendal::{Builder, Capability, Error, ErrorKind, OperationContext, Result};

use crate::config::{
    MAX_OBJECT_SIZE, MAX_PART_SIZE, MAX_PARTS, ObjectStorageConfig, SseCustomerKey,
};
use crate::core::{CoreSettings, ObjectStorageCore, parse_object_metadata};
use crate::deleter::ObjectDeleter;
use crate::error::from_core;
use crate::lister::ObjectLister;
use crate::reader::ObjectReader;
use crate::writer::{MultipartUpload, ObjectWriter};
use oci_core::auth::OciAuth;

use crate::configured_auth::ConfiguredAuth;

/// The scheme OpenDAL reports for this service (errors, `Operator::info`).
pub const SCHEME: &str = "oos";

/// rclone's defaults, used when the configuration leaves them out.
const DEFAULT_CHUNK_SIZE: usize = 5 << 20;
const DEFAULT_UPLOAD_CONCURRENCY: usize = 10;

/// Builds the Object Storage service. Who signs comes from the configuration (`auth`,
/// `config_file`, `config_profile`, `region`) or from [`ObjectStorageBuilder::signer`]; the
/// SSE-C key is optional.
#[derive(Default)]
pub struct ObjectStorageBuilder {
    config: ObjectStorageConfig,
    auth: Option<Arc<dyn OciAuth>>,
    sse_customer: Option<SseCustomerKey>,
}

impl fmt::Debug for ObjectStorageBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStorageBuilder")
            .field("config", &self.config)
            .field("auth", &self.auth.as_ref().map(|a| a.name()))
            .field(
                "sse_customer",
                &self.sse_customer.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl ObjectStorageBuilder {
    pub fn from_config(config: ObjectStorageConfig) -> Self {
        ObjectStorageBuilder {
            config,
            ..Default::default()
        }
    }

    /// Bucket name (for cost reports: the tenancy OCID).
    pub fn bucket(mut self, bucket: &str) -> Self {
        self.config.bucket = bucket.to_string();
        self
    }

    /// Object Storage namespace (`bling` for cost reports); asked once from the service when
    /// unset.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.config.namespace = Some(namespace.to_string());
        self
    }

    /// The prefix inside the bucket every path is relative to.
    pub fn root(mut self, root: &str) -> Self {
        self.config.root = Some(root.to_string());
        self
    }

    /// The Object Storage URL, instead of the one derived from the region.
    pub fn endpoint(mut self, endpoint: &str) -> Self {
        self.config.endpoint = endpoint.to_string();
        self
    }

    /// The region (`us-ashburn-1`, `iad`).
    pub fn region(mut self, region: &str) -> Self {
        self.config.region = Some(region.to_string());
        self
    }

    /// Who signs: `instance_principal`, `resource_principal`, `user_principal`, `env` or
    /// `no_auth` (see [`ObjectStorageConfig::auth`]).
    pub fn auth(mut self, auth: &str) -> Self {
        self.config.auth = Some(auth.to_string());
        self
    }

    /// The OCI config file and profile for `user_principal` and `env`.
    pub fn config_file(mut self, path: &str, profile: Option<&str>) -> Self {
        self.config.config_file = Some(path.to_string());
        self.config.config_profile = profile.map(str::to_string);
        self
    }

    /// A signer built in code (see `oci_core::auth::build_auth`), used instead of `auth`.
    pub fn signer(mut self, auth: Arc<dyn OciAuth>) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The key of SSE-C objects, sent with every read and write.
    pub fn sse_customer_key(mut self, key: SseCustomerKey) -> Self {
        self.sse_customer = Some(key);
        self
    }
}

impl Builder for ObjectStorageBuilder {
    type Config = ObjectStorageConfig;

    fn build(self) -> Result<impl Service> {
        let ObjectStorageBuilder {
            config: c,
            auth,
            sse_customer,
        } = self;
        let auth = match (auth, c.auth_options()) {
            (Some(signer), _) => signer,
            // Built on first use: an identity may read files or call the metadata service.
            (None, Some(options)) => Arc::new(ConfiguredAuth::new(options)) as Arc<dyn OciAuth>,
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::ConfigInvalid,
                    "no signer: set auth (instance_principal, resource_principal, \
                     user_principal, env or no_auth) or ObjectStorageBuilder::signer",
                )
                .with_operation("Builder::build"));
            }
        };
        if c.bucket.is_empty() {
            return Err(Error::new(ErrorKind::ConfigInvalid, "bucket is empty")
                .with_operation("Builder::build"));
        }
        let region = c.region.as_deref().map(str::trim).filter(|r| !r.is_empty());
        let endpoint = match (c.endpoint.trim(), region) {
            ("", Some(region)) => oci_core::endpoints::object_storage_endpoint(region)
                .map_err(|e| from_core(e).with_operation("Builder::build"))?,
            ("", None) => {
                return Err(Error::new(
                    ErrorKind::ConfigInvalid,
                    "endpoint is empty (set endpoint or region)",
                )
                .with_operation("Builder::build"));
            }
            (endpoint, _) => {
                oci_core::endpoint_url::check_endpoint_url(endpoint).map_err(|e| {
                    Error::new(ErrorKind::ConfigInvalid, format!("endpoint {e}"))
                        .with_operation("Builder::build")
                })?;
                endpoint.to_string()
            }
        };
        let root = normalize_root(c.root.as_deref().unwrap_or("/"));
        let chunk_size = c.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE).max(1);
        let settings = CoreSettings {
            storage_tier: c.storage_tier,
            sse_customer,
            sse_kms_key_id: c.sse_kms_key_id,
            no_check_bucket: c.no_check_bucket,
            leave_parts_on_error: c.leave_parts_on_error,
            chunk_size,
            upload_concurrency: c
                .upload_concurrency
                .unwrap_or(DEFAULT_UPLOAD_CONCURRENCY)
                .max(1),
            max_upload_parts: c.max_upload_parts.unwrap_or(MAX_PARTS).clamp(1, MAX_PARTS),
            user_agent: c.user_agent,
        };
        let info = ServiceInfo::new(SCHEME, &root, &c.bucket);
        let core = ObjectStorageCore::new(&endpoint, c.namespace, c.bucket, root, auth, settings);
        Ok(ObjectStorageBackend {
            core: Arc::new(core),
            info,
            capability: capability(chunk_size),
        })
    }
}

/// What the service can do. Listing is native in both forms (delimiter `/` or none), writes
/// take user metadata (else OpenDAL would drop it silently) and go multipart past one chunk.
fn capability(chunk_size: usize) -> Capability {
    Capability {
        stat: true,
        read: true,
        // The engine reads the listed version only (`If-Match` with the listed ETag).
        read_with_if_match: true,
        write: true,
        write_can_empty: true,
        write_can_multi: true,
        write_with_content_type: true,
        write_with_user_metadata: true,
        // The writer groups whatever it is given into parts of at least chunk_size.
        write_multi_min_size: Some(chunk_size),
        write_multi_max_size: usize::try_from(MAX_PART_SIZE).ok(),
        write_total_max_size: usize::try_from(MAX_OBJECT_SIZE).ok(),
        delete: true,
        list: true,
        list_with_limit: true,
        list_with_start_after: true,
        list_with_recursive: true,
        shared: true,
        ..Default::default()
    }
}

/// The OpenDAL service for OCI Object Storage.
#[derive(Debug, Clone)]
pub struct ObjectStorageBackend {
    core: Arc<ObjectStorageCore>,
    info: ServiceInfo,
    capability: Capability,
}

impl Service for ObjectStorageBackend {
    type Reader = oio::StreamReader<ObjectReader>;
    type Writer = ObjectWriter;
    type Lister = oio::PageLister<ObjectLister>;
    type Deleter = oio::OneShotDeleter<ObjectDeleter>;
    type Copier = ();
    type Composer = ();

    fn info(&self) -> ServiceInfo {
        self.info.clone()
    }

    fn capability(&self) -> Capability {
        self.capability
    }

    async fn create_dir(
        &self,
        _: &OperationContext,
        _: &str,
        _: OpCreateDir,
    ) -> Result<RpCreateDir> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "Object Storage has no directories",
        ))
    }

    async fn stat(&self, ctx: &OperationContext, path: &str, _: OpStat) -> Result<RpStat> {
        let resp = self.core.head_object(ctx, path).await?;
        match resp.status() {
            StatusCode::OK => Ok(RpStat::new(parse_object_metadata(path, resp.headers())?)),
            _ => Err(self.core.error(resp, self.core.known_namespace()).await),
        }
    }

    fn read(&self, ctx: &OperationContext, path: &str, args: OpRead) -> Result<Self::Reader> {
        Ok(oio::StreamReader::new(ObjectReader::new(
            self.core.clone(),
            ctx.clone(),
            path,
            args.if_match(),
        )))
    }

    fn write(&self, ctx: &OperationContext, path: &str, args: OpWrite) -> Result<Self::Writer> {
        // Without an explicit concurrency from the caller, use upload_concurrency (rclone's).
        let concurrent = if args.concurrent() > 1 {
            args.concurrent()
        } else {
            self.core.upload_concurrency
        };
        let upload = MultipartUpload::new(self.core.clone(), ctx.clone(), path, args);
        Ok(ObjectWriter::new(
            self.core.clone(),
            ctx.executor().clone(),
            upload,
            concurrent,
        ))
    }

    fn delete(&self, ctx: &OperationContext) -> Result<Self::Deleter> {
        Ok(oio::OneShotDeleter::new(ObjectDeleter::new(
            self.core.clone(),
            ctx.clone(),
        )))
    }

    fn list(&self, ctx: &OperationContext, path: &str, args: OpList) -> Result<Self::Lister> {
        Ok(oio::PageLister::new(ObjectLister::new(
            self.core.clone(),
            ctx.clone(),
            path,
            &args,
        )))
    }

    fn copy(&self, _: &OperationContext, _: &str, _: &str, _: OpCopy) -> Result<Self::Copier> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "server-side copy is not supported",
        ))
    }

    async fn rename(
        &self,
        _: &OperationContext,
        _: &str,
        _: &str,
        _: OpRename,
    ) -> Result<RpRename> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "rename is not supported",
        ))
    }

    async fn presign(&self, _: &OperationContext, _: &str, _: OpPresign) -> Result<RpPresign> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "presigning is not supported (OCI uses pre-authenticated requests)",
        ))
    }
}
