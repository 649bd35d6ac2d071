//! The `oracleobjectstorage` backend against the fake OCI Object Storage on 127.0.0.1, through
//! the operator its `open` builds: listings, reads, writes (single and multipart), metadata,
//! deletes, awkward names, signatures, retries, and the errors an operator reads.

use std::path::PathBuf;

use ocisync_backend::opendal::{self, Buffer};
use ocisync_backend::{
    Backend, ConfigValues, ErrorKind, GlobalOptions, Md5, OpenContext, RawValue, Remote,
};
use ocisync_fakes::faults::{FaultAction, FaultRule};
use ocisync_fakes::keys::TestKeyPair;
use ocisync_fakes::objectstorage::{
    ArchivalState, Config, FakeObjectStorage, SeedObject, StorageTier,
};
use ocisync_oracle::objectstorage::BACKEND;

use futures::TryStreamExt;

const NS: &str = "axzbp3kgiaim";
const BUCKET: &str = "reports";
const MIB: usize = 1 << 20;

/// A fake that takes unsigned requests (`provider = no_auth`).
async fn unsigned_fake(page_size: usize) -> FakeObjectStorage {
    let config = Config {
        namespace: NS.into(),
        require_signatures: false,
        page_size,
        ..Config::default()
    };
    let fake = FakeObjectStorage::start(config).await.expect("start fake");
    fake.create_bucket(NS, BUCKET);
    fake
}

fn values(pairs: &[(&str, &str)]) -> ConfigValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), RawValue::String(v.to_string())))
        .collect()
}

/// `provider = no_auth` pointed at the fake, plus `extra`.
fn no_auth(fake: &FakeObjectStorage, extra: &[(&str, &str)]) -> ConfigValues {
    let mut v = values(&[
        ("provider", "no_auth"),
        ("namespace", NS),
        ("endpoint", &fake.base_url()),
    ]);
    v.extend(values(extra));
    v
}

async fn open(name: &str, path: &str, values: &ConfigValues) -> ocisync_backend::Result<Remote> {
    opendal::install_default();
    let global = GlobalOptions {
        low_level_retries: 4,
        ..GlobalOptions::default()
    };
    let ctx = OpenContext {
        name,
        path,
        values,
        credentials: None,
        global: &global,
    };
    BACKEND.open(ctx).await
}

/// Deterministic bytes that don't repeat at part boundaries.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn md5_base64(bytes: &[u8]) -> String {
    Md5::of(bytes).to_base64()
}

/// Request targets the fake logged for one operation.
fn targets(fake: &FakeObjectStorage, operation: &str) -> Vec<ocisync_fakes::monitor::LogEntry> {
    fake.monitor()
        .log()
        .into_iter()
        .filter(|e| e.operation == operation)
        .collect()
}

#[tokio::test]
async fn listing_pages_through_nextstartwith_and_needs_no_heads() {
    let fake = unsigned_fake(7).await;
    let objects: Vec<(String, Vec<u8>)> = (0..50)
        .map(|i| (format!("cost/2026/{i:02}.csv.gz"), data(100 + i, i as u64)))
        .collect();
    fake.seed_all(
        NS,
        BUCKET,
        objects
            .iter()
            .map(|(n, d)| SeedObject::new(n.clone(), d.clone())),
    );
    fake.seed_all(
        NS,
        BUCKET,
        (0..5).map(|i| SeedObject::new(format!("other/{i}"), "x")),
    );
    let remote = open("oci", "reports/cost", &no_auth(&fake, &[]))
        .await
        .unwrap();

    let listed: Vec<_> = remote
        .list(true)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();

    let names: Vec<_> = listed.iter().map(|o| o.path.to_string()).collect();
    let want: Vec<_> = objects
        .iter()
        .map(|(n, _)| n.trim_start_matches("cost/").to_string())
        .collect();
    assert_eq!(names, want, "every object once, in name order");
    for (info, (_, bytes)) in listed.iter().zip(&objects) {
        assert_eq!(info.size, bytes.len() as u64);
        assert_eq!(
            info.md5,
            Some(Md5::of(bytes)),
            "{}: the listing's md5",
            info.path
        );
        assert!(
            info.mtime.is_some() && !info.mtime_exact,
            "listing time is the upload time"
        );
    }
    // 50 names at 7 a page: 8 ListObjects, and nothing else per object.
    assert_eq!(fake.monitor().count("ListObjects"), 8);
    assert_eq!(
        fake.monitor().count("HeadObject") + fake.monitor().count("GetObject"),
        0
    );
    let first = &targets(&fake, "ListObjects")[0].target;
    assert!(first.contains("prefix=cost%2F"), "{first}");
    assert!(first.contains("fields=name%2Csize%2Cetag%2Cmd5%2CtimeCreated%2CtimeModified%2CstorageTier%2CarchivalState"), "{first}");
    assert!(
        !first.contains("delimiter"),
        "recursive listings have no delimiter: {first}"
    );
    assert!(
        targets(&fake, "ListObjects")[1..]
            .iter()
            .all(|e| e.target.contains("start=cost%2F2026%2F"))
    );

    let rest = remote
        .op
        .list_with("/")
        .recursive(true)
        .start_after("2026/46.csv.gz")
        .await
        .unwrap();
    let rest: Vec<_> = rest.iter().map(|e| e.path()).collect();
    assert_eq!(rest, ["2026/47.csv.gz", "2026/48.csv.gz", "2026/49.csv.gz"]);
    let last = targets(&fake, "ListObjects").pop().unwrap().target;
    assert!(
        last.contains("startAfter=cost%2F2026%2F46.csv.gz"),
        "{last}"
    );
}

#[tokio::test]
async fn one_level_listing_shows_prefixes_as_directories_in_order() {
    let fake = unsigned_fake(3).await;
    for name in [
        "top/a.txt",
        "top/b/1",
        "top/b/2",
        "top/c/3",
        "top/d.txt",
        "top/c/x/4",
    ] {
        fake.seed(NS, BUCKET, SeedObject::new(name, "x"));
    }
    let remote = open("oci", "reports/top", &no_auth(&fake, &[]))
        .await
        .unwrap();

    let entries = remote.op.list_with("/").await.unwrap();
    let paths: Vec<_> = entries
        .iter()
        .map(|e| e.path())
        .filter(|p| *p != "/")
        .collect();
    assert_eq!(paths, ["a.txt", "b/", "c/", "d.txt"]);
    assert!(
        entries
            .iter()
            .filter(|e| e.path().ends_with('/'))
            .all(|e| e.metadata().is_dir())
    );
    assert!(
        targets(&fake, "ListObjects")
            .iter()
            .all(|e| e.target.contains("delimiter=%2F"))
    );
}

#[tokio::test]
async fn stat_and_ranged_read() {
    let fake = unsigned_fake(1000).await;
    let bytes = data(1000, 1);
    fake.seed(
        NS,
        BUCKET,
        SeedObject::new("r/data.bin", bytes.clone()).meta("mtime", "1704164645.123456789"),
    );
    let remote = open("oci", "reports/r", &no_auth(&fake, &[]))
        .await
        .unwrap();

    let meta = remote.op.stat("data.bin").await.unwrap();
    assert_eq!(meta.content_length(), 1000);
    assert_eq!(meta.content_md5(), Some(md5_base64(&bytes).as_str()));
    assert_eq!(
        meta.user_metadata().unwrap().get("mtime"),
        Some("1704164645.123456789")
    );
    assert_eq!(
        meta.user_metadata().unwrap().get("storage-tier"),
        Some("Standard")
    );

    let part = remote
        .op
        .read_with("data.bin")
        .range(100..200)
        .await
        .unwrap();
    assert_eq!(part.to_vec(), &bytes[100..200]);
    let gets = targets(&fake, "GetObject");
    assert_eq!(
        gets.last()
            .unwrap()
            .headers
            .get("range")
            .map(String::as_str),
        Some("bytes=100-199")
    );

    let info = remote.stat("data.bin").await.unwrap();
    assert_eq!(
        info.mtime,
        Some(jiff::Timestamp::new(1704164645, 123456789).unwrap())
    );
    assert!(info.mtime_exact);

    let missing = remote.stat("nope.bin").await.unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound, "{missing}");
}

#[tokio::test]
async fn a_get_hands_its_metadata_to_the_reader() {
    let fake = unsigned_fake(1000).await;
    let bytes = data(4096, 2);
    fake.seed(
        NS,
        BUCKET,
        SeedObject::new("g/x.csv", bytes.clone()).meta("mtime", "1714979289"),
    );
    let remote = open("oci", "reports/g", &no_auth(&fake, &[]))
        .await
        .unwrap();

    let reader = remote.op.reader("x.csv").await.unwrap();
    let mut stream = reader.into_stream(..).await.unwrap();
    let meta = stream.metadata().await.unwrap();
    assert_eq!(
        meta.user_metadata().unwrap().get("mtime"),
        Some("1714979289")
    );
    assert_eq!(meta.content_length(), 4096);
    assert_eq!(meta.content_md5(), Some(md5_base64(&bytes).as_str()));
    let read: Vec<Buffer> = stream.try_collect().await.unwrap();
    assert_eq!(
        read.into_iter().flatten().flatten().collect::<Vec<u8>>(),
        bytes
    );
    assert_eq!(
        fake.monitor().count("HeadObject"),
        0,
        "no HEAD besides the GET"
    );
    assert_eq!(fake.monitor().count("GetObject"), 1);
}

#[tokio::test]
async fn small_write_is_one_put_with_content_md5_and_metadata() {
    let fake = unsigned_fake(1000).await;
    let remote = open("oci", "reports/w", &no_auth(&fake, &[]))
        .await
        .unwrap();

    remote
        .op
        .write_with("note.txt", "hello, bucket")
        .content_type("text/plain")
        .user_metadata([("mtime".to_string(), "1704164645.5".to_string())])
        .await
        .unwrap();

    let puts = targets(&fake, "PutObject");
    assert_eq!(puts.len(), 1);
    assert_eq!(
        puts[0].headers.get("content-md5"),
        Some(&md5_base64(b"hello, bucket"))
    );
    assert_eq!(
        puts[0].headers.get("storage-tier").map(String::as_str),
        Some("Standard")
    );
    assert!(
        puts[0]
            .headers
            .get("user-agent")
            .is_some_and(|u| u.starts_with("ocisync/"))
    );
    assert!(puts[0].headers.contains_key("opc-client-request-id"));
    assert_eq!(fake.monitor().count("CreateMultipartUpload"), 0);
    assert_eq!(
        fake.monitor().count("HeadBucket"),
        1,
        "the bucket is checked before the first write"
    );

    let stored = fake.object(NS, BUCKET, "w/note.txt").unwrap();
    assert_eq!(&stored.data[..], b"hello, bucket");
    assert_eq!(
        stored.metadata.get("mtime").map(String::as_str),
        Some("1704164645.5")
    );
    assert_eq!(stored.headers.content_type.as_deref(), Some("text/plain"));

    // The mtime comes back through stat, as the engine reads it.
    let info = remote.stat("note.txt").await.unwrap();
    assert_eq!(
        info.mtime,
        Some(jiff::Timestamp::new(1704164645, 500_000_000).unwrap())
    );

    // A second write does not check the bucket again.
    remote.op.write("again.txt", "x").await.unwrap();
    assert_eq!(fake.monitor().count("HeadBucket"), 1);

    // An empty object is a PutObject of zero bytes, with the MD5 of nothing.
    remote.op.write("empty", Vec::<u8>::new()).await.unwrap();
    assert_eq!(fake.object(NS, BUCKET, "w/empty").unwrap().data.len(), 0);
    let put = targets(&fake, "PutObject").pop().unwrap();
    assert_eq!(put.headers.get("content-md5"), Some(&md5_base64(b"")));
    assert_eq!(
        put.headers.get("content-length").map(String::as_str),
        Some("0")
    );
}

#[tokio::test]
async fn large_write_goes_multipart_with_verified_md5() {
    let fake = unsigned_fake(1000).await;
    let remote = open("oci", "reports/big", &no_auth(&fake, &[]))
        .await
        .unwrap();
    let bytes = data(30 * MIB, 3);

    let mut w = remote
        .op
        .writer_with("blob.bin")
        .chunk(5 * MIB)
        .concurrent(4)
        .user_metadata([("mtime".to_string(), "1714979289".to_string())])
        .await
        .unwrap();
    for piece in bytes.chunks(3 * MIB + 17) {
        w.write(piece.to_vec()).await.unwrap();
    }
    let written = w.close().await.unwrap();

    assert_eq!(fake.monitor().count("CreateMultipartUpload"), 1);
    assert_eq!(fake.monitor().count("UploadPart"), 6);
    assert_eq!(fake.monitor().count("CommitMultipartUpload"), 1);
    assert_eq!(fake.monitor().count("PutObject"), 0);
    let parts = targets(&fake, "UploadPart");
    let mut numbers: Vec<_> = parts
        .iter()
        .map(|p| {
            p.target
                .split("uploadPartNum=")
                .nth(1)
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6], "OCI parts count from 1");
    for (i, chunk) in bytes.chunks(5 * MIB).enumerate() {
        let part = parts
            .iter()
            .find(|p| p.target.ends_with(&format!("uploadPartNum={}", i + 1)))
            .unwrap();
        assert_eq!(
            part.headers.get("content-md5"),
            Some(&md5_base64(chunk)),
            "part {}",
            i + 1
        );
    }

    let stored = fake.object(NS, BUCKET, "big/blob.bin").unwrap();
    assert!(stored.data[..] == bytes[..], "content intact");
    assert_eq!(
        stored.metadata.get("mtime").map(String::as_str),
        Some("1714979289")
    );
    let multipart_md5 = stored.md5.multipart_md5().unwrap();
    assert!(multipart_md5.ends_with("-6"));
    assert_eq!(
        written.content_md5(),
        Some(multipart_md5.as_str()),
        "the verified commit md5"
    );
    assert!(fake.pending_uploads(NS, BUCKET).is_empty());

    // Listed, the multipart md5 is passed through and not taken for the content's.
    let meta = remote.op.stat("blob.bin").await.unwrap();
    assert_eq!(meta.content_md5(), Some(multipart_md5.as_str()));
    let listed: Vec<_> = remote
        .list(true)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].md5, None);
}

#[tokio::test]
async fn parts_grow_to_stay_within_max_upload_parts() {
    let fake = unsigned_fake(1000).await;
    let remote = open(
        "oci",
        "reports/big",
        &no_auth(&fake, &[("max_upload_parts", "3")]),
    )
    .await
    .unwrap();
    let bytes = data(30 * MIB, 4);

    remote
        .op
        .write_with("blob.bin", bytes.clone())
        .chunk(5 * MIB)
        .await
        .unwrap();

    // 5 + 10 + 15 MiB instead of six 5 MiB parts.
    assert_eq!(fake.monitor().count("UploadPart"), 3);
    assert!(fake.object(NS, BUCKET, "big/blob.bin").unwrap().data[..] == bytes[..]);
}

#[tokio::test]
async fn a_failed_commit_aborts_the_upload_unless_told_to_leave_parts() {
    for leave in [false, true] {
        let fake = unsigned_fake(1000).await;
        let setting = if leave { "true" } else { "false" };
        let remote = open(
            "oci",
            "reports",
            &no_auth(&fake, &[("leave_parts_on_error", setting)]),
        )
        .await
        .unwrap();
        fake.faults().add(
            FaultRule::new(FaultAction::Status {
                status: 400,
                retry_after: None,
            })
            .operation("CommitMultipartUpload"),
        );

        let err = remote
            .op
            .write_with("x.bin", data(11 * MIB, 5))
            .chunk(5 * MIB)
            .await
            .unwrap_err();

        assert!(!err.is_temporary(), "{err}");
        assert_eq!(
            fake.monitor().count("AbortMultipartUpload"),
            if leave { 0 } else { 1 }
        );
        assert_eq!(
            fake.pending_uploads(NS, BUCKET).len(),
            if leave { 1 } else { 0 }
        );
        assert!(fake.object(NS, BUCKET, "x.bin").is_none());
    }
}

#[tokio::test]
async fn delete_removes_and_tolerates_missing_objects() {
    let fake = unsigned_fake(1000).await;
    fake.seed(NS, BUCKET, SeedObject::new("d/gone.txt", "x"));
    let remote = open("oci", "reports/d", &no_auth(&fake, &[]))
        .await
        .unwrap();

    remote.op.delete("gone.txt").await.unwrap();
    assert!(fake.object(NS, BUCKET, "d/gone.txt").is_none());
    remote.op.delete("gone.txt").await.unwrap();
    assert_eq!(fake.monitor().count("DeleteObject"), 2);
    assert_eq!(
        remote.stat("gone.txt").await.unwrap_err().kind,
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn awkward_names_are_encoded_exactly_once() {
    let fake = unsigned_fake(4).await;
    // The root itself has a space, a plus and a percent sign.
    let remote = open("oci", "reports/odd root+50%", &no_auth(&fake, &[]))
        .await
        .unwrap();
    let names = [
        "with space.txt",
        "plus+sign.txt",
        "100%.txt",
        "%2F-looks-encoded.txt",
        "hash#tag.txt",
        "what?.txt",
        "a&b=c;d.txt",
        "FOCUS Reports/2026/11/27/x.csv.gz",
        "ünïcødé/日本語.txt",
    ];
    for (i, name) in names.iter().enumerate() {
        remote.op.write(name, format!("content {i}")).await.unwrap();
    }

    let mut stored = fake.object_names(NS, BUCKET);
    stored.sort();
    let mut want: Vec<_> = names.iter().map(|n| format!("odd root+50%/{n}")).collect();
    want.sort();
    assert_eq!(stored, want, "the service sees the names as written");

    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            remote.op.stat(name).await.unwrap().content_length(),
            format!("content {i}").len() as u64
        );
        assert_eq!(
            remote.op.read(name).await.unwrap().to_vec(),
            format!("content {i}").as_bytes(),
            "{name}"
        );
    }
    let listed: Vec<_> = remote
        .list(true)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut listed: Vec<_> = listed.iter().map(|o| o.path.to_string()).collect();
    listed.sort();
    let mut sorted_names: Vec<_> = names.iter().map(|n| n.to_string()).collect();
    sorted_names.sort();
    assert_eq!(listed, sorted_names);

    let focus = open(
        "oci",
        "reports/odd root+50%/FOCUS Reports",
        &no_auth(&fake, &[]),
    )
    .await
    .unwrap();
    let listed: Vec<_> = focus.list(true).await.unwrap().try_collect().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(&*listed[0].path, "2026/11/27/x.csv.gz");

    for name in names {
        remote.op.delete(name).await.unwrap();
    }
    assert!(fake.object_names(NS, BUCKET).is_empty());
}

#[tokio::test]
async fn archive_tier_objects_are_classified_unreadable() {
    let fake = unsigned_fake(1000).await;
    fake.seed(
        NS,
        BUCKET,
        SeedObject::new("t/archived", "a").tier(StorageTier::Archive),
    );
    fake.seed(
        NS,
        BUCKET,
        SeedObject::new("t/restored", "b")
            .tier(StorageTier::Archive)
            .archival_state(ArchivalState::Restored),
    );
    fake.seed(NS, BUCKET, SeedObject::new("t/standard", "c"));
    let remote = open("oci", "reports/t", &no_auth(&fake, &[]))
        .await
        .unwrap();

    let listed: Vec<_> = remote
        .list(true)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let unreadable: Vec<_> = listed
        .iter()
        .map(|o| (o.path.to_string(), o.unreadable.is_some()))
        .collect();
    assert_eq!(
        unreadable,
        [
            ("archived".into(), true),
            ("restored".into(), false),
            ("standard".into(), false)
        ]
    );
    assert!(listed[0].unreadable.as_deref().unwrap().contains("restore"));
    assert!(
        remote.stat("archived").await.unwrap().unreadable.is_some(),
        "a HEAD classifies too"
    );
}

#[tokio::test]
async fn server_errors_are_retried_by_the_layer() {
    let fake = unsigned_fake(1000).await;
    fake.seed(NS, BUCKET, SeedObject::new("f/x", "payload"));
    let remote = open("oci", "reports/f", &no_auth(&fake, &[]))
        .await
        .unwrap();
    fake.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 503,
            retry_after: Some(1),
        })
        .operation("GetObject"),
    );
    fake.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 429,
            retry_after: None,
        })
        .operation("ListObjects"),
    );

    assert_eq!(remote.op.read("x").await.unwrap().to_vec(), b"payload");
    assert_eq!(fake.monitor().count("GetObject"), 2);
    let listed: Vec<_> = remote
        .list(true)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(fake.monitor().count("ListObjects"), 2);
}

#[tokio::test]
async fn a_truncated_body_is_read_again_from_where_it_broke() {
    let fake = unsigned_fake(1000).await;
    let bytes = data(64 * 1024, 6);
    fake.seed(NS, BUCKET, SeedObject::new("f/cut.bin", bytes.clone()));
    let remote = open("oci", "reports/f", &no_auth(&fake, &[]))
        .await
        .unwrap();
    fake.faults()
        .add(FaultRule::new(FaultAction::Truncate { bytes: 1000 }).operation("GetObject"));

    assert!(remote.op.read("cut.bin").await.unwrap().to_vec() == bytes);
    let gets = targets(&fake, "GetObject");
    assert_eq!(gets.len(), 2, "one retry");
    let resumed = gets[1]
        .headers
        .get("range")
        .expect("the retry asks for the rest");
    assert!(
        resumed.starts_with("bytes=") && resumed != "bytes=0-65535",
        "{resumed}"
    );
}

#[tokio::test]
async fn a_401_is_retried_once_after_refreshing() {
    let fake = unsigned_fake(1000).await;
    fake.seed(NS, BUCKET, SeedObject::new("a/x", "1"));
    let remote = open("oci", "reports/a", &no_auth(&fake, &[]))
        .await
        .unwrap();
    fake.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 401,
            retry_after: None,
        })
        .operation("ListObjects"),
    );

    let listed: Vec<_> = remote
        .list(true)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(fake.monitor().count("ListObjects"), 2);

    // Twice in a row is an answer, not a glitch.
    fake.faults().add(
        FaultRule::new(FaultAction::Status {
            status: 401,
            retry_after: None,
        })
        .operation("ListObjects")
        .times(2),
    );
    let err = remote
        .list(true)
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth, "{err}");
    assert_eq!(fake.monitor().count("ListObjects"), 4);
}

#[tokio::test]
async fn the_namespace_is_asked_once_when_not_configured() {
    let fake = unsigned_fake(1000).await;
    fake.seed(NS, BUCKET, SeedObject::new("n/x", "1"));
    let v = values(&[("provider", "no_auth"), ("endpoint", &fake.base_url())]);
    let remote = open("oci", "reports/n", &v).await.unwrap();

    remote.op.stat("x").await.unwrap();
    remote.op.read("x").await.unwrap();
    let _: Vec<_> = remote
        .list(true)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(fake.monitor().count("GetNamespace"), 1);
}

#[tokio::test]
async fn a_missing_bucket_is_a_missing_root_with_request_id_and_policy_hint() {
    let config = Config {
        namespace: "bling".into(),
        require_signatures: false,
        ..Config::default()
    };
    let fake = FakeObjectStorage::start(config).await.unwrap();
    let v = values(&[
        ("provider", "no_auth"),
        ("namespace", "bling"),
        ("endpoint", &fake.base_url()),
    ]);
    let remote = open("oci_usage", "ocid1.tenancy.oc1..nope/reports", &v)
        .await
        .unwrap();

    let err = remote
        .list(true)
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.kind, ErrorKind::DirNotFound, "{text}");
    assert!(
        text.starts_with("oci_usage: list ocid1.tenancy.oc1..nope/reports: BucketNotFound (404): "),
        "{text}"
    );
    assert!(text.contains("[opc-request-id: "), "{text}");
    assert!(text.contains("define tenancy usage-report as ocid1.tenancy.oc1..aaaaaaaaned4fkpkisbwjlr56u7cj63lf3wffbilvqknstgtvzub7vhqkggq"), "{text}");
    assert!(
        text.contains("endorse group <group> to read objects in tenancy usage-report"),
        "{text}"
    );

    // Writes check the bucket first and never create it.
    let err = remote.op.write("x", "y").await.unwrap_err();
    assert!(err.message().starts_with("BucketNotFound (404)"), "{err}");
    assert!(
        err.message().contains("ocisync never creates buckets"),
        "{err}"
    );
    assert_eq!(fake.monitor().count("CreateBucket"), 0);
    assert_eq!(fake.monitor().count("PutObject"), 0);
}

/// A config file and key for `user_principal_auth`; the key is registered in `fake` when
/// `register` is set.
struct UserPrincipal {
    dir: PathBuf,
}

impl UserPrincipal {
    fn new(fake: &FakeObjectStorage, register: bool) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "ocisync-oos-test-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let key = TestKeyPair::generate().unwrap();
        let (tenancy, user) = ("ocid1.tenancy.oc1..test", "ocid1.user.oc1..test");
        if register {
            fake.keys()
                .register_api_key(tenancy, user, key.public_key());
        }
        let key_file = dir.join("key.pem");
        std::fs::write(&key_file, key.private_key_pem().unwrap().as_bytes()).unwrap();
        // A private key readable by every user is refused, as ssh refuses it.
        std::fs::set_permissions(
            &key_file,
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        let config = format!(
            "[DEFAULT]\nuser={user}\nfingerprint={}\ntenancy={tenancy}\nregion=us-ashburn-1\nkey_file={}\n",
            key.public_key().fingerprint(),
            key_file.display()
        );
        std::fs::write(dir.join("config"), config).unwrap();
        UserPrincipal { dir }
    }

    fn values(&self, fake: &FakeObjectStorage) -> ConfigValues {
        values(&[
            ("provider", "user_principal_auth"),
            ("config_file", &self.dir.join("config").to_string_lossy()),
            ("config_profile", "DEFAULT"),
            ("namespace", NS),
            ("endpoint", &fake.base_url()),
        ])
    }
}

impl Drop for UserPrincipal {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn signing_fake() -> FakeObjectStorage {
    let config = Config {
        namespace: NS.into(),
        require_signatures: true,
        ..Config::default()
    };
    let fake = FakeObjectStorage::start(config).await.unwrap();
    fake.create_bucket(NS, BUCKET);
    fake
}

#[tokio::test]
async fn signed_requests_pass_the_fakes_verification() {
    let fake = signing_fake().await;
    let principal = UserPrincipal::new(&fake, true);
    let remote = open("oci_signed", "reports/s p+c%", &principal.values(&fake))
        .await
        .unwrap();
    let big = data(11 * MIB, 7);

    remote.op.write("small #1.txt", "hi").await.unwrap();
    remote
        .op
        .write_with("big ü.bin", big.clone())
        .chunk(5 * MIB)
        .await
        .unwrap();
    let listed: Vec<_> = remote
        .list(true)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert!(remote.op.read("big ü.bin").await.unwrap().to_vec() == big);
    remote.op.stat("small #1.txt").await.unwrap();
    remote.op.delete("small #1.txt").await.unwrap();

    let log = fake.monitor().log();
    assert!(
        log.iter().all(|e| e.status < 400),
        "{:?}",
        log.iter().filter(|e| e.status >= 400).collect::<Vec<_>>()
    );
    assert_eq!(fake.monitor().count("UploadPart"), 3);
    // Bodies of PutObject/UploadPart are exempt; the multipart POSTs are hashed.
    for e in &log {
        let hashed = e.headers.contains_key("x-content-sha256");
        let exempt = matches!(e.operation, "PutObject" | "UploadPart");
        let has_body = e.method == "POST";
        assert_eq!(hashed, has_body && !exempt, "{} {}", e.operation, e.target);
    }
}

#[tokio::test]
async fn a_key_the_service_does_not_know_is_a_clear_error() {
    let fake = signing_fake().await;
    fake.seed(NS, BUCKET, SeedObject::new("x.csv", "1"));
    let principal = UserPrincipal::new(&fake, false);
    let remote = open("oci_signed", "reports", &principal.values(&fake))
        .await
        .unwrap();

    let err = remote
        .list(true)
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.kind, ErrorKind::Auth, "{text}");
    assert!(
        text.starts_with("oci_signed: list reports: NotAuthenticated (401)"),
        "{text}"
    );
    assert!(
        text.contains("authentication failed") && text.contains("user_principal_auth"),
        "{text}"
    );
    assert!(text.contains("[opc-request-id: "), "{text}");
    assert_eq!(
        fake.monitor().count("ListObjects"),
        2,
        "refreshed and retried once"
    );

    let err = remote.stat("x.csv").await.unwrap_err();
    assert!(
        err.to_string().starts_with("oci_signed: stat x.csv: "),
        "{err}"
    );
    assert_eq!(err.kind, ErrorKind::Auth);
}

#[tokio::test]
async fn configuration_mistakes_are_reported_before_any_request() {
    let fake = unsigned_fake(1000).await;
    let bad = [
        (
            vec![("endpoint", "http://objectstorage.example.com")],
            "endpoint",
        ),
        (vec![("storage_tier", "Cold")], "storage_tier"),
        (vec![("chunk_size", "1Mi")], "chunk_size"),
    ];
    for (extra, key) in bad {
        let mut v = no_auth(&fake, &[]);
        v.extend(values(&extra));
        let problems = BACKEND.validate(&v);
        assert!(
            problems.iter().any(|p| p.key() == key),
            "{key}: {problems:?}"
        );
        let err = open("oci", "reports", &v).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Config, "{err}");
    }
    let err = open("oci", "", &no_auth(&fake, &[])).await.unwrap_err();
    assert!(err.to_string().contains("bucket"), "{err}");
    assert_eq!(fake.monitor().stats().requests, 0);
}
