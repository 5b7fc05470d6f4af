//! What a cache holds, as its metrics say: `entries` counts live entries
//! only (an entry past its TTL that no lookup has removed yet is held but
//! not live), `expired` counts each expiry once, in the window it happens.

use crate::support::{scenario, series, simulate};

/// One class of `rate` lookups reading through cache `c` (its keys
/// `cache`) over `keys` Zipf(0.8) keys, with zero latencies and CPU (a
/// miss is filled at once) and no writes.
fn read_through_text(duration: &str, window: &str, rate: u32, keys: u32, cache: &str) -> String {
    format!(
        r#"
[scenario]
duration = "{duration}"
window = "{window}"
[workload]
arrivals = {{ kind = "open", rate = "{rate}/s" }}
mix = [{{ class = "q", call = "app/get", key = "k" }}]
[keyspace.k]
keys = {keys}
popularity = {{ zipf = 0.8 }}
[pool.app]
workers = 100000
[pool.app.endpoint.get]
service = "0s"
steps = [{{ read = "db", cache = "c" }}]
[cache.c]
keyspace = "k"
latency = "0s"
cpu = "0s"
{cache}
[database.db]
keyspace = "k"
read = "0s"
read_cpu = "0s"
"#
    )
}

/// TTL = window = 1 s, room for every key (no eviction), 2000 lookups/s
/// over 5000 keys.
fn ttl_text(nodes: u32) -> String {
    read_through_text(
        "30s",
        "1s",
        2000,
        5000,
        &format!("nodes = {nodes}\ncapacity = 5000\nttl = \"1s\""),
    )
}

#[test]
fn entries_count_live_entries_and_expired_counts_expiries() {
    // Counted independently: with TTL = window and windows starting at 0,
    // an entry filled in window (T − 1 s, T] expires in (T, T + 1 s], so
    // the entries live at T are exactly that window's fills. Nothing is
    // evicted and a live key cannot miss, so each miss fills one key not
    // live before: fills = misses = lookups × (1 − hit ratio), and the
    // lookups of a window are its completed requests (all complete at once). Every
    // fill of window k expires while held, in window k + 1.
    for nodes in [1, 3] {
        let result = simulate(&scenario(&ttl_text(nodes)));
        let requests = series(&result, "class:q", "completed");
        let hit_ratio = series(&result, "c", "hit_ratio");
        let entries = series(&result, "c", "entries");
        let expired = series(&result, "c", "expired");
        assert_eq!(entries.len(), 30);
        for window in 0..entries.len() {
            let misses = (requests[window].1 * (1.0 - hit_ratio[window].1)).round();
            assert_eq!(entries[window].1, misses, "nodes={nodes} window {window}");
            if window > 0 {
                assert_eq!(expired[window].1, entries[window - 1].1, "window {window}");
            } else {
                assert_eq!(expired[0].1, 0.0);
            }
        }
        // Held entries that expired are what the old count added: by the
        // end nearly every key has been filled once, few are live.
        let last = entries.last().unwrap().1;
        assert!(last < 2500.0, "{last}");
        if nodes > 1 {
            let per_node: f64 = (0..nodes)
                .map(|node| {
                    series(&result, &format!("c.node[{node}]"), "entries")
                        .last()
                        .unwrap()
                        .1
                })
                .sum();
            assert_eq!(per_node, last);
        }
    }
}

/// A cache of 10⁴ entries over 10⁵ Zipf(0.8) keys, 20 000 lookups/s, zero
/// latencies, no TTL; 5 s windows.
fn warm_text(eviction: &str, warm: bool, duration_s: u32) -> String {
    let cache = format!("capacity = 10000\neviction = \"{eviction}\"\nwarm = {warm}");
    read_through_text(&format!("{duration_s}s"), "5s", 20000, 100000, &cache)
}

fn window_hit_ratios(text: &str) -> Vec<f64> {
    let result = simulate(&scenario(text));
    series(&result, "c", "hit_ratio")
        .into_iter()
        .map(|(_, ratio)| ratio)
        .collect()
}

#[test]
fn a_warm_cache_starts_at_its_long_run_hit_ratio() {
    // Sample sizes: the warm run's first window holds 10⁵ lookups, so its
    // hit ratio h ≈ 0.5 has a standard error of √(h(1−h)/10⁵) ≈ 0.0016;
    // the cold run's last two windows hold 2·10⁵, ≈ 0.0011. Their
    // difference has a standard error of ≈ 0.002, so 0.01 is 5 of them:
    // the bound is not noise. The cold run's first window shows why warm
    // starts exist: it is well below the long-run ratio.
    for eviction in ["lru", "perfect_lfu", "lfu"] {
        let cold = window_hit_ratios(&warm_text(eviction, false, 150));
        let long_run = (cold[cold.len() - 1] + cold[cold.len() - 2]) / 2.0;
        let warm = window_hit_ratios(&warm_text(eviction, true, 5))[0];
        assert!(
            (warm - long_run).abs() <= 0.01,
            "{eviction}: warm first window {warm:.4}, cold long run {long_run:.4}"
        );
        assert!(cold[0] < long_run - 0.01, "{eviction}: cold start {:.4}", cold[0]);
    }
}

/// One CDN edge of 10 MiB over 10⁵ Zipf(0.8) objects of sizes drawn from
/// an exponential of mean 1 KiB (about 10⁴ objects fit), 20 000
/// requests/s, zero latencies, 5 s windows.
fn cdn_text(warm: bool, duration_s: u32) -> String {
    format!(
        r#"
[scenario]
duration = "{duration_s}s"
window = "5s"
[workload]
arrivals = {{ kind = "open", rate = "20000/s", users = 100000 }}
mix = [{{ class = "assets", call = "static/img" }}]
[keyspace.assets]
keys = 100000
popularity = {{ zipf = 0.8 }}
value_size = {{ dist = "exp", mean = "1KiB" }}
[pool.origin]
workers = 100000
[pool.origin.endpoint.asset]
service = "0s"
[cdn.static]
keyspace = "assets"
edges = 1
capacity = "10MiB"
latency = "0s"
origin = "origin/asset"
warm = {warm}
"#
    )
}

#[test]
fn a_warm_cdn_edge_starts_at_its_long_run_hit_ratio_within_its_bytes() {
    // Sample sizes as for caches: 10⁵ requests per window, so the
    // difference of the warm first window and the cold run's last two
    // has a standard error of about 0.002.
    let cold = simulate(&scenario(&cdn_text(false, 150)));
    let cold = series(&cold, "static", "hit_ratio");
    let long_run = (cold[cold.len() - 1].1 + cold[cold.len() - 2].1) / 2.0;
    let warm = simulate(&scenario(&cdn_text(true, 5)));
    let first = series(&warm, "static", "hit_ratio")[0].1;
    assert!(
        (first - long_run).abs() <= 0.01,
        "warm first window {first:.4}, cold long run {long_run:.4}"
    );
    assert!(cold[0].1 < long_run - 0.01, "cold start {:.4}", cold[0].1);
    let stored = series(&warm, "static.edge[0]", "stored_bytes")[0].1;
    assert!(
        stored <= 10.0 * 1024.0 * 1024.0 && stored > 9.0 * 1024.0 * 1024.0,
        "{stored}"
    );
}
