//! Human units: durations (`"250us"`), rates (`"1200/s"`), sizes (`"64KiB"`)
//! and probabilities (`0.2` or `"20%"`), parsed into base units and formatted
//! back so that the resolved scenario re-parses to the same numbers.
//!
//! Parsing returns a plain message on failure; the reader attaches the span,
//! field path and hint. Every parser rejects NaN, infinities and negatives.

use crate::engine::SimDuration;
use crate::engine::time::{NANOS_PER_MICRO, NANOS_PER_MILLI, NANOS_PER_SECOND};

const DURATION_UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", NANOS_PER_MICRO),
    ("µs", NANOS_PER_MICRO),
    ("ms", NANOS_PER_MILLI),
    ("s", NANOS_PER_SECOND),
    ("sec", NANOS_PER_SECOND),
    ("m", 60 * NANOS_PER_SECOND),
    ("min", 60 * NANOS_PER_SECOND),
    ("h", 3_600 * NANOS_PER_SECOND),
    ("d", 86_400 * NANOS_PER_SECOND),
];

/// Splits `"12.5ms"` into `(12.5, "ms")`; underscores in the number are
/// allowed as digit separators (`"1_000/s"`).
fn split_number(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '_' || c == 'e' || c == 'E'))
        .map_or(text.len(), |(index, _)| index);
    // An exponent marker must be followed by digits; otherwise it is a unit
    // letter (no unit here starts with `e`, so this only guards typos).
    let (number, unit) = text.split_at(end);
    let number: String = number.chars().filter(|&c| c != '_').collect();
    if number.is_empty() {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    value.is_finite().then_some((value, unit.trim()))
}

/// The message for a negative quantity, which no unit allows.
fn reject_negative(text: &str, what: &str) -> Result<(), String> {
    if text.trim_start().starts_with('-') {
        Err(format!("`{text}` is negative; a {what} must be zero or more"))
    } else {
        Ok(())
    }
}

/// Parses a duration such as `"4ms"`, `"1.5s"` or `"10m"` (a unit is
/// required, except for a plain zero).
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    reject_negative(text, "duration")?;
    let Some((value, unit)) = split_number(text) else {
        return Err(format!(
            "`{text}` is not a duration: expected a number and a unit, like \"250ms\""
        ));
    };
    if unit.is_empty() {
        if value == 0.0 {
            return Ok(SimDuration::ZERO);
        }
        return Err(format!(
            "`{text}` has no unit: write \"{text}ms\" or \"{text}s\" (units: ns, us, ms, s, m, h, d)"
        ));
    }
    let Some(&(_, factor)) = DURATION_UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(format!(
            "unknown duration unit `{unit}` in `{text}` (units: ns, us, ms, s, m, h, d)"
        ));
    };
    let nanos = value * factor as f64;
    if nanos > MAX_DURATION_NANOS {
        return Err(format!("`{text}` is too long (more than 290 years)"));
    }
    Ok(SimDuration::from_nanos_f64(nanos))
}

/// The longest duration a scenario may state, in nanoseconds (about 290
/// years): half the clock's range, so sums of a few stay representable.
pub const MAX_DURATION_NANOS: f64 = u64::MAX as f64 / 2.0;

/// Formats a duration so `parse_duration` gives back the same nanoseconds.
pub fn format_duration(duration: SimDuration) -> String {
    duration.to_string()
}

const RATE_UNITS: &[(&str, f64)] = &[
    ("s", 1.0),
    ("sec", 1.0),
    ("second", 1.0),
    ("ms", 1000.0),
    ("m", 1.0 / 60.0),
    ("min", 1.0 / 60.0),
    ("minute", 1.0 / 60.0),
    ("h", 1.0 / 3600.0),
    ("hour", 1.0 / 3600.0),
    ("d", 1.0 / 86_400.0),
    ("day", 1.0 / 86_400.0),
];

/// Parses a rate such as `"1200/s"`, `"1.5k/s"` or `"90/min"` into events per
/// second. `k` and `M` multiply by a thousand and a million.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    reject_negative(text, "rate")?;
    let error =
        || format!("`{text}` is not a rate: expected a count per time unit, like \"1200/s\" or \"90/min\"");
    let (count, per) = text.split_once('/').ok_or_else(error)?;
    let (value, multiplier) = split_number(count).ok_or_else(error)?;
    let multiplier = match multiplier {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        other => return Err(format!("unknown multiplier `{other}` in `{text}` (use k or M)")),
    };
    let per = per.trim();
    let Some(&(_, per_second)) = RATE_UNITS.iter().find(|(name, _)| *name == per) else {
        return Err(format!(
            "unknown time unit `{per}` in `{text}` (use /s, /ms, /min, /h or /day)"
        ));
    };
    let rate = value * multiplier * per_second;
    if !rate.is_finite() {
        return Err(error());
    }
    Ok(rate)
}

/// Formats a rate in events per second; shortest round-trip float text.
pub fn format_rate(per_second: f64) -> String {
    format!("{per_second}/s")
}

const SIZE_UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

/// Parses a size such as `"64KiB"` or `"1.5GB"` into bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    reject_negative(text, "size")?;
    let Some((value, unit)) = split_number(text) else {
        return Err(format!(
            "`{text}` is not a size: expected a number and a unit, like \"64KiB\""
        ));
    };
    let Some(&(_, factor)) = SIZE_UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(format!(
            "unknown size unit `{unit}` in `{text}` (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
        ));
    };
    let bytes = value * factor as f64;
    if bytes >= u64::MAX as f64 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(bytes.round() as u64)
}

/// Formats bytes in the largest binary or decimal unit that divides exactly.
pub fn format_size(bytes: u64) -> String {
    for &(unit, factor) in SIZE_UNITS.iter().rev() {
        if factor > 1 && bytes >= factor && bytes.is_multiple_of(factor) {
            return format!("{}{unit}", bytes / factor);
        }
    }
    format!("{bytes}B")
}

/// Parses `"20%"` as 0.2; plain numbers are handled by the reader.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let Some(number) = text.trim().strip_suffix('%') else {
        return Err(format!(
            "`{text}` is not a probability: write a number from 0 to 1, or a percentage like \"20%\""
        ));
    };
    let (value, rest) = split_number(number)
        .filter(|(_, rest)| rest.is_empty())
        .ok_or_else(|| format!("`{text}` is not a percentage"))?;
    debug_assert!(rest.is_empty());
    Ok(value / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("250us").unwrap().as_nanos(), 250_000);
        assert_eq!(parse_duration("4ms").unwrap().as_nanos(), 4_000_000);
        assert_eq!(parse_duration("1.5s").unwrap().as_nanos(), 1_500_000_000);
        assert_eq!(parse_duration("10m").unwrap(), SimDuration::from_secs(600));
        assert_eq!(parse_duration("2h").unwrap(), SimDuration::from_secs(7200));
        assert_eq!(parse_duration("1_000ms").unwrap(), SimDuration::from_secs(1));
        assert_eq!(parse_duration("0").unwrap(), SimDuration::ZERO);
        assert_eq!(parse_duration(" 3 ms ").unwrap().as_nanos(), 3_000_000);
    }

    #[test]
    fn durations_reject_what_they_should() {
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
        assert!(parse_duration("5 sec0").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("ms").is_err());
        assert!(
            parse_duration("4 fortnights")
                .unwrap_err()
                .contains("unknown duration unit")
        );
        assert!(parse_duration("1e30d").unwrap_err().contains("too long"));
    }

    #[test]
    fn durations_round_trip() {
        for text in ["250us", "1500ms", "10m", "7ns", "3h", "0s"] {
            let parsed = parse_duration(text).unwrap();
            assert_eq!(format_duration(parsed), text);
        }
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("1200/s").unwrap(), 1200.0);
        assert_eq!(parse_rate("1.5k/s").unwrap(), 1500.0);
        assert_eq!(parse_rate("90/min").unwrap(), 1.5);
        assert_eq!(parse_rate("2/ms").unwrap(), 2000.0);
        assert_eq!(parse_rate("86400/day").unwrap(), 1.0);
        assert!(parse_rate("1200").is_err());
        assert!(parse_rate("1200/fortnight").is_err());
        assert_eq!(
            parse_rate("-5/s").unwrap_err(),
            "`-5/s` is negative; a rate must be zero or more"
        );
        let rate = parse_rate(&format_rate(1234.5678)).unwrap();
        assert_eq!(rate, 1234.5678);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64KiB").unwrap(), 65_536);
        assert_eq!(parse_size("1.5GB").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("512B").unwrap(), 512);
        assert!(parse_size("12 parsecs").is_err());
        for bytes in [65_536, 1_500_000_000, 512, 3 << 30] {
            assert_eq!(parse_size(&format_size(bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("20%").unwrap(), 0.2);
        assert!(parse_percent("20").is_err());
        assert!(parse_percent("x%").is_err());
    }
}
