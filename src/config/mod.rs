//! The configuration: remotes, credential providers and alert sinks, from a TOML file or an
//! rclone.conf, plus rclone's environment form (`RCLONE_CONFIG_<REMOTE>_<KEY>`).
//!
//! Lookup order: `--config PATH` (also given as `$OCISYNC_CONFIG` or `$RCLONE_CONFIG`),
//! `~/.config/ocisync/ocisync.toml`, `/etc/ocisync/ocisync.toml`; none found is an empty
//! configuration (local paths and connection strings still work). Every value remembers where
//! it came from — file and line, or environment variable — so errors can name it.

pub mod check;
mod env;
mod rclone_conf;
mod show;
mod toml_file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ocisync_backend::ConfigValues;

pub use check::{Problem, check, warn_if_readable_secrets};
pub use env::is_config_variable;
pub use show::render;

/// Which syntax the file was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    RcloneConf,
}

/// One `[remotes.NAME]` (or rclone.conf `[NAME]`) section.
#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    /// The `type` key: a backend (remotes) or a provider type (credentials).
    pub type_name: String,
    /// Every other key, except `credentials` on remotes.
    pub values: ConfigValues,
    /// `credentials = "NAME"` on a remote.
    pub credentials: Option<String>,
    /// Line of the section header.
    pub line: usize,
    /// Line of each key.
    pub lines: BTreeMap<String, usize>,
    /// Keys whose value came from an environment variable, and that variable.
    pub env: BTreeMap<String, String>,
}

impl Section {
    pub fn line_of(&self, key: &str) -> usize {
        self.lines.get(key).copied().unwrap_or(self.line)
    }

    pub(crate) fn new(name: &str, type_name: &str, line: usize) -> Section {
        Section {
            name: name.to_string(),
            type_name: type_name.to_string(),
            values: Default::default(),
            credentials: None,
            line,
            lines: Default::default(),
            env: Default::default(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file read, if any.
    pub path: Option<PathBuf>,
    pub format: Option<Format>,
    pub remotes: BTreeMap<String, Section>,
    pub credentials: BTreeMap<String, Section>,
    /// `[alerts.NAME]`: where run outcomes are reported (TOML only).
    pub alerts: BTreeMap<String, Section>,
}

/// A configuration file that cannot be read or parsed at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("config file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}, line {line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

impl Config {
    /// Finds and loads the configuration file, then applies the `RCLONE_CONFIG_*` /
    /// `OCISYNC_CONFIG_*` environment variables.
    pub fn load(explicit: Option<&Path>) -> Result<Config, LoadError> {
        let mut config = match locate(explicit) {
            Some(path) => Config::load_file(&path)?,
            None => Config::default(),
        };
        let vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        env::apply(&mut config, &vars)?;
        Ok(config)
    }

    pub fn load_file(path: &Path) -> Result<Config, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            path: path.into(),
            source,
        })?;
        let mut config = Config::parse(&text, path)?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses text: TOML for `.toml` files, rclone.conf for `.conf`/`.ini`, and otherwise
    /// whichever parses (an rclone.conf's `type = s3` is not valid TOML).
    pub fn parse(text: &str, path: &Path) -> Result<Config, LoadError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        let syntax = |line, message| LoadError::Syntax {
            path: path.into(),
            line,
            message,
        };
        if text.starts_with("RCLONE_ENCRYPT_V0:") {
            return Err(syntax(1, "encrypted rclone configs are not supported; decrypt it with `rclone config encryption remove`".into()));
        }
        let result = match ext {
            "toml" => toml_file::parse(text).map(|c| (c, Format::Toml)),
            "conf" | "ini" => rclone_conf::parse(text).map(|c| (c, Format::RcloneConf)),
            _ => match toml_file::parse(text) {
                Ok(c) => Ok((c, Format::Toml)),
                Err(toml_err) => rclone_conf::parse(text)
                    .map(|c| (c, Format::RcloneConf))
                    .map_err(|_| toml_err),
            },
        };
        let (sections, format) = result.map_err(|(line, message)| syntax(line, message))?;
        Ok(Config {
            path: None,
            format: Some(format),
            remotes: sections.remotes,
            credentials: sections.credentials,
            alerts: sections.alerts,
        })
    }

    /// `file:line` for messages, or `config` when there is no file.
    pub fn location(&self, line: usize) -> String {
        match &self.path {
            Some(p) => format!("{}:{line}", p.display()),
            None => "config".to_string(),
        }
    }

    /// Where `key` of `section` was set: `file:line`, or `environment variable NAME`.
    pub fn locate(&self, section: &Section, key: &str) -> String {
        // A section the environment defined (line 0) is located by its `…_TYPE` variable.
        let var = section.env.get(key).or_else(|| {
            (section.line == 0)
                .then(|| section.env.get("type"))
                .flatten()
        });
        match var {
            Some(var) => format!("environment variable {var}"),
            None => self.location(section.line_of(key)),
        }
    }

    /// How a section is named in messages, in the file's own syntax: `credentials.vault` in
    /// TOML (`[credentials.vault]`), `vault` in an rclone.conf (`[vault]`).
    pub fn label(&self, kind: &str, name: &str) -> String {
        match self.format {
            Some(Format::RcloneConf) => name.to_string(),
            _ => format!("{kind}.{name}"),
        }
    }
}

/// The sections a file defines, by kind and name.
#[derive(Debug, Default)]
struct Sections {
    remotes: BTreeMap<String, Section>,
    credentials: BTreeMap<String, Section>,
    alerts: BTreeMap<String, Section>,
}

/// A parser's result: the sections, or (line, message).
type Parsed = Result<Sections, (usize, String)>;

fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("OCISYNC_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    candidates().into_iter().find(|p| p.is_file())
}

/// The files looked for when no path is given, in order.
pub fn candidates() -> Vec<PathBuf> {
    [
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/ocisync/ocisync.toml")),
        Some(PathBuf::from("/etc/ocisync/ocisync.toml")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// 1-based line of a byte offset.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}
