//! Behaviour tests of the service, in the spirit of OpenDAL's own suite (which crates.io does not
//! ship): a plain `Operator` built from key/value configuration (`Configurator::from_iter`),
//! driven against the fake OCI Object Storage on 127.0.0.1 — stat, read (ranges), write (empty,
//! small, multipart, overwrite), list (flat, recursive, nested, `start_after`), delete, copy, and
//! the declared capability checked against what the service really does.

use bytes::Bytes;
use futures::TryStreamExt;
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage, SeedObject};
use opendal::{Configurator, EntryMode, ErrorKind, Operator};
use opendal_service_oci_objectstorage::ObjectStorageConfig;

const NS: &str = "axzbp3kgiaim";
const BUCKET: &str = "behavior";
/// Under the operator's root; the fake sees `ROOT` + the path.
const ROOT: &str = "suite/";

/// A fresh fake (small pages, so listings cross page boundaries) and an operator on it, rooted
/// at `/suite/`, built the way `Operator::via_iter` builds one.
async fn setup() -> (FakeObjectStorage, Operator) {
    let fake = FakeObjectStorage::start(Config {
        namespace: NS.into(),
        require_signatures: false,
        page_size: 2,
        ..Config::default()
    })
    .await
    .expect("start fake");
    fake.create_bucket(NS, BUCKET);
    opendal::install_default();
    let config = ObjectStorageConfig::from_iter([
        ("endpoint".to_string(), fake.base_url()),
        ("namespace".to_string(), NS.to_string()),
        ("bucket".to_string(), BUCKET.to_string()),
        ("root".to_string(), format!("/{ROOT}")),
        ("auth".to_string(), "no_auth".to_string()),
    ])
    .expect("config");
    let op = Operator::from_config(config).expect("operator");
    (fake, op)
}

fn seed(fake: &FakeObjectStorage, name: &str, data: &'static [u8]) {
    fake.seed(NS, BUCKET, SeedObject::new(format!("{ROOT}{name}"), data));
}

fn stored(fake: &FakeObjectStorage, name: &str) -> Option<Bytes> {
    fake.object(NS, BUCKET, &format!("{ROOT}{name}"))
        .map(|o| o.data)
}

/// Deterministic, non-repeating-per-part content.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

async fn list(op: &Operator, path: &str, recursive: bool) -> Vec<(String, EntryMode)> {
    let mut entries: Vec<(String, EntryMode)> = op
        .lister_with(path)
        .recursive(recursive)
        .await
        .expect("lister")
        .map_ok(|e| (e.path().to_string(), e.metadata().mode()))
        .try_collect()
        .await
        .expect("list");
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

fn files(names: &[&str]) -> Vec<(String, EntryMode)> {
    names
        .iter()
        .map(|n| {
            let mode = if n.ends_with('/') {
                EntryMode::DIR
            } else {
                EntryMode::FILE
            };
            (n.to_string(), mode)
        })
        .collect()
}

#[tokio::test]
async fn stat_gives_the_objects_metadata() {
    let (fake, op) = setup().await;
    seed(&fake, "a/report.csv", b"hello, world");
    let object = fake
        .object(NS, BUCKET, &format!("{ROOT}a/report.csv"))
        .unwrap();

    let meta = op.stat("a/report.csv").await.expect("stat");
    assert_eq!(meta.mode(), EntryMode::FILE);
    assert_eq!(meta.content_length(), 12);
    assert_eq!(meta.etag(), Some(object.etag.as_str()));
    // base64 of MD5("hello, world").
    assert_eq!(meta.content_md5(), Some("5NfxtO0uQtFYmPSyewGdpA=="));
    let modified = meta.last_modified().expect("last-modified");
    assert_eq!(
        modified.into_inner().as_second(),
        object.time_modified.as_second()
    );
    assert_eq!(fake.monitor().count("HeadObject"), 1);
}

#[tokio::test]
async fn stat_of_a_missing_object_is_not_found() {
    let (fake, op) = setup().await;
    seed(&fake, "present", b"x");
    let err = op.stat("absent").await.expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    // A prefix of an existing name is not that object either.
    let err = op.stat("presen").await.expect_err("prefix only");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn read_whole_and_ranges() {
    let (fake, op) = setup().await;
    seed(&fake, "digits", b"0123456789");

    assert_eq!(op.read("digits").await.unwrap().to_vec(), b"0123456789");
    let part = |r: std::ops::Range<u64>| {
        let op = op.clone();
        async move { op.read_with("digits").range(r).await.unwrap().to_vec() }
    };
    assert_eq!(part(2..5).await, b"234");
    assert_eq!(part(0..1).await, b"0");
    assert_eq!(part(9..10).await, b"9");
    // Open-ended: from an offset to the end.
    assert_eq!(
        op.read_with("digits").range(7..).await.unwrap().to_vec(),
        b"789"
    );
    // Suffix: OpenDAL's reads are offset + size, so the last N bytes are asked from the size.
    let len = op.stat("digits").await.unwrap().content_length();
    assert_eq!(
        op.read_with("digits")
            .range(len - 3..)
            .await
            .unwrap()
            .to_vec(),
        b"789"
    );
    // A range past the end is not silently shortened: OpenDAL checks the length it asked for.
    let err = op
        .read_with("digits")
        .range(8..100)
        .await
        .expect_err("short read");
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
    assert!(
        fake.monitor().count("GetObject") >= 6,
        "every read is a GET: {:?}",
        fake.monitor().stats()
    );
}

#[tokio::test]
async fn read_of_a_missing_object_is_not_found() {
    let (_fake, op) = setup().await;
    let err = op.read("nothing/here").await.expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = op
        .read_with("nothing/here")
        .range(0..4)
        .await
        .expect_err("missing, ranged");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn write_empty_small_and_overwrite() {
    let (fake, op) = setup().await;

    op.write("empty", Vec::<u8>::new()).await.expect("empty");
    assert_eq!(stored(&fake, "empty").as_deref(), Some(&b""[..]));
    assert_eq!(op.stat("empty").await.unwrap().content_length(), 0);
    assert!(op.read("empty").await.unwrap().is_empty());

    op.write("dir/small.txt", "small body")
        .await
        .expect("small");
    assert_eq!(
        stored(&fake, "dir/small.txt").as_deref(),
        Some(&b"small body"[..])
    );
    let first_etag = op
        .stat("dir/small.txt")
        .await
        .unwrap()
        .etag()
        .map(str::to_string);

    op.write("dir/small.txt", "replaced")
        .await
        .expect("overwrite");
    assert_eq!(
        op.read("dir/small.txt").await.unwrap().to_vec(),
        b"replaced"
    );
    let meta = op.stat("dir/small.txt").await.unwrap();
    assert_eq!(meta.content_length(), 8);
    assert_ne!(meta.etag().map(str::to_string), first_etag, "a new version");
    assert_eq!(
        fake.monitor().count("UploadPart"),
        0,
        "small bodies are one PutObject"
    );
    assert_eq!(fake.monitor().count("PutObject"), 3);
}

#[tokio::test]
async fn write_multipart_with_chunk() {
    let (fake, op) = setup().await;
    // 11 MiB in 5 MiB chunks, fed in 1 MiB writes: the writer groups them into 3 parts.
    let data = content(11 << 20);
    let mut w = op
        .writer_with("big/object.bin")
        .chunk(5 << 20)
        .await
        .expect("writer");
    for piece in data.chunks(1 << 20) {
        w.write(piece.to_vec()).await.expect("write");
    }
    w.close().await.expect("commit");

    assert_eq!(fake.monitor().count("CreateMultipartUpload"), 1);
    assert_eq!(fake.monitor().count("UploadPart"), 3);
    assert_eq!(fake.monitor().count("CommitMultipartUpload"), 1);
    assert_eq!(fake.monitor().count("PutObject"), 0);
    assert_eq!(
        stored(&fake, "big/object.bin").map(|b| b.len()),
        Some(11 << 20)
    );
    assert_eq!(op.read("big/object.bin").await.unwrap().to_vec(), data);
    // A multipart object's MD5 is OCI's `<base64>-<parts>`, passed through.
    let meta = op.stat("big/object.bin").await.unwrap();
    assert_eq!(meta.content_length(), 11 << 20);
    assert!(
        meta.content_md5().is_some_and(|m| m.ends_with("-3")),
        "{:?}",
        meta.content_md5()
    );
}

#[tokio::test]
async fn list_flat_and_nested_dirs() {
    let (fake, op) = setup().await;
    for name in ["top.txt", "d/1", "d/2", "d/e/3", "d/e/f/4", "z"] {
        seed(&fake, name, b"x");
    }
    // Not under the root: never listed.
    fake.seed(NS, BUCKET, SeedObject::new("suitex/outside", "o"));

    // One level: files and the next directory level, through pages of 2.
    assert_eq!(list(&op, "", false).await, files(&["d/", "top.txt", "z"]));
    assert_eq!(list(&op, "d/", false).await, files(&["d/1", "d/2", "d/e/"]));
    assert_eq!(list(&op, "d/e/", false).await, files(&["d/e/3", "d/e/f/"]));
    assert!(
        fake.monitor().count("ListObjects") > 3,
        "paged: {:?}",
        fake.monitor().stats()
    );
    assert_eq!(
        fake.monitor().count("HeadObject"),
        0,
        "a listing needs no HEADs"
    );
}

#[tokio::test]
async fn list_recursive() {
    let (fake, op) = setup().await;
    for name in ["top.txt", "d/1", "d/e/3", "d/e/f/4"] {
        seed(&fake, name, b"x");
    }
    let all = list(&op, "", true).await;
    let names: Vec<&str> = all
        .iter()
        .filter(|(_, m)| *m == EntryMode::FILE)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["d/1", "d/e/3", "d/e/f/4", "top.txt"]);
    let under_d: Vec<String> = list(&op, "d/e/", true)
        .await
        .into_iter()
        .filter(|(_, m)| *m == EntryMode::FILE)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(under_d, ["d/e/3", "d/e/f/4"]);
    // Listed entries carry the size the listing gave, without a HEAD.
    let entries: Vec<opendal::Entry> = op
        .lister_with("d/")
        .recursive(true)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(
        entries
            .iter()
            .filter(|e| e.metadata().mode() == EntryMode::FILE)
            .all(|e| e.metadata().content_length() == 1)
    );
    assert_eq!(fake.monitor().count("HeadObject"), 0);
}

#[tokio::test]
async fn list_start_after_and_an_empty_prefix() {
    let (fake, op) = setup().await;
    assert!(op.info().capability().list_with_start_after);
    for name in ["k/a", "k/b", "k/c", "k/d", "k/e"] {
        seed(&fake, name, b"x");
    }
    let after: Vec<String> = op
        .lister_with("k/")
        .recursive(true)
        .start_after("k/b")
        .await
        .unwrap()
        .map_ok(|e| e.path().to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(after, ["k/c", "k/d", "k/e"]);

    // A prefix with nothing under it lists nothing, and is no error.
    assert!(list(&op, "nothing/", false).await.is_empty());
    assert!(list(&op, "nothing/", true).await.is_empty());
}

#[tokio::test]
async fn delete_existing_and_missing() {
    let (fake, op) = setup().await;
    seed(&fake, "gone", b"bye");
    seed(&fake, "kept", b"stay");
    op.delete("gone").await.expect("delete");
    assert!(stored(&fake, "gone").is_none());
    assert!(stored(&fake, "kept").is_some(), "only the one named");
    // Deleting what is not there is Ok, as in every OpenDAL service.
    op.delete("gone").await.expect("delete again");
    op.delete("never/was").await.expect("delete missing");
    assert_eq!(fake.monitor().count("DeleteObject"), 3);
}

#[tokio::test]
async fn capability_is_what_the_service_does() {
    let (fake, op) = setup().await;
    let cap = op.info().capability();
    for (name, declared) in [
        ("stat", cap.stat),
        ("read", cap.read),
        ("write", cap.write),
        ("write_can_empty", cap.write_can_empty),
        ("write_can_multi", cap.write_can_multi),
        ("delete", cap.delete),
        ("list", cap.list),
        ("list_with_recursive", cap.list_with_recursive),
        ("list_with_start_after", cap.list_with_start_after),
    ] {
        assert!(declared, "{name} is exercised by this suite and works");
    }
    assert_eq!(cap.write_multi_min_size, Some(5 << 20), "rclone's chunk");

    // Not declared, and refused without touching the server.
    assert_eq!(
        (cap.copy, cap.rename, cap.presign),
        (false, false, false),
        "{cap:?}"
    );
    seed(&fake, "src", b"s");
    let before = fake.monitor().stats();
    let err = op.copy("src", "dst").await.expect_err("no copy");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    let err = op.rename("src", "dst").await.expect_err("no rename");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(stored(&fake, "dst").is_none());
    assert_eq!(fake.monitor().stats(), before, "no request was sent");

    // `limit` is declared: a listing asks pages of that size.
    assert!(cap.list_with_limit);
    for name in ["l/1", "l/2", "l/3"] {
        seed(&fake, name, b"x");
    }
    let names: Vec<String> = op
        .lister_with("l/")
        .limit(1)
        .await
        .unwrap()
        .map_ok(|e| e.path().to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["l/1", "l/2", "l/3"]);
}
