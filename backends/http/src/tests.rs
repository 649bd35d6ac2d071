//! The backend's option checks: rclone's keys accepted or refused by name, secrets never echoed.

use super::*;

fn values(pairs: &[(&str, &str)]) -> ConfigValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), RawValue::String(v.to_string())))
        .collect()
}

fn problems(pairs: &[(&str, &str)]) -> Vec<OptionError> {
    BACKEND.validate(&values(pairs))
}

#[test]
fn plain_http_only_to_loopback_and_no_credentials_or_query_in_the_url() {
    assert!(problems(&[("url", "http://127.0.0.1:8080/pub")]).is_empty());
    assert!(problems(&[("url", "https://example.com/pub/")]).is_empty());
    for bad in [
        "http://example.com/pub",
        "https://user:hunter2@example.com/",
        "https://example.com/pub/?token=x",
        "ftp://example.com/",
    ] {
        let p = problems(&[("url", bad)]);
        assert_eq!(p.len(), 1, "{bad}: {p:?}");
        assert_eq!(p[0].key(), "url");
        assert!(!p[0].to_string().contains("hunter2"), "{}", p[0]);
    }
}

#[test]
fn no_head_is_refused_by_name_and_the_other_keys_are_accepted() {
    let p = problems(&[("url", "https://e.example/"), ("no_head", "true")]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key(), "no_head");
    assert!(
        problems(&[
            ("url", "https://e.example/"),
            ("no_head", "false"),
            ("no_slash", "true"),
            ("no_escape", "true"),
            ("description", "mirror"),
            ("headers", "Cookie,a=b"),
        ])
        .is_empty()
    );
}

#[test]
fn bad_headers_are_refused_without_their_values() {
    for h in [
        "Authorization",
        "\"Authorization\",\"Bearer tok-s3cr3t",
        "X-Token,bad\u{1}tok-s3cr3t",
    ] {
        let p = problems(&[("url", "https://e.example/"), ("headers", h)]);
        assert_eq!(p.len(), 1, "{h:?}: {p:?}");
        assert_eq!(p[0].key(), "headers");
        assert!(!p[0].to_string().contains("s3cr3t"), "{}", p[0]);
    }
    // A TOML list is taken as the fields themselves.
    let mut v = values(&[("url", "https://e.example/")]);
    v.insert(
        "headers".into(),
        RawValue::List(vec!["X-A".into(), "a,b".into()]),
    );
    assert!(BACKEND.validate(&v).is_empty());
}

#[test]
fn the_root_url_is_the_url_then_the_escaped_path() {
    let b = |u, p, raw| base_url(u, p, raw).unwrap().to_string();
    assert_eq!(b("https://h/pub", "", false), "https://h/pub/");
    assert_eq!(
        b("https://h/pub/", "/a b/c#d/", false),
        "https://h/pub/a%20b/c%23d/"
    );
    assert_eq!(b("https://h", "x%20y", true), "https://h/x%20y/");
}

#[test]
fn headers_are_declared_sensitive() {
    let spec = SPEC.options.iter().find(|o| o.name == "headers").unwrap();
    assert!(spec.sensitive);
}
