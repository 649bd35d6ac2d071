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
