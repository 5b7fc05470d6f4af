//! Circuit breakers on `call` steps (a step's `breaker`), after
//! resilience4j's `CircuitBreaker`, Envoy's outlier counters and Finagle's
//! `FailureAccrual`.
//!
//! One breaker per guarded call step, so per calling pool and target
//! (`call:<pool>-><target>`), shared by the pool's instances (as a service
//! mesh sidecar per pool would be). It sees every attempt's outcome:
//!
//! - closed: calls go through; it opens after `consecutive_failures`
//!   failed attempts in a row, or when at least `min_calls` attempts ended
//!   over the sliding `window` and at least `failure_rate` of them failed;
//! - open: attempts fail at once (`breaker_open`) and are not retried; after
//!   `open` an event makes it half-open;
//! - half-open: it lets `half_open_probes` attempts through and rejects the
//!   rest; the first failure opens it again, and when all the probes
//!   succeeded it closes, with its counts cleared.
//!
//! Outcomes that arrive while open (attempts sent before it opened) are
//! ignored; in half-open, the next outcomes decide, whichever attempts they
//! come from. A probe that never ends (a hung callee and no `timeout`)
//! keeps it half-open: give a breaker's call a timeout.
//!
//! The window slides in ten buckets, as the retry budget's (`budget.rs`):
//! fixed state, no allocation.

use super::call_policy::PolicyId;
use super::frame::{Cause, MISS};
use super::{Event, Model};
use crate::engine::id::IdVec;
use crate::engine::{EventQueue, SimTime, SlabKey};
use crate::metrics::catalog as metric;
use crate::metrics::{Summary, Tally, Timeseries};
use crate::scenario::CircuitBreaker;
use crate::typed_id;

typed_id!(
    /// A call step's circuit breaker.
    BreakerId
);

/// Buckets per window.
const BUCKETS: usize = 10;

/// A breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Closed,
    Open,
    HalfOpen,
}

impl State {
    /// Its value in `breaker_state`: 0 closed, 0.5 half-open, 1 open.
    pub fn gauge(self) -> f64 {
        match self {
            State::Closed => 0.0,
            State::HalfOpen => 0.5,
            State::Open => 1.0,
        }
    }

    /// The `events.csv` kind of a move into this state.
    pub fn event_kind(self) -> &'static str {
        match self {
            State::Closed => "breaker_closed",
            State::Open => "breaker_open",
            State::HalfOpen => "breaker_half_open",
        }
    }
}

/// Attempts and failures over a sliding window of `BUCKETS` buckets.
#[derive(Clone, Debug)]
struct Outcomes {
    bucket_ns: u64,
    /// The bucket `now` falls in, counted from time zero.
    current: u64,
    calls: [u32; BUCKETS],
    failures: [u32; BUCKETS],
    total_calls: u32,
    total_failures: u32,
}

impl Outcomes {
    fn new(window_ns: u64) -> Self {
        Outcomes {
            bucket_ns: (window_ns / BUCKETS as u64).max(1),
            current: 0,
            calls: [0; BUCKETS],
            failures: [0; BUCKETS],
            total_calls: 0,
            total_failures: 0,
        }
    }

    fn clear(&mut self) {
        *self = Outcomes::new(self.bucket_ns * BUCKETS as u64);
    }

    /// Moves the window to `now`, forgetting the buckets it leaves.
    fn advance(&mut self, now: SimTime) {
        let bucket = now.0 / self.bucket_ns;
        if bucket >= self.current + BUCKETS as u64 {
            let bucket_ns = self.bucket_ns;
            self.clear();
            self.bucket_ns = bucket_ns;
            self.current = bucket;
            return;
        }
        while self.current < bucket {
            self.current += 1;
            let slot = (self.current % BUCKETS as u64) as usize;
            self.total_calls -= self.calls[slot];
            self.total_failures -= self.failures[slot];
            self.calls[slot] = 0;
            self.failures[slot] = 0;
        }
    }

    fn record(&mut self, now: SimTime, failed: bool) {
        self.advance(now);
        let slot = (self.current % BUCKETS as u64) as usize;
        self.calls[slot] += 1;
        self.total_calls += 1;
        if failed {
            self.failures[slot] += 1;
            self.total_failures += 1;
        }
    }
}

/// What a breaker did in a window (or over the run).
#[derive(Clone, Copy, Debug, Default)]
pub struct BreakerCounters {
    pub opens: u64,
    pub rejected: u64,
}

impl std::ops::AddAssign for BreakerCounters {
    fn add_assign(&mut self, other: BreakerCounters) {
        self.opens += other.opens;
        self.rejected += other.rejected;
    }
}

/// One breaker's configuration and state.
#[derive(Clone, Debug)]
pub struct Breaker {
    config: CircuitBreaker,
    /// `call:<pool>-><target>`.
    pub scope: String,
    pub state: State,
    consecutive: u32,
    outcomes: Outcomes,
    probes_sent: u32,
    probes_succeeded: u32,
    pub counts: Tally<BreakerCounters>,
}

impl Breaker {
    pub fn new(config: CircuitBreaker, scope: String) -> Self {
        Breaker {
            outcomes: Outcomes::new(config.window.as_nanos()),
            config,
            scope,
            state: State::Closed,
            consecutive: 0,
            probes_sent: 0,
            probes_succeeded: 0,
            counts: Tally::default(),
        }
    }

    /// Whether an attempt may go now (a half-open probe is counted sent);
    /// a refusal is counted.
    pub fn permit(&mut self) -> bool {
        let allowed = match self.state {
            State::Closed => true,
            State::Open => false,
            State::HalfOpen => {
                let allowed = self.probes_sent < self.config.half_open_probes;
                self.probes_sent += u32::from(allowed);
                allowed
            }
        };
        self.counts.window.rejected += u64::from(!allowed);
        allowed
    }

    /// An attempt ended (`failed` or not) at `now`: the state it moves to,
    /// with why, if it moves.
    pub fn record(&mut self, failed: bool, now: SimTime) -> Option<(State, String)> {
        match self.state {
            State::Open => None,
            State::HalfOpen if failed => {
                self.open();
                Some((State::Open, "a half-open probe failed".to_owned()))
            }
            State::HalfOpen => {
                self.probes_succeeded += 1;
                if self.probes_succeeded < self.config.half_open_probes {
                    return None;
                }
                self.state = State::Closed;
                self.consecutive = 0;
                self.outcomes.clear();
                Some((
                    State::Closed,
                    format!("{} half-open probes succeeded", self.probes_succeeded),
                ))
            }
            State::Closed => {
                self.outcomes.record(now, failed);
                self.consecutive = if failed { self.consecutive + 1 } else { 0 };
                if self.consecutive >= self.config.consecutive_failures {
                    let why = format!("{} failures in a row", self.consecutive);
                    self.open();
                    return Some((State::Open, why));
                }
                let (calls, failures) = (self.outcomes.total_calls, self.outcomes.total_failures);
                let rate_tripped = self.config.failure_rate.is_some_and(|rate| {
                    calls >= self.config.min_calls && f64::from(failures) >= rate * f64::from(calls)
                });
                if failed && rate_tripped {
                    let why = format!(
                        "{failures} of {calls} attempts failed over {}",
                        self.config.window
                    );
                    self.open();
                    return Some((State::Open, why));
                }
                None
            }
        }
    }

    fn open(&mut self) {
        self.state = State::Open;
        self.counts.window.opens += 1;
        self.consecutive = 0;
        self.outcomes.clear();
    }

    /// Its open time is over: half-open, with no probe sent yet.
    pub fn half_open(&mut self) {
        debug_assert_eq!(self.state, State::Open, "only an open breaker half-opens");
        self.state = State::HalfOpen;
        self.probes_sent = 0;
        self.probes_succeeded = 0;
    }
}

/// Every breaker of a model.
#[derive(Debug, Default)]
pub struct Breakers {
    pub breakers: IdVec<BreakerId, Breaker>,
}

impl Breakers {
    /// The window's rows per breaker.
    pub fn close_window(&mut self, keep: bool, time_s: f64, series: &mut Timeseries) {
        for breaker in self.breakers.iter_mut() {
            let scope = series.scope(&breaker.scope);
            series.push(time_s, scope, metric::BREAKER_STATE, breaker.state.gauge());
            let window = breaker.counts.close(keep);
            series.push(time_s, scope, metric::BREAKER_OPENS, window.opens as f64);
            series.push(time_s, scope, metric::BREAKER_REJECTED, window.rejected as f64);
        }
    }

    /// The summary rows over the kept windows.
    pub fn summary(&self, summary: &mut Summary) {
        for breaker in self.breakers.iter() {
            let total = breaker.counts.total;
            summary.push(&breaker.scope, metric::BREAKER_OPENS, total.opens as f64);
            summary.push(&breaker.scope, metric::BREAKER_REJECTED, total.rejected as f64);
        }
    }
}

impl Model {
    /// Whether an attempt of guarded call step `policy` from frame `key`
    /// may go: a place in its bulkhead, then its breaker's leave. If not,
    /// the frame gets the failure at once (no retry: failing fast is the
    /// point).
    #[inline(never)]
    pub(super) fn admit_attempt(&mut self, key: SlabKey, policy_id: PolicyId) -> bool {
        let policy = &self.call_policies.policies[policy_id];
        let (breaker, bulkhead) = (policy.breaker, policy.bulkhead);
        let instance = self.frames.get(key).expect("frame in flight").instance;
        if let Some(bulkhead) = bulkhead
            && !self.call_policies.bulkheads.bulkheads[bulkhead].enter(instance)
        {
            self.step_failed(key, policy_id, Some(Cause::BulkheadFull), MISS);
            return false;
        }
        if let Some(breaker) = breaker
            && !self.breaker_permits(breaker)
        {
            if let Some(bulkhead) = bulkhead {
                self.call_policies.bulkheads.bulkheads[bulkhead].leave(instance);
            }
            self.step_failed(key, policy_id, Some(Cause::BreakerOpen), MISS);
            return false;
        }
        true
    }

    /// The current attempt of frame `key`'s guarded call step `policy`
    /// ended with `failure`: its bulkhead place is freed, its breaker told.
    #[inline(never)]
    pub(super) fn attempt_left(
        &mut self,
        key: SlabKey,
        policy: PolicyId,
        failure: Option<Cause>,
        queue: &mut EventQueue<Event>,
    ) {
        let policy = &self.call_policies.policies[policy];
        let (breaker, bulkhead) = (policy.breaker, policy.bulkhead);
        if let Some(bulkhead) = bulkhead {
            let instance = self.frames.get(key).expect("frame in flight").instance;
            self.call_policies.bulkheads.bulkheads[bulkhead].leave(instance);
        }
        if let Some(breaker) = breaker {
            self.breaker_record(breaker, failure, queue);
        }
    }

    /// Whether breaker `id` lets an attempt go now.
    #[inline(never)]
    pub(super) fn breaker_permits(&mut self, id: BreakerId) -> bool {
        self.call_policies.breakers.breakers[id].permit()
    }

    /// An attempt through breaker `id` ended with `failure`: logs and times
    /// the move it makes, if any.
    #[inline(never)]
    pub(super) fn breaker_record(
        &mut self,
        id: BreakerId,
        failure: Option<Cause>,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        let breaker = &mut self.call_policies.breakers.breakers[id];
        let Some((state, why)) = breaker.record(failure.is_some(), now) else {
            return;
        };
        if state == State::Open {
            queue.schedule_in(breaker.config.open, Event::BreakerHalfOpen { breaker: id });
        }
        let scope = breaker.scope.clone();
        self.log(now, state.event_kind(), &scope, why);
    }

    /// Breaker `id`'s open time is over.
    #[inline(never)]
    pub(super) fn breaker_half_open(&mut self, id: BreakerId, queue: &mut EventQueue<Event>) {
        let breaker = &mut self.call_policies.breakers.breakers[id];
        breaker.half_open();
        let (scope, why) = (
            breaker.scope.clone(),
            format!(
                "after {} open; {} probes",
                breaker.config.open, breaker.config.half_open_probes
            ),
        );
        self.log(queue.now(), State::HalfOpen.event_kind(), &scope, why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    fn config(consecutive: u32, rate: Option<f64>) -> CircuitBreaker {
        CircuitBreaker {
            consecutive_failures: consecutive,
            failure_rate: rate,
            window: SimDuration::from_secs(10),
            min_calls: 10,
            open: SimDuration::from_secs(30),
            half_open_probes: 2,
        }
    }

    fn at(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    #[test]
    fn opens_after_its_consecutive_failures_and_a_success_resets_the_run() {
        let mut breaker = Breaker::new(config(3, None), "call:a->b".to_owned());
        assert_eq!(breaker.record(true, at(1)), None);
        assert_eq!(breaker.record(true, at(2)), None);
        assert_eq!(breaker.record(false, at(3)), None);
        assert_eq!(breaker.record(true, at(4)), None);
        assert_eq!(breaker.record(true, at(5)), None);
        let (state, _) = breaker.record(true, at(6)).expect("the third in a row opens it");
        assert_eq!(state, State::Open);
        assert!(!breaker.permit());
        assert_eq!(breaker.counts.window.rejected, 1);
        assert_eq!(breaker.counts.window.opens, 1);
    }

    #[test]
    fn opens_on_its_failure_rate_only_with_min_calls_in_the_window() {
        let mut breaker = Breaker::new(config(1000, Some(0.5)), "call:a->b".to_owned());
        // 9 attempts, 5 failed: under min_calls.
        for i in 0..9 {
            assert_eq!(breaker.record(i % 2 == 0, at(i * 10)), None);
        }
        // The 10th fails: 6 of 10.
        let (state, why) = breaker.record(true, at(100)).expect("6 of 10 ≥ 50 %");
        assert_eq!(state, State::Open);
        assert!(why.starts_with("6 of 10"), "{why}");
    }

    #[test]
    fn old_outcomes_leave_the_window() {
        let mut breaker = Breaker::new(config(1000, Some(0.5)), "call:a->b".to_owned());
        for i in 0..9 {
            breaker.record(true, at(i));
        }
        // 11 s later those nine are gone: one failure of one call is under min_calls.
        assert_eq!(breaker.record(true, at(11_000)), None);
    }

    #[test]
    fn half_open_lets_its_probes_through_and_closes_when_they_all_succeed() {
        let mut breaker = Breaker::new(config(1, None), "call:a->b".to_owned());
        breaker.record(true, at(0));
        breaker.half_open();
        assert!(breaker.permit());
        assert!(breaker.permit());
        assert!(!breaker.permit(), "only two probes");
        assert_eq!(breaker.record(false, at(1)), None);
        let (state, _) = breaker.record(false, at(2)).expect("both probes succeeded");
        assert_eq!(state, State::Closed);
        assert!(breaker.permit());
    }

    #[test]
    fn a_failed_probe_opens_it_again() {
        let mut breaker = Breaker::new(config(1, None), "call:a->b".to_owned());
        breaker.record(true, at(0));
        breaker.half_open();
        assert!(breaker.permit());
        let (state, _) = breaker.record(true, at(1)).expect("a probe failed");
        assert_eq!(state, State::Open);
        assert_eq!(breaker.counts.window.opens, 2);
        // While open, late outcomes change nothing.
        assert_eq!(breaker.record(false, at(2)), None);
        assert_eq!(breaker.state, State::Open);
    }
}
