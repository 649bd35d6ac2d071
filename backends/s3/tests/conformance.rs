//! The backend conformance suite on S3, against a real S3 server (moto, started by the fakes
//! crate or named by `OCISYNC_TEST_S3_ENDPOINT`): a fresh bucket per case.

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;

struct S3 {
    endpoint: String,
}

#[async_trait]
impl Fixture for S3 {
    fn name(&self) -> &str {
        "s3 (moto)"
    }

    async fn remote(&self, case: &str) -> Remote {
        let bucket = format!("conformance-{case}-{}", std::process::id());
        let created = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .expect("create bucket");
        assert!(
            created.status().is_success(),
            "create bucket: {}",
            created.status()
        );
        let mut values = ConfigValues::new();
        for (k, v) in [
            ("provider", "Other"),
            ("endpoint", self.endpoint.as_str()),
            ("region", "us-east-1"),
            ("access_key_id", "test"),
            ("secret_access_key", "testsecret"),
            // The smallest part S3 allows, so the multipart case stays small.
            ("chunk_size", "5Mi"),
        ] {
            values.insert(k.into(), RawValue::String(v.into()));
        }
        let global = GlobalOptions::default();
        ocisync_s3::BACKEND
            .open(OpenContext {
                name: "s3",
                path: &bucket,
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open s3")
    }

    /// A PUT written by hand on a raw connection: HTTP clients built on a URL parser resolve
    /// `.`/`..` segments before sending, as ocisync's would. moto stores the key as sent.
    async fn put_raw(&self, case: &str, key: &str, data: &[u8]) -> bool {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let bucket = format!("conformance-{case}-{}", std::process::id());
        let host = self.endpoint.trim_start_matches("http://");
        let encoded: String = key
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let mut conn = tokio::net::TcpStream::connect(host).await.expect("connect");
        let head = format!(
            "PUT /{bucket}/{encoded} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            data.len()
        );
        // One write, then the write side shut: moto's server (werkzeug) drains what is left
        // of a request it answered without reading (a refused key) with a read that returns
        // only at EOF. A body that arrived after its first read, with our side still open,
        // left both ends waiting for the other to close (a CI run hung here for 18 minutes).
        let mut request = head.into_bytes();
        request.extend_from_slice(data);
        conn.write_all(&request).await.unwrap();
        conn.shutdown().await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(60),
            conn.read_to_end(&mut answer),
        )
        .await
        .unwrap_or_else(|_| panic!("PUT {key:?}: no answer from moto within 60 s"))
        .unwrap();
        let status = String::from_utf8_lossy(&answer);
        status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_passes_the_conformance_suite_against_moto() {
    let endpoint = ocisync_fakes::moto::endpoint().to_string();
    ocisync_conformance::run(&S3 { endpoint }).await;
}
