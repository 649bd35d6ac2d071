//! `type = "static"`: credentials written in the config file itself (which then should be
//! mode 600 — ocisync warns otherwise).

use async_trait::async_trait;
use ocisync_backend::{
    CredentialProvider, CredentialSpec, Credentials, OptionsCredentialType, Result, Secret,
};

ocisync_backend::declare_options! {
    /// Options of `type = "static"`.
    pub struct StaticOptions {
        /// Access key ID.
        access_key_id: Secret;
        /// Secret access key.
        secret_access_key: Secret;
        /// Session token, for temporary credentials.
        session_token: Option<Secret>;
    }
}

static SPEC: CredentialSpec = CredentialSpec {
    name: "static",
    description: "Credentials written in the config file.",
    options: StaticOptions::SPECS,
};

pub static TYPE: OptionsCredentialType<StaticOptions> = OptionsCredentialType {
    spec: &SPEC,
    parse: StaticOptions::from_values,
};

#[async_trait]
impl CredentialProvider for StaticOptions {
    async fn fetch(&self) -> Result<Credentials> {
        let mut c = Credentials::default();
        c.values
            .insert("access_key_id".into(), self.access_key_id.clone());
        c.values
            .insert("secret_access_key".into(), self.secret_access_key.clone());
        if let Some(t) = &self.session_token {
            c.values.insert("session_token".into(), t.clone());
        }
        Ok(c)
    }
}
