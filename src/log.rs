//! Logging in rclone's shape: `2026/11/28 06:00:01 NOTICE: path: message` on stderr (or appended
//! to `--log-file`), or one JSON object per line with `--use-json-log`.
//!
//! Levels are rclone's: ERROR, NOTICE (tracing's WARN), INFO (`-v`), DEBUG (`-vv`, which also
//! shows tracing's TRACE). Only ocisync's own crates log below NOTICE: dependencies (HTTP
//! clients, TLS) stay at warnings whatever the verbosity, so their request dumps can never carry
//! a credential into a log.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
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

struct RcloneLayer {
    out: Mutex<Box<dyn Write + Send>>,
    json: bool,
    max: Level,
}

/// Installs the global logger.
pub fn init(level: LogLevel, json: bool, file: Option<&Path>) -> std::io::Result<()> {
    let out: Box<dyn Write + Send> = match file {
        Some(p) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)?,
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

#[derive(Default)]
struct Message {
    text: String,
    fields: String,
}

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.text, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.text.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
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
        let text = format!("{}{}", msg.text, msg.fields);
        let line = if self.json {
            let now = jiff::Timestamp::now();
            serde_json::json!({
                "time": now.to_string(),
                "level": level_name(meta.level()).to_ascii_lowercase(),
                "msg": text,
                "source": meta.target(),
            })
            .to_string()
        } else {
            let now = jiff::Zoned::now();
            format!(
                "{} {:<6}: {text}",
                now.strftime("%Y/%m/%d %H:%M:%S"),
                level_name(meta.level())
            )
        };
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "{line}");
    }
}
