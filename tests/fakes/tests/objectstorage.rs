//! The Object Storage fake over HTTP: authentication, objects, listing, multipart, errors,
//! counters and injected faults.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{BUCKET, JsonBody, Setup, Sign, oci_error, signed_fake};
use md5::{Digest, Md5};
use ocisync_fakes::faults::{FaultAction, FaultRule};
use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::objectstorage::{
    ArchivalState, BlingSpec, Config, FakeObjectStorage, SeedObject, StorageTier,
};

fn md5_b64(data: &[u8]) -> String {
    STANDARD.encode(Md5::digest(data))
}

const OBJECTS: &str = "/n/bling/b/ocid1.tenancy.oc1..aaaatesttenancy/o";

#[tokio::test]
async fn unsigned_and_wrongly_signed_requests_get_401() {
    let s = signed_fake(1000).await;
    let unsigned = s
        .client
        .send("GET", "/n", &[], Vec::new(), Sign::Unsigned)
        .await;
    assert!(unsigned.headers().contains_key("opc-request-id"));
    let (status, code, message) = oci_error(unsigned).await;
    assert_eq!((status, code.as_str()), (401, "NotAuthenticated"));
    assert!(message.contains("no Authorization header"), "{message}");

    // The registered keyId, signed with another key.
    let impostor = TestKeyPair::generate().unwrap();
    let stranger = TestKeyPair::generate().unwrap();
    let client = common::Client::new(&s.fake, Some((impostor, s.key_id.clone())));
    let (status, code, message) = oci_error(client.get("/n").await).await;
    assert_eq!((status, code.as_str()), (401, "NotAuthenticated"));
    assert!(message.contains("does not verify"), "{message}");

    // A keyId nobody registered.
    let unknown = format!(
        "{}/{}/{}",
        common::TENANCY,
        common::USER,
        stranger.public_key().fingerprint()
    );
    let client = common::Client::new(&s.fake, Some((stranger, unknown)));
    let (status, _, message) = oci_error(client.get("/n").await).await;
    assert_eq!(status, 401);
    assert!(message.contains("no API key is registered"), "{message}");

    // A POST other than PutObject/UploadPart must sign the body headers.
    let create = s
        .client
        .send(
            "POST",
            &format!("/n/bling/b/{BUCKET}/u"),
            &[("content-type", "application/json")],
            br#"{"object":"x"}"#.to_vec(),
            Sign::Generic,
        )
        .await;
    let (status, _, message) = oci_error(create).await;
    assert_eq!(status, 401);
    assert!(message.contains("must cover 'content-length'"), "{message}");

    // The right key works.
    let ok = s.client.get("/n").await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "\"bling\"");
    assert_eq!(s.fake.monitor().count("GetNamespace"), 4);
}

#[tokio::test]
async fn no_auth_mode_accepts_unsigned_requests() {
    let fake = FakeObjectStorage::start(Config {
        require_signatures: false,
        ..Config::default()
    })
    .await
    .unwrap();
    fake.seed("bling", "b", SeedObject::new("a", "hello"));
    let response = reqwest::get(format!("{}/n/bling/b/b/o/a", fake.base_url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "hello");
}

#[tokio::test]
async fn put_then_get_and_head_names_with_special_characters() {
    let s = signed_fake(1000).await;
    let name = "FOCUS Reports/2024/a+b%c#d?é.csv.gz";
    let encoded = "FOCUS%20Reports%2F2024%2Fa%2Bb%25c%23d%3F%C3%A9.csv.gz";
    let body = b"some,csv\n1,2\n".to_vec();
    let md5 = md5_b64(&body);
    let put = s
        .client
        .send(
            "PUT",
            &format!("{OBJECTS}/{encoded}"),
            &[
                ("content-md5", &md5),
                ("content-type", "text/csv"),
                ("opc-meta-Source", "test"),
                ("storage-tier", "InfrequentAccess"),
            ],
            body.clone(),
            Sign::Generic,
        )
        .await;
    assert_eq!(put.status(), 200, "{:?}", put.text().await);
    // Not consumed above on success: read headers from a fresh request instead.
    let stored = s
        .fake
        .object("bling", BUCKET, name)
        .expect("stored under the decoded name");
    assert_eq!(stored.data, body);
    assert_eq!(stored.storage_tier, StorageTier::InfrequentAccess);
    assert_eq!(
        stored.metadata.get("source").map(String::as_str),
        Some("test")
    );

    // The same object reached with `/` left raw in the path.
    let raw_slashes = "FOCUS%20Reports/2024/a%2Bb%25c%23d%3F%C3%A9.csv.gz";
    let get = s.client.get(&format!("{OBJECTS}/{raw_slashes}")).await;
    assert_eq!(get.status(), 200);
    let h = get.headers().clone();
    assert_eq!(h["content-md5"], md5.as_str());
    assert!(!h.contains_key("opc-multipart-md5"));
    assert_eq!(h["content-type"], "text/csv");
    assert_eq!(h["opc-meta-source"], "test");
    assert_eq!(h["storage-tier"], "InfrequentAccess");
    assert_eq!(h["etag"].to_str().unwrap(), stored.etag);
    assert_eq!(
        stored.etag.len(),
        36,
        "UUID-like, not an MD5: {}",
        stored.etag
    );
    assert!(h["last-modified"].to_str().unwrap().ends_with(" GMT"));
    assert_eq!(get.bytes().await.unwrap(), body);

    let head = s
        .client
        .send(
            "HEAD",
            &format!("{OBJECTS}/{encoded}"),
            &[],
            Vec::new(),
            Sign::Generic,
        )
        .await;
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        body.len().to_string().as_str()
    );
    assert_eq!(head.headers()["content-md5"], md5.as_str());
    assert_eq!(s.fake.monitor().count("HeadObject"), 1);
    assert_eq!(s.fake.monitor().count("PutObject"), 1);
}

#[tokio::test]
async fn put_checks_content_md5_and_if_none_match() {
    let s = signed_fake(1000).await;
    let wrong = md5_b64(b"other");
    let response = s
        .client
        .send(
            "PUT",
            &format!("{OBJECTS}/x"),
            &[("content-md5", &wrong)],
            b"data".to_vec(),
            Sign::Generic,
        )
        .await;
    let (status, code, message) = oci_error(response).await;
    assert_eq!((status, code.as_str()), (400, "UnmatchedContentMD5"));
    assert_eq!(
        message,
        format!(
            "The computed MD5 of the request body ({}) does not match the Content-MD5 header ({wrong})",
            md5_b64(b"data")
        )
    );
    assert!(
        s.fake.object("bling", BUCKET, "x").is_none(),
        "a refused body is not stored"
    );

    async fn put(s: &Setup, headers: &[(&str, &str)]) -> reqwest::Response {
        s.client
            .send(
                "PUT",
                &format!("{OBJECTS}/x"),
                headers,
                b"data".to_vec(),
                Sign::Generic,
            )
            .await
    }
    assert_eq!(put(&s, &[("if-none-match", "*")]).await.status(), 200);
    let (status, code, _) = oci_error(put(&s, &[("if-none-match", "*")]).await).await;
    assert_eq!((status, code.as_str()), (412, "IfNoneMatchFailed"));
    let (status, code, _) = oci_error(put(&s, &[("if-match", "not-the-etag")]).await).await;
    assert_eq!((status, code.as_str()), (412, "IfMatchFailed"));
}

#[tokio::test]
async fn ranges_and_conditional_gets() {
    let s = signed_fake(1000).await;
    let data: Vec<u8> = (0..100u8).collect();
    s.fake
        .seed("bling", BUCKET, SeedObject::new("r", data.clone()));
    let etag = s.fake.object("bling", BUCKET, "r").unwrap().etag;
    async fn get(s: &Setup, range: &str) -> reqwest::Response {
        s.client
            .send(
                "GET",
                &format!("{OBJECTS}/r"),
                &[("range", range)],
                Vec::new(),
                Sign::Generic,
            )
            .await
    }

    let partial = get(&s, "bytes=10-19").await;
    assert_eq!(partial.status(), 206);
    assert_eq!(partial.headers()["content-range"], "bytes 10-19/100");
    assert_eq!(partial.headers()["content-length"], "10");
    assert_eq!(partial.bytes().await.unwrap(), data[10..20]);

    let suffix = get(&s, "bytes=-5").await;
    assert_eq!(suffix.headers()["content-range"], "bytes 95-99/100");
    assert_eq!(suffix.bytes().await.unwrap(), data[95..]);

    let beyond = get(&s, "bytes=100-").await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], "bytes */100");

    let target = format!("{OBJECTS}/r");
    let unchanged = s
        .client
        .send(
            "GET",
            &target,
            &[("if-none-match", &etag)],
            Vec::new(),
            Sign::Generic,
        )
        .await;
    assert_eq!(unchanged.status(), 304);
    let changed = s
        .client
        .send(
            "GET",
            &target,
            &[("if-none-match", "other")],
            Vec::new(),
            Sign::Generic,
        )
        .await;
    assert_eq!(changed.status(), 200);
    let (status, code, _) = oci_error(
        s.client
            .send(
                "GET",
                &target,
                &[("if-match", "other")],
                Vec::new(),
                Sign::Generic,
            )
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (412, "IfMatchFailed"));
}

#[tokio::test]
async fn archived_objects_head_but_do_not_get() {
    let s = signed_fake(1000).await;
    s.fake.seed(
        "bling",
        BUCKET,
        SeedObject::new("cold", "x").tier(StorageTier::Archive),
    );
    s.fake.seed(
        "bling",
        BUCKET,
        SeedObject::new("warm", "y")
            .tier(StorageTier::Archive)
            .archival_state(ArchivalState::Restored),
    );
    let head = s
        .client
        .send(
            "HEAD",
            &format!("{OBJECTS}/cold"),
            &[],
            Vec::new(),
            Sign::Generic,
        )
        .await;
    assert_eq!(head.headers()["archival-state"], "Archived");
    assert_eq!(head.headers()["storage-tier"], "Archive");
    let (status, code, _) = oci_error(s.client.get(&format!("{OBJECTS}/cold")).await).await;
    assert_eq!((status, code.as_str()), (409, "NotRestored"));
    assert_eq!(s.client.get(&format!("{OBJECTS}/warm")).await.status(), 200);
}

#[tokio::test]
async fn listing_paginates_with_fields_prefix_and_delimiter() {
    let s = signed_fake(3).await;
    let when: jiff::Timestamp = "2025-01-02T03:04:05.678Z".parse().unwrap();
    for name in [
        "FOCUS Reports/2025/01/01/a.csv.gz",
        "FOCUS Reports/2025/01/02/b.csv.gz",
        "reports/cost-csv/1.csv.gz",
        "reports/cost-csv/2.csv.gz",
        "reports/usage-csv/1.csv.gz",
        "top",
    ] {
        s.fake.seed(
            "bling",
            BUCKET,
            SeedObject::new(name, name.as_bytes().to_vec()).modified(when),
        );
    }
    s.fake.seed(
        "bling",
        BUCKET,
        SeedObject::new("reports/cost-csv/3.csv.gz", vec![7u8; 10])
            .multipart(4)
            .modified(when),
    );

    // Everything, three per page, following nextStartWith.
    let mut names = Vec::new();
    let mut start = String::new();
    let mut pages = 0;
    loop {
        let target =
            format!("{OBJECTS}?fields=name%2Csize%2Cmd5%2CtimeModified%2Cetag&limit=1000{start}");
        let page: serde_json::Value = s.client.get(&target).await.json_value().await;
        pages += 1;
        for o in page["objects"].as_array().unwrap() {
            names.push(o["name"].as_str().unwrap().to_string());
            assert_eq!(o["timeModified"], "2025-01-02T03:04:05.678Z");
            assert!(o["size"].is_u64() && o["etag"].is_string());
            assert!(
                o.get("timeCreated").is_none() && o.get("storageTier").is_none(),
                "only the fields asked for: {o}"
            );
            if o["name"] == "reports/cost-csv/3.csv.gz" {
                assert!(
                    o["md5"].as_str().unwrap().ends_with("-3"),
                    "multipart md5 form: {o}"
                );
            }
        }
        match page["nextStartWith"].as_str() {
            Some(next) => start = format!("&start={}", urlencode(next)),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 7);
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "in name order: {names:?}"
    );

    // Default fields: name only.
    let page: serde_json::Value = s
        .client
        .get(&format!("{OBJECTS}?prefix=top"))
        .await
        .json_value()
        .await;
    assert_eq!(page["objects"], serde_json::json!([{ "name": "top" }]));

    // Prefix with a space sent form-style, and the delimiter.
    let page: serde_json::Value = s
        .client
        .get(&format!(
            "{OBJECTS}?prefix=FOCUS+Reports%2F2025%2F01%2F&delimiter=%2F"
        ))
        .await
        .json_value()
        .await;
    assert_eq!(
        page["prefixes"],
        serde_json::json!(["FOCUS Reports/2025/01/01/", "FOCUS Reports/2025/01/02/"])
    );
    assert_eq!(page["objects"], serde_json::json!([]));

    let page: serde_json::Value =
        s.client.get(&format!("{OBJECTS}?prefix=reports%2F&startAfter=reports%2Fcost-csv%2F1.csv.gz&end=reports%2Fusage")).await.json_value().await;
    let listed: Vec<&str> = page["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        ["reports/cost-csv/2.csv.gz", "reports/cost-csv/3.csv.gz"]
    );

    for bad in [
        "limit=0",
        "limit=1001",
        "fields=name%2Cbogus",
        "delimiter=%7C",
    ] {
        let (status, code, message) =
            oci_error(s.client.get(&format!("{OBJECTS}?{bad}")).await).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidParameter"),
            "{bad}: {message}"
        );
    }
    assert_eq!(s.fake.monitor().count("ListObjects"), 3 + 3 + 4);
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn multipart_upload_commit_and_abort() {
    let s = signed_fake(1000).await;
    let uploads = format!("/n/bling/b/{BUCKET}/u");
    let json_headers = [("content-type", "application/json")];
    let create = |object: &str| {
        let body = serde_json::json!({ "object": object, "metadata": { "opc-meta-kind": "report" }, "contentType": "application/gzip" });
        s.client.send(
            "POST",
            &uploads,
            &json_headers,
            body.to_string().into_bytes(),
            Sign::WithBody,
        )
    };
    let created: serde_json::Value = create("big file.gz").await.json_value().await;
    let upload_id = created["uploadId"].as_str().unwrap().to_string();
    assert_eq!(created["object"], "big file.gz");
    assert_eq!(created["storageTier"], "Standard");

    let part1 = vec![1u8; 1000];
    let part2 = vec![2u8; 500];
    let mut etags = Vec::new();
    for (number, data) in [(1, &part1), (2, &part2)] {
        let target = format!("{uploads}/big%20file.gz?uploadId={upload_id}&uploadPartNum={number}");
        let md5 = md5_b64(data);
        let response = s
            .client
            .send(
                "PUT",
                &target,
                &[("content-md5", &md5)],
                data.clone(),
                Sign::Generic,
            )
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["opc-content-md5"], md5.as_str());
        etags.push(response.headers()["etag"].to_str().unwrap().to_string());
    }
    // A stray part 3, excluded at commit.
    let stray = format!("{uploads}/big%20file.gz?uploadId={upload_id}&uploadPartNum=3");
    assert_eq!(
        s.client
            .send("PUT", &stray, &[], b"zzz".to_vec(), Sign::Generic)
            .await
            .status(),
        200
    );

    let parts: serde_json::Value = s
        .client
        .get(&format!("{uploads}/big%20file.gz?uploadId={upload_id}"))
        .await
        .json_value()
        .await;
    assert_eq!(parts.as_array().unwrap().len(), 3);

    let commit_target = format!("{uploads}/big%20file.gz?uploadId={upload_id}");
    let incomplete = serde_json::json!({ "partsToCommit": [{ "partNum": 1, "etag": etags[0] }, { "partNum": 2, "etag": etags[1] }] });
    let (status, _, message) = oci_error(
        s.client
            .send(
                "POST",
                &commit_target,
                &json_headers,
                incomplete.to_string().into_bytes(),
                Sign::WithBody,
            )
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(message.contains("Part 3"), "{message}");

    let commit = serde_json::json!({
        "partsToCommit": [{ "partNum": 2, "etag": etags[1] }, { "partNum": 1, "etag": etags[0] }],
        "partsToExclude": [3],
    });
    let committed = s
        .client
        .send(
            "POST",
            &commit_target,
            &json_headers,
            commit.to_string().into_bytes(),
            Sign::WithBody,
        )
        .await;
    assert_eq!(committed.status(), 200);
    let mut joined = Md5::digest(&part1).to_vec();
    joined.extend_from_slice(&Md5::digest(&part2));
    let expected = format!("{}-2", STANDARD.encode(Md5::digest(&joined)));
    assert_eq!(committed.headers()["opc-multipart-md5"], expected.as_str());

    let head = s
        .client
        .send(
            "HEAD",
            &format!("{OBJECTS}/big%20file.gz"),
            &[],
            Vec::new(),
            Sign::Generic,
        )
        .await;
    assert_eq!(head.headers()["opc-multipart-md5"], expected.as_str());
    assert!(!head.headers().contains_key("content-md5"));
    assert_eq!(head.headers()["opc-meta-kind"], "report");
    assert_eq!(head.headers()["content-type"], "application/gzip");
    let stored = s.fake.object("bling", BUCKET, "big file.gz").unwrap();
    assert_eq!(
        stored.data,
        [part1, part2].concat(),
        "parts joined in part order"
    );
    let listing: serde_json::Value = s
        .client
        .get(&format!("{OBJECTS}?fields=md5"))
        .await
        .json_value()
        .await;
    assert_eq!(listing["objects"][0]["md5"], expected.as_str());

    // Abort leaves nothing behind; the aborted upload is gone.
    let created: serde_json::Value = create("other").await.json_value().await;
    let other_id = created["uploadId"].as_str().unwrap();
    assert_eq!(s.fake.pending_uploads("bling", BUCKET), [other_id]);
    let listed: serde_json::Value = s.client.get(&uploads).await.json_value().await;
    assert_eq!(listed[0]["uploadId"], other_id);
    let abort = format!("{uploads}/other?uploadId={other_id}");
    assert_eq!(
        s.client
            .send("DELETE", &abort, &[], Vec::new(), Sign::Generic)
            .await
            .status(),
        204
    );
    assert!(s.fake.pending_uploads("bling", BUCKET).is_empty());
    let (status, code, _) = oci_error(
        s.client
            .send("DELETE", &abort, &[], Vec::new(), Sign::Generic)
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (404, "UploadNotFound"));
}

#[tokio::test]
async fn create_multipart_body_hash_must_match() {
    let s = signed_fake(1000).await;
    let target = format!("/n/bling/b/{BUCKET}/u");
    let headers = [("content-type", "application/json")];
    let response = s
        .client
        .send(
            "POST",
            &target,
            &headers,
            br#"{"object":"a"}"#.to_vec(),
            Sign::WithBody,
        )
        .await;
    assert_eq!(response.status(), 200, "control: a matching body passes");
    // Signed over one body, another of the same length sent.
    let tampered = s
        .client
        .send_signed_over(
            "POST",
            &target,
            &headers,
            br#"{"object":"a"}"#,
            br#"{"object":"b"}"#.to_vec(),
            Sign::WithBody,
        )
        .await;
    let (status, code, message) = oci_error(tampered).await;
    assert_eq!((status, code.as_str()), (401, "NotAuthenticated"));
    assert!(message.contains("x-content-sha256"), "{message}");
    assert_eq!(
        s.fake.pending_uploads("bling", BUCKET).len(),
        1,
        "the tampered request created nothing"
    );
}

#[tokio::test]
async fn errors_name_what_is_missing() {
    let s = signed_fake(1000).await;
    let (status, code, message) = oci_error(s.client.get("/n/bling/b/nope/o").await).await;
    assert_eq!((status, code.as_str()), (404, "BucketNotFound"));
    assert_eq!(
        message,
        "Either the bucket named 'nope' does not exist in the namespace 'bling' or you are not authorized to access it"
    );
    let (status, code, _) = oci_error(s.client.get("/n/other/b/x/o").await).await;
    assert_eq!((status, code.as_str()), (404, "NamespaceNotFound"));
    let (status, code, message) =
        oci_error(s.client.get(&format!("{OBJECTS}/missing")).await).await;
    assert_eq!((status, code.as_str()), (404, "ObjectNotFound"));
    assert!(message.contains("'missing'"), "{message}");
    let head = s
        .client
        .send(
            "HEAD",
            &format!("{OBJECTS}/missing"),
            &[],
            Vec::new(),
            Sign::Generic,
        )
        .await;
    assert_eq!(head.status(), 404);
    assert!(head.headers().contains_key("opc-request-id"));
    assert!(head.bytes().await.unwrap().is_empty());
    let delete = s
        .client
        .send(
            "DELETE",
            &format!("{OBJECTS}/missing"),
            &[],
            Vec::new(),
            Sign::Generic,
        )
        .await;
    assert_eq!(delete.status(), 404);

    s.fake.seed("bling", BUCKET, SeedObject::new("gone", "x"));
    let delete = s
        .client
        .send(
            "DELETE",
            &format!("{OBJECTS}/gone"),
            &[],
            Vec::new(),
            Sign::Generic,
        )
        .await;
    assert_eq!(delete.status(), 204);
    assert!(s.fake.object("bling", BUCKET, "gone").is_none());

    let bucket = s.client.get(&format!("/n/bling/b/{BUCKET}")).await;
    assert!(bucket.headers().contains_key("etag"));
    let json: serde_json::Value = bucket.json_value().await;
    assert_eq!(json["name"], BUCKET);
    let buckets: serde_json::Value = s
        .client
        .get("/n/bling/b?compartmentId=c")
        .await
        .json_value()
        .await;
    assert_eq!(buckets[0]["name"], BUCKET);
}

#[tokio::test]
async fn injected_faults_then_recovery_and_counters_over_http() {
    let s = signed_fake(1000).await;
    s.fake
        .seed("bling", BUCKET, SeedObject::new("f", vec![9u8; 1000]));
    let target = format!("{OBJECTS}/f");
    s.fake.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 503,
            retry_after: Some(3),
        })
        .operation("GetObject"),
    );
    s.fake.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 429,
            retry_after: None,
        })
        .path_contains("/o/f"),
    );
    let first = s.client.get(&target).await;
    assert_eq!(first.status(), 503);
    assert_eq!(first.headers()["retry-after"], "3");
    assert_eq!(oci_error(first).await.1, "ServiceUnavailable");
    let (status, code, _) = oci_error(s.client.get(&target).await).await;
    assert_eq!((status, code.as_str()), (429, "TooManyRequests"));
    assert_eq!(
        s.client.get(&target).await.bytes().await.unwrap().len(),
        1000,
        "rules are spent"
    );

    // Reset: the client sees a transport error, no response.
    s.fake
        .faults()
        .add(FaultRule::new(FaultAction::Reset).operation("GetObject"));
    let reset = reqwest::Client::new()
        .get(format!("{}{target}", s.client.base))
        .send()
        .await;
    assert!(reset.is_err(), "expected a transport error, got {reset:?}");

    // Truncate, added over HTTP: headers promise 1000 bytes, 100 arrive, then the end.
    let admin = reqwest::Client::new();
    let added = admin
        .post(format!("{}/_fake/faults", s.client.base))
        .body(r#"{"operation":"GetObject","action":{"truncate":{"bytes":100}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 204);
    let cut = s.client.get(&target).await;
    assert_eq!(cut.headers()["content-length"], "1000");
    assert!(
        cut.bytes().await.is_err(),
        "a truncated body must fail to read"
    );

    let stats: serde_json::Value = admin
        .get(format!("{}/_fake/stats", s.client.base))
        .send()
        .await
        .unwrap()
        .json_value()
        .await;
    let get = &stats["operations"]["GetObject"];
    assert_eq!(get["requests"], 5);
    assert_eq!(get["faults"], 4);
    assert_eq!(s.fake.faults().fired(), 4);
    let log: serde_json::Value = admin
        .get(format!("{}/_fake/log", s.client.base))
        .send()
        .await
        .unwrap()
        .json_value()
        .await;
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0]["target"], target.as_str());
    assert_eq!(entries[0]["status"], 503);
    assert_eq!(entries[2]["response_body_bytes"], 1000);
    assert_eq!(entries[4]["response_body_bytes"], 100);
    let auth = entries[0]["headers"]["authorization"].as_str().unwrap();
    assert!(
        auth.contains("headers=\"date (request-target) host\"") && !auth.contains("signature"),
        "{auth}"
    );

    let reset = admin
        .delete(format!("{}/_fake/stats", s.client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert_eq!(s.fake.monitor().count("GetObject"), 0);
    assert!(s.fake.monitor().log().is_empty());
}

#[tokio::test]
async fn create_bucket_then_conflict() {
    let s = signed_fake(1000).await;
    let body =
        serde_json::json!({ "name": "new-bucket", "compartmentId": "ocid1.compartment.oc1..c" });
    let send = || {
        s.client.send(
            "POST",
            "/n/bling/b",
            &[],
            body.to_string().into_bytes(),
            Sign::WithBody,
        )
    };
    let created = send().await.json_value().await;
    assert_eq!(created["name"], "new-bucket");
    assert_eq!(created["compartmentId"], "ocid1.compartment.oc1..c");
    let (status, code, _) = oci_error(send().await).await;
    assert_eq!((status, code.as_str()), (409, "BucketAlreadyExists"));
    assert!(s.fake.object_names("bling", "new-bucket").is_empty());
    assert_eq!(s.client.get("/n/bling/b/new-bucket/o").await.status(), 200);
}

#[tokio::test]
async fn a_seeded_bling_bucket_lists_completely_across_pages() {
    let s = signed_fake(7).await;
    let spec = BlingSpec {
        objects: 60,
        min_size: 1,
        max_size: 100,
        ..BlingSpec::default()
    };
    assert_eq!(s.fake.seed_bling(BUCKET, &spec), 60);
    let mut listed = Vec::new();
    let mut start = String::new();
    loop {
        let page = s
            .client
            .get(&format!("{OBJECTS}?fields=name%2Csize{start}"))
            .await
            .json_value()
            .await;
        for o in page["objects"].as_array().unwrap() {
            listed.push(o["name"].as_str().unwrap().to_string());
        }
        match page["nextStartWith"].as_str() {
            Some(next) => start = format!("&start={}", urlencode(next)),
            None => break,
        }
    }
    assert_eq!(listed, s.fake.object_names("bling", BUCKET));
    assert_eq!(
        s.fake.monitor().count("ListObjects"),
        9,
        "60 objects, 7 per page"
    );
    let top = s
        .client
        .get(&format!("{OBJECTS}?delimiter=%2F"))
        .await
        .json_value()
        .await;
    assert_eq!(
        top["prefixes"],
        serde_json::json!(["FOCUS Reports/", "reports/"])
    );
}
