//! A fake OCI Identity service (API 20160918), on 127.0.0.1, answering the two calls that find
//! a tenancy's home region, every request's signature checked against a [`KeyRing`]:
//!
//! - GetTenancy, `GET /20160918/tenancies/{tenancyId}`: `{id, name, description,
//!   homeRegionKey, …}` as the SDKs' `Tenancy` model has it;
//! - ListRegionSubscriptions, `GET /20160918/tenancies/{tenancyId}/regionSubscriptions`:
//!   `[{regionKey, regionName, status: "READY", isHomeRegion}]`, the home region first.
//!
//! Another tenancy OCID answers 404 `NotAuthorizedOrNotFound`, and so does every call once
//! [`FakeIdentity::deny_inspect`] is on (or after `POST /_fake/deny {"deny": true}`): what a
//! caller without `inspect tenancies` sees.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use http::{Method, Request, Response, StatusCode};

use crate::faults::Faults;
use crate::http::{Body, RequestBody, Server, Service, admin_deny, json_response};
use crate::monitor::Monitor;
use crate::oci_error::OciError;
use crate::oci_sig::{KeyRing, required_headers};
use crate::wire;

const TENANCIES_PATH: &str = "/20160918/tenancies/";

/// Commercial-realm (oc1) regions and their keys, from the Python SDK's `REGIONS_SHORT_NAMES`.
const OC1_REGIONS: &[(&str, &str)] = &[
    ("af-johannesburg-1", "JNB"),
    ("ap-chuncheon-1", "YNY"),
    ("ap-hyderabad-1", "HYD"),
    ("ap-melbourne-1", "MEL"),
    ("ap-mumbai-1", "BOM"),
    ("ap-osaka-1", "KIX"),
    ("ap-seoul-1", "ICN"),
    ("ap-singapore-1", "SIN"),
    ("ap-sydney-1", "SYD"),
    ("ap-tokyo-1", "NRT"),
    ("ca-montreal-1", "YUL"),
    ("ca-toronto-1", "YYZ"),
    ("eu-amsterdam-1", "AMS"),
    ("eu-frankfurt-1", "FRA"),
    ("eu-madrid-1", "MAD"),
    ("eu-marseille-1", "MRS"),
    ("eu-milan-1", "LIN"),
    ("eu-paris-1", "CDG"),
    ("eu-stockholm-1", "ARN"),
    ("eu-zurich-1", "ZRH"),
    ("il-jerusalem-1", "MTZ"),
    ("me-abudhabi-1", "AUH"),
    ("me-dubai-1", "DXB"),
    ("me-jeddah-1", "JED"),
    ("me-riyadh-1", "RUH"),
    ("mx-monterrey-1", "MTY"),
    ("mx-queretaro-1", "QRO"),
    ("sa-bogota-1", "BOG"),
    ("sa-santiago-1", "SCL"),
    ("sa-saopaulo-1", "GRU"),
    ("sa-valparaiso-1", "VAP"),
    ("sa-vinhedo-1", "VCP"),
    ("uk-cardiff-1", "CWL"),
    ("uk-london-1", "LHR"),
    ("us-ashburn-1", "IAD"),
    ("us-chicago-1", "ORD"),
    ("us-phoenix-1", "PHX"),
    ("us-sanjose-1", "SJC"),
];

/// A region as Identity names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// `us-ashburn-1`.
    pub name: String,
    /// `IAD`.
    pub key: String,
}

impl Region {
    pub fn new(name: impl Into<String>, key: impl Into<String>) -> Self {
        Region {
            name: name.into(),
            key: key.into(),
        }
    }

    /// A commercial (oc1) region by identifier, its key looked up; `None` for others.
    pub fn named(name: &str) -> Option<Region> {
        OC1_REGIONS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, k)| Region::new(*n, *k))
    }
}

/// The tenancy the fake describes.
#[derive(Debug, Clone)]
pub struct Tenancy {
    pub id: String,
    pub name: String,
    pub description: String,
    pub home_region: Region,
    /// Subscribed regions besides the home region.
    pub other_regions: Vec<Region>,
}

impl Tenancy {
    /// Tenancy `id`, subscribed to its home region only.
    pub fn new(id: impl Into<String>, home_region: Region) -> Self {
        Tenancy {
            id: id.into(),
            name: "ocisync-fake-tenancy".to_string(),
            description: "Tenancy of the ocisync fakes".to_string(),
            home_region,
            other_regions: Vec::new(),
        }
    }
}

/// A running fake Identity service.
pub struct FakeIdentity {
    server: Server,
    service: Arc<Identity>,
}

impl FakeIdentity {
    /// Describes `tenancy` to requests signed with keys in `keys`.
    pub async fn start(keys: Arc<KeyRing>, tenancy: Tenancy) -> io::Result<Self> {
        let clock = keys.clock().clone();
        let service = Arc::new(Identity {
            keys,
            state: Mutex::new(State {
                tenancy,
                deny: false,
            }),
        });
        let server = Server::start_with_clock(service.clone(), 0, clock).await?;
        Ok(FakeIdentity { server, service })
    }

    /// `http://127.0.0.1:<port>`: the endpoint to configure (the SDKs add `/20160918`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The tenancy as currently described.
    pub fn tenancy(&self) -> Tenancy {
        self.service.state().tenancy.clone()
    }

    /// Moves the home region (the old one stays subscribed).
    pub fn set_home_region(&self, region: Region) {
        let mut state = self.service.state();
        let tenancy = &mut state.tenancy;
        let old = std::mem::replace(&mut tenancy.home_region, region.clone());
        tenancy.other_regions.retain(|r| *r != region);
        tenancy.other_regions.insert(0, old);
    }

    /// Subscribes the tenancy to another region.
    pub fn subscribe(&self, region: Region) {
        let mut state = self.service.state();
        let tenancy = &mut state.tenancy;
        if tenancy.home_region != region && !tenancy.other_regions.contains(&region) {
            tenancy.other_regions.push(region);
        }
    }

    /// Answers every call (`true`) with 404 `NotAuthorizedOrNotFound`, as for a caller without
    /// `inspect tenancies`; `false` answers again.
    pub fn deny_inspect(&self, deny: bool) {
        self.service.state().deny = deny;
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

struct State {
    tenancy: Tenancy,
    deny: bool,
}

struct Identity {
    keys: Arc<KeyRing>,
    state: Mutex<State>,
}

/// The operation and the (still encoded) tenancy OCID of a path.
fn route<'p>(method: &Method, path: &'p str) -> Option<(&'static str, &'p str)> {
    if method != Method::GET {
        return None;
    }
    let rest = path.strip_prefix(TENANCIES_PATH)?;
    let (id, operation) = match rest.split_once('/') {
        None => (rest, "GetTenancy"),
        Some((id, "regionSubscriptions")) => (id, "ListRegionSubscriptions"),
        Some(_) => return None,
    };
    (!id.is_empty()).then_some((operation, id))
}

impl Identity {
    fn state(&self) -> MutexGuard<'_, State> {
        // Plain data; a panicking test thread must not take the fake down with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn answer(
        &self,
        parts: &http::request::Parts,
        operation: &str,
        encoded_id: &str,
    ) -> Result<Response<Body>, OciError> {
        self.keys
            .verify(parts, required_headers(&Method::GET, false))?;
        let state = self.state();
        let t = &state.tenancy;
        if state.deny || wire::decode_path(encoded_id).as_deref() != Some(t.id.as_str()) {
            return Err(OciError::new(
                StatusCode::NOT_FOUND,
                "NotAuthorizedOrNotFound",
                "Authorization failed or requested resource not found.",
            ));
        }
        let json = if operation == "GetTenancy" {
            serde_json::json!({
                "id": t.id,
                "name": t.name,
                "description": t.description,
                "homeRegionKey": t.home_region.key,
                "upiIdcsCompatibilityLayerEndpoint": null,
                "freeformTags": {},
                "definedTags": {},
            })
        } else {
            let subscription = |r: &Region, home: bool| {
                serde_json::json!({
                    "regionKey": r.key,
                    "regionName": r.name,
                    "status": "READY",
                    "isHomeRegion": home,
                })
            };
            let mut list = vec![subscription(&t.home_region, true)];
            list.extend(t.other_regions.iter().map(|r| subscription(r, false)));
            serde_json::Value::Array(list)
        };
        Ok(json_response(StatusCode::OK, &json))
    }
}

impl Service for Identity {
    fn operation(&self, method: &Method, target: &str) -> &'static str {
        let path = target.split('?').next().unwrap_or(target);
        route(method, path).map_or("Unknown", |(operation, _)| operation)
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let method = request.method().clone();
        let (parts, _body) = request.into_parts();
        let Some((operation, id)) = route(&method, parts.uri.path()) else {
            return OciError::new(StatusCode::NOT_FOUND, "NotFound", "Not Found")
                .into_response(&method);
        };
        // GET has no body to read.
        self.answer(&parts, operation, id)
            .unwrap_or_else(|e| e.into_response(&method))
    }

    fn admin(&self, method: &Method, path: &str, body: &[u8]) -> Option<Response<Body>> {
        if (method, path) != (&Method::POST, "deny") {
            return None;
        }
        Some(admin_deny(body, |deny| self.state().deny = deny))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let get = Method::GET;
        assert_eq!(
            route(&get, "/20160918/tenancies/ocid1.tenancy.oc1..t"),
            Some(("GetTenancy", "ocid1.tenancy.oc1..t"))
        );
        assert_eq!(
            route(&get, "/20160918/tenancies/t/regionSubscriptions"),
            Some(("ListRegionSubscriptions", "t"))
        );
        assert_eq!(route(&get, "/20160918/tenancies/"), None);
        assert_eq!(route(&get, "/20160918/tenancies/t/other"), None);
        assert_eq!(route(&Method::POST, "/20160918/tenancies/t"), None);
    }

    #[test]
    fn region_keys() {
        assert_eq!(
            Region::named("us-phoenix-1"),
            Some(Region::new("us-phoenix-1", "PHX"))
        );
        assert_eq!(Region::named("xx-nowhere-1"), None);
    }
}
