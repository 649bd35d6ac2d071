//! Logging in rclone's shape: `2026/11/28 06:00:01 NOTICE: path: message` on stderr (or appended
//! to `--log-file`), or one JSON object per line with `--use-json-log`.
//!
//! Levels are rclone's: ERROR, NOTICE (tracing's WARN), INFO (`-v`), DEBUG (`-vv`, which also
//! shows tracing's TRACE). Only ocisync's own crates log below NOTICE: dependencies (HTTP
//! clients, TLS) stay at warnings whatever the verbosity, so their request dumps can never carry
//! a credential into a log.
//!
//! Fields with a meaning of their own, as rclone's JSON log has them:
//!
//! - `object`: the object (or directory) a line is about. Text: `object: message`; JSON:
//!   `"object"` and `"objectType"` beside the message.
//! - `size`, `skipped`: extra attributes rclone adds to some lines (JSON only).
//! - `stats`: the end-of-run statistics as a JSON object (JSON: `"stats": {...}`; the text
//!   message keeps its lines).
//!
//! Control characters from object names and server messages are escaped (`\n`, `\x1b`...), so a
//! name can neither forge a log line nor send escape sequences to a terminal. The one exception
//! is the line breaks of the statistics block, which ocisync writes itself.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// rclone's log levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Notice,
    Info,
    Debug,
}

impl LogLevel {
    pub fn parse(s: &str) -> Option<LogLevel> {
        match s.to_ascii_uppercase().as_str() {
            "ERROR" => Some(LogLevel::Error),
            "NOTICE" => Some(LogLevel::Notice),
            "INFO" => Some(LogLevel::Info),
            "DEBUG" => Some(LogLevel::Debug),
            _ => None,
        }
    }

    fn max(self) -> Level {
        match self {
            LogLevel::Error => Level::ERROR,
            LogLevel::Notice => Level::WARN,
            LogLevel::Info => Level::INFO,
            LogLevel::Debug => Level::TRACE,
        }
    }
}

/// `--log-format`: what goes before each text line (rclone's bits; `json` is the JSON log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub date: bool,
    pub time: bool,
    pub microseconds: bool,
    pub utc: bool,
    pub pid: bool,
    pub nolevel: bool,
}

impl Default for Format {
    fn default() -> Self {
        Format {
            date: true,
            time: true,
            microseconds: false,
            utc: false,
            pid: false,
            nolevel: false,
        }
    }
}

static FORMAT: std::sync::OnceLock<Format> = std::sync::OnceLock::new();

/// Sets the text lines' prefix (before [`init`]; first call wins).
pub fn set_format(f: Format) {
    let _ = FORMAT.set(f);
}

/// The prefix of a text line at `level`, as rclone's `formatStdLogHeader` writes it.
fn prefix(level: &Level) -> String {
    let f = FORMAT.get().copied().unwrap_or_default();
    let mut out = String::new();
    if f.date || f.time || f.microseconds {
        let now = if f.utc {
            jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC)
        } else {
            jiff::Zoned::now()
        };
        if f.date {
            let _ = write!(out, "{} ", now.strftime("%Y/%m/%d"));
        }
        if f.time || f.microseconds {
            let _ = write!(out, "{}", now.strftime("%H:%M:%S"));
            if f.microseconds {
                let _ = write!(out, ".{:06}", now.subsec_nanosecond() / 1000);
            }
            out.push(' ');
        }
    }
    if f.pid {
        let _ = write!(out, "[{}] ", std::process::id());
    }
    if !f.nolevel {
        let _ = write!(out, "{:<6}: ", level_name(level));
    }
    out
}

/// `--log-file` could not be opened: names the file and the cause.
#[derive(Debug, thiserror::Error)]
#[error("--log-file {}: cannot open it for appending: {source}{}", path.display(), hint(path, source))]
pub struct LogFileError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// What usually fixes an unopenable log file.
fn hint(path: &Path, e: &std::io::Error) -> String {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            " (the directory {} does not exist: create it, e.g. `install -d -o ocisync -m 0750 {}`)",
            dir.display(),
            dir.display()
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            " (this user cannot write to {}: check its owner and mode, or — under systemd with \
             ProtectSystem=strict — add the directory to the unit's LogsDirectory= or \
             ReadWritePaths=)",
            path.display()
        ),
        std::io::ErrorKind::ReadOnlyFilesystem => format!(
            " ({} is on a read-only file system — under systemd with ProtectSystem=strict, add the \
             directory to LogsDirectory= or ReadWritePaths=)",
            dir.display()
        ),
        _ => String::new(),
    }
}

struct RcloneLayer {
    out: Mutex<Box<dyn Write + Send>>,
    json: bool,
    max: Level,
}

/// Installs the global logger.
pub fn init(level: LogLevel, json: bool, file: Option<&Path>) -> Result<(), LogFileError> {
    let out: Box<dyn Write + Send> = match file {
        Some(p) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|source| LogFileError {
                    path: p.to_path_buf(),
                    source,
                })?,
        ),
        None => Box::new(std::io::stderr()),
    };
    let layer = RcloneLayer {
        out: Mutex::new(out),
        json,
        max: level.max(),
    };
    let subscriber = tracing_subscriber::registry().with(layer);
    // A second init (tests) keeps the first logger.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(())
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "ERROR",
        Level::WARN => "NOTICE",
        Level::INFO => "INFO",
        _ => "DEBUG",
    }
}

/// `s` with every control character (C0, DEL, C1) written as an escape: `\n`, `\r`, `\t`,
/// `\x1b`, `\u{85}`. Nothing else changes, so ordinary names print as they are.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// One event's message and fields, as recorded.
#[derive(Default)]
struct Message {
    text: String,
    object: Option<String>,
    /// `stats` (JSON text of the statistics object).
    stats: Option<String>,
    /// rclone's extra JSON attributes (`size`, `skipped`), as JSON values.
    attrs: Vec<(&'static str, serde_json::Value)>,
    /// Any other field, as ` key=value` for the text form.
    fields: String,
    /// The same fields for the JSON form.
    json_fields: Vec<(&'static str, String)>,
}

impl Message {
    fn field(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.text.push_str(&value),
            "object" => self.object = Some(value),
            "stats" => self.stats = Some(value),
            "skipped" => self
                .attrs
                .push(("skipped", serde_json::Value::String(value))),
            name => {
                let _ = write!(self.fields, " {name}={value}");
                self.json_fields.push((name, value));
            }
        }
    }
}

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.field(field, format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, value.to_string());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "size" {
            self.attrs.push(("size", value.into()));
        } else {
            self.field(field, value.to_string());
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "size" {
            self.attrs.push(("size", value.into()));
        } else {
            self.field(field, value.to_string());
        }
    }
}

impl<S: Subscriber> Layer<S> for RcloneLayer {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        let ours = meta.target().starts_with("ocisync");
        let max = if ours {
            self.max
        } else {
            self.max.min(Level::WARN)
        };
        *meta.level() <= max
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        let mut msg = Message::default();
        event.record(&mut msg);
        let line = if self.json {
            json_line(meta, &msg)
        } else {
            text_line(meta, &msg)
        };
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        // As rclone's text log: a message that ends its own line (the statistics block) gets
        // no second line break.
        let _ = if line.ends_with('\n') {
            write!(out, "{line}")
        } else {
            writeln!(out, "{line}")
        };
    }
}

/// `2026/11/28 06:00:01 NOTICE: object: message key=value`, control characters escaped (the
/// statistics block keeps its line breaks).
fn text_line(meta: &tracing::Metadata<'_>, msg: &Message) -> String {
    let body = match &msg.object {
        Some(o) => format!("{}: {}", escape_controls(o), escape_message(msg)),
        None => escape_message(msg),
    };
    format!(
        "{}{body}{}",
        prefix(meta.level()),
        escape_controls(&msg.fields)
    )
}

fn escape_message(msg: &Message) -> String {
    if msg.stats.is_some() {
        // ocisync's own multi-line block: keep its line breaks and tab, escape anything else.
        msg.text
            .split('\n')
            .map(|l| {
                l.split('\t')
                    .map(|part| escape_controls(part).into_owned())
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        escape_controls(&msg.text).into_owned()
    }
}

/// rclone's JSON line: `time`, `level`, `msg`, extra attributes, `object`/`objectType`,
/// `stats`, `source` — in that order. JSON escapes control characters itself.
fn json_line(meta: &tracing::Metadata<'_>, msg: &Message) -> String {
    let s = |v: &str| serde_json::Value::String(v.to_string()).to_string();
    let mut line = format!(
        "{{\"time\":{},\"level\":{},\"msg\":{}",
        s(&jiff::Timestamp::now().to_string()),
        s(&level_name(meta.level()).to_ascii_lowercase()),
        s(&msg.text)
    );
    for (k, v) in &msg.attrs {
        let _ = write!(line, ",{}:{v}", s(k));
    }
    for (k, v) in &msg.json_fields {
        let _ = write!(line, ",{}:{}", s(k), s(v));
    }
    if let Some(o) = &msg.object {
        // rclone names the Go type; a path is a `string` there too.
        let _ = write!(line, ",\"object\":{},\"objectType\":\"string\"", s(o));
    }
    if let Some(stats) = msg
        .stats
        .as_deref()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
    {
        let _ = write!(line, ",\"stats\":{stats}");
    }
    let _ = write!(line, ",\"source\":{}}}", s(meta.target()));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("plain ファイル.csv"), "plain ファイル.csv");
        assert_eq!(
            escape_controls("a\nb\r\t\x1b[31mred\x7f\u{85}"),
            "a\\nb\\r\\t\\x1b[31mred\\x7f\\u{85}"
        );
    }

    #[test]
    fn log_file_errors_name_path_and_cause() {
        let path = Path::new("/nonexistent-ocisync-dir/ocisync.log");
        let e = init(LogLevel::Notice, false, Some(path)).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("--log-file /nonexistent-ocisync-dir/ocisync.log: cannot open it"),
            "{text}"
        );
        assert!(text.contains("No such file or directory"), "{text}");
        assert!(text.contains("install -d"), "{text}");
    }
}
