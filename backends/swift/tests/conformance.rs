//! The backend conformance suite on Swift, against a real one-node OpenStack Swift on 127.0.0.1
//! (`ocisync_fakes::swift`: account, container and object servers and a proxy with tempauth),
//! logged in with v1 auth as rclone would: a fresh prefix per case in one container.

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;
use ocisync_fakes::swift::{KEY, Saio, USER, saio};

const CONTAINER: &str = "conformance";

struct Swift {
    saio: Saio,
}

/// A key as it goes in a Swift URL path: every byte but unreserved ones and `/` escaped.
fn encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[async_trait]
impl Fixture for Swift {
    fn name(&self) -> &str {
        "swift (OpenStack Swift, one node)"
    }

    async fn remote(&self, case: &str) -> Remote {
        let mut values = ConfigValues::new();
        for (k, v) in [
            ("auth", self.saio.auth_url.as_str()),
            ("user", USER),
            ("key", KEY),
        ] {
            values.insert(k.into(), RawValue::String(v.into()));
        }
        let global = GlobalOptions::default();
        ocisync_swift::BACKEND
            .open(OpenContext {
                name: "swift",
                path: &format!("{CONTAINER}/{case}"),
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open swift")
    }

    async fn put_raw(&self, case: &str, key: &str, data: &[u8]) -> bool {
        let path = format!("/v1/AUTH_test/{CONTAINER}/{case}/{}", encode(key));
        let status = self.saio.put_raw(&path, data);
        // Swift refuses some names itself (400/412): then it cannot hold the key.
        status == 201
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swift_passes_the_conformance_suite_against_openstack_swift() {
    let saio = tokio::task::spawn_blocking(|| {
        let s = saio();
        s.create_container(CONTAINER);
        s.create_container("v3");
        s
    })
    .await
    .unwrap();
    let fixture = Swift { saio };
    ocisync_conformance::run(&fixture).await;
    // The same Swift, reached through a Keystone v3 login (one server start for both).
    keystone_v3_login_reaches_swift_through_the_catalog(&fixture.saio).await;
    static_large_objects_list_their_size_without_an_md5(&fixture).await;
    an_object_over_the_limit_is_refused_by_name_and_never_stored(&fixture.saio).await;
    times_change_in_place_and_keep_the_rest(&fixture).await;
    rclones_segments_directory_is_left_out_when_rclone_uses_it(&fixture.saio).await;
}

/// `use_segments_container = false`: rclone keeps segments in `.file-segments` at the container
/// root and lists around it; ocisync must too, or a sync to the container would delete them.
async fn rclones_segments_directory_is_left_out_when_rclone_uses_it(saio: &Saio) {
    let token = saio.token();
    saio.create_container("fileseg");
    for key in [".file-segments/big.bin/0001", "top.csv"] {
        let path = format!("/v1/AUTH_test/fileseg/{key}");
        assert_eq!(saio.request("PUT", &path, &token, &[], b"x").0, 201);
    }
    for (setting, wanted) in [
        ("false", vec!["top.csv"]),
        ("true", vec![".file-segments/big.bin/0001", "top.csv"]),
    ] {
        let mut values = ConfigValues::new();
        for (k, v) in [
            ("auth", saio.auth_url.as_str()),
            ("user", USER),
            ("key", KEY),
            ("use_segments_container", setting),
        ] {
            values.insert(k.into(), RawValue::String(v.into()));
        }
        let global = GlobalOptions::default();
        let r = ocisync_swift::BACKEND
            .open(OpenContext {
                name: "seg",
                path: "fileseg",
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .unwrap();
        let mut list = r.list(true).await.unwrap();
        let mut seen = Vec::new();
        while let Some(o) = futures::StreamExt::next(&mut list).await {
            seen.push(o.unwrap().path.to_string());
        }
        assert_eq!(seen, wanted, "use_segments_container = {setting}");
    }
}

/// `set_modtime` (what `sync` does when only the time differs) POSTs the new `mtime` with what
/// the object had: its other metadata, its content type, and a dynamic large object's manifest
/// header — without which the POST would leave a 0-byte object.
async fn times_change_in_place_and_keep_the_rest(f: &Swift) {
    let saio = &f.saio;
    let r = f.remote("set-mtime").await;
    let t1: jiff::Timestamp = "2026-03-01T06:07:08.123456789Z".parse().unwrap();
    let t2: jiff::Timestamp = "2026-04-02T01:02:03.5Z".parse().unwrap();
    let mut meta = r.write_metadata(Some(t1), None, false).unwrap();
    meta.insert("owner".into(), "finops".into());
    r.op.write_with("keep.csv", b"a,b\n".to_vec())
        .user_metadata(meta)
        .content_type("text/csv")
        .await
        .unwrap();
    r.set_modtime("keep.csv", t2).await.unwrap();
    let st = r.stat("keep.csv").await.unwrap();
    assert_eq!(st.mtime, Some(t2), "the new time");
    let token = saio.token();
    let (_, headers) = saio.request(
        "HEAD",
        &format!("/v1/AUTH_test/{CONTAINER}/set-mtime/keep.csv"),
        &token,
        &[],
        b"",
    );
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("x-object-meta-owner").as_deref(), Some("finops"));
    assert_eq!(header("content-type").as_deref(), Some("text/csv"));
    assert_eq!(r.op.read("keep.csv").await.unwrap().to_vec(), b"a,b\n");
    // A dynamic large object (as rclone writes them): still whole after its time changed.
    let parts = [
        ocisync_conformance::content(41, 1000),
        ocisync_conformance::content(42, 500),
    ];
    for (i, part) in parts.iter().enumerate() {
        let path = format!("/v1/AUTH_test/{CONTAINER}/dlo-segments/{i:08}");
        assert_eq!(saio.request("PUT", &path, &token, &[], part).0, 201);
    }
    let manifest = format!("{CONTAINER}/dlo-segments/");
    let (status, _) = saio.request(
        "PUT",
        &format!("/v1/AUTH_test/{CONTAINER}/set-mtime/dlo.bin"),
        &token,
        &[("X-Object-Manifest", &manifest)],
        b"",
    );
    assert_eq!(status, 201);
    r.set_modtime("dlo.bin", t2).await.unwrap();
    assert_eq!(r.stat("dlo.bin").await.unwrap().mtime, Some(t2));
    assert_eq!(
        r.op.read("dlo.bin").await.unwrap().to_vec(),
        parts.concat(),
        "the manifest survived the POST"
    );
}

/// The single-request limit (5 GiB on Swift, lowered here): the write that crosses it fails
/// naming the file, and the `PUT` already streaming is cut before its end, so Swift stores
/// nothing — not a truncated object.
async fn an_object_over_the_limit_is_refused_by_name_and_never_stored(saio: &Saio) {
    let token = saio.token();
    let target = ocisync_swift::put::Target {
        client: ocisync_backend::transport::client_builder()
            .build()
            .unwrap(),
        storage_url: saio.storage_url.clone(),
        container: CONTAINER.into(),
        root: "/limit/".into(),
        token: ocisync_backend::Secret::new(token.clone()),
        max_object: 1000,
    };
    let op = opendal::Operator::new(
        opendal::services::Swift::default()
            .endpoint(&saio.storage_url)
            .container(CONTAINER)
            .root("/limit/")
            .token(&token),
    )
    .unwrap()
    .layer(ocisync_swift::put::SwiftLayer {
        target: std::sync::Arc::new(target),
        no_large_objects: false,
    });
    let mut w = op.writer("big/report.csv").await.unwrap();
    w.write(vec![b'a'; 600]).await.unwrap();
    let e = w.write(vec![b'b'; 600]).await.unwrap_err();
    assert!(
        e.to_string().contains("big/report.csv") && e.to_string().contains("over 1000 bytes"),
        "{e}"
    );
    drop(w);
    // At the limit exactly is fine.
    op.write("big/exact.csv", vec![b'c'; 1000]).await.unwrap();
    let (status, _) = saio.request(
        "HEAD",
        &format!("/v1/AUTH_test/{CONTAINER}/limit/big/exact.csv"),
        &token,
        &[],
        b"",
    );
    assert_eq!(status, 200);
    let (status, _) = saio.request(
        "HEAD",
        &format!("/v1/AUTH_test/{CONTAINER}/limit/big/report.csv"),
        &token,
        &[],
        b"",
    );
    assert_eq!(
        status,
        404,
        "an aborted PUT must store nothing\n{}",
        saio.log()
    );
}

/// A static large object (two segments and a manifest, as python-swiftclient or OpenDAL write
/// them): its listing `hash` is not the content's MD5, so the listing must give its size and no
/// MD5 — and reading it gives the whole content.
async fn static_large_objects_list_their_size_without_an_md5(f: &Swift) {
    let saio = &f.saio;
    let one = ocisync_conformance::content(31, 1 << 20);
    let two = ocisync_conformance::content(32, 1000);
    let token = saio.token();
    let mut manifest = Vec::new();
    for (i, part) in [&one, &two].into_iter().enumerate() {
        let path = format!("/v1/AUTH_test/{CONTAINER}/slo-segments/{i}");
        let (status, headers) = saio.request("PUT", &path, &token, &[], part);
        assert_eq!(status, 201, "segment {i}");
        let etag = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("etag"))
            .map(|(_, v)| v.trim_matches('"').to_string())
            .unwrap();
        manifest.push(serde_json::json!({
            "path": format!("{CONTAINER}/slo-segments/{i}"),
            "etag": etag,
        }));
    }
    let body = serde_json::to_vec(&manifest).unwrap();
    let path = format!("/v1/AUTH_test/{CONTAINER}/slo/whole.bin?multipart-manifest=put");
    let (status, _) = saio.request("PUT", &path, &token, &[], &body);
    assert_eq!(status, 201, "SLO manifest\n{}", saio.log());
    let r = f.remote("slo").await;
    let mut list = r.list(true).await.unwrap();
    let mut seen = Vec::new();
    while let Some(o) = futures::StreamExt::next(&mut list).await {
        seen.push(o.unwrap());
    }
    assert_eq!(seen.len(), 1, "{seen:?}");
    let whole = [one.clone(), two.clone()].concat();
    assert_eq!(seen[0].path.as_ref() as &str, "whole.bin");
    assert_eq!(seen[0].size, whole.len() as u64, "the SLO's listed size");
    assert_eq!(
        seen[0].md5, None,
        "an SLO's listing hash is not its content's MD5"
    );
    assert_eq!(r.op.read("whole.bin").await.unwrap().to_vec(), whole);
}

/// A Keystone v3 stand-in on 127.0.0.1 (no Keystone is installable here): it records the login
/// request and answers with a real tempauth `token` and a catalog whose object-store endpoints
/// are `storage_url` in `RegionOne` and a wrong URL in `RegionTwo`.
fn keystone(token: String, storage_url: String) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v3", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = tx.send(format!(
                "{}\n{}",
                request_line.trim(),
                String::from_utf8_lossy(&body)
            ));
            let answer = serde_json::json!({ "token": { "catalog": [
                { "type": "object-store", "endpoints": [
                    { "interface": "public", "region": "RegionTwo", "url": "http://127.0.0.1:9/v1/AUTH_wrong" },
                    { "interface": "internal", "region": "RegionOne", "url": "http://127.0.0.1:9/v1/AUTH_internal" },
                    { "interface": "public", "region": "RegionOne", "url": storage_url },
                ] },
            ] } })
            .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 201 Created\r\nX-Subject-Token: {token}\r\nContent-Type: \
                 application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, rx)
}

/// Keystone v3: the password login rclone would send, the catalog's endpoint for the region
/// and interface, and the token it returned, working against the real Swift.
async fn keystone_v3_login_reaches_swift_through_the_catalog(saio: &Saio) {
    let (auth, requests) = keystone(saio.token(), saio.storage_url.clone());
    let mut values = ConfigValues::new();
    for (k, v) in [
        ("auth", auth.as_str()),
        ("user", "alice"),
        ("key", "v3-pa55"),
        ("domain", "Users"),
        ("tenant", "reports"),
        ("region", "RegionOne"),
    ] {
        values.insert(k.into(), RawValue::String(v.into()));
    }
    let global = GlobalOptions::default();
    let remote = ocisync_swift::BACKEND
        .open(OpenContext {
            name: "v3",
            path: "v3/prefix",
            values: &values,
            credentials: None,
            global: &global,
        })
        .await
        .expect("open swift through keystone v3");
    let seen = requests.recv().unwrap();
    assert!(seen.starts_with("POST /v3/auth/tokens "), "{seen}");
    let body: serde_json::Value = serde_json::from_str(seen.split_once('\n').unwrap().1).unwrap();
    assert_eq!(
        body["auth"]["identity"]["password"]["user"],
        serde_json::json!({ "name": "alice", "password": "v3-pa55", "domain": { "name": "Users" } })
    );
    assert_eq!(
        body["auth"]["scope"]["project"],
        serde_json::json!({ "name": "reports", "domain": { "name": "Users" } })
    );
    // The RegionOne public endpoint was chosen: the write lands in the real Swift.
    remote.op.write("a.csv", b"v3".to_vec()).await.unwrap();
    assert_eq!(remote.op.read("a.csv").await.unwrap().to_vec(), b"v3");
    let (status, _) = saio.request(
        "HEAD",
        "/v1/AUTH_test/v3/prefix/a.csv",
        &saio.token(),
        &[],
        b"",
    );
    assert_eq!(status, 200);
}
