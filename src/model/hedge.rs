//! Hedged requests on a `call` step (`hedge = { after, max, loser }`), as
//! in Dean and Barroso, "The Tail at Scale" (2013): when an attempt has no
//! reply `after` its start, another is sent; the first reply wins.
//!
//! A hedged step is a guarded call (`call_policy.rs`): every attempt it
//! sends carries the caller's current attempt token, so the first reply to
//! arrive ends the attempt (the token moves on) and the others come back to
//! a stale token: their work is counted as wasted, as for an abandoned
//! call. The extra attempts are marked (`Guard::hedge`) so a win by one of
//! them is counted. With `loser = "cancel"` a losing attempt stops at its
//! next step at the callee (one still queued never starts); with
//! `"waste"` it runs to its end.
//!
//! `after = "pNN"` is fixed at load, so runs stay deterministic: that
//! percentile of the callee endpoint's `service` distribution (its closed
//! form; for gamma the Wilson–Hilferty approximation), divided by the
//! callee pool's size speed. It is the callee's own service time, not the
//! call's whole latency (network, queueing), which a live system would
//! measure.

use super::call_policy::{CallerId, Guard};
use super::frame::{Cause, Frame};
use super::program::Op;
use super::{Event, Model};
use crate::engine::id::IdVec;
use crate::engine::{EventQueue, SimDuration, SlabKey};
use crate::metrics::catalog as metric;
use crate::metrics::{Summary, Tally, Timeseries};
use crate::scenario::dist::{Dist, standard_normal_cdf, standard_normal_quantile};
use crate::scenario::{HedgeAfter, Loser};

/// A hedged call step, compiled.
#[derive(Clone, Copy, Debug)]
pub struct Hedging {
    pub delay: SimDuration,
    pub max: u32,
    pub loser: Loser,
}

/// What one pool's hedged calls did.
#[derive(Clone, Copy, Debug, Default)]
pub struct HedgeCounters {
    pub sent: u64,
    pub won: u64,
    pub cancelled: u64,
}

impl std::ops::AddAssign for HedgeCounters {
    fn add_assign(&mut self, other: HedgeCounters) {
        self.sent += other.sent;
        self.won += other.won;
        self.cancelled += other.cancelled;
    }
}

/// Per calling pool, the counts of this window and of the kept ones.
#[derive(Debug, Default)]
pub struct Hedges {
    pub counts: IdVec<CallerId, Tally<HedgeCounters>>,
    /// The pools with hedged steps (only they get rows).
    pub hedging: IdVec<CallerId, bool>,
}

impl Hedges {
    /// Room for the counters of `callers` pools; `caller` hedges.
    pub fn add(&mut self, caller: CallerId) {
        while self.counts.len() <= caller.0 as usize {
            self.counts.push(Tally::default());
            self.hedging.push(false);
        }
        self.hedging[caller] = true;
    }

    pub fn close_window(
        &mut self,
        keep: bool,
        time_s: f64,
        names: impl Fn(CallerId) -> String,
        series: &mut Timeseries,
    ) {
        for caller in self.counts.ids() {
            if !self.hedging[caller] {
                continue;
            }
            let window = self.counts[caller].close(keep);
            let scope = series.scope(&names(caller));
            for (metric, value) in rows(&window) {
                series.push(time_s, scope, metric, value);
            }
        }
    }

    pub fn summary(&self, names: impl Fn(CallerId) -> String, summary: &mut Summary) {
        for (caller, counts) in self.counts.iter_enumerated() {
            if self.hedging[caller] {
                for (metric, value) in rows(&counts.total) {
                    summary.push(&names(caller), metric, value);
                }
            }
        }
    }
}

fn rows(counters: &HedgeCounters) -> [(metric::Metric, f64); 3] {
    [
        (metric::HEDGES_SENT, counters.sent as f64),
        (metric::HEDGES_WON, counters.won as f64),
        (metric::HEDGES_CANCELLED, counters.cancelled as f64),
    ]
}

/// The delay of `after` for a callee whose service is `service` on cores
/// of speed `speed`, in nanoseconds.
pub fn hedge_delay(after: HedgeAfter, service: &Dist, speed: f64) -> SimDuration {
    match after {
        HedgeAfter::Fixed(delay) => delay,
        HedgeAfter::Percentile(percentile) => {
            SimDuration::from_nanos_f64(quantile(service, percentile / 100.0) / speed)
        }
    }
}

/// The `p` quantile of `dist` (0 < p < 1).
pub fn quantile(dist: &Dist, p: f64) -> f64 {
    match dist {
        Dist::Const { value } => *value,
        Dist::Exp { mean } => -mean * (1.0 - p).ln(),
        Dist::Uniform { min, max } => min + p * (max - min),
        Dist::Normal { mean, sd } => {
            // Truncated at zero: the quantile of the part above it.
            let below = standard_normal_cdf(-mean / sd);
            (mean + sd * standard_normal_quantile(below + p * (1.0 - below))).max(0.0)
        }
        Dist::LogNormal { mean, spread } => {
            let (mu, sigma) = Dist::lognormal_parameters(*mean, spread);
            (mu + sigma * standard_normal_quantile(p)).exp()
        }
        Dist::Gamma { mean, cv } => {
            let shape = 1.0 / (cv * cv);
            let term = 1.0 / (9.0 * shape);
            mean * (1.0 - term + standard_normal_quantile(p) * term.sqrt())
                .max(0.0)
                .powi(3)
        }
        Dist::Pareto { min, alpha } => min * (1.0 - p).powf(-1.0 / alpha),
        Dist::Empirical { samples } => {
            let position = p * (samples.len() - 1) as f64;
            let below = position.floor() as usize;
            let above = (below + 1).min(samples.len() - 1);
            let fraction = position - below as f64;
            samples[below] + fraction * (samples[above] - samples[below])
        }
    }
}

impl Model {
    /// A hedged step's attempt went out: its hedges are due `k` × delay
    /// later, each sent only if no reply has come by then.
    pub(super) fn arm_hedges(key: SlabKey, hedging: Hedging, token: u32, queue: &mut EventQueue<Event>) {
        for k in 1..=hedging.max {
            queue.schedule_in(
                SimDuration::from_nanos(hedging.delay.as_nanos() * k as u64),
                Event::Hedge { frame: key, token },
            );
        }
    }

    /// A hedge is due: if frame `key` still waits for the attempt known by
    /// `token`, another attempt goes out.
    #[inline(never)]
    pub(super) fn send_hedge(&mut self, key: SlabKey, token: u32, queue: &mut EventQueue<Event>) {
        let Some(frame) = self.frames.get(key) else {
            return;
        };
        // A caller whose instance died sends nothing more.
        if frame.call_token != token || frame.pending == 0 || self.is_dead(frame) {
            return;
        }
        let Op::Call(call) = self.programs.op(frame.pc) else {
            return;
        };
        let (request, attempt, carry) = (frame.request, frame.attempt, frame.carry);
        let policy = self.calls[call].policy;
        let caller = self.call_policies.policies[policy].caller;
        self.call_policies.hedges.counts[caller].window.sent += 1;
        let guard = Guard {
            policy,
            token,
            hedge: true,
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

    /// A hedged call's winning reply came from an extra attempt.
    pub(super) fn hedge_won(&mut self, guard: Guard) {
        if guard.hedge {
            let caller = self.call_policies.policies[guard.policy].caller;
            self.call_policies.hedges.counts[caller].window.won += 1;
        }
    }

    /// Whether `frame` is the losing attempt of a hedged call whose loser
    /// is cancelled (its caller took another reply).
    #[inline]
    pub(super) fn is_cancelled_loser(&self, frame: &Frame) -> bool {
        if !frame.guard.is_guarded() || frame.holds_core {
            return false;
        }
        let policy = &self.call_policies.policies[frame.guard.policy];
        policy.hedge.is_some_and(|hedging| hedging.loser == Loser::Cancel)
            && !self
                .frames
                .get(frame.parent)
                .is_some_and(|parent| parent.call_token == frame.guard.token && parent.pending > 0)
    }

    /// Stops a cancelled loser: it frees what it holds and goes back (to
    /// a caller who no longer waits: its work so far is wasted).
    pub(super) fn cancel_loser(&mut self, key: SlabKey) {
        let frame = self.frames.get_mut(key).expect("frame in flight");
        frame.failure = Some(Cause::Timeout);
        let policy = frame.guard.policy;
        let caller = self.call_policies.policies[policy].caller;
        self.call_policies.hedges.counts[caller].window.cancelled += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::dist::LogNormalSpread;

    #[test]
    fn quantiles_match_closed_forms() {
        let exp = Dist::Exp { mean: 1.0 };
        assert!((quantile(&exp, 0.5) - 2f64.ln()).abs() < 1e-12);
        let lognormal = Dist::LogNormal {
            mean: 10.0,
            spread: LogNormalSpread::Cv(1.0),
        };
        let (mu, sigma) = Dist::lognormal_parameters(10.0, &LogNormalSpread::Cv(1.0));
        // z(0.95) = 1.6448536269514722. `standard_normal_quantile` (Acklam's
        // approximation) is within 1.15e-9 relative of z, so the quantile
        // exp(mu + sigma z) is within sigma · z · 1.15e-9 (about 1.6e-9 here).
        let expected = (mu + sigma * 1.644_853_626_951_472_2).exp();
        let bound = sigma * 1.644_853_626_951_472_2 * 1.15e-9;
        assert!((quantile(&lognormal, 0.95) / expected - 1.0).abs() < bound);
        let pareto = Dist::Pareto { min: 2.0, alpha: 2.0 };
        assert!((quantile(&pareto, 0.75) - 4.0).abs() < 1e-12);
        let empirical = Dist::Empirical {
            samples: vec![0.0, 10.0, 20.0],
        };
        assert!((quantile(&empirical, 0.25) - 5.0).abs() < 1e-12);
    }
}
