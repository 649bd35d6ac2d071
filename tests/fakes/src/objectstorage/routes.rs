//! Maps a request line to an Object Storage operation and its path parameters.
//!
//! Paths are taken as received: each parameter is percent-decoded exactly once, and an object
//! name is everything after `/o/` or `/u/`, so names may hold `/` raw or as `%2F`.

use http::Method;

use super::errors::OciError;
use crate::wire::{self, Query};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    GetNamespace,
    ListBuckets,
    CreateBucket,
    GetBucket,
    HeadBucket,
    ListObjects,
    HeadObject,
    GetObject,
    PutObject,
    DeleteObject,
    CreateMultipartUpload,
    ListMultipartUploads,
    UploadPart,
    CommitMultipartUpload,
    AbortMultipartUpload,
    ListMultipartUploadParts,
    UpdateObjectStorageTier,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetNamespace => "GetNamespace",
            Operation::ListBuckets => "ListBuckets",
            Operation::CreateBucket => "CreateBucket",
            Operation::GetBucket => "GetBucket",
            Operation::HeadBucket => "HeadBucket",
            Operation::ListObjects => "ListObjects",
            Operation::HeadObject => "HeadObject",
            Operation::GetObject => "GetObject",
            Operation::PutObject => "PutObject",
            Operation::DeleteObject => "DeleteObject",
            Operation::CreateMultipartUpload => "CreateMultipartUpload",
            Operation::ListMultipartUploads => "ListMultipartUploads",
            Operation::UploadPart => "UploadPart",
            Operation::CommitMultipartUpload => "CommitMultipartUpload",
            Operation::AbortMultipartUpload => "AbortMultipartUpload",
            Operation::ListMultipartUploadParts => "ListMultipartUploadParts",
            Operation::UpdateObjectStorageTier => "UpdateObjectStorageTier",
        }
    }

    /// PutObject and UploadPart: OCI does not sign their bodies.
    pub fn body_exempt(self) -> bool {
        matches!(self, Operation::PutObject | Operation::UploadPart)
    }
}

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Route {
    pub operation: Operation,
    pub namespace: String,
    pub bucket: String,
    pub object: String,
    pub query: Query,
}

pub fn parse(method: &Method, target: &str) -> Result<Route, OciError> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = Query::parse(query);
    let unknown = || {
        OciError::new(
            http::StatusCode::NOT_FOUND,
            "NotFound",
            format!("No Object Storage operation for {method} {path}"),
        )
    };
    let rest = path.strip_prefix("/n").ok_or_else(unknown)?;
    let mut route = Route {
        operation: Operation::GetNamespace,
        namespace: String::new(),
        bucket: String::new(),
        object: String::new(),
        query,
    };
    if rest.is_empty() || rest == "/" {
        return if method == Method::GET {
            Ok(route)
        } else {
            Err(unknown())
        };
    }
    let rest = rest.strip_prefix('/').ok_or_else(unknown)?;
    let (namespace, rest) = rest.split_once('/').ok_or_else(unknown)?;
    route.namespace = decode(namespace)?;
    let rest = rest.strip_prefix('b').ok_or_else(unknown)?;
    if rest.is_empty() || rest == "/" {
        route.operation = match *method {
            Method::GET => Operation::ListBuckets,
            Method::POST => Operation::CreateBucket,
            _ => return Err(unknown()),
        };
        return Ok(route);
    }
    let rest = rest.strip_prefix('/').ok_or_else(unknown)?;
    let (bucket, rest) = rest.split_once('/').unwrap_or((rest, ""));
    route.bucket = decode(bucket)?;
    let (kind, object) = rest.split_once('/').unwrap_or((rest, ""));
    route.object = decode(object)?;
    let has_upload = route.query.get("uploadId").is_some();
    route.operation = match (kind, route.object.is_empty(), method.clone()) {
        ("", _, Method::GET) => Operation::GetBucket,
        ("", _, Method::HEAD) => Operation::HeadBucket,
        ("o", true, Method::GET) => Operation::ListObjects,
        ("o", false, Method::GET) => Operation::GetObject,
        ("o", false, Method::HEAD) => Operation::HeadObject,
        ("o", false, Method::PUT) => Operation::PutObject,
        ("o", false, Method::DELETE) => Operation::DeleteObject,
        ("u", true, Method::POST) => Operation::CreateMultipartUpload,
        ("u", true, Method::GET) => Operation::ListMultipartUploads,
        ("u", false, Method::PUT) if has_upload => Operation::UploadPart,
        ("u", false, Method::POST) if has_upload => Operation::CommitMultipartUpload,
        ("u", false, Method::DELETE) if has_upload => Operation::AbortMultipartUpload,
        ("u", false, Method::GET) if has_upload => Operation::ListMultipartUploadParts,
        ("actions", false, Method::POST) if route.object == "updateObjectStorageTier" => {
            Operation::UpdateObjectStorageTier
        }
        _ => return Err(unknown()),
    };
    Ok(route)
}

fn decode(raw: &str) -> Result<String, OciError> {
    wire::decode_path(raw).ok_or_else(|| {
        OciError::invalid(format!(
            "The path parameter '{raw}' is not valid UTF-8 once decoded"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: Method, target: &str) -> Option<Operation> {
        parse(&method, target).ok().map(|r| r.operation)
    }

    #[test]
    fn operations() {
        assert_eq!(op(Method::GET, "/n"), Some(Operation::GetNamespace));
        assert_eq!(op(Method::GET, "/n/"), Some(Operation::GetNamespace));
        assert_eq!(
            op(Method::GET, "/n/ns/b?compartmentId=c"),
            Some(Operation::ListBuckets)
        );
        assert_eq!(op(Method::POST, "/n/ns/b/"), Some(Operation::CreateBucket));
        assert_eq!(op(Method::HEAD, "/n/ns/b/bkt"), Some(Operation::HeadBucket));
        assert_eq!(
            op(Method::GET, "/n/ns/b/bkt/o?prefix=a"),
            Some(Operation::ListObjects)
        );
        assert_eq!(
            op(Method::GET, "/n/ns/b/bkt/o/"),
            Some(Operation::ListObjects)
        );
        assert_eq!(
            op(Method::PUT, "/n/ns/b/bkt/o/x"),
            Some(Operation::PutObject)
        );
        assert_eq!(
            op(Method::POST, "/n/ns/b/bkt/u"),
            Some(Operation::CreateMultipartUpload)
        );
        assert_eq!(
            op(Method::PUT, "/n/ns/b/bkt/u/x?uploadId=1&uploadPartNum=2"),
            Some(Operation::UploadPart)
        );
        assert_eq!(
            op(Method::POST, "/n/ns/b/bkt/u/x?uploadId=1"),
            Some(Operation::CommitMultipartUpload)
        );
        assert_eq!(op(Method::PUT, "/n/ns/b/bkt/u/x"), None);
        assert_eq!(op(Method::GET, "/other"), None);
        assert_eq!(op(Method::PATCH, "/n/ns/b/bkt/o/x"), None);
    }

    #[test]
    fn object_names_decode_once() {
        let r = parse(
            &Method::GET,
            "/n/ns/b/bkt/o/FOCUS%20Reports/2024%2F01/a+b%2525%23%3F%C3%A9",
        )
        .unwrap();
        assert_eq!(r.object, "FOCUS Reports/2024/01/a+b%25#?é");
        let r = parse(&Method::GET, "/n/ns/b/bkt/o/%2E").unwrap();
        assert_eq!(r.object, ".");
        assert!(parse(&Method::GET, "/n/ns/b/bkt/o/%FF").is_err());
    }
}
