//! ListObjects: `GET /n/{ns}/b/{bucket}/o` with prefix, start, end, startAfter, limit,
//! delimiter and fields, paginated by `nextStartWith`.

use http::{Response, StatusCode};
use serde::Serialize;

use super::call::Call;
use super::errors::OciError;
use super::store::{self, ListQuery, StoredObject};
use super::{MAX_PAGE_SIZE, ObjectStorage};
use crate::http::{Body, json_response};
use crate::wire;

/// Which optional fields a listing includes (`name` always).
#[derive(Debug, Default, Clone, Copy)]
struct Fields {
    size: bool,
    etag: bool,
    md5: bool,
    time_created: bool,
    time_modified: bool,
    storage_tier: bool,
    archival_state: bool,
}

impl Fields {
    /// Comma-separated, case-insensitive; unknown names are refused.
    fn parse(spec: Option<&str>) -> Result<Fields, OciError> {
        let mut fields = Fields::default();
        for name in spec.unwrap_or("name").split(',').map(str::trim) {
            match name.to_ascii_lowercase().as_str() {
                "name" => {}
                "size" => fields.size = true,
                "etag" => fields.etag = true,
                "md5" => fields.md5 = true,
                "timecreated" => fields.time_created = true,
                "timemodified" => fields.time_modified = true,
                "storagetier" => fields.storage_tier = true,
                "archivalstate" => fields.archival_state = true,
                _ => {
                    return Err(OciError::invalid(format!(
                        "Invalid field '{name}' in 'fields'; valid fields are name, size, etag, md5, \
                         timeCreated, timeModified, storageTier, archivalState"
                    )));
                }
            }
        }
        Ok(fields)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObjectSummary<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_tier: Option<&'static str>,
    /// Only Archive-tier objects have one, even when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    archival_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    md5: Option<String>,
}

impl<'a> ObjectSummary<'a> {
    fn new(o: &'a StoredObject, f: Fields) -> Self {
        ObjectSummary {
            name: &o.name,
            size: f.size.then(|| o.size()),
            time_created: f.time_created.then(|| wire::rfc3339_millis(o.time_created)),
            time_modified: f
                .time_modified
                .then(|| wire::rfc3339_millis(o.time_modified)),
            etag: f.etag.then_some(o.etag.as_str()),
            storage_tier: f.storage_tier.then(|| o.storage_tier.as_str()),
            archival_state: o
                .archival_state
                .filter(|_| f.archival_state)
                .map(|s| s.as_str()),
            md5: f.md5.then(|| o.md5.listed()),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListObjects<'a> {
    objects: Vec<ObjectSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefixes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_start_with: Option<String>,
}

pub fn list_objects(service: &ObjectStorage, call: &Call) -> Result<Response<Body>, OciError> {
    let query = &call.route.query;
    let fields = Fields::parse(query.get("fields"))?;
    let limit = match query.get("limit") {
        None => MAX_PAGE_SIZE,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(OciError::invalid(format!(
                    "The 'limit' query parameter must be an integer from 1 to {MAX_PAGE_SIZE}, not '{text}'"
                )));
            }
        },
    };
    let delimiter = match query.get("delimiter") {
        None => false,
        Some("/") => true,
        Some(other) => {
            return Err(OciError::invalid(format!(
                "Only '/' is a supported delimiter, not '{other}'"
            )));
        }
    };
    let list_query = ListQuery {
        prefix: query.get("prefix").unwrap_or_default().to_string(),
        start: query.get("start").map(str::to_string),
        start_after: query.get("startAfter").map(str::to_string),
        end: query.get("end").map(str::to_string),
        delimiter,
        limit: limit.min(service.page_size),
    };
    let store = service.read();
    let bucket = call.bucket(&store)?;
    let page = store::list(&bucket.objects, &list_query);
    let body = ListObjects {
        objects: page
            .objects
            .iter()
            .map(|o| ObjectSummary::new(o, fields))
            .collect(),
        prefixes: (delimiter && !page.prefixes.is_empty()).then_some(page.prefixes),
        next_start_with: page.next_start_with,
    };
    Ok(json_response(StatusCode::OK, &body))
}
