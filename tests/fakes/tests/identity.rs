//! The Identity fake over real HTTP on 127.0.0.1: GetTenancy and ListRegionSubscriptions as
//! signed GETs, the home region moved and regions subscribed, and the 404 every call answers
//! to a caller without `inspect tenancies`.

mod common;

use std::sync::Arc;

use common::{Client, JsonBody, Sign, TENANCY, USER, oci_error};
use ocisync_fakes::identity::{FakeIdentity, Region, Tenancy};
use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::oci_sig::KeyRing;

async fn setup() -> (FakeIdentity, Client) {
    let keys = Arc::new(KeyRing::new());
    let key = TestKeyPair::generate().unwrap();
    let key_id = keys.register_api_key(TENANCY, USER, key.public_key());
    let tenancy = Tenancy::new(TENANCY, Region::named("us-phoenix-1").unwrap());
    let iam = FakeIdentity::start(keys, tenancy).await.unwrap();
    let client = Client::for_url(&iam.base_url(), Some((key, key_id)));
    (iam, client)
}

fn tenancy_path(suffix: &str) -> String {
    format!("/20160918/tenancies/{TENANCY}{suffix}")
}

#[tokio::test]
async fn answers_get_tenancy_and_region_subscriptions() {
    let (iam, client) = setup().await;
    let response = client.get(&tenancy_path("")).await;
    assert_eq!(response.status(), 200);
    let tenancy = response.json_value().await;
    assert_eq!(tenancy["id"], TENANCY);
    assert_eq!(tenancy["homeRegionKey"], "PHX");
    assert!(tenancy["name"].is_string() && tenancy["description"].is_string());
    assert!(tenancy["freeformTags"].is_object() && tenancy["definedTags"].is_object());

    let regions = client
        .get(&tenancy_path("/regionSubscriptions"))
        .await
        .json_value()
        .await;
    assert_eq!(
        regions,
        serde_json::json!([
            {"regionKey": "PHX", "regionName": "us-phoenix-1", "status": "READY", "isHomeRegion": true}
        ])
    );

    iam.subscribe(Region::named("us-ashburn-1").unwrap());
    iam.set_home_region(Region::new("eu-frankfurt-1", "FRA"));
    let tenancy = client.get(&tenancy_path("")).await.json_value().await;
    assert_eq!(tenancy["homeRegionKey"], "FRA");
    let regions = client
        .get(&tenancy_path("/regionSubscriptions"))
        .await
        .json_value()
        .await;
    let listed: Vec<(&str, bool)> = regions
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["regionName"].as_str().unwrap(),
                r["isHomeRegion"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("eu-frankfurt-1", true),
            ("us-phoenix-1", false),
            ("us-ashburn-1", false)
        ]
    );
    assert_eq!(iam.monitor().count("GetTenancy"), 2);
    assert_eq!(iam.monitor().count("ListRegionSubscriptions"), 2);
}

#[tokio::test]
async fn refuses_unsigned_requests_other_tenancies_and_denied_callers() {
    let (iam, client) = setup().await;
    let unsigned = client
        .send("GET", &tenancy_path(""), &[], Vec::new(), Sign::Unsigned)
        .await;
    let (status, code, _) = oci_error(unsigned).await;
    assert_eq!((status, code.as_str()), (401, "NotAuthenticated"));

    let other = client
        .get("/20160918/tenancies/ocid1.tenancy.oc1..aaaaanothertenancy")
        .await;
    let (status, code, _) = oci_error(other).await;
    assert_eq!((status, code.as_str()), (404, "NotAuthorizedOrNotFound"));

    iam.deny_inspect(true);
    for suffix in ["", "/regionSubscriptions"] {
        let (status, code, _) = oci_error(client.get(&tenancy_path(suffix)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (404, "NotAuthorizedOrNotFound"),
            "{suffix}"
        );
    }
    iam.deny_inspect(false);
    assert_eq!(client.get(&tenancy_path("")).await.status(), 200);

    // The same switch over HTTP.
    let admin = reqwest::Client::new();
    let denied = admin
        .post(format!("{}/_fake/deny", iam.base_url()))
        .body(r#"{"deny":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 204);
    assert_eq!(client.get(&tenancy_path("")).await.status(), 404);
    let bad = admin
        .post(format!("{}/_fake/deny", iam.base_url()))
        .body("yes")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let unknown_operation = client.get("/20160918/regions").await;
    let (status, code, _) = oci_error(unknown_operation).await;
    assert_eq!((status, code.as_str()), (404, "NotFound"));
}
