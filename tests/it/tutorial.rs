//! The scaling tutorial, step by step: each numbered scenario in
//! `scenarios/` promises, in its header comment, what changes from the step
//! before and which output shows it. One test per step runs the shipped file
//! and checks that promise on the measured outputs, so a model change that
//! breaks a lesson fails here. "≈" in a comment is checked to the stated
//! precision (the comments round to two digits; the tolerances below are
//! a few percent, far wider than the run-to-run noise of these long runs
//! but far narrower than the effect each step teaches).
//!
//! Steps 07–10, 12 and 15, and the drills, are checked in their feature's tests
//! (`cdn.rs`, `sessions.rs`, `regions.rs`, `queues.rs`, `autoscaling.rs`, `retry_budget.rs`,
//! `drills.rs`).

use crate::support::{assert_conserved, metric, scenario_file, shipped, simulate};
use capsim::results::RunResult;

fn run_step(file: &str, overrides: &[&str]) -> RunResult {
    let result = simulate(&scenario_file(&shipped(file), overrides));
    assert_conserved(&result);
    assert_eq!(
        metric(&result, "overall", "errors"),
        0.0,
        "{file} serves every request"
    );
    result
}

fn assert_near(what: &str, value: f64, expected: f64, tolerance: f64) {
    assert!(
        (value - expected).abs() <= tolerance,
        "{what} = {value:.4}, the scenario's comment says ≈ {expected} (± {tolerance})"
    );
}

/// Mean of a time series over the windows that end in `(from_s, to_s]`.
fn mean_between(result: &RunResult, scope: &str, name: &str, from_s: f64, to_s: f64) -> f64 {
    let values: Vec<f64> = result
        .timeseries
        .series(scope, name)
        .into_iter()
        .filter(|&(time, _)| time > from_s && time <= to_s)
        .map(|(_, value)| value)
        .collect();
    assert!(
        !values.is_empty(),
        "no {scope}/{name} windows in ({from_s}, {to_s}]"
    );
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn step_01_a_single_server_is_three_quarters_busy() {
    let single = run_step("01-single-server.toml", &[]);
    assert_near(
        "server,cpu_utilization",
        metric(&single, "server", "cpu_utilization"),
        0.74,
        0.02,
    );
}

#[test]
fn step_02_a_separate_database_frees_the_web_server() {
    let single = run_step("01-single-server.toml", &[]);
    let separate = run_step("02-separate-database.toml", &[]);
    assert_near(
        "web,cpu_utilization",
        metric(&separate, "web", "cpu_utilization"),
        0.30,
        0.02,
    );
    assert_near(
        "db,cpu_utilization",
        metric(&separate, "db", "cpu_utilization"),
        0.055,
        0.01,
    );
    assert!(
        metric(&separate, "db", "utilization") < 0.05,
        "a few percent of its connections"
    );
    let (before, after) = (
        metric(&single, "overall", "latency_p99_ms"),
        metric(&separate, "overall", "latency_p99_ms"),
    );
    assert!(
        after < before,
        "p99 lower than 01 despite the extra hops: {after} vs {before}"
    );
}

#[test]
fn step_03_a_bigger_box_takes_triple_the_load_until_it_is_the_old_box() {
    let separate = run_step("02-separate-database.toml", &[]);
    let big = run_step("03-vertical-scaling.toml", &[]);
    assert_near(
        "web,cpu_utilization",
        metric(&big, "web", "cpu_utilization"),
        0.23,
        0.02,
    );
    assert_near(
        "db,cpu_utilization",
        metric(&big, "db", "cpu_utilization"),
        0.17,
        0.02,
    );
    let p99_02 = metric(&separate, "overall", "latency_p99_ms");
    let p99_03 = metric(&big, "overall", "latency_p99_ms");
    assert!(
        (p99_03 / p99_02 - 1.0).abs() < 0.10,
        "p99 close to 02's: {p99_03:.1} vs {p99_02:.1} ms"
    );
    // The comment's "try": the old m5.large at the new load.
    let small = run_step("03-vertical-scaling.toml", &["pool.web.size=m5.large"]);
    assert_near(
        "m5.large cpu_utilization",
        metric(&small, "web", "cpu_utilization"),
        0.9,
        0.03,
    );
    let p99_small = metric(&small, "overall", "latency_p99_ms");
    assert!(
        p99_small > 1.25 * p99_03,
        "p99 up by a third: {p99_small:.1} vs {p99_03:.1} ms"
    );
}

#[test]
fn step_04_four_small_servers_match_the_big_one_evenly() {
    let big = run_step("03-vertical-scaling.toml", &[]);
    let spread = run_step("04-load-balancer.toml", &[]);
    assert_near("lb,imbalance", metric(&spread, "lb", "imbalance"), 1.0, 0.02);
    assert_near(
        "web,cpu_utilization",
        metric(&spread, "web", "cpu_utilization"),
        0.23,
        0.02,
    );
    assert_near(
        "www,cache_hit_ratio",
        metric(&spread, "www", "cache_hit_ratio"),
        0.78,
        0.02,
    );
    // Same cores, same price for the servers, the same database node: the
    // cost per request grows only by the balancer's hourly charge ($0.0225/h
    // on $0.384/h of servers and the database node's price).
    let database = capsim::scenario::builtin_size("db.m5.large")
        .unwrap()
        .price_per_hour;
    assert_near(
        "cost per million requests (04 / 03)",
        metric(&spread, "overall", "cost_per_million_requests_usd")
            / metric(&big, "overall", "cost_per_million_requests_usd"),
        1.0 + 0.0225 / (0.384 + database),
        0.01,
    );
    assert_near(
        "lb,cost_per_month_usd",
        metric(&spread, "lb", "cost_per_month_usd"),
        16.425,
        1e-9,
    );
}

#[test]
fn step_05_replicas_take_the_reads_and_lag_a_little() {
    let replicated = run_step("05-database-replication.toml", &["scenario.duration=\"5m\""]);
    assert_near(
        "db.primary,utilization",
        metric(&replicated, "db.primary", "utilization"),
        0.15,
        0.02,
    );
    for replica in ["db.replica[0]", "db.replica[1]"] {
        assert_near(replica, metric(&replicated, replica, "utilization"), 0.42, 0.02);
        assert_near(
            &format!("{replica},cpu_utilization"),
            metric(&replicated, replica, "cpu_utilization"),
            0.24,
            0.02,
        );
    }
    assert_near(
        "db,replication_lag_mean_ms",
        metric(&replicated, "db", "replication_lag_mean_ms"),
        2.0,
        0.2,
    );
    assert!(
        metric(&replicated, "db", "stale_reads") > 0.0,
        "some reads see an older version"
    );
    // Without replicas the one database is saturated (15.9 of 16 connections).
    let alone = simulate(&scenario_file(
        &shipped("05-database-replication.toml"),
        &["scenario.duration=\"5m\"", "database.db.replicas=0"],
    ));
    assert!(
        metric(&alone, "db", "utilization") > 0.97,
        "one database alone is saturated: {}",
        metric(&alone, "db", "utilization")
    );
    assert!(
        metric(&alone, "overall", "latency_p99_ms") > 2.0 * metric(&replicated, "overall", "latency_p99_ms"),
        "and p99 more than doubles"
    );
}

#[test]
fn step_06_a_cache_halves_the_database_reads() {
    let cached = run_step("06-cache.toml", &["scenario.duration=\"5m\""]);
    assert_near(
        "cache,hit_ratio",
        metric(&cached, "cache", "hit_ratio"),
        0.58,
        0.02,
    );
    assert_near(
        "db.replica[0],utilization",
        metric(&cached, "db.replica[0]", "utilization"),
        0.18,
        0.02,
    );
    assert!(
        metric(&cached, "cache", "evictions_per_s") > 800.0,
        "the cache is full and evicting"
    );
    assert!(
        metric(&cached, "cache", "stale_reads") > 0.0,
        "the cache-aside race happens"
    );
    // The cache warms up from empty: its first minute hits less than the rest.
    let first = mean_between(&cached, "cache", "hit_ratio", 0.0, 30.0);
    let later = mean_between(&cached, "cache", "hit_ratio", 120.0, 300.0);
    assert!(first < later - 0.1, "warm-up visible: {first:.3} then {later:.3}");
}

#[test]
fn step_11_resharding_halves_each_shards_load() {
    let sharded = run_step("11-sharding.toml", &[]);
    let shard0 = |from, to| mean_between(&sharded, "profiles_db.shard[0].primary", "utilization", from, to);
    let four = shard0(60.0, 300.0);
    let eight = shard0(420.0, 600.0);
    assert!(four > 0.5 && four < 0.7, "four shards at ≈ 0.6: {four:.3}");
    assert!(eight > 0.22 && eight < 0.38, "eight shards at ≈ 0.3: {eight:.3}");
    assert!(
        sharded.events.iter().any(|event| event.kind == "reshard_done"),
        "the reshard finishes"
    );
}

/// `docs/tutorial.md`, `docs/tutorial.sh` and `scenarios/` agree: every
/// numbered step and drill in `scenarios/` is in the script's table, every
/// table entry's scenario exists and its picture is on the page, and every
/// picture the page shows exists (`docs/tutorial.sh` makes them).
#[test]
fn step_13_the_balancer_saturates_first() {
    let result = run_step("13-balancer-capacity.toml", &[]);
    let lb = |name: &str| metric(&result, "lb", name);
    assert_near("lb,cpu_utilization", lb("cpu_utilization"), 0.84, 0.02);
    // M/M/1 at ρ = 0.84 with a 0.14 ms mean: Wq = ρS / (1 − ρ) = 0.735 ms.
    assert_near("lb,wait_mean_ms", lb("wait_mean_ms"), 0.74, 0.08);
    assert_near(
        "web,cpu_utilization",
        metric(&result, "web", "cpu_utilization"),
        0.75,
        0.02,
    );
    // Little's law for the connections: λ × their time from the balancer on.
    let inside_ms = lb("wait_mean_ms") + 0.14 + 2.0 * 0.2 + 3.0;
    assert_near(
        "lb,connections_mean",
        lb("connections_mean"),
        6000.0 * inside_ms / 1000.0,
        1.0,
    );
    assert_eq!(lb("rejected"), 0.0, "2 000 connections are plenty below capacity");
    // A second core takes the balancer out of the way.
    let two_cores = run_step("13-balancer-capacity.toml", &["balancer.lb.cores=2"]);
    assert!(metric(&two_cores, "lb", "wait_mean_ms") < 0.1);
    assert!(metric(&two_cores, "lb", "cpu_utilization") < 0.5);
    // Past its capacity (1 / 0.14 ms = 7 143/s) the queue grows until the
    // connection limit turns requests away.
    let over = simulate(&scenario_file(
        &shipped("13-balancer-capacity.toml"),
        &["workload.arrivals.rate=\"7400/s\""],
    ));
    assert_conserved(&over);
    assert!(metric(&over, "lb", "rejected") > 10_000.0);
    assert!(metric(&over, "lb", "connections_mean") > 1500.0);
}

#[test]
fn step_16_a_gray_failure_spreads_until_a_timeout_and_a_bulkhead_contain_it() {
    let file = shipped("16-gray-failure.toml");
    let header = std::fs::read_to_string(&file).expect("the scenario");
    let cure: Vec<&str> = header
        .lines()
        .find_map(|line| line.strip_prefix("# cure: --set "))
        .expect("a `# cure: --set PATH=VALUE [--set ...]` line")
        .split(" --set ")
        .collect();
    assert_eq!(
        cure,
        [
            "pool.web.endpoint.recs.steps[0].timeout=300ms",
            "pool.web.endpoint.recs.steps[0].bulkhead.max_concurrent=8"
        ]
    );
    // Before the slowdown (60 s): home p99 ≈ 25 ms, web ≈ 0.2 busy.
    let gray = simulate(&scenario_file(&file, &[]));
    assert_conserved(&gray);
    let home_before = mean_between(&gray, "class:home", "latency_p99_ms", 0.0, 60.0);
    assert_near("home p99 before", home_before, 25.0, 3.0);
    assert_near(
        "web utilization before",
        mean_between(&gray, "web", "utilization", 0.0, 60.0),
        0.19,
        0.02,
    );
    // During it every web worker waits on `recommend` and the home page,
    // which never calls it, waits seconds and times out.
    assert!(mean_between(&gray, "web", "utilization", 70.0, 180.0) > 0.99);
    let home_during = mean_between(&gray, "class:home", "latency_p99_ms", 65.0, 95.0);
    assert!(
        home_during > 1000.0,
        "home p99 during the slowdown: {home_during} ms"
    );
    assert!(metric(&gray, "class:home", "errors") > 10_000.0);

    // The cure: the home page keeps its p99 and loses nothing; the
    // recommendation calls fail at their timeout or at the bulkhead.
    let cured = simulate(&scenario_file(&file, &cure));
    assert_conserved(&cured);
    for (time, p99) in cured.timeseries.series("class:home", "latency_p99_ms") {
        assert!(p99 < 2.0 * home_before, "home p99 {p99} ms at {time} s");
    }
    assert_eq!(metric(&cured, "class:home", "errors"), 0.0);
    let timeouts = metric(&cured, "web", "call_timeouts");
    let walled = metric(&cured, "call:web->recommend/get", "bulkhead_rejected");
    assert!(
        timeouts > 1000.0 && walled > 1000.0,
        "{timeouts} timeouts, {walled} at the bulkhead"
    );
    assert_eq!(metric(&cured, "class:recs", "errors"), timeouts + walled);
}

#[test]
fn the_tutorial_page_covers_every_step_with_its_picture() {
    let root = crate::support::root();
    let script = std::fs::read_to_string(root.join("docs/tutorial.sh")).expect("docs/tutorial.sh");
    let page = std::fs::read_to_string(root.join("docs/tutorial.md")).expect("docs/tutorial.md");
    let table: Vec<&str> = script
        .lines()
        .filter_map(|line| line.split_once(".toml|").map(|(name, _)| name))
        .collect();
    for file in crate::support::shipped_scenarios() {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let is_step = name.as_bytes()[0].is_ascii_digit() || name.starts_with("drill-");
        if is_step {
            assert!(
                table.contains(&name.as_str()),
                "{name} is missing from docs/tutorial.sh"
            );
        }
    }
    for name in &table {
        assert!(
            shipped(&format!("{name}.toml")).exists(),
            "docs/tutorial.sh names {name}.toml"
        );
        let picture = format!("](tutorial/{name}.png)");
        assert!(
            page.contains(&picture),
            "docs/tutorial.md does not show {name}.png"
        );
    }
    for (index, _) in page.match_indices("](tutorial/") {
        let rest = &page[index + 2..];
        let path = &rest[..rest.find(')').expect("a closed link")];
        assert!(
            root.join("docs").join(path).is_file(),
            "docs/{path} is missing: run docs/tutorial.sh"
        );
    }
}
