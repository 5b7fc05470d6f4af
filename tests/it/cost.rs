//! Cost: every priced component has its own `cost_usd` and
//! `cost_per_month_usd` rows, the rows add up to `overall`, and a price on a
//! balancer or broker is billed for the whole measured time.

use crate::support::{scenario, scenario_file, shipped_scenarios, simulate};
use capsim::metrics::catalog as metric;

/// Shortened so that every shipped scenario runs in a few seconds.
const SHORT: [&str; 2] = ["scenario.duration=90s", "scenario.warmup=30s"];

fn rows<'a>(result: &'a capsim::results::RunResult, name: &str) -> Vec<(&'a str, f64)> {
    result
        .summary
        .rows
        .iter()
        .filter(|row| row.metric == name)
        .map(|row| (row.scope.as_str(), row.value))
        .collect()
}

#[test]
fn component_costs_add_up_to_overall_in_every_shipped_scenario() {
    for path in shipped_scenarios() {
        let result = simulate(&scenario_file(&path, &SHORT));
        for name in [metric::COST_USD.name, metric::COST_PER_MONTH_USD.name] {
            let rows = rows(&result, name);
            let overall = rows
                .iter()
                .find(|(scope, _)| *scope == "overall")
                .map(|(_, value)| *value)
                .unwrap_or_else(|| panic!("{}: no overall {name}", path.display()));
            let parts: f64 = rows
                .iter()
                .filter(|(scope, _)| *scope != "overall")
                .map(|(_, v)| v)
                .sum();
            assert!(
                (parts - overall).abs() <= 1e-9 * overall.abs().max(1.0),
                "{}: {name} of the components {parts} != overall {overall} ({rows:?})",
                path.display()
            );
        }
    }
}

#[test]
fn every_priced_kind_has_a_cost_row() {
    let scenario = scenario(
        r#"
[scenario]
duration = "100s"
warmup = "10s"

[workload]
arrivals = { kind = "open", rate = "50/s", users = 1000 }
mix = [{ class = "upload", call = "lb/upload" }]

[balancer.lb]
pool = "web"
price_per_hour = 0.05

[pool.web]
instances = 2
size = "m5.large"
workers = 8
endpoint.upload = { service = "2ms", steps = [
  { write = "photos", service = "1ms" },
  { enqueue = "jobs" },
] }

[pool.workers]
instances = 1
workers = 4
endpoint.job = { service = "5ms" }

[queue.jobs]
consumer = "workers/job"
price_per_hour = 0.5

[database.photos]
"#,
    );
    let result = simulate(&scenario);
    let cost = |scope: &str| {
        result
            .summary
            .get(scope, metric::COST_USD.name)
            .unwrap_or_else(|| panic!("no cost_usd row for {scope}"))
    };
    let measured_h = 90.0 / 3600.0;
    // Balancer and broker: their price for the whole measured time.
    assert!((cost("lb") - 0.05 * measured_h).abs() < 1e-12, "{}", cost("lb"));
    assert!(
        (cost("jobs") - 0.5 * measured_h).abs() < 1e-12,
        "{}",
        cost("jobs")
    );
    // Two m5.large instances up the whole time ($0.096/h each).
    assert!(
        (cost("web") - 2.0 * 0.096 * measured_h).abs() < 1e-9,
        "{}",
        cost("web")
    );
    // Unpriced components still have their row, at 0.
    assert_eq!(cost("workers"), 0.0);
    assert_eq!(cost("photos"), 0.0);
    let per_month = result.summary.get("lb", metric::COST_PER_MONTH_USD.name).unwrap();
    assert!((per_month - 0.05 * 730.0).abs() < 1e-9, "{per_month}");
}

/// Moving the database to its own machine (02) adds that machine's price:
/// the database node on `db.m5.large`, billed for the whole month.
#[test]
fn a_separate_database_costs_its_node_per_month() {
    let one = simulate(&scenario_file(
        &crate::support::shipped("01-single-server.toml"),
        &SHORT,
    ));
    let two = simulate(&scenario_file(
        &crate::support::shipped("02-separate-database.toml"),
        &SHORT,
    ));
    let node = capsim::scenario::builtin_size("db.m5.large").expect("a built-in size");
    assert!(node.price_per_hour > 0.0);
    let month = |result: &capsim::results::RunResult, scope: &str| {
        result
            .summary
            .get(scope, metric::COST_PER_MONTH_USD.name)
            .unwrap()
    };
    let expected = node.price_per_hour * 730.0;
    assert!(
        (month(&two, "db") - expected).abs() < 1e-9,
        "{}",
        month(&two, "db")
    );
    let difference = month(&two, "overall") - month(&one, "overall");
    assert!(
        (difference - expected).abs() < 1e-9,
        "02 - 01 = {difference}, node {expected}"
    );
}

/// A cache's nodes are billed at their size's price while up: scenario 06
/// runs two `r5.large` nodes the whole time.
#[test]
fn cache_nodes_cost_their_size() {
    let result = simulate(&scenario_file(&crate::support::shipped("06-cache.toml"), &SHORT));
    let size = capsim::scenario::builtin_size("r5.large").unwrap();
    let month = result
        .summary
        .get("cache", metric::COST_PER_MONTH_USD.name)
        .unwrap();
    assert!(
        (month - 2.0 * size.price_per_hour * 730.0).abs() < 1e-9,
        "{month}"
    );
}

/// A component's nodes (shards, replicas, cache nodes, a pool's stations in
/// several data centers) have no cost rows of their own: the component's
/// row holds their cost, so nothing is counted twice or listed as unpriced.
#[test]
fn node_rows_carry_no_cost() {
    let result = simulate(&scenario_file(
        &crate::support::shipped("11-sharding.toml"),
        &SHORT,
    ));
    assert!(result.summary.get("profiles_db", metric::COST_USD.name).unwrap() > 0.0);
    assert!(
        result
            .summary
            .get("profiles_db.shard[0].primary", metric::UTILIZATION.name)
            .is_some()
    );
    assert_eq!(
        result
            .summary
            .get("profiles_db.shard[0].primary", metric::COST_USD.name),
        None
    );
}
