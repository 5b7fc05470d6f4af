//! A scenario cache's expected hit ratio, from cache theory
//! (`cache_theory`) applied to its keyspace's popularity law.
//!
//! Large keyspaces are described in groups: the most popular ranks one by
//! one, the long tail in geometric bins of ranks whose sums come from the
//! integral of r^−α (the midpoint rule, accurate once ranks are large). The
//! error this adds is far below the approximations' own.
//!
//! Writes through an invalidating cache lower its hit ratio (a key read
//! after a write misses); writes follow the same popularity law as reads.
//! Not modelled here: node failures, the time a miss takes to fill (reads
//! of the key meanwhile miss too), and the uneven spread of keys over a
//! cluster's nodes.
//! LFU is estimated as LRU: its hit ratio lies between LRU's and perfect
//! LFU's, and the lower figure keeps the load estimate on the safe side.

use super::cache_theory::{self, KeyGroup};
use crate::scenario::{Cache, CacheCapacity, Eviction, Keyspace, Popularity, Scenario, WritePolicy};

/// The traffic a cache sees, per second.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CacheTraffic {
    pub reads_per_s: f64,
    /// Writes that go through the cache (invalidate it or write through).
    pub writes_per_s: f64,
}

/// Ranks taken one by one before the tail is binned.
const EXACT_RANKS: u64 = 10_000;
/// Each tail bin spans ranks [a, a·(1 + BIN_GROWTH)].
const BIN_GROWTH: f64 = 0.02;

/// Σ_{r=a}^{b} r^−α by the midpoint rule: ∫_{a−½}^{b+½} x^−α dx.
fn power_sum(a: u64, b: u64, alpha: f64) -> f64 {
    let (low, high) = (a as f64 - 0.5, b as f64 + 0.5);
    if (alpha - 1.0).abs() < 1e-12 {
        (high / low).ln()
    } else {
        (high.powf(1.0 - alpha) - low.powf(1.0 - alpha)) / (1.0 - alpha)
    }
}

/// Consecutive rank ranges [a, b] (1-based) covering 1..=keys: single ranks
/// first, then geometric bins; a range never straddles `split` and
/// `split + 1` (the end of the hot keys).
fn rank_ranges(keys: u64, split: u64) -> Vec<(u64, u64)> {
    let mut ranges = Vec::new();
    let mut a = 1;
    while a <= keys {
        let mut b = if a <= EXACT_RANKS {
            a
        } else {
            ((a as f64 * (1.0 + BIN_GROWTH)) as u64).max(a)
        };
        b = b.min(keys);
        if a <= split && b > split {
            b = split;
        }
        ranges.push((a, b));
        a = b + 1;
    }
    ranges
}

/// The keyspace's popularity in groups (`users` sizes a per-user keyspace).
pub fn popularity_groups(keyspace: &Keyspace, users: u64) -> Vec<KeyGroup> {
    let keys = keyspace.keys.unwrap_or(users).max(1);
    let (hot_share, hot_keys) = match (&keyspace.hot, keyspace.keys) {
        (Some(hot), Some(_)) => (hot.share, hot.keys.min(keys)),
        _ => (0.0, 0),
    };
    let alpha = match keyspace.popularity {
        Popularity::Zipf { alpha } if keyspace.keys.is_some() && alpha > 0.0 => alpha,
        _ => 0.0,
    };
    let ranges = rank_ranges(keys, hot_keys);
    let sums: Vec<f64> = ranges
        .iter()
        .map(|&(a, b)| {
            if alpha == 0.0 {
                (b - a + 1) as f64
            } else if a == b {
                (a as f64).powf(-alpha)
            } else {
                power_sum(a, b, alpha)
            }
        })
        .collect();
    let total: f64 = sums.iter().sum();
    ranges
        .iter()
        .zip(sums)
        .map(|(&(a, b), sum)| {
            let count = (b - a + 1) as f64;
            let hot = if b <= hot_keys {
                hot_share / hot_keys as f64
            } else {
                0.0
            };
            KeyGroup {
                probability: (1.0 - hot_share) * sum / total / count + hot,
                count,
            }
        })
        .collect()
}

/// Entries the whole cache holds.
fn capacity_entries(cache: &Cache, keyspace: &Keyspace) -> f64 {
    let per_node = match cache.capacity {
        CacheCapacity::Entries(entries) => entries as f64,
        CacheCapacity::Bytes(bytes) => bytes as f64 / keyspace.value_size.mean().max(1.0),
    };
    per_node * cache.nodes as f64
}

/// The expected hit ratio of `cache`. `traffic` is needed for a TTL and
/// for invalidations; without it both are ignored.
pub fn hit_ratio(scenario: &Scenario, cache: &Cache, traffic: Option<CacheTraffic>) -> f64 {
    let keyspace = &scenario.keyspaces[cache.keyspace];
    let users = scenario.workload.arrivals.users();
    let groups = popularity_groups(keyspace, users);
    let capacity = capacity_entries(cache, keyspace);
    let writes_per_read = match (traffic, cache.write_policy) {
        (Some(traffic), WritePolicy::Invalidate) if traffic.reads_per_s > 0.0 => {
            traffic.writes_per_s / traffic.reads_per_s
        }
        _ => 0.0,
    };
    let by_capacity = match cache.eviction {
        Eviction::Lru | Eviction::Lfu => cache_theory::lru_groups(&groups, capacity, writes_per_read),
        Eviction::Fifo => cache_theory::fifo_groups(&groups, capacity, writes_per_read),
        Eviction::Random => cache_theory::random_groups(&groups, capacity, writes_per_read),
        Eviction::PerfectLfu => cache_theory::perfect_lfu_groups(&groups, capacity) / (1.0 + writes_per_read),
    };
    match (cache.ttl, traffic) {
        // Either limit alone bounds the hit ratio; the smaller one is
        // close when one dominates, and an upper bound otherwise.
        (Some(ttl), Some(traffic)) => by_capacity.min(cache_theory::ttl_groups(
            &groups,
            traffic.reads_per_s,
            ttl.as_secs_f64(),
            cache.ttl_refresh_on_hit,
            writes_per_read,
        )),
        _ => by_capacity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Dist, HotKeys};

    fn keyspace(keys: u64, popularity: Popularity, hot: Option<HotKeys>) -> Keyspace {
        Keyspace {
            name: "items".into(),
            keys: Some(keys),
            popularity,
            hot,
            value_size: Dist::Const { value: 1000.0 },
        }
    }

    #[test]
    fn groups_are_a_distribution_over_every_key() {
        for popularity in [Popularity::Uniform, Popularity::Zipf { alpha: 0.9 }] {
            let hot = Some(HotKeys { share: 0.2, keys: 3 });
            let groups = popularity_groups(&keyspace(2_000_000, popularity, hot), 0);
            let keys: f64 = groups.iter().map(|g| g.count).sum();
            let total: f64 = groups.iter().map(|g| g.count * g.probability).sum();
            assert_eq!(keys, 2_000_000.0);
            assert!((total - 1.0).abs() < 1e-9, "{total}");
            assert!(groups.len() < 12_000, "{}", groups.len());
        }
    }

    #[test]
    fn binned_tail_matches_the_exact_hit_ratio() {
        // 200k keys: exact per-key popularity against the binned groups.
        let alpha = 0.8;
        let exact = cache_theory::lru(&cache_theory::zipf(200_000, alpha), 5_000);
        let groups = popularity_groups(&keyspace(200_000, Popularity::Zipf { alpha }, None), 0);
        let binned = cache_theory::lru_groups(&groups, 5_000.0, 0.0);
        assert!((exact - binned).abs() < 1e-3, "{exact} {binned}");
    }

    #[test]
    fn hot_keys_add_their_share() {
        let hot = Some(HotKeys { share: 0.5, keys: 1 });
        let groups = popularity_groups(&keyspace(100, Popularity::Uniform, hot), 0);
        assert!((groups[0].probability - (0.5 + 0.005)).abs() < 1e-12);
        assert!((groups[1].probability - 0.005).abs() < 1e-12);
    }
}
