//! A cache client whose key's node is down (`on_node_failure = "miss"`)
//! treats the lookup as a miss, and drops the fill and the delete that
//! would follow: `unavailable_lookups` and `lookups` count lookups only,
//! so a request that reads through the cache is one lookup whatever
//! happens to the node.

use crate::support::{assert_conserved, metric, scenario, simulate};

/// 2 000 reads/s over 5 000 keys through two nodes; node 0 is down from
/// 10 s to 15 s. Every request makes exactly one lookup.
const TEXT: &str = r#"
[scenario]
duration = "30s"
warmup = "0s"
window = "1s"
[workload]
arrivals = { kind = "open", rate = "2000/s" }
mix = [{ class = "q", call = "app/get", key = "k" }]
[keyspace.k]
keys = 5000
popularity = { zipf = 0.8 }
[pool.app]
workers = 10000
[pool.app.endpoint.get]
service = "0s"
steps = [{ read = "db", cache = "c" }]
[cache.c]
keyspace = "k"
nodes = 2
capacity = 5000
warm = true
on_node_failure = "miss"
latency = "100us"
[database.db]
keyspace = "k"
connections = 10000
read = "1ms"
read_cpu = "0s"
[[faults]]
at = "10s"
kill = "cache.c.node[0]"
for = "5s"
"#;

#[test]
fn a_down_node_counts_each_lookup_once_and_no_fill() {
    let result = simulate(&scenario(TEXT));
    assert_conserved(&result);
    let served = metric(&result, "app", "served");
    let lookups = metric(&result, "c", "lookups");
    let unavailable = metric(&result, "c", "unavailable_lookups");
    let hits = metric(&result, "c", "hits");
    let misses = metric(&result, "c", "misses");
    // One lookup per request: those still in flight at the end (2 000/s ×
    // about 1.1 ms) are the only difference.
    assert!(
        lookups >= served && lookups <= served + 50.0,
        "lookups {lookups}, served {served}"
    );
    assert_eq!(lookups, hits + misses);
    // Node 0 holds about half the keys' traffic (more: Zipf's hottest key
    // is one node's) for 5 s: between a quarter and three quarters of
    // 10 000 lookups; before, the fill after each database read was
    // counted too, doubling it.
    assert!(
        (2_500.0..=7_500.0).contains(&unavailable),
        "unavailable_lookups {unavailable}"
    );
    assert!(unavailable <= misses, "{unavailable} > misses {misses}");
}
