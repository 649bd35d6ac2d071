//! Which links of a directory's index page are its entries — rclone's `parseName`: the href
//! is resolved against the directory's URL, and it counts only when it has no query, stays on
//! the same scheme and host, lies under the directory (so `../`, `/` and sort links do not)
//! and names one level below it. The name is the percent-decoded path below the directory; a
//! trailing `/` makes it a directory. Each name is taken once, in page order.

use std::collections::HashSet;

use percent_encoding::percent_decode_str;
use url::Url;

/// Why a link is not an entry (for debug logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    NotAUrl,
    Query,
    OtherScheme,
    OtherHost,
    NotUnderDirectory,
    Empty,
    Nested,
    NotUtf8,
}

/// The entry an href names in the directory at `base` (a URL ending in `/`).
pub fn entry_name(base: &Url, href: &str) -> Result<String, Skip> {
    let u = base.join(href).map_err(|_| Skip::NotAUrl)?;
    // rclone refuses any `?` in the resolved URL: sort links, downloads as zip...
    if u.query().is_some() || u.fragment().is_some_and(|f| f.contains('?')) {
        return Err(Skip::Query);
    }
    if u.scheme() != base.scheme() {
        return Err(Skip::OtherScheme);
    }
    if u.host_str() != base.host_str() || u.port() != base.port() {
        return Err(Skip::OtherHost);
    }
    let dir = decode(base.path())?;
    let path = decode(u.path())?;
    let name = path.strip_prefix(&dir).ok_or(Skip::NotUnderDirectory)?;
    if name.is_empty() {
        return Err(Skip::Empty);
    }
    match name.find('/') {
        Some(slash) if slash != name.len() - 1 => Err(Skip::Nested),
        _ => Ok(name.to_string()),
    }
}

fn decode(p: &str) -> Result<String, Skip> {
    percent_decode_str(p)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Skip::NotUtf8)
}

/// The entries of the index page `page` of the directory at `base`: names, directories
/// ending in `/`, each once, in page order.
pub fn entries(base: &Url, page: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for href in crate::html::hrefs(page) {
        match entry_name(base, &href) {
            Ok(name) => {
                if seen.insert(name.clone()) {
                    out.push(name);
                }
            }
            Err(why) => tracing::trace!("{base}: link {href:?} skipped ({why:?})"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rclone's `TestParseName` cases (backend/http/http_internal_test.go).
    #[test]
    fn names_as_rclone_parses_them() {
        let cases: &[(&str, &str, Result<&str, Skip>)] = &[
            ("http://example.com/", "potato", Ok("potato")),
            ("http://example.com/dir/", "potato", Ok("potato")),
            (
                "http://example.com/dir/",
                "potato?download=true",
                Err(Skip::Query),
            ),
            ("http://example.com/dir/", "../dir/potato", Ok("potato")),
            (
                "http://example.com/dir/",
                "..",
                Err(Skip::NotUnderDirectory),
            ),
            (
                "http://example.com/dir/",
                "http://example.com/",
                Err(Skip::NotUnderDirectory),
            ),
            (
                "http://example.com/dir/",
                "http://example.com/dir/",
                Err(Skip::Empty),
            ),
            (
                "http://example.com/dir/",
                "http://example.com/dir/potato",
                Ok("potato"),
            ),
            (
                "http://example.com/dir/",
                "https://example.com/dir/potato",
                Err(Skip::OtherScheme),
            ),
            (
                "http://example.com/dir/",
                "http://notexample.com/dir/potato",
                Err(Skip::OtherHost),
            ),
            (
                "http://example.com/dir/",
                "http://example.com:81/dir/potato",
                Err(Skip::OtherHost),
            ),
            ("http://example.com/dir/", "/dir/", Err(Skip::Empty)),
            ("http://example.com/dir/", "/dir/potato", Ok("potato")),
            (
                "http://example.com/dir/",
                "subdir/potato",
                Err(Skip::Nested),
            ),
            (
                "http://example.com/dir/",
                "With percent %25.txt",
                Ok("With percent %.txt"),
            ),
            (
                "http://example.com/dir/",
                "With%20colon%20:",
                Ok("With colon :"),
            ),
            (
                "http://example.com/Dungeons%20%26%20Dragons/",
                "/Dungeons%20&%20Dragons/D%26D%20Basic%20%28Holmes%2C%20B%2C%20X%2C%20BECMI%29/",
                Ok("D&D Basic (Holmes, B, X, BECMI)/"),
            ),
            // An encoded slash is still a slash in the name: not one level below.
            ("http://example.com/dir/", "a%2Fb", Err(Skip::Nested)),
            ("http://example.com/dir/", "%FF", Err(Skip::NotUtf8)),
            ("http://example.com/dir/", "#top", Err(Skip::Empty)),
        ];
        for (base, href, want) in cases {
            let base = Url::parse(base).unwrap();
            let got = entry_name(&base, href);
            assert_eq!(
                got.as_deref().map_err(|e| *e),
                *want,
                "base {base}, href {href:?}"
            );
        }
    }

    fn page(name: &str) -> String {
        let path = format!("{}/tests/index_pages/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn parsed(name: &str, base: &str) -> Vec<String> {
        entries(&Url::parse(base).unwrap(), &page(name))
    }

    /// rclone's `TestParseApache` and friends, on the same saved index pages.
    #[test]
    fn real_index_pages() {
        assert_eq!(
            parsed("apache.html", "http://example.com/nick/pub/"),
            [
                "SWIG-embed.tar.gz",
                "avi2dvd.pl",
                "cambert.exe",
                "cambert.gz",
                "fedora_demo.gz",
                "gchq-challenge/",
                "mandelterm/",
                "pgp-key.txt",
                "pymath/",
                "rclone",
                "readdir.exe",
                "rush_hour_solver_cut_down.py",
                "snake-puzzle/",
                "stressdisk/",
                "timer-test",
                "words-to-regexp.pl",
                "Now 100% better.mp3",
                "Now better.mp3",
            ]
        );
        assert_eq!(
            parsed("memstore.html", "http://example.com/"),
            [
                "test/",
                "v1.35/",
                "v1.36-01-g503cd84/",
                "rclone-beta-latest-freebsd-386.zip",
                "rclone-beta-latest-freebsd-amd64.zip",
                "rclone-beta-latest-windows-amd64.zip",
            ]
        );
        assert_eq!(
            parsed("nginx.html", "http://example.com/"),
            [
                "deltas/", "objects/", "refs/", "state/", "config", "summary"
            ]
        );
        assert_eq!(
            parsed("caddy.html", "http://example.com/"),
            [
                "mimetype.zip",
                "rclone-delete-empty-dirs.py",
                "rclone-show-empty-dirs.py",
                "stat-windows-386.zip",
                "v1.36-155-gcf29ee8b-team-driveβ/",
                "v1.36-156-gca76b3fb-team-driveβ/",
                "v1.36-156-ge1f0e0f5-team-driveβ/",
                "v1.36-22-g06ea13a-ssh-agentβ/",
            ]
        );
        assert!(parsed("empty.html", "http://example.com/").is_empty());
    }

    /// Saved from `rclone serve http` (v1.75) and `python3 -m http.server` (3.11) serving
    /// one directory: entity-encoded `&`, `?download=zip` and sort links, `xlink:href`.
    #[test]
    fn rclone_serve_and_python_pages() {
        let want = ["sub/", " lead", "a b&c#?.txt", "percent%20literal%.txt"];
        let mut rclone = parsed("rclone-serve-http.html", "http://127.0.0.1:1/d/");
        let mut python = parsed("python-http-server.html", "http://127.0.0.1:1/d/");
        rclone.sort();
        python.sort();
        let mut want = want.to_vec();
        want.sort();
        assert_eq!(rclone, want);
        assert_eq!(python, want);
    }
}
