//! Semi-synchronous replication when replicas are missing: the
//! `semi_sync_timeout` fallback to asynchronous (and back), `"never"`
//! blocking until the replica returns, and the data-center drill whose
//! promoted primary has no live replica left.

use crate::support::{assert_conserved, metric, scenario, scenario_file, shipped, simulate};
use capsim::results::RunResult;
use capsim::scenario::dump::to_toml;

/// Writes only, one replica killed from 60 s to 90 s, no failover (the
/// primary never learns the replica is down: it only misses its acks).
fn replica_outage(rate: &str, timeout: &str, workers: u32) -> String {
    format!(
        r#"
[scenario]
duration = "150s"
warmup = "10s"
window = "1s"
[workload]
arrivals = {{ kind = "open", rate = "{rate}" }}
mix = [{{ class = "write", call = "app/write", key = "k" }}]
[network]
default = "250us"
[keyspace.k]
keys = 100000
[pool.app]
workers = {workers}
[pool.app.endpoint.write]
service = "0s"
steps = [{{ write = "db" }}]
[database.db]
keyspace = "k"
connections = {workers}
replicas = 1
write = {{ dist = "exp", mean = "1ms" }}
replication = {{ mode = "semi_sync", semi_sync_timeout = {timeout}, apply = {{ dist = "exp", mean = "1ms" }} }}
[[faults]]
kill = "database.db.replica[0]"
at = "60s"
for = "30s"
"#
    )
}

fn event_times(result: &RunResult, kind: &str) -> Vec<f64> {
    result
        .events
        .iter()
        .filter(|event| event.kind == kind)
        .map(|event| event.time.as_secs_f64())
        .collect()
}

fn series(result: &RunResult, scope: &str, name: &str) -> Vec<(f64, f64)> {
    result.timeseries.series(scope, name)
}

#[test]
fn a_write_waits_the_timeout_then_writes_are_asynchronous_until_the_replica_returns() {
    let result = simulate(&scenario(&replica_outage("100/s", "\"1s\"", 1000)));
    assert_conserved(&result);
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
    // The first write the dead replica misses (committed just before or
    // after 60 s) gives up waiting 1 s later; the next write arrives within
    // ~0.1 s of the kill (P(none in 0.1 s at 100/s) = e^-10).
    let fallbacks = event_times(&result, "semi_sync_fallback");
    assert_eq!(fallbacks.len(), 1, "{fallbacks:?}");
    assert!(
        (60.99..61.11).contains(&fallbacks[0]),
        "fallback at {}",
        fallbacks[0]
    );
    // The restored replica rejoins caught up and the next write it
    // receives puts the shard back to semi-sync.
    let recoveries = event_times(&result, "semi_sync_recovered");
    assert_eq!(recoveries.len(), 1, "{recoveries:?}");
    assert!(
        (90.0..90.11).contains(&recoveries[0]),
        "recovered at {}",
        recoveries[0]
    );
    assert_eq!(metric(&result, "db", "semi_sync_fallbacks"), 1.0);
    // Every write of the 30 s outage but the first ~1 s (held, then
    // released) is acknowledged at commit: ~3000 at 100/s; Poisson sd ~55,
    // so ±300 is over 5 sd.
    let degraded = metric(&result, "db", "degraded_writes");
    assert!((2700.0..3300.0).contains(&degraded), "degraded writes {degraded}");
    // The writes held by the missing ack wait the timeout (plus the hops
    // and the commit), no longer.
    let slowest = metric(&result, "overall", "latency_max_ms");
    assert!((1000.0..1050.0).contains(&slowest), "slowest write {slowest} ms");
    for (time, max) in series(&result, "overall", "latency_max_ms") {
        // Semi-sync before and after (one round trip), async in between.
        if !(60.0..=62.0).contains(&time) {
            assert!(max < 50.0, "window ending {time}: max {max} ms");
        }
    }
    // Degraded writes are shown while the shard is asynchronous.
    for (time, shards) in series(&result, "db", "semi_sync_degraded_shards") {
        let expected = if (62.0..=90.0).contains(&time) { 1.0 } else { 0.0 };
        assert_eq!(shards, expected, "window ending {time}");
    }
    assert_eq!(metric(&result, "db", "lost_writes"), 0.0);
}

#[test]
fn never_blocks_every_write_until_the_replica_returns() {
    // 50 writes/s for 30 s: ~1500 writes held, fewer than the 2000 workers
    // and connections, so the stall shows as writes that do not complete.
    let result = simulate(&scenario(&replica_outage("50/s", "\"never\"", 2000)));
    assert_conserved(&result);
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
    assert!(event_times(&result, "semi_sync_fallback").is_empty());
    assert_eq!(metric(&result, "db", "semi_sync_fallbacks"), 0.0);
    assert_eq!(metric(&result, "db", "degraded_writes"), 0.0);
    let completed = series(&result, "overall", "completed");
    // Nothing completes while the replica is dead (the window ending at
    // 61 s may still hold writes acked just before the kill)…
    for &(time, count) in &completed {
        if time > 61.0 && time <= 90.0 {
            assert_eq!(count, 0.0, "window ending {time}");
        }
    }
    // …and the held writes all complete when it returns and acks them.
    let released = completed
        .iter()
        .find(|&&(time, _)| time == 91.0)
        .map(|&(_, count)| count)
        .expect("a window ending at 91 s");
    assert!(released > 1300.0, "{released} writes released at 90 s");
    let slowest = metric(&result, "overall", "latency_max_ms");
    assert!(
        (29_000.0..30_100.0).contains(&slowest),
        "slowest write {slowest} ms"
    );
    // The drill does not call the stall a recovery: windows in which
    // nothing ended are not calm, so it recovers only once writes flow
    // again after the replica returns at 90 s (p99 back within 1.5× of the
    // baseline for three windows).
    let scope = "drill:db.replica[0]@60s";
    let rto = metric(&result, scope, "rto_s");
    assert!(rto >= 30.0, "recovered during the stall: rto {rto} s");
}

#[test]
fn semi_sync_timeout_is_read_checked_and_dumped() {
    for (timeout, dumped) in [("\"2500ms\"", "\"2500ms\""), ("\"never\"", "\"never\"")] {
        let loaded = scenario(&replica_outage("100/s", timeout, 10));
        let resolved = to_toml(&loaded);
        assert!(
            resolved.contains(&format!("semi_sync_timeout = {dumped}")),
            "{resolved}"
        );
        assert_eq!(
            scenario(&resolved),
            loaded,
            "the resolved scenario loads back the same"
        );
    }
    for (bad, message) in [
        ("\"0s\"", "longer than zero"),
        ("\"nevr\"", "or \"never\" to wait"),
        ("5", "needs a unit"),
    ] {
        let error = capsim::scenario::load_str(&replica_outage("100/s", bad, 10)).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(message), "{bad}: {text}");
        assert!(text.contains("semi_sync_timeout"), "{bad}: {text}");
    }
    let misspelt = replica_outage("100/s", "\"1s\"", 10).replace("semi_sync_timeout", "semi_sync_timout");
    let error = capsim::scenario::load_str(&misspelt).unwrap_err().to_string();
    assert!(error.contains("did you mean `semi_sync_timeout`"), "{error}");
    let asynchronous = replica_outage("100/s", "\"1s\"", 10).replace("\"semi_sync\"", "\"async\"");
    let error = capsim::scenario::load_str(&asynchronous).unwrap_err().to_string();
    assert!(
        error.contains("`semi_sync_timeout` is for `mode = \"semi_sync\"`"),
        "{error}"
    );
}

#[test]
fn a_promoted_primary_without_live_replicas_does_not_jam_the_data_center_drill() {
    let asynchronous = simulate(&scenario_file(&shipped("drill-datacenter.toml"), &[]));
    let semi_sync = simulate(&scenario_file(
        &shipped("drill-datacenter.toml"),
        &["database.db.replication.mode=semi_sync"],
    ));
    assert_conserved(&semi_sync);
    let drill = "drill:datacenter.dc-us@120s";
    // It recovers like the asynchronous drill: the promoted primary's only
    // replica is the dead old primary, so it falls back at its first write.
    assert_eq!(metric(&semi_sync, drill, "recovered"), 1.0);
    let (rto_async, rto_semi) = (
        metric(&asynchronous, drill, "rto_s"),
        metric(&semi_sync, drill, "rto_s"),
    );
    assert!(
        rto_semi <= rto_async + 5.0,
        "rto {rto_semi} s vs {rto_async} s async"
    );
    let fallbacks = event_times(&semi_sync, "semi_sync_fallback");
    assert_eq!(fallbacks.len(), 1, "{fallbacks:?}");
    // Detection 10 s + promotion 5 s after the kill at 120 s.
    assert!(
        (135.0..136.0).contains(&fallbacks[0]),
        "fallback at {}",
        fallbacks[0]
    );
    let recoveries = event_times(&semi_sync, "semi_sync_recovered");
    assert_eq!(recoveries.len(), 1, "{recoveries:?}");
    assert!(recoveries[0] >= 300.0, "recovered at {}", recoveries[0]);
    // After the burst, errors are back to the baseline (none) for the rest
    // of the run, even with the old primary dead until 300 s.
    for (time, rate) in series(&semi_sync, "overall", "error_rate") {
        if time > 120.0 + rto_semi + 5.0 {
            assert_eq!(rate, 0.0, "window ending {time}");
        }
    }
    assert!(metric(&semi_sync, "overall", "error_rate") < 0.05);
    // Writes acknowledged while degraded are the ones a failover could lose.
    assert!(metric(&semi_sync, "db", "degraded_writes") > 0.0);
    assert_eq!(metric(&semi_sync, drill, "lost_writes"), 0.0);
}

#[test]
fn never_jams_the_data_center_drill_until_the_old_primary_returns() {
    let result = simulate(&scenario_file(
        &shipped("drill-datacenter.toml"),
        &[
            "database.db.replication.mode=semi_sync",
            "database.db.replication.semi_sync_timeout=\"never\"",
        ],
    ));
    assert_conserved(&result);
    assert!(event_times(&result, "semi_sync_fallback").is_empty());
    let errors = series(&result, "overall", "error_rate");
    // Every write to the promoted primary waits for the dead old primary;
    // the writers hold every web worker, so every request fails…
    for &(time, rate) in &errors {
        if time > 150.0 && time <= 300.0 {
            assert_eq!(rate, 1.0, "window ending {time}");
        }
    }
    // …until dc-us returns at 300 s and acks the held writes: the pools
    // work through their backlog and errors fall.
    let last = errors.last().expect("windows").1;
    assert!(last < 0.5, "error rate {last} at the end");
}
