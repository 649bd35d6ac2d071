//! OCI: the instance principal's prerequisites (metadata service, clock, federation), an
//! `oracleobjectstorage` remote (home region and `bling` for cost reports, any other bucket),
//! and `oci_vault` credentials sections.

use ocisync_oracle::diagnose::{
    self, Caller, Evidence, HomeRegion, MetadataProbe, RemoteSettings, VaultSettings,
};
use ocisync_oracle::endpoints::Region;

use super::fixes;
use super::plan::{Doctor, Prerequisite, Target};
use super::{Verdict, clock};

const OCI_REFUSES: &str = "OCI refuses requests dated more than 5 minutes off (401 \
                           NotAuthenticated: the signature's date is checked).";

const METADATA: &str = "instance metadata";
const FEDERATION: &str = "federation token";

/// The metadata service, asked once per run.
async fn metadata(d: &mut Doctor) -> Prerequisite {
    if let Some(p) = &d.metadata_verdict {
        return p.clone();
    }
    let probe = diagnose::probe_metadata().await;
    let subject = probe.base.clone();
    let (verdict, evidence, fix) = judge_metadata(&probe);
    d.add(METADATA, &subject, verdict, evidence, fix);
    let outcome = if verdict == Verdict::Fail {
        Prerequisite::Failed(METADATA.to_string())
    } else {
        Prerequisite::Ok
    };
    d.metadata = Some(probe);
    d.metadata_verdict = Some(outcome.clone());
    outcome
}

fn judge_metadata(p: &MetadataProbe) -> (Verdict, String, Option<String>) {
    let mut evidence = vec![p.instance.line()];
    if let Some(v1) = &p.v1 {
        evidence.push(v1.line());
    }
    let overridden = if p.from_environment {
        format!(
            "\n(OCI_METADATA_BASE_URL is set to {}: unset it on a real instance)",
            p.base
        )
    } else {
        String::new()
    };
    if p.instance.failure.is_some() {
        evidence.push(
            "the instance metadata service did not answer — is this an OCI compute instance?"
                .into(),
        );
        let fix = format!(
            "instance principals exist only on OCI compute instances: run ocisync on the VM, \
             or use provider = \"user_principal_auth\" (an API key in ~/.oci/config) elsewhere.\n\
             On an OCI instance: make sure nothing blocks 169.254.169.254 (host firewall rules; a \
             proxy — set NO_PROXY=169.254.169.254){overridden}"
        );
        return (Verdict::Fail, evidence.join("\n"), Some(fix));
    }
    if !p.instance.is(200) {
        let v1_answers = p.v1.as_ref().is_some_and(|v| v.is(200));
        evidence.push(if v1_answers {
            "IMDS v1 answers but v2 does not — IMDS v1-only? ocisync uses IMDS v2 (/opc/v2 with \
             `Authorization: Bearer Oracle`), as Oracle's SDKs do"
                .to_string()
        } else {
            "the metadata service refused IMDS v2 (/opc/v2 with `Authorization: Bearer Oracle`) \
             — IMDS v1-only, or a proxy in between?"
                .to_string()
        });
        let fix = format!(
            "ocisync needs IMDS v2: check the instance's metadata service (Console → Instance → \
             Instance metadata service: v2 must be enabled) and that no proxy rewrites requests \
             to 169.254.169.254 (NO_PROXY=169.254.169.254){overridden}"
        );
        return (Verdict::Fail, evidence.join("\n"), Some(fix));
    }
    let mut facts = Vec::new();
    if let Some(id) = &p.instance_id {
        facts.push(format!("instance {id}"));
    }
    if let Some(c) = &p.compartment_id {
        facts.push(format!("compartment {c}"));
    }
    match &p.region {
        Some(r) => facts.push(format!("region {} ({})", r.name, r.domain)),
        None => facts.push("region unknown (no regionInfo in the instance document)".into()),
    }
    evidence.push(facts.join(", "));
    match &p.certificate {
        Some(Ok(tenancy)) => {
            evidence.push(format!("identity certificate: tenancy {tenancy}"));
            (Verdict::Ok, evidence.join("\n"), None)
        }
        Some(Err(why)) => {
            evidence.push(format!("identity certificate: {why}"));
            (
                Verdict::Fail,
                evidence.join("\n"),
                Some(format!(
                    "the metadata service must serve /identity/cert.pem, /identity/key.pem and \
                     /identity/intermediate.pem (IMDS v2){overridden}"
                )),
            )
        }
        None => (Verdict::Fail, evidence.join("\n"), None),
    }
}

/// One federation call per endpoint: proves the instance gets a security token.
async fn federation(d: &mut Doctor, configured: Option<&str>) -> Prerequisite {
    let key = configured.unwrap_or_default().to_string();
    if let Some(p) = d.federations.get(&key) {
        return p.clone();
    }
    let Some(probe) = &d.metadata else {
        return Prerequisite::Failed(METADATA.into());
    };
    let result = probe.federation(configured).await;
    let subject = result.endpoint.clone();
    let outcome = match result.result {
        Ok(expires) => {
            let left = expires.duration_since(jiff::Timestamp::now()).as_mins();
            d.add(
                FEDERATION,
                &subject,
                Verdict::Ok,
                format!("POST {subject} → 200: security token valid until {expires} ({left} min)"),
                None,
            );
            Prerequisite::Ok
        }
        Err(why) => {
            let fix = if why.contains("401") {
                "the auth service refused the signed request: check the clock (see `clock (OCI)`) \
                 and that federation_endpoint is this realm's (https://auth.<region>.<realm \
                 domain>/v1/x509)"
            } else {
                "the instance's certificate was not accepted: check federation_endpoint (default \
                 https://auth.<region>.<realm domain>/v1/x509) and outbound HTTPS to it. A \
                 missing dynamic group or policy does not cause this (instances always get a \
                 token; policies decide what it may do)"
            };
            d.add(
                FEDERATION,
                &subject,
                Verdict::Fail,
                why,
                Some(fix.to_string()),
            );
            Prerequisite::Failed(FEDERATION.into())
        }
    };
    d.federations.insert(key, outcome.clone());
    outcome
}

/// The caller and the identity's prerequisites for a service at `base_url` (found once the
/// identity is known): metadata → clock → federation for instance principals, the identity
/// built and the clock for others. `None` when a prerequisite failed (and was reported).
async fn identity(
    d: &mut Doctor,
    what: &'static str,
    subject: &str,
    auth: &ocisync_oracle::auth::AuthOptions,
    base_url: impl AsyncFnOnce(&Caller) -> ocisync_backend::Result<String>,
) -> Result<(Caller, String), String> {
    let instance = auth.provider.trim() == "instance_principal_auth";
    if instance && let Prerequisite::Failed(why) = metadata(d).await {
        return Err(why);
    }
    let caller = match Caller::new(what, auth.clone()) {
        Ok(c) => c,
        Err(e) => {
            d.add("OCI identity", subject, Verdict::Fail, e.to_string(), None);
            return Err("OCI identity".into());
        }
    };
    if !instance {
        match caller.identity().await {
            Ok(name) => {
                d.add(
                    "OCI identity",
                    subject,
                    Verdict::Ok,
                    format!("{name} ready"),
                    None,
                );
            }
            Err(e) => {
                d.add("OCI identity", subject, Verdict::Fail, e.to_string(), None);
                return Err("OCI identity".into());
            }
        }
    }
    let base = match base_url(&caller).await {
        Ok(b) => b,
        Err(e) => {
            d.add("OCI endpoint", subject, Verdict::Fail, e.to_string(), None);
            return Err("OCI endpoint".into());
        }
    };
    if !clock::check(d, "OCI", &format!("{base}/"), OCI_REFUSES).await {
        return Err("clock (OCI)".into());
    }
    if instance
        && let Prerequisite::Failed(why) = federation(d, auth.federation_endpoint.as_deref()).await
    {
        return Err(why);
    }
    Ok((caller, base))
}

/// An `oracleobjectstorage` remote.
pub async fn remote(d: &mut Doctor, t: &Target) {
    let subject = t.shown();
    let settings = match RemoteSettings::from_values(&t.values) {
        Ok(s) => s,
        Err(e) => {
            d.add(
                "OCI remote options",
                &subject,
                Verdict::Fail,
                format!("{}: {e}", t.section()),
                None,
            );
            return;
        }
    };
    let bling = settings.namespace.as_deref() == Some("bling");
    let dependents: &[&str] = if bling {
        &["home region", "bling listable"]
    } else {
        &["bucket listable"]
    };
    let s = settings.clone();
    let (caller, endpoint) = match identity(
        d,
        "oracleobjectstorage",
        &subject,
        &settings.auth,
        async move |c: &Caller| c.object_storage_endpoint(&s).await,
    )
    .await
    {
        Ok(found) => found,
        Err(why) => {
            for check in dependents {
                d.skip(check, &subject, &why);
            }
            return;
        }
    };
    if bling {
        bling_checks(d, t, &settings, &caller, &endpoint).await;
    } else {
        bucket_checks(d, t, &settings, &caller, &endpoint).await;
    }
}

/// The region the remote reads from: `region`, else the identity's.
async fn remote_region(settings: &RemoteSettings, caller: &Caller) -> Option<String> {
    let name = match &settings.region {
        Some(r) => r.clone(),
        None => caller.region(None).await.ok()?,
    };
    Some(Region::resolve(&name).map(|r| r.name).unwrap_or(name))
}

/// The cost reports: the remote's region against the tenancy's home region, then one
/// ListObjects on `bling/<tenancy>`.
async fn bling_checks(
    d: &mut Doctor,
    t: &Target,
    settings: &RemoteSettings,
    caller: &Caller,
    endpoint: &str,
) {
    let subject = t.shown();
    let (bucket, prefix) = t.bucket_and_prefix();
    let certificate_tenancy = d
        .metadata
        .as_ref()
        .filter(|_| settings.instance_principal())
        .and_then(|m| m.tenancy().map(str::to_string));
    let tenancy = if !bucket.is_empty() {
        bucket.clone()
    } else if let Some(t) = certificate_tenancy.clone() {
        t
    } else if let Some(c) = settings
        .compartment
        .clone()
        .filter(|c| c.starts_with("ocid1.tenancy."))
    {
        c
    } else {
        for check in ["home region", "bling listable"] {
            d.add(
                check,
                &subject,
                Verdict::Warn,
                "no bucket: in the bling namespace the bucket is the tenancy OCID",
                Some(format!(
                    "check it as `ocisync doctor {}<tenancy OCID>`",
                    t.shown()
                )),
            );
        }
        return;
    };
    let listed = format!(
        "{}:{tenancy}{}",
        t.path.remote_name(),
        if prefix.is_empty() {
            String::new()
        } else {
            format!("/{prefix}")
        }
    );
    let region = remote_region(settings, caller).await;
    let who = fixes::principal(&settings.auth.provider);

    // The home region (GetTenancy, ListRegionSubscriptions; needs `inspect tenancies`).
    let mut home: Option<String> = None;
    match &region {
        None => {
            d.add(
                "home region",
                &listed,
                Verdict::Warn,
                "could not check: the remote's region is unknown",
                Some(format!("set region = \"<home region>\" in {}", t.section())),
            );
        }
        Some(region) => {
            let answer = match diagnose::identity_endpoint(region) {
                Ok(e) => caller.home_region(&e, &tenancy).await,
                Err(e) => Err(e),
            };
            match answer {
                Ok(HomeRegion::Known {
                    key,
                    name,
                    subscribed,
                    evidence,
                }) => {
                    let lines: Vec<String> = evidence.iter().map(Evidence::line).collect();
                    let home_name = name.clone().unwrap_or_else(|| key.clone());
                    let mut text = format!(
                        "{}\nthe tenancy's home region is {home_name} ({key}); the remote reads from {region}",
                        lines.join("\n")
                    );
                    if !subscribed.is_empty() {
                        text.push_str(&format!("; subscribed: {}", subscribed.join(", ")));
                    }
                    if &home_name == region {
                        d.add("home region", &listed, Verdict::Ok, text, None);
                    } else {
                        text.push_str(
                            "\ncost and usage reports are stored only in the tenancy's home region",
                        );
                        d.add(
                            "home region",
                            &listed,
                            Verdict::Fail,
                            text,
                            Some(format!(
                                "set region = \"{home_name}\" in {} (and no endpoint, or the home \
                                 region's)",
                                t.section()
                            )),
                        );
                    }
                    home = Some(home_name);
                }
                Ok(HomeRegion::NotPermitted(e)) => {
                    d.add(
                        "home region",
                        &listed,
                        Verdict::Warn,
                        format!(
                            "could not check: {}\nthe identity may not read the tenancy (`inspect tenancies`)",
                            e.line()
                        ),
                        Some(format!(
                            "allow {who} to inspect tenancies in tenancy\n(lets the doctor read \
                             the home region; meanwhile make sure region = \"{region}\" is the \
                             home region: Console → Tenancy details → Home region)"
                        )),
                    );
                }
                Ok(HomeRegion::Failed(e)) => {
                    d.add(
                        "home region",
                        &listed,
                        Verdict::Warn,
                        format!("could not check: {}", e.line()),
                        None,
                    );
                }
                Err(e) => {
                    d.add(
                        "home region",
                        &listed,
                        Verdict::Warn,
                        format!("could not check: {e}"),
                        None,
                    );
                }
            }
        }
    }

    // One page of one report.
    let listing = match caller
        .list_objects(endpoint, "bling", &tenancy, &prefix)
        .await
    {
        Ok(l) => l,
        Err(e) => {
            d.add(
                "bling listable",
                &listed,
                Verdict::Fail,
                e.to_string(),
                None,
            );
            return;
        }
    };
    let mut evidence = listing.evidence.line();
    if listing.evidence.is(200) {
        evidence.push_str(&match &listing.first {
            Some(name) => format!("\nfirst report: {name}"),
            None => {
                "\nno report under this prefix yet (new tenancies get their first within a day)"
                    .to_string()
            }
        });
        let (verdict, fix) = match listing.first {
            Some(_) => (Verdict::Ok, None),
            None => t.empty_listing(),
        };
        d.add("bling listable", &listed, verdict, evidence, fix);
        return;
    }
    if let Some(cert) = &certificate_tenancy
        && *cert != tenancy
    {
        evidence.push_str(&format!(
            "\nnote: the bucket {tenancy} is not this instance's tenancy ({cert})"
        ));
    }
    let region_differs = match (&home, &region) {
        (Some(h), Some(r)) => h != r,
        _ => false,
    };
    let fix = if listing.evidence.is(404) {
        let mut fix = Vec::new();
        if region_differs {
            fix.push(format!(
                "first, the cause: the remote reads from {} but the reports are only in the home \
                 region {}: set region = \"{}\" in {}",
                region.clone().unwrap_or_default(),
                home.clone().unwrap_or_default(),
                home.clone().unwrap_or_default(),
                t.section()
            ));
            fix.push("then, if it still fails, the policy (root compartment):".to_string());
        } else {
            fix.push(
                "a policy in the root compartment must endorse reading Oracle's usage-report \
                 tenancy:"
                    .to_string(),
            );
        }
        fix.push(fixes::usage_report_policy(who));
        if home.is_none() {
            fix.push(format!(
                "and region must be the tenancy's home region (reports are stored only there; \
                 the remote reads from {})",
                region.clone().unwrap_or_else(|| "an unknown region".into())
            ));
        }
        if settings.instance_principal()
            && let Some(id) = d.metadata.as_ref().and_then(|m| m.instance_id.clone())
        {
            fix.push(format!(
                "the dynamic group must match this instance, e.g. ALL {{instance.id = '{id}'}}"
            ));
        }
        Some(fix.join("\n"))
    } else if listing.evidence.is(401) {
        Some(
            "the signature was refused: check the clock and the identity (see the checks above)"
                .to_string(),
        )
    } else {
        None
    };
    d.add("bling listable", &listed, Verdict::Fail, evidence, fix);
}

/// Any other bucket: the namespace, one ListObjects page, the write probe.
async fn bucket_checks(
    d: &mut Doctor,
    t: &Target,
    settings: &RemoteSettings,
    caller: &Caller,
    endpoint: &str,
) {
    let subject = t.shown();
    let (bucket, prefix) = t.bucket_and_prefix();
    if bucket.is_empty() {
        d.add(
            "bucket listable",
            &subject,
            Verdict::Skip,
            "no bucket named",
            Some(format!(
                "check it as `ocisync doctor {}<bucket>`",
                t.shown()
            )),
        );
        return;
    }
    let namespace = match &settings.namespace {
        Some(n) => n.clone(),
        None => match caller.namespace(endpoint).await {
            Ok((_, Some(n))) => n,
            Ok((e, None)) => {
                d.add(
                    "bucket listable",
                    &subject,
                    Verdict::Fail,
                    format!("GetNamespace: {}", e.line()),
                    Some(format!(
                        "set namespace = \"<namespace>\" in {}",
                        t.section()
                    )),
                );
                return;
            }
            Err(e) => {
                d.add(
                    "bucket listable",
                    &subject,
                    Verdict::Fail,
                    e.to_string(),
                    None,
                );
                return;
            }
        },
    };
    let who = fixes::principal(&settings.auth.provider);
    let listing = match caller
        .list_objects(endpoint, &namespace, &bucket, &prefix)
        .await
    {
        Ok(l) => l,
        Err(e) => {
            d.add(
                "bucket listable",
                &subject,
                Verdict::Fail,
                e.to_string(),
                None,
            );
            return;
        }
    };
    let evidence = listing.evidence.line();
    if !listing.evidence.is(200) {
        let fix = listing.evidence.is(404).then(|| {
            format!(
                "check the bucket name, namespace {namespace:?} and the region; and a policy: \
                 allow {who} to read objects in compartment <bucket's compartment> (to write: \
                 manage objects)"
            )
        });
        d.add("bucket listable", &subject, Verdict::Fail, evidence, fix);
        return;
    }
    d.add("bucket listable", &subject, Verdict::Ok, evidence, None);
    if d.wants_write_probe(t)
        && let Some(remote) = d.open(t, "write probe (PUT)").await
    {
        let fix = format!(
            "allow {who} to manage objects in compartment <bucket's compartment> where \
             target.bucket.name = '{bucket}'"
        );
        d.write_probe(t, &remote, Some(fix)).await;
    }
}

/// An `oci_vault` credentials section: every secret read once, its content inspected. Checked
/// once per section; the outcome gates the S3 remotes using it.
pub async fn vault(d: &mut Doctor, name: &str) -> Prerequisite {
    if let Some(p) = d.vaults.get(name) {
        return p.clone();
    }
    let outcome = vault_checks(d, name).await;
    d.vaults.insert(name.to_string(), outcome.clone());
    outcome
}

async fn vault_checks(d: &mut Doctor, name: &str) -> Prerequisite {
    let section_name = format!("[credentials.{name}]");
    let failed = Prerequisite::Failed(format!("{section_name} (oci_vault)"));
    let Some(section) = d.config().credentials.get(name).cloned() else {
        d.add(
            "vault secret",
            &section_name,
            Verdict::Fail,
            "no such section",
            None,
        );
        return failed;
    };
    let settings = match VaultSettings::from_values(&section.values) {
        Ok(s) => s,
        Err(e) => {
            d.add(
                "vault secret",
                &section_name,
                Verdict::Fail,
                format!("{section_name}: {e}"),
                None,
            );
            return failed;
        }
    };
    let subjects: Vec<String> = settings
        .secrets
        .iter()
        .map(|(key, id)| format!("{section_name} {key} {id}"))
        .collect();
    let s = settings.clone();
    let (caller, endpoint) = match identity(
        d,
        "oci_vault",
        &section_name,
        &settings.auth,
        async move |c: &Caller| c.secrets_endpoint(&s).await,
    )
    .await
    {
        Ok(found) => found,
        Err(why) => {
            for subject in &subjects {
                d.skip("vault secret", subject, &why);
            }
            return Prerequisite::Failed(why);
        }
    };
    let who = fixes::principal(&settings.auth.provider);
    let all_ids: Vec<String> = settings.secrets.iter().map(|(_, id)| id.clone()).collect();
    let mut any_failed = false;
    for ((key, id), subject) in settings.secrets.iter().zip(&subjects) {
        let probe = match caller.read_secret(&endpoint, id, key).await {
            Ok(p) => p,
            Err(e) => {
                any_failed = true;
                d.add("vault secret", subject, Verdict::Fail, e.to_string(), None);
                continue;
            }
        };
        let line = probe.evidence.line();
        let Some(shape) = probe.shape else {
            any_failed = true;
            let fix = if probe.evidence.is(404) {
                Some(format!(
                    "check the OCID, and that a policy lets this identity read the secret's \
                     contents:\n{}\n(`secrets` is the wrong resource type: it covers the \
                     secret's metadata, not its contents — GetSecretBundle needs \
                     `secret-bundles`, or `secret-family`)",
                    fixes::secret_bundles_policy(who, &all_ids)
                ))
            } else if probe.evidence.is(401) {
                Some(
                    "the signature was refused: check the clock and the identity (see the \
                     checks above)"
                        .to_string(),
                )
            } else {
                None
            };
            d.add("vault secret", subject, Verdict::Fail, line, fix);
            continue;
        };
        let size = format!(
            "{} bytes stored, {} characters after trimming",
            shape.bytes, shape.trimmed_chars
        );
        let store_fix = format!(
            "store the value alone: printf '%s' \"$VALUE\" | base64 -w0 > v.b64; oci vault \
             secret update-base64 --secret-id {id} --secret-content-content \"$(cat v.b64)\""
        );
        if let Some(why) = &shape.refused {
            any_failed = true;
            d.add(
                "vault secret",
                subject,
                Verdict::Fail,
                format!("{line}\n{why} ({size})"),
                Some(store_fix),
            );
        } else if !shape.surrounding.is_empty() {
            d.add(
                "vault secret",
                subject,
                Verdict::Warn,
                format!(
                    "{line}\nthe value {} ({size}): ocisync trims it, other tools (the AWS CLI, \
                     SDKs, Terraform) use it as stored",
                    shape.surrounding.join(" and ")
                ),
                Some(store_fix),
            );
        } else if let Some(why) = &shape.unusual {
            d.add(
                "vault secret",
                subject,
                Verdict::Warn,
                format!("{line}\n{why} ({size})"),
                Some(format!("check that {id} holds the {key}")),
            );
        } else {
            d.add(
                "vault secret",
                subject,
                Verdict::Ok,
                format!("{line}\n{size}; no surrounding whitespace"),
                None,
            );
        }
    }
    if any_failed { failed } else { Prerequisite::Ok }
}
