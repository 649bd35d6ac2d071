//! The OCI SDK/CLI configuration file (`~/.oci/config`): INI sections, one per profile, whose
//! keys (`user`, `fingerprint`, `tenancy`, `region`, `key_file`, `pass_phrase`,
//! `security_token_file`...) describe an identity. A profile inherits every key of the
//! `[DEFAULT]` section it does not set itself, as Python's `configparser` (used by the OCI CLI
//! and Python SDK) does.
//!
//! Parsing follows `configparser`: `[NAME]` headers, `key = value` or `key: value` (split at the
//! first delimiter, so values may contain `=`), keys case-insensitive, `#`/`;` comment lines,
//! duplicate sections or keys are errors. Every value remembers its file and line, so errors can
//! say where a bad value came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{Error, ErrorKind, Result, Secret};
use zeroize::Zeroizing;

pub const DEFAULT_PROFILE: &str = "DEFAULT";

/// A value and where it came from (`/home/u/.oci/config line 4 [DEFAULT]`, `environment
/// variable OCI_CLI_USER`). The value is a [`Secret`] because one of them is the pass phrase;
/// the rest are exposed freely.
#[derive(Debug, Clone)]
pub struct Setting {
    pub value: Secret,
    pub origin: String,
}

/// One profile of a config file, with `[DEFAULT]`'s keys filled in.
#[derive(Debug)]
pub struct ConfigProfile {
    file: PathBuf,
    name: String,
    values: BTreeMap<String, Setting>,
}

impl ConfigProfile {
    /// Reads `profile` from `file`. A profile named `DEFAULT` in any letter case (rclone's
    /// default `config_profile` is `Default`) selects the `[DEFAULT]` section.
    pub fn load(file: &Path, profile: &str) -> Result<Self> {
        Self::parse(&read(file)?, file, profile)
    }

    /// Like [`Self::load`], but a file without the profile gives `None` instead of an error.
    pub fn load_if_present(file: &Path, profile: &str) -> Result<Option<Self>> {
        let sections = parse_sections(&read(file)?, file)?;
        Ok(Self::select(sections, file, profile).ok())
    }

    pub fn parse(text: &str, file: &Path, profile: &str) -> Result<Self> {
        let sections = parse_sections(text, file)?;
        Self::select(sections, file, profile).map_err(|known| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "profile [{profile}] not found in OCI config file {} (it has: {known})",
                    file.display()
                ),
            )
        })
    }

    /// The profile with `[DEFAULT]` filled in, or the list of profiles there are.
    fn select(
        mut sections: Sections,
        file: &Path,
        profile: &str,
    ) -> std::result::Result<Self, String> {
        let name = if sections.contains_key(profile) {
            profile.to_string()
        } else if profile.eq_ignore_ascii_case(DEFAULT_PROFILE)
            && sections.contains_key(DEFAULT_PROFILE)
        {
            DEFAULT_PROFILE.to_string()
        } else {
            return Err(sections
                .keys()
                .map(|s| format!("[{s}]"))
                .collect::<Vec<_>>()
                .join(", "));
        };
        let mut values = sections.remove(DEFAULT_PROFILE).unwrap_or_default();
        if let Some(own) = sections.remove(&name) {
            values.extend(own);
        }
        Ok(ConfigProfile {
            file: file.to_path_buf(),
            name,
            values,
        })
    }

    /// The value of `key` (lowercase), from this profile or `[DEFAULT]`.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.values.get(key).filter(|s| !s.value.is_empty())
    }

    /// `/home/u/.oci/config [prod]`, for messages about keys that are missing.
    pub fn describe(&self) -> String {
        format!("{} [{}]", self.file.display(), self.name)
    }
}

type Sections = BTreeMap<String, BTreeMap<String, Setting>>;

fn read(file: &Path) -> Result<Zeroizing<String>> {
    std::fs::read_to_string(file)
        .map(Zeroizing::new)
        .map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::NotFound {
                "not found"
            } else {
                "unreadable"
            };
            Error::new(
                ErrorKind::Config,
                format!("OCI config file {} {what}", file.display()),
            )
            .with_source(e)
        })
}

fn parse_sections(text: &str, file: &Path) -> Result<Sections> {
    let mut sections = Sections::new();
    let mut current: Option<String> = None;
    let syntax = |line: usize, what: String| {
        Error::new(
            ErrorKind::Config,
            format!("OCI config file {} line {line}: {what}", file.display()),
        )
    };
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let name = header
                .strip_suffix(']')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| {
                    syntax(number, "a section header must look like [PROFILE]".into())
                })?;
            if sections.contains_key(name) {
                return Err(syntax(number, format!("profile [{name}] appears twice")));
            }
            sections.insert(name.to_string(), BTreeMap::new());
            current = Some(name.to_string());
            continue;
        }
        let Some(section) = current.as_ref() else {
            return Err(syntax(
                number,
                "a key comes before any [PROFILE] header".into(),
            ));
        };
        let Some(split) = line.find(['=', ':']) else {
            return Err(syntax(
                number,
                format!("expected `key = value` in [{section}]"),
            ));
        };
        let key = line[..split].trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(syntax(
                number,
                format!("a value without a key in [{section}]"),
            ));
        }
        let entries = sections.entry(section.clone()).or_default();
        if let Some(previous) = entries.get(&key) {
            return Err(syntax(
                number,
                format!(
                    "`{key}` is set twice in [{section}] (also {})",
                    previous.origin
                ),
            ));
        }
        let origin = format!("{} line {number} [{section}]", file.display());
        entries.insert(
            key,
            Setting {
                value: Secret::new(line[split + 1..].trim()),
                origin,
            },
        );
    }
    Ok(sections)
}

/// `~` or `~/rest` → the home directory; other paths unchanged (relative ones stay relative to
/// the working directory, as in the SDKs). A `~` that cannot be expanded — `HOME` unset, or
/// `~user/` — is an error: taken literally it would be a directory named `~` under whatever
/// the working directory happens to be.
pub fn expand_tilde(path: &str, home: Option<&Path>) -> Result<PathBuf> {
    match (path, home) {
        ("~", Some(home)) => Ok(home.to_path_buf()),
        (p, Some(home)) if p.starts_with("~/") => Ok(home.join(&p[2..])),
        (p, None) if p == "~" || p.starts_with("~/") => Err(Error::config(format!(
            "{p}: ~ cannot be expanded: HOME is not set (give an absolute path)"
        ))),
        (p, _) if p.starts_with('~') => Err(Error::config(format!(
            "{p}: only ~/ (the home directory) is expanded; give an absolute path"
        ))),
        (p, _) => Ok(PathBuf::from(p)),
    }
}

/// A private key file's permissions, as the OCI CLI and ssh judge them: readable by every user
/// of the machine is refused (ssh refuses such keys), readable by the group is said once per
/// file (the OCI CLI warns; `root:ocisync 0640` can be deliberate).
pub fn check_private_file(path: &Path, what: &str, who: &str) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            // Reading it will say what is wrong.
            return Ok(());
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o004 != 0 {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "{who}: {what} {} is readable by every user of this machine (mode {mode:04o}); \
                     refusing to use it: run chmod 600 {}",
                    path.display(),
                    path.display()
                ),
            ));
        }
        if mode & 0o070 != 0 {
            static SAID: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
            let mut said = SAID.lock().unwrap_or_else(|p| p.into_inner());
            if !said.iter().any(|p| p == path) {
                said.push(path.to_path_buf());
                tracing::warn!(
                    "{who}: {what} {} is readable by its group (mode {mode:04o}); unless that is \
                     meant, run: chmod 600 {}",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    Ok(())
}

/// `$HOME`, where `~` and the default config file live.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# written by oci setup config
[DEFAULT]
user=ocid1.user.oc1..default
fingerprint = 11:22
key_file=~/.oci/oci_api_key.pem
tenancy=ocid1.tenancy.oc1..t
region=us-ashburn-1
pass_phrase = a=b:c

[prod]
user: ocid1.user.oc1..prod
region=eu-frankfurt-1
  ; indented comment
Security_Token_File=~/.oci/sessions/prod/token
";

    fn parse(text: &str, profile: &str) -> Result<ConfigProfile> {
        ConfigProfile::parse(text, Path::new("/home/u/.oci/config"), profile)
    }

    fn value(p: &ConfigProfile, key: &str) -> Option<String> {
        p.get(key).map(|s| s.value.expose().to_string())
    }

    #[test]
    fn profiles_inherit_default() {
        let prod = parse(FILE, "prod").expect("prod");
        assert_eq!(
            value(&prod, "user").as_deref(),
            Some("ocid1.user.oc1..prod")
        );
        assert_eq!(value(&prod, "region").as_deref(), Some("eu-frankfurt-1"));
        assert_eq!(
            value(&prod, "tenancy").as_deref(),
            Some("ocid1.tenancy.oc1..t")
        );
        assert_eq!(
            value(&prod, "security_token_file").as_deref(),
            Some("~/.oci/sessions/prod/token")
        );
        assert_eq!(
            prod.get("user").map(|s| s.origin.as_str()),
            Some("/home/u/.oci/config line 11 [prod]")
        );
        assert_eq!(
            prod.get("tenancy").map(|s| s.origin.as_str()),
            Some("/home/u/.oci/config line 6 [DEFAULT]")
        );
        assert_eq!(prod.describe(), "/home/u/.oci/config [prod]");

        let default = parse(FILE, "DEFAULT").expect("DEFAULT");
        assert_eq!(
            value(&default, "user").as_deref(),
            Some("ocid1.user.oc1..default")
        );
        assert_eq!(value(&default, "pass_phrase").as_deref(), Some("a=b:c"));
        assert_eq!(value(&default, "security_token_file"), None);
    }

    #[test]
    fn rclones_default_profile_name_selects_default() {
        let p = parse(FILE, "Default").expect("Default → DEFAULT");
        assert_eq!(p.describe(), "/home/u/.oci/config [DEFAULT]");
    }

    #[test]
    fn missing_profile_lists_the_ones_there() {
        let err = parse(FILE, "staging").expect_err("missing");
        assert_eq!(err.kind, ErrorKind::Config);
        assert_eq!(
            err.to_string(),
            "profile [staging] not found in OCI config file /home/u/.oci/config (it has: [DEFAULT], [prod])"
        );
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        for (text, expected) in [
            (
                "user=x\n",
                "line 1: a key comes before any [PROFILE] header",
            ),
            (
                "[DEFAULT]\nuser=x\njunk\n",
                "line 3: expected `key = value` in [DEFAULT]",
            ),
            (
                "[DEFAULT]\nuser=x\nUSER=y\n",
                "line 3: `user` is set twice in [DEFAULT] (also /home/u/.oci/config line 2 [DEFAULT])",
            ),
            (
                "[DEFAULT]\n[a\n",
                "line 2: a section header must look like [PROFILE]",
            ),
            ("[a]\n[a]\n", "line 2: profile [a] appears twice"),
        ] {
            let err = parse(text, "DEFAULT").expect_err(text);
            assert_eq!(
                err.to_string(),
                format!("OCI config file /home/u/.oci/config {expected}"),
                "{text:?}"
            );
        }
    }

    #[test]
    fn pass_phrases_stay_out_of_debug_output() {
        let p = parse(FILE, "DEFAULT").expect("parse");
        assert!(!format!("{p:?}").contains("a=b:c"));
    }

    #[test]
    fn missing_file_is_named() {
        let err = ConfigProfile::load(Path::new("/nonexistent/oci/config"), "DEFAULT")
            .expect_err("missing");
        assert!(
            err.to_string()
                .starts_with("OCI config file /nonexistent/oci/config not found"),
            "{err}"
        );
    }

    #[test]
    fn loose_key_files_are_refused_or_reported() {
        use std::os::unix::fs::PermissionsExt;
        let dir = crate::testutil::TempDir::new("key-modes");
        let key = dir.path().join("key.pem");
        std::fs::write(&key, "not really a key").expect("write");
        let mode = |m: u32| {
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(m)).expect("chmod")
        };
        mode(0o600);
        assert!(check_private_file(&key, "key_file", "test").is_ok());
        mode(0o640);
        assert!(
            check_private_file(&key, "key_file", "test").is_ok(),
            "group: a warning"
        );
        mode(0o644);
        let e = check_private_file(&key, "key_file", "test").expect_err("world-readable");
        let text = e.to_string();
        assert!(
            text.contains("readable by every user") && text.contains("chmod 600"),
            "{text}"
        );
    }

    #[test]
    fn tilde_expansion() {
        let home = Path::new("/home/u");
        let ok = |p: &str, h: Option<&Path>| expand_tilde(p, h).expect(p);
        assert_eq!(
            ok("~/.oci/key.pem", Some(home)),
            PathBuf::from("/home/u/.oci/key.pem")
        );
        assert_eq!(ok("~", Some(home)), PathBuf::from("/home/u"));
        assert_eq!(
            ok("/etc/key.pem", Some(home)),
            PathBuf::from("/etc/key.pem")
        );
        assert_eq!(ok("/etc/key.pem", None), PathBuf::from("/etc/key.pem"));
        // Never a directory named `~` under the working directory.
        let e = expand_tilde("~/k", None).expect_err("no home");
        assert!(e.to_string().contains("HOME is not set"), "{e}");
        assert!(expand_tilde("~", None).is_err());
        assert!(expand_tilde("~other/key", Some(home)).is_err());
    }
}
