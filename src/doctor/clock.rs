//! Clock skew against a server's `Date`: warn beyond a minute, fail beyond five (OCI refuses
//! requests dated more than 5 minutes off with 401 NotAuthenticated; S3 refuses beyond 15 with
//! RequestTimeTooSkewed — five is where both are about to break).

use jiff::{SignedDuration, Timestamp};
use ocisync_oracle::diagnose::{Evidence, server_date};

use super::Verdict;
use super::plan::{Doctor, Prerequisite};

pub const WARN_AFTER: SignedDuration = SignedDuration::from_secs(60);
pub const FAIL_AFTER: SignedDuration = SignedDuration::from_secs(300);

/// What the clock check concluded.
pub struct Skew {
    pub verdict: Verdict,
    pub evidence: String,
    pub fix: Option<String>,
}

/// The machine's time when the answer was made: halfway between sending and receiving.
fn local_midpoint(e: &Evidence) -> Option<Timestamp> {
    let (sent, received) = (e.sent?, e.received?);
    let half = received.duration_since(sent) / 2;
    sent.checked_add(half).ok()
}

/// Judges the skew between the local clock and `e`'s `Date`; `refuses` says what the service
/// does beyond its limit.
pub fn judge(e: &Evidence, refuses: &str) -> Skew {
    let fix = format!(
        "synchronise the clock: `sudo timedatectl set-ntp true` (chrony: `sudo systemctl enable \
         --now chronyd`; `chronyc tracking` shows the offset; on OCI the NTP server is \
         169.254.169.254). {refuses}"
    );
    let (Some(server), Some(local)) = (e.server_time(), local_midpoint(e)) else {
        let why = match (&e.failure, &e.date) {
            (Some(f), _) => format!("no answer: {f}"),
            (None, None) => "the answer has no Date header".to_string(),
            (None, Some(d)) => format!("unreadable Date header {d:?}"),
        };
        return Skew {
            verdict: Verdict::Warn,
            evidence: format!("could not check the clock: {}\n{why}", e.request),
            fix: None,
        };
    };
    // `Date` has whole seconds, cut down: the server's time was within the second after it.
    let offset = server.duration_since(local) + SignedDuration::from_millis(500);
    let seconds = offset
        .round(jiff::Unit::Second)
        .map_or(offset.as_secs(), |o| o.as_secs());
    let direction = match seconds {
        0 => "the clocks agree (to the second)".to_string(),
        s if s > 0 => format!("the server is {s} s ahead of this machine (this clock is slow)"),
        s => format!(
            "the server is {} s behind this machine (this clock is fast)",
            -s
        ),
    };
    let evidence = format!(
        "server Date: {} ({server}) from {}\nlocal time:  {}\noffset: {}{} s — {direction}",
        e.date.as_deref().unwrap_or_default(),
        e.request,
        local.round(jiff::Unit::Second).unwrap_or(local),
        if seconds > 0 { "+" } else { "" },
        seconds,
    );
    let magnitude = offset.abs();
    let verdict = if magnitude > FAIL_AFTER {
        Verdict::Fail
    } else if magnitude > WARN_AFTER {
        Verdict::Warn
    } else {
        Verdict::Ok
    };
    Skew {
        verdict,
        evidence,
        fix: (verdict != Verdict::Ok).then_some(fix),
    }
}

/// The clock against `url`'s server, once per `kind` (`OCI`, `S3 <endpoint>`); false when it
/// is too far off for signed requests (a FAIL).
pub async fn check(d: &mut Doctor, kind: &str, url: &str, refuses: &str) -> bool {
    if let Some(p) = d.clocks.get(kind) {
        return p.ok();
    }
    let evidence = server_date(url).await;
    let skew = judge(&evidence, refuses);
    let subject = host_of(url);
    let check = format!("clock ({})", kind.split(' ').next().unwrap_or(kind));
    let verdict = d.add(&check, &subject, skew.verdict, skew.evidence, skew.fix);
    let outcome = if verdict == Verdict::Fail {
        Prerequisite::Failed(check)
    } else {
        Prerequisite::Ok
    };
    let ok = outcome.ok();
    d.clocks.insert(kind.to_string(), outcome);
    ok
}

/// `https://host:port` of a URL (the subject of a clock check).
pub fn host_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or_default();
            match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        }
        Err(_) => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(offset_secs: i64) -> Evidence {
        let now = Timestamp::now();
        let server = now + SignedDuration::from_secs(offset_secs);
        Evidence {
            request: "GET http://127.0.0.1:1/".into(),
            status: Some(404),
            date: Some(server.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()),
            sent: Some(now),
            received: Some(now),
            ..Evidence::default()
        }
    }

    #[test]
    fn thresholds() {
        assert_eq!(judge(&answered(2), "x").verdict, Verdict::Ok);
        assert_eq!(judge(&answered(-90), "x").verdict, Verdict::Warn);
        let far = judge(&answered(600), "OCI refuses");
        assert_eq!(far.verdict, Verdict::Fail);
        assert!(far.evidence.contains("offset: +600 s"), "{}", far.evidence);
        assert!(far.fix.unwrap().contains("OCI refuses"));
        let behind = judge(&answered(-400), "x");
        assert_eq!(behind.verdict, Verdict::Fail);
        assert!(
            behind.evidence.contains("offset: -400 s"),
            "{}",
            behind.evidence
        );
        let none = judge(
            &Evidence {
                request: "GET http://127.0.0.1:1/".into(),
                failure: Some("could not connect".into()),
                ..Evidence::default()
            },
            "x",
        );
        assert_eq!(none.verdict, Verdict::Warn);
    }

    #[test]
    fn subjects_are_hosts() {
        assert_eq!(
            host_of("https://objectstorage.us-ashburn-1.oraclecloud.com/n/"),
            "https://objectstorage.us-ashburn-1.oraclecloud.com"
        );
        assert_eq!(host_of("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080");
    }
}
