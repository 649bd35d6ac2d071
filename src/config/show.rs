//! `ocisync config show`: the configuration as ocisync understood it, secrets redacted.
//!
//! A value is printed only when it is a declared, non-sensitive option of its section's type.
//! Everything else is `"<redacted>"`: sensitive options, keys no declaration vouches for (an
//! rclone.conf's `token` or `client_secret` of another backend, `type = "opendal"` passthrough
//! keys, misspelled keys — any of them may be a secret) and the arguments of a `command` (which
//! may carry a token), whose program alone is shown.

use std::fmt::Write;

use ocisync_backend::{OptionSpec, RawValue};

use super::{Config, Format, Section};
use crate::credentials::looks_secret;
use crate::registry;

const REDACTED: &str = "\"<redacted>\"";

/// The option declarations of a section's type, if the type is known.
fn specs(kind: &str, s: &Section) -> Option<&'static [OptionSpec]> {
    match kind {
        "remotes" => registry::backend(&s.type_name).map(|b| b.spec().options),
        "credentials" => registry::credential_type(&s.type_name).map(|t| t.spec().options),
        "alerts" => registry::alert_type(&s.type_name).map(|t| t.spec().options),
        _ => None,
    }
}

/// How one value is shown, and whether it is (or may hold) a secret.
fn shown_value(specs: Option<&[OptionSpec]>, key: &str, v: &RawValue) -> (String, bool) {
    let declared = specs.and_then(|specs| specs.iter().find(|o| o.name == key));
    match (declared, v) {
        (_, RawValue::Secret(_))
        | (
            Some(OptionSpec {
                sensitive: true, ..
            }),
            _,
        ) => (REDACTED.to_string(), true),
        (None, _) => (REDACTED.to_string(), looks_secret(key)),
        (Some(_), _) if key == "command" => command(v),
        (Some(_), RawValue::String(s)) => (toml_string(s), false),
        (Some(_), RawValue::List(items)) => (
            format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| toml_string(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            false,
        ),
        (Some(_), other) => (other.display(), false),
    }
}

/// A command: the program, its arguments redacted. Counted as a secret when an argument reads
/// like one (`--token`, `password=…`).
fn command(v: &RawValue) -> (String, bool) {
    let words: Vec<String> = match v {
        RawValue::List(items) => items.clone(),
        RawValue::String(line) => line.split_whitespace().map(str::to_string).collect(),
        other => return (other.display(), false),
    };
    let secret = words.iter().skip(1).any(|w| looks_secret(w));
    let Some(program) = words.first() else {
        return (REDACTED.to_string(), secret);
    };
    let shown = match v {
        RawValue::List(_) => {
            let mut items = vec![toml_string(program)];
            items.extend(words.iter().skip(1).map(|_| REDACTED.to_string()));
            format!("[{}]", items.join(", "))
        }
        _ if words.len() > 1 => toml_string(&format!("{program} <arguments redacted>")),
        _ => toml_string(program),
    };
    (shown, secret)
}

/// Whether the configuration holds a value `config show` hides as a secret (or one that may be):
/// declared secrets, secret-looking keys no declaration vouches for, secret-looking command
/// arguments. The loose-permissions check counts these too.
pub fn holds_hidden_secrets(config: &Config) -> bool {
    [
        ("remotes", &config.remotes),
        ("credentials", &config.credentials),
        ("alerts", &config.alerts),
    ]
    .into_iter()
    .flat_map(|(kind, sections)| sections.values().map(move |s| (kind, s)))
    .any(|(kind, s)| {
        let specs = specs(kind, s);
        s.values.iter().any(|(k, v)| shown_value(specs, k, v).1)
    })
}

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
            let _ = writeln!(out, "type = {}", toml_string(&s.type_name));
            if let Some(c) = &s.credentials {
                let _ = writeln!(out, "credentials = {}", toml_string(c));
            }
            let specs = specs(kind, s);
            for (k, v) in &s.values {
                let (shown, _) = shown_value(specs, k, v);
                let undeclared = !specs.is_some_and(|o| o.iter().any(|o| o.name == k.as_str()));
                let note = if undeclared {
                    format!("  # not an option of {:?}: value hidden", s.type_name)
                } else {
                    String::new()
                };
                let _ = writeln!(out, "{} = {shown}{note}", quote_key(k));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SECRETS: [&str; 6] = [
        "DRIVETOKEN",
        "CLIENTSECRET",
        "SFTPPASS",
        "PASSTHROUGHKEY",
        "MISSPELTSECRET",
        "HELPERTOKEN",
    ];

    #[test]
    fn only_declared_plain_options_are_printed() {
        let text = r#"
[gdrive]
type = drive
token = {"access_token":"DRIVETOKEN"}
client_secret = CLIENTSECRET

[box]
type = sftp
pass = SFTPPASS

[aws]
type = s3
region = eu-west-1
secret_acess_key = MISSPELTSECRET
"#;
        let mut c = Config::parse(text, Path::new("rclone.conf")).unwrap();
        c.mark_secrets();
        let shown = render(&c);
        for s in SECRETS {
            assert!(!shown.contains(s), "{s} leaked:\n{shown}");
        }
        assert!(shown.contains("region = \"eu-west-1\""), "{shown}");
        assert!(
            shown.contains("secret_acess_key = \"<redacted>\"  # not an option of \"s3\""),
            "{shown}"
        );
        assert!(holds_hidden_secrets(&c));
    }

    #[test]
    fn passthrough_keys_and_command_arguments_are_hidden() {
        let text = r#"
[remotes.raw]
type = "opendal"
service = "s3"
bucket = "b"
secret_access_key = "PASSTHROUGHKEY"

[credentials.helper]
type = "command"
command = "/usr/local/bin/get-keys --token HELPERTOKEN"

[alerts.page]
type = "command"
command = ["/usr/local/bin/page", "--team", "finops"]
"#;
        let mut c = Config::parse(text, Path::new("x.toml")).unwrap();
        c.mark_secrets();
        let shown = render(&c);
        for s in SECRETS {
            assert!(!shown.contains(s), "{s} leaked:\n{shown}");
        }
        assert!(shown.contains("service = \"s3\""), "{shown}");
        assert!(shown.contains("bucket = \"<redacted>\""), "{shown}");
        assert!(
            shown.contains("command = \"/usr/local/bin/get-keys <arguments redacted>\""),
            "{shown}"
        );
        assert!(
            shown.contains(r#"command = ["/usr/local/bin/page", "<redacted>", "<redacted>"]"#),
            "{shown}"
        );
        assert!(holds_hidden_secrets(&c));
        // An alert command whose arguments say nothing secret is no reason to chmod.
        let plain = Config::parse(
            "[alerts.page]\ntype = \"command\"\ncommand = [\"/usr/local/bin/page\", \"--team\", \"finops\"]\n",
            Path::new("y.toml"),
        )
        .unwrap();
        assert!(!holds_hidden_secrets(&plain));
    }
}
