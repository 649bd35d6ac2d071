//! Alert sinks: each `[alerts.NAME]` built (options valid, `on` known), and with
//! `--alert-probe` a test message sent through each, the sink's own hint (the ONS policy line)
//! printed when it fails.

use super::Verdict;
use super::plan::Doctor;
use crate::alerts::{self, ConfiguredSink};
use crate::unattended::hostname;

pub async fn check(d: &mut Doctor) {
    let (sinks, broken) = alerts::configured(d.config());
    for problem in &broken {
        let subject = problem
            .split_once(']')
            .map(|(head, _)| format!("{head}]"))
            .filter(|s| s.starts_with("[alerts."))
            .unwrap_or_else(|| "[alerts]".to_string());
        d.add(
            "alert sink",
            &subject,
            Verdict::Fail,
            problem.clone(),
            Some("fix the section (`ocisync config validate` lists the same problems)".into()),
        );
    }
    for s in &sinks {
        let on: Vec<String> =
            s.on.iter()
                .map(|o| format!("{o:?}").to_ascii_lowercase())
                .collect();
        d.add(
            "alert sink",
            &subject(s),
            Verdict::Ok,
            format!("built; on = [{}]", on.join(", ")),
            None,
        );
    }
    if !d.options.alert_probe {
        return;
    }
    if sinks.is_empty() {
        d.add(
            "alert probe",
            "[alerts]",
            Verdict::Warn,
            "--alert-probe: no alert sink is configured",
            Some("add an [alerts.NAME] section (see `ocisync backends oci_notifications`)".into()),
        );
        return;
    }
    let host = hostname();
    let message = alerts::plain_message(
        &format!("ocisync doctor test alert from {host}"),
        &format!(
            "This is a test message sent by `ocisync doctor --alert-probe` on {host} (ocisync {}).\n\
             If you can read it, alerts from this machine reach you.",
            env!("CARGO_PKG_VERSION")
        ),
        &host,
    );
    for s in &sinks {
        let delivery = alerts::send_all(&[s], &message).await;
        let result = delivery.into_iter().next().map(|d| d.result);
        match result {
            Some(Ok(())) | None => {
                d.add(
                    "alert probe",
                    &subject(s),
                    Verdict::Ok,
                    "test message sent",
                    None,
                );
            }
            Some(Err(e)) => {
                // The sink's hint (for ONS: the `use ons-topics` policy line) is the fix; it
                // is taken out of the error text where the sink put it there already.
                let mut text = e.to_string();
                let hint = s.sink.failure_hint();
                if let Some(h) = &hint {
                    text = text.replace(&format!(" — {h}"), "");
                }
                d.add("alert probe", &subject(s), Verdict::Fail, text, hint);
            }
        }
    }
}

fn subject(s: &ConfiguredSink) -> String {
    format!("[alerts.{}] ({})", s.name, s.type_name)
}
