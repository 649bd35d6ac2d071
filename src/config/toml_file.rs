//! ocisync's own format: `[remotes.NAME]` and `[credentials.NAME]` tables.

use std::collections::BTreeMap;

use ocisync_backend::RawValue;
use serde::Deserialize;
use toml::Spanned;

use super::{Parsed, Section, Sections, line_at};

type Table = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    remotes: BTreeMap<Spanned<String>, Spanned<Table>>,
    #[serde(default)]
    credentials: BTreeMap<Spanned<String>, Spanned<Table>>,
    #[serde(default)]
    alerts: BTreeMap<Spanned<String>, Spanned<Table>>,
}

pub(super) fn parse(text: &str) -> Parsed {
    let file: File = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_at(text, s.start)).unwrap_or(1);
        (line, e.message().to_string())
    })?;
    Ok(Sections {
        remotes: sections(text, file.remotes, "remotes", true)?,
        credentials: sections(text, file.credentials, "credentials", false)?,
        alerts: sections(text, file.alerts, "alerts", false)?,
    })
}

fn sections(
    text: &str,
    tables: BTreeMap<Spanned<String>, Spanned<Table>>,
    kind: &str,
    is_remote: bool,
) -> Result<BTreeMap<String, Section>, (usize, String)> {
    let mut out = BTreeMap::new();
    for (name, table) in tables {
        let line = line_at(text, name.span().start);
        let name = name.into_inner();
        let mut section = Section::new(&name, "", line);
        for (key, value) in table.into_inner() {
            let key_line = line_at(text, key.span().start);
            let key = key.into_inner();
            let raw = match value.into_inner() {
                toml::Value::String(s) => RawValue::String(s),
                toml::Value::Integer(i) => RawValue::Int(i),
                toml::Value::Float(f) => RawValue::Float(f),
                toml::Value::Boolean(b) => RawValue::Bool(b),
                toml::Value::Array(items) if items.iter().all(|i| i.is_str()) => RawValue::List(
                    items
                        .into_iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                ),
                other => {
                    return Err((
                        key_line,
                        format!(
                            "[{kind}.{name}] key {key:?}: expected a string, number, boolean or list of strings, found {}",
                            other.type_str()
                        ),
                    ));
                }
            };
            match (key.as_str(), &raw) {
                ("type", RawValue::String(t)) => section.type_name = t.clone(),
                ("type", _) => {
                    return Err((
                        key_line,
                        format!("[{kind}.{name}] key \"type\" must be a string"),
                    ));
                }
                ("credentials", RawValue::String(c)) if is_remote => {
                    section.credentials = Some(c.clone())
                }
                ("credentials", _) if is_remote => {
                    return Err((
                        key_line,
                        format!(
                            "[{kind}.{name}] key \"credentials\" must name a [credentials.NAME] section"
                        ),
                    ));
                }
                _ => {
                    section.values.insert(key.clone(), raw);
                }
            }
            section.lines.insert(key, key_line);
        }
        if section.type_name.is_empty() {
            return Err((line, format!("[{kind}.{name}] has no \"type\" key")));
        }
        out.insert(name, section);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_credentials_and_lines() {
        let text = "# comment\n[remotes.aws_s3]\ntype = \"s3\"\nregion = \"us-east-2\"\nenv_auth = true\nupload_concurrency = 8\ncredentials = \"vault\"\n\n[credentials.vault]\ntype = \"static\"\naccess_key_id = \"AK\"\n";
        let Sections {
            remotes,
            credentials: creds,
            ..
        } = parse(text).unwrap();
        let r = &remotes["aws_s3"];
        assert_eq!(r.type_name, "s3");
        assert_eq!(r.line, 2);
        assert_eq!(r.line_of("region"), 4);
        assert_eq!(r.values["env_auth"], RawValue::Bool(true));
        assert_eq!(r.values["upload_concurrency"], RawValue::Int(8));
        assert_eq!(r.credentials.as_deref(), Some("vault"));
        assert!(!r.values.contains_key("type") && !r.values.contains_key("credentials"));
        assert_eq!(creds["vault"].type_name, "static");
        assert_eq!(creds["vault"].line_of("access_key_id"), 11);
    }

    #[test]
    fn alerts_with_lists() {
        let text = "[alerts.ops]\ntype = \"command\"\ncommand = [\"/bin/page\", \"--urgent\"]\non = [\"failure\", \"change\"]\n";
        let alerts = parse(text).unwrap().alerts;
        let ops = &alerts["ops"];
        assert_eq!(ops.type_name, "command");
        assert_eq!(
            ops.values["on"],
            RawValue::List(vec!["failure".into(), "change".into()])
        );
        assert_eq!(ops.line_of("on"), 4);
        let (line, msg) = parse("[alerts.x]\ntype = \"webhook\"\non = [1]\n").unwrap_err();
        assert_eq!(line, 3);
        assert!(msg.contains("list of strings"), "{msg}");
    }

    #[test]
    fn errors_have_lines() {
        assert_eq!(parse("[remotes.a]\nregion = \"x\"\n").unwrap_err().0, 1);
        let (line, msg) = parse("[remotes.a]\ntype = \"s3\"\nregion = [1]\n").unwrap_err();
        assert_eq!(line, 3);
        assert!(msg.contains("region"), "{msg}");
        let (line, msg) = parse("[remote.a]\ntype = \"s3\"\n").unwrap_err();
        assert_eq!(line, 1);
        assert!(msg.contains("remote"), "{msg}");
        let (line, _) = parse("[remotes.a]\ntype = \"s3\"\nregion = \n").unwrap_err();
        assert_eq!(line, 3);
    }
}
