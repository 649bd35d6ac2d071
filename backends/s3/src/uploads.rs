//! Pending multipart uploads of an S3 remote, for `ocisync cleanup`: ListMultipartUploads
//! under the remote's prefix (pages by key and upload-id markers) and AbortMultipartUpload.
//!
//! OpenDAL's S3 service has no call for either, so these two requests are made here: signed
//! with SigV4 by reqsign (already what OpenDAL signs with) from the same credentials the
//! remote uses, sent through the same process-wide transport (timeouts, proxies, no
//! redirects, bounded bodies). The signer is built on first use: a sync never pays for it.

use std::time::Duration;

use async_trait::async_trait;
use http::{Method, Request, StatusCode};
use ocisync_backend::uploads::{MultipartUploads, PendingUpload};
use ocisync_backend::{Error, ErrorKind, Result, Secret};
use opendal::raw::percent_encode_path;
use opendal::{Buffer, HttpTransporter};
use reqsign_aws_v4::{Credential, RequestSigner, StaticCredentialProvider};
use reqsign_core::{ProvideCredentialChain, Signer};
use tokio::sync::OnceCell;

use crate::Source;

/// Pages asked at most (1,000 uploads each).
const MAX_PAGES: usize = 10_000;
/// Attempts per request for answers a retry may cure (5xx, 429, a broken connection).
const ATTEMPTS: u32 = 3;

/// Where the remote's credentials come from (the same choice `open` made for OpenDAL).
pub(crate) enum Auth {
    Anonymous,
    Static {
        access_key_id: Secret,
        secret_access_key: Secret,
        session_token: Option<Secret>,
    },
    Provider(Source),
    /// `env_auth = true`, with the remote's `profile`.
    Runtime(Option<String>),
}

pub(crate) struct S3Uploads {
    remote: String,
    /// `https://bucket.s3.region.amazonaws.com` or `http://127.0.0.1:9000/bucket`: object keys
    /// follow a `/`.
    bucket_url: String,
    /// The remote's prefix as keys start: `p/`, or empty.
    prefix: String,
    region: String,
    auth: Auth,
    signer: OnceCell<Option<Signer<Credential>>>,
}

impl std::fmt::Debug for S3Uploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Uploads")
            .field("remote", &self.remote)
            .field("bucket_url", &self.bucket_url)
            .finish_non_exhaustive()
    }
}

impl S3Uploads {
    pub(crate) fn new(
        remote: &str,
        bucket_url: String,
        root: &str,
        region: &str,
        auth: Auth,
    ) -> Self {
        let p = root.trim_matches('/');
        S3Uploads {
            remote: remote.to_string(),
            bucket_url: bucket_url.trim_end_matches('/').to_string(),
            prefix: if p.is_empty() {
                String::new()
            } else {
                format!("{p}/")
            },
            region: region.to_string(),
            auth,
            signer: OnceCell::new(),
        }
    }

    fn error(&self, kind: ErrorKind, op: &'static str, key: &str, message: String) -> Error {
        Error::new(kind, message)
            .with_remote(self.remote.clone())
            .with_operation(op)
            .with_path(key.to_string())
    }

    async fn signer(&self) -> Result<Option<&Signer<Credential>>> {
        let signer = self
            .signer
            .get_or_try_init(|| async {
                let chain = match &self.auth {
                    Auth::Anonymous => return Ok(None),
                    Auth::Static {
                        access_key_id,
                        secret_access_key,
                        session_token,
                    } => {
                        let mut p = StaticCredentialProvider::new(
                            access_key_id.expose(),
                            secret_access_key.expose(),
                        );
                        if let Some(t) = session_token {
                            p = p.with_session_token(t.expose());
                        }
                        ProvideCredentialChain::new().push(p)
                    }
                    Auth::Provider(source) => crate::credentials::chain(source.clone()),
                    Auth::Runtime(profile) => {
                        crate::credentials::runtime(profile.as_deref())
                            .await
                            .map_err(|e| e.with_remote(self.remote.clone()))?
                            .chain
                    }
                };
                Ok::<_, Error>(Some(Signer::new(
                    crate::credentials::context(),
                    chain,
                    RequestSigner::new("s3", &self.region),
                )))
            })
            .await?;
        Ok(signer.as_ref())
    }

    /// Sends one signed request (no body), retrying what a retry may cure; returns the status
    /// and the body.
    async fn send(
        &self,
        method: Method,
        url: &str,
        op: &'static str,
        key: &str,
    ) -> Result<(StatusCode, Vec<u8>)> {
        let mut attempt = 1;
        loop {
            let (mut parts, ()) = Request::builder()
                .method(method.clone())
                .uri(url)
                .header(http::header::CONTENT_LENGTH, 0)
                .body(())
                .map_err(|e| self.error(ErrorKind::Other, op, key, e.to_string()))?
                .into_parts();
            if let Some(signer) = self.signer().await? {
                signer.sign(&mut parts, None).await.map_err(|e| {
                    self.error(
                        ErrorKind::Auth,
                        op,
                        key,
                        format!("could not sign the request: {e}"),
                    )
                })?;
            }
            let sent = HttpTransporter::default()
                .send(Request::from_parts(parts, Buffer::new()))
                .await;
            let retryable = match &sent {
                Ok(resp) => {
                    resp.status().is_server_error()
                        || resp.status() == StatusCode::TOO_MANY_REQUESTS
                }
                Err(e) => e.is_temporary(),
            };
            if retryable && attempt < ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                attempt += 1;
                continue;
            }
            return match sent {
                Ok(resp) => {
                    let status = resp.status();
                    Ok((status, resp.into_body().to_vec()))
                }
                Err(e) => {
                    Err(self.error(ocisync_backend::error::kind_of(&e), op, key, e.to_string()))
                }
            };
        }
    }

    /// The error an S3 answer stands for: its `Code` and `Message`.
    fn failed(&self, status: StatusCode, body: &[u8], op: &'static str, key: &str) -> Error {
        let text = String::from_utf8_lossy(body);
        let code = element(&text, "Code").unwrap_or_default();
        let message = element(&text, "Message").unwrap_or_default();
        let kind = match (status.as_u16(), code.as_str()) {
            (_, "NoSuchBucket") => ErrorKind::DirNotFound,
            (_, "AccessDenied") | (403, _) => ErrorKind::PermissionDenied,
            (_, "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken") => ErrorKind::Auth,
            (s, _) if s >= 500 || s == 429 => ErrorKind::Temporary,
            _ => ErrorKind::Other,
        };
        let what = if code.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("{code}: {message}")
        };
        self.error(kind, op, key, what)
    }
}

#[async_trait]
impl MultipartUploads for S3Uploads {
    async fn list(&self) -> Result<Vec<PendingUpload>> {
        let mut out = Vec::new();
        let mut markers: Option<(String, String)> = None;
        for _ in 0..MAX_PAGES {
            let mut url = format!("{}?uploads", self.bucket_url);
            if !self.prefix.is_empty() {
                url.push_str(&format!("&prefix={}", percent_encode_path(&self.prefix)));
            }
            if let Some((key, id)) = &markers {
                url.push_str(&format!(
                    "&key-marker={}&upload-id-marker={}",
                    percent_encode_path(key),
                    percent_encode_path(id)
                ));
            }
            let (status, body) = self
                .send(Method::GET, &url, "list uploads", &self.prefix)
                .await?;
            if status != StatusCode::OK {
                return Err(self.failed(status, &body, "list uploads", &self.prefix));
            }
            let text = String::from_utf8_lossy(&body);
            for upload in elements(&text, "Upload") {
                let (Some(key), Some(id)) = (element(upload, "Key"), element(upload, "UploadId"))
                else {
                    continue;
                };
                out.push(PendingUpload {
                    key,
                    id,
                    started: element(upload, "Initiated").and_then(|t| t.parse().ok()),
                });
            }
            let truncated = element(&text, "IsTruncated").is_some_and(|t| t == "true");
            let next = (
                element(&text, "NextKeyMarker").unwrap_or_default(),
                element(&text, "NextUploadIdMarker").unwrap_or_default(),
            );
            if !truncated || next.0.is_empty() || markers.as_ref() == Some(&next) {
                return Ok(out);
            }
            markers = Some(next);
        }
        Err(self.error(
            ErrorKind::Other,
            "list uploads",
            &self.prefix,
            format!("more than {MAX_PAGES} pages; stopped"),
        ))
    }

    async fn abort(&self, upload: &PendingUpload) -> Result<()> {
        let url = format!(
            "{}/{}?uploadId={}",
            self.bucket_url,
            percent_encode_path(&upload.key),
            percent_encode_path(&upload.id)
        );
        let (status, body) = self
            .send(Method::DELETE, &url, "abort upload", &upload.key)
            .await?;
        match status {
            StatusCode::NO_CONTENT | StatusCode::OK => Ok(()),
            // Already completed or aborted.
            StatusCode::NOT_FOUND => Ok(()),
            s => Err(self.failed(s, &body, "abort upload", &upload.key)),
        }
    }
}

/// The text of each `<tag>…</tag>` in `xml`, in order (raw: entities not decoded).
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let from = start + open.len();
        let Some(len) = rest[from..].find(&close) else {
            break;
        };
        out.push(&rest[from..from + len]);
        rest = &rest[from + len + close.len()..];
    }
    out
}

/// The first `<tag>` of `xml`, entities decoded.
fn element(xml: &str, tag: &str) -> Option<String> {
    elements(xml, tag).first().map(|v| unescape(v))
}

/// XML's predefined entities and character references.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let decoded = match &after[..end] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e => e
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_list_multipart_uploads_page() {
        let page = "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>true</IsTruncated>\
            <NextKeyMarker>p/b&amp;c</NextKeyMarker><Upload><Key>p/a &lt;1&gt;</Key>\
            <UploadId>u1</UploadId><Initiated>2026-01-02T03:04:05.000Z</Initiated></Upload>\
            <Upload><Key>p/ctl&#x1;</Key><UploadId>u2</UploadId></Upload></ListMultipartUploadsResult>";
        let uploads = elements(page, "Upload");
        assert_eq!(uploads.len(), 2);
        assert_eq!(element(uploads[0], "Key").as_deref(), Some("p/a <1>"));
        assert_eq!(element(uploads[1], "Key").as_deref(), Some("p/ctl\u{1}"));
        assert_eq!(element(page, "NextKeyMarker").as_deref(), Some("p/b&c"));
        assert_eq!(
            element(uploads[0], "Initiated").and_then(|t| t.parse::<jiff::Timestamp>().ok()),
            "2026-01-02T03:04:05Z".parse().ok()
        );
    }
}
