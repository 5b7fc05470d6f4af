//! Cache hit ratios under the independent reference model (IRM): requests
//! for key i arrive with probability p_i, independently of the past.
//!
//! - LRU: Che's approximation. Each key is cached iff it was requested in
//!   the last T_C (the characteristic time), where Σ_i (1 − e^{−p_i T_C}) = C;
//!   the hit ratio is Σ_i p_i (1 − e^{−p_i T_C}). (Che, Tung, Wang 2002;
//!   Fricker, Robert, Roberts 2012 show it is accurate for Zipf popularity.)
//! - FIFO and RANDOM: the analogue with a key's sojourn being exponential:
//!   key i is cached with probability p_i T / (1 + p_i T), Σ = C.
//!   (Gelenbe 1973 shows FIFO and RANDOM have the same IRM hit ratio;
//!   Fricker et al. give this approximation.)
//! - Perfect LFU: the C most popular keys are cached: Σ of the top C p_i.
//! - TTL caches (no capacity limit), key i requested as a Poisson process of
//!   rate λ_i: with the TTL set at fill, each miss starts a cycle holding
//!   Poisson(λ_i T) hits, so h_i = λ_i T / (1 + λ_i T); with the TTL
//!   refreshed on every hit, a request hits iff the previous one came less
//!   than T before it: h_i = 1 − e^{−λ_i T}.
//!
//! Times here are in units of requests (T counts requests), so the result
//! does not depend on the request rate for the capacity-bound policies.
//!
//! Writes that invalidate (delete the cached key), k writes per read of
//! each key: for LRU a key is cached iff it was read within T_C and not
//! written since: P = 1/(1+k) · (1 − e^{−(1+k) p_i T_C}). For FIFO and
//! RANDOM a fill stays until evicted or written, whichever comes first; with
//! writes the two differ, because FIFO's stay is about T_C for every fill
//! and RANDOM's is exponential. A perfect-LFU cache keeps the top C keys'
//! slots, empty after a write until the next read: its hit ratio is divided
//! by 1+k. TTL caches
//! with invalidations: a fill lives min(T, time to the next write), so a
//! cycle holds λ_i (1 − e^{−w_i T}) / w_i hits (fixed TTL); with the TTL
//! refreshed, a read hits iff the previous read came within T and no write
//! since: λ_i/(λ_i + w_i) · (1 − e^{−(λ_i + w_i) T}).

/// Keys that share one popularity: `count` keys, each asked for with
/// probability `probability` per request. A large keyspace is described by
/// a few thousand groups instead of one entry per key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyGroup {
    pub probability: f64,
    pub count: f64,
}

/// Zipf(α) popularity over `keys` keys, most popular first.
pub fn zipf(keys: usize, alpha: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=keys).map(|rank| (rank as f64).powf(-alpha)).collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|weight| weight / total).collect()
}

fn singletons(popularity: &[f64]) -> Vec<KeyGroup> {
    popularity
        .iter()
        .map(|&probability| KeyGroup {
            probability,
            count: 1.0,
        })
        .collect()
}

fn key_count(groups: &[KeyGroup]) -> f64 {
    groups.iter().map(|group| group.count).sum()
}

/// Solves `occupancy(t) = capacity` for t by bisection; occupancy grows
/// with t from 0 towards its limit (the number of keys, or fewer when
/// writes empty entries). When even the limit is below the capacity the
/// cache never fills: the time is infinite.
fn characteristic_time(groups: &[KeyGroup], capacity: f64, occupancy: impl Fn(f64, f64) -> f64) -> f64 {
    let total = |t: f64| {
        groups
            .iter()
            .filter(|group| group.probability > 0.0)
            .map(|group| group.count * occupancy(group.probability, t))
            .sum::<f64>()
    };
    let (mut low, mut high) = (0.0, 1.0);
    while total(high) < capacity {
        if high > 1e300 {
            return f64::INFINITY;
        }
        high *= 2.0;
    }
    for _ in 0..200 {
        let middle = (low + high) / 2.0;
        if total(middle) < capacity {
            low = middle;
        } else {
            high = middle;
        }
    }
    (low + high) / 2.0
}

fn weighted_hits(groups: &[KeyGroup], t: f64, in_cache: impl Fn(f64, f64) -> f64) -> f64 {
    groups
        .iter()
        .filter(|group| group.probability > 0.0)
        .map(|group| group.count * group.probability * in_cache(group.probability, t))
        .sum()
}

/// LRU hit ratio (Che's approximation) of keys in groups, with
/// `writes_per_read` invalidating writes per read of each key.
pub fn lru_groups(groups: &[KeyGroup], capacity: f64, writes_per_read: f64) -> f64 {
    let scale = 1.0 + writes_per_read;
    if capacity >= key_count(groups) {
        return 1.0 / scale;
    }
    let in_cache = |p: f64, t: f64| (1.0 - (-scale * p * t).exp()) / scale;
    let t = characteristic_time(groups, capacity, in_cache);
    weighted_hits(groups, t, in_cache)
}

/// FIFO hit ratio of keys in groups: a fill stays for the characteristic
/// time T (fills, not hits, push it out), or until a write invalidates it:
/// its mean stay is E[min(T, Exp(w))] = (1 − e^{−wT})/w.
pub fn fifo_groups(groups: &[KeyGroup], capacity: f64, writes_per_read: f64) -> f64 {
    let stay = |p: f64, t: f64| {
        let writes = writes_per_read * p;
        if writes > 0.0 && writes * t > 1e-12 {
            (1.0 - (-writes * t).exp()) / writes
        } else {
            t
        }
    };
    sojourn_hits(groups, capacity, writes_per_read, stay)
}

/// RANDOM hit ratio of keys in groups: a fill stays an exponential time of
/// mean T (each fill evicts a random entry), or until a write: a mean stay
/// of T/(1 + wT). Without writes it equals FIFO's (Gelenbe).
pub fn random_groups(groups: &[KeyGroup], capacity: f64, writes_per_read: f64) -> f64 {
    let stay = |p: f64, t: f64| {
        if t.is_infinite() && writes_per_read > 0.0 {
            1.0 / (writes_per_read * p)
        } else {
            t / (1.0 + writes_per_read * p * t)
        }
    };
    sojourn_hits(groups, capacity, writes_per_read, stay)
}

/// A key cycles between absent (until its next read, mean 1/p) and cached
/// (a mean `stay`): cached a share p·stay/(1 + p·stay) of the time, which
/// by PASTA is its reads' hit ratio.
fn sojourn_hits(
    groups: &[KeyGroup],
    capacity: f64,
    writes_per_read: f64,
    stay: impl Fn(f64, f64) -> f64,
) -> f64 {
    if capacity >= key_count(groups) {
        return 1.0 / (1.0 + writes_per_read);
    }
    let in_cache = |p: f64, t: f64| {
        let held = p * stay(p, t);
        held / (1.0 + held)
    };
    let t = characteristic_time(groups, capacity, in_cache);
    weighted_hits(groups, t, in_cache)
}

/// Perfect-LFU hit ratio of keys in groups: the most popular `capacity`.
pub fn perfect_lfu_groups(groups: &[KeyGroup], capacity: f64) -> f64 {
    let mut sorted = groups.to_vec();
    sorted.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    let mut room = capacity;
    let mut hits = 0.0;
    for group in sorted {
        let taken = group.count.min(room);
        hits += taken * group.probability;
        room -= taken;
        if room <= 0.0 {
            break;
        }
    }
    hits
}

/// TTL-cache hit ratio of keys in groups (see [`ttl`]), `rate` reads per
/// second and `writes_per_read` invalidating writes per read of each key.
pub fn ttl_groups(
    groups: &[KeyGroup],
    rate: f64,
    ttl_s: f64,
    refresh_on_hit: bool,
    writes_per_read: f64,
) -> f64 {
    groups
        .iter()
        .map(|group| {
            let reads = group.probability * rate;
            let writes = reads * writes_per_read;
            let hit = match (refresh_on_hit, writes > 0.0) {
                (true, _) => reads / (reads + writes) * (1.0 - (-(reads + writes) * ttl_s).exp()),
                (false, false) => reads * ttl_s / (1.0 + reads * ttl_s),
                (false, true) => {
                    let hits = reads * (1.0 - (-writes * ttl_s).exp()) / writes;
                    hits / (1.0 + hits)
                }
            };
            group.count * group.probability * hit
        })
        .sum()
}

/// LRU hit ratio (Che's approximation).
pub fn lru(popularity: &[f64], capacity: usize) -> f64 {
    lru_groups(&singletons(popularity), capacity as f64, 0.0)
}

/// FIFO (and RANDOM) hit ratio.
pub fn fifo(popularity: &[f64], capacity: usize) -> f64 {
    fifo_groups(&singletons(popularity), capacity as f64, 0.0)
}

/// Perfect-LFU hit ratio: the top `capacity` popularities.
pub fn perfect_lfu(popularity: &[f64], capacity: usize) -> f64 {
    perfect_lfu_groups(&singletons(popularity), capacity as f64)
}

/// Hit ratio of a TTL cache with no capacity limit, `rate` requests per
/// second in all and a TTL of `ttl_s` seconds.
pub fn ttl(popularity: &[f64], rate: f64, ttl_s: f64, refresh_on_hit: bool) -> f64 {
    ttl_groups(&singletons(popularity), rate, ttl_s, refresh_on_hit, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_popularity_has_closed_forms() {
        // Uniform over N keys: every policy holds C of N keys.
        let uniform = vec![0.01; 100];
        for hit in [lru(&uniform, 30), fifo(&uniform, 30), perfect_lfu(&uniform, 30)] {
            assert!((hit - 0.3).abs() < 1e-9, "{hit}");
        }
    }

    #[test]
    fn policies_rank_as_known_for_skewed_popularity() {
        let popularity = zipf(10_000, 0.8);
        let (lru, fifo, lfu) = (
            lru(&popularity, 100),
            fifo(&popularity, 100),
            perfect_lfu(&popularity, 100),
        );
        assert!(fifo < lru && lru < lfu, "{fifo} {lru} {lfu}");
        assert_eq!(super::lru(&popularity, 10_000), 1.0);
    }

    #[test]
    fn invalidations_reduce_to_no_writes_and_cap_hits() {
        let popularity = zipf(1_000, 0.8);
        let groups = singletons(&popularity);
        assert_eq!(lru_groups(&groups, 100.0, 0.0), lru(&popularity, 100));
        let random = random_groups(&groups, 100.0, 0.0);
        assert!((random - fifo(&popularity, 100)).abs() < 1e-9);
        // A key read as often as written hits at most half the time, and
        // FIFO's fixed stay beats RANDOM's exponential one.
        for policy in [lru_groups, fifo_groups, random_groups] {
            assert!(policy(&groups, 100.0, 1.0) <= 0.5);
            assert!(policy(&groups, 100.0, 1.0) < policy(&groups, 100.0, 0.0));
        }
        assert!(fifo_groups(&groups, 100.0, 1.0) > random_groups(&groups, 100.0, 1.0));
        // TTL with rare writes tends to the plain form.
        for refresh in [false, true] {
            let plain = ttl(&popularity, 2000.0, 1.0, refresh);
            let rare = ttl_groups(&groups, 2000.0, 1.0, refresh, 1e-9);
            assert!((plain - rare).abs() < 1e-6, "{plain} {rare}");
        }
    }

    #[test]
    fn writes_that_keep_a_cache_from_filling_do_not_hang_the_solver() {
        // Ten writes per read: at most 1/11 of the keys are ever cached,
        // below the capacity; every key present hits at its steady share.
        let groups = singletons(&zipf(100, 0.8));
        for policy in [lru_groups, fifo_groups, random_groups] {
            let hit = policy(&groups, 50.0, 10.0);
            assert!(hit.is_finite() && hit > 0.0 && hit <= 1.0 / 11.0 + 1e-12, "{hit}");
        }
        // A share of zero popularity (all traffic on hot keys) is fine too.
        let mut with_zero = groups.clone();
        with_zero.push(KeyGroup {
            probability: 0.0,
            count: 1000.0,
        });
        assert!(lru_groups(&with_zero, 50.0, 10.0).is_finite());
    }

    #[test]
    fn ttl_limits() {
        let popularity = vec![0.5, 0.5];
        // One request per second per key, T = 1 s: 1/2 fixed, 1 − 1/e sliding.
        assert!((ttl(&popularity, 2.0, 1.0, false) - 0.5).abs() < 1e-12);
        assert!((ttl(&popularity, 2.0, 1.0, true) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
    }
}
