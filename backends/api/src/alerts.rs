//! Alert sinks: where ocisync tells someone how an unattended run went.
//!
//! An `[alerts.NAME]` section names a sink type (`oci_notifications`, `webhook`, `command`) and
//! its options, declared once like a backend's; `on = [...]` (handled by ocisync, common to every
//! type) says which outcomes it hears about. Sink types plug in the way credential types do: a
//! [`AlertType`] in the registry builds an [`AlertSink`] from checked values.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Result;
use crate::options::{ConfigValues, OptionError, OptionSpec};

/// Largest message body a sink is given (OCI Notifications refuses requests over 64 KB, and
/// nobody reads more in an alert).
pub const MAX_BODY_BYTES: usize = 60 * 1024;

/// One message.
#[derive(Debug, Clone)]
pub struct AlertMessage {
    /// One line: the e-mail subject for OCI Notifications.
    pub title: String,
    /// Plain text for people, at most [`MAX_BODY_BYTES`].
    pub body: String,
    /// The same facts as a JSON document for programs (the run report for runs): what webhook
    /// and command sinks deliver.
    pub json: String,
}

/// Delivers messages. Implementations must never put a secret (a webhook URL's token, a key)
/// in an error.
#[async_trait]
pub trait AlertSink: Send + Sync {
    async fn send(&self, message: &AlertMessage) -> Result<()>;

    /// What a failure to deliver usually means and how to fix it (e.g. the missing policy),
    /// appended to errors by `ocisync alert test`.
    fn failure_hint(&self) -> Option<String> {
        None
    }
}

/// A sink type, declared like a backend.
pub struct AlertSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub options: &'static [OptionSpec],
}

pub trait AlertType: Send + Sync {
    fn spec(&self) -> &'static AlertSpec;
    /// Builds the sink from checked values (`on` removed); `name` is the `[alerts.NAME]` name.
    fn build(
        &self,
        name: &str,
        values: &ConfigValues,
    ) -> std::result::Result<Arc<dyn AlertSink>, OptionError>;
}

/// Cuts `text` to at most `max` bytes on a character boundary, with a marker saying so.
pub fn truncate_with_marker(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    const MARKER: &str = "\n[… truncated by ocisync]";
    let mut end = max.saturating_sub(MARKER.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{MARKER}", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_the_limit_and_characters() {
        assert_eq!(truncate_with_marker("short", 100), "short");
        let long = "é".repeat(1000);
        let cut = truncate_with_marker(&long, 101);
        assert!(cut.len() <= 101, "{}", cut.len());
        assert!(cut.ends_with("[… truncated by ocisync]"));
    }
}
