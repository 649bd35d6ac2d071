//! `provider = no_auth`: requests go out unsigned, for public buckets (and rclone-style tests
//! against servers that do not check signatures).

use crate::Result;
use async_trait::async_trait;

use super::{OciAuth, SignBody};

#[derive(Debug, Default, Clone, Copy)]
pub struct NoAuth;

#[async_trait]
impl OciAuth for NoAuth {
    async fn sign(&self, _parts: &mut http::request::Parts, _body: SignBody<'_>) -> Result<()> {
        Ok(())
    }

    fn name(&self) -> &'static str {
        "no_auth"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn leaves_requests_untouched() {
        let request =
            http::Request::post("https://objectstorage.us-ashburn-1.oraclecloud.com/n/ns/b/pub/u")
                .header("content-type", "application/json")
                .body(())
                .expect("request");
        let (mut parts, ()) = request.into_parts();
        let before = parts.headers.clone();
        NoAuth
            .sign(&mut parts, SignBody::Bytes(b"{}"))
            .await
            .expect("sign");
        assert_eq!(parts.headers, before);
        assert_eq!(NoAuth.region().await.expect("region"), None);
    }
}
