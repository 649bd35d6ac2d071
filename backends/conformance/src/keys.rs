//! Keys round-trip exactly or fail loudly.
//!
//! Listings return keys as the service stores them; OpenDAL normalises the path of every other
//! call (trims whitespace, drops a leading `/`, collapses `//`, treats `x/` as a directory) and
//! URLs resolve `.`/`..` segments. A listed key must therefore either be addressed as exactly
//! that key — its stat and read give *its* size and content, not a neighbour's — or be refused
//! by [`Remote::check_key`] with a message naming it. Each hostile key is stored past OpenDAL
//! ([`Fixture::put_raw`]) next to a decoy at the key normalisation would reach, so reaching the
//! wrong object shows as the decoy's content.

use std::collections::BTreeMap;

use futures::StreamExt;
use ocisync_backend::{ObjectInfo, Remote};

use super::{Fixture, case, content, get, seed};

/// `(key, decoy)`: a key another tool may have written, and the object a rewritten key would
/// reach instead (written too, with other content).
fn hostile() -> Vec<(&'static str, Option<&'static str>)> {
    vec![
        (" lead", Some("lead")),
        ("trail ", Some("trail")),
        ("tab\tend\t", Some("tab\tend")),
        ("/abs", Some("abs")),
        ("a//b", Some("a/b")),
        ("dot/./x", Some("dot/x")),
        ("dd/../y", Some("y")),
        ("x/..", None),
        ("..", None),
        ("dir/", None),
        ("ctl\u{1}key", None),
        ("nl\nkey", None),
        ("del\u{7f}key", None),
    ]
}

/// A listing that keeps going past errors: the keys it gave and the errors, as text.
async fn listing_and_errors(r: &Remote) -> (BTreeMap<String, ObjectInfo>, Vec<String>) {
    let mut keys = BTreeMap::new();
    let mut errors = Vec::new();
    match r.list(true).await {
        Ok(mut list) => {
            while let Some(item) = list.next().await {
                match item {
                    Ok(o) => {
                        keys.insert(o.path.to_string(), o);
                    }
                    Err(e) => errors.push(e.to_string()),
                }
            }
        }
        Err(e) => errors.push(e.to_string()),
    }
    (keys, errors)
}

pub(crate) async fn hostile_keys_round_trip_or_are_refused(f: &dyn Fixture) {
    let at = case(f, "hostile keys");
    let r = f.remote("hostile").await;
    let mut stored: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (i, (key, decoy)) in hostile().into_iter().enumerate() {
        let data = content(100 + i as u64, 20 + i);
        if !f.put_raw("hostile", key, &data).await {
            continue;
        }
        stored.insert(key.to_string(), data);
        if let Some(d) = decoy {
            let other = content(200 + i as u64, 40 + i);
            assert!(
                f.put_raw("hostile", d, &other).await,
                "{at} decoy {d:?} could not be stored"
            );
            stored.insert(d.to_string(), other);
        }
    }
    // An empty folder marker: never listed as an object.
    let marker = f.put_raw("hostile", "empty/", b"").await;
    if stored.is_empty() {
        crate::note(f, "skipped: the fixture cannot store raw keys");
        return;
    }
    let (listed, errors) = listing_and_errors(&r).await;
    eprintln!(
        "{at} stored {:?}; listed {:?}; listing errors {errors:?}",
        stored.keys().collect::<Vec<_>>(),
        listed.keys().collect::<Vec<_>>()
    );
    // The listing gives each key as stored, except what the backend cannot list faithfully —
    // and then it says so (an error), never a silently different key.
    for key in stored.keys() {
        if !listed.contains_key(key) {
            assert!(
                !errors.is_empty(),
                "{at} {key:?} was stored but is not listed, and the listing reported nothing \
                 (listed {:?})",
                listed.keys().collect::<Vec<_>>()
            );
        }
    }
    assert!(
        !marker || !listed.contains_key("empty/"),
        "{at} an empty folder marker is not an object"
    );
    for (key, info) in &listed {
        match r.check_key(key) {
            Ok(()) => {
                let want = stored
                    .get(key)
                    .unwrap_or_else(|| panic!("{at} listed {key:?}, which was never stored"));
                let st = r
                    .stat(key)
                    .await
                    .unwrap_or_else(|e| panic!("{at} stat {key:?}: {e}"));
                assert_eq!(
                    st.size,
                    want.len() as u64,
                    "{at} {key:?}: stat reached another object"
                );
                assert_eq!(
                    &get(&r, key).await,
                    want,
                    "{at} {key:?}: read reached another object"
                );
                // A listing that reported an error may have given a key twice (OpenDAL's S3
                // lister drops the leading '/' of keys at a bucket's root: `/abs` comes out
                // as `abs`); the run then deletes nothing and reads only by ETag.
                if errors.is_empty() {
                    assert_eq!(info.size, want.len() as u64, "{at} {key:?} listed size");
                }
            }
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.contains(key.as_str()) && text.contains("cannot be addressed exactly"),
                    "{at} {key:?}: the refusal must name the key: {text}"
                );
            }
        }
    }
    // The keys normalisation would rewrite are refused wherever they are listed.
    for key in [" lead", "trail ", "/abs", "a//b", "dir/"] {
        if listed.contains_key(key) {
            assert!(r.check_key(key).is_err(), "{at} {key:?} must be refused");
        }
    }
}

pub(crate) async fn unicode_and_case_variants_stay_apart(f: &dyn Fixture) {
    let at = case(f, "unicode and case");
    let r = f.remote("variants").await;
    // NFC and NFD of one name, and names that differ only by case: four objects.
    let names = [
        "caf\u{e9}.csv",
        "cafe\u{301}.csv",
        "Report.csv",
        "report.csv",
    ];
    for (i, n) in names.iter().enumerate() {
        seed(f, "variants", &r, n, &content(300 + i as u64, 30 + i)).await;
    }
    let (listed, errors) = listing_and_errors(&r).await;
    assert!(errors.is_empty(), "{at} {errors:?}");
    let mut want: Vec<&str> = names.to_vec();
    want.sort();
    assert_eq!(
        listed.keys().map(String::as_str).collect::<Vec<_>>(),
        want,
        "{at} each variant listed as written"
    );
    for (i, n) in names.iter().enumerate() {
        assert!(r.check_key(n).is_ok(), "{at} {n:?} is addressable");
        assert_eq!(
            get(&r, n).await,
            content(300 + i as u64, 30 + i),
            "{at} {n:?}"
        );
    }
}

pub(crate) async fn longest_keys_and_one_byte_more(f: &dyn Fixture) {
    let at = case(f, "longest keys");
    let r = f.remote("long").await;
    let rules = r.features.keys;
    // The longest key the rules allow: one segment at the segment limit (file systems), or
    // the whole key at the key limit (object stores), of two-byte characters and one ASCII.
    let (longest, over) = match (rules.max_segment_bytes, rules.max_key_bytes) {
        (Some(seg), _) => {
            let name = format!("{}{}", "\u{e9}".repeat(seg / 2), "x".repeat(seg % 2));
            (format!("d/{name}"), format!("d/{name}y"))
        }
        (None, Some(max)) => {
            let room = max - rules.prefix_bytes;
            let name = format!("{}{}", "\u{e9}".repeat(room / 2), "x".repeat(room % 2));
            (name.clone(), format!("{name}y"))
        }
        (None, None) => {
            crate::note(f, "skipped: no key length limit declared");
            return;
        }
    };
    assert!(
        r.check_key(&longest).is_ok(),
        "{at} the longest key is allowed"
    );
    let data = content(400, 64);
    seed(f, "long", &r, &longest, &data).await;
    let (listed, errors) = listing_and_errors(&r).await;
    assert!(errors.is_empty(), "{at} {errors:?}");
    assert!(
        listed.contains_key(&longest),
        "{at} the longest key is listed as written"
    );
    assert_eq!(
        get(&r, &longest).await,
        data,
        "{at} the longest key reads back"
    );
    let e = r
        .check_key(&over)
        .expect_err("one byte over the limit is refused before any request");
    let text = e.to_string();
    assert!(
        text.contains("over the") && text.contains(&over),
        "{at} a clear error naming the key and the limit: {text}"
    );
}
