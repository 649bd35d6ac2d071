//! `type = "oci_notifications"`: an alert sink that publishes to an OCI Notifications (ONS)
//! topic, signed by the VM's own identity — so failure e-mails need no key on the VM either.
//!
//! ```toml
//! [alerts.ops]
//! type = "oci_notifications"
//! topic = "ocid1.onstopic.oc1.iad.aaaa"
//! auth = "instance_principal"          # or resource_principal, user_principal
//! on = ["failure"]
//! ```
//!
//! PublishMessage is `POST {endpoint}/20181201/topics/{topicId}/messages` with
//! `{"title", "body"}` (the title is the e-mail subject; the request is
//! `oci_core::notifications`'s); the default endpoint is the regional
//! `https://notification.{region}.{realm domain}` that Oracle's SDKs use. The identity needs
//! `allow dynamic-group <dg> to use ons-topics in compartment <c>`; without it OCI answers 404
//! NotAuthorizedOrNotFound, which the error explains.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::{Method, StatusCode};
use oci_core::notifications::{publish_message_body, publish_message_url};
use ocisync_backend::{
    AlertMessage, AlertSink, AlertSpec, AlertType, ConfigValues, Error, Ocid, OptionError, Result,
};

use crate::endpoints::notification_endpoint;
use crate::error::from_core;
use crate::service::{
    Limits, PrincipalOptions, ServiceClient, check_endpoint_option, describe_status, refusal_kind,
};

const TYPE_NAME: &str = "oci_notifications";

/// Alerts must not hold up the end of a run: short timeouts, few attempts (429 and 5xx are
/// retried; ONS allows 60 messages a minute per topic).
const LIMITS: Limits = Limits {
    connect: Duration::from_secs(5),
    total: Duration::from_secs(15),
    attempts: 3,
    backoff: Duration::from_millis(500),
    use_proxy: true,
};

ocisync_backend::declare_options! {
    /// Options of `type = "oci_notifications"`.
    pub struct NotificationsOptions {
        /// OCID of the Notifications topic to publish to (ocid1.onstopic...).
        topic: Ocid;
        /// Who publishes: instance_principal (the VM's own identity), resource_principal or
        /// user_principal (an API key in config_file).
        auth: String = "instance_principal";
        /// OCI config file, for auth = user_principal.
        config_file: String = "~/.oci/config";
        /// Profile in the OCI config file, for auth = user_principal (any letter case:
        /// rclone's `Default` is the same profile).
        config_profile: String = "DEFAULT";
        /// Region of the topic, such as us-ashburn-1. Blank: the identity's region.
        region: Option<String>;
        /// Base URL of the Notifications service (the topic's apiEndpoint, a private endpoint,
        /// tests), replacing https://notification.{region}.{realm domain}. Plain http only for
        /// loopback.
        endpoint: Option<String>, advanced;
        /// Full URL of the x509 federation call instance principals make. Blank: derived from
        /// the instance's region.
        federation_endpoint: Option<String>, advanced;
    }
}

static SPEC: AlertSpec = AlertSpec {
    name: TYPE_NAME,
    description: "Publish to an OCI Notifications topic (e-mail, Slack, PagerDuty...), keyless.",
    options: NotificationsOptions::SPECS,
};

/// The `oci_notifications` alert sink type, for the registry.
pub struct NotificationsType;
pub static TYPE: NotificationsType = NotificationsType;

impl AlertType for NotificationsType {
    fn spec(&self) -> &'static AlertSpec {
        &SPEC
    }

    fn build(
        &self,
        _name: &str,
        values: &ConfigValues,
    ) -> std::result::Result<Arc<dyn AlertSink>, OptionError> {
        let options = NotificationsOptions::from_values(values)?;
        if options.topic.resource_type() != "onstopic" {
            return Err(OptionError::invalid(
                "topic",
                "must be a Notifications topic OCID (ocid1.onstopic...)",
            ));
        }
        let auth_options = PrincipalOptions {
            auth: &options.auth,
            config_file: &options.config_file,
            config_profile: &options.config_profile,
            region: options.region.as_deref(),
            federation_endpoint: options.federation_endpoint.as_deref(),
        }
        .auth_options()?;
        check_endpoint_option("endpoint", options.endpoint.as_deref())?;
        crate::options::check_region_option(
            options.region.as_deref(),
            options.endpoint.as_deref(),
        )?;
        Ok(Arc::new(NotificationsSink {
            client: ServiceClient::new(TYPE_NAME, auth_options, LIMITS)?,
            options,
        }))
    }
}

struct NotificationsSink {
    options: NotificationsOptions,
    client: ServiceClient,
}

#[async_trait]
impl AlertSink for NotificationsSink {
    async fn send(&self, message: &AlertMessage) -> Result<()> {
        let base = self
            .client
            .base_url(
                self.options.endpoint.as_deref(),
                self.options.region.as_deref(),
                notification_endpoint,
            )
            .await?;
        let topic = self.options.topic.trim();
        let url = publish_message_url(&base, topic);
        let body = publish_message_body(&message.title, &message.body).map_err(from_core)?;
        let reply = self.client.call(Method::POST, &url, Some(&body)).await?;
        if reply.status.is_success() {
            return Ok(());
        }
        let mut text = format!("topic {topic}: {}", describe_status(&reply));
        if reply.status == StatusCode::NOT_FOUND {
            text.push_str(&format!(" — {}", self.failure_hint().unwrap_or_default()));
        }
        Err(self.client.prefixed(
            Error::new(refusal_kind(reply.status), text),
            "PublishMessage",
        ))
    }

    fn failure_hint(&self) -> Option<String> {
        Some(format!(
            "check the topic OCID and that a policy lets this identity publish to it: \
             `allow dynamic-group <dynamic group> to use ons-topics in compartment <topic's \
             compartment>` (topic {})",
            self.options.topic.trim()
        ))
    }
}
