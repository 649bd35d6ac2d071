//! OCI regions, realms and service endpoints.
//!
//! A region (`us-ashburn-1`, or its airport code `iad`) belongs to a realm, and the realm fixes
//! the domain every service host ends in: `https://objectstorage.us-ashburn-1.oraclecloud.com`,
//! `https://objectstorage.eu-frankfurt-2.oraclecloud.eu`. The table below is the one in Oracle's
//! Python SDK 2.189.0 (`regions_definitions.py`); regions it does not know can be described with
//! the SDKs' own environment variables:
//!
//! - `OCI_REGION_METADATA` — JSON `{"realmKey":"oc99","realmDomainComponent":"example.com",
//!   "regionKey":"XYZ","regionIdentifier":"xx-city-1"}`;
//! - `OCI_DEFAULT_REALM` — the domain to assume for any unknown region (`oraclecloud.com`).
//!
//! Without either, an unknown region is an error telling the operator to set `endpoint` — the
//! SDKs silently assume `oraclecloud.com`, which for a sovereign-cloud region means requests to
//! the wrong realm.

use crate::{Error, ErrorKind, Result};

/// Realm key → second-level domain.
const REALMS: &[(&str, &str)] = &[
    ("oc1", "oraclecloud.com"),
    ("oc2", "oraclegovcloud.com"),
    ("oc3", "oraclegovcloud.com"),
    ("oc4", "oraclegovcloud.uk"),
    ("oc8", "oraclecloud8.com"),
    ("oc9", "oraclecloud9.com"),
    ("oc10", "oraclecloud10.com"),
    ("oc14", "oraclecloud14.com"),
    ("oc15", "oraclecloud15.com"),
    ("oc19", "oraclecloud.eu"),
    ("oc20", "oraclecloud20.com"),
    ("oc21", "oraclecloud21.com"),
    ("oc23", "oraclecloud23.com"),
    ("oc24", "oraclecloud24.com"),
    ("oc26", "oraclecloud26.com"),
    ("oc29", "oraclecloud29.com"),
    ("oc35", "oraclecloud35.com"),
    ("oc42", "oraclecloud42.com"),
    ("oc51", "oraclecloud51.com"),
    ("oc52", "oraclecloud52.com"),
];

/// (short code, region identifier, realm key).
const REGIONS: &[(&str, &str, &str)] = &[
    ("yny", "ap-chuncheon-1", "oc1"),
    ("hyd", "ap-hyderabad-1", "oc1"),
    ("mel", "ap-melbourne-1", "oc1"),
    ("bom", "ap-mumbai-1", "oc1"),
    ("kix", "ap-osaka-1", "oc1"),
    ("icn", "ap-seoul-1", "oc1"),
    ("syd", "ap-sydney-1", "oc1"),
    ("nrt", "ap-tokyo-1", "oc1"),
    ("yul", "ca-montreal-1", "oc1"),
    ("yyz", "ca-toronto-1", "oc1"),
    ("ams", "eu-amsterdam-1", "oc1"),
    ("fra", "eu-frankfurt-1", "oc1"),
    ("zrh", "eu-zurich-1", "oc1"),
    ("jed", "me-jeddah-1", "oc1"),
    ("dxb", "me-dubai-1", "oc1"),
    ("gru", "sa-saopaulo-1", "oc1"),
    ("cwl", "uk-cardiff-1", "oc1"),
    ("lhr", "uk-london-1", "oc1"),
    ("iad", "us-ashburn-1", "oc1"),
    ("phx", "us-phoenix-1", "oc1"),
    ("sjc", "us-sanjose-1", "oc1"),
    ("vcp", "sa-vinhedo-1", "oc1"),
    ("scl", "sa-santiago-1", "oc1"),
    ("mtz", "il-jerusalem-1", "oc1"),
    ("mrs", "eu-marseille-1", "oc1"),
    ("sin", "ap-singapore-1", "oc1"),
    ("auh", "me-abudhabi-1", "oc1"),
    ("lin", "eu-milan-1", "oc1"),
    ("arn", "eu-stockholm-1", "oc1"),
    ("jnb", "af-johannesburg-1", "oc1"),
    ("cdg", "eu-paris-1", "oc1"),
    ("qro", "mx-queretaro-1", "oc1"),
    ("mad", "eu-madrid-1", "oc1"),
    ("ord", "us-chicago-1", "oc1"),
    ("mty", "mx-monterrey-1", "oc1"),
    ("aga", "us-saltlake-2", "oc1"),
    ("bog", "sa-bogota-1", "oc1"),
    ("vap", "sa-valparaiso-1", "oc1"),
    ("xsp", "ap-singapore-2", "oc1"),
    ("ruh", "me-riyadh-1", "oc1"),
    ("onm", "ap-delhi-1", "oc1"),
    ("hsg", "ap-batam-1", "oc1"),
    ("orf", "eu-madrid-3", "oc1"),
    ("nrq", "eu-turin-1", "oc1"),
    ("jbp", "ap-kulai-2", "oc1"),
    ("lej", "af-casablanca-1", "oc1"),
    ("lfi", "us-langley-1", "oc2"),
    ("luf", "us-luke-1", "oc2"),
    ("ric", "us-gov-ashburn-1", "oc3"),
    ("pia", "us-gov-chicago-1", "oc3"),
    ("tus", "us-gov-phoenix-1", "oc3"),
    ("ltn", "uk-gov-london-1", "oc4"),
    ("brs", "uk-gov-cardiff-1", "oc4"),
    ("nja", "ap-chiyoda-1", "oc8"),
    ("ukb", "ap-ibaraki-1", "oc8"),
    ("mct", "me-dcc-muscat-1", "oc9"),
    ("ibr", "me-ibri-1", "oc9"),
    ("wga", "ap-dcc-canberra-1", "oc10"),
    ("bgy", "eu-dcc-milan-1", "oc14"),
    ("mxp", "eu-dcc-milan-2", "oc14"),
    ("snn", "eu-dcc-dublin-2", "oc14"),
    ("dtm", "eu-dcc-rating-2", "oc14"),
    ("dus", "eu-dcc-rating-1", "oc14"),
    ("ork", "eu-dcc-dublin-1", "oc14"),
    ("dac", "ap-dcc-gazipur-1", "oc15"),
    ("vll", "eu-madrid-2", "oc19"),
    ("str", "eu-frankfurt-2", "oc19"),
    ("beg", "eu-jovanovac-1", "oc20"),
    ("doh", "me-dcc-doha-1", "oc21"),
    ("vve", "me-alrayyan-1", "oc21"),
    ("ebb", "us-somerset-1", "oc23"),
    ("ebl", "us-thames-1", "oc23"),
    ("avz", "eu-dcc-zurich-1", "oc24"),
    ("avf", "eu-crissier-1", "oc24"),
    ("ahu", "me-abudhabi-3", "oc26"),
    ("rba", "me-alain-1", "oc26"),
    ("rkt", "me-abudhabi-2", "oc29"),
    ("shj", "me-abudhabi-4", "oc29"),
    ("dtz", "ap-seoul-2", "oc35"),
    ("dln", "ap-suwon-1", "oc35"),
    ("bno", "ap-chuncheon-2", "oc35"),
    ("yxj", "us-ashburn-2", "oc42"),
    ("pgc", "us-newark-1", "oc42"),
    ("jsk", "eu-budapest-1", "oc51"),
    ("hnw", "sa-riodejaneiro-1", "oc52"),
];

/// A region resolved to its identifier and its realm's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// `us-ashburn-1`.
    pub name: String,
    /// `oraclecloud.com`.
    pub domain: String,
}

impl Region {
    /// Resolves a region identifier or short code (`iad`, `IAD`, `us-ashburn-1`), consulting
    /// `OCI_REGION_METADATA` and `OCI_DEFAULT_REALM` for regions not in the table.
    pub fn resolve(region: &str) -> Result<Self> {
        Self::resolve_with_env(region, |name| std::env::var(name).ok())
    }

    fn resolve_with_env(region: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let wanted = region.trim().to_ascii_lowercase();
        if wanted.is_empty()
            || !wanted
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Error::config(format!(
                "'{region}' is not an OCI region name (expected something like us-ashburn-1 or iad)"
            )));
        }
        let known = REGIONS
            .iter()
            .find(|(code, name, _)| *code == wanted || *name == wanted);
        if let Some((_, name, realm)) = known {
            let domain = REALMS.iter().find(|(key, _)| key == realm).map(|(_, d)| *d);
            if let Some(domain) = domain {
                return Ok(Region {
                    name: name.to_string(),
                    domain: domain.to_string(),
                });
            }
        }
        if let Some(region) =
            env("OCI_REGION_METADATA").and_then(|json| from_metadata(&json, &wanted))
        {
            return Ok(region);
        }
        if let Some(domain) = env("OCI_DEFAULT_REALM")
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
        {
            return Ok(Region {
                name: wanted,
                domain,
            });
        }
        let hint = nearest_region(&wanted)
            .map(|r| format!(" (did you mean '{r}'?)"))
            .unwrap_or_default();
        Err(Error::new(
            ErrorKind::Config,
            format!(
                "unknown OCI region '{region}'{hint}: set `endpoint` to the service URL (for \
                 Object Storage https://objectstorage.{wanted}.<realm domain>), or describe the \
                 region in OCI_REGION_METADATA, or set OCI_DEFAULT_REALM to its realm's domain"
            ),
        ))
    }

    /// A region of the built-in table (identifier or short code), with its realm's domain.
    pub fn known(region: &str) -> Option<Self> {
        let wanted = region.trim().to_ascii_lowercase();
        let (_, name, realm) = REGIONS
            .iter()
            .find(|(code, name, _)| *code == wanted || *name == wanted)?;
        let domain = REALMS.iter().find(|(key, _)| key == realm)?.1;
        Some(Region {
            name: name.to_string(),
            domain: domain.to_string(),
        })
    }

    /// A region described by someone else (the instance metadata service): a region of the
    /// table keeps the table's domain whatever the description says (a tampered metadata
    /// answer must not send the instance's certificate and key-signed request to
    /// `auth.us-ashburn-1.evil.test`); another must be a DNS label in a domain of DNS labels.
    pub fn described(name: &str, domain: &str) -> std::result::Result<Self, String> {
        let (name, domain) = (
            name.trim().to_ascii_lowercase(),
            domain.trim().to_ascii_lowercase(),
        );
        if let Some(known) = Self::known(&name) {
            if known.domain != domain {
                tracing::warn!(
                    "instance metadata names the realm domain {domain:?} for {}; using {:?} from \
                     the region table",
                    known.name,
                    known.domain
                );
            }
            return Ok(known);
        }
        if !is_label(&name) {
            return Err(format!("region {name:?} is not a DNS label"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || !labels.iter().all(|l| is_label(l)) {
            return Err(format!("realm domain {domain:?} is not a domain name"));
        }
        Ok(Region { name, domain })
    }

    /// `https://{service}.{region}.{domain}`.
    fn service_url(&self, service: &str) -> String {
        format!("https://{service}.{}.{}", self.name, self.domain)
    }
}

/// A DNS label: 1 to 63 of `a-z 0-9 -`, not starting or ending with `-`.
fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The known region identifier nearest to a mistyped one (`us-ashburn1` → `us-ashburn-1`), by
/// edit distance, at most 3 edits away.
pub fn nearest_region(wanted: &str) -> Option<&'static str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                cur.push(
                    (prev[j] + usize::from(ca != *cb))
                        .min(prev[j + 1] + 1)
                        .min(cur[j] + 1),
                );
            }
            prev = cur;
        }
        prev[b.len()]
    }
    let wanted = wanted.trim().to_ascii_lowercase();
    REGIONS
        .iter()
        .map(|(_, name, _)| (distance(&wanted, name), *name))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| n)
}

/// The region from `OCI_REGION_METADATA`, if it describes `wanted` (by identifier or key).
fn from_metadata(json: &str, wanted: &str) -> Option<Region> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
    };
    let name = field("regionIdentifier")?;
    let domain = field("realmDomainComponent")?;
    let key = field("regionKey");
    // realmKey is required by the SDKs' schema too, though only the domain matters here.
    field("realmKey")?;
    (name == wanted || key.as_deref() == Some(wanted)).then_some(Region { name, domain })
}

/// `https://objectstorage.{region}.{domain}`.
pub fn object_storage_endpoint(region: &str) -> Result<String> {
    Ok(Region::resolve(region)?.service_url("objectstorage"))
}

/// `https://auth.{region}.{domain}`: the identity service instance principals federate with.
pub fn auth_endpoint(region: &str) -> Result<String> {
    Ok(Region::resolve(region)?.service_url("auth"))
}

/// `https://secrets.vaults.{region}.oci.{domain}`: the Vault secret-retrieval service.
pub fn secrets_endpoint(region: &str) -> Result<String> {
    let r = Region::resolve(region)?;
    Ok(format!(
        "https://secrets.vaults.{}.oci.{}",
        r.name, r.domain
    ))
}

/// `https://notification.{region}.{domain}`: OCI Notifications' data plane (PublishMessage).
/// No `oci.` label, unlike Vault and Identity; it is what Oracle's SDKs use.
pub fn notification_endpoint(region: &str) -> Result<String> {
    Ok(Region::resolve(region)?.service_url("notification"))
}

/// `https://identity.{region}.oci.{domain}`: Identity (GetTenancy, ListRegionSubscriptions).
pub fn identity_endpoint(region: &str) -> Result<String> {
    let r = Region::resolve(region)?;
    Ok(format!("https://identity.{}.oci.{}", r.name, r.domain))
}

pub use crate::endpoint_url::{EndpointUrlError, check_endpoint_url};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_region_gets_the_nearest_one() {
        assert_eq!(nearest_region("us-ashburn1"), Some("us-ashburn-1"));
        assert_eq!(nearest_region("eu-frankfrut-1"), Some("eu-frankfurt-1"));
        assert_eq!(nearest_region("mars-olympus-9"), None);
        let e = resolve("us-ashburn1", &[]).unwrap_err().to_string();
        assert!(e.contains("(did you mean 'us-ashburn-1'?)"), "{e}");
    }

    fn resolve(region: &str, env: &[(&str, &str)]) -> Result<Region> {
        Region::resolve_with_env(region, |name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn short_codes_and_names_resolve_to_their_realm() {
        for (input, name, domain) in [
            ("iad", "us-ashburn-1", "oraclecloud.com"),
            ("PHX", "us-phoenix-1", "oraclecloud.com"),
            ("fra", "eu-frankfurt-1", "oraclecloud.com"),
            ("lhr", "uk-london-1", "oraclecloud.com"),
            ("us-luke-1", "us-luke-1", "oraclegovcloud.com"),
            ("ric", "us-gov-ashburn-1", "oraclegovcloud.com"),
            ("ltn", "uk-gov-london-1", "oraclegovcloud.uk"),
            ("ap-chiyoda-1", "ap-chiyoda-1", "oraclecloud8.com"),
            ("str", "eu-frankfurt-2", "oraclecloud.eu"),
            (
                "sa-riodejaneiro-1",
                "sa-riodejaneiro-1",
                "oraclecloud52.com",
            ),
        ] {
            let r = resolve(input, &[]).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                (r.name.as_str(), r.domain.as_str()),
                (name, domain),
                "{input}"
            );
        }
    }

    #[test]
    fn described_regions_are_validated_and_known_ones_keep_their_domain() {
        // The finding: a known region with a domain of the metadata service's choosing.
        let r = Region::described("us-ashburn-1", "evil.test").unwrap();
        assert_eq!(r.domain, "oraclecloud.com");
        assert_eq!(
            Region::described("IAD", "x.y").unwrap().name,
            "us-ashburn-1"
        );
        let new = Region::described("xx-newcity-1", "oraclecloud99.com").unwrap();
        assert_eq!(
            (new.name.as_str(), new.domain.as_str()),
            ("xx-newcity-1", "oraclecloud99.com")
        );
        for (name, domain) in [
            ("xx-city-1.evil.test", "oraclecloud.com"),
            ("xx-city-1/", "oraclecloud.com"),
            ("xx-city-1", "evil.test/x"),
            ("xx-city-1", "localhost"),
            ("xx-city-1", "a..b"),
            ("-x", "oraclecloud.com"),
            ("xx-city-1", "oraclecloud.com:8443"),
            ("xx-city-1", "user@oraclecloud.com"),
        ] {
            assert!(Region::described(name, domain).is_err(), "{name} {domain}");
        }
    }

    #[test]
    fn every_region_has_a_realm_and_unique_names() {
        let mut seen = std::collections::HashSet::new();
        for (code, name, realm) in REGIONS {
            assert!(
                REALMS.iter().any(|(k, _)| k == realm),
                "{name}: realm {realm}"
            );
            assert!(
                seen.insert(*code) && seen.insert(*name),
                "duplicate {code}/{name}"
            );
            assert!(
                resolve(code, &[]).is_ok() && resolve(name, &[]).is_ok(),
                "{name}"
            );
        }
    }

    #[test]
    fn service_endpoints() {
        assert_eq!(
            object_storage_endpoint("iad").ok().as_deref(),
            Some("https://objectstorage.us-ashburn-1.oraclecloud.com")
        );
        assert_eq!(
            auth_endpoint("eu-frankfurt-2").ok().as_deref(),
            Some("https://auth.eu-frankfurt-2.oraclecloud.eu")
        );
        assert_eq!(
            secrets_endpoint("us-phoenix-1").ok().as_deref(),
            Some("https://secrets.vaults.us-phoenix-1.oci.oraclecloud.com")
        );
    }

    #[test]
    fn unknown_regions_say_how_to_fix_it() {
        let err = resolve("xx-nowhere-1", &[]).expect_err("unknown");
        assert_eq!(err.kind, ErrorKind::Config);
        let msg = err.to_string();
        assert!(
            msg.contains("xx-nowhere-1") && msg.contains("`endpoint`"),
            "{msg}"
        );
        assert!(
            msg.contains("OCI_REGION_METADATA") && msg.contains("OCI_DEFAULT_REALM"),
            "{msg}"
        );

        let err = resolve("evil.example.com/x", &[]).expect_err("not a region");
        assert!(err.to_string().contains("not an OCI region name"), "{err}");
    }

    #[test]
    fn environment_describes_unknown_regions() {
        let metadata = r#"{"realmKey":"OC99","realmDomainComponent":"oraclecloud99.com","regionKey":"XYZ","regionIdentifier":"xx-city-1"}"#;
        for input in ["xx-city-1", "xyz"] {
            let r = resolve(input, &[("OCI_REGION_METADATA", metadata)]).expect("from metadata");
            assert_eq!(
                r,
                Region {
                    name: "xx-city-1".into(),
                    domain: "oraclecloud99.com".into()
                }
            );
        }
        // Metadata for another region does not apply; the default realm then does.
        let r = resolve(
            "yy-town-1",
            &[
                ("OCI_REGION_METADATA", metadata),
                ("OCI_DEFAULT_REALM", "example.org"),
            ],
        )
        .expect("default realm");
        assert_eq!(
            r,
            Region {
                name: "yy-town-1".into(),
                domain: "example.org".into()
            }
        );
        assert!(resolve("yy-town-1", &[("OCI_REGION_METADATA", "not json")]).is_err());
        // Known regions ignore both.
        let r = resolve("iad", &[("OCI_DEFAULT_REALM", "example.org")]).expect("known");
        assert_eq!(r.domain, "oraclecloud.com");
    }

    #[test]
    fn endpoint_urls_must_be_https_unless_loopback() {
        for ok in [
            "https://objectstorage.us-ashburn-1.oraclecloud.com",
            "https://10.0.0.5:8443/",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:9000/",
            "http://localhost:1234",
        ] {
            assert!(check_endpoint_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://objectstorage.us-ashburn-1.oraclecloud.com",
            "http://10.0.0.5:8080",
            "http://[::2]/",
            "http://localhost.example.com",
            "ftp://127.0.0.1/",
            "objectstorage.us-ashburn-1.oraclecloud.com",
        ] {
            let err = check_endpoint_url(bad).expect_err(bad);
            assert!(String::from(err.clone()).starts_with(bad), "{err}");
        }
        let err = check_endpoint_url("https://user:s3cret@example.com/").expect_err("userinfo");
        assert_eq!(
            err.to_string(),
            "https://example.com/: credentials do not belong in the endpoint URL"
        );
        let err = check_endpoint_url("http://10.0.0.5:8080").expect_err("http");
        assert!(err.to_string().contains("use https"), "{err}");
    }
}
