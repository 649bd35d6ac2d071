//! A fake OCI Vault secret-retrieval service (API 20190301), on 127.0.0.1: GetSecretBundle for
//! secrets the test stores, every request's signature checked against a [`KeyRing`] (API keys,
//! or session tokens from the fake federation service).
//!
//! `GET /20190301/secretbundles/{secretId}` answers 200 with the bundle JSON the SDKs parse
//! (`secretBundleContent: {"contentType": "BASE64", "content": …}`, `stages`, `versionNumber`…)
//! and an `etag`; an unknown OCID answers OCI's 404 `NotAuthorizedOrNotFound`, an unsigned or
//! badly signed request 401 `NotAuthenticated`.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use jiff::Timestamp;

use crate::faults::Faults;
use crate::http::{Body, RequestBody, Server, Service, json_response};
use crate::monitor::Monitor;
use crate::oci_error::OciError;
use crate::oci_sig::{KeyRing, required_headers};

const BUNDLE_PATH: &str = "/20190301/secretbundles/";

/// A running fake Vault.
pub struct FakeVault {
    server: Server,
    service: Arc<Vault>,
}

impl FakeVault {
    /// Accepts requests signed with keys in `keys`.
    pub async fn start(keys: Arc<KeyRing>) -> io::Result<Self> {
        let clock = keys.clock().clone();
        let service = Arc::new(Vault {
            keys,
            secrets: RwLock::new(HashMap::new()),
        });
        let server = Server::start_with_clock(service.clone(), 0, clock).await?;
        Ok(FakeVault { server, service })
    }

    /// `http://127.0.0.1:<port>`: the secrets service base URL (`endpoint` of `oci_vault`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Stores (or replaces) the current version of a secret.
    pub fn put_secret(&self, secret_id: &str, value: impl Into<Vec<u8>>) {
        let mut secrets = self
            .service
            .secrets
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let version = secrets.get(secret_id).map_or(1, |s| s.version + 1);
        secrets.insert(
            secret_id.to_string(),
            StoredSecret {
                value: value.into(),
                version,
                created: self.service.keys.clock().now(),
            },
        );
    }

    pub fn keys(&self) -> &Arc<KeyRing> {
        &self.service.keys
    }

    pub fn monitor(&self) -> &Arc<Monitor> {
        self.server.monitor()
    }

    pub fn faults(&self) -> &Arc<Faults> {
        self.server.faults()
    }
}

struct StoredSecret {
    value: Vec<u8>,
    version: u64,
    created: Timestamp,
}

struct Vault {
    keys: Arc<KeyRing>,
    secrets: RwLock<HashMap<String, StoredSecret>>,
}

impl Vault {
    fn get_bundle(&self, parts: &http::request::Parts) -> Result<Response<Body>, OciError> {
        self.keys
            .verify(parts, required_headers(&Method::GET, false))?;
        let path = parts.uri.path();
        let encoded_id = path.strip_prefix(BUNDLE_PATH).unwrap_or_default();
        let secret_id = percent_encoding::percent_decode_str(encoded_id)
            .decode_utf8_lossy()
            .into_owned();
        let secrets = self.secrets.read().unwrap_or_else(|p| p.into_inner());
        let Some(secret) = secrets.get(&secret_id) else {
            return Err(OciError::new(
                StatusCode::NOT_FOUND,
                "NotAuthorizedOrNotFound",
                "Authorization failed or requested resource not found.",
            ));
        };
        let mut response = json_response(
            StatusCode::OK,
            &serde_json::json!({
                "secretId": secret_id,
                "versionNumber": secret.version,
                "versionName": null,
                "timeCreated": secret.created.to_string(),
                "timeOfDeletion": null,
                "timeOfExpiry": null,
                "stages": ["CURRENT", "LATEST"],
                "metadata": null,
                "secretBundleContent": {
                    "contentType": "BASE64",
                    "content": STANDARD.encode(&secret.value),
                },
            }),
        );
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{secret_id}--{}\"", secret.version)) {
            response.headers_mut().insert(http::header::ETAG, etag);
        }
        Ok(response)
    }
}

impl Service for Vault {
    fn operation(&self, method: &Method, target: &str) -> &'static str {
        let path = target.split('?').next().unwrap_or(target);
        match path.strip_prefix(BUNDLE_PATH) {
            Some(id) if method == Method::GET && !id.is_empty() && !id.contains('/') => {
                "GetSecretBundle"
            }
            _ => "Unknown",
        }
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let method = request.method().clone();
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        if self.operation(&method, target) == "Unknown" {
            return OciError::new(StatusCode::NOT_FOUND, "NotFound", "Not Found")
                .into_response(&method);
        }
        // GET has no body to read.
        let (parts, _body) = request.into_parts();
        self.get_bundle(&parts)
            .unwrap_or_else(|e| e.into_response(&method))
    }
}
