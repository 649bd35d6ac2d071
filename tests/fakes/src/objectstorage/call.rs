//! One authenticated request on its way through a handler: route, headers, the body still to
//! read, and lookups that turn missing namespaces and buckets into OCI's errors.

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Method, StatusCode};

use super::errors::OciError;
use super::routes::Route;
use super::store::{Bucket, Store};
use crate::http::RequestBody;
use crate::oci_sig::{Principal, Verified};

pub struct Call {
    pub route: Route,
    pub method: Method,
    pub headers: HeaderMap,
    body: Option<RequestBody>,
    verified: Option<Verified<Principal>>,
}

impl Call {
    pub fn new(
        route: Route,
        parts: Parts,
        body: RequestBody,
        verified: Option<Verified<Principal>>,
    ) -> Self {
        Call {
            route,
            method: parts.method,
            headers: parts.headers,
            body: Some(body),
            verified,
        }
    }

    /// A header as text; `None` when absent or not visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The declared `content-length`; OCI refuses uploads without one.
    pub fn content_length(&self) -> Result<u64, OciError> {
        let value = self
            .header("content-length")
            .ok_or_else(OciError::length_required)?;
        value
            .parse()
            .map_err(|_| OciError::invalid(format!("Invalid Content-Length '{value}'")))
    }

    /// Reads the whole body and checks it against a signed `x-content-sha256`.
    pub async fn read_body(&mut self) -> Result<Bytes, OciError> {
        let Some(body) = self.body.take() else {
            return Ok(Bytes::new());
        };
        let bytes = body.bytes().await.map_err(|e| {
            OciError::new(
                StatusCode::BAD_REQUEST,
                "CannotParseRequest",
                format!("Reading the request body failed: {e}"),
            )
        })?;
        if let Some(verified) = &self.verified {
            verified.check_body(&bytes)?;
        }
        Ok(bytes)
    }

    /// Reads a JSON body into `T`.
    pub async fn read_json<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, OciError> {
        let body = self.read_body().await?;
        serde_json::from_slice(&body).map_err(|e| {
            OciError::new(
                StatusCode::BAD_REQUEST,
                "CannotParseRequest",
                format!("The request body is not valid: {e}"),
            )
        })
    }

    pub fn bucket<'s>(&self, store: &'s Store) -> Result<&'s Bucket, OciError> {
        let buckets = store
            .namespaces
            .get(&self.route.namespace)
            .ok_or_else(|| OciError::namespace_not_found(&self.route.namespace))?;
        buckets
            .get(&self.route.bucket)
            .ok_or_else(|| OciError::bucket_not_found(&self.route.namespace, &self.route.bucket))
    }

    pub fn bucket_mut<'s>(&self, store: &'s mut Store) -> Result<&'s mut Bucket, OciError> {
        let buckets = store
            .namespaces
            .get_mut(&self.route.namespace)
            .ok_or_else(|| OciError::namespace_not_found(&self.route.namespace))?;
        buckets
            .get_mut(&self.route.bucket)
            .ok_or_else(|| OciError::bucket_not_found(&self.route.namespace, &self.route.bucket))
    }
}
