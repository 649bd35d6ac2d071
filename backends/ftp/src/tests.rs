//! Option checks: what is refused, what is reported as ignored, and the plain-FTP rule.

use super::*;
use ocisync_backend::RawValue;

fn values(pairs: &[(&str, &str)]) -> ConfigValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), RawValue::String(v.to_string())))
        .collect()
}

#[test]
fn plain_ftp_only_to_loopback() {
    for host in ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"] {
        let p = BACKEND.validate(&values(&[("host", host)]));
        assert!(p.is_empty(), "{host}: {p:?}");
    }
    for host in ["ftp.example.com", "10.0.0.5", "localhost.evil.test"] {
        let p = BACKEND.validate(&values(&[("host", host)]));
        assert_eq!(p.len(), 1, "{host}: {p:?}");
        assert_eq!(p[0].key(), "host");
        assert!(p[0].to_string().contains("explicit_tls"), "{}", p[0]);
    }
    let p = BACKEND.validate(&values(&[
        ("host", "ftp.example.com"),
        ("explicit_tls", "true"),
    ]));
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn hosts_are_bare_names() {
    for host in ["ftp://127.0.0.1", "user@127.0.0.1", "127.0.0.1/dir", ""] {
        let p = BACKEND.validate(&values(&[("host", host)]));
        assert_eq!(p.len(), 1, "{host}: {p:?}");
        assert_eq!(p[0].key(), "host");
    }
}

#[test]
fn plain_passwords_are_refused_without_echo() {
    let p = BACKEND.validate(&values(&[("host", "127.0.0.1"), ("pass", "hunter2!")]));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key(), "pass");
    assert!(!p[0].to_string().contains("hunter2"), "{}", p[0]);
    let ok = ocisync_obscure::obscure("hunter2!");
    assert!(
        BACKEND
            .validate(&values(&[("host", "127.0.0.1"), ("pass", &ok)]))
            .is_empty()
    );
}

#[test]
fn what_ocisync_cannot_do_is_refused_by_name() {
    for (k, v) in [
        ("tls", "true"),
        ("no_check_certificate", "true"),
        ("disable_tls13", "true"),
        ("allow_insecure_tls_ciphers", "true"),
        ("force_list_hidden", "true"),
        ("ask_password", "true"),
        ("socks_proxy", "127.0.0.1:1080"),
        ("http_proxy", "http://127.0.0.1:3128"),
    ] {
        let p = BACKEND.validate(&values(&[("host", "127.0.0.1"), (k, v)]));
        assert_eq!(p.len(), 1, "{k}: {p:?}");
        assert_eq!(p[0].key(), k);
    }
    let p = BACKEND.validate(&values(&[("host", "127.0.0.1"), ("port", "70000")]));
    assert_eq!(p[0].key(), "port", "{p:?}");
}

#[test]
fn rclone_defaults_are_neither_refused_nor_ignored() {
    let v = values(&[
        ("host", "127.0.0.1"),
        ("port", "21"),
        ("tls", "false"),
        ("explicit_tls", "false"),
        ("concurrency", "0"),
        ("disable_epsv", "true"),
        ("disable_mlsd", "true"),
        ("no_check_upload", "true"),
        ("idle_timeout", "1m0s"),
        ("encoding", "Ctl,Del,Dot,RightSpace,Slash"),
        ("description", "cost reports"),
    ]);
    assert!(BACKEND.validate(&v).is_empty());
    assert!(BACKEND.ignored(&v).is_empty(), "{:?}", BACKEND.ignored(&v));
}

#[test]
fn settings_without_effect_are_reported() {
    let v = values(&[
        ("host", "127.0.0.1"),
        ("concurrency", "4"),
        ("disable_utf8", "true"),
        ("writing_mdtm", "true"),
        ("idle_timeout", "5m"),
        ("tls_cache_size", "64"),
        ("encoding", "Slash"),
    ]);
    assert!(BACKEND.validate(&v).is_empty());
    let keys: Vec<&str> = BACKEND.ignored(&v).iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "concurrency",
            "disable_utf8",
            "writing_mdtm",
            "idle_timeout",
            "tls_cache_size",
            "encoding"
        ]
    );
}

#[test]
fn locations_tell_servers_logins_and_directories_apart() {
    let a = location("ftp", "LocalHost", 21, "u", "reports/");
    assert_eq!(a, "ftp:ftp://u@localhost:21/reports/");
    assert_ne!(a, location("ftp", "localhost", 2121, "u", "reports"));
    assert_ne!(a, location("ftp", "localhost", 21, "v", "reports"));
    assert_eq!(
        location("ftps", "::1", 21, "u", ""),
        "ftp:ftps://u@[::1]:21/"
    );
}
