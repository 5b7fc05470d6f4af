//! Load shedding at a pool: a token bucket per endpoint (`rate_limit`), and
//! priorities (`priority` on endpoints, `shed_queue` on the pool) that shed
//! the least important calls first as an instance's queue grows.
//!
//! Both act when a call reaches an instance, before it asks for a worker,
//! as a server's admission filter does (Envoy's local rate limit filter,
//! a gateway's per-route limits). A refused call fails with its own cause,
//! `shed` (`errors_shed`), and is counted at the pool (`shed_calls`,
//! `rate_limited_calls`).
//!
//! The bucket is shared by the pool's instances (a limit on the endpoint,
//! not per instance). It holds at most `burst` tokens, gains `rate` per
//! second, and a call takes one or is refused. With `shed_queue = Q` and
//! the pool's endpoints at priorities 0..=P (higher is more important), a
//! call of priority p is shed when its instance already has
//! ⌈Q·(p + 1)/(P + 1)⌉ calls waiting for a worker: the lowest priority at
//! the smallest queue, the highest only at Q.

use super::frame::Cause;
use super::{Event, Model};
use crate::engine::id::IdVec;
use crate::engine::{EventQueue, SimTime, SlabKey};
use crate::metrics::catalog as metric;
use crate::metrics::{Summary, Timeseries};
use crate::scenario::ids::EndpointId;
use crate::scenario::{Pool, RateLimit};

/// A token bucket.
#[derive(Clone, Copy, Debug)]
pub struct TokenBucket {
    tokens: f64,
    burst: f64,
    per_ns: f64,
    last: SimTime,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: &RateLimit) -> Self {
        TokenBucket {
            tokens: limit.burst as f64,
            burst: limit.burst as f64,
            per_ns: limit.rate / 1e9,
            last: SimTime::ZERO,
        }
    }

    /// Takes a token at `now` if there is one.
    pub fn take(&mut self, now: SimTime) -> bool {
        let elapsed = now.since(self.last).as_nanos() as f64;
        self.tokens = (self.tokens + elapsed * self.per_ns).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One endpoint's admission rules at its pool, known by its program's start.
#[derive(Clone, Copy, Debug)]
pub struct EndpointRule {
    pub program: u32,
    /// Shed when this many calls wait (`u32::MAX`: never).
    pub shed_at: u32,
    pub bucket: Option<TokenBucket>,
}

/// A pool's shedding: its endpoints' rules and counters.
#[derive(Debug, Default)]
pub struct Shedding {
    pub rules: Vec<EndpointRule>,
    pub shed_window: u64,
    pub limited_window: u64,
    pub shed_total: u64,
    pub limited_total: u64,
}

/// What admission decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Admit,
    Shed,
    Limited,
}

impl Shedding {
    /// The threshold of priority `priority` among levels `0..=top`.
    pub fn threshold(shed_queue: Option<u32>, priority: u32, top: u32) -> u32 {
        match shed_queue {
            None => u32::MAX,
            Some(queue) => {
                let share = queue as u64 * (priority as u64 + 1);
                share.div_ceil(top as u64 + 1) as u32
            }
        }
    }

    /// Whether a call to the endpoint starting at `program` is admitted
    /// at an instance with `waiting` calls queued, at `now`.
    pub fn judge(&mut self, program: u32, waiting: usize, now: SimTime) -> Verdict {
        let Some(rule) = self.rules.iter_mut().find(|rule| rule.program == program) else {
            return Verdict::Admit;
        };
        if waiting as u64 >= rule.shed_at as u64 {
            self.shed_window += 1;
            return Verdict::Shed;
        }
        if let Some(bucket) = &mut rule.bucket
            && !bucket.take(now)
        {
            self.limited_window += 1;
            return Verdict::Limited;
        }
        Verdict::Admit
    }

    pub fn close_window(&mut self, keep: bool, time_s: f64, name: &str, series: &mut Timeseries) {
        let scope = series.scope(name);
        series.push(time_s, scope, metric::SHED_CALLS, self.shed_window as f64);
        series.push(
            time_s,
            scope,
            metric::RATE_LIMITED_CALLS,
            self.limited_window as f64,
        );
        if keep {
            self.shed_total += self.shed_window;
            self.limited_total += self.limited_window;
        }
        self.shed_window = 0;
        self.limited_window = 0;
    }

    pub fn summary(&self, name: &str, summary: &mut Summary) {
        summary.push(name, metric::SHED_CALLS, self.shed_total as f64);
        summary.push(name, metric::RATE_LIMITED_CALLS, self.limited_total as f64);
    }
}

/// The shedding of `pool` whose endpoints' programs start at `starts`, or
/// `None` when it neither limits nor sheds.
pub fn for_pool(pool: &Pool, starts: &IdVec<EndpointId, u32>) -> Option<Box<Shedding>> {
    let limits = pool
        .endpoints
        .iter()
        .any(|endpoint| endpoint.rate_limit.is_some());
    if pool.shed_queue.is_none() && !limits {
        return None;
    }
    let top = pool
        .endpoints
        .iter()
        .map(|endpoint| endpoint.priority)
        .max()
        .unwrap_or(0);
    let rules = pool
        .endpoints
        .iter_enumerated()
        .map(|(id, endpoint)| EndpointRule {
            program: starts[id],
            shed_at: Shedding::threshold(pool.shed_queue, endpoint.priority, top),
            bucket: endpoint.rate_limit.as_ref().map(TokenBucket::new),
        })
        .collect();
    Some(Box::new(Shedding {
        rules,
        ..Shedding::default()
    }))
}

impl Model {
    /// Admission's filter at a pool with shedding: true if frame `key`
    /// was refused (it has failed with `shed` and gone back).
    #[inline(never)]
    pub(super) fn shed(&mut self, key: SlabKey, queue: &mut EventQueue<Event>) -> bool {
        let now = queue.now();
        let frame = self.frames.get(key).expect("frame in flight");
        let instance = &self.instances[frame.instance];
        let waiting = instance.waiting.len();
        let Some(shedding) = self.stations[instance.station].shedding.as_deref_mut() else {
            return false;
        };
        if shedding.judge(frame.pc, waiting, now) == Verdict::Admit {
            return false;
        }
        self.frames.get_mut(key).expect("frame in flight").failure = Some(Cause::Shed);
        self.finish(key, queue);
        true
    }

    /// Windows of the pools that shed.
    pub(super) fn close_shedding_window(&mut self, keep: bool, time_s: f64, series: &mut Timeseries) {
        for station in self.stations.iter_mut() {
            if let Some(shedding) = station.shedding.as_deref_mut() {
                shedding.close_window(keep, time_s, &station.name, series);
            }
        }
    }

    pub(super) fn summary_shedding(&self, summary: &mut Summary) {
        for station in self.stations.iter() {
            if let Some(shedding) = station.shedding.as_deref() {
                shedding.summary(&station.name, summary);
            }
        }
    }

    /// Whether any pool sheds (then `errors_shed` is reported).
    pub(super) fn sheds(&self) -> bool {
        self.stations.iter().any(|station| station.shedding.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let mut bucket = TokenBucket::new(&RateLimit { rate: 10.0, burst: 3 });
        let start = SimTime::ZERO;
        assert!((0..3).all(|_| bucket.take(start)));
        assert!(!bucket.take(start));
        let later = start + SimDuration::from_millis(100);
        assert!(bucket.take(later), "one token back after 100 ms at 10/s");
        assert!(!bucket.take(later));
    }

    #[test]
    fn lower_priorities_shed_at_shorter_queues() {
        assert_eq!(Shedding::threshold(Some(40), 0, 1), 20);
        assert_eq!(Shedding::threshold(Some(40), 1, 1), 40);
        assert_eq!(Shedding::threshold(Some(10), 0, 2), 4);
        assert_eq!(Shedding::threshold(None, 0, 0), u32::MAX);
    }
}
