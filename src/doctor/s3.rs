//! An `s3` remote: where its credentials come from (a provider such as `oci_vault`, keys in the
//! config, the runtime's with `env_auth`, or none), the clock against the S3 endpoint, one
//! ListObjectsV2 page of one key under the prefix, and the write probe.

use ocisync_s3::{MISSING_FIX, S3Options, find_runtime_credentials};

use super::plan::{Doctor, Prerequisite, Target, first_entry};
use super::{Verdict, clock, fixes};

const S3_REFUSES: &str = "S3 refuses requests dated more than 15 minutes off \
                          (RequestTimeTooSkewed).";

/// Where the keys come from, for the checks and the fixes.
enum Source {
    /// `credentials = "NAME"`: a provider of this type.
    Provider { name: String, type_name: String },
    /// `access_key_id`/`secret_access_key` in the section.
    Static,
    /// `env_auth = true`.
    Runtime { profile: Option<String> },
    /// None: unsigned requests.
    Anonymous,
}

pub async fn remote(d: &mut Doctor, t: &Target) {
    let subject = t.shown();
    let o = match S3Options::from_values(&t.values) {
        Ok(o) => o,
        Err(e) => {
            d.add(
                "S3 remote options",
                &subject,
                Verdict::Fail,
                format!("{}: {e}", t.section()),
                None,
            );
            return;
        }
    };
    let source = match &t.credentials {
        Some(name) => Source::Provider {
            name: name.clone(),
            type_name: d
                .config()
                .credentials
                .get(name)
                .map(|s| s.type_name.clone())
                .unwrap_or_default(),
        },
        None if o.access_key_id.is_some() && o.secret_access_key.is_some() => Source::Static,
        None if o.env_auth => Source::Runtime {
            profile: o.profile.clone(),
        },
        None => Source::Anonymous,
    };
    let (bucket, prefix) = t.bucket_and_prefix();
    let listing_subject = if bucket.is_empty() {
        subject.clone()
    } else {
        format!(
            "{}:{bucket}/{}",
            t.path.remote_name(),
            if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            }
        )
    };

    // The credentials, then the remote opened as a sync opens it (a provider is read then).
    let usable = credentials(d, t, &source).await;
    let remote = match &usable {
        Prerequisite::Failed(why) => {
            d.skip("S3 listable", &listing_subject, why);
            None
        }
        Prerequisite::Ok if bucket.is_empty() => {
            // Nothing to open without a bucket: the provider's own checks are what there is.
            if let Source::Provider { name, type_name } = &source {
                let vault = type_name == "oci_vault";
                d.add(
                    "S3 credentials",
                    &subject,
                    if vault { Verdict::Ok } else { Verdict::Skip },
                    if vault {
                        format!("keys from [credentials.{name}] ({type_name}): its secrets are readable")
                    } else {
                        format!("keys from [credentials.{name}] ({type_name}): not fetched without a bucket to open")
                    },
                    None,
                );
            }
            None
        }
        Prerequisite::Ok => {
            let check = match source {
                Source::Provider { .. } => "S3 credentials",
                _ => "S3 remote",
            };
            match d.resolver.open(&t.path).await {
                Ok(r) => {
                    if let Source::Provider { name, type_name } = &source {
                        d.add(
                            "S3 credentials",
                            &subject,
                            Verdict::Ok,
                            format!("keys from [credentials.{name}] ({type_name})"),
                            None,
                        );
                    }
                    Some(r)
                }
                Err(e) => {
                    d.add(check, &subject, Verdict::Fail, e.to_string(), None);
                    d.skip("S3 listable", &listing_subject, check);
                    None
                }
            }
        }
    };

    // The clock, against the endpoint's Date (independent of the keys).
    let region = o
        .region
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".into());
    let endpoint = o
        .endpoint
        .clone()
        .filter(|e| !e.is_empty())
        .map(|e| e.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
    let clock_ok = clock::check(
        d,
        &format!("S3 {}", clock::host_of(&endpoint)),
        &format!("{endpoint}/"),
        S3_REFUSES,
    )
    .await;
    if bucket.is_empty() {
        if !matches!(usable, Prerequisite::Failed(_)) {
            d.add(
                "S3 listable",
                &subject,
                Verdict::Skip,
                "no bucket named",
                Some(format!(
                    "check it as `ocisync doctor {}<bucket>/<prefix>`",
                    t.shown()
                )),
            );
        }
        return;
    }
    let Some(remote) = remote else {
        return;
    };
    if !clock_ok {
        d.skip("S3 listable", &listing_subject, "clock (S3)");
        return;
    }

    // One ListObjectsV2 page of at most one key under the prefix.
    let request = format!(
        "ListObjectsV2 bucket {bucket}, prefix {:?}, max-keys 1",
        if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        }
    );
    let policy = fixes::iam_policy(&bucket, &prefix);
    let denied_fix = format!(
        "the IAM user or role of these keys needs (least privilege for syncing into \
         {bucket}/{prefix}):\n{policy}"
    );
    match first_entry(&remote).await {
        Ok(first) => {
            let (verdict, fix) = match first {
                Some(_) => (Verdict::Ok, None),
                None => t.empty_listing(),
            };
            d.add(
                "S3 listable",
                &listing_subject,
                verdict,
                format!(
                    "{request} → listed; {}",
                    match first {
                        Some(name) => format!("first entry {name}"),
                        None => "empty".to_string(),
                    }
                ),
                fix,
            );
            d.write_probe(t, &remote, Some(denied_fix)).await;
        }
        Err(e) => {
            let text = e.to_string();
            let has = |code: &str| text.contains(code);
            let fix = if has("AccessDenied") || has("AllAccessDisabled") {
                Some(denied_fix)
            } else if has("InvalidAccessKeyId") || has("SignatureDoesNotMatch") {
                Some(format!(
                    "{} are wrong: they are not an active IAM access key and its secret \
                     (InvalidAccessKeyId: no such key ID; SignatureDoesNotMatch: the secret does \
                     not match it). Check them with `aws sts get-caller-identity` and store the \
                     right pair",
                    keys_origin(d, t, &source)
                ))
            } else if has("NoSuchBucket") {
                Some(format!(
                    "the bucket {bucket} does not exist at {endpoint}: fix the bucket name or \
                     region, or create it (`aws s3 mb s3://{bucket} --region {region}`)"
                ))
            } else if has("RequestTimeTooSkewed") {
                Some(format!("the clock is off: see `clock (S3)`. {S3_REFUSES}"))
            } else if has("ExpiredToken") {
                Some(format!(
                    "the temporary credentials expired: {} must give fresh ones",
                    keys_origin(d, t, &source)
                ))
            } else {
                None
            };
            d.add(
                "S3 listable",
                &listing_subject,
                Verdict::Fail,
                format!("{request} → {text}"),
                fix,
            );
        }
    }
}

/// The credentials' own check: a provider's prerequisites (the Vault secrets), the runtime's
/// credentials for `env_auth`, or a note for keys in the file and anonymous access.
async fn credentials(d: &mut Doctor, t: &Target, source: &Source) -> Prerequisite {
    let subject = t.shown();
    match source {
        Source::Provider { name, type_name } if type_name == "oci_vault" => {
            let outcome = super::oci::vault(d, name).await;
            if let Prerequisite::Failed(why) = &outcome {
                d.skip("S3 credentials", &subject, why);
            }
            outcome
        }
        Source::Provider { .. } => Prerequisite::Ok,
        Source::Static => {
            d.add(
                "S3 credentials",
                &subject,
                Verdict::Ok,
                format!(
                    "access_key_id and secret_access_key are set in {}",
                    t.section()
                ),
                None,
            );
            Prerequisite::Ok
        }
        Source::Runtime { profile } => match find_runtime_credentials(profile.as_deref()).await {
            Ok(found) => {
                let mut evidence = format!("env_auth = true: found in {}", found.source);
                if found.session_token {
                    evidence.push_str("; temporary (with a session token)");
                }
                if let Some(at) = found.expires {
                    evidence.push_str(&format!(", expiring {at}"));
                }
                d.add("S3 credentials", &subject, Verdict::Ok, evidence, None);
                Prerequisite::Ok
            }
            Err(e) => {
                let message = e.message;
                let evidence = message
                    .strip_suffix(&format!("; {MISSING_FIX}"))
                    .unwrap_or(&message)
                    .to_string();
                d.add(
                    "S3 credentials",
                    &subject,
                    Verdict::Fail,
                    evidence,
                    Some(MISSING_FIX.to_string()),
                );
                Prerequisite::Failed("S3 credentials".into())
            }
        },
        Source::Anonymous => {
            d.add(
                "S3 credentials",
                &subject,
                Verdict::Warn,
                "no credentials configured: requests are unsigned (anonymous access)",
                Some(
                    "for a private bucket: credentials = \"NAME\" (an oci_vault provider), \
                     env_auth = true, or access_key_id/secret_access_key"
                        .to_string(),
                ),
            );
            Prerequisite::Ok
        }
    }
}

/// "the keys in Vault ([credentials.vault]: …)" — where the refused keys came from.
fn keys_origin(d: &Doctor, t: &Target, source: &Source) -> String {
    match source {
        Source::Provider { name, type_name } if type_name == "oci_vault" => {
            let secrets: Vec<String> = d
                .config()
                .credentials
                .get(name)
                .and_then(|s| ocisync_oracle::diagnose::VaultSettings::from_values(&s.values).ok())
                .map(|v| {
                    v.secrets
                        .iter()
                        .map(|(k, id)| format!("{k} {id}"))
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "the keys in Vault ([credentials.{name}]: {})",
                secrets.join(", ")
            )
        }
        Source::Provider { name, type_name } => {
            format!("the keys from [credentials.{name}] ({type_name})")
        }
        Source::Static => format!(
            "the keys in {} (access_key_id/secret_access_key)",
            t.section()
        ),
        Source::Runtime { .. } => "the keys env_auth found (see `S3 credentials`)".to_string(),
        Source::Anonymous => "requests without keys".to_string(),
    }
}
