//! Configuration, declared once: the rclone-compatible options of `type = "oracleobjectstorage"`
//! (the OpenDAL service's own configuration is derived from them in `remote`).
//!
//! The option keys, defaults and meanings are rclone's (backend/oracleobjectstorage/options.go),
//! so an rclone.conf section of this type parses unchanged. Keys rclone has but ocisync does not
//! act on are accepted, documented as such, and warned about once when set to a non-default.

use std::collections::BTreeSet;
use std::sync::Mutex;

use base64::Engine;
use ocisync_backend::{ConfigValues, Duration, Ocid, OptionError, Secret, Size};
use opendal_service_oci_objectstorage::{
    MAX_PART_SIZE, MAX_PARTS, SSE_ALGORITHM, STORAGE_TIERS, SseCustomerKey,
};
use sha2::Digest;

/// Auth providers ocisync supports for `provider` (rclone's, but `workload_identity_auth`).
pub const PROVIDERS: &[&str] = &[
    "env_auth",
    "user_principal_auth",
    "instance_principal_auth",
    "resource_principal_auth",
    "no_auth",
];

/// rclone caps upload_cutoff at 5 GiB (OCI's own limits are the service's).
const MAX_UPLOAD_CUTOFF: u64 = 5 << 30;
/// rclone's minimum chunk_size.
const MIN_CHUNK_SIZE: u64 = 5 << 20;

ocisync_backend::declare_options! {
    /// Options of `type = "oracleobjectstorage"` (rclone's names, defaults and meanings).
    pub struct OracleOptions {
        /// Auth provider: env_auth (default: the OCI config file's profile from the environment),
        /// user_principal_auth (an API key in config_file/config_profile),
        /// instance_principal_auth (the VM's own identity, no keys on disk),
        /// resource_principal_auth (OCI Functions and other resources) or no_auth (public
        /// buckets, unsigned requests). rclone's workload_identity_auth (OKE pods) is not
        /// supported.
        provider: String = "env_auth";
        /// Object Storage namespace (the tenancy's, or `bling` for cost and usage reports).
        /// Blank: asked from the service once (GetNamespace).
        namespace: Option<String>;
        /// Compartment OCID. rclone uses it to list and create buckets; ocisync does neither, so
        /// it is accepted and ignored (`config validate` says so).
        compartment: Option<Ocid>;
        /// Region, such as us-ashburn-1 (short codes such as iad are accepted). Blank: the
        /// region of the auth provider (config-file profile, instance metadata).
        region: Option<String>;
        /// Endpoint URL of the Object Storage API, replacing the one derived from the region.
        /// Plain http only for loopback addresses.
        endpoint: Option<String>;
        /// Path to the OCI config file (user_principal_auth, env_auth).
        config_file: String = "~/.oci/config";
        /// Profile inside the OCI config file (any letter case: rclone's `Default` and the
        /// file's `[DEFAULT]` are the same profile).
        config_profile: String = "DEFAULT";
        /// Storage tier of new objects: Standard, InfrequentAccess or Archive.
        storage_tier: String = "Standard", advanced;
        /// Cutoff for switching to multipart upload (at most 5Gi). ocisync streams uploads: an
        /// upload becomes multipart as soon as more than one chunk_size has been written.
        upload_cutoff: Size = "200Mi", advanced;
        /// Part size of multipart uploads (at least 5Mi). upload_concurrency parts are buffered
        /// in memory per transfer. When an upload would need more than max_upload_parts parts,
        /// later parts grow (doubling every tenth of max_upload_parts).
        chunk_size: Size = "5Mi", advanced;
        /// Maximum number of parts in a multipart upload (OCI allows 10000).
        max_upload_parts: usize = "10000", advanced;
        /// Parts of one file uploaded at once.
        upload_concurrency: usize = "10", advanced;
        /// Cutoff for switching to multipart server-side copy. ocisync does not copy server-side:
        /// accepted and ignored.
        copy_cutoff: Size = "4768Mi", advanced;
        /// Timeout of a server-side copy. Accepted and ignored (no server-side copies).
        copy_timeout: Duration = "1m", advanced;
        /// Don't store the MD5 of multipart uploads in the `md5chksum` metadata; they can then
        /// be compared by size and modification time only.
        disable_checksum: bool = "false", advanced;
        /// rclone's file-name encoding. ocisync keeps object names as they are: accepted and
        /// ignored (rclone's default only changes names rclone can't otherwise store).
        encoding: String = "Slash,InvalidUtf8,Dot", advanced;
        /// Don't abort a failed multipart upload: its parts stay (and cost storage) until the
        /// upload is aborted or committed.
        leave_parts_on_error: bool = "false", advanced;
        /// Resume an earlier multipart upload of the same object. Not supported: accepted and
        /// ignored (every upload starts anew).
        attempt_resume_upload: bool = "false", advanced;
        /// Don't check that the bucket exists before the first write (ocisync never creates
        /// buckets either way).
        no_check_bucket: bool = "false", advanced;
        /// SSE-C: a file holding the base64-encoded AES-256 key of the objects. Only one of
        /// sse_customer_key_file, sse_customer_key and sse_kms_key_id.
        sse_customer_key_file: Option<String>, advanced;
        /// SSE-C: the base64-encoded AES-256 key of the objects.
        sse_customer_key: Option<Secret>, advanced;
        /// SSE-C: base64 SHA-256 of the key; computed from the key when blank.
        sse_customer_key_sha256: Option<String>, advanced;
        /// OCID of a Vault master encryption key for new objects.
        sse_kms_key_id: Option<Ocid>, advanced;
        /// SSE-C algorithm: AES256 (the default when a key is given).
        sse_customer_algorithm: Option<String>, advanced;
        /// Decompress gzip-encoded objects while downloading. Not supported: accepted; objects
        /// are copied as stored.
        decompress: bool = "false", advanced;
        /// Free text shown by `listremotes --long`.
        description: Option<String>, advanced;
        /// Full URL of the X.509 federation call instance principals make, such as
        /// https://auth.us-ashburn-1.oraclecloud.com/v1/x509. Blank: derived from the region.
        federation_endpoint: Option<String>, advanced;
    }
}

impl OracleOptions {
    /// Problems no single key's type reveals: choices, limits and combinations (as rclone
    /// checks them in NewFs and validateSSECustomerKeyOptions).
    pub fn problems(&self) -> Vec<OptionError> {
        let mut p = Vec::new();
        if self.provider == "workload_identity_auth" {
            p.push(OptionError::invalid(
                "provider",
                format!(
                    "workload_identity_auth (OKE pods) is rclone's but not supported by ocisync; use one of {}",
                    PROVIDERS.join(", ")
                ),
            ));
        } else if !PROVIDERS.contains(&self.provider.as_str()) {
            p.push(OptionError::invalid(
                "provider",
                format!("must be one of {}", PROVIDERS.join(", ")),
            ));
        }
        if !STORAGE_TIERS.contains(&self.storage_tier.as_str()) {
            p.push(OptionError::invalid(
                "storage_tier",
                format!("must be one of {}", STORAGE_TIERS.join(", ")),
            ));
        }
        if self.chunk_size.bytes() < MIN_CHUNK_SIZE || self.chunk_size.bytes() > MAX_PART_SIZE {
            p.push(OptionError::invalid(
                "chunk_size",
                "must be between 5Mi and 50Gi",
            ));
        }
        if self.upload_cutoff.bytes() > MAX_UPLOAD_CUTOFF {
            p.push(OptionError::invalid("upload_cutoff", "must be at most 5Gi"));
        }
        if !(1..=MAX_PARTS).contains(&self.max_upload_parts) {
            p.push(OptionError::invalid(
                "max_upload_parts",
                "must be between 1 and 10000",
            ));
        }
        if self.upload_concurrency == 0 {
            p.push(OptionError::invalid(
                "upload_concurrency",
                "must be at least 1",
            ));
        }
        if self.sse_kms_key_id.is_some()
            && (self.sse_customer_key.is_some() || self.sse_customer_key_file.is_some())
        {
            p.push(OptionError::invalid(
                "sse_kms_key_id",
                "can't be used with sse_customer_key(_file)",
            ));
        }
        if self.sse_customer_key.is_some() && self.sse_customer_key_file.is_some() {
            p.push(OptionError::invalid(
                "sse_customer_key_file",
                "can't be used with sse_customer_key",
            ));
        }
        if let Some(a) = self
            .sse_customer_algorithm
            .as_deref()
            .filter(|a| !a.is_empty())
            && a != SSE_ALGORITHM
        {
            p.push(OptionError::invalid(
                "sse_customer_algorithm",
                "OCI supports only AES256",
            ));
        }
        p
    }

    /// The SSE-C key to send with reads and writes, read from `sse_customer_key` or
    /// `sse_customer_key_file`, its SHA-256 computed or checked.
    pub fn sse_customer_key(&self) -> Result<Option<SseCustomerKey>, OptionError> {
        let key = match (&self.sse_customer_key, &self.sse_customer_key_file) {
            (Some(k), _) if !k.is_empty() => oci_core::Secret::new(k.expose().trim()),
            (_, Some(path)) if !path.is_empty() => {
                let path = expand_home(path);
                // Never a directory named `~` under the working directory.
                if path.starts_with("~") {
                    return Err(OptionError::invalid(
                        "sse_customer_key_file",
                        format!("{}: ~ cannot be expanded: HOME is not set", path.display()),
                    ));
                }
                crate::auth::config_file::check_private_file(
                    &path,
                    "sse_customer_key_file",
                    "oracleobjectstorage",
                )
                .map_err(|e| OptionError::invalid("sse_customer_key_file", e.message))?;
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    OptionError::invalid(
                        "sse_customer_key_file",
                        format!("reading {}: {e}", path.display()),
                    )
                })?;
                oci_core::Secret::new(text.trim())
            }
            _ => return Ok(None),
        };
        let raw = zeroize::Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(key.expose())
                .map_err(|_| OptionError::invalid("sse_customer_key", "is not valid base64"))?,
        );
        if raw.len() != 32 {
            return Err(OptionError::invalid(
                "sse_customer_key",
                "must be a base64-encoded 256-bit key",
            ));
        }
        let sha256 =
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(raw.as_slice()));
        if let Some(given) = self
            .sse_customer_key_sha256
            .as_deref()
            .filter(|s| !s.is_empty())
            && given != sha256
        {
            return Err(OptionError::invalid(
                "sse_customer_key_sha256",
                format!("does not match the key (its SHA-256 is {sha256})"),
            ));
        }
        let algorithm = self
            .sse_customer_algorithm
            .clone()
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| SSE_ALGORITHM.to_string());
        Ok(Some(SseCustomerKey {
            algorithm,
            key,
            key_sha256: sha256,
        }))
    }

    /// rclone keys ocisync does not act on that are set to something other than their
    /// default: `(key, "key = value")`, for `config validate` to report once.
    pub fn ignored_settings(&self) -> Vec<(&'static str, String)> {
        // The declared defaults, typed: compared field by field, never spelled twice.
        let Ok(d) = Self::from_values(&ConfigValues::new()) else {
            return Vec::new();
        };
        let mut ignored = Vec::new();
        if self.copy_cutoff != d.copy_cutoff {
            ignored.push(("copy_cutoff", format!("copy_cutoff = {}", self.copy_cutoff)));
        }
        if self.copy_timeout != d.copy_timeout {
            ignored.push((
                "copy_timeout",
                format!("copy_timeout = {}", self.copy_timeout),
            ));
        }
        if self.attempt_resume_upload {
            ignored.push((
                "attempt_resume_upload",
                "attempt_resume_upload = true".to_string(),
            ));
        }
        if self.decompress {
            ignored.push(("decompress", "decompress = true".to_string()));
        }
        if let Some(c) = &self.compartment {
            ignored.push(("compartment", format!("compartment = {:?}", c.as_str())));
        }
        if !same_encoding(&self.encoding, &d.encoding) {
            ignored.push(("encoding", format!("encoding = {:?}", self.encoding)));
        }
        ignored
    }
}

/// Logs each ignored setting once per process, at DEBUG: `config validate` is where an
/// operator hears about them, not every 6-hourly run.
pub fn warn_ignored_once(remote: &str, settings: &[(&'static str, String)]) {
    static WARNED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut warned = WARNED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for (_, s) in settings {
        if warned.insert(format!("{remote}\0{s}")) {
            tracing::debug!(
                remote,
                "ignoring {s}: ocisync does not act on this rclone option (`ocisync backends oracleobjectstorage`)"
            );
        }
    }
}

/// Encodings are comma-separated flag sets; order and case don't matter.
fn same_encoding(a: &str, b: &str) -> bool {
    let set = |s: &str| {
        s.split(',')
            .map(|f| f.trim().to_ascii_lowercase())
            .filter(|f| !f.is_empty())
            .collect::<BTreeSet<_>>()
    };
    set(a) == set(b)
}

/// `~/x` → `$HOME/x`, as rclone expands paths in options.
pub fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => path.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocisync_backend::RawValue;

    fn values(pairs: &[(&str, &str)]) -> ConfigValues {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), RawValue::String(v.to_string())))
            .collect()
    }

    #[test]
    fn an_rclone_section_parses_with_rclone_defaults() {
        // As `rclone config` writes it.
        let v = values(&[
            ("type", "oracleobjectstorage"),
            ("namespace", "axzbp3kgiaim"),
            ("compartment", "ocid1.compartment.oc1..aaaa"),
            ("region", "us-ashburn-1"),
            ("provider", "user_principal_auth"),
            ("config_file", "~/.oci/config"),
            ("config_profile", "Default"),
        ]);
        let mut v = v;
        v.remove("type");
        assert!(ocisync_backend::options::check_values(OracleOptions::SPECS, &v, false).is_empty());
        let o = OracleOptions::from_values(&v).unwrap();
        assert_eq!(o.provider, "user_principal_auth");
        assert_eq!(o.chunk_size, Size(5 << 20));
        assert_eq!(o.upload_cutoff, Size(200 << 20));
        assert_eq!(o.upload_concurrency, 10);
        assert_eq!(o.max_upload_parts, 10_000);
        assert_eq!(o.storage_tier, "Standard");
        assert!(o.problems().is_empty());

        let defaults = OracleOptions::from_values(&ConfigValues::new()).unwrap();
        assert_eq!(defaults.provider, "env_auth");
        assert_eq!(defaults.config_profile, "DEFAULT");
    }

    #[test]
    fn key_sensitivity_is_declared() {
        let spec = |n: &str| OracleOptions::SPECS.iter().find(|s| s.name == n).unwrap();
        assert!(spec("sse_customer_key").sensitive);
        assert!(!spec("namespace").sensitive);
        assert!(spec("chunk_size").advanced && !spec("region").advanced);
    }

    #[test]
    fn problems_are_found() {
        let o = OracleOptions::from_values(&values(&[
            ("provider", "magic_auth"),
            ("storage_tier", "Cold"),
            ("chunk_size", "1Mi"),
            ("max_upload_parts", "20000"),
            ("sse_kms_key_id", "ocid1.key.oc1.iad.k"),
            ("sse_customer_key", "AAAA"),
            ("sse_customer_algorithm", "AES128"),
        ]))
        .unwrap();
        let keys: Vec<_> = o.problems().iter().map(|p| p.key().to_string()).collect();
        for k in [
            "provider",
            "storage_tier",
            "chunk_size",
            "max_upload_parts",
            "sse_kms_key_id",
            "sse_customer_algorithm",
        ] {
            assert!(keys.contains(&k.to_string()), "{k} missing from {keys:?}");
        }
    }

    #[test]
    fn sse_customer_key_gets_its_sha256() {
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let want =
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest([7u8; 32]));
        let o = OracleOptions::from_values(&values(&[("sse_customer_key", &key)])).unwrap();
        let k = o.sse_customer_key().unwrap().unwrap();
        assert_eq!(k.algorithm, "AES256");
        assert_eq!(k.key_sha256, want);
        assert!(
            !format!("{k:?}").contains(&key),
            "the key must not show in Debug"
        );

        let dir = std::env::temp_dir().join(format!("ocisync-ssec-{}", std::process::id()));
        std::fs::write(&dir, format!("{key}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = OracleOptions::from_values(&values(&[(
            "sse_customer_key_file",
            dir.to_str().unwrap(),
        )]))
        .unwrap()
        .sse_customer_key()
        .expect_err("a key file every user can read");
        assert!(refused.to_string().contains("chmod 600"), "{refused}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o600)).unwrap();
        let from_file = OracleOptions::from_values(&values(&[(
            "sse_customer_key_file",
            dir.to_str().unwrap(),
        )]))
        .unwrap()
        .sse_customer_key()
        .unwrap()
        .unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(from_file.key.expose(), key);

        let wrong = OracleOptions::from_values(&values(&[
            ("sse_customer_key", &key),
            ("sse_customer_key_sha256", "AAAA"),
        ]))
        .unwrap();
        assert_eq!(
            wrong.sse_customer_key().unwrap_err().key(),
            "sse_customer_key_sha256"
        );
        let short = OracleOptions::from_values(&values(&[("sse_customer_key", "AAAA")])).unwrap();
        assert!(short.sse_customer_key().is_err());
        assert!(
            OracleOptions::from_values(&ConfigValues::new())
                .unwrap()
                .sse_customer_key()
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn ignored_settings_are_reported_only_when_changed() {
        let defaults = values(&[
            ("copy_cutoff", "4768Mi"),
            ("encoding", "Dot,Slash,InvalidUtf8"),
            ("decompress", "false"),
        ]);
        let o = OracleOptions::from_values(&defaults).unwrap();
        assert!(o.ignored_settings().is_empty());

        let changed = values(&[
            ("copy_timeout", "5m"),
            ("encoding", "Slash"),
            ("attempt_resume_upload", "true"),
            ("compartment", "ocid1.compartment.oc1..x"),
        ]);
        let o = OracleOptions::from_values(&changed).unwrap();
        let ignored = o.ignored_settings();
        assert_eq!(ignored.len(), 4, "{ignored:?}");
        assert!(
            ignored
                .iter()
                .any(|(k, s)| *k == "copy_timeout" && s.starts_with("copy_timeout = "))
        );
        assert!(ignored.iter().any(|(k, _)| *k == "encoding"));
    }
}
