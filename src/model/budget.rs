//! A retry budget, as gRPC's and Finagle's `RetryBudget`: every request (a
//! first attempt) deposits `ratio`, every retry withdraws 1, both counted
//! over a sliding window; a retry is allowed while the retries of the
//! window, itself included, stay within `ratio` × the window's requests plus
//! a reserve of `min_per_second` × the window.
//!
//! The window slides in `BUCKETS` steps: the counts live in a fixed ring of
//! buckets, each a tenth of the window, and the window at time `t` is `t`'s
//! bucket and the nine before it. No allocation, constant work per call.

use crate::engine::SimTime;
use crate::scenario::RetryBudget;

/// Buckets per window.
const BUCKETS: usize = 10;

/// One budget's state.
#[derive(Clone, Debug)]
pub struct Budget {
    ratio: f64,
    reserve: f64,
    bucket_ns: u64,
    /// The bucket `now` falls in, counted from time zero.
    current: u64,
    deposits: [u64; BUCKETS],
    withdrawals: [u64; BUCKETS],
    /// Sums of the ring.
    deposited: u64,
    withdrawn: u64,
}

impl Budget {
    pub fn new(budget: &RetryBudget) -> Self {
        let window_ns = budget.window.as_nanos();
        Budget {
            ratio: budget.ratio,
            reserve: budget.min_per_second * window_ns as f64 / 1e9,
            bucket_ns: (window_ns / BUCKETS as u64).max(1),
            current: 0,
            deposits: [0; BUCKETS],
            withdrawals: [0; BUCKETS],
            deposited: 0,
            withdrawn: 0,
        }
    }

    /// Moves the window to `now`, forgetting the buckets it leaves.
    fn advance(&mut self, now: SimTime) {
        let bucket = now.0 / self.bucket_ns;
        if bucket >= self.current + BUCKETS as u64 {
            *self = Budget {
                current: bucket,
                deposits: [0; BUCKETS],
                withdrawals: [0; BUCKETS],
                deposited: 0,
                withdrawn: 0,
                ..*self
            };
            return;
        }
        while self.current < bucket {
            self.current += 1;
            let slot = (self.current % BUCKETS as u64) as usize;
            self.deposited -= self.deposits[slot];
            self.withdrawn -= self.withdrawals[slot];
            self.deposits[slot] = 0;
            self.withdrawals[slot] = 0;
        }
    }

    fn slot(&self) -> usize {
        (self.current % BUCKETS as u64) as usize
    }

    /// A request (a first attempt) was made.
    pub fn deposit(&mut self, now: SimTime) {
        self.advance(now);
        let slot = self.slot();
        self.deposits[slot] += 1;
        self.deposited += 1;
    }

    /// A retry asks to be made: true (and counted) if the budget allows it.
    pub fn try_withdraw(&mut self, now: SimTime) -> bool {
        self.advance(now);
        if (self.withdrawn + 1) as f64 > self.ratio * self.deposited as f64 + self.reserve {
            return false;
        }
        let slot = self.slot();
        self.withdrawals[slot] += 1;
        self.withdrawn += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    fn budget(ratio: f64, min_per_second: f64) -> Budget {
        Budget::new(&RetryBudget {
            ratio,
            window: SimDuration::from_secs(10),
            min_per_second,
        })
    }

    #[test]
    fn retries_stay_within_the_ratio_of_the_window() {
        let mut budget = budget(0.1, 0.0);
        let at = |ms: u64| SimTime(ms * 1_000_000);
        for i in 0..100 {
            budget.deposit(at(i * 10));
        }
        let allowed = (0..50).filter(|_| budget.try_withdraw(at(1_000))).count();
        assert_eq!(allowed, 10, "10 % of 100 requests");
        // Ten seconds later the window has forgotten them.
        assert!(!budget.try_withdraw(at(11_000)));
        budget.deposit(at(11_000));
        assert!(
            !budget.try_withdraw(at(11_000)),
            "0.1 of one request is not a retry"
        );
    }

    #[test]
    fn the_reserve_allows_min_per_second_without_requests() {
        let mut budget = budget(0.0, 2.0);
        let allowed = (0..100)
            .filter(|_| budget.try_withdraw(SimTime(5_000_000_000)))
            .count();
        assert_eq!(allowed, 20, "2/s over a 10 s window");
    }

    #[test]
    fn the_window_slides_a_bucket_at_a_time() {
        let mut budget = budget(1.0, 0.0);
        for _ in 0..10 {
            budget.deposit(SimTime(0));
        }
        // At 9.5 s the first bucket is still in the window; at 10 s it is gone.
        assert!(budget.try_withdraw(SimTime(9_500_000_000)));
        assert!(!budget.try_withdraw(SimTime(10_000_000_000)));
    }
}
