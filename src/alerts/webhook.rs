//! `type = "webhook"`: POSTs the run report (JSON) to a URL — healthchecks.io, a Slack or Teams
//! relay, any HTTP endpoint.
//!
//! ```toml
//! [alerts.healthcheck]
//! type = "webhook"
//! url = "https://hc-ping.com/<uuid>"
//! on = ["failure", "success"]
//! ```
//!
//! The URL is treated as a secret (webhook URLs usually carry the token that lets anyone post):
//! `config show` redacts it and errors name only its host. https only, except to loopback.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ocisync_backend::endpoint::check_endpoint_url;
use ocisync_backend::{
    AlertMessage, AlertSink, AlertSpec, AlertType, ConfigValues, Error, ErrorKind, OptionError,
    Result, Secret,
};

ocisync_backend::declare_options! {
    /// Options of `type = "webhook"`.
    pub struct WebhookOptions {
        /// The URL to POST the run report to (JSON, `Content-Type: application/json`).
        url: Secret;
        /// How long one attempt may take.
        timeout: ocisync_backend::Duration = "10s";
    }
}

static SPEC: AlertSpec = AlertSpec {
    name: "webhook",
    description: "POST the run report (JSON) to a URL: healthchecks.io, Slack relays, any HTTP endpoint.",
    options: WebhookOptions::SPECS,
};

pub struct WebhookType;
pub static TYPE: WebhookType = WebhookType;

/// Attempts per message: 429 and 5xx answers and connection failures are retried.
const ATTEMPTS: u32 = 3;

impl AlertType for WebhookType {
    fn spec(&self) -> &'static AlertSpec {
        &SPEC
    }

    fn build(
        &self,
        _name: &str,
        values: &ConfigValues,
    ) -> std::result::Result<Arc<dyn AlertSink>, OptionError> {
        let options = WebhookOptions::from_values(values)?;
        let parsed = url::Url::parse(options.url.expose())
            .map_err(|_| OptionError::invalid("url", "not a valid URL"))?;
        // The check's message quotes the URL: show only scheme and host.
        check_endpoint_url(options.url.expose()).map_err(|_| {
            OptionError::invalid(
                "url",
                format!(
                    "{}://{}/…: use https (plain http only to loopback), without user:password",
                    parsed.scheme(),
                    parsed.host_str().unwrap_or("?")
                ),
            )
        })?;
        // ocisync's network policy: no redirects (a redirect would re-send the report to a host
        // the operator did not configure), no proxy for loopback.
        let client = ocisync_backend::transport::client_builder()
            .timeout(options.timeout.0)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| OptionError::invalid("url", format!("HTTP client: {e}")))?;
        Ok(Arc::new(WebhookSink {
            host: parsed.host_str().unwrap_or("?").to_string(),
            url: options.url,
            client,
        }))
    }
}

struct WebhookSink {
    url: Secret,
    /// What errors may show of the URL.
    host: String,
    client: reqwest::Client,
}

#[async_trait]
impl AlertSink for WebhookSink {
    async fn send(&self, message: &AlertMessage) -> Result<()> {
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt - 1))).await;
            }
            let sent = self
                .client
                .post(self.url.expose())
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(message.json.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => {
                    let status = r.status();
                    last = format!("answered {status}");
                    if !(status.as_u16() == 429 || status.is_server_error()) {
                        return Err(self.error(ErrorKind::Other, last));
                    }
                }
                // reqwest's message quotes the URL: name the failure without it.
                Err(e) if e.is_timeout() => last = "timed out".to_string(),
                Err(e) if e.is_connect() => last = "could not connect".to_string(),
                Err(_) => last = "request failed".to_string(),
            }
        }
        Err(self.error(
            ErrorKind::Temporary,
            format!("{last} (after {ATTEMPTS} attempts)"),
        ))
    }
}

impl WebhookSink {
    fn error(&self, kind: ErrorKind, message: String) -> Error {
        Error::new(kind, format!("webhook to {}: {message}", self.host))
    }
}
