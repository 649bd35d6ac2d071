//! What a fake server saw: a log of every request and counters per operation, read by tests
//! directly and by the benchmark over `GET /_fake/log` and `GET /_fake/stats`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use jiff::Timestamp;
use serde::{Serialize, Serializer};

/// One request as received and how it was answered.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// Position in the log, from 0.
    pub seq: u64,
    #[serde(serialize_with = "rfc3339")]
    pub time: Timestamp,
    pub method: String,
    /// Path and query exactly as on the request line.
    pub target: String,
    /// The service's name for it ("GetObject"), or "Unknown".
    pub operation: &'static str,
    /// 0 when the connection was reset instead of answered.
    pub status: u16,
    /// The selected request headers that were present (see [`LOGGED_HEADERS`]); the
    /// Authorization header is summarised without its signature, tokens redacted.
    pub headers: BTreeMap<String, String>,
    /// Request body bytes the service read.
    pub request_body_bytes: u64,
    /// Response body bytes sent (or, when truncated by a fault, the bytes actually sent).
    pub response_body_bytes: u64,
    /// The injected fault, if one fired.
    pub fault: Option<String>,
}

/// Serialises a timestamp as RFC 3339 (the workspace builds jiff without serde).
pub(crate) fn rfc3339<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

/// Request headers worth keeping in the log: what clients vary and tests check.
pub const LOGGED_HEADERS: &[&str] = &[
    "authorization",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "expect",
    "if-match",
    "if-none-match",
    "opc-client-request-id",
    "range",
    "storage-tier",
    "transfer-encoding",
    "user-agent",
    "x-content-sha256",
];

/// Counters for one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OperationStats {
    pub requests: u64,
    /// Answers with status >= 400 (injected faults included), plus resets.
    pub errors: u64,
    /// Requests an injected fault fired on.
    pub faults: u64,
    pub request_body_bytes: u64,
    pub response_body_bytes: u64,
}

/// Counters for a server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub connections: u64,
    pub requests: u64,
    pub operations: BTreeMap<&'static str, OperationStats>,
}

#[derive(Default)]
struct Inner {
    log: Vec<LogEntry>,
    stats: Stats,
    next_seq: u64,
}

/// The log and counters of one server, shared by its connections.
#[derive(Default)]
pub struct Monitor {
    inner: Mutex<Inner>,
}

impl Monitor {
    /// Requests received for `operation` since the last reset (0 if none).
    pub fn count(&self, operation: &str) -> u64 {
        self.lock()
            .stats
            .operations
            .get(operation)
            .map_or(0, |o| o.requests)
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    pub fn log(&self) -> Vec<LogEntry> {
        self.lock().log.clone()
    }

    /// Forgets the log and counters (between benchmark runs).
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.log.clear();
        inner.stats = Stats::default();
    }

    pub(crate) fn connection_opened(&self) {
        self.lock().stats.connections += 1;
    }

    /// Appends `entry` (its `seq` is assigned here) and counts it.
    pub(crate) fn record(&self, mut entry: LogEntry) {
        let mut inner = self.lock();
        entry.seq = inner.next_seq;
        inner.next_seq += 1;
        inner.stats.requests += 1;
        let op = inner.stats.operations.entry(entry.operation).or_default();
        op.requests += 1;
        if entry.status >= 400 || entry.status == 0 {
            op.errors += 1;
        }
        if entry.fault.is_some() {
            op.faults += 1;
        }
        op.request_body_bytes += entry.request_body_bytes;
        op.response_body_bytes += entry.response_body_bytes;
        inner.log.push(entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Plain counters; a panicking test thread must not hide them from the others.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
