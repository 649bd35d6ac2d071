//! Multipart uploads: create, upload part, commit (with the multipart MD5 OCI computes),
//! abort, and the listings of uploads and parts.

use std::collections::{BTreeMap, BTreeSet};

use bytes::BytesMut;
use http::{HeaderName, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::ObjectStorage;
use super::call::Call;
use super::errors::OciError;
use super::objects::{insert, parse_content_md5, unmatched_md5};
use super::store::{
    ArchivalState, ContentHeaders, MultipartUpload, ObjectMd5, Part, StorageTier, StoredObject,
};
use crate::http::{Body, empty_response, json_response};
use crate::wire;

/// Part numbers OCI accepts.
const PART_NUMBERS: std::ops::RangeInclusive<u32> = 1..=10_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateDetails {
    object: Option<String>,
    content_type: Option<String>,
    content_language: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    cache_control: Option<String>,
    storage_tier: Option<String>,
    /// Keys in `opc-meta-*` form.
    metadata: Option<BTreeMap<String, String>>,
}

/// `POST /n/{ns}/b/{bucket}/u`.
pub async fn create(service: &ObjectStorage, mut call: Call) -> Result<Response<Body>, OciError> {
    let details: CreateDetails = call.read_json().await?;
    let object = details.object.filter(|o| !o.is_empty()).ok_or_else(|| {
        OciError::new(
            StatusCode::BAD_REQUEST,
            "MissingParameter",
            "'object' is required",
        )
    })?;
    let storage_tier = match &details.storage_tier {
        None => StorageTier::Standard,
        Some(text) => StorageTier::parse(text)
            .ok_or_else(|| OciError::invalid(format!("Invalid storageTier '{text}'")))?,
    };
    let mut metadata = BTreeMap::new();
    for (key, value) in details.metadata.unwrap_or_default() {
        let Some(short) = key
            .to_ascii_lowercase()
            .strip_prefix("opc-meta-")
            .map(str::to_string)
        else {
            return Err(OciError::invalid(format!(
                "Metadata key '{key}' must start with 'opc-meta-'"
            )));
        };
        metadata.insert(short, value);
    }
    let upload = MultipartUpload {
        object,
        upload_id: wire::uuid_like(),
        time_created: service.now(),
        storage_tier,
        metadata,
        headers: ContentHeaders {
            content_type: details.content_type,
            content_encoding: details.content_encoding,
            content_language: details.content_language,
            content_disposition: details.content_disposition,
            cache_control: details.cache_control,
        },
        parts: BTreeMap::new(),
    };
    let mut store = service.write();
    let bucket = call.bucket_mut(&mut store)?;
    let body = upload_json(&call.route.namespace, &call.route.bucket, &upload);
    let location = format!(
        "/n/{}/b/{}/u/{}?uploadId={}",
        encode(&call.route.namespace),
        encode(&call.route.bucket),
        encode(&upload.object),
        upload.upload_id
    );
    bucket.uploads.insert(upload.upload_id.clone(), upload);
    let mut response = json_response(StatusCode::OK, &body);
    insert(response.headers_mut(), http::header::LOCATION, &location);
    Ok(response)
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn upload_json(namespace: &str, bucket: &str, u: &MultipartUpload) -> serde_json::Value {
    json!({
        "namespace": namespace,
        "bucket": bucket,
        "object": u.object,
        "uploadId": u.upload_id,
        "timeCreated": wire::rfc3339_millis(u.time_created),
        "storageTier": u.storage_tier.as_str(),
    })
}

/// The upload named by `uploadId`, which must be for the object in the path.
fn upload_id(call: &Call) -> &str {
    call.route.query.get("uploadId").unwrap_or_default()
}

fn find_upload<'b>(
    uploads: &'b mut BTreeMap<String, MultipartUpload>,
    call: &Call,
) -> Result<&'b mut MultipartUpload, OciError> {
    let id = upload_id(call);
    uploads
        .get_mut(id)
        .filter(|u| u.object == call.route.object)
        .ok_or_else(|| OciError::upload_not_found(id, &call.route.object))
}

/// `PUT /n/{ns}/b/{bucket}/u/{object}?uploadId=&uploadPartNum=`.
pub async fn upload_part(
    service: &ObjectStorage,
    mut call: Call,
) -> Result<Response<Body>, OciError> {
    let number_text = call
        .route
        .query
        .get("uploadPartNum")
        .unwrap_or_default()
        .to_string();
    let number = number_text
        .parse::<u32>()
        .ok()
        .filter(|n| PART_NUMBERS.contains(n))
        .ok_or_else(|| {
            OciError::invalid(format!(
                "uploadPartNum must be from 1 to 10000, not '{number_text}'"
            ))
        })?;
    {
        // Refuse unknown uploads before the client sends the part.
        let mut store = service.write();
        let bucket = call.bucket_mut(&mut store)?;
        find_upload(&mut bucket.uploads, &call)?;
    }
    let declared = call.content_length()?;
    let expected_md5 = call
        .header("content-md5")
        .map(parse_content_md5)
        .transpose()?;
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
    let part = Part {
        data,
        md5,
        etag: wire::uuid_like(),
    };
    let mut response = empty_response(StatusCode::OK);
    insert(response.headers_mut(), http::header::ETAG, &part.etag);
    insert(
        response.headers_mut(),
        HeaderName::from_static("opc-content-md5"),
        &wire::base64(&md5),
    );
    let mut store = service.write();
    let bucket = call.bucket_mut(&mut store)?;
    find_upload(&mut bucket.uploads, &call)?
        .parts
        .insert(number, part);
    Ok(response)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommitDetails {
    parts_to_commit: Vec<CommitPart>,
    #[serde(default)]
    parts_to_exclude: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommitPart {
    part_num: u32,
    etag: String,
}

/// `POST /n/{ns}/b/{bucket}/u/{object}?uploadId=`.
pub async fn commit(service: &ObjectStorage, mut call: Call) -> Result<Response<Body>, OciError> {
    let details: CommitDetails = call.read_json().await?;
    let mut store = service.write();
    let bucket = call.bucket_mut(&mut store)?;
    let upload = find_upload(&mut bucket.uploads, &call)?;
    let chosen = parts_to_commit(upload, &details)?;
    let total: usize = chosen.iter().map(|p| p.data.len()).sum();
    let mut data = BytesMut::with_capacity(total);
    for part in &chosen {
        data.extend_from_slice(&part.data);
    }
    let md5s: Vec<[u8; 16]> = chosen.iter().map(|p| p.md5).collect();
    let now = service.now();
    let object = StoredObject {
        name: upload.object.clone(),
        data: data.freeze(),
        etag: wire::uuid_like(),
        md5: ObjectMd5::of_parts(&md5s),
        time_created: now,
        time_modified: now,
        storage_tier: upload.storage_tier,
        archival_state: (upload.storage_tier == StorageTier::Archive)
            .then_some(ArchivalState::Archived),
        metadata: upload.metadata.clone(),
        headers: upload.headers.clone(),
    };
    let mut response = empty_response(StatusCode::OK);
    let headers = response.headers_mut();
    insert(headers, http::header::ETAG, &object.etag);
    insert(headers, http::header::LAST_MODIFIED, &wire::http_date(now));
    insert(
        headers,
        HeaderName::from_static("opc-multipart-md5"),
        &object.md5.listed(),
    );
    let id = upload.upload_id.clone();
    bucket.uploads.remove(&id);
    bucket.objects.insert(object.name.clone(), object);
    Ok(response)
}

/// The parts to join, in part order, after checking that every uploaded part is committed or
/// excluded exactly once and that committed etags are the parts' own.
fn parts_to_commit(
    upload: &MultipartUpload,
    details: &CommitDetails,
) -> Result<Vec<Part>, OciError> {
    if details.parts_to_commit.is_empty() {
        return Err(OciError::invalid(
            "partsToCommit must name at least one part",
        ));
    }
    let mut committed = BTreeMap::new();
    for p in &details.parts_to_commit {
        let Some(part) = upload.parts.get(&p.part_num) else {
            return Err(OciError::invalid(format!(
                "Part {} was not uploaded",
                p.part_num
            )));
        };
        if part.etag != p.etag.trim_matches('"') {
            return Err(OciError::invalid(format!(
                "The etag '{}' given for part {} is not the part's etag",
                p.etag, p.part_num
            )));
        }
        if committed.insert(p.part_num, part.clone()).is_some() {
            return Err(OciError::invalid(format!(
                "Part {} is listed twice",
                p.part_num
            )));
        }
    }
    let excluded: BTreeSet<u32> = details.parts_to_exclude.iter().copied().collect();
    for number in upload.parts.keys() {
        match (committed.contains_key(number), excluded.contains(number)) {
            (true, true) => {
                return Err(OciError::invalid(format!(
                    "Part {number} is both committed and excluded"
                )));
            }
            (false, false) => {
                return Err(OciError::invalid(format!(
                    "Part {number} was uploaded but is in neither partsToCommit nor partsToExclude"
                )));
            }
            _ => {}
        }
    }
    Ok(committed.into_values().collect())
}

/// `DELETE /n/{ns}/b/{bucket}/u/{object}?uploadId=`.
pub fn abort(service: &ObjectStorage, call: &Call) -> Result<Response<Body>, OciError> {
    let mut store = service.write();
    let bucket = call.bucket_mut(&mut store)?;
    find_upload(&mut bucket.uploads, call)?;
    bucket.uploads.remove(upload_id(call));
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// `GET /n/{ns}/b/{bucket}/u`: pending uploads, oldest first.
pub fn list_uploads(service: &ObjectStorage, call: &Call) -> Result<Response<Body>, OciError> {
    let store = service.read();
    let bucket = call.bucket(&store)?;
    let mut uploads: Vec<&MultipartUpload> = bucket.uploads.values().collect();
    uploads.sort_by_key(|u| u.time_created);
    let body: Vec<_> = uploads
        .iter()
        .map(|u| upload_json(&call.route.namespace, &call.route.bucket, u))
        .collect();
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /n/{ns}/b/{bucket}/u/{object}?uploadId=`: the parts uploaded so far.
pub fn list_parts(service: &ObjectStorage, call: &Call) -> Result<Response<Body>, OciError> {
    let mut store = service.write();
    let bucket = call.bucket_mut(&mut store)?;
    let upload = find_upload(&mut bucket.uploads, call)?;
    let body: Vec<_> = upload
        .parts
        .iter()
        .map(|(number, p)| {
            json!({ "partNumber": number, "etag": p.etag, "md5": wire::base64(&p.md5), "size": p.data.len() })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &body))
}
