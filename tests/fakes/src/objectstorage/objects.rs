//! HeadObject, GetObject (ranges, conditions), PutObject (Content-MD5, metadata, tier,
//! conditions) and DeleteObject.

use std::collections::BTreeMap;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};

use super::ObjectStorage;
use super::call::Call;
use super::errors::OciError;
use super::store::{ArchivalState, ContentHeaders, ObjectMd5, StorageTier, StoredObject};
use crate::http::{Body, empty_response};
use crate::wire;

/// `HEAD|GET /n/{ns}/b/{bucket}/o/{object}`.
pub fn get_object(service: &ObjectStorage, call: &Call) -> Result<Response<Body>, OciError> {
    let object = {
        let store = service.read();
        let bucket = call.bucket(&store)?;
        bucket
            .objects
            .get(&call.route.object)
            .cloned()
            .ok_or_else(|| OciError::object_not_found(&call.route.bucket, &call.route.object))?
    };
    if let Some(given) = call.header("if-match")
        && !etag_matches(given, &object.etag)
    {
        return Err(OciError::if_match_failed(given, Some(&object.etag)));
    }
    if let Some(given) = call.header("if-none-match")
        && etag_matches(given, &object.etag)
    {
        let mut response = empty_response(StatusCode::NOT_MODIFIED);
        insert(response.headers_mut(), http::header::ETAG, &object.etag);
        return Ok(response);
    }
    if call.method == Method::HEAD {
        let mut response = empty_response(StatusCode::OK);
        object_headers(response.headers_mut(), &object);
        insert(
            response.headers_mut(),
            http::header::CONTENT_LENGTH,
            &object.size().to_string(),
        );
        return Ok(response);
    }
    if let Some(state) = object.archival_state.filter(|s| !s.readable()) {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "NotRestored",
            format!(
                "The object '{}' is in the Archive tier ({}) and must be restored before it can be read",
                object.name,
                state.as_str()
            ),
        ));
    }
    let size = object.size();
    let (status, body, content_range) = match call.header("range").map(|r| parse_range(r, size)) {
        None | Some(RangeRequest::Ignored) => (StatusCode::OK, object.data.clone(), None),
        Some(RangeRequest::Unsatisfiable) => {
            let mut response = OciError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                format!("The requested range is not satisfiable for an object of {size} bytes"),
            )
            .into_response(&call.method);
            insert(
                response.headers_mut(),
                http::header::CONTENT_RANGE,
                &format!("bytes */{size}"),
            );
            return Ok(response);
        }
        Some(RangeRequest::Bytes { first, last }) => (
            StatusCode::PARTIAL_CONTENT,
            object.data.slice(first as usize..=last as usize),
            Some(format!("bytes {first}-{last}/{size}")),
        ),
    };
    let mut response = Response::new(Body::new(body));
    *response.status_mut() = status;
    object_headers(response.headers_mut(), &object);
    if let Some(range) = content_range {
        insert(response.headers_mut(), http::header::CONTENT_RANGE, &range);
    }
    Ok(response)
}

/// Headers describing a stored object on HEAD and GET.
fn object_headers(headers: &mut HeaderMap, o: &StoredObject) {
    insert(headers, http::header::CONTENT_TYPE, o.content_type());
    insert(headers, http::header::ETAG, &o.etag);
    insert(
        headers,
        http::header::LAST_MODIFIED,
        &wire::http_date(o.time_modified),
    );
    insert(headers, http::header::ACCEPT_RANGES, "bytes");
    if let Some(md5) = o.md5.content_md5() {
        insert(headers, HeaderName::from_static("content-md5"), &md5);
    }
    if let Some(md5) = o.md5.multipart_md5() {
        insert(headers, HeaderName::from_static("opc-multipart-md5"), &md5);
    }
    insert(
        headers,
        HeaderName::from_static("storage-tier"),
        o.storage_tier.as_str(),
    );
    if let Some(state) = o.archival_state {
        insert(
            headers,
            HeaderName::from_static("archival-state"),
            state.as_str(),
        );
    }
    for (key, value) in &o.metadata {
        if let Ok(name) = HeaderName::try_from(format!("opc-meta-{key}")) {
            insert(headers, name, value);
        }
    }
    let h = &o.headers;
    for (name, value) in [
        (http::header::CONTENT_ENCODING, &h.content_encoding),
        (http::header::CONTENT_LANGUAGE, &h.content_language),
        (http::header::CONTENT_DISPOSITION, &h.content_disposition),
        (http::header::CACHE_CONTROL, &h.cache_control),
    ] {
        if let Some(value) = value {
            insert(headers, name, value);
        }
    }
}

pub(super) fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    // Values come from names, ids and user metadata that arrived as valid header text.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn etag_matches(given: &str, etag: &str) -> bool {
    given
        .split(',')
        .map(|t| t.trim().trim_matches('"'))
        .any(|t| t == "*" || t == etag)
}

enum RangeRequest {
    /// Not a single byte range we understand: serve the whole object, as RFC 9110 allows.
    Ignored,
    Unsatisfiable,
    Bytes {
        first: u64,
        last: u64,
    },
}

fn parse_range(header: &str, size: u64) -> RangeRequest {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeRequest::Ignored;
    };
    if spec.contains(',') {
        return RangeRequest::Ignored;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Ignored;
    };
    let (first, last) = (first.trim(), last.trim());
    match (first.parse::<u64>(), last.parse::<u64>()) {
        // bytes=-N: the last N bytes.
        (Err(_), Ok(suffix)) if first.is_empty() => {
            if suffix == 0 || size == 0 {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Bytes {
                    first: size.saturating_sub(suffix),
                    last: size - 1,
                }
            }
        }
        (Ok(first), Err(_)) if last.is_empty() => {
            if first >= size {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Bytes {
                    first,
                    last: size - 1,
                }
            }
        }
        (Ok(first), Ok(last)) if first <= last => {
            if first >= size {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Bytes {
                    first,
                    last: last.min(size - 1),
                }
            }
        }
        _ => RangeRequest::Ignored,
    }
}

/// `PUT /n/{ns}/b/{bucket}/o/{object}`.
pub async fn put_object(
    service: &ObjectStorage,
    mut call: Call,
) -> Result<Response<Body>, OciError> {
    // Everything that can be refused from the headers is refused before the body is read, so
    // a client waiting on `Expect: 100-continue` does not send it in vain.
    check_put_preconditions(service, &call)?;
    let declared = call.content_length()?;
    let storage_tier = match call.header("storage-tier") {
        None => StorageTier::Standard,
        Some(text) => StorageTier::parse(text)
            .ok_or_else(|| OciError::invalid(format!("Invalid storage-tier '{text}'")))?,
    };
    let expected_md5 = call
        .header("content-md5")
        .map(parse_content_md5)
        .transpose()?;
    let metadata = user_metadata(&call.headers)?;
    let headers = ContentHeaders {
        content_type: call.header("content-type").map(str::to_string),
        content_encoding: call.header("content-encoding").map(str::to_string),
        content_language: call.header("content-language").map(str::to_string),
        content_disposition: call.header("content-disposition").map(str::to_string),
        cache_control: call.header("cache-control").map(str::to_string),
    };
    let data = call.read_body().await?;
    if data.len() as u64 != declared {
        return Err(OciError::invalid(format!(
            "The body has {} bytes but Content-Length declared {declared}",
            data.len()
        )));
    }
    let md5 = wire::md5(&data);
    if let Some((expected, header)) = expected_md5
        && expected != md5
    {
        return Err(unmatched_md5(&md5, &header));
    }
    let now = service.now();
    let object = StoredObject {
        name: call.route.object.clone(),
        data,
        etag: wire::uuid_like(),
        md5: ObjectMd5::Whole(md5),
        time_created: now,
        time_modified: now,
        storage_tier,
        archival_state: (storage_tier == StorageTier::Archive).then_some(ArchivalState::Archived),
        metadata,
        headers,
    };
    let mut response = empty_response(StatusCode::OK);
    insert(response.headers_mut(), http::header::ETAG, &object.etag);
    insert(
        response.headers_mut(),
        http::header::LAST_MODIFIED,
        &wire::http_date(now),
    );
    insert(
        response.headers_mut(),
        HeaderName::from_static("opc-content-md5"),
        &wire::base64(&md5),
    );
    let mut store = service.write();
    let bucket = call.bucket_mut(&mut store)?;
    bucket.objects.insert(object.name.clone(), object);
    Ok(response)
}

fn check_put_preconditions(service: &ObjectStorage, call: &Call) -> Result<(), OciError> {
    let store = service.read();
    let bucket = call.bucket(&store)?;
    let current = bucket
        .objects
        .get(&call.route.object)
        .map(|o| o.etag.as_str());
    if let Some(given) = call.header("if-none-match") {
        if given.trim() != "*" {
            return Err(OciError::invalid(
                "The only supported If-None-Match value is '*'",
            ));
        }
        if current.is_some() {
            return Err(OciError::new(
                StatusCode::PRECONDITION_FAILED,
                "IfNoneMatchFailed",
                format!(
                    "The object '{}' already exists (If-None-Match: *)",
                    call.route.object
                ),
            ));
        }
    }
    if let Some(given) = call.header("if-match")
        && !current.is_some_and(|etag| etag_matches(given, etag))
    {
        return Err(OciError::if_match_failed(given, current));
    }
    Ok(())
}

/// A Content-MD5 header: the 16 digest bytes and the header text (for the error message).
pub(super) fn parse_content_md5(header: &str) -> Result<([u8; 16], String), OciError> {
    wire::unbase64(header.trim())
        .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
        .map(|digest| (digest, header.to_string()))
        .ok_or_else(|| {
            OciError::invalid(format!(
                "The Content-MD5 header '{header}' is not a base64 MD5 digest"
            ))
        })
}

pub(super) fn unmatched_md5(actual: &[u8; 16], header: &str) -> OciError {
    OciError::new(
        StatusCode::BAD_REQUEST,
        "UnmatchedContentMD5",
        format!(
            "The computed MD5 of the request body ({}) does not match the Content-MD5 header ({header})",
            wire::base64(actual)
        ),
    )
}

/// `opc-meta-*` headers, keys without the prefix.
fn user_metadata(headers: &HeaderMap) -> Result<BTreeMap<String, String>, OciError> {
    let mut metadata = BTreeMap::new();
    for (name, value) in headers {
        if let Some(key) = name.as_str().strip_prefix("opc-meta-") {
            let value = value.to_str().map_err(|_| {
                OciError::invalid(format!("The metadata header '{name}' is not valid text"))
            })?;
            metadata.insert(key.to_string(), value.to_string());
        }
    }
    Ok(metadata)
}

/// `POST /n/{ns}/b/{bucket}/actions/updateObjectStorageTier` with `{"objectName",
/// "storageTier"}`: moves an object between tiers. An archived object must be restored before
/// it can leave the Archive tier.
pub async fn update_storage_tier(
    service: &ObjectStorage,
    mut call: Call,
) -> Result<Response<Body>, OciError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Details {
        object_name: String,
        storage_tier: String,
    }
    let details: Details = call.read_json().await?;
    let tier = StorageTier::parse(&details.storage_tier).ok_or_else(|| {
        OciError::invalid(format!(
            "Invalid storage tier '{}' (Standard, InfrequentAccess or Archive)",
            details.storage_tier
        ))
    })?;
    let mut store = service.write();
    let bucket = call.bucket_mut(&mut store)?;
    let Some(object) = bucket.objects.get_mut(&details.object_name) else {
        return Err(OciError::object_not_found(
            &call.route.bucket,
            &details.object_name,
        ));
    };
    if object.storage_tier == StorageTier::Archive
        && tier != StorageTier::Archive
        && object.archival_state == Some(ArchivalState::Archived)
    {
        return Err(OciError::new(
            StatusCode::CONFLICT,
            "NotRestored",
            format!(
                "The object '{}' is archived: restore it before changing its storage tier",
                details.object_name
            ),
        ));
    }
    object.storage_tier = tier;
    object.archival_state = match tier {
        StorageTier::Archive => Some(ArchivalState::Archived),
        _ => None,
    };
    Ok(empty_response(StatusCode::OK))
}

/// `DELETE /n/{ns}/b/{bucket}/o/{object}`.
pub fn delete_object(service: &ObjectStorage, call: &Call) -> Result<Response<Body>, OciError> {
    let mut store = service.write();
    let bucket = call.bucket_mut(&mut store)?;
    let Some(current) = bucket.objects.get(&call.route.object) else {
        return Err(OciError::object_not_found(
            &call.route.bucket,
            &call.route.object,
        ));
    };
    if let Some(given) = call.header("if-match")
        && !etag_matches(given, &current.etag)
    {
        return Err(OciError::if_match_failed(given, Some(&current.etag)));
    }
    bucket.objects.remove(&call.route.object);
    let mut response = empty_response(StatusCode::NO_CONTENT);
    insert(
        response.headers_mut(),
        http::header::LAST_MODIFIED,
        &wire::http_date(service.now()),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(header: &str, size: u64) -> Option<(u64, u64)> {
        match parse_range(header, size) {
            RangeRequest::Bytes { first, last } => Some((first, last)),
            RangeRequest::Unsatisfiable => Some((u64::MAX, u64::MAX)),
            RangeRequest::Ignored => None,
        }
    }

    #[test]
    fn ranges() {
        const NO: Option<(u64, u64)> = Some((u64::MAX, u64::MAX));
        assert_eq!(range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(range("bytes=90-200", 100), Some((90, 99)));
        assert_eq!(range("bytes=95-", 100), Some((95, 99)));
        assert_eq!(range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(range("bytes=-200", 100), Some((0, 99)));
        assert_eq!(range("bytes=100-", 100), NO);
        assert_eq!(range("bytes=0-0", 0), NO);
        assert_eq!(range("bytes=-0", 100), NO);
        assert_eq!(range("bytes=5-1", 100), None);
        assert_eq!(range("bytes=0-1,5-6", 100), None);
        assert_eq!(range("items=0-1", 100), None);
    }

    #[test]
    fn etags_match_quoted_lists_and_star() {
        assert!(etag_matches("abc", "abc"));
        assert!(etag_matches("\"x\", \"abc\"", "abc"));
        assert!(etag_matches("*", "abc"));
        assert!(!etag_matches("abd", "abc"));
    }
}
