//! Load-balancing policies over a pool's instances. The balancer sees only
//! how many requests it has assigned to each instance and not yet seen
//! finish (its connection count), as a real one does.
//!
//! Sticky sessions: the balancer remembers which instance holds each user's
//! session and sends the user there while the session lives (used within
//! its TTL, on the same life of the instance, in rotation); otherwise the
//! policy picks and a new session starts there. Killing an instance loses
//! the live sessions it held; with the workload's `relogin` class their
//! users owe a login (`Model::must_login`), sent before their next request
//! (`client::new_request`).

use rand::RngExt;

use std::collections::VecDeque;

use super::frame::InstanceId;
use super::ids::MemberId;
use super::instance::{Instance, Life};
use super::keys::KeyTable;
use crate::engine::id::IdVec;
use crate::engine::{SimDuration, SimTime, SlabKey, Stream, StreamId};
use crate::metrics::{StationCounters, StationMetrics};
use crate::scenario::Policy;

/// A balancer's own capacity, when the scenario gives it one: `cores`
/// process requests one at a time each (for the balancer's `latency`),
/// first come first served, and at most `max_connections` requests pass
/// through at once (from arrival until their reply goes back).
#[derive(Debug)]
pub struct Capacity {
    /// `None`: unlimited; the latency is then a plain delay.
    pub cores: Option<u32>,
    pub busy_cores: u32,
    /// Requests waiting for a core.
    pub waiting: VecDeque<SlabKey>,
    /// `u32::MAX` when unlimited.
    pub max_connections: u32,
    pub connections: u32,
    /// As a station's: `busy` counts cores processing, `queued` requests
    /// waiting for one, `present` connections; the window counts arrivals,
    /// rejections (over `max_connections`), waits and (with `cores`)
    /// requests processed.
    pub metrics: StationMetrics,
    /// The windows kept after warm-up.
    pub total: StationCounters,
}

impl Capacity {
    pub fn new(cores: Option<u32>, max_connections: Option<u32>) -> Self {
        Capacity {
            cores,
            busy_cores: 0,
            waiting: VecDeque::new(),
            max_connections: max_connections.unwrap_or(u32::MAX),
            connections: 0,
            metrics: StationMetrics::default(),
            total: StationCounters::default(),
        }
    }
}

/// Where a user's session lives.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Binding {
    /// The instance, local to the balancer's pool; `NO_MEMBER`: none.
    local: MemberId,
    /// The instance's life (epoch) the session was made in.
    epoch: u32,
    last_used: SimTime,
}

/// Sentinel: no instance.
const NO_MEMBER: MemberId = MemberId(u32::MAX);

const UNBOUND: Binding = Binding {
    local: NO_MEMBER,
    epoch: 0,
    last_used: SimTime::ZERO,
};

/// `Balancer::takes_work` over the fields it reads, for closures that must
/// not borrow the whole balancer.
fn takes_work(
    in_rotation: &IdVec<MemberId, bool>,
    first_instance: InstanceId,
    instances: &IdVec<InstanceId, Instance>,
    local: MemberId,
) -> bool {
    in_rotation[local] && instances[local.instance(first_instance)].life == Life::Serving
}

/// Sticky sessions of one balancer.
#[derive(Debug)]
pub struct Sessions {
    ttl: SimDuration,
    /// Whether the sessions live only on the servers: false when the pool
    /// keeps them in a session store (stickiness is then only routing).
    held_by_servers: bool,
    bindings: KeyTable<Binding>,
    /// Sessions lost with their instance, in the open window and in the
    /// windows kept after warm-up.
    pub lost_window: u64,
    pub lost_total: u64,
}

impl Sessions {
    pub fn new(ttl: SimDuration, users: u32, held_by_servers: bool) -> Self {
        Sessions {
            ttl,
            held_by_servers,
            bindings: KeyTable::new(users, UNBOUND),
            lost_window: 0,
            lost_total: 0,
        }
    }

    fn live(&self, binding: Binding, now: SimTime) -> bool {
        binding.local != NO_MEMBER && now.since(binding.last_used) <= self.ttl
    }

    /// Counts (and forgets) the live sessions on instance `local` in its
    /// life `epoch`, which has just ended; `lost_user` hears each user who
    /// lost one.
    pub fn lose(&mut self, local: MemberId, epoch: u32, now: SimTime, lost_user: impl FnMut(u32)) -> u64 {
        if !self.held_by_servers {
            return 0;
        }
        let lost = self
            .bindings
            .count(|b| b.local == local && b.epoch == epoch && self.live(b, now));
        if lost > 0 {
            self.bindings.visit_matching(
                |b| b.local == local && b.epoch == epoch && self.live(b, now),
                lost_user,
            );
        }
        self.lost_window += lost;
        lost
    }
}

#[derive(Debug)]
pub struct Balancer {
    pub policy: Policy,
    /// The pool's instances, a contiguous range of the instance arena.
    pub first_instance: InstanceId,
    pub instance_count: u32,
    pub latency_site: super::program::SiteId,
    pub stream: StreamId,
    /// Round-robin position (also the tie-break start for least-connections),
    /// in `0..instance_count` (0 when there are none).
    pub next: u32,
    /// Requests forwarded in the open window, per instance.
    pub forwarded_window: IdVec<MemberId, u64>,
    /// Per instance: in rotation. Health checks take instances out and put
    /// them back; without checks every instance stays in.
    pub in_rotation: IdVec<MemberId, bool>,
    /// Per instance: consecutive failed and successful probes.
    pub probe_failures: IdVec<MemberId, u32>,
    pub probe_successes: IdVec<MemberId, u32>,
    pub sessions: Option<Sessions>,
    /// Its own capacity; `None` (the default) is unlimited.
    pub capacity: Option<Box<Capacity>>,
    /// US dollars per hour it runs (billed for the whole run, like a managed balancer).
    pub price_per_hour: f64,
    /// Outlier ejection (`ejection.rs`); `None` (the default) is off.
    pub ejection: Option<Box<super::ejection::Ejection>>,
}

impl Balancer {
    /// Whether the balancer's instance `local` takes new requests: in
    /// rotation (health checks) and serving (not booting, draining or
    /// stopped by an autoscaler).
    pub fn takes_work(&self, instances: &IdVec<InstanceId, Instance>, local: MemberId) -> bool {
        takes_work(&self.in_rotation, self.first_instance, instances, local)
    }

    /// `instance`'s position among the balancer's instances, if it is one.
    pub fn member(&self, instance: InstanceId) -> Option<MemberId> {
        let local = instance.0.wrapping_sub(self.first_instance.0);
        (local < self.instance_count).then_some(MemberId(local))
    }

    /// Picks an instance for `user`'s request: the one holding their live
    /// session, or one in rotation by the policy (starting a session there
    /// when sessions are sticky); `None` if no instance is in rotation.
    #[inline]
    pub fn pick_for(
        &mut self,
        instances: &IdVec<InstanceId, Instance>,
        rng: &mut Stream,
        user: u32,
        now: SimTime,
    ) -> Option<InstanceId> {
        if self.sessions.is_none() {
            return self.pick(instances, rng);
        }
        self.pick_sticky(instances, rng, user, now)
    }

    /// `pick_for` with sticky sessions.
    #[inline(never)]
    fn pick_sticky(
        &mut self,
        instances: &IdVec<InstanceId, Instance>,
        rng: &mut Stream,
        user: u32,
        now: SimTime,
    ) -> Option<InstanceId> {
        let sessions = self.sessions.as_ref().expect("sticky");
        let binding = sessions.bindings.get(user);
        if sessions.live(binding, now)
            && self.takes_work(instances, binding.local)
            && instances[binding.local.instance(self.first_instance)].epoch == binding.epoch
        {
            let sessions = self.sessions.as_mut().expect("sticky");
            sessions.bindings.set(
                user,
                Binding {
                    last_used: now,
                    ..binding
                },
            );
            self.forwarded_window[binding.local] += 1;
            return Some(binding.local.instance(self.first_instance));
        }
        let instance = self.pick(instances, rng)?;
        let binding = Binding {
            local: MemberId(instance.0 - self.first_instance.0),
            epoch: instances[instance].epoch,
            last_used: now,
        };
        self.sessions
            .as_mut()
            .expect("sticky")
            .bindings
            .set(user, binding);
        Some(instance)
    }

    /// Picks an instance in rotation for the next request, or `None` if
    /// none is.
    #[inline(always)]
    pub fn pick(&mut self, instances: &IdVec<InstanceId, Instance>, rng: &mut Stream) -> Option<InstanceId> {
        let count = self.instance_count;
        let (rotation, first) = (&self.in_rotation, self.first_instance);
        let in_rotation = |local: u32| takes_work(rotation, first, instances, MemberId(local));
        let taking_work = || (0..count).filter(move |&local| in_rotation(local));
        let available = || taking_work().count() as u32;
        let load = |local: u32| instances[MemberId(local).instance(first)].assigned;
        let local = match self.policy {
            Policy::RoundRobin => {
                let local = next_taking_work(count, self.next, in_rotation)?;
                self.advance();
                local
            }
            Policy::Random => {
                let available = available();
                if available == 0 {
                    return None;
                }
                taking_work().nth(rng.random_range(0..available) as usize)?
            }
            Policy::LeastConnections => {
                // Scan from the round-robin position so ties rotate.
                let local = least_loaded_taking_work(count, self.next, in_rotation, load)?;
                self.advance();
                local
            }
            Policy::PowerOfTwo => {
                let available = available();
                match available {
                    0 => return None,
                    1 => taking_work().next()?,
                    _ => {
                        let first = rng.random_range(0..available);
                        let second = (first + 1 + rng.random_range(0..available - 1)) % available;
                        let nth = |k: u32| taking_work().nth(k as usize).expect("k < available");
                        let (first, second) = (nth(first), nth(second));
                        if load(second) < load(first) { second } else { first }
                    }
                }
            }
        };
        let local = MemberId(local);
        self.forwarded_window[local] += 1;
        Some(local.instance(first))
    }

    /// Moves the round-robin position on by one, wrapping at the end (a
    /// compare, not a division: this runs for every request).
    fn advance(&mut self) {
        self.next += 1;
        if self.next >= self.instance_count {
            self.next = 0;
        }
    }
}

/// The least loaded of `count` instances for which `takes_work` holds, the
/// first of them from `start` on a tie (so ties rotate).
#[inline]
fn least_loaded_taking_work(
    count: u32,
    start: u32,
    takes_work: impl Fn(u32) -> bool,
    load: impl Fn(u32) -> u32,
) -> Option<u32> {
    round_from(count, start)
        .filter(|&local| takes_work(local))
        .min_by_key(|&local| load(local))
}

/// The first of `count` instances from `start` for which `takes_work`
/// holds (see `round_from`).
#[inline]
pub(super) fn next_taking_work(count: u32, start: u32, takes_work: impl Fn(u32) -> bool) -> Option<u32> {
    round_from(count, start).find(|&local| takes_work(local))
}

/// The instances `start, start + 1, …, count - 1, 0, …, start - 1` (a
/// `start` of `count` or more counts as 0): a plain counter that wraps with
/// a compare, where `(start..count).chain(0..start)` was not inlined and a
/// remainder cost a division, for every request.
#[inline]
fn round_from(count: u32, start: u32) -> Round {
    Round {
        next: if start < count { start } else { 0 },
        count,
        left: count,
    }
}

struct Round {
    next: u32,
    count: u32,
    left: u32,
}

impl Iterator for Round {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let here = self.next;
        self.next += 1;
        if self.next == self.count {
            self.next = 0;
        }
        Some(here)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::random::stream;
    use crate::model::frame::StationId;
    use crate::model::program::SiteId;

    #[test]
    fn next_taking_work_wraps_round_and_treats_the_end_as_the_start() {
        let odd = |local: u32| local % 2 == 1;
        assert_eq!(next_taking_work(5, 0, odd), Some(1));
        assert_eq!(next_taking_work(5, 4, odd), Some(1), "wraps past the end");
        assert_eq!(next_taking_work(5, 3, odd), Some(3));
        assert_eq!(
            next_taking_work(5, 5, odd),
            Some(1),
            "one past the end is the start"
        );
        assert_eq!(next_taking_work(5, 2, |_| false), None);
        assert_eq!(next_taking_work(0, 0, |_| true), None);
    }

    #[test]
    fn least_loaded_breaks_ties_by_the_first_from_the_start() {
        let loads = [3, 1, 2, 1, 5];
        let load = |local: u32| loads[local as usize];
        assert_eq!(least_loaded_taking_work(5, 0, |_| true, load), Some(1));
        assert_eq!(
            least_loaded_taking_work(5, 2, |_| true, load),
            Some(3),
            "the tie goes to the first from 2"
        );
        assert_eq!(
            least_loaded_taking_work(5, 4, |_| true, load),
            Some(1),
            "wraps round"
        );
        assert_eq!(
            least_loaded_taking_work(5, 0, |local| local != 1 && local != 3, load),
            Some(2)
        );
        assert_eq!(least_loaded_taking_work(5, 0, |_| false, load), None);
        assert_eq!(least_loaded_taking_work(0, 0, |_| true, load), None);
    }

    #[test]
    fn round_robin_cycles_through_every_instance_in_order() {
        let (mut balancer, instances) = balancer(Policy::RoundRobin, 3);
        let mut rng = stream(1, "test");
        let picks: Vec<u32> = (0..7)
            .map(|_| balancer.pick(&instances, &mut rng).expect("in rotation").0)
            .collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
        assert!(balancer.next < 3);
    }

    fn balancer(policy: Policy, count: u32) -> (Balancer, IdVec<InstanceId, Instance>) {
        let instances = (0..count)
            .map(|_| Instance::new(StationId(0), 1, None, 1, 1.0))
            .collect();
        let balancer = Balancer {
            policy,
            first_instance: InstanceId(0),
            instance_count: count,
            latency_site: SiteId(0),
            stream: StreamId(0),
            next: 0,
            forwarded_window: IdVec::from_elem(0, count as usize),
            in_rotation: IdVec::from_elem(true, count as usize),
            probe_failures: IdVec::from_elem(0, count as usize),
            probe_successes: IdVec::from_elem(0, count as usize),
            sessions: None,
            capacity: None,
            price_per_hour: 0.0,
            ejection: None,
        };
        (balancer, instances)
    }

    #[test]
    fn round_robin_cycles() {
        let (mut balancer, instances) = balancer(Policy::RoundRobin, 3);
        let mut rng = stream(1, "b");
        let picks: Vec<u32> = (0..6)
            .map(|_| balancer.pick(&instances, &mut rng).unwrap().0)
            .collect();
        assert_eq!(picks, vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn least_connections_avoids_the_loaded() {
        let (mut balancer, mut instances) = balancer(Policy::LeastConnections, 3);
        instances[InstanceId(0)].assigned = 5;
        instances[InstanceId(1)].assigned = 1;
        instances[InstanceId(2)].assigned = 3;
        let mut rng = stream(1, "b");
        assert_eq!(balancer.pick(&instances, &mut rng).unwrap().0, 1);
    }

    #[test]
    fn power_of_two_picks_distinct_candidates_and_the_lighter() {
        let (mut balancer, mut instances) = balancer(Policy::PowerOfTwo, 2);
        instances[InstanceId(0)].assigned = 9;
        let mut rng = stream(1, "b");
        for _ in 0..50 {
            assert_eq!(balancer.pick(&instances, &mut rng).unwrap().0, 1);
        }
    }

    #[test]
    fn instances_out_of_rotation_are_skipped() {
        for policy in Policy::ALL {
            let (mut balancer, instances) = balancer(policy, 3);
            balancer.in_rotation[MemberId(1)] = false;
            let mut rng = stream(1, "b");
            for _ in 0..30 {
                assert_ne!(balancer.pick(&instances, &mut rng).unwrap().0, 1, "{policy:?}");
            }
            balancer.in_rotation = IdVec::from_elem(false, 3);
            assert_eq!(balancer.pick(&instances, &mut rng), None);
        }
    }

    #[test]
    fn random_spreads_evenly() {
        let (mut balancer, instances) = balancer(Policy::Random, 4);
        let mut rng = stream(1, "b");
        for _ in 0..40_000 {
            balancer.pick(&instances, &mut rng);
        }
        // Each count is binomial(40 000, 1/4): sd ≈ 87; 5 sd = 433.
        for &count in &balancer.forwarded_window {
            assert!((count as i64 - 10_000).abs() < 433, "{count}");
        }
    }
}
