//! `type = "command"`: runs a program with the run report (JSON) on its standard input — for
//! paging tools, custom mailers, anything with a command line.
//!
//! ```toml
//! [alerts.script]
//! type = "command"
//! command = ["/usr/local/bin/page-someone", "--team", "finops"]
//! ```
//!
//! No shell runs it. It gets a minimal environment (PATH, HOME, USER, LOGNAME, LANG, LC_ALL,
//! LC_CTYPE, TZ, TMPDIR, the names listed in `pass_env`) and `OCISYNC_ALERT_TITLE` (the
//! one-line summary), and its own process group, killed whole at the timeout. Its stdout is not
//! read (it may echo what it was given); a non-zero exit or a timeout is an error naming the
//! program and showing the end of its stderr ([`crate::credentials::process`]).

use std::sync::Arc;

use async_trait::async_trait;
use ocisync_backend::{
    AlertMessage, AlertSink, AlertSpec, AlertType, ConfigValues, Duration, Error, ErrorKind,
    OptionError, Result,
};

ocisync_backend::declare_options! {
    /// Options of `type = "command"`.
    pub struct CommandOptions {
        /// The program and its arguments, as a list: ["/usr/local/bin/page", "--team", "ops"].
        command: Vec<String>;
        /// How long the program may run before it (and its children) are stopped.
        timeout: Duration = "30s";
        /// Environment variables passed to the program besides PATH, HOME, USER, LOGNAME, LANG,
        /// LC_ALL, LC_CTYPE, TZ and TMPDIR: names, or PREFIX* (e.g. ["SLACK_*"]).
        pass_env: Option<Vec<String>>;
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
            pass_env: options.pass_env.unwrap_or_default(),
        }))
    }
}

struct CommandSink {
    words: Vec<String>,
    timeout: std::time::Duration,
    pass_env: Vec<String>,
}

#[async_trait]
impl AlertSink for CommandSink {
    async fn send(&self, message: &AlertMessage) -> Result<()> {
        use crate::credentials::process::{Helper, HelperError, run};
        let program = &self.words[0];
        let words: Vec<&str> = self.words.iter().map(String::as_str).collect();
        let finished = run(Helper {
            words: &words,
            set_env: vec![("OCISYNC_ALERT_TITLE", message.title.clone())],
            pass_env: &self.pass_env,
            stdin: Some(message.json.as_bytes()),
            capture_stdout: false,
            timeout: self.timeout,
        })
        .await
        .map_err(|e| {
            let kind = match &e {
                HelperError::Spawn { .. } => ErrorKind::Config,
                HelperError::TimedOut { .. } => ErrorKind::Temporary,
                _ => ErrorKind::Other,
            };
            self.error(kind, e.to_string())
        })?;
        if finished.status.success() {
            Ok(())
        } else if finished.stderr.is_empty() {
            Err(self.error(
                ErrorKind::Other,
                format!("{program} exited with {}", finished.status),
            ))
        } else {
            Err(self.error(
                ErrorKind::Other,
                format!(
                    "{program} exited with {} (stderr: {})",
                    finished.status, finished.stderr
                ),
            ))
        }
    }
}

impl CommandSink {
    fn error(&self, kind: ErrorKind, message: String) -> Error {
        Error::new(kind, format!("command sink: {message}"))
    }
}
