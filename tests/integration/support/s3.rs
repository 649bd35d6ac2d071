//! A real S3 server (moto, from PyPI) reached through a proxy in the test process that records
//! every request and can inject faults — so tests prove what ocisync sent (e.g. no PUT in a
//! dry run) against a server that really stores objects.
//!
//! The server and the proxy are the fakes crate's ([`moto`], [`S3Proxy`]), shared with the
//! benchmark.

use std::sync::Arc;

use ocisync_fakes::http::Server;
use ocisync_fakes::moto;
use ocisync_fakes::s3_proxy::S3Proxy;

/// moto behind a recording proxy, with one fresh bucket.
pub struct S3 {
    pub proxy: Server,
    pub bucket: String,
}

impl S3 {
    /// Starts the proxy (inside the caller's runtime) and creates a bucket.
    pub async fn start(label: &str) -> S3 {
        let upstream = moto::endpoint().to_string();
        let client = reqwest::Client::new();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let bucket =
            format!("{label}-{}-{}", std::process::id(), nanos % 1_000_000_000).to_lowercase();
        let created = client
            .put(format!("{upstream}/{bucket}"))
            .send()
            .await
            .expect("create bucket");
        assert!(
            created.status().is_success(),
            "create bucket: {}",
            created.status()
        );
        let proxy = Server::start(Arc::new(S3Proxy::new(&upstream, client)), 0)
            .await
            .expect("proxy");
        S3 { proxy, bucket }
    }

    pub fn endpoint(&self) -> String {
        self.proxy.base_url()
    }

    /// A `[remotes.NAME]` section for this server.
    pub fn remote_toml(&self, name: &str) -> String {
        format!(
            "[remotes.{name}]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"test\"\nsecret_access_key = \"testsecret\"\n",
            self.endpoint()
        )
    }

    /// Methods and targets of every request so far.
    pub fn requests(&self) -> Vec<(String, String, &'static str)> {
        self.proxy
            .monitor()
            .log()
            .into_iter()
            .map(|e| (e.method, e.target, e.operation))
            .collect()
    }

    pub fn writes(&self) -> Vec<(String, String, &'static str)> {
        self.requests()
            .into_iter()
            .filter(|(m, _, _)| m == "PUT" || m == "POST" || m == "DELETE")
            .collect()
    }

    pub fn count(&self, operation: &str) -> u64 {
        self.proxy.monitor().count(operation)
    }

    /// HEADs of objects: every HeadObject but the parallel listing's one round-trip probe
    /// (sent when a listing longer than a page had a slow first page).
    pub fn object_heads(&self) -> usize {
        let probe = ocisync::engine::listing::PROBE_KEY;
        let log = self.proxy.monitor().log();
        log.iter()
            .filter(|e| e.operation == "HeadObject" && !e.target.contains(probe))
            .count()
    }

    pub fn reset_log(&self) {
        self.proxy.monitor().reset();
    }
}
