//! A time-weighted level (busy servers, queue length): the integral of the
//! level over time, so its mean over a window is exact, not sampled.
//!
//! The integral is kept as `offset + level · now` instead of being advanced
//! at every change: a change by `δ` at time `t` subtracts `δ · t` from the
//! offset, which is one 128-bit add where advancing took a multiply, an add
//! and a store of the time. Gauges change several times per request. The
//! arithmetic is modulo 2^128 and exact: the window's area, which always
//! fits, comes out the same as summing `level · dt` piece by piece.

use crate::engine::SimTime;

#[derive(Clone, Debug, Default)]
pub struct TimeWeighted {
    level: u64,
    /// ∫ level dt over the open window up to `t` is
    /// `offset + level · t` (wrapping), for any `t` since the last change.
    offset: u128,
}

impl TimeWeighted {
    /// The current level.
    #[inline]
    pub fn level(&self) -> u64 {
        self.level
    }

    #[inline]
    pub fn set(&mut self, now: SimTime, level: u64) {
        // offset' + level' · now = offset + level · now
        let before = self.level as u128 * now.0 as u128;
        let after = level as u128 * now.0 as u128;
        self.offset = self.offset.wrapping_add(before).wrapping_sub(after);
        self.level = level;
    }

    #[inline]
    pub fn increment(&mut self, now: SimTime) {
        self.offset = self.offset.wrapping_sub(now.0 as u128);
        self.level += 1;
    }

    #[inline]
    pub fn decrement(&mut self, now: SimTime) {
        debug_assert!(self.level > 0, "level below zero");
        self.offset = self.offset.wrapping_add(now.0 as u128);
        self.level -= 1;
    }

    /// The open window's area up to `now`, without closing it.
    #[inline]
    pub fn area_until(&self, now: SimTime) -> u128 {
        self.offset.wrapping_add(self.level as u128 * now.0 as u128)
    }

    /// Ends the window at `now`: returns its area and starts a new one.
    pub fn close_window(&mut self, now: SimTime) -> u128 {
        let area = self.area_until(now);
        // The new window's area is zero at `now`.
        self.offset = 0u128.wrapping_sub(self.level as u128 * now.0 as u128);
        area
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_exactly() {
        let mut gauge = TimeWeighted::default();
        gauge.set(SimTime(0), 2);
        gauge.increment(SimTime(10)); // 2 for 10 ns
        gauge.decrement(SimTime(20)); // 3 for 10 ns
        assert_eq!(gauge.close_window(SimTime(30)), 20 + 30 + 20);
        assert_eq!(gauge.close_window(SimTime(40)), 20, "the level carries over");
        assert_eq!(gauge.level(), 2);
    }

    /// The offset form gives exactly the sum of `level · dt` over the
    /// pieces, over long runs and large times (the wrapping cancels).
    #[test]
    fn matches_the_piecewise_integral() {
        let mut gauge = TimeWeighted::default();
        let (mut level, mut since, mut area) = (0u64, 0u64, 0u128);
        let mut now = 0u64;
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for step in 0..200_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            now += state % 5_000_000_000; // up to 5 s apart: times reach ~5e14 ns
            area += level as u128 * (now - since) as u128;
            since = now;
            match state % 7 {
                0 if level > 0 => {
                    gauge.decrement(SimTime(now));
                    level -= 1;
                }
                1 => {
                    let to = state >> 40;
                    gauge.set(SimTime(now), to);
                    level = to;
                }
                2 if step % 50 == 0 => {
                    assert_eq!(gauge.close_window(SimTime(now)), area);
                    area = 0;
                }
                _ => {
                    gauge.increment(SimTime(now));
                    level += 1;
                }
            }
            assert_eq!(gauge.area_until(SimTime(now)), area);
            assert_eq!(gauge.level(), level);
        }
    }
}
