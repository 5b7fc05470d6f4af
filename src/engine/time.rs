//! Simulated time: integer nanoseconds, never floating point.
//!
//! `SimTime` is an instant since the start of a run and `SimDuration` a span
//! between two instants. Both are `u64` nanoseconds, which covers about 584
//! years, so overflow is a scenario error caught at load time, never a
//! wrap-around in the loop. Floating point only appears at the edges (sampling
//! a distribution, formatting a report), where it is rounded once.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds in common units, for readable arithmetic.
pub const NANOS_PER_MICRO: u64 = 1_000;
pub const NANOS_PER_MILLI: u64 = 1_000_000;
pub const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// An instant of simulated time, in nanoseconds since the run started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct SimDuration(pub u64);

/// `x.round() as u64` (halves away from zero; NaN and negatives give 0,
/// values past `u64::MAX` saturate) without the call into libm's `round`,
/// which is not an instruction on baseline x86-64 and took 2 % of a run:
/// truncate, then look at the fraction, which `x - trunc(x)` gives exactly.
#[inline]
pub fn round_to_u64(x: f64) -> u64 {
    // Below 2^63 the signed conversions are single instructions; the
    // unsigned ones are not.
    const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
    if (0.0..TWO_TO_63).contains(&x) {
        let whole = x as i64;
        (whole + i64::from(x - whole as f64 >= 0.5)) as u64
    } else {
        x.round() as u64
    }
}

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub fn as_nanos(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SECOND as f64
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_nanos(nanos: u64) -> Self {
        SimDuration(nanos)
    }

    pub const fn from_millis(millis: u64) -> Self {
        SimDuration(millis * NANOS_PER_MILLI)
    }

    pub const fn from_secs(secs: u64) -> Self {
        SimDuration(secs * NANOS_PER_SECOND)
    }

    /// Rounds a non-negative number of seconds to the nearest nanosecond,
    /// saturating at the largest representable span.
    pub fn from_secs_f64(secs: f64) -> Self {
        SimDuration::from_nanos_f64(secs * NANOS_PER_SECOND as f64)
    }

    /// Rounds a non-negative number of nanoseconds, saturating; NaN and
    /// negative values become zero (all of which `round_to_u64` does).
    #[inline]
    pub fn from_nanos_f64(nanos: f64) -> Self {
        SimDuration(round_to_u64(nanos))
    }

    pub fn as_nanos(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SECOND as f64
    }

    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_MILLI as f64
    }

    pub fn saturating_mul(self, factor: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(factor))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, rhs: SimDuration) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.since(rhs)
    }
}

impl fmt::Display for SimDuration {
    /// Formats in the largest unit that divides the span exactly, so the text
    /// parses back to the same number of nanoseconds ("1500ms", "2m", "0s").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 7] = [
            (86_400 * NANOS_PER_SECOND, "d"),
            (3_600 * NANOS_PER_SECOND, "h"),
            (60 * NANOS_PER_SECOND, "m"),
            (NANOS_PER_SECOND, "s"),
            (NANOS_PER_MILLI, "ms"),
            (NANOS_PER_MICRO, "us"),
            (1, "ns"),
        ];
        if self.0 == 0 {
            return f.write_str("0s");
        }
        for (size, unit) in UNITS {
            if self.0.is_multiple_of(size) {
                return write!(f, "{}{}", self.0 / size, unit);
            }
        }
        unreachable!("every integer is a multiple of one nanosecond")
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_picks_the_largest_exact_unit() {
        assert_eq!(SimDuration::from_millis(1500).to_string(), "1500ms");
        assert_eq!(SimDuration::from_secs(120).to_string(), "2m");
        assert_eq!(SimDuration::from_nanos(250_000).to_string(), "250us");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
        assert_eq!(SimDuration::from_nanos(7).to_string(), "7ns");
    }

    #[test]
    fn float_conversion_rounds_and_saturates() {
        assert_eq!(SimDuration::from_secs_f64(0.0015).as_nanos(), 1_500_000);
        assert_eq!(SimDuration::from_nanos_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_nanos_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_nanos_f64(1e30).as_nanos(), u64::MAX);
        assert_eq!(SimDuration::from_nanos_f64(f64::INFINITY).as_nanos(), u64::MAX);
        assert_eq!(SimDuration::from_nanos_f64(f64::NEG_INFINITY), SimDuration::ZERO);
        assert_eq!(SimDuration::from_nanos_f64(-0.4), SimDuration::ZERO);
        assert_eq!(
            SimDuration::from_nanos_f64(18_446_744_073_709_551_615.0).as_nanos(),
            u64::MAX
        );
    }

    #[test]
    fn round_to_u64_is_round() {
        let tricky = [
            0.0,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            1234.4999999,
            1234.5,
            4503599627370495.5, // 2^52 - 0.5
            4503599627370497.0,
            9007199254740993.0,
            1.844_674_407_370_955e19, // just under 2^64
            -0.4,
            -7.0,
            f64::NAN,
            1e30,
        ];
        for x in tricky {
            assert_eq!(round_to_u64(x), x.round() as u64, "{x}");
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f64::from_bits(state).abs();
            assert_eq!(round_to_u64(x), x.round() as u64, "{x}");
            let y = (state >> 11) as f64 / 1024.0;
            assert_eq!(round_to_u64(y), y.round() as u64, "{y}");
        }
    }

    #[test]
    fn adding_to_an_instant_saturates() {
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
    }
}
