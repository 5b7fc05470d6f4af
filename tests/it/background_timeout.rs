//! Timeouts on a cache's background reads (`background_timeout`, or the read
//! step's `timeout`): a stale-while-revalidate refresh or a warm restart's
//! database read sent to a database node that hangs gives up, instead of
//! holding the key's refresh, or the node's warm-up, forever.

use capsim::results::RunResult;

use crate::support::{assert_conserved, metric, scenario, series, simulate};

/// One user asking for one key every ~10.1 ms (10 ms think, 100 µs cache
/// latency), the network instant. TTL 1 s and a 5 s stale window; a 5 ms
/// database read (`read_cpu` 1 ms of it). The database's primary hangs
/// from 5 s to 6 s (or is slowed: `fault`).
fn refreshing(step: &str, cache: &str, fault: &str) -> String {
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
steps = [{{ read = "db", cache = "c"{step} }}]
[cache.c]
keyspace = "k"
latency = "100us"
cpu = "0s"
capacity = 10
ttl = "1s"
stale_while_revalidate = "5s"
{cache}
[database.db]
keyspace = "k"
connections = 10
read = "4ms"
read_cpu = "1ms"
[[faults]]
at = "5s"
kill = "database.db.primary"
for = "1s"
{fault}
"#
    )
}

const HANG: &str = "mode = \"hang\"";

/// Refreshes started after `after_s` (in windows ending later).
fn refreshes_after(result: &RunResult, after_s: f64) -> f64 {
    series(result, "c", "refreshes")
        .into_iter()
        .filter(|(time, _)| *time > after_s)
        .map(|(_, count)| count)
        .sum()
}

/// Refreshes still in flight at the end: started, less those that failed
/// and those that renewed the entry (every fill but the misses' is a
/// renewal: only the cold miss and the misses past the window fill too).
fn refreshes_in_flight(result: &RunResult) -> f64 {
    let renewed = metric(result, "c", "fills") - metric(result, "c", "misses");
    metric(result, "c", "refreshes") - metric(result, "c", "failed_refreshes") - renewed
}

#[test]
fn without_a_timeout_a_refresh_sent_to_a_hung_database_never_ends() {
    // The old behaviour, still the default: the refresh sent at ~5 s waits
    // for the hung primary forever, so its key is never refreshed again —
    // every later expiry is served stale for its window, then missed.
    let result = simulate(&scenario(&refreshing("", "", HANG)));
    assert_conserved(&result);
    assert_eq!(refreshes_in_flight(&result), 1.0, "one refresh stuck");
    assert_eq!(metric(&result, "c", "failed_refreshes"), 0.0);
    assert_eq!(refreshes_after(&result, 6.0), 0.0, "no refresh after the hang");
    assert!(
        metric(&result, "c", "misses") > 1.0,
        "expiries past the window miss"
    );
}

#[test]
fn with_background_timeout_a_hung_refresh_fails_and_the_key_is_refreshed_again() {
    let result = simulate(&scenario(&refreshing("", "background_timeout = \"50ms\"", HANG)));
    assert_conserved(&result);
    // started = renewed + failed + in flight, with nothing left in flight.
    assert_eq!(refreshes_in_flight(&result), 0.0);
    // During the 1 s hang each refresh fails after 50 ms and the next stale
    // hit (10.1 ms later) sends another: 1 s / (50 + ≤ 10.1 ms) of them,
    // give or take the ones at the ends.
    let failed = metric(&result, "c", "failed_refreshes");
    let most = (1.0_f64 / 0.050).ceil();
    let least = (1.0_f64 / 0.0601).floor() - 1.0;
    assert!((least..=most).contains(&failed), "{failed} failed refreshes");
    // After the hang the key is refreshed at each expiry again (one a
    // second, 6 s to 20 s), and never missed: the stale window covers it.
    let after = refreshes_after(&result, 7.0);
    assert!((11.0..=14.0).contains(&after), "{after} refreshes after 7 s");
    assert_eq!(metric(&result, "c", "misses"), 1.0, "the cold miss only");
    // The pool made none of these calls: its step is unguarded, so it
    // has no call rows at all.
    assert_eq!(result.summary.get("app", "call_timeouts"), None);
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
}

#[test]
fn a_refresh_takes_its_read_steps_timeout_but_not_its_retries() {
    let key = simulate(&scenario(&refreshing("", "background_timeout = \"50ms\"", HANG)));
    // The step's timeout, the same 50 ms: the same refreshes. Its retries
    // are the pool's, for requests: a refresh that fails is sent again by
    // the next stale hit, not retried.
    let step = simulate(&scenario(&refreshing(
        ", timeout = \"50ms\", retry = { retries = 3, backoff = \"1ms\" }",
        "",
        HANG,
    )));
    assert_conserved(&step);
    for name in ["refreshes", "failed_refreshes", "fills", "stale_hits", "misses"] {
        assert_eq!(metric(&step, "c", name), metric(&key, "c", name), "{name}");
    }
    assert_eq!(metric(&step, "db", "reads"), metric(&key, "db", "reads"));
    for name in ["call_timeouts", "call_retries", "wasted_calls"] {
        assert_eq!(metric(&step, "app", name), 0.0, "{name}");
    }
}

#[test]
fn a_late_reply_after_the_timeout_fills_nothing() {
    // The primary answers 200 ms late from 5 s to 6 s: every refresh then
    // times out at 50 ms, and its reply arrives after: it must neither
    // renew the entry nor count twice.
    let slow = "slow = \"database.db.primary\"\nadd = \"200ms\"";
    let text = refreshing("", "background_timeout = \"50ms\"", "").replace(
        "kill = \"database.db.primary\"\nfor = \"1s\"\n",
        &format!("{slow}\nfor = \"1s\"\n"),
    );
    let result = simulate(&scenario(&text));
    assert_conserved(&result);
    let failed = metric(&result, "c", "failed_refreshes");
    assert!(failed >= 10.0, "{failed} refreshes timed out");
    // Every read a refresh made was answered (late or not), yet only the
    // ones in time filled: started = renewed + failed.
    assert_eq!(refreshes_in_flight(&result), 0.0);
    assert_eq!(
        metric(&result, "db", "reads"),
        metric(&result, "c", "refreshes") + metric(&result, "c", "misses"),
        "one read per refresh and per miss"
    );
}

/// 200 reads/s over 1 000 keys through one cache node, which is killed at
/// 2 s and restarts at 3 s, warming from the database: its 100 hottest
/// keys, one every 1 ms. The primary hangs from 2.5 s for 10 s.
fn warming(step: &str, cache: &str) -> String {
    format!(
        r#"
[scenario]
duration = "20s"
window = "1s"
[workload]
arrivals = {{ kind = "open", rate = "200/s" }}
timeout = "1s"
mix = [{{ class = "q", call = "app/get", key = "k" }}]
[network]
default = "0s"
[keyspace.k]
keys = 1000
[pool.app]
workers = 400
[pool.app.endpoint.get]
service = "0s"
steps = [{{ read = "db", cache = "c"{step} }}]
[cache.c]
keyspace = "k"
latency = "100us"
cpu = "0s"
capacity = 1000
on_node_failure = "miss"
warm_restart = {{ from = "database", rate = "1000/s", keys = 100 }}
{cache}
[database.db]
keyspace = "k"
connections = 1000
read = "5ms"
read_cpu = "0s"
[[faults]]
at = "2s"
kill = "cache.c.node[0]"
for = "1s"
[[faults]]
at = "2500ms"
kill = "database.db.primary"
mode = "hang"
for = "10s"
"#
    )
}

/// The times of the events of `kind`.
fn events_at(result: &RunResult, kind: &str) -> Vec<f64> {
    result
        .events
        .iter()
        .filter(|event| event.kind == kind)
        .map(|event| event.time.as_secs_f64())
        .collect()
}

#[test]
fn without_a_timeout_a_node_warming_from_a_hung_database_never_rejoins() {
    let result = simulate(&scenario(&warming("", "")));
    assert_conserved(&result);
    assert_eq!(events_at(&result, "warming"), [3.0]);
    assert!(events_at(&result, "warm").is_empty(), "it never rejoins");
    let warming_nodes = series(&result, "c", "warming_nodes");
    assert_eq!(warming_nodes.last().map(|(_, nodes)| *nodes), Some(1.0));
    assert_eq!(metric(&result, "c", "warm_loaded"), 0.0);
}

#[test]
fn with_a_timeout_the_warming_node_skips_the_hung_reads_and_rejoins() {
    for (step, cache) in [
        ("", "background_timeout = \"50ms\""),
        (", timeout = \"50ms\"", ""),
    ] {
        let result = simulate(&scenario(&warming(step, cache)));
        assert_conserved(&result);
        // 100 reads started 1 ms apart from 3 s, the last one's timeout
        // 50 ms after it: keys × interval + timeout bounds the warm-up.
        let warm = events_at(&result, "warm");
        assert_eq!(warm.len(), 1, "{step}{cache}: one rejoin {warm:?}");
        let bound = 3.0 + 100.0 / 1000.0 + 0.050;
        assert!(
            (bound - 0.001 - 1e-9..=bound + 1e-9).contains(&warm[0]),
            "{step}{cache}: rejoined at {} s, bound {bound} s",
            warm[0]
        );
        assert_eq!(
            metric(&result, "c", "warm_reads_timed_out"),
            100.0,
            "{step}{cache}"
        );
        assert_eq!(metric(&result, "c", "warm_loaded"), 0.0, "{step}{cache}");
        let warming_nodes = series(&result, "c", "warming_nodes");
        assert_eq!(warming_nodes.last().map(|(_, nodes)| *nodes), Some(0.0));
        // The warm-up's timeouts are the cache's, not the pool's: the
        // pool's are its timed out requests' reads alone (each request
        // one read), and without a guarded step it has no call rows.
        let pool = result.summary.get("app", "call_timeouts");
        let expected = (!step.is_empty()).then(|| metric(&result, "overall", "errors_timeout"));
        assert_eq!(pool, expected, "{step}{cache}");
    }
}

#[test]
fn background_timeout_needs_something_read_in_the_background() {
    let text =
        refreshing("", "background_timeout = \"50ms\"", "").replace("stale_while_revalidate = \"5s\"\n", "");
    let Err(error) = capsim::scenario::load_str(&text) else {
        panic!("a background timeout without background reads must be refused");
    };
    let message = error.to_string();
    assert!(
        message.contains("`background_timeout` needs `stale_while_revalidate`"),
        "{message}"
    );
}
