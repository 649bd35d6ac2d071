//! The OCI Object Storage requests the job needs, unsigned (the fake runs with `--no-auth`):
//! ListObjects pages and GetObject, whole or by range.

use bytes::Bytes;
use serde::Deserialize;

use crate::counts::Counts;
use crate::{Result, encode, expect_success};

/// The fields a sync needs from a listing: name, size and MD5 (`--checksum`), and the time.
const LIST_FIELDS: &str = "name,size,md5,timeModified";

/// One listed object.
#[derive(Debug, Clone, Deserialize)]
pub struct Listed {
    pub name: String,
    pub size: u64,
    /// Base64 MD5 as OCI lists it.
    pub md5: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    objects: Vec<Listed>,
    next_start_with: Option<String>,
}

pub struct Oci {
    client: reqwest::Client,
    /// `{endpoint}/n/{namespace}/b/{bucket}`
    bucket_url: String,
}

impl Oci {
    pub fn new(client: reqwest::Client, endpoint: &str, namespace: &str, bucket: &str) -> Self {
        let bucket_url = format!(
            "{}/n/{}/b/{}",
            endpoint.trim_end_matches('/'),
            encode::segment(namespace),
            encode::segment(bucket)
        );
        Oci { client, bucket_url }
    }

    /// One page of up to 1000 objects; the token for the next page, if any.
    pub async fn list_page(
        &self,
        start: Option<&str>,
        counts: &Counts,
    ) -> Result<(Vec<Listed>, Option<String>)> {
        let mut url = format!("{}/o?fields={LIST_FIELDS}&limit=1000", self.bucket_url);
        if let Some(s) = start {
            url.push_str("&start=");
            url.push_str(&encode::query(s));
        }
        Counts::add(&counts.oci_list, 1);
        let resp = expect_success("ListObjects", self.client.get(url).send().await?).await?;
        let page: Page = serde_json::from_slice(&resp.bytes().await?)
            .map_err(|e| crate::BenchError(format!("ListObjects: {e}")))?;
        Ok((page.objects, page.next_start_with))
    }

    /// The object, or the bytes `first..=last` of it.
    pub async fn get(
        &self,
        name: &str,
        range: Option<(u64, u64)>,
        counts: &Counts,
    ) -> Result<Bytes> {
        let url = format!("{}/o/{}", self.bucket_url, encode::segment(name));
        let mut req = self.client.get(url);
        if let Some((first, last)) = range {
            req = req.header(http::header::RANGE, format!("bytes={first}-{last}"));
        }
        Counts::add(&counts.oci_get, 1);
        let resp = expect_success("GetObject", req.send().await?).await?;
        Ok(resp.bytes().await?)
    }
}
