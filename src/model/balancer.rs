//! Load-balancing policies over a pool's instances. The balancer sees only
//! how many requests it has assigned to each instance and not yet seen
//! finish (its connection count), as a real one does.

use rand::RngExt;

use super::frame::InstanceId;
use super::instance::Instance;
use crate::engine::{Stream, StreamId};
use crate::scenario::Policy;

#[derive(Debug)]
pub struct Balancer {
    pub policy: Policy,
    /// The pool's instances, a contiguous range of the instance arena.
    pub first_instance: u32,
    pub instance_count: u32,
    pub latency_site: super::program::SiteId,
    pub stream: StreamId,
    /// Round-robin position (also the tie-break start for least-connections).
    pub next: u32,
    /// Requests forwarded in the open window, per instance.
    pub forwarded_window: Vec<u64>,
}

impl Balancer {
    /// Picks an instance for the next request.
    pub fn pick(&mut self, instances: &[Instance], rng: &mut Stream) -> InstanceId {
        let count = self.instance_count;
        let local = match self.policy {
            Policy::RoundRobin => {
                let local = self.next % count;
                self.next = self.next.wrapping_add(1);
                local
            }
            Policy::Random => rng.random_range(0..count),
            Policy::LeastConnections => {
                // Scan from the round-robin position so ties rotate.
                let start = self.next % count;
                self.next = self.next.wrapping_add(1);
                let mut best = start;
                let mut best_load = u32::MAX;
                for offset in 0..count {
                    let local = (start + offset) % count;
                    let load = instances[(self.first_instance + local) as usize].assigned;
                    if load < best_load {
                        best = local;
                        best_load = load;
                    }
                }
                best
            }
            Policy::PowerOfTwo => {
                if count == 1 {
                    0
                } else {
                    let first = rng.random_range(0..count);
                    let second = (first + 1 + rng.random_range(0..count - 1)) % count;
                    let load = |local: u32| instances[(self.first_instance + local) as usize].assigned;
                    if load(second) < load(first) { second } else { first }
                }
            }
        };
        self.forwarded_window[local as usize] += 1;
        InstanceId(self.first_instance + local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::random::stream;
    use crate::model::frame::StationId;
    use crate::model::program::SiteId;

    fn balancer(policy: Policy, count: u32) -> (Balancer, Vec<Instance>) {
        let instances = (0..count)
            .map(|_| Instance::new(StationId(0), 1, None, 1, 1.0))
            .collect();
        let balancer = Balancer {
            policy,
            first_instance: 0,
            instance_count: count,
            latency_site: SiteId(0),
            stream: StreamId(0),
            next: 0,
            forwarded_window: vec![0; count as usize],
        };
        (balancer, instances)
    }

    #[test]
    fn round_robin_cycles() {
        let (mut balancer, instances) = balancer(Policy::RoundRobin, 3);
        let mut rng = stream(1, "b");
        let picks: Vec<u32> = (0..6).map(|_| balancer.pick(&instances, &mut rng).0).collect();
        assert_eq!(picks, vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn least_connections_avoids_the_loaded() {
        let (mut balancer, mut instances) = balancer(Policy::LeastConnections, 3);
        instances[0].assigned = 5;
        instances[1].assigned = 1;
        instances[2].assigned = 3;
        let mut rng = stream(1, "b");
        assert_eq!(balancer.pick(&instances, &mut rng).0, 1);
    }

    #[test]
    fn power_of_two_picks_distinct_candidates_and_the_lighter() {
        let (mut balancer, mut instances) = balancer(Policy::PowerOfTwo, 2);
        instances[0].assigned = 9;
        let mut rng = stream(1, "b");
        for _ in 0..50 {
            assert_eq!(balancer.pick(&instances, &mut rng).0, 1);
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
