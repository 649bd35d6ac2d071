//! The backend conformance suite: one set of behaviours every backend must show through the
//! interface the engine uses ([`Remote`]: its listing, `stat`, the OpenDAL operator's reads,
//! writes and deletes, and the [`Features`](ocisync_backend::Features) it declares) — run by
//! each backend crate's `tests/conformance.rs` against its real server, the project's fake, or a
//! temporary directory. Modelled on OpenDAL's behaviour tests and rclone's `fstest`: the suite is
//! written once, and a backend passes it or says, through its features, what it cannot do.
//!
//! A backend provides a [`Fixture`] that opens a fresh, empty remote per case; [`run`] runs
//! every case and panics with the backend, the case and what differed. Keys that OpenDAL
//! would rewrite or the service cannot address ([`keys`]) are stored past OpenDAL through
//! [`Fixture::put_raw`]. A read-only backend (its operator cannot write: `http`) has every
//! case's objects seeded through [`Fixture::put_raw`] instead, skips the cases that write, and
//! must refuse writes and deletes.

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures::StreamExt;
use jiff::Timestamp;
use md5::Digest;
use ocisync_backend::{ErrorKind, HashSource, Md5, ModtimeSource, ObjectInfo, Remote, SetModtime};

mod keys;

/// Opens remotes for the suite.
#[async_trait]
pub trait Fixture: Send + Sync {
    /// The backend's name, for messages.
    fn name(&self) -> &str;
    /// A fresh, empty remote (its own directory, bucket or prefix) for the case `case`.
    async fn remote(&self, case: &str) -> Remote;

    /// Stores `data` under exactly `key` (relative to the root of `remote(case)`), past
    /// OpenDAL and its normalisation — straight into the server or the file system — as
    /// another tool would have written it. `false` when this backend cannot hold such a key
    /// (the case then skips it).
    async fn put_raw(&self, _case: &str, _key: &str, _data: &[u8]) -> bool {
        false
    }
}

/// Names that trip encoders, shells and path normalisers, as real cost-report and operator
/// data has them: spaces, non-ASCII (NFC), URL-significant characters, a leading dash, deep
/// nesting, and a long name.
pub fn awkward_names() -> Vec<String> {
    vec![
        "FOCUS Reports/2026/11/30/file one.csv.gz".into(),
        "ünïcödé/çà-ñ 日本.txt".into(),
        "plus+equals=and&amp.csv".into(),
        "percent%20literal%.txt".into(),
        "hash#question?.txt".into(),
        "tilde~quote'dollar$.txt".into(),
        "-leading-dash.txt".into(),
        "a/b/c/d/e/f/g/deep.txt".into(),
        format!("long/{}.txt", "x".repeat(200)),
    ]
}

/// Runs every case; panics on the first failure with what differed.
///
/// Each case ends with one line on stderr, `conformance: BACKEND | CASE | passed` (or `skipped:
/// why`, or `passed (read-only: …)`), so that `--no-capture` runs print the suite's matrix.
pub async fn run(f: &dyn Fixture) {
    // What ocisync's resolver does before opening remotes: the shared HTTP transport.
    ocisync_backend::transport::install();
    empty_root_lists_nothing(f).await;
    said(f, "empty root");
    write_list_stat_read_delete(f).await;
    said(f, "write, list, stat, read, delete");
    awkward_names_round_trip(f).await;
    said(f, "awkward names");
    modification_time_round_trip(f).await;
    said(f, "modification time");
    non_recursive_listing_shows_directories(f).await;
    said(f, "directories in a non-recursive listing");
    multipart_write_reads_back(f).await;
    said(f, "multipart write");
    keys::hostile_keys_round_trip_or_are_refused(f).await;
    said(f, "hostile keys");
    keys::unicode_and_case_variants_stay_apart(f).await;
    said(f, "unicode and case variants");
    keys::longest_keys_and_one_byte_more(f).await;
    said(f, "longest keys");
}

/// How the running case of each fixture ended other than plainly passing (set by the case).
static OUTCOME: std::sync::Mutex<BTreeMap<String, String>> = std::sync::Mutex::new(BTreeMap::new());

/// Records that the running case of `f` did not run in full, and why.
fn note(f: &dyn Fixture, outcome: &str) {
    OUTCOME
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(f.name().to_string(), outcome.to_string());
}

/// Prints the matrix line of the case that just ended.
fn said(f: &dyn Fixture, case: &str) {
    let outcome = OUTCOME
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(f.name())
        .unwrap_or_else(|| "passed".into());
    eprintln!("conformance: {} | {case} | {outcome}", f.name());
}

/// Deterministic content of `len` bytes.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn md5_of(data: &[u8]) -> Md5 {
    Md5(md5::Md5::digest(data).into())
}

async fn put(r: &Remote, path: &str, data: &[u8]) {
    r.op.write(path, data.to_vec())
        .await
        .unwrap_or_else(|e| panic!("{}: write {path:?}: {e}", r.display()));
}

/// Whether the backend cannot write (its operator's capability says so): the suite then
/// seeds objects through [`Fixture::put_raw`] and checks that writes are refused.
pub fn read_only(r: &Remote) -> bool {
    !r.op.info().capability().write
}

/// Stores `data` at `path` of the remote of `case`: through the backend when it writes, else
/// past it ([`Fixture::put_raw`], which a read-only backend's fixture must support).
async fn seed(f: &dyn Fixture, case: &str, r: &Remote, path: &str, data: &[u8]) {
    if read_only(r) {
        assert!(
            f.put_raw(case, path, data).await,
            "{}: a read-only backend's fixture must store {path:?} with put_raw",
            r.display()
        );
    } else {
        put(r, path, data).await;
    }
}

async fn get(r: &Remote, path: &str) -> Vec<u8> {
    r.op.read(path)
        .await
        .unwrap_or_else(|e| panic!("{}: read {path:?}: {e}", r.display()))
        .to_vec()
}

/// The recursive listing, by path; a root that does not exist yet counts as empty.
async fn listing(r: &Remote) -> BTreeMap<String, ObjectInfo> {
    let mut out = BTreeMap::new();
    let mut list = match r.list(true).await {
        Ok(l) => l,
        Err(e) if e.kind == ErrorKind::DirNotFound => return out,
        Err(e) => panic!("{}: list: {e}", r.display()),
    };
    while let Some(item) = list.next().await {
        match item {
            Ok(o) => {
                assert!(
                    out.insert(o.path.to_string(), o.clone()).is_none(),
                    "{}: {:?} listed twice",
                    r.display(),
                    o.path
                );
            }
            Err(e) if e.kind == ErrorKind::DirNotFound => return out,
            Err(e) => panic!("{}: list: {e}", r.display()),
        }
    }
    out
}

fn case(f: &dyn Fixture, name: &str) -> String {
    format!("[{} / {name}]", f.name())
}

async fn empty_root_lists_nothing(f: &dyn Fixture) {
    let r = f.remote("empty").await;
    let listed = listing(&r).await;
    assert!(listed.is_empty(), "{} listed {listed:?}", case(f, "empty"));
}

async fn write_list_stat_read_delete(f: &dyn Fixture) {
    let at = case(f, "write/list/stat/read/delete");
    let r = f.remote("basic").await;
    let objects: Vec<(String, Vec<u8>)> = vec![
        ("empty.csv".into(), Vec::new()),
        ("one-byte.csv".into(), vec![b'x']),
        ("dir/small.csv".into(), content(1, 1000)),
        ("dir/sub/deeper.csv".into(), content(2, 70_000)),
    ];
    for (p, data) in &objects {
        seed(f, "basic", &r, p, data).await;
    }
    let listed = listing(&r).await;
    let names: Vec<&str> = listed.keys().map(String::as_str).collect();
    let mut wanted: Vec<&str> = objects.iter().map(|(p, _)| p.as_str()).collect();
    wanted.sort();
    assert_eq!(names, wanted, "{at} recursive listing");
    if r.features.sorted_listing {
        // The listing's own order, not the BTreeMap's: re-list and compare.
        let mut order = Vec::new();
        let mut list = r.list(true).await.unwrap();
        while let Some(o) = list.next().await {
            order.push(o.unwrap().path.to_string());
        }
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(
            order, sorted,
            "{at} declares sorted_listing but lists out of order"
        );
    }
    for (p, data) in &objects {
        let o = &listed[p.as_str()];
        assert!(!o.is_dir, "{at} {p} listed as a directory");
        assert_eq!(o.size, data.len() as u64, "{at} {p} listed size");
        if r.features.listing_md5 != HashSource::None {
            assert_eq!(
                o.md5,
                Some(md5_of(data)),
                "{at} {p}: the listing must carry the MD5 its features promise"
            );
        }
        if let Some(md5) = o.md5 {
            assert_eq!(
                md5,
                md5_of(data),
                "{at} {p}: a listed MD5 must be the content's"
            );
        }
        let st = r
            .stat(p)
            .await
            .unwrap_or_else(|e| panic!("{at} stat {p}: {e}"));
        assert_eq!(st.size, data.len() as u64, "{at} {p} stat size");
        // Times drive rclone's default comparison: the listing or a HEAD must give one.
        assert!(
            o.mtime.is_some() || st.mtime.is_some(),
            "{at} {p}: neither the listing nor stat gives a modification time"
        );
        assert_eq!(&get(&r, p).await, data, "{at} {p} read back");
        if r.features.md5_by_reading {
            assert_eq!(
                r.read_md5(p).await.unwrap(),
                md5_of(data),
                "{at} {p} read_md5"
            );
        }
    }
    if read_only(&r) {
        read_only_refuses_changes(&r, &at).await;
        note(
            f,
            "passed (read-only: seeded past the backend; writes and deletes refused)",
        );
        return;
    }
    // Delete: gone from the listing and from stat; deleting again is not an error.
    r.op.delete("dir/small.csv")
        .await
        .unwrap_or_else(|e| panic!("{at} delete: {e}"));
    r.op.delete("dir/small.csv")
        .await
        .unwrap_or_else(|e| panic!("{at} deleting a missing object must succeed: {e}"));
    let after = listing(&r).await;
    assert!(
        !after.contains_key("dir/small.csv"),
        "{at} deleted object still listed"
    );
    assert_eq!(after.len(), objects.len() - 1, "{at} the others stay");
    let err = r
        .stat("dir/small.csv")
        .await
        .expect_err("stat of a deleted object");
    assert_eq!(
        err.kind,
        ErrorKind::NotFound,
        "{at} stat after delete: {err}"
    );
    assert!(
        err.to_string().contains("dir/small.csv"),
        "{at} errors name the object: {err}"
    );
}

/// A read-only backend: writes and deletes fail with the reason, naming nothing they did, and
/// a missing object is `NotFound` naming it.
async fn read_only_refuses_changes(r: &Remote, at: &str) {
    let before = listing(r).await;
    let write =
        r.op.write("dir/new.csv", b"new".to_vec())
            .await
            .expect_err("a read-only backend's write must fail");
    let delete =
        r.op.delete("dir/small.csv")
            .await
            .expect_err("a read-only backend's delete must fail");
    for (what, e) in [("write", write), ("delete", delete)] {
        let err = r.error(e, what, "dir/small.csv");
        assert_eq!(err.kind, ErrorKind::Unsupported, "{at} {what}: {err}");
        assert!(
            err.to_string().contains("read-only") && err.to_string().contains(&r.name),
            "{at} {what}: the refusal says why and names the remote: {err}"
        );
    }
    assert_eq!(listing(r).await, before, "{at} nothing changed");
    let err = r
        .stat("dir/missing.csv")
        .await
        .expect_err("stat of a missing object");
    assert_eq!(
        err.kind,
        ErrorKind::NotFound,
        "{at} stat of a missing object: {err}"
    );
    assert!(
        err.to_string().contains("dir/missing.csv"),
        "{at} errors name the object: {err}"
    );
}

async fn awkward_names_round_trip(f: &dyn Fixture) {
    let at = case(f, "awkward names");
    let r = f.remote("names").await;
    let names = awkward_names();
    for (i, n) in names.iter().enumerate() {
        seed(f, "names", &r, n, &content(i as u64, 10 + i)).await;
    }
    let listed = listing(&r).await;
    let mut wanted = names.clone();
    wanted.sort();
    assert_eq!(
        listed.keys().cloned().collect::<Vec<_>>(),
        wanted,
        "{at} every name listed exactly as written"
    );
    for (i, n) in names.iter().enumerate() {
        assert_eq!(
            get(&r, n).await,
            content(i as u64, 10 + i),
            "{at} {n:?} read back"
        );
    }
}

async fn modification_time_round_trip(f: &dyn Fixture) {
    let at = case(f, "modification time");
    let r = f.remote("mtime").await;
    // A time with a fraction, in the past: what a copied report carries.
    let t: Timestamp = "2026-03-01T06:07:08.123456789Z".parse().unwrap();
    let data = content(9, 300);
    let path = "reports/with-time.csv";
    match (r.features.writes_metadata, r.features.set_modtime) {
        (true, _) => {
            let meta = r
                .write_metadata(Some(t), Some(md5_of(&data)), false)
                .expect("metadata to write");
            r.op.write_with(path, data.clone())
                .user_metadata(meta)
                .await
                .unwrap_or_else(|e| panic!("{at} write with metadata: {e}"));
        }
        (false, SetModtime::Yes) => {
            put(&r, path, &data).await;
            r.set_modtime(path, t)
                .await
                .unwrap_or_else(|e| panic!("{at} set_modtime: {e}"));
        }
        (false, SetModtime::No) => {
            // No way to keep a time: nothing to check.
            note(f, "skipped: the backend keeps no modification time");
            return;
        }
    }
    let st = r.stat(path).await.unwrap();
    let got = st
        .mtime
        .unwrap_or_else(|| panic!("{at} no time after a HEAD"));
    let diff = got.duration_since(t).abs();
    let precision = jiff::SignedDuration::try_from(r.features.modtime_precision).unwrap();
    assert!(
        diff <= precision,
        "{at} stored {t}, got {got} (precision {:?})",
        r.features.modtime_precision
    );
    assert!(st.mtime_exact, "{at} a HEAD gives the real time");
    if r.features.modtime == ModtimeSource::Native {
        let listed = &listing(&r).await[path];
        assert!(
            listed.mtime_exact,
            "{at} native times are exact in listings"
        );
        assert!(
            listed.mtime.unwrap().duration_since(t).abs() <= precision,
            "{at} listed time"
        );
    }
}

async fn non_recursive_listing_shows_directories(f: &dyn Fixture) {
    let at = case(f, "non-recursive listing");
    let r = f.remote("dirs").await;
    seed(f, "dirs", &r, "top.csv", b"t").await;
    seed(f, "dirs", &r, "d/inner.csv", b"i").await;
    let mut list = r.list(false).await.unwrap_or_else(|e| panic!("{at} {e}"));
    let mut seen = BTreeMap::new();
    while let Some(o) = list.next().await {
        let o = o.unwrap_or_else(|e| panic!("{at} {e}"));
        seen.insert(o.path.to_string(), o.is_dir);
    }
    assert_eq!(seen.get("top.csv"), Some(&false), "{at} {seen:?}");
    let dir = seen
        .iter()
        .find(|(p, _)| p.trim_end_matches('/') == "d")
        .unwrap_or_else(|| panic!("{at} directory d missing: {seen:?}"));
    assert!(*dir.1, "{at} d is a directory");
    assert!(
        !seen.contains_key("d/inner.csv"),
        "{at} not recursive: {seen:?}"
    );
}

async fn multipart_write_reads_back(f: &dyn Fixture) {
    let at = case(f, "multipart");
    let r = f.remote("multipart").await;
    let Some(chunk) = r.features.write_chunk.filter(|_| !read_only(&r)) else {
        // The service decides: single writes only (or none).
        note(f, "skipped: single-request writes only (or read-only)");
        return;
    };
    // Two and a half parts: a short last part.
    let data = content(7, chunk * 2 + chunk / 2);
    assert!(r.is_multipart(data.len() as u64), "{at} is_multipart");
    let mut w =
        r.op.writer_with("big/object.bin")
            .chunk(chunk)
            .concurrent(r.features.write_concurrency)
            .await
            .unwrap_or_else(|e| panic!("{at} writer: {e}"));
    for piece in data.chunks(1 << 20) {
        w.write(piece.to_vec())
            .await
            .unwrap_or_else(|e| panic!("{at} write: {e}"));
    }
    w.close()
        .await
        .unwrap_or_else(|e| panic!("{at} close: {e}"));
    let st = r.stat("big/object.bin").await.unwrap();
    assert_eq!(st.size, data.len() as u64, "{at} size");
    assert!(
        get(&r, "big/object.bin").await == data,
        "{at} content differs"
    );
}
