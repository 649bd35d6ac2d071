//! Sizes and durations written the way rclone writes them (`5Mi`, `200M`, `1h30m`, `7d`).

use std::fmt;

/// A byte count parsed from rclone's size syntax.
///
/// A bare number is KiB (as in rclone); suffixes `B`, `K`/`Ki`, `M`/`Mi`, `G`/`Gi`, `T`/`Ti`,
/// `P`/`Pi` are powers of 1024, with an optional trailing `B` (`5MiB`). `off` means unset (-1 in
/// rclone) and parses as `u64::MAX`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Size(pub u64);

impl Size {
    pub fn parse(s: &str) -> Result<Size, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("off") {
            return Ok(Size(u64::MAX));
        }
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, suffix) = t.split_at(split);
        if num.is_empty() {
            return Err(format!(
                "size {s:?}: expected a number with an optional suffix like 5Mi"
            ));
        }
        let value: f64 = num
            .parse()
            .map_err(|_| format!("size {s:?}: {num:?} is not a number"))?;
        let suffix = suffix.trim();
        let lower = suffix.to_ascii_lowercase();
        let unit = lower
            .strip_suffix("ib")
            .or_else(|| lower.strip_suffix('i'))
            .unwrap_or(&lower);
        let unit = if unit.len() == 2 {
            unit.strip_suffix('b').unwrap_or(unit)
        } else {
            unit
        };
        let shift = match unit {
            "" if suffix.is_empty() => 10,
            "" | "b" => 0,
            "k" => 10,
            "m" => 20,
            "g" => 30,
            "t" => 40,
            "p" => 50,
            _ => {
                return Err(format!(
                    "size {s:?}: unknown suffix {suffix:?} (use B, Ki, Mi, Gi, Ti, Pi)"
                ));
            }
        };
        let bytes = value * (1u64 << shift) as f64;
        if !(0.0..1.8e19).contains(&bytes) {
            return Err(format!("size {s:?} is out of range"));
        }
        Ok(Size(bytes.round() as u64))
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Size {
    /// Prints the largest exact binary unit (`5Mi`, `200Mi`, `1536`→`1.5Ki`), as rclone does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == u64::MAX {
            return f.write_str("off");
        }
        const UNITS: [(&str, u32); 5] =
            [("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)];
        for (name, shift) in UNITS {
            let unit = 1u64 << shift;
            if self.0 >= unit {
                let v = self.0 as f64 / unit as f64;
                return if self.0.is_multiple_of(unit) {
                    write!(f, "{}{name}", self.0 / unit)
                } else {
                    write!(f, "{:.3}{name}", v)
                };
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl fmt::Debug for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A length of time in rclone's syntax: a sequence of number+unit pairs, units `ns`, `us`, `ms`,
/// `s`, `m`, `h`, `d` (24h), `w` (7d), `M` (30d), `y` (365d). A bare number is seconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    pub fn parse(s: &str) -> Result<Duration, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("empty duration".into());
        }
        if t == "off" || t == "0" {
            return Ok(Duration(std::time::Duration::ZERO));
        }
        if let Ok(secs) = t.parse::<f64>() {
            return Ok(Duration(std::time::Duration::from_secs_f64(secs.max(0.0))));
        }
        let mut total = 0f64;
        let mut rest = t;
        while !rest.is_empty() {
            let n = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| format!("duration {s:?}: missing unit after number"))?;
            if n == 0 {
                return Err(format!("duration {s:?}: expected a number before {rest:?}"));
            }
            let value: f64 = rest[..n]
                .parse()
                .map_err(|_| format!("duration {s:?}: bad number"))?;
            rest = &rest[n..];
            let u = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let secs = match &rest[..u] {
                "ns" => 1e-9,
                "us" | "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                "d" => 86400.0,
                "w" => 7.0 * 86400.0,
                "M" => 30.0 * 86400.0,
                "y" => 365.0 * 86400.0,
                other => return Err(format!("duration {s:?}: unknown unit {other:?}")),
            };
            total += value * secs;
            rest = &rest[u..];
        }
        Ok(Duration(std::time::Duration::from_secs_f64(total)))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_rclone() {
        assert_eq!(Size::parse("5Mi").unwrap().0, 5 << 20);
        assert_eq!(Size::parse("5M").unwrap().0, 5 << 20);
        assert_eq!(Size::parse("5MiB").unwrap().0, 5 << 20);
        assert_eq!(Size::parse("200Mi").unwrap().0, 200 << 20);
        assert_eq!(
            Size::parse("100").unwrap().0,
            100 << 10,
            "bare number is KiB"
        );
        assert_eq!(Size::parse("100B").unwrap().0, 100);
        assert_eq!(Size::parse("100b").unwrap().0, 100);
        assert_eq!(Size::parse("1.5Gi").unwrap().0, 3 << 29);
        assert_eq!(Size::parse("off").unwrap().0, u64::MAX);
        assert!(Size::parse("5Xi").is_err());
        assert!(Size::parse("Mi").is_err());
        assert_eq!(Size(5 << 20).to_string(), "5Mi");
        assert_eq!(Size(1536).to_string(), "1.500Ki");
    }

    #[test]
    fn durations_follow_rclone() {
        let d = |s| Duration::parse(s).unwrap().0.as_secs_f64();
        assert_eq!(d("90"), 90.0);
        assert_eq!(d("1h30m"), 5400.0);
        assert_eq!(d("2d"), 172800.0);
        assert_eq!(d("1w"), 604800.0);
        assert_eq!(d("1M"), 30.0 * 86400.0);
        assert_eq!(d("500ms"), 0.5);
        assert!(Duration::parse("5x").is_err());
        assert!(Duration::parse("h").is_err());
    }
}
