use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue};
use ocisync_fakes::servers::{free_port, scratch, start};
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe() {
    ocisync_backend::transport::install();
    let dir = scratch("ftp-probe");
    std::fs::create_dir_all(dir.join("pre")).unwrap();
    let port = free_port();
    let args: Vec<String> = [
        "-m",
        "pyftpdlib",
        "-i",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-u",
        "ocisync",
        "-P",
        "ftp-secret",
        "-d",
        &dir.to_string_lossy(),
        "-w",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let server = start(
        "pyftpdlib",
        std::path::Path::new("python3"),
        &args,
        port,
        &dir,
    );
    for root in ["pre", "a/b"] {
        let mut values = ConfigValues::new();
        let pass = ocisync_obscure::obscure("ftp-secret");
        for (k, v) in [
            ("host", "127.0.0.1"),
            ("port", &port.to_string()),
            ("user", "ocisync"),
            ("pass", &pass),
        ] {
            values.insert(k.into(), RawValue::String(v.to_string()));
        }
        let global = GlobalOptions::default();
        let r = ocisync_ftp::BACKEND
            .open(OpenContext {
                name: "ftp",
                path: root,
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .unwrap();
        let t = Instant::now();
        let l = r.op.list("").await;
        eprintln!("{root}: list {:?} in {:?}", l.map(|v| v.len()), t.elapsed());
        for (p, data) in [
            ("one.csv", b"x".to_vec()),
            ("d/two.csv", vec![1u8; 70000]),
            ("empty.csv", vec![]),
        ] {
            let t = Instant::now();
            let w = r.op.write(p, data).await;
            eprintln!("{root}: write {p} {:?} in {:?}", w.err(), t.elapsed());
            let t = Instant::now();
            let s = r.op.stat(p).await;
            eprintln!(
                "{root}: stat {p} {:?} in {:?}",
                s.map(|m| (m.content_length(), m.last_modified())),
                t.elapsed()
            );
            let t = Instant::now();
            let s = r.op.read(p).await;
            eprintln!(
                "{root}: read {p} {:?} in {:?}",
                s.map(|b| b.len()),
                t.elapsed()
            );
            let t = Instant::now();
            let s = r.op.read(p).await;
            eprintln!(
                "{root}: read again {p} {:?} in {:?}",
                s.map(|b| b.len()),
                t.elapsed()
            );
        }
    }
    eprintln!("{}", server.log());
}
