//! The configuration: remotes, credential providers and alert sinks, from a TOML file or an
//! rclone.conf (remotes only).
//!
//! Lookup order: `--config PATH`, `$OCISYNC_CONFIG`, `~/.config/ocisync/ocisync.toml`,
//! `/etc/ocisync/ocisync.toml`; none found is an empty configuration (local paths and connection
//! strings still work). Every value remembers its line so errors can name file, line, remote and
//! key.

pub mod check;
mod rclone_conf;
mod show;
mod toml_file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ocisync_backend::ConfigValues;

pub use check::{Problem, check, warn_if_readable_secrets};
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
}

impl Section {
    pub fn line_of(&self, key: &str) -> usize {
        self.lines.get(key).copied().unwrap_or(self.line)
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
}

impl Config {
    /// Finds and loads the configuration file.
    pub fn load(explicit: Option<&Path>) -> Result<Config, LoadError> {
        match locate(explicit) {
            Some(path) => Config::load_file(&path),
            None => Ok(Config::default()),
        }
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

    /// `file:line` for messages, or `command line` when there is no file.
    pub fn location(&self, line: usize) -> String {
        match &self.path {
            Some(p) => format!("{}:{line}", p.display()),
            None => "config".to_string(),
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
    let candidates = [
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/ocisync/ocisync.toml")),
        Some(PathBuf::from("/etc/ocisync/ocisync.toml")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// 1-based line of a byte offset.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}
