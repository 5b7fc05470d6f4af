//! Cache hit ratios against theory under independent-reference Zipf
//! traffic: Che's approximation for LRU, its FIFO/RANDOM analogue, the top-C
//! sum for perfect LFU, and the closed forms of TTL caches. Latencies are
//! zero so a miss is filled before the next request, as the theory assumes.
//!
//! Tolerance: each configuration runs R = 8 independent replications of
//! 10^5 post-warm-up lookups; the analytic value must lie within the
//! 99.9 % Student-t interval of their mean (t(0.9995, 7) = 5.408), widened
//! only for the capacity-bound policies by the approximation's own error:
//! 0.0015 absolute. That allowance is not a fudge for noise: it is the gap
//! between Che's/the FIFO approximation (and, for perfect LFU, the top-C
//! limit that counting only reaches asymptotically) and long simulations at
//! these sizes (N = 10^4 keys, C = 100 and 1000), measured at 10^6 lookups
//! per configuration where statistical error is ~0.0005: the largest gap was
//! 0.0010. The TTL formulas are exact, so they get no allowance.

use crate::support::{metric, scenario, simulate};
use capsim::study::cache_theory;

const REPLICATIONS: u64 = 8;
/// t quantile at 0.9995 with 7 degrees of freedom.
const T_999_7: f64 = 5.408;
const APPROXIMATION: f64 = 0.0015;

/// Warm-up long enough for the policy's steady state: perfect LFU must
/// first learn the popularities by counting (keys near rank C are seen only
/// ~20 times in 10^5 requests, so their order is noisy; after 4·10^5 the
/// top-C set is settled).
fn warmup_s(eviction: &str) -> u32 {
    if eviction == "perfect_lfu" { 200 } else { 10 }
}

fn text(eviction: &str, alpha: f64, capacity: usize, keys: usize, ttl: &str) -> String {
    text_with_writes(eviction, alpha, capacity, keys, ttl, 0)
}

/// With `writes_per_read` writes (through the cache, invalidating) per read.
fn text_with_writes(
    eviction: &str,
    alpha: f64,
    capacity: usize,
    keys: usize,
    ttl: &str,
    writes_per_read: u32,
) -> String {
    let warmup = warmup_s(eviction);
    // 10^5 lookups after warm-up, whatever share of requests reads.
    let duration = warmup + 50 * (1 + writes_per_read);
    let writer = if writes_per_read > 0 {
        format!("  {{ class = \"u\", call = \"app/set\", key = \"k\", weight = {writes_per_read} }},\n")
    } else {
        String::new()
    };
    format!(
        r#"
[scenario]
duration = "{duration}s"
warmup = "{warmup}s"
window = "10s"
[workload]
arrivals = {{ kind = "open", rate = "2000/s" }}
mix = [
  {{ class = "q", call = "app/get", key = "k", weight = 1 }},
{writer}]
[keyspace.k]
keys = {keys}
popularity = {{ zipf = {alpha} }}
[pool.app]
workers = 100000
[pool.app.endpoint.get]
service = "0s"
steps = [{{ read = "db", cache = "c" }}]
[pool.app.endpoint.set]
service = "0s"
steps = [{{ write = "db", cache = "c" }}]
[cache.c]
keyspace = "k"
capacity = {capacity}
eviction = "{eviction}"
latency = "0s"
{ttl}
[database.db]
keyspace = "k"
read = "0s"
write = "0s"
"#
    )
}

/// Mean and standard error of the hit ratio over the replications.
fn hit_ratios(text: &str) -> (f64, f64) {
    let base = scenario(text);
    let ratios: Vec<f64> = (1..=REPLICATIONS)
        .map(|seed| {
            let mut run = base.clone();
            run.seed = seed;
            let result = simulate(&run);
            assert!(metric(&result, "c", "lookups") >= 90_000.0);
            metric(&result, "c", "hit_ratio")
        })
        .collect();
    let count = ratios.len() as f64;
    let mean = ratios.iter().sum::<f64>() / count;
    let variance = ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (count - 1.0);
    (mean, (variance / count).sqrt())
}

fn check(eviction: &str, theory: fn(&[f64], usize) -> f64) {
    for alpha in [0.8, 1.2] {
        for capacity in [100, 1000] {
            let expected = theory(&cache_theory::zipf(10_000, alpha), capacity);
            let (mean, standard_error) = hit_ratios(&text(eviction, alpha, capacity, 10_000, ""));
            let tolerance = T_999_7 * standard_error + APPROXIMATION;
            assert!(
                (mean - expected).abs() <= tolerance,
                "{eviction} α={alpha} C={capacity}: measured {mean:.5} ± {standard_error:.5}, theory {expected:.5}"
            );
        }
    }
}

#[test]
fn lru_matches_ches_approximation() {
    check("lru", cache_theory::lru);
}

#[test]
fn fifo_matches_the_fifo_approximation() {
    check("fifo", cache_theory::fifo);
}

#[test]
fn random_eviction_matches_fifo_as_theory_says() {
    check("random", cache_theory::fifo);
}

#[test]
fn perfect_lfu_holds_the_most_popular_keys() {
    check("perfect_lfu", cache_theory::perfect_lfu);
}

#[test]
fn in_cache_lfu_lies_between_lru_and_perfect_lfu() {
    // Counting only while cached forgets evicted keys' history, so LFU does
    // worse than perfect LFU; it still beats LRU on a static popularity.
    let (lfu, _) = hit_ratios(&text("lfu", 0.8, 100, 10_000, ""));
    let popularity = cache_theory::zipf(10_000, 0.8);
    assert!(lfu > cache_theory::lru(&popularity, 100) + 0.05, "{lfu}");
    assert!(lfu < cache_theory::perfect_lfu(&popularity, 100) - 0.01, "{lfu}");
}

#[test]
fn ttl_caches_match_their_closed_forms() {
    // No capacity limit (capacity = keys); each key is a Poisson stream of
    // rate p_i · 2000/s; TTL 1 s, fixed at fill or refreshed on each hit.
    let popularity = cache_theory::zipf(1_000, 0.8);
    for (refresh, extra) in [
        (false, "ttl = \"1s\""),
        (true, "ttl = \"1s\"\nttl_refresh_on_hit = true"),
    ] {
        let expected = cache_theory::ttl(&popularity, 2000.0, 1.0, refresh);
        let (mean, standard_error) = hit_ratios(&text("lru", 0.8, 1_000, 1_000, extra));
        assert!(
            (mean - expected).abs() <= T_999_7 * standard_error,
            "refresh={refresh}: measured {mean:.5} ± {standard_error:.5}, theory {expected:.5}"
        );
    }
}

#[test]
fn invalidating_writes_lower_hit_ratios_as_theory_says() {
    // One write per read (k = 1): every key is read as often as written.
    let popularity = cache_theory::zipf(10_000, 0.8);
    let groups: Vec<_> = popularity
        .iter()
        .map(|&probability| cache_theory::KeyGroup {
            probability,
            count: 1.0,
        })
        .collect();
    type Theory = fn(&[cache_theory::KeyGroup], f64, f64) -> f64;
    let policies: [(&str, Theory); 3] = [
        ("lru", cache_theory::lru_groups),
        ("fifo", cache_theory::fifo_groups),
        ("random", cache_theory::random_groups),
    ];
    for (eviction, theory) in policies {
        let expected = theory(&groups, 1000.0, 1.0);
        let (mean, standard_error) = hit_ratios(&text_with_writes(eviction, 0.8, 1000, 10_000, "", 1));
        assert!(
            (mean - expected).abs() <= T_999_7 * standard_error + APPROXIMATION,
            "{eviction} with writes: measured {mean:.5} ± {standard_error:.5}, theory {expected:.5}"
        );
        assert!(expected < theory(&groups, 1000.0, 0.0) - 0.1);
    }

    // TTL, no capacity limit: reads at 1000/s in all, as many writes.
    let popularity = cache_theory::zipf(1_000, 0.8);
    let groups: Vec<_> = popularity
        .iter()
        .map(|&probability| cache_theory::KeyGroup {
            probability,
            count: 1.0,
        })
        .collect();
    for (refresh, extra) in [
        (false, "ttl = \"1s\""),
        (true, "ttl = \"1s\"\nttl_refresh_on_hit = true"),
    ] {
        let expected = cache_theory::ttl_groups(&groups, 1000.0, 1.0, refresh, 1.0);
        let (mean, standard_error) = hit_ratios(&text_with_writes("lru", 0.8, 1_000, 1_000, extra, 1));
        assert!(
            (mean - expected).abs() <= T_999_7 * standard_error,
            "ttl refresh={refresh} with writes: measured {mean:.5} ± {standard_error:.5}, theory {expected:.5}"
        );
    }
}
