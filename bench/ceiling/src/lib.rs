//! The benchmark's own tools (see `bench/run.sh`):
//!
//! - the *ceiling* client ([`ceiling`]): issues only the requests the job needs — ListObjects
//!   pages, GETs, PUTs (multipart for large objects) — at a given concurrency, with no signing,
//!   hashing or bookkeeping, so its time is what the two servers allow;
//! - `bench-count-proxy`, the request-counting proxy put in front of the S3 server for counting
//!   runs (the fakes crate's `s3_proxy`, shared with the integration tests).
//!
//! [`oci`] and [`s3`] are the two minimal wire clients the ceiling uses; [`counts`] counts what
//! they sent.

pub mod ceiling;
pub mod counts;
pub mod encode;
pub mod oci;
pub mod s3;

/// A failed request or an unexpected answer, with what was being done.
#[derive(Debug)]
pub struct BenchError(pub String);

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

impl From<reqwest::Error> for BenchError {
    fn from(e: reqwest::Error) -> Self {
        BenchError(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, BenchError>;

/// Fails with the status and body of an unexpected answer.
pub async fn expect_success(what: &str, resp: reqwest::Response) -> Result<reqwest::Response> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    Err(BenchError(format!(
        "{what}: {status}: {}",
        body.chars().take(300).collect::<String>()
    )))
}

/// One HTTP client for both servers: pooled keep-alive connections, no Nagle delay.
pub fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(256)
        .build()?)
}
