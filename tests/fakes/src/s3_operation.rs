//! Names a path-style S3 request by its operation, from its method, path and query — for the
//! proxies in front of real S3 servers (the tests' recording proxy, the benchmark's counting
//! proxy) that log and count what a client sent.

use http::Method;

/// The S3 operation of a path-style request (`/bucket` or `/bucket/key?query`).
pub fn s3_operation(method: &Method, target: &str) -> &'static str {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let has = |k: &str| {
        query
            .split('&')
            .any(|p| p == k || p.starts_with(&format!("{k}=")))
    };
    let object = path.trim_start_matches('/').contains('/');
    match *method {
        Method::GET if !object => "ListObjects",
        Method::GET => "GetObject",
        Method::HEAD if !object => "HeadBucket",
        Method::HEAD => "HeadObject",
        Method::PUT if has("partNumber") => "UploadPart",
        Method::PUT if !object => "CreateBucket",
        // OpenDAL marks its CopyObject with `x-id`; rclone's CopyObject (its way to change a
        // modification time) is a plain PUT, told apart by its empty body in the log.
        Method::PUT if has("x-id") && query.contains("CopyObject") => "CopyObject",
        Method::PUT => "PutObject",
        Method::POST if has("uploads") => "CreateMultipartUpload",
        Method::POST if has("uploadId") => "CompleteMultipartUpload",
        Method::POST if has("delete") => "DeleteObjects",
        Method::DELETE if has("uploadId") => "AbortMultipartUpload",
        Method::DELETE if !object => "DeleteBucket",
        Method::DELETE => "DeleteObject",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations() {
        assert_eq!(
            s3_operation(&Method::GET, "/b?list-type=2&prefix=x"),
            "ListObjects"
        );
        assert_eq!(
            s3_operation(&Method::PUT, "/b/k/x?partNumber=1&uploadId=u"),
            "UploadPart"
        );
        assert_eq!(s3_operation(&Method::PUT, "/b/k/x"), "PutObject");
        assert_eq!(
            s3_operation(&Method::PUT, "/b/k/x?x-id=CopyObject"),
            "CopyObject"
        );
        assert_eq!(
            s3_operation(&Method::POST, "/b/k?uploads"),
            "CreateMultipartUpload"
        );
        assert_eq!(
            s3_operation(&Method::POST, "/b/k?uploadId=u"),
            "CompleteMultipartUpload"
        );
        assert_eq!(s3_operation(&Method::HEAD, "/b/k"), "HeadObject");
        assert_eq!(s3_operation(&Method::DELETE, "/b/k"), "DeleteObject");
        assert_eq!(s3_operation(&Method::DELETE, "/b"), "DeleteBucket");
    }
}
