//! Bytes on the wire and their price: traffic between regions counted per
//! region pair and priced per GB, balancers priced per GB processed, shard
//! nodes a reshard adds billed from the reshard, and the notes that say
//! what is unpriced or unsized.

use crate::support::{self, metric, scenario, simulate};
use capsim::metrics::catalog;
use predicates::str::contains;

const REQUEST: f64 = 2048.0; // api/get's request_size, 2KiB
const RESPONSE: f64 = 10240.0; // api/get's response_size, 10KiB
const VALUE: f64 = 3000.0; // the keyspace's value_size
const FRONT: f64 = 1024.0 + 4096.0; // web/front's request_size + response_size

/// Users in `us` call `lb/front` in dc-us, which calls `api/get` in dc-eu
/// and writes the database whose primary stands in dc-eu and replica in
/// dc-us; arrivals all but stop at 20 s, so every call has ended by 30 s. Service
/// is constant: no timeout, no failure.
const TWO_REGIONS: &str = r#"
[scenario]
duration = "30s"
window = "10s"

[workload]
arrivals = { kind = "open", rate = "50/s", users = 1000 }
profile = [{ at = "20s", rate = "1/h" }]
mix = [{ class = "c", call = "lb/front", key = "items" }]

[region.us]
users = 1
[region.eu]
users = 1
[region.ap]
users = 1
[datacenter.dc-us]
region = "us"
[datacenter.dc-eu]
region = "eu"
[datacenter.dc-ap]
region = "ap"

[[network.link]]
between = ["us", "eu"]
latency = "40ms"
price_per_gb = 0.05

[balancer.lb]
pool = "web"
datacenter = "dc-us"
price_per_hour = 0.03
price_per_gb = 0.01

[pool.web]
instances = 1
workers = 1000
datacenter = "dc-us"
endpoint.front = { service = "1ms", request_size = "1KiB", response_size = "4KiB", steps = [
  { call = "api/get" },
  { write = "db" },
] }

[pool.api]
instances = 1
workers = 1000
datacenter = "dc-eu"
endpoint.get = { service = "1ms", request_size = "2KiB", response_size = "10KiB" }

[keyspace.items]
keys = 1000
value_size = "3000B"

[database.db]
keyspace = "items"
connections = 1000
read = "1ms"
write = "1ms"
replicas = 1
datacenter = "dc-eu"
replica_datacenters = ["dc-us"]
"#;

fn two_regions() -> capsim::scenario::Scenario {
    scenario(TWO_REGIONS)
}

#[test]
fn bytes_between_regions_are_the_calls_times_their_sizes_and_cost_their_price() {
    let result = simulate(&two_regions());
    let completed = metric(&result, "overall", catalog::COMPLETED.name);
    assert!(completed > 500.0, "{completed}");
    assert_eq!(metric(&result, "overall", catalog::ERRORS.name), 0.0);
    assert_eq!(metric(&result, "overall", catalog::IN_FLIGHT_AT_END.name), 0.0);
    // Each request: api/get's request and reply cross, the write's value
    // goes to the primary in eu and comes back to the replica in us.
    let expected = completed * (REQUEST + RESPONSE + VALUE + VALUE);
    let bytes = metric(&result, "link:us/eu", catalog::CROSS_REGION_BYTES.name);
    assert_eq!(bytes, expected);
    let cost = metric(&result, "link:us/eu", catalog::COST_USD.name);
    assert!((cost - expected / 1e9 * 0.05).abs() <= 1e-15, "{cost}");
    // The windows add up to the summary.
    let windows: f64 = support::series(&result, "link:us/eu", catalog::CROSS_REGION_BYTES.name)
        .iter()
        .map(|(_, value)| value)
        .sum();
    assert_eq!(windows, expected);
    // Regions that exchange nothing: a row at 0, priced at the network's
    // default but costing nothing.
    for pair in ["link:us/ap", "link:eu/ap"] {
        assert_eq!(metric(&result, pair, catalog::CROSS_REGION_BYTES.name), 0.0);
        assert_eq!(metric(&result, pair, catalog::COST_USD.name), 0.0);
    }
}

#[test]
fn a_balancer_costs_its_hours_and_the_bytes_it_processes() {
    let result = simulate(&two_regions());
    let forwarded = metric(&result, "lb", catalog::FORWARDED.name);
    let processed = metric(&result, "lb", catalog::PROCESSED_BYTES.name);
    assert_eq!(processed, forwarded * FRONT);
    let expected = 0.03 * 30.0 / 3600.0 + processed / 1e9 * 0.01;
    let cost = metric(&result, "lb", catalog::COST_USD.name);
    assert!((cost - expected).abs() <= 1e-15, "{cost} != {expected}");
}

#[test]
fn traffic_within_a_region_is_free_and_uncounted() {
    // Everything in us: nothing crosses.
    let text = TWO_REGIONS.replace("datacenter = \"dc-eu\"", "datacenter = \"dc-us\"");
    let result = simulate(&scenario(&text));
    assert_eq!(
        metric(&result, "link:us/eu", catalog::CROSS_REGION_BYTES.name),
        0.0
    );
    assert_eq!(metric(&result, "link:us/eu", catalog::COST_USD.name), 0.0);
}

/// Scenario 11's shape: a database on db.m5.large resharded from one to two
/// shards at 40 s of 100 s. The second shard's node is billed from 40 s.
#[test]
fn shard_nodes_a_reshard_adds_are_billed_from_the_reshard() {
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "100s"
window = "10s"

[workload]
arrivals = { kind = "open", rate = "20/s" }
mix = [{ class = "c", call = "web/a", key = "k" }]

[pool.web]
workers = 100
endpoint.a = { service = "1ms", steps = [{ write = "db" }] }

[keyspace.k]
keys = 1000

[database.db]
keyspace = "k"
size = "db.m5.large"
reshard = { at = "40s", shards = 2, rate = "1000/s" }
"#,
    ));
    let price = capsim::scenario::builtin_size("db.m5.large")
        .unwrap()
        .price_per_hour;
    let expected = price * (100.0 + 60.0) / 3600.0;
    let cost = metric(&result, "db", catalog::COST_USD.name);
    assert!((cost - expected).abs() <= 1e-12, "{cost} != {expected}");
}

/// A database without a size is said to be unpriced, by `validate` and by
/// `run`; scenario 09's `db` has none.
#[test]
fn a_database_without_a_size_is_named_by_validate_and_run() {
    let line = "database `db` has no `size`: one core per connection at speed 1, unpriced";
    support::capsim()
        .arg("validate")
        .arg(support::shipped("09-multi-datacenter.toml"))
        .assert()
        .success()
        .stdout(contains(format!("note: {line}")));
    let out = tempfile::tempdir().unwrap();
    support::capsim()
        .arg("run")
        .arg(support::shipped("09-multi-datacenter.toml"))
        .args(["--set", "scenario.duration=20s", "--set", "scenario.warmup=10s"])
        .arg("--out")
        .arg(out.path().join("run"))
        .assert()
        .success()
        .stdout(contains(format!("  note     {line}")))
        .stdout(contains("; traffic between regions $"));
}
