//! GetNamespace, ListBuckets, GetBucket and HeadBucket.

use http::{HeaderValue, Method, Response, StatusCode};
use serde_json::json;

use super::ObjectStorage;
use super::call::Call;
use super::errors::OciError;
use super::store::Bucket;
use crate::http::{Body, empty_response, json_response};
use crate::wire;

/// `GET /n`: the namespace as a JSON string.
pub fn get_namespace(service: &ObjectStorage) -> Result<Response<Body>, OciError> {
    Ok(json_response(StatusCode::OK, &service.namespace))
}

/// `GET /n/{ns}/b`: every bucket of the namespace (the compartment filter is not modelled).
pub fn list_buckets(service: &ObjectStorage, call: &Call) -> Result<Response<Body>, OciError> {
    let store = service.read();
    let buckets = store
        .namespaces
        .get(&call.route.namespace)
        .ok_or_else(|| OciError::namespace_not_found(&call.route.namespace))?;
    let summaries: Vec<_> = buckets
        .values()
        .map(|b| {
            json!({
                "namespace": call.route.namespace,
                "name": b.name,
                "compartmentId": b.compartment_id,
                "createdBy": "ocid1.user.oc1..fakeuser",
                "timeCreated": wire::rfc3339_millis(b.time_created),
                "etag": b.etag,
                "freeformTags": null,
                "definedTags": null,
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &summaries))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBucketDetails {
    name: String,
    compartment_id: Option<String>,
}

/// `POST /n/{ns}/b`: creates a bucket; 409 if it exists (rclone creates before every upload
/// and takes the conflict as success).
pub async fn create_bucket(
    service: &ObjectStorage,
    mut call: Call,
) -> Result<Response<Body>, OciError> {
    let details: CreateBucketDetails = call.read_json().await?;
    if details.name.is_empty() {
        return Err(OciError::invalid("The bucket name must not be empty"));
    }
    let mut store = service.write();
    let buckets = store
        .namespaces
        .get_mut(&call.route.namespace)
        .ok_or_else(|| OciError::namespace_not_found(&call.route.namespace))?;
    if buckets.contains_key(&details.name) {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "BucketAlreadyExists",
            format!(
                "Either the bucket '{}' in namespace '{}' already exists or you are not authorized \
                 to create it",
                details.name, call.route.namespace
            ),
        ));
    }
    let mut bucket = Bucket::new(&details.name);
    if let Some(compartment) = details.compartment_id {
        bucket.compartment_id = compartment;
    }
    let body = bucket_json(&call.route.namespace, &bucket);
    buckets.insert(details.name, bucket);
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET|HEAD /n/{ns}/b/{bucket}`.
pub fn get_bucket(service: &ObjectStorage, call: &Call) -> Result<Response<Body>, OciError> {
    let store = service.read();
    let bucket = call.bucket(&store)?;
    let mut response = if call.method == Method::HEAD {
        empty_response(StatusCode::OK)
    } else {
        json_response(StatusCode::OK, &bucket_json(&call.route.namespace, bucket))
    };
    if let Ok(etag) = HeaderValue::from_str(&bucket.etag) {
        response.headers_mut().insert(http::header::ETAG, etag);
    }
    Ok(response)
}

fn bucket_json(namespace: &str, b: &Bucket) -> serde_json::Value {
    json!({
        "namespace": namespace,
        "name": b.name,
        "compartmentId": b.compartment_id,
        "metadata": {},
        "createdBy": "ocid1.user.oc1..fakeuser",
        "timeCreated": wire::rfc3339_millis(b.time_created),
        "etag": b.etag,
        "publicAccessType": "NoPublicAccess",
        "storageTier": "Standard",
        "objectEventsEnabled": false,
        "versioning": "Disabled",
        "freeformTags": {},
        "definedTags": {},
    })
}
