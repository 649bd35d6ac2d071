//! `ocisync alert send` and `ocisync alert test`: messages through the configured sinks from
//! scripts (the deploy bootstrap reports its own failures this way) and a check that each sink
//! really delivers.

use crate::alerts::{self, ConfiguredSink};
use crate::cli::AlertCmd;
use crate::config::Config;
use crate::exitcode;
use crate::unattended::hostname;

pub async fn run(config: &Config, action: &AlertCmd) -> u8 {
    let (sinks, broken) = alerts::configured(config);
    for b in &broken {
        tracing::error!("alert sink not usable: {b}");
    }
    let (wanted, title, body): (Vec<String>, String, String) = match action {
        AlertCmd::Send { sink, title, body } => {
            (sink.iter().cloned().collect(), title.clone(), body.clone())
        }
        AlertCmd::Test { names } => (
            names.clone(),
            format!("ocisync test alert from {}", hostname()),
            format!(
                "This is a test message sent by `ocisync alert test` on {} (ocisync {}).\n\
                 If you can read it, alerts from this machine reach you.",
                hostname(),
                env!("CARGO_PKG_VERSION")
            ),
        ),
    };
    let unknown: Vec<&String> = wanted
        .iter()
        .filter(|w| !config.alerts.contains_key(*w))
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = config.alerts.keys().map(String::as_str).collect();
        tracing::error!(
            "no [alerts.{}] section (configured: {})",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("], [alerts."),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
        return exitcode::UNCATEGORIZED;
    }
    let chosen: Vec<&ConfiguredSink> = sinks
        .iter()
        .filter(|s| wanted.is_empty() || wanted.contains(&s.name))
        .collect();
    if chosen.is_empty() {
        if broken.is_empty() {
            tracing::error!(
                "no alert sinks configured: add an [alerts.NAME] section (see `ocisync backends oci_notifications`)"
            );
        }
        return exitcode::UNCATEGORIZED;
    }
    let message = alerts::plain_message(&title, &body, &hostname());
    let deliveries = alerts::send_all(&chosen, &message).await;
    let mut failed = !broken.is_empty() && wanted.is_empty();
    for (d, s) in deliveries.iter().zip(&chosen) {
        match &d.result {
            Ok(()) => println!("[alerts.{}] ({}): sent", d.sink, s.type_name),
            Err(e) => {
                failed = true;
                let hint = s
                    .sink
                    .failure_hint()
                    .filter(|h| !e.to_string().contains(h.as_str()))
                    .map(|h| format!("\n  hint: {h}"))
                    .unwrap_or_default();
                println!("[alerts.{}] ({}): FAILED: {e}{hint}", d.sink, s.type_name);
            }
        }
    }
    if failed {
        exitcode::UNCATEGORIZED
    } else {
        exitcode::SUCCESS
    }
}
