//! `ocisync config show`: the configuration as ocisync understood it, secrets redacted.

use std::fmt::Write;

use ocisync_backend::RawValue;

use super::{Config, Format};

/// TOML text of the resolved configuration (rclone.conf input is shown in ocisync's TOML form).
pub fn render(config: &Config) -> String {
    let mut out = String::new();
    match (&config.path, config.format) {
        (Some(p), Some(Format::RcloneConf)) => {
            let _ = writeln!(
                out,
                "# from {} (rclone.conf), shown as ocisync TOML; secrets redacted",
                p.display()
            );
        }
        (Some(p), _) => {
            let _ = writeln!(out, "# from {}; secrets redacted", p.display());
        }
        (None, _) => out.push_str("# no config file found; secrets redacted\n"),
    }
    for (kind, sections) in [
        ("remotes", &config.remotes),
        ("credentials", &config.credentials),
        ("alerts", &config.alerts),
    ] {
        for s in sections.values() {
            let _ = writeln!(out, "\n[{kind}.{}]", quote_key(&s.name));
            let _ = writeln!(out, "type = {:?}", s.type_name);
            if let Some(c) = &s.credentials {
                let _ = writeln!(out, "credentials = {c:?}");
            }
            for (k, v) in &s.values {
                let shown = match v {
                    RawValue::String(s) => toml_string(s),
                    RawValue::List(items) => format!(
                        "[{}]",
                        items
                            .iter()
                            .map(|i| toml_string(i))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    other => other.display(),
                };
                let _ = writeln!(out, "{} = {shown}", quote_key(k));
            }
        }
    }
    out
}

fn quote_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        toml_string(k)
    }
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
