//! Bounds on what a server can make ocisync hold or do: response bodies other than object
//! contents are capped (a listing page, an error body, a multipart answer — never gigabytes),
//! and an S3 listing page must stay inside the prefix it was asked for and make progress.
//!
//! OpenDAL reads such bodies whole into memory and, for listings, turns keys into paths with a
//! slice that panics (or silently mangles the name) when a key lies outside the prefix; both
//! are answered here, before OpenDAL sees the page.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
use opendal::{Buffer, Error, ErrorKind, HttpBody, Result};

/// The most a response other than an object's content may hold. A full S3 or OCI listing page
/// (1,000 names of at most 1,024 bytes, with their fields) is under 2 MiB.
pub const MAX_BODY: u64 = 16 << 20;

/// Consecutive listing pages with nothing in them but a promise of more, before the listing
/// is called stuck. S3 may return a few empty pages (e.g. over many delete markers); a server
/// that hands out ever-new tokens for empty pages would otherwise be listed forever.
pub const MAX_EMPTY_PAGES: u32 = 1000;

type Inner = Box<dyn Stream<Item = Result<Buffer>> + Send + Sync + Unpin + 'static>;

/// A body that fails once it has delivered more than `limit` bytes.
struct Capped {
    inner: Inner,
    seen: u64,
    limit: u64,
    what: String,
    failed: bool,
}

impl Stream for Capped {
    type Item = Result<Buffer>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.failed {
            return Poll::Ready(None);
        }
        match self.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(buf))) => {
                self.seen += buf.len() as u64;
                if self.seen > self.limit {
                    self.failed = true;
                    return Poll::Ready(Some(Err(too_big(&self.what, self.limit))));
                }
                Poll::Ready(Some(Ok(buf)))
            }
            other => other,
        }
    }
}

fn too_big(what: &str, limit: u64) -> Error {
    Error::new(
        ErrorKind::Unexpected,
        format!(
            "{what}: the response body is larger than {} MiB; refused (a broken or hostile server)",
            limit >> 20
        ),
    )
}

/// `body`, failing after `limit` bytes.
pub fn cap(body: HttpBody, limit: u64, what: String) -> HttpBody {
    body.map_inner(move |inner| {
        Box::new(Capped {
            inner,
            seen: 0,
            limit,
            what,
            failed: false,
        })
    })
}

/// Reads a whole body of at most `limit` bytes.
pub async fn read_capped(body: HttpBody, limit: u64, what: &str) -> Result<Buffer> {
    let mut capped = cap(body, limit, what.to_string());
    capped.to_buffer().await
}

/// An S3 ListObjects(V2) request: `list-type=2`, or V1's `GET /bucket?prefix=…`/`delimiter`.
pub fn is_s3_list(method: &http::Method, uri: &http::Uri) -> bool {
    method == http::Method::GET
        && query_pairs(uri).any(|(k, _)| matches!(k.as_str(), "list-type" | "delimiter" | "prefix"))
        && !uri.path().contains("/o")
}

fn query_pairs(uri: &http::Uri) -> impl Iterator<Item = (String, String)> + '_ {
    // OpenDAL percent-encodes query values fully (`+` as %2B), so form decoding is exact.
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
}

fn query(uri: &http::Uri, key: &str) -> Option<String> {
    query_pairs(uri).find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Continuation tokens handed out with an empty page, and how many empty pages led to each.
#[derive(Debug, Default)]
pub struct EmptyPages(Mutex<HashMap<String, u32>>);

impl EmptyPages {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Checks one S3 listing page: every key and common prefix lies under the requested prefix,
/// and the listing is not stuck on empty pages. The page itself is returned unchanged.
pub fn check_s3_page(
    uri: &http::Uri,
    page: &[u8],
    empty: &EmptyPages,
) -> std::result::Result<(), String> {
    let prefix = query(uri, "prefix").unwrap_or_default();
    let text = String::from_utf8_lossy(page);
    let mut entries = 0usize;
    for tag in ["Key", "Prefix"] {
        for raw in elements(&text, tag) {
            let value = unescape(raw);
            // The page's own `<Prefix>` echoes the request's; every other one is an entry.
            if tag == "Prefix" && value == prefix {
                continue;
            }
            if !value.starts_with(&prefix) {
                return Err(format!(
                    "the server listed {value:?}, which is outside the prefix {prefix:?} that was asked for"
                ));
            }
            entries += 1;
        }
    }
    let truncated = elements(&text, "IsTruncated").any(|v| v.trim() == "true");
    let asked_with = query(uri, "continuation-token").or_else(|| query(uri, "marker"));
    let before = asked_with
        .and_then(|t| empty.lock().remove(&t))
        .unwrap_or(0);
    if truncated && entries == 0 {
        let run = before + 1;
        if run > MAX_EMPTY_PAGES {
            return Err(format!(
                "{run} listing pages in a row were empty but promised more; the listing is not progressing"
            ));
        }
        let next = elements(&text, "NextContinuationToken")
            .chain(elements(&text, "NextMarker"))
            .next()
            .map(unescape);
        if let Some(next) = next {
            empty.lock().insert(next, run);
        }
    }
    Ok(())
}

/// The text of every `<tag>…</tag>` in `xml`, in order.
fn elements<'a>(xml: &'a str, tag: &str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let len = rest[start..].find(&close)?;
        let value = &rest[start..start + len];
        rest = &rest[start + len + close.len()..];
        Some(value)
    })
}

/// XML character and entity references.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let entity = &after[..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&rest[i..i + 2 + end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    const PAGE: &str = "<ListBucketResult><Name>b</Name><Prefix>reports/</Prefix>\
        <Contents><Key>reports/a&amp;b.csv</Key></Contents>\
        <Contents><Key>reports/c.csv</Key></Contents>\
        <CommonPrefixes><Prefix>reports/2026/</Prefix></CommonPrefixes>\
        <IsTruncated>false</IsTruncated></ListBucketResult>";

    #[test]
    fn keys_inside_the_prefix_pass() {
        let u = uri("http://127.0.0.1/b?list-type=2&prefix=reports%2F");
        assert!(is_s3_list(&http::Method::GET, &u));
        assert_eq!(
            check_s3_page(&u, PAGE.as_bytes(), &EmptyPages::default()),
            Ok(())
        );
    }

    #[test]
    fn a_key_outside_the_prefix_is_refused() {
        let u = uri("http://127.0.0.1/b?list-type=2&prefix=reports%2F");
        let page = PAGE.replace("reports/c.csv", "etc/passwd");
        let e = check_s3_page(&u, page.as_bytes(), &EmptyPages::default()).unwrap_err();
        assert!(
            e.contains("\"etc/passwd\"") && e.contains("outside the prefix"),
            "{e}"
        );
        let short = PAGE.replace("reports/c.csv", "r");
        assert!(check_s3_page(&u, short.as_bytes(), &EmptyPages::default()).is_err());
    }

    #[test]
    fn endless_empty_pages_stop() {
        let empty = EmptyPages::default();
        let page = |next: u32| {
            format!(
                "<ListBucketResult><Prefix></Prefix><IsTruncated>true</IsTruncated>\
                 <NextContinuationToken>t{next}</NextContinuationToken></ListBucketResult>"
            )
        };
        let mut failed_at = None;
        for n in 0..=MAX_EMPTY_PAGES + 1 {
            let u = if n == 0 {
                uri("http://127.0.0.1/b?list-type=2")
            } else {
                uri(&format!(
                    "http://127.0.0.1/b?list-type=2&continuation-token=t{n}"
                ))
            };
            if let Err(e) = check_s3_page(&u, page(n + 1).as_bytes(), &empty) {
                assert!(e.contains("not progressing"), "{e}");
                failed_at = Some(n);
                break;
            }
        }
        assert_eq!(failed_at, Some(MAX_EMPTY_PAGES));
        assert!(empty.lock().is_empty(), "no token left behind");
    }

    #[test]
    fn entities_decode() {
        assert_eq!(unescape("a&amp;b&lt;&#x41;&#66;&bogus;"), "a&b<AB&bogus;");
    }

    #[tokio::test]
    async fn bodies_over_the_cap_fail() {
        let chunks = futures::stream::iter((0..5).map(|_| Ok(Buffer::from(vec![b'x'; 1024]))));
        let body = HttpBody::new(chunks, None);
        let e = read_capped(body, 4096, "GET x").await.unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
        let chunks = futures::stream::iter((0..4).map(|_| Ok(Buffer::from(vec![b'x'; 1024]))));
        let ok = read_capped(HttpBody::new(chunks, None), 4096, "GET x")
            .await
            .unwrap();
        assert_eq!(ok.len(), 4096);
    }
}
