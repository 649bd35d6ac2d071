//! What the http backend does where rclone serve and python's server never go: a scripted HTTP/1.1
//! server on 127.0.0.1 (a plain thread over `std::net`, answers from a table, every request
//! recorded) shows that the configured headers reach every request, that a link without `/`
//! redirecting to itself with one is a directory, that a file link answering 404 is skipped
//! while any other failure — or a linked directory that is not there — fails the listing, and
//! that `no_slash` takes an HTML answer for a directory.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};

/// A recorded request: method, path and headers (lower-case names).
type Seen = Arc<Mutex<Vec<(String, String, HashMap<String, String>)>>>;

/// `(method, path)` → `(status line, extra headers, body)`; anything else is 404.
type Routes = HashMap<(&'static str, &'static str), (&'static str, Vec<String>, String)>;

fn serve(routes: Routes) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (method, path) = (
                parts.next().unwrap_or("").to_string(),
                parts.next().unwrap_or("").to_string(),
            );
            let mut headers = HashMap::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            log.lock()
                .unwrap()
                .push((method.clone(), path.clone(), headers));
            let key = routes
                .keys()
                .find(|(m, p)| *m == method && *p == path)
                .copied();
            let (status, extra, body) = match key {
                Some(k) => routes[&k].clone(),
                None => ("404 Not Found", Vec::new(), String::new()),
            };
            let mut resp = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for h in extra {
                resp.push_str(&h);
                resp.push_str("\r\n");
            }
            resp.push_str("\r\n");
            if method != "HEAD" {
                resp.push_str(&body);
            }
            let _ = conn.write_all(resp.as_bytes());
        }
    });
    (url, seen)
}

fn html(links: &[&str]) -> (&'static str, Vec<String>, String) {
    let body: String = links
        .iter()
        .map(|l| format!("<a href=\"{l}\">{l}</a>\n"))
        .collect();
    (
        "200 OK",
        vec!["Content-Type: text/html; charset=utf-8".into()],
        format!("<html><body><a href=\"../\">up</a>{body}</body></html>"),
    )
}

fn file(body: &str) -> (&'static str, Vec<String>, String) {
    (
        "200 OK",
        vec![
            "Content-Type: text/plain".into(),
            "Last-Modified: Sun, 01 Mar 2026 06:07:08 GMT".into(),
        ],
        body.to_string(),
    )
}

async fn open(url: &str, extra: &[(&str, &str)]) -> Remote {
    ocisync_backend::transport::install();
    let mut values = ConfigValues::new();
    values.insert("url".into(), RawValue::String(format!("{url}/")));
    for (k, v) in extra {
        values.insert(k.to_string(), RawValue::String(v.to_string()));
    }
    let global = GlobalOptions {
        // One attempt: a 500 fails at once.
        low_level_retries: 1,
        ..GlobalOptions::default()
    };
    ocisync_http::BACKEND
        .open(OpenContext {
            name: "web",
            path: "",
            values: &values,
            credentials: None,
            global: &global,
        })
        .await
        .expect("open http")
}

/// The recursive listing: paths and sizes, and the errors as text.
async fn list(r: &Remote) -> (Vec<(String, u64)>, Vec<String>) {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    let mut l = r.list(true).await.expect("list");
    while let Some(item) = l.next().await {
        match item {
            Ok(o) => ok.push((o.path.to_string(), o.size)),
            Err(e) => errors.push(e.to_string()),
        }
    }
    ok.sort();
    (ok, errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_redirected_directories_and_missing_files() {
    let mut routes = Routes::new();
    routes.insert(
        ("GET", "/"),
        html(&["a.txt", "gone.txt", "sub", "?sort=name"]),
    );
    routes.insert(("HEAD", "/a.txt"), file("aaa"));
    routes.insert(
        ("HEAD", "/sub"),
        (
            "301 Moved Permanently",
            vec!["Location: /sub/".into()],
            String::new(),
        ),
    );
    routes.insert(("GET", "/sub/"), html(&["b.txt"]));
    routes.insert(("HEAD", "/sub/b.txt"), file("bb"));
    let (url, seen) = serve(routes);
    let r = open(&url, &[("headers", "X-Tok,abc-123")]).await;
    let (listed, errors) = list(&r).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        listed,
        [("a.txt".to_string(), 3), ("sub/b.txt".to_string(), 2)]
    );
    let st = r.stat("a.txt").await.unwrap();
    assert_eq!(
        st.mtime.unwrap().to_string(),
        "2026-03-01T06:07:08Z",
        "Last-Modified"
    );
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 6, "{seen:?}");
    for (m, p, h) in seen.iter() {
        assert_eq!(
            h.get("x-tok").map(String::as_str),
            Some("abc-123"),
            "{m} {p}"
        );
    }
    assert!(
        seen.iter().any(|(m, p, _)| m == "HEAD" && p == "/gone.txt"),
        "the 404 link was asked for"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_other_than_a_missing_file_fail_the_listing() {
    // OpenDAL ends a listing at its first error: one server per failure.
    let mut routes = Routes::new();
    routes.insert(("GET", "/"), html(&["ok.txt", "broken.txt"]));
    routes.insert(("HEAD", "/ok.txt"), file("o"));
    routes.insert(
        ("HEAD", "/broken.txt"),
        ("500 Internal Server Error", Vec::new(), String::new()),
    );
    let (url, _) = serve(routes);
    let (_, errors) = list(&open(&url, &[]).await).await;
    assert!(
        errors.len() == 1 && errors[0].contains("/broken.txt") && errors[0].contains("500"),
        "{errors:?}"
    );

    let mut routes = Routes::new();
    routes.insert(("GET", "/"), html(&["missing/"]));
    let (url, _) = serve(routes);
    let (_, errors) = list(&open(&url, &[]).await).await;
    assert!(
        errors.len() == 1
            && errors[0].contains("/missing/")
            && errors[0].contains("linked from its parent"),
        "{errors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_root_is_dir_not_found_and_no_slash_lists_html_as_directories() {
    let (url, _) = serve(Routes::new());
    let r = open(&url, &[]).await;
    let e = match r.list(true).await {
        Err(e) => e,
        Ok(mut l) => l.next().await.unwrap().unwrap_err(),
    };
    assert_eq!(e.kind, ocisync_backend::ErrorKind::DirNotFound, "{e}");

    let mut routes = Routes::new();
    routes.insert(("GET", "/"), html(&["page", "x.txt"]));
    routes.insert(("HEAD", "/page"), html(&[]));
    routes.insert(("GET", "/page/"), html(&["in.txt"]));
    routes.insert(("HEAD", "/page/in.txt"), file("in"));
    routes.insert(("HEAD", "/x.txt"), file("x"));
    let (url, _) = serve(routes);
    let plain = open(&url, &[]).await;
    let (listed, _) = list(&plain).await;
    let names: Vec<&str> = listed.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["page", "x.txt"], "without no_slash, HTML is a file");
    let r = open(&url, &[("no_slash", "true")]).await;
    let (listed, errors) = list(&r).await;
    assert!(errors.is_empty(), "{errors:?}");
    let names: Vec<&str> = listed.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["page/in.txt", "x.txt"]);
}
