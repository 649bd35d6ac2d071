//! How the statistics are printed, as rclone's Logging flags say: `--stats-one-line` (one
//! line, optionally dated by `--stats-one-line-date[-format]`), `--stats-unit bits` and
//! `--stats-log-level`. Set once at start ([`configure`]); [`super::stats::Stats`] asks.

use std::sync::OnceLock;

use crate::log::LogLevel;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsStyle {
    pub one_line: bool,
    /// A strftime format put before the one line (converted from Go's layout).
    pub date_format: Option<String>,
    /// Rates in bits per second.
    pub bits: bool,
    pub level: LogLevel,
}

impl Default for StatsStyle {
    fn default() -> Self {
        StatsStyle {
            one_line: false,
            date_format: None,
            bits: false,
            level: LogLevel::Info,
        }
    }
}

static STYLE: OnceLock<StatsStyle> = OnceLock::new();

/// Sets the style for the run (first call wins).
pub fn configure(style: StatsStyle) {
    let _ = STYLE.set(style);
}

/// The style in force.
pub fn style() -> StatsStyle {
    STYLE.get().cloned().unwrap_or_default()
}

/// Go's reference-time layout (`2006/01/02 15:04:05 - `) as a strftime format, for the tokens
/// people put in `--stats-one-line-date-format`; anything else is kept as text.
pub fn go_layout(layout: &str) -> String {
    const TOKENS: &[(&str, &str)] = &[
        ("2006", "%Y"),
        ("January", "%B"),
        ("Monday", "%A"),
        (".000000000", "%.9f"),
        (".000000", "%.6f"),
        (".000", "%.3f"),
        ("-07:00", "%:z"),
        ("-0700", "%z"),
        ("MST", "%Z"),
        ("Jan", "%b"),
        ("Mon", "%a"),
        ("15", "%H"),
        ("01", "%m"),
        ("02", "%d"),
        ("03", "%I"),
        ("04", "%M"),
        ("05", "%S"),
        ("06", "%y"),
        ("PM", "%p"),
    ];
    let mut out = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        for (go, f) in TOKENS {
            if let Some(r) = rest.strip_prefix(go) {
                out.push_str(f);
                rest = r;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// rclone's `BitRateUnit`: `0 bit/s`, `1.500 Kibit/s`.
pub fn bit_rate(bytes_per_second: u64) -> String {
    const UNITS: [&str; 7] = ["bit", "Kibit", "Mibit", "Gibit", "Tibit", "Pibit", "Eibit"];
    let bits = bytes_per_second.saturating_mul(8);
    if bits < 1024 {
        return format!("{bits} bit/s");
    }
    let mut v = bits as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}/s", UNITS[i])
    } else {
        format!("{v:.3} {}/s", UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_layouts_become_strftime() {
        assert_eq!(go_layout("2006/01/02 15:04:05 - "), "%Y/%m/%d %H:%M:%S - ");
        assert_eq!(
            go_layout("Jan 02 15:04:05.000 MST"),
            "%b %d %H:%M:%S%.3f %Z"
        );
        assert_eq!(go_layout("100% "), "100%% ");
    }

    #[test]
    fn bit_rates() {
        assert_eq!(bit_rate(0), "0 bit/s");
        assert_eq!(bit_rate(128), "1 Kibit/s");
        assert_eq!(bit_rate(192), "1.500 Kibit/s");
    }
}
