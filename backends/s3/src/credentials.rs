//! Feeds a `credentials = "NAME"` provider into OpenDAL's S3 signer.
//!
//! The signer asks again when the credential it holds is about to expire; the provider's cache
//! (with one refresh in flight) answers. Values go from the provider to the signer in memory and
//! nowhere else.

use reqsign_aws_v4::Credential;
use reqsign_core::{Context, ProvideCredential, ProvideCredentialChain};

use crate::Source;

#[derive(Debug)]
struct FromSource(Source);

impl ProvideCredential for FromSource {
    type Credential = Credential;

    async fn provide_credential(&self, _ctx: &Context) -> reqsign_core::Result<Option<Credential>> {
        let creds = self
            .0
            .get()
            .await
            .map_err(|e| reqsign_core::Error::credential_invalid(e.to_string()))?;
        let get = |k: &str| creds.get(k).map(|s| s.expose().to_string());
        let (Some(access_key_id), Some(secret_access_key)) =
            (get("access_key_id"), get("secret_access_key"))
        else {
            return Err(reqsign_core::Error::credential_invalid(format!(
                "credentials {:?} gave no access_key_id/secret_access_key",
                self.0.name()
            )));
        };
        let expires_in = creds
            .expires_at
            .and_then(|t| reqsign_core::time::Timestamp::from_second(t.as_second()).ok());
        Ok(Some(Credential {
            access_key_id,
            secret_access_key,
            session_token: get("session_token"),
            expires_in,
        }))
    }
}

pub(crate) fn chain(source: Source) -> ProvideCredentialChain<Credential> {
    ProvideCredentialChain::new().push(FromSource(source))
}
