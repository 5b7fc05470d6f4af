//! Replicated and sharded databases: replicas take read load off the
//! primary, lag follows the replicas' apply queue, semi-sync costs the
//! writer a round trip, replicas serve stale reads (and break
//! read-your-writes) while the primary does not, hot keys pile onto one
//! shard, and a cache node failure sends its keys to the database.

use crate::support::{assert_conserved, metric, scenario, simulate};

fn replicated(replicas: u32, read_rate: &str) -> String {
    format!(
        r#"
[scenario]
duration = "200s"
warmup = "20s"
window = "10s"
[workload]
arrivals = {{ kind = "open", rate = "{read_rate}" }}
mix = [{{ class = "read", call = "app/read", key = "k" }}]
[keyspace.k]
keys = 10000
[pool.app]
workers = 1000
[pool.app.endpoint.read]
service = "0s"
steps = [{{ read = "db" }}]
[database.db]
keyspace = "k"
connections = 8
replicas = {replicas}
read = {{ dist = "exp", mean = "2ms" }}
read_cpu = "0s"
"#
    )
}

#[test]
fn replicas_take_read_load_off_the_primary_and_cut_read_latency() {
    // 3000 reads/s of 2 ms on 8 connections is ρ = 0.75 on a lone primary;
    // spread over two replicas each sees ρ = 0.375 and the primary none.
    let alone = simulate(&scenario(&replicated(0, "3000/s")));
    let spread = simulate(&scenario(&replicated(2, "3000/s")));
    assert_conserved(&spread);
    let alone_utilization = metric(&alone, "db", "utilization");
    assert!((alone_utilization - 0.75).abs() < 0.02, "{alone_utilization}");
    assert_eq!(metric(&spread, "db.primary", "served"), 0.0);
    for replica in ["db.replica[0]", "db.replica[1]"] {
        let utilization = metric(&spread, replica, "utilization");
        assert!((utilization - 0.375).abs() < 0.02, "{replica}: {utilization}");
    }
    let (before, after) = (
        metric(&alone, "overall", "latency_mean_ms"),
        metric(&spread, "overall", "latency_mean_ms"),
    );
    // M/M/8 at ρ = 0.75 waits noticeably; at ρ = 0.375 almost never.
    assert!(after < before * 0.85, "read latency {before} → {after}");
}

fn lagging(write_rate: &str, mode: &str) -> String {
    format!(
        r#"
[scenario]
duration = "400s"
warmup = "40s"
window = "10s"
[workload]
arrivals = {{ kind = "open", rate = "{write_rate}" }}
mix = [{{ class = "write", call = "app/write", key = "k" }}]
[network]
default = "250us"
[keyspace.k]
keys = 100000
[pool.app]
workers = 1000
[pool.app.endpoint.write]
service = "0s"
steps = [{{ write = "db" }}]
[database.db]
keyspace = "k"
connections = 1000
replicas = 1
write = {{ dist = "exp", mean = "1ms" }}
write_cpu = "0s"
replication = {{ mode = "{mode}", apply = {{ dist = "exp", mean = "1ms" }}, appliers = 1 }}
"#
    )
}

#[test]
fn replication_lag_grows_as_writes_approach_apply_capacity() {
    // Commits leave the primary (many connections: no queueing) as a
    // Poisson stream (Burke), cross a constant 0.25 ms hop in order, and
    // queue at one applier of mean 1 ms: an M/M/1 with μ = 1000/s. The mean
    // lag is 0.25 ms + 1/(μ − λ). About 10^5–3.6·10^5 applies per run: the
    // mean's standard error is at most ~3 % at λ = 900/s (ρ = 0.9, as in
    // the queueing tests); allow 10 %.
    let mut previous = 0.0;
    for rate in [200.0, 500.0, 800.0, 900.0] {
        let result = simulate(&scenario(&lagging(&format!("{rate}/s"), "async")));
        let lag = metric(&result, "db", "replication_lag_mean_ms");
        let expected = 0.25 + 1000.0 / (1000.0 - rate);
        assert!(
            (lag / expected - 1.0).abs() < 0.1,
            "{rate}/s: lag {lag} ms, expected {expected}"
        );
        assert!(lag > previous, "lag must grow with the write rate");
        previous = lag;
        assert!(metric(&result, "db", "replication_lag_p99_ms") > lag);
    }
}

#[test]
fn semi_sync_acknowledges_writes_a_round_trip_later() {
    // Async: a write's latency is its commit (1 ms). Semi-sync with one ack
    // adds the hop to the replica and the ack back: 2 × 0.25 ms.
    let asynchronous = simulate(&scenario(&lagging("200/s", "async")));
    let semi_sync = simulate(&scenario(&lagging("200/s", "semi_sync")));
    let difference = metric(&semi_sync, "overall", "latency_mean_ms")
        - metric(&asynchronous, "overall", "latency_mean_ms");
    // Common random numbers: the commits are the same draws in both runs,
    // so the difference is the round trip up to the histogram's 0.1 %.
    assert!((difference - 0.5).abs() < 0.02, "semi-sync adds {difference} ms");
    assert_conserved(&semi_sync);
}

fn read_after_write(read_from: &str) -> String {
    format!(
        r#"
[scenario]
duration = "100s"
warmup = "10s"
window = "10s"
[workload]
arrivals = {{ kind = "open", rate = "200/s", users = 1000 }}
mix = [{{ class = "update_profile", call = "app/update", key = "profiles" }}]
[network]
default = {{ dist = "exp", mean = "200us" }}
[keyspace.profiles]
keys = "per_user"
[pool.app]
workers = 1000
[pool.app.endpoint.update]
service = "0s"
steps = [{{ write = "db" }}, {{ read = "db" }}]
[database.db]
keyspace = "profiles"
replicas = 2
read_from = "{read_from}"
replication = {{ mode = "async", apply = {{ dist = "exp", mean = "5ms" }} }}
"#
    )
}

#[test]
fn replicas_break_read_your_writes_and_the_primary_does_not() {
    // Each user writes their own profile and reads it straight back. From
    // a replica the read usually beats replication (a 0.2 ms hop against
    // a ≥ 5 ms apply): a stale read, and a read-your-writes violation since
    // the reader wrote the newer version. From the primary, never.
    let replicas = simulate(&scenario(&read_after_write("round_robin")));
    let primary = simulate(&scenario(&read_after_write("primary")));
    let reads = metric(&replicas, "db", "reads") - metric(&replicas, "db", "writes");
    let violations = metric(&replicas, "db", "read_your_writes_violations");
    assert!(
        violations > 0.9 * reads,
        "{violations} violations in {reads} reads"
    );
    assert_eq!(violations, metric(&replicas, "db", "stale_reads"));
    assert_eq!(metric(&primary, "db", "stale_reads"), 0.0);
    assert_eq!(metric(&primary, "db", "read_your_writes_violations"), 0.0);
}

fn sharded(hot: &str) -> String {
    format!(
        r#"
[scenario]
duration = "100s"
warmup = "10s"
window = "10s"
[workload]
arrivals = {{ kind = "open", rate = "2000/s" }}
mix = [{{ class = "read", call = "app/read", key = "items" }}]
[keyspace.items]
keys = 100000
{hot}
[pool.app]
workers = 1000
[pool.app.endpoint.read]
service = "0s"
steps = [{{ read = "db" }}]
[database.db]
keyspace = "items"
shards = 4
connections = 4
read = {{ dist = "exp", mean = "1ms" }}
read_cpu = "0s"
"#
    )
}

#[test]
fn uniform_keys_spread_evenly_and_a_hot_key_saturates_one_shard() {
    let shares = |result: &capsim::results::RunResult| -> Vec<f64> {
        let total = metric(result, "db", "served");
        (0..4)
            .map(|shard| metric(result, &format!("db.shard[{shard}].primary"), "served") / total)
            .collect()
    };
    // Uniform keys over 4 hash shards: each gets a quarter; with 180 000
    // reads the binomial standard error of a share is 0.001; allow 5.
    let even = simulate(&scenario(&sharded("")));
    for share in shares(&even) {
        assert!((share - 0.25).abs() < 0.005, "{:?}", shares(&even));
    }
    // Half the traffic on one key: its shard gets 0.5 + 0.5/4 = 0.625 of
    // the reads and runs at ρ = 2000 × 0.625 × 1 ms / 4 > 0.3 while the
    // others idle near 0.125.
    let hot = simulate(&scenario(&sharded("hot = { share = 0.5, keys = 1 }")));
    let shares = shares(&hot);
    let hottest = shares.iter().cloned().fold(0.0, f64::max);
    assert!((hottest - 0.625).abs() < 0.005, "{shares:?}");
}

#[test]
fn a_cache_node_failure_sends_its_keys_to_the_database() {
    // Four cache nodes; at 100 s node 1 dies and clients keep it on the
    // ring ("miss"): every lookup that would have gone to it now reads the
    // database. The extra database reads equal that node's share of
    // lookups times the hit ratio it had.
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "200s"
warmup = "0s"
window = "50s"
[workload]
arrivals = { kind = "open", rate = "2000/s" }
mix = [{ class = "view", call = "app/view", key = "items" }]
[keyspace.items]
keys = 20000
popularity = { zipf = 0.9 }
[pool.app]
workers = 1000
[pool.app.endpoint.view]
service = "0s"
steps = [{ read = "db", cache = "c" }]
[cache.c]
keyspace = "items"
nodes = 4
capacity = 2000
latency = "0s"
on_node_failure = "miss"
[database.db]
keyspace = "items"
read = "0s"
read_cpu = "0s"
[[faults]]
at = "100s"
kill = "cache.c.node[1]"
"#,
    ));
    let reads = result.timeseries.series("db", "reads");
    let hit_ratio = result.timeseries.series("c.node[1]", "hit_ratio");
    let lookups = result.timeseries.series("c", "hit_ratio");
    assert_eq!(reads.len(), 4);
    // Window 2 (50–100 s) is warm and healthy; window 4 (150–200 s) has
    // node 1 down for the whole window.
    let (before, after) = (reads[1].1, reads[3].1);
    let node_hit_ratio = hit_ratio[1].1;
    let cluster_misses_before = (1.0 - lookups[1].1) * 100_000.0;
    assert!((before - cluster_misses_before).abs() / before < 0.01);
    // The node's share of lookups (by the ring) from its lookups counter.
    let node_lookups = crate::support::metric(&result, "c.node[1]", "lookups");
    let share = node_lookups / (2000.0 * 100.0);
    let expected_increase = share * node_hit_ratio * 2000.0 * 50.0;
    let increase = after - before;
    // Counts of ~10^4–10^5 in a window: Poisson error ~1–2 %; allow 10 %.
    assert!(
        (increase / expected_increase - 1.0).abs() < 0.1,
        "db reads {before} → {after}: +{increase}, expected +{expected_increase:.0} (share {share:.3}, hit ratio {node_hit_ratio:.3})"
    );
}

#[test]
fn resharding_moves_keys_with_migration_load_then_spreads_the_load() {
    // 2 → 4 shards by consistent hashing at 100 s, copying moved keys at
    // 2000/s. About half the keys move (the new shards take their share of
    // the ring). While they are copied, the migration's reads and writes
    // add load; afterwards each shard carries about half its old load.
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "300s"
window = "50s"
[workload]
arrivals = { kind = "open", rate = "2000/s" }
mix = [{ class = "read", call = "app/read", key = "items" }]
[keyspace.items]
keys = 100000
[pool.app]
workers = 1000
[pool.app.endpoint.read]
service = "0s"
steps = [{ read = "db" }]
[database.db]
keyspace = "items"
shards = 2
connections = 8
sharding = { by = "consistent", virtual_nodes = 200 }
read = { dist = "exp", mean = "3ms" }
read_cpu = "0s"
write = { dist = "exp", mean = "3ms" }
write_cpu = "0s"
reshard = { at = "100s", shards = 4, rate = "2000/s" }
"#,
    ));
    assert_conserved(&result);
    let start = result
        .events
        .iter()
        .find(|e| e.kind == "reshard_start")
        .expect("reshard logged");
    let moved: f64 = start
        .detail
        .split(", ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // 200 virtual nodes per shard: the moved share is 1/2 ± a few percent.
    assert!((moved / 100_000.0 - 0.5).abs() < 0.05, "{}", start.detail);
    let done = result
        .events
        .iter()
        .find(|e| e.kind == "reshard_done")
        .expect("reshard finished");
    // Copying ~50 000 keys at 2000/s takes ~25 s.
    let took = done.time.as_secs_f64() - 100.0;
    assert!((took - moved / 2000.0).abs() < 1.0, "took {took} s");
    let utilization = |shard: usize| {
        result
            .timeseries
            .series(&format!("db.shard[{shard}].primary"), "utilization")
    };
    // Window 2 (50–100 s): two shards sharing 2000 × 3 ms / 8 = 0.75 of
    // one shard's connections in all; the new shards idle. (Each shard's
    // share of the ring varies by about 1/sqrt(200) = 7 % relative.)
    let before: f64 = (0..2).map(|shard| utilization(shard)[1].1).sum();
    assert!((before - 0.75).abs() < 0.02, "{before}");
    for shard in 2..4 {
        assert_eq!(utilization(shard)[1].1, 0.0);
    }
    // Window 5 (200–250 s): four shards at about half that, and the total
    // work equals the reads alone (migration finished).
    let after: Vec<f64> = (0..4).map(|shard| utilization(shard)[4].1).collect();
    let total: f64 = after.iter().sum();
    assert!((total - 0.75).abs() < 0.03, "{after:?}");
    let spread = 4.0 / 200f64.sqrt();
    for share in &after {
        assert!((share / 0.1875 - 1.0).abs() < spread, "{after:?}");
    }
    // Window 3 (100–150 s) carries the migration: more work than reads.
    let during: f64 = (0..4).map(|shard| utilization(shard)[2].1).sum();
    assert!(during > total + 0.05, "migration load: {during} vs {total}");
}
