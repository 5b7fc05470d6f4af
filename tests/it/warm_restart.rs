//! Warming a restarted cache node before it takes traffic (`warm_restart`):
//! the node stays out of the ring while it copies its share from a peer
//! or loads its hottest keys from the database, then rejoins warm.

use capsim::results::RunResult;

use crate::support::{assert_conserved, metric, scenario, series, simulate};

/// 2 000 reads/s over 5 000 Zipf(0.8) keys through two nodes that each
/// hold every key they are given (no TTL, no writes: a held key never
/// misses), started warm. Clients rehash: while node 0 is down (10–15 s)
/// its keys go to node 1, which fills them. A 1 ms database read.
fn text(warm_restart: &str) -> String {
    format!(
        r#"
[scenario]
duration = "30s"
window = "1s"
[workload]
arrivals = {{ kind = "open", rate = "2000/s" }}
mix = [{{ class = "q", call = "app/get", key = "k" }}]
[keyspace.k]
keys = 5000
popularity = {{ zipf = 0.8 }}
[pool.app]
workers = 10000
[pool.app.endpoint.get]
service = "0s"
steps = [{{ read = "db", cache = "c" }}]
[cache.c]
keyspace = "k"
nodes = 2
capacity = 5000
warm = true
on_node_failure = "rehash"
latency = "100us"
{warm_restart}
[database.db]
keyspace = "k"
connections = 10000
read = "1ms"
read_cpu = "0s"
[[faults]]
at = "10s"
kill = "cache.c.node[0]"
for = "5s"
"#
    )
}

/// The time of the one event of `kind`.
fn event_at(result: &RunResult, kind: &str) -> f64 {
    let times: Vec<f64> = result
        .events
        .iter()
        .filter(|event| event.kind == kind)
        .map(|event| event.time.as_secs_f64())
        .collect();
    assert_eq!(times.len(), 1, "one `{kind}` event: {times:?}");
    times[0]
}

/// The value of a series in the window ending at `end_s`.
fn at(points: &[(f64, f64)], end_s: f64) -> f64 {
    points
        .iter()
        .find(|(time, _)| (*time - end_s).abs() < 1e-9)
        .map(|(_, value)| *value)
        .unwrap_or_else(|| panic!("no window ends at {end_s} s"))
}

/// Database reads per window ending after `after_s`.
fn reads_after(result: &RunResult, after_s: f64) -> Vec<f64> {
    series(result, "db", "reads")
        .into_iter()
        .filter(|(time, _)| *time > after_s)
        .map(|(_, reads)| reads)
        .collect()
}

#[test]
fn a_node_warmed_from_a_peer_rejoins_after_its_share_at_the_copy_rate_and_spares_the_database() {
    let rate = 1000.0;
    let result = simulate(&scenario(&text(&format!(
        "warm_restart = {{ from = \"peer\", rate = \"{rate}/s\" }}"
    ))));
    assert_conserved(&result);
    // Its share: what it held before it died (the window ending at 9 s).
    let share = at(&series(&result, "c.node[0]", "entries"), 9.0);
    assert!(share > 2000.0, "node 0 held {share} entries");
    assert_eq!(
        metric(&result, "c", "warm_loaded"),
        share,
        "the whole share copied"
    );
    let (warming, warm) = (event_at(&result, "warming"), event_at(&result, "warm"));
    assert_eq!(warming, 15.0);
    assert!(
        (warm - warming - share / rate).abs() < 1e-6,
        "warm after {} s, share / rate = {} s",
        warm - warming,
        share / rate
    );
    // While it warms it takes no traffic: nothing is filled there (the
    // copy lands at once when done), and it counts as warming.
    let entries = series(&result, "c.node[0]", "entries");
    let warming_nodes = series(&result, "c", "warming_nodes");
    for end in [16.0, 17.0] {
        assert_eq!(at(&entries, end), 0.0, "node 0 served nothing before {end} s");
        assert_eq!(at(&warming_nodes, end), 1.0);
    }
    assert_eq!(at(&entries, 18.0), share);
    assert_eq!(at(&warming_nodes, 18.0), 0.0);
    // After it rejoined, nothing misses: every key of its share is held,
    // and nothing expires or is written.
    let rejoined = warm.ceil();
    assert!(reads_after(&result, rejoined).iter().all(|&reads| reads == 0.0));

    // Without warming, the restarted node takes its keys back empty: a
    // herd of misses at the restart, higher than anything after a warm one.
    let cold = simulate(&scenario(&text("")));
    assert_conserved(&cold);
    let peak = |result: &RunResult| reads_after(result, 15.0).into_iter().fold(0.0, f64::max);
    assert!(
        peak(&result) < 0.5 * peak(&cold),
        "database read peak after the restart: {} warm, {} cold",
        peak(&result),
        peak(&cold)
    );
    assert!(metric(&result, "db", "reads") < metric(&cold, "db", "reads"));
}

#[test]
fn a_node_warmed_from_the_database_loads_its_hottest_keys_at_the_rate() {
    let (rate, keys) = (250.0, 500.0);
    let result = simulate(&scenario(&text(&format!(
        "warm_restart = {{ from = \"database\", rate = \"{rate}/s\", keys = {keys} }}"
    ))));
    assert_conserved(&result);
    let share = at(&series(&result, "c.node[0]", "entries"), 9.0);
    assert_eq!(metric(&result, "c", "warm_loaded"), keys);
    // One key started every 1 / rate, the last one (keys − 1) / rate after
    // the restart; it rejoins when that read is back (a few ms later).
    let took = event_at(&result, "warm") - event_at(&result, "warming");
    let last_start = (keys - 1.0) / rate;
    assert!(
        (last_start..last_start + 1.0).contains(&took),
        "warm after {took} s, last key started at {last_start} s"
    );
    // After it rejoined, only keys of its share beyond the hottest `keys`
    // can miss, each at most once (no TTL, no writes, room for every key).
    let after: f64 = reads_after(&result, event_at(&result, "warm").ceil())
        .iter()
        .sum();
    assert!(
        after <= share - keys,
        "{after} reads after the rejoin; at most {} keys of the share were not loaded",
        share - keys
    );
    // The warm-up's reads (`rate` per second) plus node 0's keys still on
    // node 1 stay below the herd a cold restart sends.
    let cold = simulate(&scenario(&text("")));
    let peak = |result: &RunResult| reads_after(result, 15.0).into_iter().fold(0.0, f64::max);
    assert!(
        peak(&result) < peak(&cold),
        "database read peak after the restart: {} warming, {} cold",
        peak(&result),
        peak(&cold)
    );
}

#[test]
fn a_node_killed_while_warming_starts_over_and_rejoins_once() {
    // Killed again at 16 s, 1 s into a 2.5 s copy, and back at 20 s: the
    // first warm-up's timer does nothing, the second one completes.
    let text = text("warm_restart = { from = \"peer\", rate = \"1000/s\" }")
        + "[[faults]]\nat = \"16s\"\nkill = \"cache.c.node[0]\"\nfor = \"4s\"\n";
    let result = simulate(&scenario(&text));
    assert_conserved(&result);
    let warms: Vec<f64> = result
        .events
        .iter()
        .filter(|event| event.kind == "warm")
        .map(|event| event.time.as_secs_f64())
        .collect();
    assert_eq!(warms.len(), 1, "one rejoin: {warms:?}");
    // Its peer still holds the share it was copying: the second copy is
    // the whole share again.
    let share = at(&series(&result, "c.node[0]", "entries"), 9.0);
    assert!(
        (warms[0] - 20.0 - share / 1000.0).abs() < 1e-6,
        "{warms:?}, share {share}"
    );
}

#[test]
fn warming_from_a_peer_shortens_the_cache_node_drill() {
    use crate::support::{scenario_file, shipped};
    let path = shipped("drill-cache-node.toml");
    let plain = simulate(&scenario_file(&path, &[]));
    let cured = simulate(&scenario_file(
        &path,
        &["cache.cache.warm_restart={ from = \"peer\", rate = \"20000/s\" }"],
    ));
    assert_conserved(&cured);
    let drill = "drill:cache.node[0]@180s";
    let (before, after) = (metric(&plain, drill, "rto_s"), metric(&cured, drill, "rto_s"));
    // As the scenario's header says: 122 s without, 101 s with.
    assert!(after <= 0.9 * before, "rto {before} s → {after} s");
    // 51 200 entries (200 MiB of 4 KiB values) at 20 000/s: 2.56 s.
    let took = event_at(&cured, "warm") - event_at(&cured, "warming");
    assert!((took - 51_200.0 / 20_000.0).abs() < 1e-6, "warm after {took} s");
    assert!(metric(&cured, "overall", "errors") < metric(&plain, "overall", "errors"));
}
