//! Process-wide protections set before anything else runs: no core dumps and no memory reads by
//! other processes of the same user.
//!
//! Secrets are held in zeroizing buffers where ocisync owns them, but copies live on where it
//! does not: the S3 signer's credential strings, reqwest's header values, TLS buffers. A core
//! dump (or another process of the `ocisync` user attaching with ptrace, or reading
//! `/proc/PID/mem`) would find them. `PR_SET_DUMPABLE = 0` stops all three: no core file, and
//! `/proc/PID/{mem,environ,maps}` and ptrace are root-only. `RLIMIT_CORE = 0` says the same to
//! anything that ignores the dumpable flag (e.g. a core pattern piping to a handler).

use std::sync::OnceLock;

/// What [`harden`] could not do (never fatal: ocisync still runs).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Hardening {
    pub problems: Vec<String>,
}

static DONE: OnceLock<Hardening> = OnceLock::new();

/// Disables core dumps and makes the process non-dumpable. Call first thing in `main`, before
/// any secret is read; what failed is kept for [`problems`] (logging is not set up yet).
pub fn harden() -> &'static Hardening {
    DONE.get_or_init(apply)
}

/// What [`harden`] could not do, once logging can say it.
pub fn problems() -> &'static [String] {
    DONE.get()
        .map(|h| h.problems.as_slice())
        .unwrap_or_default()
}

fn apply() -> Hardening {
    let mut problems = Vec::new();
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_DUMPABLE, 0) takes plain integers, touches no memory of ours and
        // only changes this process's dumpable flag. libc is already in the dependency tree
        // (tokio, reqwest); no safe wrapper exists in std.
        let rc = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
        if rc != 0 {
            problems.push(format!(
                "prctl(PR_SET_DUMPABLE, 0): {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    #[cfg(unix)]
    {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads the `rlimit` we pass by reference for the duration of the
        // call; lowering a limit is always permitted.
        let rc = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) };
        if rc != 0 {
            problems.push(format!(
                "setrlimit(RLIMIT_CORE, 0): {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Hardening { problems }
}

/// Whether the process is dumpable (Linux), for tests and `doctor`.
#[cfg(target_os = "linux")]
pub fn dumpable() -> bool {
    // SAFETY: PR_GET_DUMPABLE takes no pointer and returns the flag.
    unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) != 0 }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn the_process_is_no_longer_dumpable_and_dumps_no_core() {
        // Changes this test process only (a test binary of its own under nextest).
        let h = super::harden();
        assert!(h.problems.is_empty(), "{:?}", h.problems);
        assert!(!super::dumpable());
        let mut limit = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: getrlimit writes into the struct we own.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) }, 0);
        assert_eq!((limit.rlim_cur, limit.rlim_max), (0, 0));
    }
}
