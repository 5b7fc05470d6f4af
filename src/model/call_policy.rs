//! Timeouts and retries on `call` steps (a step's `timeout` and `retry`),
//! with an optional retry budget, and their metrics per calling pool.
//!
//! A guarded call is one attempt at a time. Each attempt is known by the
//! caller frame's `call_token`, which its child frame carries back in its
//! `guard` (with the step) and its timeout carries too; the token moves on when the
//! attempt ends (its reply arrived or its timeout fired), so a late reply
//! or a stale timeout finds another token and does nothing: cancellation is
//! lazy, as for the client's timeouts. An abandoned callee keeps working;
//! when it finishes, its work is counted as wasted. A guarded reply keeps
//! its child frame (holding nothing) for its trip back
//! (`Event::GuardedReply`), so the token is checked when it arrives.
//!
//! Timeouts of one call step all have the same delay: they go on one FIFO
//! lane per distinct timeout, so the event loop stays allocation-free.

use super::breaker::{BreakerId, Breakers};
use super::budget::Budget;
use super::bulkhead::{BulkheadId, Bulkheads};
use super::frame::{Cause, MISS, NO_PARENT};
use super::hedge::{Hedges, Hedging};
use super::program::{CallId, Op};
use super::workload::backoff;
use super::{Event, Model};
use crate::engine::id::IdVec;
use crate::engine::{EventQueue, Lane, SimDuration, SimTime, SlabKey, StreamId};
use crate::metrics::catalog as metric;
use crate::metrics::{Summary, Tally, Timeseries};
use crate::scenario::Retry;
use crate::typed_id;

typed_id!(
    /// A `call` step with a `timeout` or a `retry`.
    PolicyId,
    /// A pool whose endpoints make guarded calls (its metrics' scope).
    CallerId
);

/// Sentinel: a call without a timeout or retries.
pub const NO_POLICY: PolicyId = PolicyId(u32::MAX);

/// Sentinel: the caller of a cache's background read, which no pool makes
/// (its policy is `background`, so nothing counts in a caller's rows).
pub const NO_CALLER: CallerId = CallerId(u32::MAX);

/// What a guarded call's child frame carries back: its step and the
/// caller's attempt token.
///
/// Packed (9 bytes, not 12): in a `Frame` the hedge flag would otherwise
/// bring 3 bytes of padding that grow every frame from 112 to 120 bytes,
/// copied at each call's start and end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Guard {
    pub policy: PolicyId,
    pub token: u32,
    /// An extra attempt of a hedged step (`hedge.rs`).
    pub hedge: bool,
}

/// Sentinel for a call its caller does not guard.
pub const UNGUARDED: Guard = Guard {
    policy: NO_POLICY,
    token: u32::MAX,
    hedge: false,
};

impl Guard {
    /// Whether a caller guards the call (it is not `UNGUARDED`). Only the
    /// policy is compared: every guard a step makes names its policy, and
    /// one compare costs less on the hot path than the whole struct's.
    #[inline(always)]
    pub fn is_guarded(self) -> bool {
        // Copied out: a packed struct's field cannot be borrowed.
        let policy = self.policy;
        policy != NO_POLICY
    }
}

/// The token after `token` (never `UNGUARDED`).
fn next_token(token: u32) -> u32 {
    if token >= u32::MAX - 1 { 0 } else { token + 1 }
}

/// One guarded call step, compiled.
#[derive(Debug)]
pub struct CallPolicy {
    /// Whether the step has a `fallback`: its ops follow the call's, after
    /// a jump over them.
    pub fallback: bool,
    pub timeout: Option<SimDuration>,
    /// The lane of its timeouts (shared by the steps with the same timeout).
    pub lane: Option<Lane>,
    pub retry: Option<Retry>,
    pub budget: Option<Budget>,
    pub hedge: Option<Hedging>,
    /// Draws the backoff's jitter.
    pub stream: StreamId,
    pub caller: CallerId,
    /// Its circuit breaker and bulkhead (`breaker.rs`, `bulkhead.rs`).
    pub breaker: Option<BreakerId>,
    pub bulkhead: Option<BulkheadId>,
    /// A cache's background read (a refresh or a warm-up read, `stale.rs`,
    /// `warm_restart.rs`): a timeout only, counted by its cache (its
    /// `caller` is `NO_CALLER`: no pool made the call).
    pub background: bool,
}

/// What the guarded calls of one pool did.
#[derive(Clone, Copy, Debug, Default)]
pub struct CallCounters {
    pub timeouts: u64,
    pub retries: u64,
    pub refused: u64,
    pub wasted: u64,
    pub wasted_ns: u128,
    pub fallbacks: u64,
}

impl std::ops::AddAssign for CallCounters {
    fn add_assign(&mut self, other: CallCounters) {
        self.timeouts += other.timeouts;
        self.retries += other.retries;
        self.refused += other.refused;
        self.wasted += other.wasted;
        self.wasted_ns += other.wasted_ns;
        self.fallbacks += other.fallbacks;
    }
}

/// A pool making guarded calls: its name and counters.
#[derive(Debug)]
pub struct Caller {
    pub name: String,
    /// Whether a step of the pool has a `fallback` (only then its row).
    pub falls_back: bool,
    pub counts: Tally<CallCounters>,
}

/// The guarded call steps of a model.
#[derive(Debug, Default)]
pub struct CallPolicies {
    pub policies: IdVec<PolicyId, CallPolicy>,
    pub callers: IdVec<CallerId, Caller>,
    /// The workload's retry budget, if any, and the client retries it refused.
    pub client_budget: Option<Budget>,
    pub client_refused: Tally<u64>,
    /// What the hedged steps did, per calling pool.
    pub hedges: Hedges,
    pub breakers: Breakers,
    pub bulkheads: Bulkheads,
}

impl CallPolicies {
    /// The caller id of pool `name`, added on first use.
    pub fn caller(&mut self, name: &str) -> CallerId {
        let found = self
            .callers
            .iter_enumerated()
            .find(|(_, caller)| caller.name == name)
            .map(|(id, _)| id);
        match found {
            Some(id) => id,
            None => self.callers.push(Caller {
                name: name.to_owned(),
                falls_back: false,
                counts: Tally::default(),
            }),
        }
    }

    /// Whether a step of the scenario has a `fallback` (only then the
    /// overall `fallback_calls` and the `degraded_requests` rows).
    pub fn any_fallback(&self) -> bool {
        self.callers.iter().any(|caller| caller.falls_back)
    }

    /// One lane per distinct timeout, shared by the steps that have it.
    pub fn add_lanes(&mut self, queue: &mut EventQueue<Event>) {
        let mut lanes: Vec<(SimDuration, Lane)> = Vec::new();
        for policy in self.policies.iter_mut() {
            let Some(timeout) = policy.timeout else {
                continue;
            };
            let lane = match lanes.iter().find(|(delay, _)| *delay == timeout) {
                Some(&(_, lane)) => lane,
                None => {
                    let lane = queue.add_lane();
                    lanes.push((timeout, lane));
                    lane
                }
            };
            policy.lane = Some(lane);
        }
    }

    /// The window's rows per calling pool (and the client's refused retries).
    pub fn close_window(&mut self, keep: bool, time_s: f64, series: &mut Timeseries) {
        if self.client_budget.is_some() {
            let scope = series.scope("overall");
            let refused = self.client_refused.close(keep);
            series.push(time_s, scope, metric::RETRIES_REFUSED, refused as f64);
        }
        if self.any_fallback() {
            let scope = series.scope("overall");
            let fallbacks = self
                .callers
                .iter()
                .map(|caller| caller.counts.window.fallbacks)
                .sum::<u64>();
            series.push(time_s, scope, metric::FALLBACK_CALLS, fallbacks as f64);
        }
        for caller in self.callers.iter_mut() {
            let scope = series.scope(&caller.name);
            let window = caller.counts.close(keep);
            for (metric, value) in rows(&window) {
                series.push(time_s, scope, metric, value);
            }
            if caller.falls_back {
                series.push(time_s, scope, metric::FALLBACK_CALLS, window.fallbacks as f64);
            }
        }
        let callers = &self.callers;
        self.hedges
            .close_window(keep, time_s, |id| callers[id].name.clone(), series);
        self.breakers.close_window(keep, time_s, series);
        self.bulkheads.close_window(keep, time_s, series);
    }

    /// The summary rows over the kept windows.
    pub fn summary(&self, summary: &mut Summary) {
        if self.client_budget.is_some() {
            summary.push(
                "overall",
                metric::RETRIES_REFUSED,
                self.client_refused.total as f64,
            );
        }
        if self.any_fallback() {
            let fallbacks = self
                .callers
                .iter()
                .map(|caller| caller.counts.total.fallbacks)
                .sum::<u64>();
            summary.push("overall", metric::FALLBACK_CALLS, fallbacks as f64);
        }
        for caller in self.callers.iter() {
            for (metric, value) in rows(&caller.counts.total) {
                summary.push(&caller.name, metric, value);
            }
            if caller.falls_back {
                summary.push(
                    &caller.name,
                    metric::FALLBACK_CALLS,
                    caller.counts.total.fallbacks as f64,
                );
            }
        }
        self.hedges.summary(|id| self.callers[id].name.clone(), summary);
        self.breakers.summary(summary);
        self.bulkheads.summary(summary);
    }
}

fn rows(counters: &CallCounters) -> [(metric::Metric, f64); 5] {
    [
        (metric::CALL_TIMEOUTS, counters.timeouts as f64),
        (metric::CALL_RETRIES, counters.retries as f64),
        (metric::CALL_RETRIES_REFUSED, counters.refused as f64),
        (metric::WASTED_CALLS, counters.wasted as f64),
        (metric::WASTED_WORK_S, counters.wasted_ns as f64 / 1e9),
    ]
}

impl Model {
    /// A request's first attempt: a deposit in the workload's budget.
    #[inline]
    pub(super) fn client_budget_deposit(&mut self, now: SimTime) {
        if let Some(budget) = &mut self.call_policies.client_budget {
            budget.deposit(now);
        }
    }

    /// Whether the workload's budget lets the client retry (counting a refusal).
    pub(super) fn client_may_retry(&mut self, now: SimTime) -> bool {
        match &mut self.call_policies.client_budget {
            None => true,
            Some(budget) => {
                let allowed = budget.try_withdraw(now);
                if !allowed {
                    self.call_policies.client_refused.window += 1;
                }
                allowed
            }
        }
    }

    /// Sends an attempt of guarded call `call` from frame `key` (which
    /// waits for it: `pending` is 1), arming its timeout; `first` for the
    /// step's first attempt, a deposit in its budget.
    #[inline(never)]
    pub(super) fn guarded_call(
        &mut self,
        key: SlabKey,
        call: CallId,
        first: bool,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        let frame = self.frames.get_mut(key).expect("frame in flight");
        if first {
            frame.call_retries = 0;
        }
        let (request, attempt, carry, token) = (frame.request, frame.attempt, frame.carry, frame.call_token);
        let policy = &mut self.call_policies.policies[self.calls[call].policy];
        if first && let Some(budget) = &mut policy.budget {
            budget.deposit(now);
        }
        if (policy.breaker.is_some() || policy.bulkhead.is_some())
            && !self.admit_attempt(key, self.calls[call].policy)
        {
            return;
        }
        let policy = &self.call_policies.policies[self.calls[call].policy];
        if let (Some(timeout), Some(lane)) = (policy.timeout, policy.lane) {
            queue.schedule_in_lane(lane, timeout, Event::CallTimeout { frame: key, token });
        }
        if let Some(hedging) = policy.hedge {
            Self::arm_hedges(key, hedging, token, queue);
        }
        let guard = Guard {
            policy: self.calls[call].policy,
            token,
            hedge: false,
        };
        self.start_call_as(
            key,
            request,
            attempt,
            call,
            carry,
            self.network_internal,
            guard,
            queue,
        );
    }

    /// Whether frame `parent` still waits for the attempt known by `token`.
    fn awaits(&self, parent: SlabKey, token: u32) -> bool {
        self.frames
            .get(parent)
            .is_some_and(|frame| frame.call_token == token && frame.pending > 0)
    }

    /// Counts the work of an abandoned call of step `policy` (admitted at
    /// its callee at `arrived`, done at `left`) as wasted.
    pub(super) fn count_wasted(&mut self, policy: PolicyId, arrived: Option<SimTime>, left: SimTime) {
        let policy = &self.call_policies.policies[policy];
        if policy.background {
            return;
        }
        let caller = policy.caller;
        let counters = &mut self.call_policies.callers[caller].counts.window;
        if let Some(arrived) = arrived {
            counters.wasted += 1;
            counters.wasted_ns += left.since(arrived).as_nanos() as u128;
        }
    }

    /// Guarded call `key` is done at its callee (`reply`, which has freed
    /// what it held): its reply travels back over `hop`, unless its caller
    /// has already given up (then its work was wasted).
    #[inline(never)]
    pub(super) fn guarded_reply(&mut self, key: SlabKey, hop: SimDuration, queue: &mut EventQueue<Event>) {
        let now = queue.now();
        let frame = self.frames.get(key).expect("frame in flight");
        let (parent, guard) = (frame.parent, frame.guard);
        let arrived = frame.admitted.then_some(frame.arrived);
        if !self.awaits(parent, guard.token) {
            self.frames.remove(key);
            self.count_wasted(guard.policy, arrived, now);
            return;
        }
        if hop == SimDuration::ZERO {
            self.guarded_reply_arrived(key, queue);
        } else {
            // It left the callee now (for the wasted work if it comes late).
            self.frames.get_mut(key).expect("frame in flight").queued_since = now;
            queue.schedule_in(hop, Event::GuardedReply { frame: key });
        }
    }

    /// A guarded call's reply reached its caller.
    pub(super) fn guarded_reply_arrived(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let frame = self.frames.remove(key).expect("a guarded reply keeps its frame");
        if !self.awaits(frame.parent, frame.guard.token) {
            let arrived = frame.admitted.then_some(frame.arrived);
            self.count_wasted(frame.guard.policy, arrived, frame.queued_since.max(frame.arrived));
            return;
        }
        self.hedge_won(frame.guard);
        if frame.degraded && frame.failure.is_none() {
            self.pass_degraded(frame.parent);
        }
        self.guarded_attempt_ended(frame.parent, frame.failure, frame.carry.value, queue);
    }

    /// A guarded call failed before reaching anything (`start_call`).
    pub(super) fn guarded_call_failed(
        &mut self,
        parent: SlabKey,
        guard: Guard,
        cause: Cause,
        queue: &mut EventQueue<Event>,
    ) {
        if parent != NO_PARENT && self.awaits(parent, guard.token) {
            self.guarded_attempt_ended(parent, Some(cause), MISS, queue);
        }
    }

    /// The caller's patience for an attempt ran out.
    #[inline(never)]
    pub(super) fn call_timeout(&mut self, key: SlabKey, token: u32, queue: &mut EventQueue<Event>) {
        if !self.awaits(key, token) {
            return;
        }
        if let Some(policy) = self.policy_of(key) {
            let policy = &self.call_policies.policies[policy];
            if policy.background {
                self.background_read_timed_out(key);
            } else {
                self.call_policies.callers[policy.caller].counts.window.timeouts += 1;
            }
        }
        self.guarded_attempt_ended(key, Some(Cause::Timeout), MISS, queue);
    }

    /// The guarded call frame `key` waits on, from its program counter.
    fn policy_of(&self, key: SlabKey) -> Option<PolicyId> {
        let frame = self.frames.get(key)?;
        match self.programs.op(frame.pc) {
            Op::Call(call) if self.calls[call].policy != NO_POLICY => Some(self.calls[call].policy),
            _ => None,
        }
    }

    /// The current attempt of frame `key`'s guarded call ended: retry after
    /// a backoff if it failed and retries (and the budget) allow, or hand
    /// the outcome to the frame.
    fn guarded_attempt_ended(
        &mut self,
        key: SlabKey,
        failure: Option<Cause>,
        value: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let now = queue.now();
        let frame = self.frames.get_mut(key).expect("caller checked");
        frame.call_token = next_token(frame.call_token);
        let used = frame.call_retries;
        let policy_id = self.policy_of(key);
        if let Some(policy_id) = policy_id {
            let policy = &self.call_policies.policies[policy_id];
            if policy.breaker.is_some() || policy.bulkhead.is_some() {
                self.attempt_left(key, policy_id, failure, queue);
            }
        }
        if failure.is_some()
            && let Some(policy_id) = policy_id
        {
            let policy = &mut self.call_policies.policies[policy_id];
            let caller = policy.caller;
            if let Some(retry) = &policy.retry
                && used < retry.retries
            {
                let allowed = policy
                    .budget
                    .as_mut()
                    .is_none_or(|budget| budget.try_withdraw(now));
                let counters = &mut self.call_policies.callers[caller].counts.window;
                if allowed {
                    counters.retries += 1;
                    let wait = backoff(retry, used + 1, self.streams.get(policy.stream));
                    self.frames.get_mut(key).expect("caller checked").call_retries = used + 1;
                    queue.schedule_in(wait, Event::CallRetry { frame: key });
                    return;
                }
                counters.refused += 1;
            }
        }
        match (failure, policy_id) {
            (Some(_), Some(policy_id)) => self.step_failed(key, policy_id, failure, value),
            _ => self.deliver_reply(key, failure, value),
        }
    }

    /// Guarded step `policy` of frame `key` failed for good (`failure`): with
    /// a `fallback` the frame goes on to it (the op after the jump that
    /// follows the call) and the step succeeds, else the failure stands.
    pub(super) fn step_failed(&mut self, key: SlabKey, policy: PolicyId, failure: Option<Cause>, value: u32) {
        let policy = &self.call_policies.policies[policy];
        if !policy.fallback {
            self.deliver_reply(key, failure, value);
            return;
        }
        self.call_policies.callers[policy.caller].counts.window.fallbacks += 1;
        let frame = self.frames.get_mut(key).expect("caller checked");
        frame.degraded = true;
        // `deliver_reply` moves on by one: past the call, and past the jump.
        frame.pc += 1;
        self.deliver_reply(key, None, MISS);
    }

    /// A guarded call's backoff is over: call again (a frame whose instance
    /// died meanwhile is abandoned instead).
    #[inline(never)]
    pub(super) fn call_retry(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) {
        let Some(frame) = self.frames.get(key) else {
            return;
        };
        if self.is_dead(frame) {
            self.abandon(key, queue);
            return;
        }
        let Op::Call(call) = self.programs.op(frame.pc) else {
            unreachable!("a retry waits at its call");
        };
        self.guarded_call(key, call, false, queue);
    }
}
