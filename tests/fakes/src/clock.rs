//! The fakes' clock: real time plus an offset that a test sets, so a fake plays a service whose
//! clock disagrees with the client's (clock-skew tests) without touching the machine's clock.
//!
//! One [`Clock`] is shared (`Arc`) by everything that should agree on the time: a server's
//! `Date` headers, the signature checks of the services trusting a [`crate::oci_sig::KeyRing`]
//! (the ring carries the clock), and the federation's token times. The keyless fakes share a
//! single clock, so shifting it through any one server's `POST /_fake/clock` shifts them all.

use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// Real time shifted by a settable offset (zero by default).
#[derive(Debug, Default)]
pub struct Clock {
    // Milliseconds: finer than any HTTP date, and an atomic keeps `now` lock-free.
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn new() -> Self {
        Clock::default()
    }

    /// The fake's notion of now: real now + offset.
    pub fn now(&self) -> Timestamp {
        let now = Timestamp::now();
        now.checked_add(self.offset()).unwrap_or(now)
    }

    /// How far the fake's clock is ahead of real time (negative: behind).
    pub fn offset(&self) -> SignedDuration {
        SignedDuration::from_millis(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the fake's clock to real time + `offset`.
    pub fn set_offset(&self, offset: SignedDuration) {
        let ms = i64::try_from(offset.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.store(ms, Ordering::Relaxed);
    }

    /// [`Clock::now`] as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), for `Date` headers.
    pub fn http_date(&self) -> String {
        self.now().strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_shifts_now() {
        let clock = Clock::new();
        assert_eq!(clock.offset(), SignedDuration::ZERO);
        clock.set_offset(SignedDuration::from_mins(-10));
        let ten = SignedDuration::from_mins(10);
        let before = Timestamp::now();
        let shifted = clock.now();
        let after = Timestamp::now();
        assert!(
            before - ten <= shifted && shifted <= after - ten,
            "{shifted}"
        );
        assert_eq!(clock.offset(), SignedDuration::from_mins(-10));
        assert!(clock.http_date().ends_with(" GMT"));
    }
}
