//! The Notifications fake over real HTTP on 127.0.0.1: PublishMessage signed with an API key or
//! a session token, the refusals OCI answers (signature, body digest, topic, size, body), what
//! it records, and faults that make the sink fail or hang.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Client, JsonBody, Sign, TENANCY, USER, oci_error};
use ocisync_fakes::faults::{FaultAction, FaultRule};
use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::notifications::{FakeNotifications, MAX_REQUEST_BYTES};
use ocisync_fakes::oci_sig::{KeyRing, Principal};

const TOPIC: &str = "ocid1.onstopic.oc1.iad.aaaaaaaafaketopic";

fn messages_path(topic: &str) -> String {
    format!("/20181201/topics/{topic}/messages")
}

struct Setup {
    ons: FakeNotifications,
    client: Client,
    key_id: String,
}

async fn setup() -> Setup {
    let keys = Arc::new(KeyRing::new());
    let key = TestKeyPair::generate().unwrap();
    let key_id = keys.register_api_key(TENANCY, USER, key.public_key());
    let ons = FakeNotifications::start(keys).await.unwrap();
    ons.add_topic(TOPIC);
    let client = Client::for_url(&ons.base_url(), Some((key, key_id.clone())));
    Setup {
        ons,
        client,
        key_id,
    }
}

async fn publish(client: &Client, topic: &str, body: &str) -> reqwest::Response {
    client
        .send(
            "POST",
            &messages_path(topic),
            &[],
            body.as_bytes().to_vec(),
            Sign::WithBody,
        )
        .await
}

#[tokio::test]
async fn publishes_with_an_api_key_and_records_the_message() {
    let s = setup().await;
    let response = s
        .client
        .send(
            "POST",
            &messages_path(TOPIC),
            &[("messageType", "RAW_TEXT")],
            br#"{"title":"ocisync: sync failed","body":"3 objects failed"}"#.to_vec(),
            Sign::WithBody,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get_all("date").iter().count(), 1);
    let answer = response.json_value().await;
    let message_id = answer["messageId"].as_str().unwrap().to_string();
    assert_eq!(message_id.len(), 36, "{answer}");
    let stamp: jiff::Timestamp = answer["timeStamp"].as_str().unwrap().parse().unwrap();
    assert!(jiff::Timestamp::now().duration_since(stamp).as_secs().abs() < 60);

    let messages = s.ons.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.message_id, message_id);
    assert_eq!(m.topic_id, TOPIC);
    assert_eq!(m.title.as_deref(), Some("ocisync: sync failed"));
    assert_eq!(m.body, "3 objects failed");
    assert_eq!(m.message_type.as_deref(), Some("RAW_TEXT"));
    assert_eq!(m.key_id, s.key_id);
    assert_eq!(m.time, stamp);

    // A title is optional; the admin endpoint lists both, oldest first.
    let response = publish(&s.client, TOPIC, r#"{"body":"no title"}"#).await;
    assert_eq!(response.status(), 200);
    let listed = reqwest::get(format!("{}/_fake/messages", s.ons.base_url()))
        .await
        .unwrap()
        .json_value()
        .await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["body"], "3 objects failed");
    assert_eq!(listed[0]["key_id"], s.key_id.as_str());
    assert_eq!(listed[1]["title"], serde_json::Value::Null);
    assert_eq!(listed[1]["body"], "no title");
    assert_eq!(s.ons.monitor().count("PublishMessage"), 2);

    let cleared = reqwest::Client::new()
        .delete(format!("{}/_fake/messages", s.ons.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    assert!(s.ons.messages().is_empty());
}

#[tokio::test]
async fn publishes_with_a_session_token_recorded_redacted() {
    const TOKEN: &str = "eyJ.session-token-SECRET.sig";
    let session = TestKeyPair::generate().unwrap();
    let keys = Arc::new(KeyRing::new());
    let public = session.public_key().clone();
    keys.set_session_tokens(Arc::new(move |token: &str| {
        if token == TOKEN {
            Ok(public.clone())
        } else {
            Err("unknown token".to_string())
        }
    }));
    let ons = FakeNotifications::start(keys).await.unwrap();
    ons.add_topic(TOPIC);
    let client = Client::for_url(&ons.base_url(), Some((session, format!("ST${TOKEN}"))));

    let response = publish(&client, TOPIC, r#"{"title":"t","body":"from an instance"}"#).await;
    assert_eq!(response.status(), 200);
    let messages = ons.messages();
    assert_eq!(messages[0].key_id, "ST$<redacted>");
    assert_eq!(messages[0].body, "from an instance");
    let listed = reqwest::get(format!("{}/_fake/messages", ons.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let log = format!("{:?}", ons.monitor().log());
    assert!(
        !listed.contains("SECRET") && !log.contains("SECRET"),
        "{listed}\n{log}"
    );

    // Denying the session-token principal denies every instance.
    ons.deny_publish_by(Principal::SessionToken);
    let (status, code, _) = oci_error(publish(&client, TOPIC, r#"{"body":"x"}"#).await).await;
    assert_eq!((status, code.as_str()), (404, "NotAuthorizedOrNotFound"));
}

#[tokio::test]
async fn refuses_bad_signatures_tampered_bodies_unknown_topics_and_bad_messages() {
    let s = setup().await;

    let unsigned = s
        .client
        .send(
            "POST",
            &messages_path(TOPIC),
            &[("content-type", "application/json")],
            br#"{"body":"b"}"#.to_vec(),
            Sign::Unsigned,
        )
        .await;
    let (status, code, _) = oci_error(unsigned).await;
    assert_eq!((status, code.as_str()), (401, "NotAuthenticated"));

    // Signed by another key under the registered keyId.
    let impostor = Client::for_url(
        &s.ons.base_url(),
        Some((TestKeyPair::generate().unwrap(), s.key_id.clone())),
    );
    let (status, code, message) =
        oci_error(publish(&impostor, TOPIC, r#"{"body":"b"}"#).await).await;
    assert_eq!(
        (status, code.as_str()),
        (401, "NotAuthenticated"),
        "{message}"
    );
    assert!(message.contains("does not verify"), "{message}");

    // Only the generic headers signed: a POST with a body must sign its digest too.
    let generic = s
        .client
        .send(
            "POST",
            &messages_path(TOPIC),
            &[("content-type", "application/json")],
            br#"{"body":"b"}"#.to_vec(),
            Sign::Generic,
        )
        .await;
    let (status, _, message) = oci_error(generic).await;
    assert_eq!(status, 401);
    assert!(
        message.contains("x-content-sha256") || message.contains("content-length"),
        "{message}"
    );

    // Same length, other bytes: the signature holds, the digest does not.
    let tampered = s
        .client
        .send_signed_over(
            "POST",
            &messages_path(TOPIC),
            &[],
            br#"{"body":"a"}"#,
            br#"{"body":"b"}"#.to_vec(),
            Sign::WithBody,
        )
        .await;
    let (status, code, message) = oci_error(tampered).await;
    assert_eq!((status, code.as_str()), (401, "NotAuthenticated"));
    assert!(message.contains("x-content-sha256"), "{message}");

    let unknown = publish(
        &s.client,
        "ocid1.onstopic.oc1.iad.nosuchtopic",
        r#"{"body":"b"}"#,
    )
    .await;
    let (status, code, _) = oci_error(unknown).await;
    assert_eq!((status, code.as_str()), (404, "NotAuthorizedOrNotFound"));

    let no_body = publish(&s.client, TOPIC, r#"{"title":"only a title"}"#).await;
    let (status, code, _) = oci_error(no_body).await;
    assert_eq!((status, code.as_str()), (400, "InvalidParameter"));

    let not_json = publish(&s.client, TOPIC, "body=b").await;
    assert_eq!(not_json.status(), 400);

    // The limit is on the request: one byte over is refused, exactly at it accepted.
    let envelope = r#"{"body":""}"#.len();
    let at_limit = format!(
        r#"{{"body":"{}"}}"#,
        "x".repeat(MAX_REQUEST_BYTES - envelope)
    );
    assert_eq!(at_limit.len(), MAX_REQUEST_BYTES);
    assert_eq!(publish(&s.client, TOPIC, &at_limit).await.status(), 200);
    let over = format!(
        r#"{{"body":"{}"}}"#,
        "x".repeat(MAX_REQUEST_BYTES - envelope + 1)
    );
    let (status, code, message) = oci_error(publish(&s.client, TOPIC, &over).await).await;
    assert_eq!((status, code.as_str()), (400, "InvalidParameter"));
    assert!(message.contains("64KB"), "{message}");
    // Far over: still a clean 400, not a connection closed under the client.
    let huge = format!(r#"{{"body":"{}"}}"#, "x".repeat(200 * 1024));
    assert_eq!(publish(&s.client, TOPIC, &huge).await.status(), 400);

    let recorded = s.ons.messages();
    assert_eq!(recorded.len(), 1, "only the message at the limit");
    assert_eq!(recorded[0].body.len(), MAX_REQUEST_BYTES - envelope);
}

#[tokio::test]
async fn deny_publish_plays_a_missing_policy() {
    let s = setup().await;
    s.ons.deny_publish(true);
    let (status, code, _) = oci_error(publish(&s.client, TOPIC, r#"{"body":"b"}"#).await).await;
    assert_eq!((status, code.as_str()), (404, "NotAuthorizedOrNotFound"));
    s.ons.deny_publish(false);
    assert_eq!(
        publish(&s.client, TOPIC, r#"{"body":"b"}"#).await.status(),
        200
    );

    // The same switch over HTTP, for tests driving processes.
    let admin = reqwest::Client::new();
    let deny = |on: bool| {
        admin
            .post(format!("{}/_fake/deny", s.ons.base_url()))
            .body(format!(r#"{{"deny":{on}}}"#))
            .send()
    };
    assert_eq!(deny(true).await.unwrap().status(), 204);
    assert_eq!(
        publish(&s.client, TOPIC, r#"{"body":"b"}"#).await.status(),
        404
    );
    assert_eq!(deny(false).await.unwrap().status(), 204);
    assert_eq!(
        publish(&s.client, TOPIC, r#"{"body":"b"}"#).await.status(),
        200
    );

    // Per principal: another user's key still publishes.
    let other_key = TestKeyPair::generate().unwrap();
    let other_user = "ocid1.user.oc1..aaaaotheruser";
    let other_id = s
        .ons
        .keys()
        .register_api_key(TENANCY, other_user, other_key.public_key());
    s.ons.deny_publish_by(Principal::ApiKey {
        tenancy: TENANCY.to_string(),
        user: USER.to_string(),
        fingerprint: s.key_id.rsplit('/').next().unwrap().to_string(),
    });
    assert_eq!(
        publish(&s.client, TOPIC, r#"{"body":"b"}"#).await.status(),
        404
    );
    let other = Client::for_url(&s.ons.base_url(), Some((other_key, other_id)));
    assert_eq!(
        publish(&other, TOPIC, r#"{"body":"b"}"#).await.status(),
        200
    );
    assert_eq!(s.ons.messages().len(), 3);
}

#[tokio::test]
async fn fault_rules_make_the_sink_fail_or_hang() {
    let s = setup().await;
    s.ons.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 429,
            retry_after: Some(1),
        })
        .operation("PublishMessage"),
    );
    let response = publish(&s.client, TOPIC, r#"{"body":"b"}"#).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        publish(&s.client, TOPIC, r#"{"body":"b"}"#).await.status(),
        200
    );

    // Over HTTP, as a process-driving test would: a 503, then a hang.
    let admin = reqwest::Client::new();
    for rule in [
        r#"{"operation":"PublishMessage","action":{"status":{"status":503,"retry_after":null}}}"#,
        r#"{"operation":"PublishMessage","action":{"delay":{"millis":600000}}}"#,
    ] {
        let added = admin
            .post(format!("{}/_fake/faults", s.ons.base_url()))
            .body(rule)
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), 204);
    }
    assert_eq!(
        publish(&s.client, TOPIC, r#"{"body":"b"}"#).await.status(),
        503
    );
    let hung = tokio::time::timeout(
        Duration::from_millis(500),
        publish(&s.client, TOPIC, r#"{"body":"b"}"#),
    )
    .await;
    assert!(hung.is_err(), "the publish should hang");
    assert_eq!(
        s.ons.messages().len(),
        1,
        "failed and hung publishes are not recorded"
    );
}
