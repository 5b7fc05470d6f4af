//! Stale-while-revalidate at a cache (`stale_while_revalidate`): a lookup
//! within the window after an entry's TTL ran out is a stale hit and sends
//! one background refresh per key; past the window it is a miss.

use crate::support::{assert_conserved, metric, scenario, series, simulate};

/// One user asking for one key with a constant 10 ms think time, every
/// time constant and the network instant: a lookup every ~10.1 ms. TTL 1 s,
/// a 500 ms window, a 5 ms database read.
fn text(extra: &str) -> String {
    format!(
        r#"
[scenario]
duration = "20s"
window = "1s"
[workload]
arrivals = {{ kind = "closed", users = 1, think = "10ms" }}
mix = [{{ class = "q", call = "app/get", key = "k" }}]
[network]
default = "0s"
[keyspace.k]
keys = 1
[pool.app]
workers = 10
[pool.app.endpoint.get]
service = "0s"
steps = [{{ read = "db", cache = "c" }}]
[cache.c]
keyspace = "k"
latency = "100us"
cpu = "0s"
capacity = 10
ttl = "1s"
stale_while_revalidate = "500ms"
[database.db]
keyspace = "k"
connections = 10
read = "5ms"
read_cpu = "0s"
{extra}"#
    )
}

#[test]
fn each_ttl_cycle_costs_one_database_read_and_lookups_never_wait() {
    let result = simulate(&scenario(&text("")));
    assert_conserved(&result);
    let (reads, refreshes) = (metric(&result, "db", "reads"), metric(&result, "c", "refreshes"));
    // Only the very first lookup misses; every later read is a refresh.
    assert_eq!(metric(&result, "c", "misses"), 1.0);
    assert_eq!(
        reads,
        1.0 + refreshes,
        "one read for the cold miss, one per refresh"
    );
    // One refresh per expiry: each TTL that ran out was renewed once. The
    // refresh (5 ms) is back before the next lookup (10.1 ms), so each
    // cycle has exactly one stale hit.
    assert_eq!(refreshes, metric(&result, "c", "expired"));
    assert_eq!(metric(&result, "c", "stale_hits"), refreshes);
    assert_eq!(metric(&result, "c", "failed_refreshes"), 0.0);
    // 20 s of 1 s TTLs renewed about 10 ms after they ran out.
    assert!((18.0..=20.0).contains(&refreshes), "{refreshes} refreshes");
    assert_eq!(
        metric(&result, "c", "fills"),
        reads,
        "each read filled the key once"
    );
    assert_eq!(metric(&result, "overall", "errors"), 0.0);

    // Without the window every expiry is a miss the request waits for.
    let plain = simulate(&scenario(
        &text("").replace("stale_while_revalidate = \"500ms\"", ""),
    ));
    assert_conserved(&plain);
    assert_eq!(metric(&plain, "c", "misses"), metric(&plain, "db", "reads"));
    assert!(metric(&plain, "c", "expirations") >= 18.0);
}

#[test]
fn with_the_database_down_stale_data_is_served_only_within_the_window() {
    // The database is down from 5 s to 8 s: the entry's TTL runs out in
    // that time, its refreshes fail, and it is served stale for 500 ms,
    // then misses (which fail) until the database is back.
    let down = text("[[faults]]\nat = \"5s\"\nkill = \"database.db.primary\"\nfor = \"3s\"\n");
    let result = simulate(&scenario(&down));
    assert_conserved(&result);
    // Lookups come every 10 ms + 100 µs (think + cache latency; a stale
    // hit answers at once): 500 ms holds ⌈500 / 10.1⌉ = 50 of them. Each
    // stale hit while the database is down found no refresh in flight (the
    // one before failed at once) and sent one, which failed.
    let period_s = 0.0101;
    let within = (0.5_f64 / period_s).ceil();
    let failed = metric(&result, "c", "failed_refreshes");
    assert!(
        (within - 1.0..=within).contains(&failed),
        "{failed} stale hits with the database down, {within} lookups fit in the window"
    );
    // Past the window, lookups miss: the requests fail while the database
    // is down, so no stale answer older than the window was given.
    let errors = metric(&result, "overall", "errors");
    assert!(errors > 100.0, "{errors} errors");
    assert_eq!(
        metric(&result, "c", "misses"),
        errors + 1.0 + 1.0,
        "the cold miss, the failed ones, the first back"
    );
    // Stale hits per window never exceed the lookups a 500 ms window holds.
    for (time, stale) in series(&result, "c", "stale_hits") {
        assert!(
            stale <= within,
            "{stale} stale hits in the window ending at {time} s"
        );
    }
}

#[test]
fn stale_while_revalidate_needs_a_ttl() {
    let text = text("").replace("ttl = \"1s\"\n", "");
    let Err(error) = capsim::scenario::load_str(&text) else {
        panic!("a window without a TTL must be refused");
    };
    let message = error.to_string();
    assert!(
        message.contains("`stale_while_revalidate` needs `ttl`"),
        "{message}"
    );
}
