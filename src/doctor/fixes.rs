//! The exact text a fix prints: OCI policy statements and the least-privilege AWS IAM policy.

use ocisync_oracle::diagnose::USAGE_REPORT_TENANCY;

/// Who a policy statement names: `dynamic-group <dynamic-group>` for instance and resource
/// principals, `group <group>` for a user's API key.
pub fn principal(provider: &str) -> &'static str {
    match provider.trim().trim_end_matches("_auth") {
        "user_principal" | "env" | "" => "group <group>",
        _ => "dynamic-group <dynamic-group>",
    }
}

/// The `define`/`endorse` pair that lets `who` read the cost reports in Oracle's tenancy.
pub fn usage_report_policy(who: &str) -> String {
    format!(
        "define tenancy usage-report as {USAGE_REPORT_TENANCY}\n\
         endorse {who} to read objects in tenancy usage-report"
    )
}

/// `read secret-bundles` for `secrets`, narrowed to them.
pub fn secret_bundles_policy(who: &str, secrets: &[String]) -> String {
    let ids: Vec<String> = secrets
        .iter()
        .map(|s| format!("target.secret.id = '{s}'"))
        .collect();
    format!(
        "allow {who} to read secret-bundles in compartment <secrets' compartment> where any {{{}}}",
        ids.join(", ")
    )
}

/// The least-privilege IAM policy for syncing into `bucket`/`prefix` (keys in the order AWS
/// documents them).
pub fn iam_policy(bucket: &str, prefix: &str) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Policy {
        version: &'static str,
        statement: Vec<Statement>,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Statement {
        sid: &'static str,
        effect: &'static str,
        action: serde_json::Value,
        resource: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        condition: Option<serde_json::Value>,
    }
    let prefix = prefix.trim_matches('/');
    let (list_sid, condition, objects) = if prefix.is_empty() {
        ("ListTheBucket", None, format!("arn:aws:s3:::{bucket}/*"))
    } else {
        (
            "ListThePrefix",
            Some(serde_json::json!({"StringLike": {"s3:prefix": [prefix, format!("{prefix}/*")]}})),
            format!("arn:aws:s3:::{bucket}/{prefix}/*"),
        )
    };
    let policy = Policy {
        version: "2012-10-17",
        statement: vec![
            Statement {
                sid: list_sid,
                effect: "Allow",
                action: "s3:ListBucket".into(),
                resource: format!("arn:aws:s3:::{bucket}"),
                condition,
            },
            Statement {
                sid: "ObjectsUnderThePrefix",
                effect: "Allow",
                action: serde_json::json!([
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts"
                ]),
                resource: objects,
                condition: None,
            },
        ],
    };
    serde_json::to_string_pretty(&policy).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_policy_is_json_for_the_prefix() {
        let text = iam_policy("my-bucket", "/oci-sync/");
        assert!(
            text.starts_with("{\n  \"Version\": \"2012-10-17\""),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(
            v["Statement"][1]["Resource"],
            "arn:aws:s3:::my-bucket/oci-sync/*"
        );
        assert_eq!(
            v["Statement"][0]["Condition"]["StringLike"]["s3:prefix"][1],
            "oci-sync/*"
        );
        let whole: serde_json::Value = serde_json::from_str(&iam_policy("b", "")).expect("json");
        assert_eq!(whole["Statement"][1]["Resource"], "arn:aws:s3:::b/*");
        assert!(whole["Statement"][0].get("Condition").is_none());
    }

    #[test]
    fn policy_lines() {
        assert_eq!(
            principal("instance_principal_auth"),
            "dynamic-group <dynamic-group>"
        );
        assert_eq!(principal("user_principal_auth"), "group <group>");
        assert!(
            usage_report_policy("dynamic-group d")
                .ends_with("endorse dynamic-group d to read objects in tenancy usage-report")
        );
        assert_eq!(
            secret_bundles_policy("dynamic-group d", &["a".into(), "b".into()]),
            "allow dynamic-group d to read secret-bundles in compartment <secrets' compartment> \
             where any {target.secret.id = 'a', target.secret.id = 'b'}"
        );
    }
}
