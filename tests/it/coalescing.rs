//! Request coalescing at a cache (`coalesce`, memcached-style leases): a
//! burst of cold misses reads the database once per key and fill, the
//! other lookups wait for that fill; a lease whose holder never fills ends
//! by its timeout and its waiters go to the database themselves.

use crate::support::{assert_conserved, metric, scenario, simulate};

/// 20 000 reads/s over 50 uniform keys through an empty cache big enough
/// for all of them, with a 50 ms database read: about 400 lookups per key
/// per second, so about 20 lookups of each key miss while its first read
/// is in flight. No TTL, no writes: each key is filled once.
fn text(cache: &str) -> String {
    format!(
        r#"
[scenario]
duration = "2s"
window = "1s"
[workload]
arrivals = {{ kind = "open", rate = "20000/s" }}
mix = [{{ class = "q", call = "app/get", key = "k" }}]
[keyspace.k]
keys = 50
[pool.app]
workers = 100000
[pool.app.endpoint.get]
service = "0s"
steps = [{{ read = "db", cache = "c" }}]
[cache.c]
keyspace = "k"
latency = "100us"
capacity = 1000
{cache}
[database.db]
keyspace = "k"
connections = 100000
read = "50ms"
read_cpu = "0s"
"#
    )
}

#[test]
fn a_cold_key_burst_reads_the_database_once_per_key_and_fill() {
    let result = simulate(&scenario(&text("coalesce = true")));
    assert_conserved(&result);
    let reads = metric(&result, "db", "reads");
    let fills = metric(&result, "c", "fills");
    assert_eq!(fills, 50.0, "each key is filled once");
    assert_eq!(reads, fills, "one database read per key per fill");
    let misses = metric(&result, "c", "misses");
    assert_eq!(
        metric(&result, "c", "coalesced_lookups"),
        misses - 50.0,
        "every other miss waited for the fill"
    );
    assert!(misses > 500.0, "the burst was real: {misses} misses");
    assert_eq!(metric(&result, "c", "lease_expiries"), 0.0);
    assert_eq!(metric(&result, "overall", "errors"), 0.0);

    // Without coalescing every miss in the burst reads the database.
    let plain = simulate(&scenario(&text("")));
    assert_conserved(&plain);
    assert_eq!(metric(&plain, "db", "reads"), metric(&plain, "c", "misses"));
    assert!(metric(&plain, "db", "reads") > 10.0 * reads);
}

#[test]
fn a_lease_whose_fill_never_comes_expires_and_its_waiters_read_the_database() {
    // The database is down for the first 0.5 s: the lease holders' reads
    // fail (no fill), so their leases end by the 200 ms timeout and the
    // keys are read again once the database is back.
    let faulted = text("coalesce = true\nlease_timeout = \"200ms\"")
        + "[[faults]]\nat = \"0s\"\nkill = \"database.db.primary\"\nfor = \"500ms\"\n";
    let result = simulate(&scenario(&faulted));
    assert_conserved(&result);
    assert!(metric(&result, "c", "lease_expiries") >= 50.0);
    assert!(
        metric(&result, "c", "fills") >= 50.0,
        "every key filled in the end"
    );
    assert!(metric(&result, "overall", "errors") > 0.0);
}

#[test]
fn coalescing_shortens_the_cache_node_drill() {
    use crate::support::{scenario_file, shipped};
    let plain = simulate(&scenario_file(&shipped("drill-cache-node.toml"), &[]));
    let cured = simulate(&scenario_file(
        &shipped("drill-cache-node.toml"),
        &["cache.cache.coalesce=true"],
    ));
    assert_conserved(&cured);
    let drill = "drill:cache.node[0]@180s";
    let (before, after) = (metric(&plain, drill, "rto_s"), metric(&cured, drill, "rto_s"));
    // As the scenario's header says: 122 s without, 100 s with.
    assert!(after <= 0.9 * before, "rto {before} s → {after} s");
    assert!(metric(&cured, "cache", "coalesced_lookups") > 10_000.0);
    assert!(metric(&cured, "db", "reads") < metric(&plain, "db", "reads"));
}
