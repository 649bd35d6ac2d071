//! Running a helper program (the `command` credential provider, the `command` alert sink): no
//! shell, a minimal environment, its own process group, bounded output and time.
//!
//! - **Environment**: only `PATH`, `HOME`, `USER`, `LOGNAME`, `LANG`, `LC_ALL`, `LC_CTYPE`, `TZ`
//!   and `TMPDIR` are passed, plus the names the section lists in `pass_env` (`NAME`, or
//!   `PREFIX*`) and what the caller sets. ocisync's own environment may hold AWS keys or proxy
//!   passwords that a helper has no business seeing.
//! - **Process group**: the helper leads a group of its own; on a timeout (or too much output)
//!   the whole group is killed, so a helper's children cannot outlive it.
//! - **Output**: stdout (where credentials are printed) is read into zeroizing memory, at most
//!   [`MAX_STDOUT`], and never shown. stderr is kept bounded (the last [`STDERR_KEPT`] bytes)
//!   and shown, one line, in the error: it is where a helper says why it failed.

use std::io;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use zeroize::Zeroizing;

/// The most a helper may print on stdout: credential JSON is well under a kilobyte.
pub const MAX_STDOUT: usize = 1 << 20;
/// The tail of stderr kept for the error message.
pub const STDERR_KEPT: usize = 4096;
/// The most of stderr shown in an error.
const STDERR_SHOWN: usize = 1000;

/// Variables every helper gets (when ocisync has them).
const BASE_ENV: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
];

/// One run of a helper.
pub struct Helper<'a> {
    /// Program first, then its arguments.
    pub words: &'a [&'a str],
    /// Extra variables ocisync sets (e.g. `OCISYNC_ALERT_TITLE`).
    pub set_env: Vec<(&'a str, String)>,
    /// Variable names (or `PREFIX*`) passed from ocisync's environment on top of the base set.
    pub pass_env: &'a [String],
    pub stdin: Option<&'a [u8]>,
    /// Read stdout (credential helpers); otherwise it goes to /dev/null.
    pub capture_stdout: bool,
    pub timeout: Duration,
}

/// How a run ended.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Zeroizing<Vec<u8>>,
    /// The tail of stderr, as one line (see [`one_line`]); empty when it printed nothing.
    pub stderr: String,
}

#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    #[error("cannot run {program}: {source}")]
    Spawn { program: String, source: io::Error },
    #[error("{program} did not finish within {}; it and its children were stopped{}", ocisync_backend::Duration(*.timeout), said(.stderr))]
    TimedOut {
        program: String,
        timeout: Duration,
        stderr: String,
    },
    #[error("{program} printed more than {} KiB on stdout; it and its children were stopped", MAX_STDOUT >> 10)]
    TooMuchOutput { program: String },
    #[error("running {program}: {source}")]
    Io { program: String, source: io::Error },
}

fn said(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(" (stderr: {stderr})")
    }
}

/// The environment a helper gets: the base set and `pass_env` from `env`, then `set`.
pub fn environment(
    env: impl Iterator<Item = (String, String)>,
    pass_env: &[String],
) -> Vec<(String, String)> {
    let wanted = |name: &str| {
        BASE_ENV.contains(&name)
            || pass_env.iter().any(|p| match p.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => p == name,
            })
    };
    let mut out: Vec<(String, String)> = env.filter(|(k, _)| wanted(k)).collect();
    if !out.iter().any(|(k, _)| k == "PATH") {
        out.push(("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()));
    }
    out
}

/// Runs the helper to its end (or its timeout).
pub async fn run(h: Helper<'_>) -> Result<Finished, HelperError> {
    let program = h.words[0].to_string();
    let mut command = tokio::process::Command::new(&program);
    command
        .args(&h.words[1..])
        .env_clear()
        .envs(environment(std::env::vars(), h.pass_env))
        .envs(h.set_env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(if h.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(if h.capture_stdout {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped())
        // Its own group: a timeout kills its children too.
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|source| HelperError::Spawn {
        program: program.clone(),
        source,
    })?;
    let group = child.id().map(|pid| pid as i32);
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut err_tail = Vec::new();
    let feed = async {
        if let (Some(mut pipe), Some(bytes)) = (stdin, h.stdin) {
            // A helper that does not read its input is not an error.
            let _ = pipe.write_all(bytes).await;
            let _ = pipe.shutdown().await;
        }
    };
    let read_out = async {
        match stdout {
            Some(pipe) => read_capped(pipe, MAX_STDOUT).await,
            None => Ok(Some(Zeroizing::new(Vec::new()))),
        }
    };
    let read_err = async {
        if let Some(pipe) = stderr {
            let _ = read_tail(pipe, STDERR_KEPT, &mut err_tail).await;
        }
    };
    let all = async {
        let ((), out, (), status) = tokio::join!(feed, read_out, read_err, child.wait());
        (out, status)
    };
    let outcome = tokio::time::timeout(h.timeout, all).await;
    let (out, status) = match outcome {
        Ok(done) => done,
        Err(_) => {
            kill_group(group);
            return Err(HelperError::TimedOut {
                program,
                timeout: h.timeout,
                stderr: one_line(&err_tail),
            });
        }
    };
    let stdout = match out {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            kill_group(group);
            return Err(HelperError::TooMuchOutput { program });
        }
        Err(source) => return Err(HelperError::Io { program, source }),
    };
    let status = status.map_err(|source| HelperError::Io {
        program: program.clone(),
        source,
    })?;
    Ok(Finished {
        status,
        stdout,
        stderr: one_line(&err_tail),
    })
}

/// SIGKILL to the helper's process group (its pid: it was made leader).
fn kill_group(group: Option<i32>) {
    if let Some(pgid) = group.filter(|p| *p > 0) {
        // SAFETY: kill(2) takes plain integers; a negative pid names the process group the
        // helper leads (process_group(0) above), which holds only the helper and its children.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// Reads everything, or `None` once more than `limit` bytes came (the rest is not read).
async fn read_capped(
    mut pipe: impl AsyncRead + Unpin,
    limit: usize,
) -> io::Result<Option<Zeroizing<Vec<u8>>>> {
    let mut out = Zeroizing::new(Vec::new());
    let mut buf = Zeroizing::new([0u8; 8192]);
    loop {
        let n = pipe.read(&mut buf[..]).await?;
        if n == 0 {
            return Ok(Some(out));
        }
        if out.len() + n > limit {
            return Ok(None);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Reads to the end, keeping the last `keep` bytes.
async fn read_tail(
    mut pipe: impl AsyncRead + Unpin,
    keep: usize,
    tail: &mut Vec<u8>,
) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        let n = pipe.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > keep {
            let cut = tail.len() - keep;
            tail.drain(..cut);
        }
    }
}

/// stderr as one log-safe line: trimmed, lines joined with ` | `, other control characters
/// escaped, at most [`STDERR_SHOWN`] characters (the end kept: that is where the reason is).
pub fn one_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push_str(" | ");
        }
        for c in line.chars() {
            if c.is_control() {
                out.push_str(&c.escape_default().to_string());
            } else {
                out.push(c);
            }
        }
    }
    let count = out.chars().count();
    if count > STDERR_SHOWN {
        let tail: String = out.chars().skip(count - STDERR_SHOWN).collect();
        out = format!("…{tail}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn the_environment_is_minimal_plus_the_allow_list() {
        let env = environment(
            vars(&[
                ("PATH", "/bin"),
                ("HOME", "/h"),
                ("AWS_SECRET_ACCESS_KEY", "S3CRET"),
                ("HTTPS_PROXY", "http://u:p@proxy"),
                ("OCI_CLI_PROFILE", "reports"),
                ("OCI_CLI_REGION", "iad"),
                ("VAULT_ADDR", "https://v"),
            ]),
            &["OCI_CLI_*".to_string(), "VAULT_ADDR".to_string()],
        );
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "PATH",
                "HOME",
                "OCI_CLI_PROFILE",
                "OCI_CLI_REGION",
                "VAULT_ADDR"
            ]
        );
        let bare = environment(vars(&[]), &[]);
        assert_eq!(bare[0].0, "PATH", "a default PATH when ocisync has none");
    }

    #[test]
    fn stderr_becomes_one_bounded_line() {
        assert_eq!(
            one_line(b"  first\n\nsecond\x1b[31m\n"),
            "first | second\\u{1b}[31m"
        );
        let long = "x".repeat(5000);
        let shown = one_line(long.as_bytes());
        assert!(shown.starts_with('…') && shown.chars().count() == STDERR_SHOWN + 1);
    }
}
