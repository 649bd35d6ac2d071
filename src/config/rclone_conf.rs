//! rclone.conf, read unchanged: `[NAME]` sections of `key = value` lines; values are text
//! (rclone quotes nothing), typed later by the backend's options.
//!
//! A section is a remote unless its `type` is a credentials provider type (`oci_vault`, `env`,
//! `static`, `command`) or an alert sink type (`oci_notifications`, `webhook`; `command` is read
//! as the provider): then it is that, named by its section name (`credentials = vault` in a
//! remote names `[vault]`), and `listremotes` does not show it. rclone reports such a section
//! only when it is used, so the same file still serves rclone for the other remotes.

use std::collections::BTreeMap;

use ocisync_backend::RawValue;

use super::{Parsed, Section, Sections};

pub(super) fn parse(text: &str) -> Parsed {
    let mut remotes: BTreeMap<String, Section> = BTreeMap::new();
    let mut current: Option<Section> = None;
    for (i, raw_line) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest
                .strip_suffix(']')
                .ok_or((n, format!("unterminated section header {line:?}")))?
                .trim();
            if name.is_empty() {
                return Err((n, "empty section name".into()));
            }
            if let Some(done) = current.take() {
                finish(done, &mut remotes)?;
            }
            current = Some(Section::new(name, "", n));
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or((n, format!("expected `key = value`, found {line:?}")))?;
        let section = current
            .as_mut()
            .ok_or((n, "key outside of a [section]".to_string()))?;
        let key = key.trim().to_string();
        let value = value.trim().to_string();
        match key.as_str() {
            "type" => section.type_name = value,
            "credentials" => section.credentials = Some(value),
            _ => {
                section.values.insert(key.clone(), RawValue::String(value));
            }
        }
        section.lines.insert(key, n);
    }
    if let Some(done) = current.take() {
        finish(done, &mut remotes)?;
    }
    let mut sections = Sections::default();
    for (name, section) in remotes {
        let kind = if crate::registry::credential_type(&section.type_name).is_some() {
            &mut sections.credentials
        } else if crate::registry::alert_type(&section.type_name).is_some() {
            &mut sections.alerts
        } else {
            &mut sections.remotes
        };
        kind.insert(name, section);
    }
    Ok(sections)
}

fn finish(
    section: Section,
    remotes: &mut BTreeMap<String, Section>,
) -> Result<(), (usize, String)> {
    if section.type_name.is_empty() {
        return Err((
            section.line,
            format!("[{}] has no \"type\" key", section.name),
        ));
    }
    if remotes.contains_key(&section.name) {
        return Err((section.line, format!("[{}] appears twice", section.name)));
    }
    remotes.insert(section.name.clone(), section);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rclone_sections_parse_unchanged() {
        let text = "[aws]\ntype = s3\nprovider = AWS\nenv_auth = false\naccess_key_id = AKIA\nsecret_access_key = abc=def\nregion = us-east-2\n\n; comment\n[oos]\ntype = oracleobjectstorage\nnamespace = bling\n";
        let Sections {
            remotes,
            credentials,
            alerts,
        } = parse(text).unwrap();
        assert!(credentials.is_empty() && alerts.is_empty());
        let aws = &remotes["aws"];
        assert_eq!(aws.type_name, "s3");
        assert_eq!(aws.values["env_auth"], RawValue::String("false".into()));
        assert_eq!(
            aws.values["secret_access_key"],
            RawValue::String("abc=def".into()),
            "split at the first ="
        );
        assert_eq!(aws.line_of("region"), 7);
        assert_eq!(remotes["oos"].line, 10);
    }

    #[test]
    fn credential_providers_and_alert_sinks_are_sections_too() {
        let text = "[aws]\ntype = s3\ncredentials = vault\n\n[vault]\ntype = oci_vault\naccess_key_id = ocid1.vaultsecret.oc1..a\n\n[ops]\ntype = oci_notifications\ntopic = ocid1.onstopic.oc1..t\n";
        let s = parse(text).unwrap();
        assert_eq!(s.remotes.keys().collect::<Vec<_>>(), ["aws"]);
        assert_eq!(s.remotes["aws"].credentials.as_deref(), Some("vault"));
        assert_eq!(s.credentials["vault"].type_name, "oci_vault");
        assert_eq!(s.credentials["vault"].line_of("access_key_id"), 7);
        assert_eq!(s.alerts["ops"].type_name, "oci_notifications");
    }

    #[test]
    fn errors_have_lines() {
        assert_eq!(parse("[a]\nprovider = AWS\n").unwrap_err().0, 1);
        assert_eq!(parse("[a]\ntype = s3\nnonsense\n").unwrap_err().0, 3);
        assert_eq!(parse("type = s3\n").unwrap_err().0, 1);
        assert_eq!(parse("[a]\ntype=s3\n[a]\ntype=s3\n").unwrap_err().0, 3);
    }
}
