//! Fault injection: rules that make chosen requests fail the way networks and overloaded
//! services do, so clients' retry and integrity checks can be tested.
//!
//! A rule matches on method, a substring of the raw request target and/or the operation name;
//! it lets `after` matching requests through, then fires on the next `times` ones. Rules are
//! tried in the order they were added; the first live match wins.

use std::sync::Mutex;

use http::Method;
use serde::{Deserialize, Serialize};

/// What a firing rule does to the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer with this status (429, 503...) and an OCI-style JSON error, without passing the
    /// request to the service; `retry_after` (seconds) adds a `Retry-After` header.
    Status {
        status: u16,
        retry_after: Option<u32>,
    },
    /// Drop the connection with a TCP reset instead of answering.
    Reset,
    /// Let the service answer, declare the full `content-length`, send only the first `bytes`
    /// of the body, then close the connection.
    Truncate { bytes: usize },
    /// Hold the request this long before passing it to the service; a large value plays a
    /// service that hangs (the client's timeout must end the wait).
    Delay { millis: u64 },
}

/// One rule. Build with [`FaultRule::new`] and the narrowing methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Only this method (e.g. "GET"); any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// Only targets (path and query as sent) containing this.
    #[serde(default)]
    pub path_contains: Option<String>,
    /// Only this operation ("GetObject", "ListObjects"...).
    #[serde(default)]
    pub operation: Option<String>,
    /// Matching requests let through before the rule fires.
    #[serde(default)]
    pub after: u32,
    /// Matching requests the rule fires on, then it is spent.
    #[serde(default = "one")]
    pub times: u32,
    pub action: FaultAction,
}

fn one() -> u32 {
    1
}

impl FaultRule {
    /// Fires once, on the first request of any kind.
    pub fn new(action: FaultAction) -> Self {
        FaultRule {
            method: None,
            path_contains: None,
            operation: None,
            after: 0,
            times: 1,
            action,
        }
    }

    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method.as_str().to_string());
        self
    }

    pub fn path_contains(mut self, fragment: impl Into<String>) -> Self {
        self.path_contains = Some(fragment.into());
        self
    }

    pub fn operation(mut self, operation: impl Into<String>) -> Self {
        self.operation = Some(operation.into());
        self
    }

    pub fn after(mut self, requests: u32) -> Self {
        self.after = requests;
        self
    }

    pub fn times(mut self, requests: u32) -> Self {
        self.times = requests;
        self
    }

    fn matches(&self, method: &Method, target: &str, operation: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| target.contains(p))
            && self.operation.as_deref().is_none_or(|o| o == operation)
    }
}

struct LiveRule {
    rule: FaultRule,
    seen: u32,
    fired: u32,
}

/// The rules of one server.
#[derive(Default)]
pub struct Faults {
    rules: Mutex<Vec<LiveRule>>,
}

impl Faults {
    pub fn add(&self, rule: FaultRule) {
        self.lock().push(LiveRule {
            rule,
            seen: 0,
            fired: 0,
        });
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many times rules have fired since they were added.
    pub fn fired(&self) -> u32 {
        self.lock().iter().map(|r| r.fired).sum()
    }

    /// The action for this request, if a rule fires on it.
    pub(crate) fn take(
        &self,
        method: &Method,
        target: &str,
        operation: &str,
    ) -> Option<FaultAction> {
        let mut rules = self.lock();
        let live = rules
            .iter_mut()
            .find(|r| r.fired < r.rule.times && r.rule.matches(method, target, operation))?;
        live.seen += 1;
        if live.seen <= live.rule.after {
            return None;
        }
        live.fired += 1;
        Some(live.rule.action.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LiveRule>> {
        // Rules are plain data; a panicking test thread must not disable them for others.
        self.rules
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_after_and_times_then_is_spent() {
        let faults = Faults::default();
        faults.add(
            FaultRule::new(FaultAction::Reset)
                .method(Method::GET)
                .operation("GetObject")
                .after(1)
                .times(2),
        );
        let get = |op| faults.take(&Method::GET, "/n/ns/b/b/o/x", op);
        assert_eq!(get("ListObjects"), None);
        assert_eq!(get("GetObject"), None, "the first match passes");
        assert_eq!(get("GetObject"), Some(FaultAction::Reset));
        assert_eq!(
            faults.take(&Method::PUT, "/n/ns/b/b/o/x", "GetObject"),
            None
        );
        assert_eq!(get("GetObject"), Some(FaultAction::Reset));
        assert_eq!(get("GetObject"), None, "spent after two");
        assert_eq!(faults.fired(), 2);
    }

    #[test]
    fn rules_parse_from_json() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"path_contains":"/o/","action":{"status":{"status":503,"retry_after":2}}}"#,
        )
        .unwrap();
        assert_eq!(rule.times, 1);
        assert_eq!(
            rule.action,
            FaultAction::Status {
                status: 503,
                retry_after: Some(2)
            }
        );
        let rule: FaultRule =
            serde_json::from_str(r#"{"times":3,"action":{"truncate":{"bytes":10}}}"#).unwrap();
        assert_eq!(rule.action, FaultAction::Truncate { bytes: 10 });
        let rule: FaultRule = serde_json::from_str(r#"{"action":"reset"}"#).unwrap();
        assert_eq!(rule.action, FaultAction::Reset);
        let rule: FaultRule =
            serde_json::from_str(r#"{"action":{"delay":{"millis":600000}}}"#).unwrap();
        assert_eq!(rule.action, FaultAction::Delay { millis: 600_000 });
    }
}
