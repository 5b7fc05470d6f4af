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

/// Zipf(α) popularity over `keys` keys, most popular first.
pub fn zipf(keys: usize, alpha: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=keys).map(|rank| (rank as f64).powf(-alpha)).collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|weight| weight / total).collect()
}

/// Solves `occupancy(t) = capacity` for t by bisection; occupancy grows
/// with t from 0 towards the number of keys.
fn characteristic_time(popularity: &[f64], capacity: f64, occupancy: impl Fn(f64, f64) -> f64) -> f64 {
    let total = |t: f64| popularity.iter().map(|&p| occupancy(p, t)).sum::<f64>();
    let (mut low, mut high) = (0.0, 1.0);
    while total(high) < capacity {
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

fn weighted_hits(popularity: &[f64], t: f64, in_cache: impl Fn(f64, f64) -> f64) -> f64 {
    popularity.iter().map(|&p| p * in_cache(p, t)).sum()
}

/// LRU hit ratio (Che's approximation).
pub fn lru(popularity: &[f64], capacity: usize) -> f64 {
    if capacity >= popularity.len() {
        return 1.0;
    }
    let in_cache = |p: f64, t: f64| 1.0 - (-p * t).exp();
    let t = characteristic_time(popularity, capacity as f64, in_cache);
    weighted_hits(popularity, t, in_cache)
}

/// FIFO (and RANDOM) hit ratio.
pub fn fifo(popularity: &[f64], capacity: usize) -> f64 {
    if capacity >= popularity.len() {
        return 1.0;
    }
    let in_cache = |p: f64, t: f64| p * t / (1.0 + p * t);
    let t = characteristic_time(popularity, capacity as f64, in_cache);
    weighted_hits(popularity, t, in_cache)
}

/// Perfect-LFU hit ratio: the top `capacity` popularities.
pub fn perfect_lfu(popularity: &[f64], capacity: usize) -> f64 {
    let mut sorted = popularity.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    sorted.iter().take(capacity).sum()
}

/// Hit ratio of a TTL cache with no capacity limit, `rate` requests per
/// second in all and a TTL of `ttl_s` seconds.
pub fn ttl(popularity: &[f64], rate: f64, ttl_s: f64, refresh_on_hit: bool) -> f64 {
    popularity
        .iter()
        .map(|&p| {
            let expected = p * rate * ttl_s;
            let hit = if refresh_on_hit {
                1.0 - (-expected).exp()
            } else {
                expected / (1.0 + expected)
            };
            p * hit
        })
        .sum()
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
    fn ttl_limits() {
        let popularity = vec![0.5, 0.5];
        // One request per second per key, T = 1 s: 1/2 fixed, 1 − 1/e sliding.
        assert!((ttl(&popularity, 2.0, 1.0, false) - 0.5).abs() < 1e-12);
        assert!((ttl(&popularity, 2.0, 1.0, true) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
    }
}
