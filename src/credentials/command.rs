//! `type = "command"`: credentials printed by a program, in the JSON form of AWS's
//! `credential_process`, run when the credentials are first needed and again shortly before
//! they expire.
//!
//! ```toml
//! [credentials.from_helper]
//! type = "command"
//! command = "/usr/local/bin/fetch-aws-keys --profile reports"
//! timeout = "30s"
//! ```
//!
//! The program must print `{"Version": 1, "AccessKeyId": "…", "SecretAccessKey": "…",
//! "SessionToken": "…", "Expiration": "2026-01-01T00:00:00Z"}` (the last two optional) and exit
//! 0. The command line is split into words like a shell would (quotes and backslashes) but no
//! shell runs it. It gets a minimal environment (plus the names listed in `pass_env`) and its own
//! process group, killed whole at the timeout. Its stdout is read into memory only (at most
//! 1 MiB) and never shown; errors name the program (not its arguments, which may hold secrets)
//! and show the end of its stderr, which is where a helper says why it failed
//! ([`super::process`]).

use std::sync::Arc;

use async_trait::async_trait;
use ocisync_backend::{
    ConfigValues, CredentialProvider, CredentialSpec, CredentialType, Credentials, Duration, Error,
    ErrorKind, OptionError, Result, Secret,
};
use zeroize::Zeroizing;

ocisync_backend::declare_options! {
    /// Options of `type = "command"`.
    pub struct CommandOptions {
        /// The program and its arguments, split into words like a shell would (quotes,
        /// backslashes; no variables, globs or pipes: no shell runs it).
        command: String;
        /// How long the program may run before it (and its children) are stopped.
        timeout: Duration = "30s";
        /// Environment variables passed to the program besides PATH, HOME, USER, LOGNAME, LANG,
        /// LC_ALL, LC_CTYPE, TZ and TMPDIR: names, or PREFIX* (e.g. ["OCI_CLI_*", "VAULT_ADDR"]).
        pass_env: Option<Vec<String>>;
    }
}

static SPEC: CredentialSpec = CredentialSpec {
    name: "command",
    description: "Credentials printed by a program, in AWS credential_process JSON.",
    options: CommandOptions::SPECS,
};

pub struct CommandType;
pub static TYPE: CommandType = CommandType;

impl CredentialType for CommandType {
    fn spec(&self) -> &'static CredentialSpec {
        &SPEC
    }

    fn build(
        &self,
        _name: &str,
        values: &ConfigValues,
    ) -> std::result::Result<Arc<dyn CredentialProvider>, OptionError> {
        let options = CommandOptions::from_values(values)?;
        let words =
            split_command(&options.command).map_err(|m| OptionError::invalid("command", m))?;
        Ok(Arc::new(CommandProvider {
            words,
            timeout: options.timeout.0,
            pass_env: options.pass_env.unwrap_or_default(),
        }))
    }
}

struct CommandProvider {
    /// Program first, then its arguments.
    words: Vec<Zeroizing<String>>,
    timeout: std::time::Duration,
    pass_env: Vec<String>,
}

#[async_trait]
impl CredentialProvider for CommandProvider {
    async fn fetch(&self) -> Result<Credentials> {
        use super::process::{Helper, HelperError, run};
        let program = self.program();
        let words: Vec<&str> = self.words.iter().map(|w| w.as_str()).collect();
        let finished = run(Helper {
            words: &words,
            set_env: Vec::new(),
            pass_env: &self.pass_env,
            stdin: None,
            capture_stdout: true,
            timeout: self.timeout,
        })
        .await
        .map_err(|e| {
            let kind = match &e {
                HelperError::Spawn { .. } => ErrorKind::Config,
                HelperError::TimedOut { .. } => ErrorKind::Temporary,
                HelperError::TooMuchOutput { .. } => ErrorKind::Auth,
                HelperError::Io { .. } => ErrorKind::Other,
            };
            self.error(kind, e.to_string())
        })?;
        if !finished.status.success() {
            let said = if finished.stderr.is_empty() {
                "nothing on stderr".to_string()
            } else {
                format!("stderr: {}", finished.stderr)
            };
            return Err(self.error(
                ErrorKind::Auth,
                format!(
                    "{program} exited with {} ({said}; stdout is not shown: it may hold secrets)",
                    finished.status
                ),
            ));
        }
        parse_output(&finished.stdout).map_err(|problem| {
            self.error(
                ErrorKind::Auth,
                format!("the output of {program} is not usable: {problem}"),
            )
        })
    }
}

impl CommandProvider {
    fn program(&self) -> &str {
        // `split_command` refuses empty command lines, so there is always a first word.
        self.words.first().map_or("", |w| w.as_str())
    }

    fn error(&self, kind: ErrorKind, message: String) -> Error {
        Error::new(kind, format!("command provider: {message}"))
    }
}

/// Why the program's output was refused; never quotes the output.
fn parse_output(stdout: &[u8]) -> std::result::Result<Credentials, String> {
    let mut json: serde_json::Value = serde_json::from_slice(stdout).map_err(|e| {
        format!(
            "expected credential_process JSON ({{\"Version\": 1, \"AccessKeyId\": …}}), \
             parsing failed at line {} column {}",
            e.line(),
            e.column()
        )
    })?;
    let fields = json
        .as_object_mut()
        .ok_or("expected a JSON object with Version, AccessKeyId and SecretAccessKey")?;
    match fields.get("Version").and_then(|v| v.as_u64()) {
        Some(1) => {}
        _ => return Err("\"Version\" must be the number 1".into()),
    }
    // Each value is moved out of the parsed document into a Secret, which is wiped on drop.
    let mut take = |field: &str| match fields.remove(field) {
        Some(serde_json::Value::String(s)) => Ok(Some(Secret::new(s))),
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(_) => Err(format!("\"{field}\" must be a string")),
    };
    let mut credentials = Credentials::default();
    for (field, key, required) in [
        ("AccessKeyId", "access_key_id", true),
        ("SecretAccessKey", "secret_access_key", true),
        ("SessionToken", "session_token", false),
    ] {
        match take(field)? {
            Some(value) if !value.is_empty() => {
                credentials.values.insert(key.to_string(), value);
            }
            _ if required => return Err(format!("\"{field}\" is missing or empty")),
            _ => {}
        }
    }
    if let Some(expiration) = take("Expiration")? {
        let at = expiration
            .expose()
            .parse::<jiff::Timestamp>()
            .map_err(|_| "\"Expiration\" is not an RFC 3339 time".to_string())?;
        credentials.expires_at = Some(at);
    }
    Ok(credentials)
}

/// Splits a command line into words: whitespace separates, `'…'` is literal, `"…"` allows
/// `\"` and `\\`, a backslash elsewhere escapes the next character.
fn split_command(line: &str) -> std::result::Result<Vec<Zeroizing<String>>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(Zeroizing::new(w));
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("unterminated ' quote".into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => w.push(c),
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err("unterminated \" quote".into()),
                        },
                        Some(c) => w.push(c),
                        None => return Err("unterminated \" quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err("the command line ends with a lone backslash".into()),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = word {
        words.push(Zeroizing::new(w));
    }
    if words.is_empty() {
        return Err("the command line is empty".into());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocisync_backend::RawValue;
    use std::path::{Path, PathBuf};

    /// A scratch directory for scripts, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(label: &str) -> Self {
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!(
                "ocisync-command-{label}-{}-{n}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        /// An executable shell script named `name` with `body`.
        fn script(&self, name: &str, body: &str) -> PathBuf {
            use std::os::unix::fs::PermissionsExt;
            let path = self.0.join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn provider(command: &str, timeout: Option<&str>) -> Arc<dyn CredentialProvider> {
        let mut values = ConfigValues::new();
        values.insert("command".into(), RawValue::String(command.into()));
        if let Some(t) = timeout {
            values.insert("timeout".into(), RawValue::String(t.into()));
        }
        TYPE.build("helper", &values).unwrap()
    }

    fn quoted(path: &Path) -> String {
        format!("'{}'", path.display())
    }

    const AKID: &str = "AKIACOMMANDTEST0001";
    const SECRET: &str = "command/secret+key/VALUE";

    #[tokio::test]
    async fn reads_credential_process_json() {
        let dir = Scratch::new("ok");
        // The script checks that its arguments arrive as split words.
        let script = dir.script(
            "creds",
            &format!(
                r#"[ "$1" = "--profile" ] && [ "$2" = "cost reports" ] || exit 7
printf '%s' '{{"Version": 1, "AccessKeyId": "{AKID}", "SecretAccessKey": "{SECRET}", "SessionToken": "tok", "Expiration": "2030-01-02T03:04:05Z"}}'"#
            ),
        );
        let creds = provider(
            &format!("{} --profile \"cost reports\"", quoted(&script)),
            None,
        )
        .fetch()
        .await
        .unwrap();
        assert_eq!(creds.get("access_key_id").unwrap().expose(), AKID);
        assert_eq!(creds.get("secret_access_key").unwrap().expose(), SECRET);
        assert_eq!(creds.get("session_token").unwrap().expose(), "tok");
        assert_eq!(
            creds.expires_at,
            Some("2030-01-02T03:04:05Z".parse().unwrap())
        );
        assert!(!format!("{creds:?}").contains(AKID));
    }

    #[tokio::test]
    async fn failures_name_the_program_but_never_its_output() {
        let dir = Scratch::new("fail");
        let cases = [
            (
                "exits",
                format!("echo '{AKID} {SECRET}'; echo 'vault: 403 access denied' >&2; exit 3"),
                "exited with exit status: 3 (stderr: vault: 403 access denied; stdout is not shown",
            ),
            (
                "not-json",
                format!("echo 'AccessKeyId={AKID}'"),
                "parsing failed at line 1",
            ),
            (
                "version",
                format!(
                    r#"echo '{{"Version": "{AKID}", "AccessKeyId": "{AKID}", "SecretAccessKey": "x"}}'"#
                ),
                "\"Version\" must be the number 1",
            ),
            (
                "no-secret",
                format!(r#"echo '{{"Version": 1, "AccessKeyId": "{AKID}"}}'"#),
                "\"SecretAccessKey\" is missing or empty",
            ),
            (
                "bad-type",
                format!(
                    r#"echo '{{"Version": 1, "AccessKeyId": ["{AKID}"], "SecretAccessKey": "{SECRET}"}}'"#
                ),
                "\"AccessKeyId\" must be a string",
            ),
            (
                "expiration",
                format!(
                    r#"echo '{{"Version": 1, "AccessKeyId": "{AKID}", "SecretAccessKey": "{SECRET}", "Expiration": "{SECRET}"}}'"#
                ),
                "\"Expiration\" is not an RFC 3339 time",
            ),
        ];
        for (name, body, expected) in cases {
            let script = dir.script(name, &body);
            let err = provider(&format!("{} --token {SECRET}", quoted(&script)), None)
                .fetch()
                .await
                .expect_err(name);
            let message = err.to_string();
            assert!(
                message.starts_with("command provider: "),
                "{name}: {message}"
            );
            assert!(
                message.contains(&script.display().to_string()),
                "{name}: {message}"
            );
            assert!(message.contains(expected), "{name}: {message}");
            assert!(
                !message.contains(AKID) && !message.contains(SECRET),
                "{name}: {message}"
            );
        }
    }

    #[tokio::test]
    async fn a_program_that_hangs_is_stopped_at_the_timeout() {
        let dir = Scratch::new("slow");
        let script = dir.script("slow", "sleep 30");
        let err = provider(&quoted(&script), Some("300ms"))
            .fetch()
            .await
            .expect_err("timeout");
        assert_eq!(err.kind, ErrorKind::Temporary);
        assert!(err.to_string().contains("did not finish within"), "{err}");

        let err = provider("/nonexistent/credential-helper", None)
            .fetch()
            .await
            .expect_err("missing");
        assert!(
            err.to_string()
                .contains("cannot run /nonexistent/credential-helper"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_timeout_kills_the_helpers_children_too() {
        let dir = Scratch::new("group");
        let pid_file = dir.0.join("grandchild.pid");
        // The helper starts a grandchild that would outlive it, then hangs.
        let script = dir.script(
            "spawns",
            &format!(
                "sleep 300 &\necho $! > '{}'\necho 'still waiting for the vault' >&2\nwait",
                pid_file.display()
            ),
        );
        let err = provider(&quoted(&script), Some("1s"))
            .fetch()
            .await
            .expect_err("timeout");
        let message = err.to_string();
        assert!(message.contains("did not finish within 1s"), "{message}");
        assert!(message.contains("its children were stopped"), "{message}");
        assert!(message.contains("still waiting for the vault"), "{message}");
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // SIGKILL is delivered at once, but the zombie is reaped by its parent's parent: poll
        // /proc for a state other than running/sleeping (bounded: 200 × 25 ms).
        let mut gone = false;
        for _ in 0..200 {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let alive = state
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next())
                .is_some_and(|s| s != "Z" && s != "X");
            if !alive {
                gone = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(gone, "the grandchild {pid} survived the timeout");
    }

    #[tokio::test]
    async fn the_helper_sees_a_minimal_environment_plus_pass_env() {
        let dir = Scratch::new("env");
        let out = dir.0.join("env.txt");
        let script = dir.script(
            "env",
            &format!(
                "env > '{}'\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"{AKID}\", \"SecretAccessKey\": \"{SECRET}\"}}'",
                out.display()
            ),
        );
        // SAFETY (test): set before the helper runs; the variables are unique to this test.
        unsafe {
            std::env::set_var("OCISYNC_TEST_LEAK_SECRET", "must-not-reach-the-helper");
            std::env::set_var("OCISYNC_TEST_ALLOWED_ONE", "passed");
        }
        let mut values = ConfigValues::new();
        values.insert("command".into(), RawValue::String(quoted(&script)));
        values.insert(
            "pass_env".into(),
            RawValue::List(vec!["OCISYNC_TEST_ALLOWED_*".into()]),
        );
        TYPE.build("helper", &values)
            .unwrap()
            .fetch()
            .await
            .unwrap();
        let env = std::fs::read_to_string(&out).unwrap();
        assert!(env.contains("OCISYNC_TEST_ALLOWED_ONE=passed"), "{env}");
        assert!(!env.contains("must-not-reach-the-helper"), "{env}");
        assert!(env.lines().all(|l| !l.starts_with("CARGO_")), "{env}");
    }

    #[tokio::test]
    async fn endless_stdout_is_cut_off() {
        let dir = Scratch::new("endless");
        let script = dir.script(
            "yes",
            "yes AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        );
        let err = provider(&quoted(&script), Some("60s"))
            .fetch()
            .await
            .expect_err("too much");
        assert!(
            err.to_string().contains("more than 1024 KiB on stdout"),
            "{err}"
        );
    }

    #[test]
    fn command_lines_split_like_a_shell() {
        let words = |line: &str| {
            split_command(line).map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(words("a  b\tc").unwrap(), ["a", "b", "c"]);
        assert_eq!(
            words(r#"'/opt/my tools/x' "a b" c\ d"#).unwrap(),
            ["/opt/my tools/x", "a b", "c d"]
        );
        assert_eq!(
            words(r#""say \"hi\" \\ \n""#).unwrap(),
            [r#"say "hi" \ \n"#]
        );
        assert_eq!(words("x''").unwrap(), ["x"]);
        assert_eq!(words("''").unwrap(), [""]);
        assert!(words("   ").is_err());
        assert!(words("'open").is_err());
        assert!(words("\"open").is_err());
        assert!(words("end\\").is_err());
        let mut values = ConfigValues::new();
        values.insert("command".into(), RawValue::String("'unterminated".into()));
        assert_eq!(TYPE.build("x", &values).err().unwrap().key(), "command");
    }
}
