//! `type = "command"`: runs a program with the run report (JSON) on its standard input — for
//! paging tools, custom mailers, anything with a command line.
//!
//! ```toml
//! [alerts.script]
//! type = "command"
//! command = ["/usr/local/bin/page-someone", "--team", "finops"]
//! ```
//!
//! No shell runs it. The environment gets `OCISYNC_ALERT_TITLE` (the one-line summary). Its
//! output is not logged (it may echo what it was given); a non-zero exit or a timeout is an
//! error naming the program only.

use std::process::Stdio;
use std::sync::Arc;

use async_trait::async_trait;
use ocisync_backend::{
    AlertMessage, AlertSink, AlertSpec, AlertType, ConfigValues, Duration, Error, ErrorKind,
    OptionError, Result,
};
use tokio::io::AsyncWriteExt;

ocisync_backend::declare_options! {
    /// Options of `type = "command"`.
    pub struct CommandOptions {
        /// The program and its arguments, as a list: ["/usr/local/bin/page", "--team", "ops"].
        command: Vec<String>;
        /// How long the program may run before it is stopped.
        timeout: Duration = "30s";
    }
}

static SPEC: AlertSpec = AlertSpec {
    name: "command",
    description: "Run a program with the run report (JSON) on standard input.",
    options: CommandOptions::SPECS,
};

pub struct CommandType;
pub static TYPE: CommandType = CommandType;

impl AlertType for CommandType {
    fn spec(&self) -> &'static AlertSpec {
        &SPEC
    }

    fn build(
        &self,
        _name: &str,
        values: &ConfigValues,
    ) -> std::result::Result<Arc<dyn AlertSink>, OptionError> {
        let options = CommandOptions::from_values(values)?;
        if options.command.first().is_none_or(|p| p.trim().is_empty()) {
            return Err(OptionError::invalid(
                "command",
                "must name a program: [\"/path/to/program\", \"arg\"...]",
            ));
        }
        Ok(Arc::new(CommandSink {
            words: options.command,
            timeout: options.timeout.0,
        }))
    }
}

struct CommandSink {
    words: Vec<String>,
    timeout: std::time::Duration,
}

#[async_trait]
impl AlertSink for CommandSink {
    async fn send(&self, message: &AlertMessage) -> Result<()> {
        let program = &self.words[0];
        let mut child = tokio::process::Command::new(program)
            .args(&self.words[1..])
            .env("OCISYNC_ALERT_TITLE", &message.title)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| self.error(ErrorKind::Config, format!("cannot run {program}: {e}")))?;
        let json = message.json.clone();
        let mut stdin = child.stdin.take();
        let run = async {
            if let Some(stdin) = stdin.as_mut() {
                // A program that does not read its input is not an error.
                let _ = stdin.write_all(json.as_bytes()).await;
                let _ = stdin.shutdown().await;
            }
            drop(stdin);
            child.wait().await
        };
        let status = tokio::time::timeout(self.timeout, run)
            .await
            .map_err(|_| {
                self.error(
                    ErrorKind::Temporary,
                    format!(
                        "{program} did not finish within {}; it was stopped",
                        Duration(self.timeout)
                    ),
                )
            })?
            .map_err(|e| self.error(ErrorKind::Other, format!("waiting for {program}: {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(self.error(ErrorKind::Other, format!("{program} exited with {status}")))
        }
    }
}

impl CommandSink {
    fn error(&self, kind: ErrorKind, message: String) -> Error {
        Error::new(kind, format!("command sink: {message}"))
    }
}
