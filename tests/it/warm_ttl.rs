//! A warm cache whose entries expire or are written starts where a long
//! cold run settles: the first window's hit ratio and live `entries` are
//! the long run's, for LRU with a TTL shorter than the characteristic time,
//! for LRU with invalidating writes, and for scenario 06's cache.

use crate::support::{scenario, scenario_file, series, shipped, simulate};
use capsim::results::RunResult;

/// One read class (`read_weight`) and one write class (`write_weight`)
/// through LRU cache `c`: 10⁵ entries over 10⁶ Zipf(0.8) keys, 20 000
/// requests/s, zero latencies (a miss is filled at once), 5 s windows.
/// Its characteristic time is about 1.6·10⁵ lookups, 7.8 s.
fn text(cache: &str, write_weight: u32, warm: bool, duration_s: u32) -> String {
    let read_weight = 100 - write_weight;
    format!(
        r#"
[scenario]
duration = "{duration_s}s"
window = "5s"
[workload]
arrivals = {{ kind = "open", rate = "20000/s" }}
mix = [
  {{ class = "q", weight = {read_weight}, call = "app/get", key = "k" }},
  {{ class = "u", weight = {write_weight}, call = "app/put", key = "k" }},
]
[keyspace.k]
keys = 1000000
popularity = {{ zipf = 0.8 }}
[pool.app]
workers = 100000
[pool.app.endpoint.get]
service = "0s"
steps = [{{ read = "db", cache = "c" }}]
[pool.app.endpoint.put]
service = "0s"
steps = [{{ write = "db", cache = "c" }}]
[cache.c]
keyspace = "k"
latency = "0s"
capacity = 100000
eviction = "lru"
warm = {warm}
{cache}
[database.db]
keyspace = "k"
read = "0s"
read_cpu = "0s"
write = "0s"
write_cpu = "0s"
"#
    )
}

/// A series' values.
fn values(result: &RunResult, scope: &str, name: &str) -> Vec<f64> {
    series(result, scope, name)
        .into_iter()
        .map(|(_, value)| value)
        .collect()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Compares a warm run's first window with a cold run's last `tail`
/// windows: the hit ratio within `tolerance`, and live entries within five
/// standard deviations of the difference (the cold windows' own spread,
/// for the one warm window and the mean of `tail`).
fn assert_starts_settled(
    label: &str,
    cold: &RunResult,
    warm: &RunResult,
    scope: &str,
    tail: usize,
    tolerance: f64,
) {
    let cold_ratio = values(cold, scope, "hit_ratio");
    let long_run = mean(&cold_ratio[cold_ratio.len() - tail..]);
    let first = values(warm, scope, "hit_ratio")[0];
    assert!(
        (first - long_run).abs() <= tolerance,
        "{label}: warm first window {first:.4}, cold long run {long_run:.4}"
    );
    assert!(
        cold_ratio[0] < long_run - tolerance,
        "{label}: cold start {:.4}",
        cold_ratio[0]
    );
    let cold_entries = values(cold, scope, "entries");
    let last = &cold_entries[cold_entries.len() - tail..];
    let settled = mean(last);
    let spread = (last.iter().map(|e| (e - settled).powi(2)).sum::<f64>() / (tail - 1) as f64).sqrt();
    let bound = 5.0 * spread * (1.0 + 1.0 / tail as f64).sqrt();
    let entries = values(warm, scope, "entries")[0];
    assert!(
        (entries - settled).abs() <= bound.max(1.0),
        "{label}: warm first-window entries {entries}, cold long run {settled:.0} ± {bound:.0}"
    );
}

// Sample sizes: a 5 s window holds 10⁵ requests (6·10⁴ lookups with 40 %
// writes), so a hit ratio h ≈ 0.35 has a standard error of
// √(h(1−h)/n) ≤ 0.002 in the warm first window and ≤ 0.0009 over the cold
// run's last 5 windows; their difference ≤ 0.0022, so 0.01 is at least 4.5
// of them: the bound is not noise.

#[test]
fn a_warm_lru_cache_with_a_ttl_shorter_than_its_characteristic_time_starts_settled() {
    // TTL 3 s < T ≈ 7.8 s: most held entries have expired (held until
    // evicted or looked up, not live), and a popular key misses once a TTL.
    // (A warm start that ignored the TTL's dynamics began at 0.357 against
    // a long run of 0.331.)
    let cache = "ttl = \"3s\"";
    let cold = simulate(&scenario(&text(cache, 0, false, 100)));
    let warm = simulate(&scenario(&text(cache, 0, true, 5)));
    assert_starts_settled("ttl 3s", &cold, &warm, "c", 5, 0.01);
}

#[test]
fn a_warm_lru_cache_with_invalidating_writes_starts_settled() {
    // 40 % writes, each deleting its key: a popular key is absent from a
    // write to its next read, w/(r + w) = 40 % of the time. (A warm start
    // that ignored the writes began at 0.372 against a long run of 0.343.)
    let cold = simulate(&scenario(&text("", 40, false, 100)));
    let warm = simulate(&scenario(&text("", 40, true, 5)));
    assert_starts_settled("invalidate", &cold, &warm, "c", 5, 0.01);
}

#[test]
fn scenario_06s_warm_cache_starts_settled() {
    // 06 itself: TTL 10 min, 10 % invalidating writes, two nodes, 2 700
    // lookups/s. 30 s windows: the warm first window holds 8.1·10⁴
    // lookups (standard error ≈ 0.0017 at h ≈ 0.585), the cold run's last
    // 10 windows 8.1·10⁵ (≈ 0.0006); 0.01 is about 5.5 of their difference.
    // The cold run settles after about 5 minutes.
    let file = shipped("06-cache.toml");
    let run = |warm: bool, duration: &str| {
        let overrides = [
            format!("cache.cache.warm={warm}"),
            format!("scenario.duration=\"{duration}\""),
            "scenario.window=\"30s\"".to_owned(),
            "scenario.warmup=\"0s\"".to_owned(),
        ];
        let overrides: Vec<&str> = overrides.iter().map(String::as_str).collect();
        simulate(&scenario_file(&file, &overrides))
    };
    let cold = run(false, "15m");
    let warm = run(true, "30s");
    assert_starts_settled("06", &cold, &warm, "cache", 10, 0.01);
}
