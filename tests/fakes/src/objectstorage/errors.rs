//! Object Storage's errors, with the codes and wording the real service uses where they are
//! known (CLI cassettes, SDK docs, third-party logs).

use http::StatusCode;

pub use crate::oci_error::OciError;

impl OciError {
    pub fn namespace_not_found(namespace: &str) -> Self {
        OciError::new(
            StatusCode::NOT_FOUND,
            "NamespaceNotFound",
            format!(
                "Either the namespace '{namespace}' does not exist or you are not authorized to access it"
            ),
        )
    }

    pub fn bucket_not_found(namespace: &str, bucket: &str) -> Self {
        OciError::new(
            StatusCode::NOT_FOUND,
            "BucketNotFound",
            format!(
                "Either the bucket named '{bucket}' does not exist in the namespace '{namespace}' \
                 or you are not authorized to access it"
            ),
        )
    }

    pub fn object_not_found(bucket: &str, object: &str) -> Self {
        OciError::new(
            StatusCode::NOT_FOUND,
            "ObjectNotFound",
            format!("The object '{object}' was not found in the bucket '{bucket}'"),
        )
    }

    pub fn upload_not_found(upload_id: &str, object: &str) -> Self {
        OciError::new(
            StatusCode::NOT_FOUND,
            "UploadNotFound",
            format!("The upload '{upload_id}' for object '{object}' does not exist"),
        )
    }

    pub fn if_match_failed(given: &str, current: Option<&str>) -> Self {
        OciError::new(
            StatusCode::PRECONDITION_FAILED,
            "IfMatchFailed",
            format!(
                "The If-Match header value '{given}' does not match the current ETag '{}'",
                current.unwrap_or("<none: the object does not exist>")
            ),
        )
    }

    pub fn length_required() -> Self {
        OciError::new(
            StatusCode::LENGTH_REQUIRED,
            "LengthRequired",
            "The Content-Length header is required for this operation",
        )
    }
}
