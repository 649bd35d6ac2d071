//! The S3 requests the job needs, unsigned (the benchmark's S3 server allows anonymous
//! access): ListObjectsV2 pages, PutObject, and multipart uploads.

use std::collections::HashMap;

use bytes::Bytes;

use crate::counts::Counts;
use crate::{BenchError, Result, encode, expect_success};

pub struct S3 {
    client: reqwest::Client,
    /// `{endpoint}/{bucket}`
    bucket_url: String,
    /// Prepended to every object name (`w1/ceiling-1/`).
    prefix: String,
}

/// What a listing says about one key: its size and ETag (unquoted, lowercase).
#[derive(Debug, Clone)]
pub struct Stored {
    pub size: u64,
    pub etag: String,
}

impl S3 {
    pub fn new(client: reqwest::Client, endpoint: &str, bucket: &str, prefix: &str) -> Self {
        S3 {
            client,
            bucket_url: format!(
                "{}/{}",
                endpoint.trim_end_matches('/'),
                encode::segment(bucket)
            ),
            prefix: prefix.to_string(),
        }
    }

    fn object_url(&self, name: &str) -> String {
        format!(
            "{}/{}",
            self.bucket_url,
            encode::key(&format!("{}{name}", self.prefix))
        )
    }

    /// Every object under the prefix, by name relative to it.
    pub async fn list_all(&self, counts: &Counts) -> Result<HashMap<String, Stored>> {
        let mut out = HashMap::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = format!(
                "{}?list-type=2&max-keys=1000&prefix={}",
                self.bucket_url,
                encode::query(&self.prefix)
            );
            if let Some(t) = &token {
                url.push_str("&continuation-token=");
                url.push_str(&encode::query(t));
            }
            Counts::add(&counts.s3_list, 1);
            let resp = expect_success("ListObjectsV2", self.client.get(url).send().await?).await?;
            let xml = resp.text().await?;
            for entry in elements(&xml, "Contents") {
                let key = unescape(element(entry, "Key").unwrap_or_default());
                let name = key.strip_prefix(&self.prefix).unwrap_or(&key).to_string();
                let size = element(entry, "Size")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let etag = unescape(element(entry, "ETag").unwrap_or_default())
                    .trim_matches('"')
                    .to_ascii_lowercase();
                out.insert(name, Stored { size, etag });
            }
            token = element(&xml, "NextContinuationToken").map(unescape);
            if element(&xml, "IsTruncated") != Some("true") || token.is_none() {
                return Ok(out);
            }
        }
    }

    pub async fn put(&self, name: &str, body: Bytes, counts: &Counts) -> Result<()> {
        let url = self.object_url(name);
        send_retrying("PutObject", || {
            Counts::add(&counts.s3_put, 1);
            self.client.put(&url).body(body.clone())
        })
        .await
        .map(drop)
    }

    /// Starts a multipart upload; its upload id.
    pub async fn create_multipart(&self, name: &str, counts: &Counts) -> Result<String> {
        Counts::add(&counts.s3_multipart_create, 1);
        let resp = self
            .client
            .post(format!("{}?uploads", self.object_url(name)))
            .send()
            .await?;
        let xml = expect_success("CreateMultipartUpload", resp)
            .await?
            .text()
            .await?;
        element(&xml, "UploadId")
            .map(unescape)
            .ok_or_else(|| BenchError(format!("CreateMultipartUpload: no UploadId in {xml}")))
    }

    /// Uploads part `number` (from 1); its ETag.
    pub async fn upload_part(
        &self,
        name: &str,
        upload_id: &str,
        number: usize,
        body: Bytes,
        counts: &Counts,
    ) -> Result<String> {
        let url = format!(
            "{}?partNumber={number}&uploadId={}",
            self.object_url(name),
            encode::query(upload_id)
        );
        let resp = send_retrying("UploadPart", || {
            Counts::add(&counts.s3_upload_part, 1);
            self.client.put(&url).body(body.clone())
        })
        .await?;
        resp.headers()
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| BenchError("UploadPart: no ETag".into()))
    }

    pub async fn complete_multipart(
        &self,
        name: &str,
        upload_id: &str,
        etags: &[String],
        counts: &Counts,
    ) -> Result<()> {
        Counts::add(&counts.s3_multipart_complete, 1);
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (i, etag) in etags.iter().enumerate() {
            xml.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>",
                i + 1
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let url = format!(
            "{}?uploadId={}",
            self.object_url(name),
            encode::query(upload_id)
        );
        let resp = self.client.post(url).body(xml).send().await?;
        expect_success("CompleteMultipartUpload", resp)
            .await
            .map(drop)
    }
}

/// Attempts per write: the S3 server in the benchmark (rclone `serve s3`) occasionally answers
/// 500 when uploads create the same new directory at once; ocisync and rclone retry those too.
const ATTEMPTS: usize = 5;

/// Sends the request `build` makes, again on a 5xx answer.
async fn send_retrying(
    what: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response> {
    let mut attempt = 1;
    loop {
        let resp = build().send().await?;
        if !resp.status().is_server_error() || attempt == ATTEMPTS {
            return expect_success(what, resp).await;
        }
        attempt += 1;
    }
}

/// The text of the first `<tag>…</tag>` in `xml`.
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    elements(xml, tag).next()
}

/// The texts of every `<tag>…</tag>` in `xml`, in order (S3's listings have no nesting of a
/// tag in itself and no attributes on these tags).
fn elements<'a>(xml: &'a str, tag: &str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let len = rest[start..].find(&close)?;
        let text = &rest[start..start + len];
        rest = &rest[start + len + close.len()..];
        Some(text)
    })
}

/// XML's five predefined entities.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_xml() {
        let xml = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>p/a &amp; b</Key><Size>3</Size>\
                   <ETag>&quot;ABC&quot;</ETag></Contents><Contents><Key>p/c</Key><Size>4</Size><ETag>def</ETag></Contents>\
                   <NextContinuationToken>tok</NextContinuationToken></ListBucketResult>";
        let keys: Vec<String> = elements(xml, "Contents")
            .map(|c| unescape(element(c, "Key").unwrap()))
            .collect();
        assert_eq!(keys, ["p/a & b", "p/c"]);
        assert_eq!(unescape(element(xml, "ETag").unwrap()), "\"ABC\"");
        assert_eq!(element(xml, "NextContinuationToken"), Some("tok"));
        assert_eq!(element(xml, "Missing"), None);
    }
}
