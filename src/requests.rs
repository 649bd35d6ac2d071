//! Requests each remote made, by operation, for the run report: every HTTP request an
//! operator sends passes through a counting transport wrapped around the shared one, so retries
//! and listing pages are counted as the servers saw them. Local remotes make none.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use opendal::{Buffer, HttpBody, HttpTransport, HttpTransporter, OperationContext, Operator};

/// Counts by operation name.
#[derive(Debug, Default)]
pub struct RequestCounter {
    counts: Mutex<BTreeMap<&'static str, u64>>,
}

impl RequestCounter {
    fn count(&self, operation: &'static str) {
        *self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(operation)
            .or_default() += 1;
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect()
    }
}

struct Counting {
    inner: HttpTransporter,
    counter: Arc<RequestCounter>,
}

impl HttpTransport for Counting {
    async fn fetch(&self, req: http::Request<Buffer>) -> opendal::Result<http::Response<HttpBody>> {
        // --tpslimit: every request of every remote waits its turn.
        crate::throttle::request().await;
        self.counter.count(operation(req.method(), req.uri()));
        self.inner.fetch(req).await
    }
}

/// `op` with its requests counted into `counter` (its layers are kept).
pub fn counted(op: Operator, counter: Arc<RequestCounter>) -> Operator {
    let transport = HttpTransporter::new(Counting {
        inner: HttpTransporter::default(),
        counter,
    });
    op.with_context(OperationContext::new().with_http_transport(transport))
}

/// The operation a request is, for the object-store APIs ocisync speaks (S3 and OCI Object
/// Storage); anything else is named by its method.
fn operation(method: &http::Method, uri: &http::Uri) -> &'static str {
    let query = uri.query().unwrap_or("");
    let has = |key: &str| {
        query
            .split('&')
            .any(|kv| kv == key || kv.starts_with(&format!("{key}=")))
    };
    let path = uri.path();
    // OCI: /n/{ns}/b/{bucket}/o[/{object}] and /u/ for multipart.
    let oci_objects = path.contains("/b/") && (path.ends_with("/o") || path.ends_with("/o/"));
    match *method {
        http::Method::GET if has("list-type") || has("delimiter") || oci_objects => "list",
        http::Method::GET if has("uploadId") || has("uploads") => "list_parts",
        http::Method::GET => "get",
        http::Method::HEAD => "head",
        http::Method::PUT if has("partNumber") || has("uploadPartNum") => "upload_part",
        http::Method::PUT => "put",
        http::Method::POST if has("delete") => "delete_batch",
        http::Method::POST if has("uploads") || path.ends_with("/u") => "multipart_start",
        http::Method::POST if has("uploadId") || path.contains("/u/") => "multipart_complete",
        http::Method::POST => "post",
        http::Method::DELETE if has("uploadId") || path.contains("/u/") => "multipart_abort",
        http::Method::DELETE => "delete",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: &str, uri: &str) -> &'static str {
        operation(&method.parse().unwrap(), &uri.parse().unwrap())
    }

    #[test]
    fn s3_and_oci_operations() {
        assert_eq!(op("GET", "/bucket?list-type=2&prefix=a"), "list");
        assert_eq!(op("GET", "/bucket/key"), "get");
        assert_eq!(op("HEAD", "/bucket/key"), "head");
        assert_eq!(
            op("PUT", "/bucket/key?partNumber=1&uploadId=x"),
            "upload_part"
        );
        assert_eq!(op("POST", "/bucket/key?uploads"), "multipart_start");
        assert_eq!(op("POST", "/bucket/key?uploadId=x"), "multipart_complete");
        assert_eq!(op("PUT", "/bucket/key"), "put");
        assert_eq!(
            op("GET", "/n/bling/b/ocid1.tenancy/o?prefix=r&fields=md5"),
            "list"
        );
        assert_eq!(op("GET", "/n/bling/b/t/o/reports%2Fa.csv.gz"), "get");
        assert_eq!(
            op("PUT", "/n/ns/b/b/u/key?uploadId=u&uploadPartNum=2"),
            "upload_part"
        );
        assert_eq!(op("POST", "/n/ns/b/b/u"), "multipart_start");
        assert_eq!(op("DELETE", "/n/ns/b/b/o/key"), "delete");
    }
}
