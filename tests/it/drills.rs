//! Failover drills: each drill scenario's promised consequence, measured.

use crate::support::{assert_conserved, metric, scenario_file, shipped, simulate};
use capsim::results::RunResult;

fn series(result: &RunResult, scope: &str, name: &str) -> Vec<(f64, f64)> {
    result.timeseries.series(scope, name)
}

fn drill_scope(result: &RunResult) -> String {
    result
        .summary
        .rows
        .iter()
        .find(|row| row.scope.starts_with("drill:"))
        .map(|row| row.scope.clone())
        .expect("the run has a drill")
}

#[test]
fn a_single_server_fails_every_request_for_its_whole_outage() {
    let result = simulate(&scenario_file(&shipped("drill-single-server.toml"), &[]));
    assert_conserved(&result);
    // Windows are 1 s (time is the window's end): 121..=180 are inside the
    // outage (120 s to 180 s). Requests already past the server just before
    // the crash are reset, the rest refused: every one of them fails.
    for (time, error_rate) in series(&result, "overall", "error_rate") {
        if time > 121.0 && time <= 180.0 {
            assert_eq!(error_rate, 1.0, "window ending {time}");
        }
        if time <= 120.0 || time > 182.0 {
            assert_eq!(error_rate, 0.0, "window ending {time}");
        }
    }
    let drill = drill_scope(&result);
    let rto = metric(&result, &drill, "rto_s");
    assert!((60.0..=62.0).contains(&rto), "rto {rto}");
    assert!(metric(&result, &drill, "errors_refused") > 0.99 * 600.0 * 58.0);
}

#[test]
fn a_health_checked_pool_fails_only_until_the_balancer_notices() {
    let result = simulate(&scenario_file(&shipped("drill-load-balanced-pool.toml"), &[]));
    assert_conserved(&result);
    let drill = drill_scope(&result);
    // Probes every 2 s, out after 3 failures: detected within 6 s (the
    // kill lands between probes, so 4–6 s).
    let detect = metric(&result, &drill, "time_to_detect_s");
    assert!(detect > 0.0 && detect <= 6.0, "detected after {detect} s");
    // Errors only from the fault until detection (plus the second in which
    // requests already sent to the dead server come back refused).
    for (time, errors) in series(&result, "overall", "errors") {
        let outside = time <= 120.0 || time > 120.0 + detect + 1.0;
        if outside {
            assert_eq!(errors, 0.0, "window ending {time}");
        }
    }
    assert!(metric(&result, &drill, "errors_refused") > 0.0);
    assert!(metric(&result, &drill, "rto_s") <= detect + 2.0);
    // The pool goes 3 → 2 in rotation at detection, and back after repair.
    let rotation = series(&result, "lb", "in_rotation");
    assert!(rotation.iter().any(|&(_, n)| n == 2.0));
    assert_eq!(rotation.last().unwrap().1, 3.0);
}

#[test]
fn retries_mostly_hide_a_dead_server_behind_a_round_robin_balancer() {
    let plain = simulate(&scenario_file(
        &shipped("drill-load-balanced-pool.toml"),
        &["balancer.lb.policy=round_robin"],
    ));
    let retried = simulate(&scenario_file(
        &shipped("drill-load-balanced-pool.toml"),
        &["balancer.lb.policy=round_robin", "workload.retry.retries=2"],
    ));
    // A refused attempt is retried on whichever server is next in turn,
    // the dead one a third of the time: a request that failed once fails
    // for good only if both retries fail too, (1/3)² = 1/9 of them. With
    // ~800 failures without retries, ~90 are expected: Poisson sd ~9.5, so
    // [1/9 − 4 sd, 1/9 + 4 sd] of the plain count is about [0.06, 0.16].
    let (before, after) = (
        metric(&plain, "overall", "errors"),
        metric(&retried, "overall", "errors"),
    );
    assert!(before > 500.0, "{before}");
    let share = after / before;
    assert!(
        (0.06..0.16).contains(&share),
        "errors {before} → {after}: {share:.3} kept, 1/9 expected"
    );
    // …at the price of retry traffic: amplification is visible.
    assert!(metric(&retried, "overall", "retries") > 0.9 * before);
}

#[test]
fn least_connections_drags_traffic_into_a_server_that_refuses_fast() {
    // A crashed server refuses at once, so it never holds a connection and
    // always looks least loaded: it attracts more than its third of the
    // traffic until the health checks take it out (a black hole).
    let result = simulate(&scenario_file(&shipped("drill-load-balanced-pool.toml"), &[]));
    let drill = drill_scope(&result);
    let refused = metric(&result, &drill, "errors_refused");
    let detect = metric(&result, &drill, "time_to_detect_s");
    let fair_share = 600.0 * detect / 3.0;
    assert!(
        refused > 1.5 * fair_share,
        "{refused} refused vs a third: {fair_share}"
    );
}

#[test]
fn async_failover_loses_the_writes_in_flight_and_semi_sync_loses_none() {
    let asynchronous = simulate(&scenario_file(&shipped("drill-primary-database.toml"), &[]));
    let semi_sync = simulate(&scenario_file(
        &shipped("drill-primary-database.toml"),
        &["database.db.replication.mode=semi_sync"],
    ));
    assert_conserved(&asynchronous);
    assert_conserved(&semi_sync);
    let drill = drill_scope(&asynchronous);
    // Detected after 10 s, promoted 5 s later: writes fail for ~15 s.
    assert_eq!(metric(&asynchronous, &drill, "time_to_detect_s"), 10.0);
    let rto = metric(&asynchronous, &drill, "rto_s");
    assert!((15.0..=17.0).contains(&rto), "rto {rto}");
    // Writes are shipped 20 ms after commit at 300 writes/s: about 6 were
    // acknowledged but not yet received when the primary died. They are
    // lost, and the lost window is at most the 20 ms shipping delay.
    let lost = metric(&asynchronous, &drill, "lost_writes");
    assert!((1.0..=20.0).contains(&lost), "lost {lost}");
    let rpo = metric(&asynchronous, &drill, "rpo_s");
    assert!(rpo > 0.0 && rpo <= 0.0205, "rpo {rpo}");
    assert_eq!(metric(&asynchronous, "db", "lost_writes"), lost);
    // Semi-sync acknowledges only what a replica has received: none lost.
    let drill = drill_scope(&semi_sync);
    assert_eq!(metric(&semi_sync, &drill, "lost_writes"), 0.0);
    // Only writes fail during the outage; reads go on at the replicas.
    assert!(metric(&asynchronous, "class:view_item", "errors") == 0.0);
    assert!(metric(&asynchronous, "class:update_item", "errors") > 0.0);
}

#[test]
fn a_dead_cache_node_sends_a_herd_to_the_database() {
    let result = simulate(&scenario_file(&shipped("drill-cache-node.toml"), &[]));
    assert_conserved(&result);
    let reads = series(&result, "db", "reads");
    let at = |time: f64| reads.iter().find(|&&(t, _)| t == time).unwrap().1;
    // Reads per second before (170–180 s) and right after (181–185 s).
    let before: f64 = (171..=180).map(|t| at(t as f64)).sum::<f64>() / 10.0;
    let after: f64 = (181..=185).map(|t| at(t as f64)).sum::<f64>() / 5.0;
    // The node held about half the hits: ~0.58 × 2700 reads/s / 2 more
    // reach the database (until the replicas saturate and queue).
    assert!(after > before * 1.3, "db reads/s {before} → {after}");
    let drill = drill_scope(&result);
    assert!(metric(&result, &drill, "rto_s") > 30.0);
}

#[test]
fn random_faults_are_deterministic() {
    let text = std::fs::read_to_string(shipped("drill-load-balanced-pool.toml")).unwrap();
    let random = text.replace(
        "[[faults]]\nat = \"2m\"\nkill = \"pool.web.instance[1]\"\nfor = \"1m\"",
        "[[faults]]\nkill = \"pool.web.instance[1]\"\nmtbf = { dist = \"exp\", mean = \"40s\" }\nmttr = { dist = \"exp\", mean = \"10s\" }",
    );
    assert_ne!(random, text, "the fault was replaced");
    let loaded = capsim::scenario::load_str(&random).expect("valid").scenario;
    let first = simulate(&loaded);
    let second = simulate(&loaded);
    // Compared as the CSV bytes a user would get (a full `RunResult` in an
    // assertion message is megabytes).
    let csv = |result: &RunResult| capsim::report::summary_csv(&result.summary);
    assert!(csv(&first) == csv(&second), "same seed, same summary");
    assert!(first.events == second.events, "same seed, same fault times");
    let kills: Vec<f64> = first
        .events
        .iter()
        .filter(|event| event.kind == "kill")
        .map(|event| event.time.as_secs_f64())
        .collect();
    assert!(kills.len() >= 3, "{kills:?}");
    let mut other = loaded.clone();
    other.seed = 2;
    let moved: Vec<f64> = simulate(&other)
        .events
        .iter()
        .filter(|event| event.kind == "kill")
        .map(|event| event.time.as_secs_f64())
        .collect();
    assert_ne!(kills, moved, "another seed draws other fault times");
}
