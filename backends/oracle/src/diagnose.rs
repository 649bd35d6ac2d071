//! Probes for `ocisync doctor`: the OCI side of the troubleshooting table, one request each,
//! returning what was seen — status, OCI error code and message, `opc-request-id`, the server's
//! `Date` — rather than an error to stop on, so that the doctor can print the evidence and the
//! fix.
//!
//! - [`probe_metadata`]: the instance metadata service (IMDS v2, `Authorization: Bearer Oracle`),
//!   the instance's region and identity certificate; [`MetadataProbe::federation`]: the x509
//!   federation call, made once with a fresh session key.
//! - [`server_date`]: an unsigned request to a service, for its `Date` (clock skew is checked
//!   before anything is signed: a skewed clock makes every signature fail the same way).
//! - [`Caller`]: signed calls with one identity (the same [`ServiceClient`] the Vault provider
//!   and the Notifications sink use): ListObjects with `limit=1`, GetNamespace, the tenancy's
//!   home region (GetTenancy, ListRegionSubscriptions) and GetSecretBundle, whose content is
//!   inspected (length, surrounding whitespace, control characters) and never returned.
//!
//! The Identity endpoint is `https://identity.{region}.oci.{realm domain}`, or
//! [`IDENTITY_ENDPOINT_VARIABLE`] (`OCISYNC_IDENTITY_ENDPOINT`), read by the doctor only — for
//! tests and private endpoints.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{Method, Request, StatusCode};
use jiff::Timestamp;
use ocisync_backend::{ConfigValues, Error, ErrorKind, OptionError, Result};
use zeroize::Zeroizing;

use crate::auth::AuthOptions;
use crate::auth::federation::Federation;
use crate::auth::imds::{BASE_URL_VARIABLE, DEFAULT_BASE_URL, InstanceIdentity, Metadata};
use crate::auth::transport::{Limits, Reply, client, describe_transport, send};
use crate::endpoints::{Region, check_endpoint_url, object_storage_endpoint, secrets_endpoint};
use crate::error::from_core;
use crate::objectstorage::OracleOptions;
use crate::service::{PrincipalOptions, ServiceClient, nonblank};
use crate::sign::encode_path_segment;
use crate::vault::VaultOptions;

/// Overrides the Identity endpoint (GetTenancy, ListRegionSubscriptions) for the doctor.
pub const IDENTITY_ENDPOINT_VARIABLE: &str = "OCISYNC_IDENTITY_ENDPOINT";

/// The Oracle tenancy that holds every tenancy's cost and usage reports (realm oc1).
pub const USAGE_REPORT_TENANCY: &str =
    "ocid1.tenancy.oc1..aaaaaaaaned4fkpkisbwjlr56u7cj63lf3wffbilvqknstgtvzub7vhqkggq";

/// Doctor calls: an answer within seconds, one more attempt for a fault.
const LIMITS: Limits = Limits {
    connect: Duration::from_secs(5),
    total: Duration::from_secs(15),
    attempts: 2,
    backoff: Duration::from_millis(300),
    use_proxy: true,
};

/// The metadata service is link-local: no proxy, short bounds, one attempt (the doctor says
/// what happened instead of waiting).
const METADATA_LIMITS: Limits = Limits {
    connect: Duration::from_secs(2),
    total: Duration::from_secs(3),
    attempts: 1,
    backoff: Duration::from_millis(100),
    use_proxy: false,
};

/// What one request showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// `GET http://…/n/bling/b/…/o?limit=1`.
    pub request: String,
    pub status: Option<u16>,
    /// OCI's error `code` (`BucketNotFound`, `NotAuthorizedOrNotFound`...).
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    /// The `Date` response header, as sent.
    pub date: Option<String>,
    /// When the request went out and when the answer came, by the local clock.
    pub sent: Option<Timestamp>,
    pub received: Option<Timestamp>,
    /// A transport failure instead of an answer: "could not connect: Connection refused".
    pub failure: Option<String>,
}

impl Evidence {
    fn request(method: &Method, url: &str) -> Evidence {
        Evidence {
            request: format!("{method} {url}"),
            ..Evidence::default()
        }
    }

    fn answered(mut self, reply: &Reply) -> Evidence {
        #[derive(serde::Deserialize)]
        struct OciError {
            code: Option<String>,
            message: Option<String>,
        }
        self.status = Some(reply.status.as_u16());
        if !reply.status.is_success()
            && let Ok(e) = serde_json::from_slice::<OciError>(&reply.body)
        {
            self.code = e.code.filter(|c| !c.is_empty());
            self.message = e.message.filter(|m| !m.is_empty());
        }
        let header = |name: &str| {
            reply
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        self.request_id = header("opc-request-id");
        self.date = header("date");
        self
    }

    /// The status, code and message: `404 BucketNotFound: Either the bucket…`.
    pub fn outcome(&self) -> String {
        if let Some(f) = &self.failure {
            return f.clone();
        }
        let Some(status) = self.status else {
            return "no answer".to_string();
        };
        let reason = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let mut out = match &self.code {
            Some(code) => format!("{status} {code}"),
            None => format!("{status} {reason}").trim_end().to_string(),
        };
        if let Some(m) = &self.message {
            out.push_str(": ");
            out.push_str(m);
        }
        out
    }

    /// `GET url → 404 BucketNotFound: … (opc-request-id X)`.
    pub fn line(&self) -> String {
        let mut out = format!("{} → {}", self.request, self.outcome());
        if let Some(id) = &self.request_id {
            out.push_str(&format!(" (opc-request-id {id})"));
        }
        out
    }

    /// The server's time from its `Date` header.
    pub fn server_time(&self) -> Option<Timestamp> {
        parse_http_date(self.date.as_deref()?)
    }

    pub fn is(&self, status: u16) -> bool {
        self.status == Some(status)
    }
}

/// An HTTP date (`Tue, 15 Nov 1994 08:12:31 GMT`).
pub fn parse_http_date(date: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::parse(date.trim())
        .ok()
        .map(|z| z.timestamp())
}

async fn unsigned(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
) -> (Evidence, Option<Reply>) {
    let mut evidence = Evidence::request(&method, url);
    let mut builder = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let request = match builder.body(Vec::new()) {
        Ok(r) => r,
        Err(e) => {
            evidence.failure = Some(format!("bad URL: {e}"));
            return (evidence, None);
        }
    };
    evidence.sent = Some(Timestamp::now());
    match send(client, request).await {
        Ok(reply) => {
            let mut evidence = evidence.answered(&reply);
            evidence.received = Some(Timestamp::now());
            (evidence, Some(reply))
        }
        Err(e) => {
            evidence.failure = Some(describe_transport(&e));
            (evidence, None)
        }
    }
}

/// An unsigned GET of `url`, for the server's `Date` (any answer has one; a refusal is fine).
pub async fn server_date(url: &str) -> Evidence {
    crate::use_ocisync_transport();
    match client(&LIMITS) {
        Ok(c) => unsigned(&c, Method::GET, url, &[]).await.0,
        Err(e) => Evidence {
            request: format!("GET {url}"),
            failure: Some(e.message),
            ..Evidence::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Instance metadata and federation
// ---------------------------------------------------------------------------------------------

/// What the metadata service said.
pub struct MetadataProbe {
    /// The base URL asked (`OCI_METADATA_BASE_URL` or the standard address).
    pub base: String,
    /// Whether the base came from `OCI_METADATA_BASE_URL`.
    pub from_environment: bool,
    /// `GET {base}/instance/`.
    pub instance: Evidence,
    pub instance_id: Option<String>,
    pub compartment_id: Option<String>,
    pub region: Option<Region>,
    /// `GET …/opc/v1/instance/`, asked when v2 answered but refused or did not know the path.
    pub v1: Option<Evidence>,
    /// The identity certificate's tenancy, or why it could not be read.
    pub certificate: Option<std::result::Result<String, String>>,
    identity: Option<InstanceIdentity>,
}

impl MetadataProbe {
    /// The metadata service answered the instance document and served a usable certificate.
    pub fn ok(&self) -> bool {
        self.instance.is(200) && matches!(self.certificate, Some(Ok(_)))
    }

    pub fn tenancy(&self) -> Option<&str> {
        match &self.certificate {
            Some(Ok(t)) => Some(t),
            _ => None,
        }
    }

    /// `https://auth.{region}.{domain}/v1/x509`, or the override.
    pub fn federation_endpoint(&self, configured: Option<&str>) -> Option<String> {
        if let Some(e) = nonblank(configured) {
            return Some(e.to_string());
        }
        let r = self.region.as_ref()?;
        Some(format!("https://auth.{}.{}/v1/x509", r.name, r.domain))
    }

    /// One federation call with a fresh session key: the token's expiry, or why none came.
    pub async fn federation(&self, configured: Option<&str>) -> FederationProbe {
        crate::use_ocisync_transport();
        let Some(endpoint) = self.federation_endpoint(configured) else {
            return FederationProbe {
                endpoint: String::new(),
                result: Err("no federation endpoint: the instance's region is unknown".into()),
            };
        };
        let Some(identity) = &self.identity else {
            return FederationProbe {
                endpoint,
                result: Err("no instance certificate".into()),
            };
        };
        let result = async {
            let federation = Federation::new(&endpoint).map_err(from_core)?;
            let key = crate::keys::RsaSigningKey::generate().map_err(|e| from_core(e.into()))?;
            let token = federation.token(identity, &key).await.map_err(from_core)?;
            crate::auth::jwt::expiry(token.expose())
                .map_err(|e| Error::new(ErrorKind::Auth, format!("the token: {e}")))
        }
        .await
        .map_err(|e| e.message);
        FederationProbe { endpoint, result }
    }
}

/// The outcome of one federation call.
#[derive(Debug, Clone)]
pub struct FederationProbe {
    pub endpoint: String,
    /// The token's expiry, or the error (which names the status and OCI's code).
    pub result: std::result::Result<Timestamp, String>,
}

/// Asks the metadata service (`OCI_METADATA_BASE_URL` or `http://169.254.169.254/opc/v2`) for
/// the instance document and the identity certificate, as an instance principal does.
pub async fn probe_metadata() -> MetadataProbe {
    crate::use_ocisync_transport();
    let configured = std::env::var(BASE_URL_VARIABLE)
        .ok()
        .map(|b| b.trim().trim_end_matches('/').to_string())
        .filter(|b| !b.is_empty());
    let from_environment = configured.is_some();
    let base = configured.unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let mut probe = MetadataProbe {
        base: base.clone(),
        from_environment,
        instance: Evidence::request(&Method::GET, &format!("{base}/instance/")),
        instance_id: None,
        compartment_id: None,
        region: None,
        v1: None,
        certificate: None,
        identity: None,
    };
    let http = match client(&METADATA_LIMITS) {
        Ok(c) => c,
        Err(e) => {
            probe.instance.failure = Some(e.message);
            return probe;
        }
    };
    let auth = [("authorization", "Bearer Oracle")];
    let (evidence, reply) = unsigned(&http, Method::GET, &format!("{base}/instance/"), &auth).await;
    probe.instance = evidence;
    let Some(reply) = reply else {
        return probe;
    };
    if !reply.status.is_success() {
        if matches!(reply.status.as_u16(), 401 | 403 | 404)
            && let Some(root) = base.strip_suffix("/opc/v2")
        {
            let (v1, _) =
                unsigned(&http, Method::GET, &format!("{root}/opc/v1/instance/"), &[]).await;
            probe.v1 = Some(v1);
        }
        return probe;
    }
    let document: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
    let field = |v: &serde_json::Value, name: &str| {
        v.get(name)
            .and_then(|x| x.as_str())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    probe.instance_id = field(&document, "id");
    probe.compartment_id = field(&document, "compartmentId");
    probe.region = document
        .get("regionInfo")
        .and_then(|info| {
            Some(Region {
                name: field(info, "regionIdentifier")?.to_ascii_lowercase(),
                domain: field(info, "realmDomainComponent")?.to_ascii_lowercase(),
            })
        })
        .or_else(|| {
            field(&document, "canonicalRegionName")
                .or_else(|| field(&document, "region"))
                .and_then(|r| Region::resolve(&r).ok())
        });
    // The certificate, key and intermediate exactly as the instance principal reads them.
    let identity = match Metadata::new(&base) {
        Ok(m) => m.identity().await,
        Err(e) => Err(e),
    };
    match identity {
        Ok(identity) => {
            probe.certificate = Some(
                identity
                    .leaf
                    .tenancy()
                    .map(str::to_string)
                    .map_err(|e| format!("{base}/identity/cert.pem: {e}")),
            );
            probe.identity = Some(identity);
        }
        Err(e) => probe.certificate = Some(Err(e.message)),
    }
    probe
}

// ---------------------------------------------------------------------------------------------
// Signed calls
// ---------------------------------------------------------------------------------------------

/// Signed calls with one identity.
pub struct Caller {
    client: ServiceClient,
}

/// What an `oracleobjectstorage` remote's options say about where and as whom it calls.
#[derive(Debug, Clone)]
pub struct RemoteSettings {
    pub auth: AuthOptions,
    pub namespace: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub compartment: Option<String>,
}

impl RemoteSettings {
    /// From a remote's values (the section, flags and connection-string parameters merged).
    pub fn from_values(values: &ConfigValues) -> std::result::Result<Self, OptionError> {
        let o = OracleOptions::from_values(values)?;
        let keep = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Ok(RemoteSettings {
            auth: AuthOptions {
                provider: o.provider.clone(),
                config_file: Some(o.config_file.clone()),
                config_profile: Some(o.config_profile.clone()),
                region: keep(&o.region),
                federation_endpoint: keep(&o.federation_endpoint),
            },
            namespace: keep(&o.namespace),
            region: keep(&o.region),
            endpoint: keep(&o.endpoint).map(|e| e.trim_end_matches('/').to_string()),
            compartment: o.compartment.as_ref().map(|c| c.to_string()),
        })
    }

    /// The identity is the instance's own (IMDS and federation apply).
    pub fn instance_principal(&self) -> bool {
        self.auth.provider.trim() == "instance_principal_auth"
    }
}

/// What an `oci_vault` credentials section says.
#[derive(Debug, Clone)]
pub struct VaultSettings {
    pub auth: AuthOptions,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    /// `(what it is for, secret OCID)`: access_key_id, secret_access_key, session_token.
    pub secrets: Vec<(&'static str, String)>,
}

impl VaultSettings {
    pub fn from_values(values: &ConfigValues) -> std::result::Result<Self, OptionError> {
        let o = VaultOptions::from_values(values)?;
        let auth = PrincipalOptions {
            auth: &o.auth,
            config_file: &o.config_file,
            config_profile: &o.config_profile,
            region: o.region.as_deref(),
            federation_endpoint: o.federation_endpoint.as_deref(),
        }
        .auth_options()?;
        let mut secrets = Vec::new();
        for (key, id) in o.secret_ids() {
            if let Some(id) = nonblank(Some(id)) {
                secrets.push((key, id.to_string()));
            }
        }
        Ok(VaultSettings {
            auth,
            region: nonblank(o.region.as_deref()).map(str::to_string),
            endpoint: nonblank(o.endpoint.as_deref()).map(|e| e.trim_end_matches('/').to_string()),
            secrets,
        })
    }

    pub fn instance_principal(&self) -> bool {
        self.auth.provider.trim() == "instance_principal_auth"
    }
}

/// One page of at most one object.
#[derive(Debug, Clone)]
pub struct Listing {
    pub evidence: Evidence,
    /// The first object's name, when the page had one.
    pub first: Option<String>,
}

/// The tenancy's home region, as Identity tells it.
#[derive(Debug, Clone)]
pub enum HomeRegion {
    Known {
        /// `IAD`.
        key: String,
        /// `us-ashburn-1`, when known (subscriptions, or the region table).
        name: Option<String>,
        /// Every subscribed region's name.
        subscribed: Vec<String>,
        evidence: Vec<Evidence>,
    },
    /// 404 NotAuthorizedOrNotFound: the identity may not `inspect tenancies`.
    NotPermitted(Evidence),
    /// Any other answer.
    Failed(Evidence),
}

/// A secret's content as far as it may be told: lengths and what is wrong, never the value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretShape {
    /// Bytes of the decoded value, as stored.
    pub bytes: usize,
    /// Characters once surrounding whitespace is trimmed (what ocisync uses).
    pub trimmed_chars: usize,
    /// Surrounding whitespace, described: `ends with a newline`.
    pub surrounding: Vec<String>,
    /// Why ocisync refuses the value (not base64, not text, empty, control characters).
    pub refused: Option<String>,
    /// The value does not look like what it is for (an AWS access key ID's form).
    pub unusual: Option<String>,
}

/// GetSecretBundle's answer.
#[derive(Debug, Clone)]
pub struct SecretProbe {
    pub evidence: Evidence,
    /// Set when the bundle was read (200).
    pub shape: Option<SecretShape>,
}

impl Caller {
    pub fn new(what: &'static str, auth: AuthOptions) -> Result<Caller> {
        crate::use_ocisync_transport();
        let client = ServiceClient::new(what, auth, LIMITS)
            .map_err(|e| Error::config(format!("{what}: {e}")))?;
        Ok(Caller { client })
    }

    /// `configured`, else the identity's region.
    pub async fn region(&self, configured: Option<&str>) -> Result<String> {
        self.client.region(configured).await
    }

    /// The identity is built (config file read, metadata asked...) — its errors, if any.
    pub async fn identity(&self) -> Result<&'static str> {
        Ok(self.client.auth().await?.name())
    }

    async fn get(&self, url: &str) -> Result<(Evidence, Reply)> {
        let mut evidence = Evidence::request(&Method::GET, url);
        evidence.sent = Some(Timestamp::now());
        let reply = self.client.call(Method::GET, url, None).await?;
        evidence = evidence.answered(&reply);
        evidence.received = Some(Timestamp::now());
        Ok((evidence, reply))
    }

    /// The Object Storage endpoint: `endpoint`, else the region's.
    pub async fn object_storage_endpoint(&self, settings: &RemoteSettings) -> Result<String> {
        self.client
            .base_url(
                settings.endpoint.as_deref(),
                settings.region.as_deref(),
                object_storage_endpoint,
            )
            .await
    }

    /// The secrets endpoint of a Vault section.
    pub async fn secrets_endpoint(&self, settings: &VaultSettings) -> Result<String> {
        self.client
            .base_url(
                settings.endpoint.as_deref(),
                settings.region.as_deref(),
                secrets_endpoint,
            )
            .await
    }

    /// GetNamespace (`GET {endpoint}/n/`): the tenancy's namespace.
    pub async fn namespace(&self, endpoint: &str) -> Result<(Evidence, Option<String>)> {
        let (evidence, reply) = self.get(&format!("{endpoint}/n/")).await?;
        let name = reply
            .status
            .is_success()
            .then(|| serde_json::from_slice::<String>(&reply.body).ok())
            .flatten();
        Ok((evidence, name))
    }

    /// ListObjects with `limit=1` under `prefix`.
    pub async fn list_objects(
        &self,
        endpoint: &str,
        namespace: &str,
        bucket: &str,
        prefix: &str,
    ) -> Result<Listing> {
        let mut url = format!(
            "{endpoint}/n/{}/b/{}/o?limit=1",
            encode_path_segment(namespace),
            encode_path_segment(bucket)
        );
        if !prefix.is_empty() {
            url.push_str("&prefix=");
            url.push_str(&encode_path_segment(prefix));
        }
        let (evidence, reply) = self.get(&url).await?;
        let first = reply
            .status
            .is_success()
            .then(|| {
                let v: serde_json::Value = serde_json::from_slice(&reply.body).ok()?;
                v.get("objects")?
                    .as_array()?
                    .first()?
                    .get("name")?
                    .as_str()
                    .map(str::to_string)
            })
            .flatten();
        Ok(Listing { evidence, first })
    }

    /// GetTenancy (homeRegionKey), then ListRegionSubscriptions (the home region's name and
    /// every subscribed region).
    pub async fn home_region(&self, identity_endpoint: &str, tenancy: &str) -> Result<HomeRegion> {
        let base = format!(
            "{identity_endpoint}/20160918/tenancies/{}",
            encode_path_segment(tenancy)
        );
        let (tenancy_evidence, reply) = self.get(&base).await?;
        if tenancy_evidence.is(404) {
            return Ok(HomeRegion::NotPermitted(tenancy_evidence));
        }
        if !reply.status.is_success() {
            return Ok(HomeRegion::Failed(tenancy_evidence));
        }
        let document: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
        let Some(key) = document
            .get("homeRegionKey")
            .and_then(|k| k.as_str())
            .map(|k| k.trim().to_ascii_uppercase())
            .filter(|k| !k.is_empty())
        else {
            let mut e = tenancy_evidence;
            e.message = Some("the answer has no homeRegionKey".into());
            return Ok(HomeRegion::Failed(e));
        };
        let mut evidence = vec![tenancy_evidence];
        let mut name = Region::resolve(&key).ok().map(|r| r.name);
        let mut subscribed = Vec::new();
        let (subscriptions, reply) = self.get(&format!("{base}/regionSubscriptions")).await?;
        if reply.status.is_success()
            && let Ok(list) = serde_json::from_slice::<Vec<serde_json::Value>>(&reply.body)
        {
            for s in &list {
                let Some(region) = s.get("regionName").and_then(|n| n.as_str()) else {
                    continue;
                };
                subscribed.push(region.to_string());
                let home = s.get("isHomeRegion").and_then(|h| h.as_bool()) == Some(true)
                    || s.get("regionKey").and_then(|k| k.as_str()) == Some(key.as_str());
                if home {
                    name = Some(region.to_string());
                }
            }
        }
        evidence.push(subscriptions);
        Ok(HomeRegion::Known {
            key,
            name,
            subscribed,
            evidence,
        })
    }

    /// GetSecretBundle of `secret_id` (the current version), its content inspected for `key`
    /// (what the secret is for).
    pub async fn read_secret(
        &self,
        secrets_endpoint: &str,
        secret_id: &str,
        key: &str,
    ) -> Result<SecretProbe> {
        let url = format!(
            "{secrets_endpoint}/20190301/secretbundles/{}",
            encode_path_segment(secret_id)
        );
        let (evidence, reply) = self.get(&url).await?;
        let shape = reply
            .status
            .is_success()
            .then(|| inspect_bundle(&reply.body, key));
        Ok(SecretProbe { evidence, shape })
    }
}

/// The Identity endpoint for `region`: `OCISYNC_IDENTITY_ENDPOINT`, else
/// `https://identity.{region}.oci.{realm domain}`.
pub fn identity_endpoint(region: &str) -> Result<String> {
    if let Some(e) = std::env::var(IDENTITY_ENDPOINT_VARIABLE)
        .ok()
        .map(|e| e.trim().trim_end_matches('/').to_string())
        .filter(|e| !e.is_empty())
    {
        check_endpoint_url(&e)
            .map_err(|m| Error::config(format!("{IDENTITY_ENDPOINT_VARIABLE}: {m}")))?;
        return Ok(e);
    }
    crate::endpoints::identity_endpoint(region).map_err(from_core)
}

/// Looks at a GetSecretBundle body the way the `oci_vault` provider decodes it, describing the
/// value without keeping it.
pub fn inspect_bundle(body: &[u8], key: &str) -> SecretShape {
    #[derive(serde::Deserialize)]
    struct Bundle {
        #[serde(rename = "secretBundleContent")]
        content: Option<Content>,
    }
    #[derive(serde::Deserialize)]
    struct Content {
        #[serde(rename = "contentType")]
        content_type: Option<String>,
        content: Option<String>,
    }
    let refused = |why: &str| SecretShape {
        refused: Some(why.to_string()),
        ..SecretShape::default()
    };
    let Ok(bundle) = serde_json::from_slice::<Bundle>(body) else {
        return refused("the secret bundle is not the expected JSON");
    };
    let Some(content) = bundle.content else {
        return refused("the secret bundle has no secretBundleContent");
    };
    if let Some(t) = content
        .content_type
        .as_deref()
        .filter(|t| !t.eq_ignore_ascii_case("BASE64"))
    {
        return refused(&format!("the content type is {t}, not BASE64"));
    }
    let Some(encoded) = content.content.map(Zeroizing::new) else {
        return refused("the secret bundle has no content");
    };
    let Ok(bytes) = STANDARD.decode(encoded.trim()).map(Zeroizing::new) else {
        return refused("the content is not valid base64");
    };
    inspect_value(&bytes, key)
}

/// Describes a decoded secret value: lengths, surrounding whitespace, control characters and,
/// for an AWS access key ID, its form. Never copies the value out.
pub fn inspect_value(bytes: &[u8], key: &str) -> SecretShape {
    let mut shape = SecretShape {
        bytes: bytes.len(),
        ..SecretShape::default()
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        shape.refused = Some("the value is not UTF-8 text".into());
        return shape;
    };
    let trimmed = text.trim();
    shape.trimmed_chars = trimmed.chars().count();
    let leading = &text[..text.len() - text.trim_start().len()];
    let trailing = &text[text.trim_end().len()..];
    if trimmed.is_empty() {
        shape.refused = Some("the value is empty (or only whitespace)".into());
        return shape;
    }
    if !leading.is_empty() {
        shape
            .surrounding
            .push(format!("starts with {}", whitespace(leading)));
    }
    if !trailing.is_empty() {
        shape
            .surrounding
            .push(format!("ends with {}", whitespace(trailing)));
    }
    if trimmed.chars().any(char::is_control) {
        shape.refused = Some(
            "the value contains control characters (not only around it): ocisync refuses it".into(),
        );
        return shape;
    }
    let key_id_form = (16..=128).contains(&trimmed.len())
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if key == "access_key_id" && !key_id_form {
        shape.unusual = Some(
            "it does not look like an AWS access key ID (16 to 128 letters and digits, \
             e.g. AKIA…)"
                .into(),
        );
    }
    shape
}

/// `a newline`, `"\r\n"` (a Windows line end), `2 spaces`...
fn whitespace(ws: &str) -> String {
    match ws {
        "\n" => "a newline".to_string(),
        "\r\n" => "a Windows line end (\\r\\n)".to_string(),
        " " => "a space".to_string(),
        "\t" => "a tab".to_string(),
        _ if ws.chars().all(|c| c == ' ') => format!("{} spaces", ws.len()),
        _ if ws.chars().all(|c| c == '\n') => format!("{} newlines", ws.len()),
        _ => format!("whitespace {ws:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_shapes_say_what_is_wrong_without_the_value() {
        let clean = inspect_value(b"AKIAIOSFODNN7EXAMPLE", "access_key_id");
        assert_eq!(clean.trimmed_chars, 20);
        assert!(clean.surrounding.is_empty() && clean.refused.is_none() && clean.unusual.is_none());

        let newline = inspect_value(b"AKIAIOSFODNN7EXAMPLE\n", "access_key_id");
        assert_eq!((newline.bytes, newline.trimmed_chars), (21, 20));
        assert_eq!(newline.surrounding, vec!["ends with a newline".to_string()]);

        let crlf = inspect_value(b" s3cr3t\r\n", "secret_access_key");
        assert_eq!(
            crlf.surrounding,
            vec![
                "starts with a space".to_string(),
                "ends with a Windows line end (\\r\\n)".to_string()
            ]
        );
        assert!(crlf.unusual.is_none(), "secret keys have no fixed form");

        let inner = inspect_value(b"AKIA\x07IOSFODNN7EXAMPLE", "access_key_id");
        assert!(
            inner
                .refused
                .as_deref()
                .unwrap()
                .contains("control characters")
        );
        assert!(inspect_value(b"  \n", "x").refused.is_some());
        assert!(inspect_value(b"\xff\xfe", "x").refused.is_some());
        assert!(
            inspect_value(b"not-a-key", "access_key_id")
                .unusual
                .is_some()
        );
        for shape in [clean, newline, crlf, inner] {
            let text = format!("{shape:?}");
            assert!(
                !text.contains("IOSFODNN7") && !text.contains("s3cr3t"),
                "{text}"
            );
        }
    }

    #[test]
    fn bundles_are_decoded_like_the_provider_does() {
        let body = serde_json::json!({
            "secretBundleContent": {"contentType": "BASE64", "content": STANDARD.encode("v\n")}
        })
        .to_string();
        let shape = inspect_bundle(body.as_bytes(), "secret_access_key");
        assert_eq!(shape.surrounding, vec!["ends with a newline".to_string()]);
        assert!(inspect_bundle(b"{}", "x").refused.is_some());
        assert!(
            inspect_bundle(
                br#"{"secretBundleContent":{"contentType":"BASE64","content":"***"}}"#,
                "x"
            )
            .refused
            .unwrap()
            .contains("base64")
        );
    }

    #[test]
    fn evidence_lines_name_status_code_and_request_id() {
        let e = Evidence {
            request: "GET http://x/n/bling/b/t/o?limit=1".into(),
            status: Some(404),
            code: Some("BucketNotFound".into()),
            message: Some("Either the bucket named 't' does not exist".into()),
            request_id: Some("req-1".into()),
            date: Some("Tue, 15 Nov 1994 08:12:31 GMT".into()),
            ..Evidence::default()
        };
        assert_eq!(
            e.line(),
            "GET http://x/n/bling/b/t/o?limit=1 → 404 BucketNotFound: Either the bucket named 't' does not exist (opc-request-id req-1)"
        );
        assert_eq!(e.server_time().unwrap().to_string(), "1994-11-15T08:12:31Z");
        let refused = Evidence {
            request: "GET http://127.0.0.1:1/opc/v2/instance/".into(),
            failure: Some("could not connect: Connection refused".into()),
            ..Evidence::default()
        };
        assert!(
            refused
                .line()
                .ends_with("→ could not connect: Connection refused")
        );
    }
}
