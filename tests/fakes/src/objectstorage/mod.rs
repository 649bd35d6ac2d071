//! A fake OCI Object Storage service (API 20160918), in memory.
//!
//! It answers the operations ocisync and rclone use — namespace, buckets, listing, object
//! HEAD/GET/PUT/DELETE with ranges and conditions, multipart uploads — with the headers, JSON
//! and errors the real service sends, and checks every request's signature unless told not to.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use ocisync_fakes::objectstorage::{Config, FakeObjectStorage, SeedObject};
//! let fake = FakeObjectStorage::start(Config::default()).await?;
//! fake.seed("bling", "ocid1.tenancy.oc1..t", SeedObject::new("reports/a.csv.gz", "data"));
//! // point the client at fake.base_url(), then:
//! assert_eq!(fake.monitor().count("GetObject"), 0);
//! # Ok(()) }
//! ```

mod buckets;
mod call;
mod errors;
mod listing;
mod multipart;
mod objects;
mod routes;
pub mod seed;
mod store;

use std::io;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use http::{Method, Request, Response};

pub use errors::OciError;
pub use routes::Operation;
pub use seed::{BlingSpec, SeedObject};
pub use store::{ArchivalState, ContentHeaders, ObjectMd5, StorageTier, StoredObject};

use crate::faults::Faults;
use crate::http::{Body, RequestBody, Server, Service};
use crate::monitor::Monitor;
use crate::oci_sig::KeyRing;
use call::Call;
use store::Store;

/// The most objects (plus prefixes) one ListObjects page holds on the real service.
pub const MAX_PAGE_SIZE: usize = 1000;

/// How to run the fake.
#[derive(Clone)]
pub struct Config {
    /// 0 lets the OS choose.
    pub port: u16,
    /// What GetNamespace answers; created empty at start.
    pub namespace: String,
    /// Check signatures (the default). Off accepts unsigned requests, as for rclone's
    /// `provider = no_auth`, and skips all signature checks.
    pub require_signatures: bool,
    /// Page size cap for ListObjects, at most [`MAX_PAGE_SIZE`]; smaller makes tests paginate.
    pub page_size: usize,
    /// The keys trusted; share one ring between fakes that should accept the same identities.
    pub keys: Arc<KeyRing>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 0,
            namespace: "bling".to_string(),
            require_signatures: true,
            page_size: MAX_PAGE_SIZE,
            keys: Arc::new(KeyRing::new()),
        }
    }
}

/// A running fake. Dropping it stops the server.
pub struct FakeObjectStorage {
    server: Server,
    service: Arc<ObjectStorage>,
}

impl FakeObjectStorage {
    pub async fn start(config: Config) -> io::Result<Self> {
        let mut store = Store::default();
        store
            .namespaces
            .entry(config.namespace.clone())
            .or_default();
        let clock = config.keys.clock().clone();
        let service = Arc::new(ObjectStorage {
            namespace: config.namespace,
            require_signatures: config.require_signatures,
            page_size: config.page_size.clamp(1, MAX_PAGE_SIZE),
            keys: config.keys,
            store: RwLock::new(store),
        });
        let server = Server::start_with_clock(service.clone(), config.port, clock).await?;
        Ok(FakeObjectStorage { server, service })
    }

    /// `http://127.0.0.1:<port>` — the Object Storage endpoint to configure in clients.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Request log and per-operation counters (operation names as in [`Operation::name`]).
    pub fn monitor(&self) -> &Arc<Monitor> {
        self.server.monitor()
    }

    pub fn faults(&self) -> &Arc<Faults> {
        self.server.faults()
    }

    /// Register API keys or session-token lookups here.
    pub fn keys(&self) -> &Arc<KeyRing> {
        &self.service.keys
    }

    pub fn namespace(&self) -> &str {
        &self.service.namespace
    }

    /// Creates the bucket (and namespace) if missing.
    pub fn create_bucket(&self, namespace: &str, bucket: &str) {
        self.service.write().bucket_mut(namespace, bucket);
    }

    /// Stores an object directly, creating its bucket if missing; replaces any object of
    /// that name.
    pub fn seed(&self, namespace: &str, bucket: &str, object: SeedObject) {
        self.seed_all(namespace, bucket, [object]);
    }

    /// Stores many objects under one lock; returns how many.
    pub fn seed_all(
        &self,
        namespace: &str,
        bucket: &str,
        objects: impl IntoIterator<Item = SeedObject>,
    ) -> usize {
        let mut store = self.service.write();
        let bucket = store.bucket_mut(namespace, bucket);
        let mut count = 0;
        for object in objects {
            let stored = object.into_stored();
            bucket.objects.insert(stored.name.clone(), stored);
            count += 1;
        }
        count
    }

    /// Seeds `bucket` of namespace `bling` with report-shaped objects (see
    /// [`seed::bling_objects`]); returns how many.
    pub fn seed_bling(&self, bucket: &str, spec: &BlingSpec) -> usize {
        self.seed_all("bling", bucket, seed::bling_objects(spec))
    }

    /// A copy of an object as stored (content shared, not copied).
    pub fn object(&self, namespace: &str, bucket: &str, name: &str) -> Option<StoredObject> {
        let store = self.service.read();
        store
            .namespaces
            .get(namespace)?
            .get(bucket)?
            .objects
            .get(name)
            .cloned()
    }

    /// All object names in a bucket, in order (empty if the bucket does not exist).
    pub fn object_names(&self, namespace: &str, bucket: &str) -> Vec<String> {
        let store = self.service.read();
        store
            .namespaces
            .get(namespace)
            .and_then(|b| b.get(bucket))
            .map(|b| b.objects.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Ids of multipart uploads created and neither committed nor aborted.
    pub fn pending_uploads(&self, namespace: &str, bucket: &str) -> Vec<String> {
        let store = self.service.read();
        store
            .namespaces
            .get(namespace)
            .and_then(|b| b.get(bucket))
            .map(|b| b.uploads.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// The service behind the server.
struct ObjectStorage {
    namespace: String,
    require_signatures: bool,
    page_size: usize,
    keys: Arc<KeyRing>,
    store: RwLock<Store>,
}

impl ObjectStorage {
    fn read(&self) -> RwLockReadGuard<'_, Store> {
        // Handlers never panic while holding the lock on purpose; if one did, the data is
        // still consistent enough for a fake.
        self.store
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The service's now (its clock may be shifted), at OCI's millisecond precision.
    fn now(&self) -> jiff::Timestamp {
        crate::wire::truncate_to_millis(self.keys.clock().now())
    }

    async fn dispatch(&self, request: Request<RequestBody>) -> Result<Response<Body>, OciError> {
        let (parts, body) = request.into_parts();
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let route = routes::parse(&parts.method, target)?;
        let verified = if self.require_signatures {
            let required =
                crate::oci_sig::required_headers(&parts.method, route.operation.body_exempt());
            Some(self.keys.verify(&parts, required)?)
        } else {
            None
        };
        let call = Call::new(route, parts, body, verified);
        match call.route.operation {
            Operation::GetNamespace => buckets::get_namespace(self),
            Operation::ListBuckets => buckets::list_buckets(self, &call),
            Operation::CreateBucket => buckets::create_bucket(self, call).await,
            Operation::GetBucket | Operation::HeadBucket => buckets::get_bucket(self, &call),
            Operation::ListObjects => listing::list_objects(self, &call),
            Operation::HeadObject | Operation::GetObject => objects::get_object(self, &call),
            Operation::PutObject => objects::put_object(self, call).await,
            Operation::DeleteObject => objects::delete_object(self, &call),
            Operation::CreateMultipartUpload => multipart::create(self, call).await,
            Operation::ListMultipartUploads => multipart::list_uploads(self, &call),
            Operation::UploadPart => multipart::upload_part(self, call).await,
            Operation::CommitMultipartUpload => multipart::commit(self, call).await,
            Operation::AbortMultipartUpload => multipart::abort(self, &call),
            Operation::ListMultipartUploadParts => multipart::list_parts(self, &call),
            Operation::UpdateObjectStorageTier => objects::update_storage_tier(self, call).await,
        }
    }
}

impl Service for ObjectStorage {
    fn operation(&self, method: &Method, target: &str) -> &'static str {
        routes::parse(method, target).map_or("Unknown", |r| r.operation.name())
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let method = request.method().clone();
        self.dispatch(request)
            .await
            .unwrap_or_else(|e| e.into_response(&method))
    }
}
