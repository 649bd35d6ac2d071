//! Process-wide limits on what a run sends: `--bwlimit` (bytes per second, a constant or
//! rclone's timetable, `up:down` pairs), `--bwlimit-file` (the same, per object) and
//! `--tpslimit`/`--tpslimit-burst` (HTTP requests per second).
//!
//! Each limit is a token bucket ([`Bucket`]): a caller takes what it is about to move and waits
//! until the bucket can give it. A timetable's rate is looked up on every take, so a run
//! crossing 18:00 changes speed there, as rclone's does. With one rate (`--bwlimit 10M`), object
//! bodies count once per copy; with an `up:down` pair, bytes sent to a network remote count
//! against the first and bytes read from one against the second (rclone's transport limits).

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use ocisync_backend::Size;
use tokio::time::Instant;

/// Upload and download rate of one time slot, bytes per second (`None`: unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub up: Option<u64>,
    pub down: Option<u64>,
    /// Given as `up:down`: directions are limited apart.
    pub split: bool,
}

/// One entry of a timetable: from this weekday (0 = Sunday) and time on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    day: u32,
    hhmm: u32,
    rate: Pair,
}

/// `--bwlimit`'s value: a constant or rclone's timetable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timetable {
    slots: Vec<Slot>,
}

fn rate(s: &str) -> Result<Option<u64>, String> {
    match Size::parse(s) {
        Ok(Size(u64::MAX)) => Ok(None),
        Ok(Size(0)) => Ok(None),
        Ok(Size(n)) => Ok(Some(n)),
        Err(e) => Err(e),
    }
}

fn pair(s: &str) -> Result<Pair, String> {
    Ok(match s.split_once(':') {
        Some((up, down)) => Pair {
            up: rate(up)?,
            down: rate(down)?,
            split: true,
        },
        None => {
            let r = rate(s)?;
            Pair {
                up: r,
                down: r,
                split: false,
            }
        }
    })
}

fn hhmm(s: &str) -> Result<u32, String> {
    let bad = || format!("invalid time specification (hh:mm): {s:?}");
    if s.len() != 5 || s.as_bytes()[2] != b':' {
        return Err(bad());
    }
    let hh: u32 = s[..2].parse().map_err(|_| bad())?;
    let mm: u32 = s[3..].parse().map_err(|_| bad())?;
    if hh > 23 {
        return Err(format!("invalid hour (must be between 00 and 23): {hh}"));
    }
    if mm > 59 {
        return Err(format!("invalid minute (must be between 00 and 59): {mm}"));
    }
    Ok(hh * 100 + mm)
}

fn weekday(s: &str) -> Result<u32, String> {
    let days = [
        ("sun", "sunday"),
        ("mon", "monday"),
        ("tue", "tuesday"),
        ("wed", "wednesday"),
        ("thu", "thursday"),
        ("fri", "friday"),
        ("sat", "saturday"),
    ];
    let l = s.to_ascii_lowercase();
    days.iter()
        .position(|(a, b)| l == *a || l == *b)
        .map(|i| i as u32)
        .ok_or_else(|| format!("invalid weekday: {s:?}"))
}

impl Timetable {
    /// rclone's `BwTimetable.Set`: `10M`, `10M:1M`, or `HH:MM,RATE` / `Day-HH:MM,RATE` tokens
    /// separated by spaces or `;` (`08:00,512k 12:00,10M 18:00,off`).
    pub fn parse(s: &str) -> Result<Timetable, String> {
        if s.is_empty() {
            return Err("empty string".into());
        }
        if !s.contains(' ') && !s.contains(',') {
            return Ok(Timetable {
                slots: vec![Slot {
                    day: 0,
                    hhmm: 0,
                    rate: pair(s)?,
                }],
            });
        }
        let mut slots = Vec::new();
        for tok in s.split([' ', ';']).filter(|t| !t.is_empty()) {
            let (when, bw) = tok
                .split_once(',')
                .filter(|(_, b)| !b.contains(','))
                .ok_or_else(|| format!("invalid time/bandwidth specification: {tok:?}"))?;
            let rate = pair(bw)?;
            match when.split_once('-') {
                None => {
                    let t = hhmm(when)?;
                    slots.extend((0..7).map(|day| Slot { day, hhmm: t, rate }));
                }
                Some((day, t)) => slots.push(Slot {
                    day: weekday(day)?,
                    hhmm: hhmm(t)?,
                    rate,
                }),
            }
        }
        Ok(Timetable { slots })
    }

    /// rclone's `LimitAt`: the latest slot at or before `now` in the week, wrapping to the
    /// last one.
    pub fn at(&self, weekday: u32, hhmm: u32) -> Pair {
        let now = weekday * 10000 + hhmm;
        let minutes = |v: u32| (v / 10000) * 24 * 60 + ((v / 100) % 100) * 60 + v % 100;
        let mut best = self.slots.last().map(|s| s.rate);
        let mut min = None;
        for s in &self.slots {
            let t = s.day * 10000 + s.hhmm;
            if now < t {
                continue;
            }
            let d = minutes(now) - minutes(t);
            if min.is_none_or(|m| d <= m) {
                min = Some(d);
                best = Some(s.rate);
            }
        }
        best.unwrap_or(Pair {
            up: None,
            down: None,
            split: false,
        })
    }

    fn now(&self) -> Pair {
        let z = jiff::Zoned::now();
        let day = z.weekday().to_sunday_zero_offset() as u32;
        self.at(day, z.hour() as u32 * 100 + z.minute() as u32)
    }
}

/// A token bucket whose rate may change: holds the time the next byte may go.
#[derive(Debug)]
pub struct Bucket {
    next: Mutex<Option<Instant>>,
}

impl Bucket {
    fn new() -> Bucket {
        Bucket {
            next: Mutex::new(None),
        }
    }

    /// Waits until `n` units may go at `per_second` (`burst` units may go at once).
    pub async fn take(&self, n: u64, per_second: u64, burst: u64) {
        if per_second == 0 || n == 0 {
            return;
        }
        let at = self.grant(Instant::now(), n, per_second, burst);
        tokio::time::sleep_until(at).await;
    }

    /// Books `n` units at `now` and returns when they may go (GCRA: `next` is when the units
    /// already granted will have drained; idle time is not saved up beyond the burst).
    fn grant(&self, now: Instant, n: u64, per_second: u64, burst: u64) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let allowance = Duration::from_secs_f64(burst as f64 / per_second as f64);
        let start = next.map(|t| t.max(now)).unwrap_or(now);
        let end = start + Duration::from_secs_f64(n as f64 / per_second as f64);
        *next = Some(end);
        end.checked_sub(allowance).unwrap_or(end).max(now)
    }
}

/// The limits of this run.
struct Limits {
    bw: Option<Timetable>,
    per_file: Option<Timetable>,
    tps: Option<(f64, u32)>,
    up: Bucket,
    down: Bucket,
    both: Bucket,
    requests: Bucket,
}

static LIMITS: OnceLock<Limits> = OnceLock::new();

/// Sets the run's limits (once, at start).
pub fn configure(bw: Option<Timetable>, per_file: Option<Timetable>, tps: Option<(f64, u32)>) {
    if bw.is_none() && per_file.is_none() && tps.is_none() {
        return;
    }
    let _ = LIMITS.set(Limits {
        bw,
        per_file,
        tps,
        up: Bucket::new(),
        down: Bucket::new(),
        both: Bucket::new(),
        requests: Bucket::new(),
    });
}

/// rclone's burst for byte rates: at least 4 MiB (more above 256 MiB/s).
fn burst(rate: u64) -> u64 {
    (rate.saturating_mul(4 << 20) / (256 << 20))
        .max(4 << 20)
        .min(rate.max(1) * 4)
}

/// Which side of a copy the bytes cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sides {
    /// Read from a network remote.
    pub download: bool,
    /// Written to a network remote.
    pub upload: bool,
}

/// Waits until `n` bytes of an object body may move (`--bwlimit`); `file` is the object's own
/// bucket for `--bwlimit-file`.
pub async fn transfer(n: u64, sides: Sides, file: Option<&Bucket>) {
    let Some(l) = LIMITS.get() else { return };
    if let Some(t) = &l.bw {
        let p = t.now();
        if p.split {
            if sides.upload
                && let Some(r) = p.up
            {
                l.up.take(n, r, burst(r)).await;
            }
            if sides.download
                && let Some(r) = p.down
            {
                l.down.take(n, r, burst(r)).await;
            }
        } else if let Some(r) = p.up {
            l.both.take(n, r, burst(r)).await;
        }
    }
    if let (Some(t), Some(b)) = (&l.per_file, file)
        && let Some(r) = t.now().up
    {
        b.take(n, r, burst(r).min(r)).await;
    }
}

/// The same for commands that only read (`cat`) or only write (`rcat`): both limits apply.
pub async fn bytes(n: u64, file: Option<&Bucket>) {
    transfer(
        n,
        Sides {
            download: true,
            upload: true,
        },
        file,
    )
    .await
}

/// A bucket for one object's `--bwlimit-file`, if there is a per-file limit.
pub fn file_bucket() -> Option<Bucket> {
    LIMITS
        .get()
        .and_then(|l| l.per_file.as_ref())
        .map(|_| Bucket::new())
}

/// Waits until one more HTTP request may be sent (`--tpslimit`).
pub async fn request() {
    let Some(l) = LIMITS.get() else { return };
    if let Some((per_second, burst)) = l.tps
        && per_second > 0.0
    {
        // Requests are counted in thousandths so fractional rates (0.5/s) work.
        l.requests
            .take(
                1000,
                (per_second * 1000.0) as u64,
                u64::from(burst.max(1)) * 1000,
            )
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timetables_are_rclones() {
        let t = Timetable::parse("10M").unwrap();
        assert_eq!(t.at(3, 1200).up, Some(10 << 20));
        let t = Timetable::parse("512").unwrap();
        assert_eq!(t.at(0, 0).up, Some(512 << 10), "a bare number is KiB/s");
        let t = Timetable::parse("10M:1M").unwrap();
        let p = t.at(1, 0);
        assert_eq!(
            (p.up, p.down, p.split),
            (Some(10 << 20), Some(1 << 20), true)
        );
        let t = Timetable::parse("08:00,512k 12:00,10M 18:00,off").unwrap();
        assert_eq!(t.slots.len(), 21);
        assert_eq!(t.at(2, 900).up, Some(512 << 10));
        assert_eq!(t.at(2, 1200).up, Some(10 << 20));
        assert_eq!(t.at(2, 1900).up, None, "off");
        assert_eq!(
            t.at(2, 700).up,
            None,
            "before 08:00: yesterday's 18:00 slot"
        );
        assert_eq!(t.at(0, 100).up, None, "Sunday 01:00 wraps to the last slot");
        let t = Timetable::parse("Mon-00:00,512 Fri-23:59,10M Sat-10:00,1M Sun-20:00,off").unwrap();
        assert_eq!(t.at(3, 1200).up, Some(512 << 10));
        assert_eq!(t.at(6, 900).up, Some(10 << 20));
        assert_eq!(t.at(6, 1000).up, Some(1 << 20));
        assert_eq!(t.at(0, 2100).up, None);
        // Sunday 10:00 comes before every slot of the week: rclone takes the table's last one.
        assert_eq!(t.at(0, 1000).up, None);
        // "08:00" alone is rclone's up:down pair 8 KiB/s : unlimited.
        assert_eq!(
            Timetable::parse("08:00").unwrap().at(0, 0).up,
            Some(8 << 10)
        );
        for bad in ["", "25:00,1M", "Mon-08:00,1M,2M", "Mun-08:00,1M", "8:00,1M"] {
            assert!(Timetable::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn buckets_pace_to_the_rate() {
        // What the bucket asks to wait, computed at fixed instants (no clock involved).
        let b = Bucket::new();
        let t0 = Instant::now();
        // 1000 units/s, burst 100: 100 go at once; 1000 more then go one second later.
        assert_eq!(b.grant(t0, 100, 1000, 100), t0);
        let at = b.grant(t0, 1000, 1000, 100);
        let waited = at - t0;
        assert!(
            waited >= Duration::from_millis(999) && waited <= Duration::from_millis(1001),
            "{waited:?}"
        );
        // After a long idle spell only the burst is free again.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(b.grant(later, 100, 1000, 100), later);
        let at = b.grant(later, 100, 1000, 100);
        assert!(at - later >= Duration::from_millis(99), "{:?}", at - later);
    }
}
