//! `provider = env_auth` (rclone's default): a user principal assembled from the runtime
//! environment, "first one to provide auth wins".
//!
//! rclone hands env_auth to the Go SDK's `DefaultConfigProvider`, which reads the `DEFAULT`
//! profile of `~/.oci/config` (or `$OCI_CONFIG_FILE` when that file is missing), then
//! `~/.obmcs/config`, then `TF_VAR_tenancy_ocid`, `TF_VAR_user_ocid`, `TF_VAR_fingerprint`,
//! `TF_VAR_private_key_path` and `TF_VAR_region`, with `OCI_REGION` as a last resort for the
//! region. The OCI CLI instead lets its `OCI_CLI_*` variables override the config file. ocisync
//! takes each setting from the first of these sources that has it:
//!
//! 1. OCI CLI variables: `OCI_CLI_TENANCY`, `OCI_CLI_USER`, `OCI_CLI_FINGERPRINT`,
//!    `OCI_CLI_KEY_FILE`, `OCI_CLI_PASSPHRASE`, `OCI_CLI_REGION`, `OCI_CLI_SECURITY_TOKEN_FILE`;
//! 2. the Go SDK's `OCI`-prefixed variables (`ConfigurationProviderEnvironmentVariables("OCI")`):
//!    `OCI_tenancy_ocid`, `OCI_user_ocid`, `OCI_fingerprint`, `OCI_private_key_path`,
//!    `OCI_private_key_password`, `OCI_region`;
//! 3. the config file: `$OCI_CLI_CONFIG_FILE`, else the remote's `config_file` (default
//!    `~/.oci/config`), else `$OCI_CONFIG_FILE`, the first that exists; profile
//!    `$OCI_CLI_PROFILE`, else the remote's `config_profile`, else `DEFAULT`. A missing file or
//!    profile is skipped; a malformed file is an error;
//! 4. as in rclone: `TF_VAR_*` as above, then `OCI_REGION` for the region.
//!
//! So a complete set of environment variables needs no config file, and a config file alone
//! works as in rclone. `~/.obmcs/config` (the SDKs' pre-2018 location) is not read.

use std::path::{Path, PathBuf};

use crate::{Result, Secret};

use super::AuthOptions;
use super::config_file::{ConfigProfile, DEFAULT_PROFILE, Setting, home_dir};
use super::user_principal::{UserPrincipal, UserSettings, config_file_path};

const PROVIDER: &str = "env_auth";

/// Variable names per config key, for one family of variables.
type Family = &'static [(&'static str, &'static str)];

const OCI_CLI: Family = &[
    ("tenancy", "OCI_CLI_TENANCY"),
    ("user", "OCI_CLI_USER"),
    ("fingerprint", "OCI_CLI_FINGERPRINT"),
    ("key_file", "OCI_CLI_KEY_FILE"),
    ("pass_phrase", "OCI_CLI_PASSPHRASE"),
    ("region", "OCI_CLI_REGION"),
    ("security_token_file", "OCI_CLI_SECURITY_TOKEN_FILE"),
];

const GO_SDK_OCI_PREFIX: Family = &[
    ("tenancy", "OCI_tenancy_ocid"),
    ("user", "OCI_user_ocid"),
    ("fingerprint", "OCI_fingerprint"),
    ("key_file", "OCI_private_key_path"),
    ("pass_phrase", "OCI_private_key_password"),
    ("region", "OCI_region"),
];

const TERRAFORM: Family = &[
    ("tenancy", "TF_VAR_tenancy_ocid"),
    ("user", "TF_VAR_user_ocid"),
    ("fingerprint", "TF_VAR_fingerprint"),
    ("key_file", "TF_VAR_private_key_path"),
    ("region", "TF_VAR_region"),
];

const GO_SDK_REGION: Family = &[("region", "OCI_REGION")];

/// Builds the env_auth identity from the process environment and `$HOME`.
pub fn env_auth(opts: &AuthOptions) -> Result<UserPrincipal> {
    env_auth_with(
        opts,
        &|name| std::env::var(name).ok(),
        home_dir().as_deref(),
    )
}

fn env_auth_with(
    opts: &AuthOptions,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<UserPrincipal> {
    let mut settings = from_env(OCI_CLI, env);
    settings.fill_from(from_env(GO_SDK_OCI_PREFIX, env));

    let profile_name = env("OCI_CLI_PROFILE")
        .or_else(|| opts.config_profile.clone())
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_PROFILE.to_string());
    let file = config_file(opts, env, home)?;
    const ENVIRONMENT: &str = "the environment (OCI_CLI_*, OCI_*, TF_VAR_*)";
    // A file without this profile is not an error for env_auth; a malformed file is.
    let context = match &file {
        Some(path) => match ConfigProfile::load_if_present(path, &profile_name)? {
            Some(profile) => {
                settings.fill_from(UserSettings::from_profile(&profile));
                format!("{ENVIRONMENT} or {}", profile.describe())
            }
            None => format!(
                "{ENVIRONMENT} or {} (it has no [{profile_name}] profile)",
                path.display()
            ),
        },
        None => format!("{ENVIRONMENT}, and no OCI config file was found"),
    };

    settings.fill_from(from_env(TERRAFORM, env));
    settings.fill_from(from_env(GO_SDK_REGION, env));
    UserPrincipal::from_settings(PROVIDER, &settings, home, &context)
}

/// The first existing config file of `$OCI_CLI_CONFIG_FILE`, the configured/default one and
/// `$OCI_CONFIG_FILE`.
fn config_file(
    opts: &AuthOptions,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Option<PathBuf>> {
    let mut candidates = Vec::new();
    if let Some(file) = env("OCI_CLI_CONFIG_FILE") {
        candidates.push(config_file_path(Some(&file), home)?);
    }
    // Without $HOME there is no default file; the environment may still be complete.
    if let Ok(path) = config_file_path(opts.config_file.as_deref(), home) {
        candidates.push(path);
    }
    if let Some(file) = env("OCI_CONFIG_FILE") {
        candidates.push(config_file_path(Some(&file), home)?);
    }
    Ok(candidates.into_iter().find(|p| p.is_file()))
}

fn from_env(family: Family, env: &dyn Fn(&str) -> Option<String>) -> UserSettings {
    let mut settings = UserSettings::default();
    for (key, var) in family {
        let value = env(var).filter(|v| !v.trim().is_empty());
        if let (Some(slot), Some(value)) = (settings.slot(key), value) {
            let value = Secret::new(value.trim());
            *slot = Some(Setting {
                value,
                origin: format!("environment variable {var}"),
            });
        }
    }
    settings
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::auth::{OciAuth, SignBody};
    use crate::keys::RsaSigningKey;
    use crate::testutil::{TempDir, openssl};

    struct Fixture {
        home: TempDir,
        fingerprint: String,
    }

    impl Fixture {
        /// A home directory with an API key at ~/key.pem.
        fn new() -> Self {
            let home = TempDir::new("env-auth");
            let key = home.path().join("key.pem");
            openssl(&["genrsa", "-out", &key.to_string_lossy(), "2048"]);
            let fingerprint = RsaSigningKey::from_pem(&std::fs::read(&key).expect("read"), None)
                .expect("load")
                .fingerprint();
            Fixture { home, fingerprint }
        }

        fn write_config(&self, text: &str) {
            std::fs::create_dir_all(self.home.path().join(".oci")).expect("mkdir");
            std::fs::write(self.home.path().join(".oci/config"), text).expect("write config");
        }

        fn build(&self, opts: &AuthOptions, vars: &[(&str, &str)]) -> Result<UserPrincipal> {
            let vars: HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            env_auth_with(
                opts,
                &|name| vars.get(name).cloned(),
                Some(self.home.path()),
            )
        }
    }

    fn opts() -> AuthOptions {
        AuthOptions {
            provider: "env_auth".into(),
            ..AuthOptions::default()
        }
    }

    async fn key_id(principal: &UserPrincipal) -> String {
        let (mut parts, ()) = http::Request::get("https://h/n")
            .body(())
            .expect("request")
            .into_parts();
        principal
            .sign(&mut parts, SignBody::None)
            .await
            .expect("sign");
        let auth = parts.headers["authorization"]
            .to_str()
            .expect("ascii")
            .to_string();
        let start = auth.find("keyId=\"").expect("keyId") + 7;
        auth[start..].split('"').next().expect("quote").to_string()
    }

    #[tokio::test]
    async fn oci_cli_variables_alone_are_enough() {
        let f = Fixture::new();
        let principal = f
            .build(
                &opts(),
                &[
                    ("OCI_CLI_TENANCY", "ocid1.tenancy.oc1..cli"),
                    ("OCI_CLI_USER", "ocid1.user.oc1..cli"),
                    ("OCI_CLI_FINGERPRINT", &f.fingerprint),
                    ("OCI_CLI_KEY_FILE", "~/key.pem"),
                    ("OCI_CLI_REGION", "fra"),
                ],
            )
            .expect("env only");
        assert_eq!(
            key_id(&principal).await,
            format!(
                "ocid1.tenancy.oc1..cli/ocid1.user.oc1..cli/{}",
                f.fingerprint
            )
        );
        assert_eq!(
            principal.region().await.expect("region").as_deref(),
            Some("fra")
        );
        assert_eq!(principal.name(), "env_auth");
    }

    #[tokio::test]
    async fn go_sdk_oci_prefixed_variables_work_too() {
        let f = Fixture::new();
        let key = f.home.path().join("key.pem");
        let principal = f
            .build(
                &opts(),
                &[
                    ("OCI_tenancy_ocid", "ocid1.tenancy.oc1..go"),
                    ("OCI_user_ocid", "ocid1.user.oc1..go"),
                    ("OCI_fingerprint", &f.fingerprint),
                    ("OCI_private_key_path", &key.to_string_lossy()),
                    ("OCI_region", "us-phoenix-1"),
                ],
            )
            .expect("go env");
        assert_eq!(
            key_id(&principal).await,
            format!("ocid1.tenancy.oc1..go/ocid1.user.oc1..go/{}", f.fingerprint)
        );
    }

    #[tokio::test]
    async fn environment_overrides_the_config_file_setting_by_setting() {
        let f = Fixture::new();
        f.write_config(&format!(
            "[DEFAULT]\ntenancy=ocid1.tenancy.oc1..file\nuser=ocid1.user.oc1..file\nfingerprint={}\nkey_file=~/key.pem\nregion=iad\n",
            f.fingerprint
        ));
        let principal = f.build(&opts(), &[]).expect("file only");
        assert_eq!(
            key_id(&principal).await,
            format!(
                "ocid1.tenancy.oc1..file/ocid1.user.oc1..file/{}",
                f.fingerprint
            )
        );
        assert_eq!(
            principal.region().await.expect("region").as_deref(),
            Some("iad")
        );

        let principal = f
            .build(
                &opts(),
                &[
                    ("OCI_CLI_USER", "ocid1.user.oc1..env"),
                    ("OCI_CLI_REGION", "lhr"),
                ],
            )
            .expect("mixed");
        assert_eq!(
            key_id(&principal).await,
            format!(
                "ocid1.tenancy.oc1..file/ocid1.user.oc1..env/{}",
                f.fingerprint
            )
        );
        assert_eq!(
            principal.region().await.expect("region").as_deref(),
            Some("lhr")
        );
    }

    #[tokio::test]
    async fn profiles_and_file_locations_come_from_options_or_the_environment() {
        let f = Fixture::new();
        let alt = f.home.path().join("alt-config");
        std::fs::write(
            &alt,
            format!(
                "[DEFAULT]\ntenancy=ocid1.tenancy.oc1..alt\nfingerprint={}\nkey_file=~/key.pem\n[ops]\nuser=ocid1.user.oc1..ops\n",
                f.fingerprint
            ),
        )
        .expect("write");
        let alt = alt.to_string_lossy().to_string();
        let with_file = AuthOptions {
            config_file: Some(alt.clone()),
            config_profile: Some("ops".into()),
            ..opts()
        };
        let principal = f.build(&with_file, &[]).expect("options");
        assert_eq!(
            key_id(&principal).await,
            format!(
                "ocid1.tenancy.oc1..alt/ocid1.user.oc1..ops/{}",
                f.fingerprint
            )
        );

        let principal = f
            .build(
                &opts(),
                &[("OCI_CLI_CONFIG_FILE", &alt), ("OCI_CLI_PROFILE", "ops")],
            )
            .expect("env-selected file");
        assert_eq!(
            key_id(&principal).await,
            format!(
                "ocid1.tenancy.oc1..alt/ocid1.user.oc1..ops/{}",
                f.fingerprint
            )
        );

        // $OCI_CONFIG_FILE is the Go SDK's fallback when ~/.oci/config does not exist.
        let err = f
            .build(&opts(), &[("OCI_CONFIG_FILE", &alt)])
            .expect_err("DEFAULT has no user");
        assert!(err.to_string().contains("`user` is not set"), "{err}");
        assert!(err.to_string().contains("alt-config [DEFAULT]"), "{err}");
    }

    #[tokio::test]
    async fn terraform_variables_and_oci_region_come_last() {
        let f = Fixture::new();
        let key = f.home.path().join("key.pem");
        let principal = f
            .build(
                &opts(),
                &[
                    ("TF_VAR_tenancy_ocid", "ocid1.tenancy.oc1..tf"),
                    ("TF_VAR_user_ocid", "ocid1.user.oc1..tf"),
                    ("TF_VAR_fingerprint", &f.fingerprint),
                    ("TF_VAR_private_key_path", &key.to_string_lossy()),
                    ("OCI_REGION", "sjc"),
                    ("OCI_CLI_USER", "ocid1.user.oc1..cli"),
                ],
            )
            .expect("terraform");
        assert_eq!(
            key_id(&principal).await,
            format!(
                "ocid1.tenancy.oc1..tf/ocid1.user.oc1..cli/{}",
                f.fingerprint
            )
        );
        assert_eq!(
            principal.region().await.expect("region").as_deref(),
            Some("sjc")
        );
    }

    #[tokio::test]
    async fn nothing_configured_says_where_it_looked() {
        let f = Fixture::new();
        let err = f.build(&opts(), &[]).expect_err("nothing");
        assert_eq!(
            err.to_string(),
            "env_auth: `key_file` is not set in the environment (OCI_CLI_*, OCI_*, TF_VAR_*), and no OCI config file was found"
        );
        f.write_config("[prod]\nuser=x\n");
        let err = f.build(&opts(), &[]).expect_err("no DEFAULT");
        assert!(
            err.to_string()
                .contains(".oci/config (it has no [DEFAULT] profile)"),
            "{err}"
        );
        f.write_config("[DEFAULT]\nbroken line\n");
        let err = f.build(&opts(), &[]).expect_err("malformed");
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
