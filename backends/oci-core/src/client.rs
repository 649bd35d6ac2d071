//! Where every HTTP client of this crate starts (instance metadata, the federation call, the
//! signed service clients): never following redirects — a redirect would carry a signed request
//! or a bearer token to another host. An application with its own network policy (proxies,
//! trusted CAs, user agent) installs its builder once with [`set_client_builder`].

use std::sync::OnceLock;

/// The default `User-Agent`.
pub const USER_AGENT: &str = concat!("oci-core/", env!("CARGO_PKG_VERSION"));

static BUILDER: OnceLock<fn() -> reqwest::ClientBuilder> = OnceLock::new();

/// Makes `builder` the start of every client this crate builds from now on. The first call
/// wins (returns `false` after that); call it before the first OCI call.
pub fn set_client_builder(builder: fn() -> reqwest::ClientBuilder) -> bool {
    BUILDER.set(builder).is_ok()
}

/// A client builder: the installed one, or reqwest's with no redirects and this crate's user
/// agent.
pub fn client_builder() -> reqwest::ClientBuilder {
    match BUILDER.get() {
        Some(builder) => builder(),
        None => reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none()),
    }
}
