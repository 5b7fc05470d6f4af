//! Calendar time for logs: Unix seconds to and from civil dates (UTC and
//! fixed offsets), nginx's and Apache's `[06/Dec/2026:19:33:13 +0000]`,
//! and RFC 3339 (`2026-12-06T19:33:13.123456Z`, ALB's and the CSV's).
//!
//! No time-zone database: logs carry their offset, and only differences
//! of times matter to calibration. Days from civil dates follow Howard
//! Hinnant's `days_from_civil` (proleptic Gregorian).

/// Simulated time 0 in a trace: 2026-01-01T00:00:00Z, in Unix seconds.
pub const TRACE_EPOCH_UNIX_S: i64 = 1_767_225_600;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date (year, month, day) of a day since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn unix_seconds(date: (i64, u32, u32), hour: u32, minute: u32, second: u32) -> Option<i64> {
    let (year, month, day) = date;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `06/Dec/2026:19:33:13 +0000` (without brackets) as Unix seconds.
pub fn parse_common_log(text: &str) -> Option<f64> {
    let (stamp, offset) = text.split_once(' ')?;
    let mut parts = stamp.splitn(3, '/');
    let day = number(parts.next()?)?;
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|name| *name == month_name)? as u32 + 1;
    let rest = parts.next()?;
    let mut clock = rest.split(':');
    let year = number(clock.next()?)?;
    let hour = number(clock.next()?)?;
    let minute = number(clock.next()?)?;
    let second = number(clock.next()?)?;
    if clock.next().is_some() {
        return None;
    }
    let local = unix_seconds((year, month, day), hour, minute, second)?;
    Some((local - offset_seconds(offset)?) as f64)
}

/// `+0100` or `-0530` as seconds east of UTC.
fn offset_seconds(text: &str) -> Option<i64> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = text.get(1..)?.replace(':', "");
    if digits.len() != 4 {
        return None;
    }
    let hours: i64 = number(&digits[..2])?;
    let minutes: i64 = number(&digits[2..])?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// `2026-12-06T19:33:13.123456Z` (or with `+01:00`) as Unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<f64> {
    let (date, clock) = text.split_once(['T', ' '])?;
    let mut parts = date.split('-');
    let year = number(parts.next()?)?;
    let month = number(parts.next()?)?;
    let day = number(parts.next()?)?;
    if parts.next().is_some() {
        return None;
    }
    let (clock, offset) = if let Some(clock) = clock.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = clock.rfind(['+', '-'])?;
        (&clock[..at], offset_seconds(&clock[at..])?)
    };
    let mut parts = clock.split(':');
    let hour = number(parts.next()?)?;
    let minute = number(parts.next()?)?;
    let seconds = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let fraction = if fraction.is_empty() {
        0.0
    } else {
        number::<u64>(fraction)? as f64 / 10f64.powi(fraction.len() as i32)
    };
    let base = unix_seconds((year, month, day), hour, minute, number(whole)?)?;
    Some((base - offset) as f64 + fraction)
}

/// Unix seconds as `06/Dec/2026:19:33:13 +0000` (whole seconds, UTC).
pub fn format_common_log(unix_s: f64) -> String {
    let seconds = unix_s.floor() as i64;
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[month as usize - 1],
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 1, 1) * 86_400, TRACE_EPOCH_UNIX_S);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(
            parse_common_log("01/Jan/2026:00:00:00 +0000"),
            Some(TRACE_EPOCH_UNIX_S as f64)
        );
        assert_eq!(
            parse_common_log("01/Jan/2026:01:00:00 +0100"),
            Some(TRACE_EPOCH_UNIX_S as f64)
        );
        assert_eq!(
            parse_rfc3339("2026-01-01T00:00:01.5Z"),
            Some(TRACE_EPOCH_UNIX_S as f64 + 1.5)
        );
        assert_eq!(
            parse_rfc3339("2026-01-01T02:00:00+02:00"),
            Some(TRACE_EPOCH_UNIX_S as f64)
        );
        assert_eq!(
            format_common_log(TRACE_EPOCH_UNIX_S as f64 + 86_399.9),
            "01/Jan/2026:23:59:59 +0000"
        );
    }

    #[test]
    fn garbage_is_none() {
        for text in [
            "",
            "32/Foo/2026:00:00:00 +0000",
            "01/Jan/2026:00:00 +0000",
            "01/Jan/2026:00:00:00 0000",
        ] {
            assert_eq!(parse_common_log(text), None, "{text}");
        }
        for text in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T0a:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text}");
        }
    }
}
