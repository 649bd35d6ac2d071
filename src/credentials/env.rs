//! `type = "env"`: credentials from environment variables, read when first needed.
//!
//! ```toml
//! [credentials.aws_env]
//! type = "env"
//! access_key_id = "AWS_ACCESS_KEY_ID"        # names of the variables (these are the defaults)
//! secret_access_key = "AWS_SECRET_ACCESS_KEY"
//! session_token = "AWS_SESSION_TOKEN"         # optional: skipped when unset
//! ```

use async_trait::async_trait;
use ocisync_backend::{
    CredentialProvider, CredentialSpec, Credentials, Error, ErrorKind, OptionsCredentialType,
    Result, Secret,
};

ocisync_backend::declare_options! {
    /// Options of `type = "env"`: each names the variable holding that credential.
    pub struct EnvOptions {
        /// Variable holding the access key ID.
        access_key_id: String = "AWS_ACCESS_KEY_ID";
        /// Variable holding the secret access key.
        secret_access_key: String = "AWS_SECRET_ACCESS_KEY";
        /// Variable holding the session token (skipped when unset).
        session_token: String = "AWS_SESSION_TOKEN";
    }
}

static SPEC: CredentialSpec = CredentialSpec {
    name: "env",
    description: "Credentials from environment variables (named by the options).",
    options: EnvOptions::SPECS,
};

pub static TYPE: OptionsCredentialType<EnvOptions> = OptionsCredentialType {
    spec: &SPEC,
    parse: EnvOptions::from_values,
};

#[async_trait]
impl CredentialProvider for EnvOptions {
    async fn fetch(&self) -> Result<Credentials> {
        let mut c = Credentials::default();
        for (key, var, required) in [
            ("access_key_id", &self.access_key_id, true),
            ("secret_access_key", &self.secret_access_key, true),
            ("session_token", &self.session_token, false),
        ] {
            match std::env::var(var) {
                Ok(v) if !v.is_empty() => {
                    c.values.insert(key.to_string(), Secret::new(v));
                }
                _ if required => {
                    return Err(Error::new(
                        ErrorKind::Auth,
                        format!("environment variable {var} ({key}) is not set"),
                    ));
                }
                _ => {}
            }
        }
        Ok(c)
    }
}
