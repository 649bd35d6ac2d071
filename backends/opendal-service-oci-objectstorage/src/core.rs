//! Requests to the Object Storage API: URLs, headers, signing, sending, and the wire types.
//!
//! Every request is built with its final URL once — object names percent-encoded exactly once —
//! signed through [`OciAuth::sign`] over that exact `path?query`, and sent through the
//! operation's HTTP transport. A 401 makes the auth provider refresh (new session token, re-read
//! key) and the request is signed and sent once more, as the OCI SDKs do for principals.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, RANGE, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use md5::Digest;
use opendal::raw::*;
use opendal::{
    Buffer, BytesRange, Error, ErrorKind, HttpBody, Metadata, MetadataBuilder, OperationContext,
    Result,
};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::config::SseCustomerKey;
use crate::error::{ErrorContext, from_core, parse_error};
use oci_core::auth::{OciAuth, SignBody};
use oci_core::sign::{encode_path_segment, encode_query};

/// User metadata travels as `opc-meta-<key>` headers (and as such keys in multipart uploads).
pub const META_PREFIX: &str = "opc-meta-";
/// Listed and stat'ed objects carry their tier and archival state as user-metadata keys of
/// these names (documented in docs.md); the Archive-tier classifier reads them.
pub const META_STORAGE_TIER: &str = "storage-tier";
pub const META_ARCHIVAL_STATE: &str = "archival-state";
/// The fields a listing asks for: everything the engine compares on, no HEAD needed.
const LIST_FIELDS: &str = "name,size,etag,md5,timeCreated,timeModified,storageTier,archivalState";
/// ListObjects returns at most 1000 entries a page.
pub const MAX_LIST_LIMIT: usize = 1000;
/// OpenDAL's metadata block holds at most 64 KiB; OCI allows far less user metadata, so only a
/// misbehaving server gets past this.
const MAX_USER_METADATA_BYTES: usize = 32 << 10;

/// How much of the request the signature covers (see [`SignBody`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    /// GET, HEAD, DELETE.
    Headers,
    /// PutObject and UploadPart: streamed bodies OCI exempts from hashing.
    BodyExempt,
    /// Every other body: hashed into `x-content-sha256`.
    Body,
}

/// Shared by the reader, writer, lister and deleter of one service.
pub struct ObjectStorageCore {
    /// `/prefix/`: paths given to the service are relative to it.
    pub root: String,
    pub bucket: String,
    /// Base URL without a trailing slash.
    endpoint: String,
    /// Configured, or asked once from GetNamespace.
    namespace: OnceCell<String>,
    auth: Arc<dyn OciAuth>,
    pub storage_tier: Option<String>,
    pub sse_customer: Option<SseCustomerKey>,
    pub sse_kms_key_id: Option<String>,
    no_check_bucket: bool,
    /// Set once the bucket is known to exist (checked before the first write).
    bucket_checked: OnceCell<()>,
    pub leave_parts_on_error: bool,
    pub chunk_size: usize,
    pub upload_concurrency: usize,
    pub max_upload_parts: usize,
    user_agent: String,
    request_ids: RequestIds,
}

impl fmt::Debug for ObjectStorageCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStorageCore")
            .field("endpoint", &self.endpoint)
            .field("namespace", &self.namespace.get())
            .field("bucket", &self.bucket)
            .field("root", &self.root)
            .field("auth", &self.auth.name())
            .finish_non_exhaustive()
    }
}

/// Settings of a core besides where it points and who signs.
pub struct CoreSettings {
    pub storage_tier: Option<String>,
    pub sse_customer: Option<SseCustomerKey>,
    pub sse_kms_key_id: Option<String>,
    pub no_check_bucket: bool,
    pub leave_parts_on_error: bool,
    pub chunk_size: usize,
    pub upload_concurrency: usize,
    pub max_upload_parts: usize,
    /// `User-Agent` of every request; [`DEFAULT_USER_AGENT`] when `None`.
    pub user_agent: Option<String>,
}

/// The `User-Agent` requests carry unless the configuration names another.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "opendal-service-oci-objectstorage/",
    env!("CARGO_PKG_VERSION")
);

impl ObjectStorageCore {
    pub fn new(
        endpoint: &str,
        namespace: Option<String>,
        bucket: String,
        root: String,
        auth: Arc<dyn OciAuth>,
        s: CoreSettings,
    ) -> Self {
        ObjectStorageCore {
            root,
            bucket,
            endpoint: endpoint.trim_end_matches('/').to_string(),
            namespace: OnceCell::new_with(namespace),
            auth,
            storage_tier: s.storage_tier,
            sse_customer: s.sse_customer,
            sse_kms_key_id: s.sse_kms_key_id,
            no_check_bucket: s.no_check_bucket,
            bucket_checked: OnceCell::new(),
            leave_parts_on_error: s.leave_parts_on_error,
            chunk_size: s.chunk_size,
            upload_concurrency: s.upload_concurrency,
            max_upload_parts: s.max_upload_parts,
            user_agent: s
                .user_agent
                .unwrap_or_else(|| DEFAULT_USER_AGENT.to_string()),
            request_ids: RequestIds::new(),
        }
    }

    /// The namespace, asking GetNamespace (`GET /n/`) the first time if none was configured.
    pub async fn namespace(&self, ctx: &OperationContext) -> Result<&str> {
        let ns = self
            .namespace
            .get_or_try_init(|| async {
                let url = format!("{}/n/", self.endpoint);
                let resp = self
                    .send(ctx, self.request(Method::GET, url), Signed::Headers, "")
                    .await?;
                if resp.status() != StatusCode::OK {
                    return Err(self.error(resp, "").await);
                }
                let body = resp.into_body().to_buffer().await?.to_bytes();
                serde_json::from_slice::<String>(&body).map_err(|e| {
                    new_json_deserialize_error(e).with_context("operation", "GetNamespace")
                })
            })
            .await?;
        Ok(ns)
    }

    /// Fails unless the bucket exists, checked once with HeadBucket before the first write
    /// (rclone checks too, then creates it; ocisync never creates buckets).
    pub async fn ensure_bucket(&self, ctx: &OperationContext) -> Result<()> {
        if self.no_check_bucket {
            return Ok(());
        }
        self.bucket_checked
            .get_or_try_init(|| async {
                let ns = self.namespace(ctx).await?;
                let url = format!("{}/n/{}/b/{}", self.endpoint, encode_path_segment(ns), encode_path_segment(&self.bucket));
                let resp = self.send(ctx, self.request(Method::HEAD, url), Signed::Headers, ns).await?;
                match resp.status() {
                    StatusCode::OK => Ok(()),
                    // HeadBucket has no body: say what a GET would have said.
                    StatusCode::NOT_FOUND => {
                        let body = serde_json::json!({
                            "code": "BucketNotFound",
                            "message": format!(
                                "Either the bucket named '{}' does not exist in the namespace '{ns}' \
                                 or you are not authorized to access it (ocisync never creates buckets)",
                                self.bucket
                            ),
                        });
                        let (parts, _) = resp.into_parts();
                        Err(self.parse(parts.status, &parts.headers, body.to_string().as_bytes(), ns, true))
                    }
                    _ => Err(self.write_error(resp, ns).await),
                }
            })
            .await
            .map(|_| ())
    }

    /// `{endpoint}/n/{ns}/b/{bucket}/{kind}/{object}` for an OpenDAL path relative to the root;
    /// `kind` is `o` (objects) or `u` (multipart uploads).
    fn object_url(&self, ns: &str, kind: &str, path: &str) -> String {
        format!(
            "{}/n/{}/b/{}/{kind}/{}",
            self.endpoint,
            encode_path_segment(ns),
            encode_path_segment(&self.bucket),
            encode_path_segment(&self.object_name(path))
        )
    }

    /// The object name OCI knows: root + path, without the leading slash.
    pub fn object_name(&self, path: &str) -> String {
        build_abs_path(&self.root, path)
    }

    /// A request with the headers every call carries.
    fn request(&self, method: Method, url: String) -> http::request::Builder {
        Request::builder()
            .method(method)
            .uri(url)
            .header(USER_AGENT, self.user_agent.as_str())
            .header("opc-client-request-id", self.request_ids.next())
    }

    /// Signs and sends; on 401 has the auth provider refresh and tries once more.
    async fn send(
        &self,
        ctx: &OperationContext,
        builder: http::request::Builder,
        signed: Signed,
        namespace: &str,
    ) -> Result<Response<HttpBody>> {
        self.send_with_body(ctx, builder, Buffer::new(), signed, namespace)
            .await
    }

    /// A POST of `value` as JSON: the request (for the caller to add to) and its body.
    fn json_post(
        &self,
        url: String,
        value: &impl serde::Serialize,
    ) -> Result<(http::request::Builder, Buffer)> {
        let body = Buffer::from(serde_json::to_vec(value).map_err(new_json_serialize_error)?);
        let req = self
            .request(Method::POST, url)
            .header(CONTENT_LENGTH, body.len())
            .header(CONTENT_TYPE, "application/json");
        Ok((req, body))
    }

    async fn send_with_body(
        &self,
        ctx: &OperationContext,
        builder: http::request::Builder,
        body: Buffer,
        signed: Signed,
        namespace: &str,
    ) -> Result<Response<HttpBody>> {
        let (unsigned, ()) = builder
            .body(())
            .map_err(new_request_build_error)?
            .into_parts();
        let hashed_body: Option<Bytes> = (signed == Signed::Body).then(|| body.to_bytes());
        let sign_body = || match (&hashed_body, signed) {
            (Some(b), _) => SignBody::Bytes(b),
            (None, Signed::BodyExempt) => SignBody::Exempt,
            (None, _) => SignBody::None,
        };
        let mut refreshed = false;
        loop {
            let mut parts = unsigned.clone();
            self.auth
                .sign(&mut parts, sign_body())
                .await
                .map_err(from_core)?;
            // Kept so a 401 can say which token was refused (see OciAuth::refresh_after_refusal).
            let signed_headers = parts.headers.clone();
            let resp = ctx
                .http_transport()
                .fetch(Request::from_parts(parts, body.clone()))
                .await?;
            if resp.status() != StatusCode::UNAUTHORIZED || refreshed {
                return Ok(resp);
            }
            tracing::debug!(
                namespace,
                provider = self.auth.name(),
                "401 from Object Storage: refreshing credentials and retrying once"
            );
            self.auth
                .refresh_after_refusal(&signed_headers)
                .await
                .map_err(from_core)?;
            refreshed = true;
        }
    }

    /// The error a failed response stands for, its body read for OCI's code and message.
    pub async fn error(&self, resp: Response<HttpBody>, namespace: &str) -> Error {
        self.error_of(resp, namespace, false).await
    }

    /// [`error`](Self::error) for a write or delete (whose hints differ: `bling` is read-only).
    pub async fn write_error(&self, resp: Response<HttpBody>, namespace: &str) -> Error {
        self.error_of(resp, namespace, true).await
    }

    async fn error_of(&self, resp: Response<HttpBody>, namespace: &str, write: bool) -> Error {
        let (parts, mut body) = resp.into_parts();
        // A body that breaks off still leaves the status and headers to report.
        let body = body
            .to_buffer()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        self.parse(parts.status, &parts.headers, &body, namespace, write)
    }

    fn parse(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        namespace: &str,
        write: bool,
    ) -> Error {
        let ctx = ErrorContext {
            namespace,
            auth_provider: self.auth.name(),
            write,
        };
        parse_error(ctx, status, headers, body)
    }

    /// The SSE-C headers reads and writes of SSE-C objects need.
    fn with_sse_customer(&self, mut b: http::request::Builder) -> http::request::Builder {
        if let Some(k) = &self.sse_customer {
            b = b
                .header("opc-sse-customer-algorithm", &k.algorithm)
                .header("opc-sse-customer-key", sensitive(k.key.expose()))
                .header("opc-sse-customer-key-sha256", &k.key_sha256);
        }
        b
    }

    fn with_sse_kms(&self, mut b: http::request::Builder) -> http::request::Builder {
        if let Some(id) = &self.sse_kms_key_id {
            b = b.header("opc-sse-kms-key-id", id);
        }
        b
    }

    pub async fn head_object(
        &self,
        ctx: &OperationContext,
        path: &str,
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let req =
            self.with_sse_customer(self.request(Method::HEAD, self.object_url(ns, "o", path)));
        self.send(ctx, req, Signed::Headers, ns).await
    }

    pub async fn get_object(
        &self,
        ctx: &OperationContext,
        path: &str,
        range: BytesRange,
        if_match: Option<&str>,
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let mut req =
            self.with_sse_customer(self.request(Method::GET, self.object_url(ns, "o", path)));
        if !range.is_full() {
            req = req.header(RANGE, range.to_header());
        }
        if let Some(etag) = if_match {
            req = req.header(http::header::IF_MATCH, etag);
        }
        self.send(ctx, req, Signed::Headers, ns).await
    }

    pub async fn put_object(
        &self,
        ctx: &OperationContext,
        path: &str,
        args: &OpWrite,
        body: Buffer,
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let mut req = self
            .request(Method::PUT, self.object_url(ns, "o", path))
            .header(CONTENT_LENGTH, body.len())
            .header(
                CONTENT_TYPE,
                args.content_type().unwrap_or("application/octet-stream"),
            )
            .header("content-md5", base64_md5(&body));
        if let Some(tier) = &self.storage_tier {
            req = req.header("storage-tier", tier);
        }
        for (name, value) in user_metadata_headers(args)? {
            req = req.header(name, value);
        }
        let req = self.with_sse_kms(self.with_sse_customer(req));
        self.send_with_body(ctx, req, body, Signed::BodyExempt, ns)
            .await
    }

    pub async fn delete_object(
        &self,
        ctx: &OperationContext,
        path: &str,
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let req = self.request(Method::DELETE, self.object_url(ns, "o", path));
        self.send(ctx, req, Signed::Headers, ns).await
    }

    /// One page of ListObjects. `start` continues from a previous page's `nextStartWith`;
    /// `start_after` (first page only) skips names up to and including it.
    pub async fn list_objects(
        &self,
        ctx: &OperationContext,
        prefix: &str,
        page: ListPage<'_>,
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let mut query = vec![("fields", LIST_FIELDS), ("limit", page.limit)];
        if !prefix.is_empty() {
            query.push(("prefix", prefix));
        }
        if page.delimiter {
            query.push(("delimiter", "/"));
        }
        if let Some(start) = page.start {
            query.push(("start", start));
        }
        if let Some(after) = page.start_after {
            query.push(("startAfter", after));
        }
        let url = format!(
            "{}/n/{}/b/{}/o?{}",
            self.endpoint,
            encode_path_segment(ns),
            encode_path_segment(&self.bucket),
            encode_query(query)
        );
        self.send(ctx, self.request(Method::GET, url), Signed::Headers, ns)
            .await
    }

    pub async fn create_multipart_upload(
        &self,
        ctx: &OperationContext,
        path: &str,
        args: &OpWrite,
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let object = self.object_name(path);
        let metadata = user_metadata_headers(args)?
            .into_iter()
            .map(|(name, value)| {
                Ok((
                    name.as_str().to_string(),
                    value.to_str().map_err(invalid_metadata)?.to_string(),
                ))
            })
            .collect::<Result<BTreeMap<_, _>>>()?;
        let details = CreateMultipartUploadDetails {
            object: &object,
            content_type: Some(args.content_type().unwrap_or("application/octet-stream")),
            storage_tier: self.storage_tier.as_deref(),
            metadata,
        };
        let url = format!(
            "{}/n/{}/b/{}/u",
            self.endpoint,
            encode_path_segment(ns),
            encode_path_segment(&self.bucket)
        );
        let (req, body) = self.json_post(url, &details)?;
        let req = self.with_sse_kms(self.with_sse_customer(req));
        self.send_with_body(ctx, req, body, Signed::Body, ns).await
    }

    /// UploadPart; `part_num` is OCI's 1-based number.
    pub async fn upload_part(
        &self,
        ctx: &OperationContext,
        path: &str,
        upload_id: &str,
        part_num: usize,
        body: Buffer,
        content_md5: &str,
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let url = format!(
            "{}?{}",
            self.object_url(ns, "u", path),
            encode_query([
                ("uploadId", upload_id),
                ("uploadPartNum", part_num.to_string().as_str())
            ])
        );
        let req = self
            .request(Method::PUT, url)
            .header(CONTENT_LENGTH, body.len())
            .header("content-md5", content_md5);
        let req = self.with_sse_customer(req);
        self.send_with_body(ctx, req, body, Signed::BodyExempt, ns)
            .await
    }

    pub async fn commit_multipart_upload(
        &self,
        ctx: &OperationContext,
        path: &str,
        upload_id: &str,
        parts: &[CommitPart<'_>],
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let url = format!(
            "{}?{}",
            self.object_url(ns, "u", path),
            encode_query([("uploadId", upload_id)])
        );
        let details = CommitMultipartUploadDetails {
            parts_to_commit: parts,
        };
        let (req, body) = self.json_post(url, &details)?;
        self.send_with_body(ctx, req, body, Signed::Body, ns).await
    }

    pub async fn abort_multipart_upload(
        &self,
        ctx: &OperationContext,
        path: &str,
        upload_id: &str,
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let url = format!(
            "{}?{}",
            self.object_url(ns, "u", path),
            encode_query([("uploadId", upload_id)])
        );
        self.send(ctx, self.request(Method::DELETE, url), Signed::Headers, ns)
            .await
    }

    /// UpdateObjectStorageTier: moves the object at `path` to `tier` (`Standard`,
    /// `InfrequentAccess`, `Archive`).
    pub async fn update_object_storage_tier(
        &self,
        ctx: &OperationContext,
        path: &str,
        tier: &str,
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let url = format!(
            "{}/n/{}/b/{}/actions/updateObjectStorageTier",
            self.endpoint,
            encode_path_segment(ns),
            encode_path_segment(&self.bucket)
        );
        let details = serde_json::json!({
            "objectName": self.object_name(path),
            "storageTier": tier,
        });
        let (req, body) = self.json_post(url, &details)?;
        self.send_with_body(ctx, req, body, Signed::Body, ns).await
    }

    /// One page of ListMultipartUploads (`page` continues from `opc-next-page`). OCI lists a
    /// bucket's uploads without a prefix filter.
    pub async fn list_multipart_uploads(
        &self,
        ctx: &OperationContext,
        page: Option<&str>,
    ) -> Result<Response<HttpBody>> {
        let ns = self.namespace(ctx).await?;
        let limit = MAX_LIST_LIMIT.to_string();
        let mut query = vec![("limit", limit.as_str())];
        if let Some(p) = page {
            query.push(("page", p));
        }
        let url = format!(
            "{}/n/{}/b/{}/u?{}",
            self.endpoint,
            encode_path_segment(ns),
            encode_path_segment(&self.bucket),
            encode_query(query)
        );
        self.send(ctx, self.request(Method::GET, url), Signed::Headers, ns)
            .await
    }

    /// The namespace for error messages once it is known (it is before any object request).
    pub fn known_namespace(&self) -> &str {
        self.namespace.get().map(String::as_str).unwrap_or_default()
    }
}

/// Where a ListObjects page starts and what it asks for.
pub struct ListPage<'a> {
    pub limit: &'a str,
    pub delimiter: bool,
    pub start: Option<&'a str>,
    pub start_after: Option<&'a str>,
}

/// A ListObjects response.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListObjects {
    #[serde(default)]
    pub objects: Vec<ObjectSummary>,
    #[serde(default)]
    pub prefixes: Vec<String>,
    pub next_start_with: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectSummary {
    pub name: String,
    pub size: Option<u64>,
    /// Base64 MD5, or `<base64>-<parts>` for multipart uploads.
    pub md5: Option<String>,
    pub etag: Option<String>,
    pub time_created: Option<String>,
    pub time_modified: Option<String>,
    pub storage_tier: Option<String>,
    pub archival_state: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateMultipartUploadDetails<'a> {
    object: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_tier: Option<&'a str>,
    /// Keys in `opc-meta-*` form, as OCI wants them here.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MultipartUpload {
    pub upload_id: String,
}

/// One entry of ListMultipartUploads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedUpload {
    pub object: String,
    pub upload_id: String,
    pub time_created: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommitMultipartUploadDetails<'a> {
    parts_to_commit: &'a [CommitPart<'a>],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitPart<'a> {
    pub part_num: usize,
    pub etag: &'a str,
}

/// Object metadata from HEAD/GET headers: size, type, ETag, Last-Modified, the MD5
/// (`content-md5`, or `opc-multipart-md5` passed through unchanged for multipart objects — it
/// is not a whole-object MD5), version, user metadata (`opc-meta-*`, prefix stripped), and the
/// storage tier and archival state as user-metadata keys.
pub fn parse_object_metadata(path: &str, headers: &HeaderMap) -> Result<Metadata> {
    let mut meta = parse_into_metadata(path, headers)?.into_builder();
    if parse_content_md5(headers)?.is_none()
        && let Some(v) = parse_header_to_str(headers, "opc-multipart-md5")?
    {
        meta.content_md5(v);
    }
    if let Some(v) = parse_header_to_str(headers, "version-id")? {
        meta.version(v);
    }
    let mut user = parse_prefixed_headers(headers, META_PREFIX);
    for key in [META_STORAGE_TIER, META_ARCHIVAL_STATE] {
        if let Some(v) = parse_header_to_str(headers, key)? {
            user.insert(key.to_string(), v.to_string());
        }
    }
    set_user_metadata(&mut meta, path, user);
    Ok(meta.build())
}

/// Sets user metadata unless it is too large for OpenDAL's metadata block, which would panic.
pub fn set_user_metadata(
    meta: &mut MetadataBuilder,
    path: &str,
    user: std::collections::HashMap<String, String>,
) {
    if user.is_empty() {
        return;
    }
    let size: usize = user.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
    if size > MAX_USER_METADATA_BYTES {
        tracing::warn!(path, size, "ignoring oversized user metadata");
        return;
    }
    meta.user_metadata(user);
}

/// `opc-meta-<key>` headers for the write's user metadata. A key or value that can't be a
/// header is an error rather than silently dropped: `mtime` would be lost.
fn user_metadata_headers(args: &OpWrite) -> Result<Vec<(HeaderName, HeaderValue)>> {
    let Some(user) = args.user_metadata() else {
        return Ok(Vec::new());
    };
    user.into_iter()
        .map(|(k, v)| {
            let name = HeaderName::from_bytes(format!("{META_PREFIX}{k}").as_bytes())
                .map_err(invalid_metadata)?;
            let value = HeaderValue::from_str(v).map_err(invalid_metadata)?;
            Ok((name, value))
        })
        .collect()
}

fn invalid_metadata(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(
        ErrorKind::Unexpected,
        "user metadata can't be sent as an HTTP header (ASCII keys and values only)",
    )
    .set_source(e)
}

/// Header values that carry key material are marked so diagnostics never print them.
fn sensitive(value: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    v.set_sensitive(true);
    v
}

/// Base64 of the MD5 of a body, for `Content-MD5`.
pub fn base64_md5(body: &Buffer) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5_of(body))
}

/// The raw MD5 of a (possibly non-contiguous) body.
pub fn md5_of(body: &Buffer) -> [u8; 16] {
    let mut h = md5::Md5::new();
    for chunk in body.clone() {
        h.update(&chunk);
    }
    h.finalize().into()
}

/// `opc-client-request-id` values: a per-process random prefix and a counter, so a request can
/// be found in OCI's logs and ours.
struct RequestIds {
    prefix: u64,
    counter: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        // RandomState is seeded from the OS: a random prefix without a rand dependency.
        let prefix = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        RequestIds {
            prefix,
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> String {
        format!(
            "ocisync-{:016x}-{:08x}",
            self.prefix,
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_core::Secret;

    struct Unsigned;

    #[async_trait::async_trait]
    impl OciAuth for Unsigned {
        async fn sign(
            &self,
            _: &mut http::request::Parts,
            _: SignBody<'_>,
        ) -> oci_core::Result<()> {
            Ok(())
        }
        fn name(&self) -> &'static str {
            "unsigned"
        }
    }

    fn core(
        sse_customer: Option<SseCustomerKey>,
        sse_kms_key_id: Option<String>,
    ) -> ObjectStorageCore {
        let settings = CoreSettings {
            storage_tier: None,
            sse_customer,
            sse_kms_key_id,
            no_check_bucket: false,
            leave_parts_on_error: false,
            chunk_size: 5 << 20,
            upload_concurrency: 1,
            max_upload_parts: 10_000,
            user_agent: None,
        };
        let endpoint = "https://objectstorage.us-ashburn-1.oraclecloud.com/";
        ObjectStorageCore::new(
            endpoint,
            Some("ns".into()),
            "b".into(),
            "/r/".into(),
            Arc::new(Unsigned),
            settings,
        )
    }

    #[test]
    fn sse_headers_go_on_requests_and_the_key_stays_out_of_debug() {
        let key = SseCustomerKey {
            algorithm: "AES256".into(),
            key: Secret::new("c2VjcmV0LWtleS1ieXRlcy0zMi1sb25nLi4uLi4uLi4="),
            key_sha256: "c2hh".into(),
        };
        let c = core(Some(key), Some("ocid1.key.oc1..k".into()));
        let req = c
            .with_sse_kms(c.with_sse_customer(Request::builder()))
            .body(())
            .unwrap();
        let h = req.headers();
        assert_eq!(h["opc-sse-customer-algorithm"], "AES256");
        assert_eq!(h["opc-sse-customer-key-sha256"], "c2hh");
        assert_eq!(h["opc-sse-kms-key-id"], "ocid1.key.oc1..k");
        assert!(h["opc-sse-customer-key"].is_sensitive());
        assert!(
            !format!("{h:?}").contains("c2VjcmV0"),
            "the key must not show in Debug"
        );

        let plain = core(None, None);
        let req = plain
            .with_sse_kms(plain.with_sse_customer(Request::builder()))
            .body(())
            .unwrap();
        assert!(
            req.headers()
                .keys()
                .all(|k| !k.as_str().starts_with("opc-sse"))
        );
    }

    #[test]
    fn urls_encode_names_once_under_the_root() {
        let c = core(None, None);
        assert_eq!(
            c.object_url("ns", "o", "FOCUS Reports/a+b%.csv"),
            "https://objectstorage.us-ashburn-1.oraclecloud.com/n/ns/b/b/o/r%2FFOCUS%20Reports%2Fa%2Bb%25.csv"
        );
        assert_eq!(c.object_name("x"), "r/x");
    }

    #[test]
    fn request_ids_differ() {
        let ids = RequestIds::new();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert!(a.starts_with("ocisync-"));
    }
}
