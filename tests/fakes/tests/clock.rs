//! The fakes' clock over real HTTP: a shifted clock shows in every server's one `Date` header,
//! and requests signed with the real time are refused with OCI's skew message once the shift is
//! over five minutes — on every signed service sharing the clock. Set in-process or through
//! `POST /_fake/clock`.

mod common;

use jiff::{SignedDuration, Timestamp};
use ocisync_fakes::keyless::{KeylessFakes, TENANCY};
use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage};

use common::{Client, JsonBody, Sign, USER, oci_error};

const TOPIC: &str = "ocid1.onstopic.oc1.iad.aaaaaaaaclocktopic";
const SECRET: &str = "ocid1.vaultsecret.oc1.iad.aaaaaaaaclocksecret";

struct Setup {
    fakes: KeylessFakes,
    storage: FakeObjectStorage,
    /// Per signed service: its name, a client with a registered API key, and a signed GET
    /// target (`None`: a PublishMessage POST).
    clients: Vec<(&'static str, Client, Option<String>)>,
}

async fn setup() -> Setup {
    let fakes = KeylessFakes::start().await.unwrap();
    let storage = FakeObjectStorage::start(Config {
        keys: fakes.keys.clone(),
        ..Config::default()
    })
    .await
    .unwrap();
    fakes.notifications.add_topic(TOPIC);
    fakes.vault.put_secret(SECRET, "value");
    let client = |base: String| {
        let key = TestKeyPair::generate().unwrap();
        let key_id = fakes.keys.register_api_key(TENANCY, USER, key.public_key());
        Client::for_url(&base, Some((key, key_id)))
    };
    let clients = vec![
        (
            "notifications",
            client(fakes.notifications.base_url()),
            None,
        ),
        (
            "identity",
            client(fakes.iam.base_url()),
            Some(format!("/20160918/tenancies/{TENANCY}")),
        ),
        (
            "vault",
            client(fakes.vault.base_url()),
            Some(format!("/20190301/secretbundles/{SECRET}")),
        ),
        (
            "objectstorage",
            client(storage.base_url()),
            Some("/n/".to_string()),
        ),
    ];
    Setup {
        fakes,
        storage,
        clients,
    }
}

impl Setup {
    /// One signed call to each signed service, signed with the real clock: (service, status,
    /// error message).
    async fn signed_calls(&self) -> Vec<(&'static str, u16, String)> {
        let mut out = Vec::new();
        for (name, client, target) in &self.clients {
            let response = match target {
                Some(target) => client.get(target).await,
                None => {
                    client
                        .send(
                            "POST",
                            &format!("/20181201/topics/{TOPIC}/messages"),
                            &[],
                            br#"{"body":"b"}"#.to_vec(),
                            Sign::WithBody,
                        )
                        .await
                }
            };
            let (status, _, message) = error_or_ok(response).await;
            out.push((*name, status, message));
        }
        out
    }

    fn all_urls(&self) -> Vec<(&'static str, String)> {
        vec![
            ("imds", self.fakes.imds.base_url()),
            ("federation", self.fakes.federation.endpoint()),
            ("vault", self.fakes.vault.base_url()),
            ("notifications", self.fakes.notifications.base_url()),
            ("identity", self.fakes.iam.base_url()),
            ("objectstorage", self.storage.base_url()),
        ]
    }
}

async fn error_or_ok(response: reqwest::Response) -> (u16, String, String) {
    if response.status().is_success() {
        (response.status().as_u16(), String::new(), String::new())
    } else {
        oci_error(response).await
    }
}

/// The one `Date` header of a response (any path: errors carry it too).
async fn server_date(url: &str) -> Timestamp {
    let response = reqwest::get(url).await.unwrap();
    let dates: Vec<_> = response.headers().get_all("date").iter().collect();
    assert_eq!(dates.len(), 1, "{url}: {dates:?}");
    jiff::fmt::rfc2822::parse(dates[0].to_str().unwrap())
        .unwrap()
        .timestamp()
}

fn assert_near(actual: Timestamp, expected: Timestamp, what: &str) {
    let off = actual.duration_since(expected).as_secs().abs();
    assert!(off <= 5, "{what}: Date {actual}, expected about {expected}");
}

#[tokio::test]
async fn a_shifted_clock_shows_in_every_date_header_and_refuses_real_time_signatures() {
    let s = setup().await;
    for (name, url) in s.all_urls() {
        assert_near(server_date(&url).await, Timestamp::now(), name);
    }
    for (name, status, message) in s.signed_calls().await {
        assert_eq!(status, 200, "{name}: {message}");
    }

    let ahead = SignedDuration::from_mins(10);
    s.fakes.clock.set_offset(ahead);
    for (name, url) in s.all_urls() {
        assert_near(server_date(&url).await, Timestamp::now() + ahead, name);
    }
    for (name, status, message) in s.signed_calls().await {
        assert_eq!(status, 401, "{name}: {message}");
        assert!(
            message.contains("is not within allowed clock skew"),
            "{name}: {message}"
        );
    }

    // Behind works the same; within five minutes is accepted.
    s.fakes.clock.set_offset(-ahead);
    for (name, status, _) in s.signed_calls().await {
        assert_eq!(status, 401, "{name}");
    }
    s.fakes.clock.set_offset(SignedDuration::from_mins(4));
    for (name, status, message) in s.signed_calls().await {
        assert_eq!(status, 200, "{name}: {message}");
    }
    // The accepted message is stamped by the fake's clock.
    let stamped = s.fakes.notifications.messages().last().unwrap().time;
    assert_near(
        stamped,
        Timestamp::now() + SignedDuration::from_mins(4),
        "timeStamp",
    );
}

#[tokio::test]
async fn the_clock_is_set_over_http_and_shared_by_the_fakes_that_share_it() {
    let s = setup().await;
    let admin = reqwest::Client::new();
    let set = admin
        .post(format!("{}/_fake/clock", s.fakes.notifications.base_url()))
        .body(r#"{"offset_seconds": 600}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    assert_eq!(set.json_value().await["offset_seconds"], 600);
    assert_eq!(s.fakes.clock.offset(), SignedDuration::from_secs(600));

    // Another server of the same set reports the same clock.
    let state = reqwest::get(format!("{}/_fake/clock", s.fakes.iam.base_url()))
        .await
        .unwrap()
        .json_value()
        .await;
    assert_eq!(state["offset_seconds"], 600);
    let now: Timestamp = state["now"].as_str().unwrap().parse().unwrap();
    assert_near(
        now,
        Timestamp::now() + SignedDuration::from_secs(600),
        "now",
    );

    // A fake with a key ring of its own keeps its own clock.
    let alone = FakeObjectStorage::start(Config::default()).await.unwrap();
    assert_near(
        server_date(&alone.base_url()).await,
        Timestamp::now(),
        "separate fake",
    );

    let bad = admin
        .post(format!("{}/_fake/clock", s.fakes.iam.base_url()))
        .body(r#"{"offset": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let reset = admin
        .post(format!("{}/_fake/clock", s.fakes.vault.base_url()))
        .body(r#"{"offset_seconds": 0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    for (name, status, message) in s.signed_calls().await {
        assert_eq!(status, 200, "{name}: {message}");
    }
}
