//! A time-weighted level (busy servers, queue length): the integral of the
//! level over time, so its mean over a window is exact, not sampled.

use crate::engine::SimTime;

#[derive(Clone, Debug, Default)]
pub struct TimeWeighted {
    level: u64,
    since: SimTime,
    /// ∫ level dt over the open window, in level·nanoseconds.
    area: u128,
}

impl TimeWeighted {
    /// The current level.
    #[inline]
    pub fn level(&self) -> u64 {
        self.level
    }

    #[inline]
    fn advance(&mut self, now: SimTime) {
        self.area += self.level as u128 * now.since(self.since).as_nanos() as u128;
        self.since = now;
    }

    #[inline]
    pub fn set(&mut self, now: SimTime, level: u64) {
        self.advance(now);
        self.level = level;
    }

    #[inline]
    pub fn increment(&mut self, now: SimTime) {
        self.advance(now);
        self.level += 1;
    }

    #[inline]
    pub fn decrement(&mut self, now: SimTime) {
        self.advance(now);
        debug_assert!(self.level > 0, "level below zero");
        self.level -= 1;
    }

    /// The open window's area up to `now`, without closing it.
    #[inline]
    pub fn area_until(&self, now: SimTime) -> u128 {
        self.area + self.level as u128 * now.since(self.since).as_nanos() as u128
    }

    /// Ends the window at `now`: returns its area and starts a new one.
    pub fn close_window(&mut self, now: SimTime) -> u128 {
        self.advance(now);
        std::mem::take(&mut self.area)
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
}
