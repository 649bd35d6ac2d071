//! A fake OCI instance metadata service (IMDS v2), on 127.0.0.1, serving an [`InstanceIdentity`]
//! and the instance's region. Point clients at it with `OCI_METADATA_BASE_URL` =
//! [`FakeImds::base_url`] (which includes `/opc/v2`, as the real base does).
//!
//! Like the real service it requires `Authorization: Bearer Oracle` (401 otherwise) and refuses
//! requests carrying `Forwarded` or `X-Forwarded-For` headers (a proxy must not relay them).
//!
//! | Path (under `/opc/v2`) | Operation | Answer |
//! |---|---|---|
//! | `/identity/cert.pem` | GetLeafCertificate | leaf certificate PEM |
//! | `/identity/key.pem` | GetLeafKey | leaf private key PEM |
//! | `/identity/intermediate.pem` | GetIntermediateCertificate | intermediate PEM |
//! | `/instance/region` | GetRegion | short code (`iad`) or region identifier |
//! | `/instance/canonicalRegionName` | GetCanonicalRegionName | region identifier |
//! | `/instance/regionInfo/` | GetRegionInfo | realm and region JSON |
//! | `/instance/` | GetInstance | instance JSON |

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};

use crate::certs::InstanceIdentity;
use crate::clock::Clock;
use crate::faults::Faults;
use crate::http::{Body, RequestBody, Server, Service, json_response};
use crate::monitor::Monitor;
use crate::oci_error::OciError;

const BASE_PATH: &str = "/opc/v2";

/// The instance's region as the metadata service describes it.
#[derive(Debug, Clone)]
pub struct RegionInfo {
    /// `us-ashburn-1`.
    pub identifier: String,
    /// `IAD`.
    pub key: String,
    /// `oc1`.
    pub realm_key: String,
    /// `oraclecloud.com`.
    pub realm_domain: String,
    /// What `/instance/region` answers: the short code for the oldest regions, else the
    /// identifier.
    pub region: String,
}

impl Default for RegionInfo {
    fn default() -> Self {
        RegionInfo {
            identifier: "us-ashburn-1".into(),
            key: "IAD".into(),
            realm_key: "oc1".into(),
            realm_domain: "oraclecloud.com".into(),
            region: "iad".into(),
        }
    }
}

/// A running fake metadata service.
pub struct FakeImds {
    server: Server,
}

impl FakeImds {
    pub async fn start(identity: Arc<InstanceIdentity>, region: RegionInfo) -> io::Result<Self> {
        FakeImds::start_with_clock(identity, region, Arc::new(Clock::new())).await
    }

    /// Like [`FakeImds::start`], its `Date` headers (and `/_fake/clock`) on a shared `clock`.
    pub async fn start_with_clock(
        identity: Arc<InstanceIdentity>,
        region: RegionInfo,
        clock: Arc<Clock>,
    ) -> io::Result<Self> {
        let server =
            Server::start_with_clock(Arc::new(Imds { identity, region }), 0, clock).await?;
        Ok(FakeImds { server })
    }

    /// `http://127.0.0.1:<port>/opc/v2`: the value for `OCI_METADATA_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("{}{BASE_PATH}", self.server.base_url())
    }

    pub fn monitor(&self) -> &Arc<Monitor> {
        self.server.monitor()
    }

    pub fn faults(&self) -> &Arc<Faults> {
        self.server.faults()
    }
}

struct Imds {
    identity: Arc<InstanceIdentity>,
    region: RegionInfo,
}

fn route(method: &Method, target: &str) -> Option<&'static str> {
    if method != Method::GET {
        return None;
    }
    let path = target.split('?').next().unwrap_or(target);
    Some(match path.strip_prefix(BASE_PATH)? {
        "/identity/cert.pem" => "GetLeafCertificate",
        "/identity/key.pem" => "GetLeafKey",
        "/identity/intermediate.pem" => "GetIntermediateCertificate",
        "/instance/region" => "GetRegion",
        "/instance/canonicalRegionName" => "GetCanonicalRegionName",
        "/instance/regionInfo" | "/instance/regionInfo/" => "GetRegionInfo",
        "/instance" | "/instance/" => "GetInstance",
        _ => return None,
    })
}

impl Service for Imds {
    fn operation(&self, method: &Method, target: &str) -> &'static str {
        route(method, target).unwrap_or("Unknown")
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let method = request.method().clone();
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let Some(operation) = route(&method, target) else {
            return OciError::new(StatusCode::NOT_FOUND, "NotFound", "Not Found")
                .into_response(&method);
        };
        let headers = request.headers();
        if headers.contains_key("forwarded") || headers.contains_key("x-forwarded-for") {
            return OciError::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Requests with Forwarded or X-Forwarded-For headers are not accepted",
            )
            .into_response(&method);
        }
        if headers.get(http::header::AUTHORIZATION)
            != Some(&HeaderValue::from_static("Bearer Oracle"))
        {
            return OciError::new(
                StatusCode::UNAUTHORIZED,
                "NotAuthenticated",
                "IMDS v2 requires the header 'Authorization: Bearer Oracle'",
            )
            .into_response(&method);
        }
        let r = &self.region;
        match operation {
            "GetLeafCertificate" => text(self.identity.leaf_cert_pem()),
            "GetLeafKey" => text(self.identity.leaf_key_pem().to_string()),
            "GetIntermediateCertificate" => text(self.identity.intermediate_pem()),
            "GetRegion" => text(r.region.clone()),
            "GetCanonicalRegionName" => text(r.identifier.clone()),
            "GetRegionInfo" => json_response(StatusCode::OK, &region_info(r)),
            _ => json_response(
                StatusCode::OK,
                &serde_json::json!({
                    "id": self.identity.instance(),
                    "displayName": "ocisync-fake-instance",
                    "region": r.region,
                    "canonicalRegionName": r.identifier,
                    "regionInfo": region_info(r),
                    "availabilityDomain": "Uocm:US-ASHBURN-AD-1",
                    "shape": "VM.Standard.E4.Flex",
                }),
            ),
        }
    }
}

fn region_info(r: &RegionInfo) -> serde_json::Value {
    serde_json::json!({
        "realmKey": r.realm_key,
        "realmDomainComponent": r.realm_domain,
        "regionKey": r.key,
        "regionIdentifier": r.identifier,
    })
}

fn text(body: String) -> Response<Body> {
    let mut response = Response::new(Body::new(Bytes::from(body)));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain"),
    );
    response
}
