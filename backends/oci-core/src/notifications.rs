//! OCI Notifications (ONS), the part any publisher needs: the PublishMessage request,
//! `POST {endpoint}/20181201/topics/{topicId}/messages` with `{"title", "body"}` (the title is
//! the e-mail subject).

use crate::sign::encode_path_segment;
use crate::{Error, ErrorKind, Result};

/// The PublishMessage URL of `topic_id`; `endpoint` without trailing slash.
pub fn publish_message_url(endpoint: &str, topic_id: &str) -> String {
    format!(
        "{endpoint}/20181201/topics/{}/messages",
        encode_path_segment(topic_id)
    )
}

/// The PublishMessage JSON body.
pub fn publish_message_body(title: &str, body: &str) -> Result<Vec<u8>> {
    serde_json::to_vec(&serde_json::json!({
        "title": title,
        "body": body,
    }))
    .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_and_body() {
        assert_eq!(
            publish_message_url(
                "https://notification.us-ashburn-1.oci.oraclecloud.com",
                "ocid1.onstopic.oc1.iad.aaaa"
            ),
            "https://notification.us-ashburn-1.oci.oraclecloud.com/20181201/topics/\
             ocid1.onstopic.oc1.iad.aaaa/messages"
        );
        assert!(publish_message_url("http://127.0.0.1:1", "a/b").contains("/topics/a%2Fb/"));
        let body = publish_message_body("sync failed", "line 1\n\"quoted\"").unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"title": "sync failed", "body": "line 1\n\"quoted\""})
        );
    }
}
