//! A call step's `fallback` (issue 19): with the dependency dead and its
//! breaker open, the step succeeds through its fallback at the fallback's
//! cost, and the counts add up: every call of the step either got a reply
//! from the back or fell back (the permitted attempts that failed plus the
//! ones the breaker rejected). A request that succeeded through a fallback
//! is degraded (`degraded_requests`, once however many it took); the
//! overall `fallback_calls` is the pools' sum. Both rows exist only when a
//! step has a fallback.

use crate::support::{assert_conserved, metric, scenario, series, simulate};

/// A front calling a back that dies for good at 10 s; 3 failures in a row
/// open the breaker for 5 s; a failed step costs the front 2 ms of CPU.
/// Arrivals all but stop at 55 s, so every call has ended by the end.
const DEAD_BACK: &str = r#"
[scenario]
name = "fallback"
seed = 11
duration = "60s"
window = "1s"

[workload]
arrivals = { kind = "open", rate = "100/s", users = 1000 }
profile = [{ at = "55s", rate = "0.001/s" }]
mix = [{ class = "get", weight = 1, call = "front/get" }]

[network]
default = "0s"
client = "0s"

[pool.front]
instances = 1
workers = 100

[pool.front.endpoint.get]
service = "1ms"
steps = [{ call = "back/get", timeout = "1s", breaker = { consecutive_failures = 3, open = "5s", half_open_probes = 1 }, fallback = "2ms" }]

[pool.back]
instances = 1
workers = 100

[pool.back.endpoint.get]
service = "5ms"

[[faults]]
kill = "pool.back.instance[0]"
at = "10s"
"#;

const SCOPE: &str = "call:front->back/get";

fn p50_at(result: &capsim::results::RunResult, time: f64) -> f64 {
    series(result, "overall", "latency_p50_ms")
        .into_iter()
        .find(|(t, _)| (*t - time).abs() < 1e-9)
        .expect("a window")
        .1
}

#[test]
fn with_the_dependency_dead_requests_succeed_through_the_fallback() {
    let result = simulate(&scenario(DEAD_BACK));
    assert_conserved(&result);
    // Nothing fails: the attempts that opened the breaker, the failed
    // probes and the rejected calls all fell back.
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
    let fallbacks = metric(&result, "front", "fallback_calls");
    let rejected = metric(&result, SCOPE, "breaker_rejected");
    let failed_at_back = metric(&result, "back", "refused") + metric(&result, "back", "reset");
    assert_eq!(
        fallbacks,
        rejected + failed_at_back,
        "fallbacks = rejected + permitted that failed"
    );
    // Calls = replies from the back + fallbacks.
    assert_eq!(
        metric(&result, "front", "served"),
        metric(&result, "back", "served") + fallbacks
    );
    // ≈ 100/s over the 45 s the back is dead and requests come.
    assert!((4000.0..5000.0).contains(&fallbacks), "{fallbacks}");
    // The cost: 1 ms + the back's 5 ms before; 1 ms + the fallback's 2 ms
    // while the breaker is open (no network, cores aplenty).
    assert!(
        (p50_at(&result, 5.0) - 6.0).abs() < 0.05,
        "{}",
        p50_at(&result, 5.0)
    );
    assert!(
        (p50_at(&result, 30.0) - 3.0).abs() < 0.05,
        "{}",
        p50_at(&result, 30.0)
    );

    // Every request that took the fallback is degraded, once; the rest
    // completed through the back.
    let degraded = metric(&result, "overall", "degraded_requests");
    assert_eq!(degraded, fallbacks, "one fallback per degraded request");
    assert_eq!(metric(&result, "class:get", "degraded_requests"), degraded);
    assert!(degraded <= metric(&result, "overall", "completed"));
    assert_eq!(metric(&result, "overall", "fallback_calls"), fallbacks);
    // Per window: none before the back dies, every request once the
    // breaker stays open; the windows add up to the summary.
    let windows = series(&result, "overall", "degraded_requests");
    let completed = series(&result, "overall", "completed");
    assert_eq!(windows.len(), completed.len());
    for (&(time, degraded), &(_, completed)) in windows.iter().zip(&completed) {
        assert!(degraded <= completed, "{degraded} > {completed} at {time}");
        if time <= 10.0 {
            assert_eq!(degraded, 0.0, "at {time}");
        }
        if (20.0..=50.0).contains(&time) {
            assert_eq!(degraded, completed, "at {time}");
        }
    }
    assert_eq!(windows.iter().map(|w| w.1).sum::<f64>(), degraded);
    let pool_windows = series(&result, "overall", "fallback_calls");
    assert_eq!(pool_windows, series(&result, "front", "fallback_calls"));

    // Without the fallback the same calls fail (breaker_open and refused).
    let plain = simulate(&scenario(&DEAD_BACK.replace(", fallback = \"2ms\"", "")));
    assert_conserved(&plain);
    assert!(plain.summary.get("front", "fallback_calls").is_none());
    // No fallback anywhere: neither new row, in either file.
    for (scope, name) in [
        ("overall", "fallback_calls"),
        ("overall", "degraded_requests"),
        ("class:get", "degraded_requests"),
    ] {
        assert!(plain.summary.get(scope, name).is_none(), "{scope} {name}");
        assert!(series(&plain, scope, name).is_empty(), "{scope} {name}");
    }
    assert_eq!(
        metric(&plain, "overall", "errors"),
        metric(&plain, SCOPE, "breaker_rejected")
            + metric(&plain, "back", "refused")
            + metric(&plain, "back", "reset")
    );
}

/// A web pool reading a database whose only node hangs for good at 5 s:
/// the read step gives up after 100 ms and falls back (0.5 ms of CPU).
const HUNG_DATABASE: &str = r#"
[scenario]
name = "data fallback"
seed = 5
duration = "30s"
window = "1s"

[workload]
arrivals = { kind = "open", rate = "50/s", users = 1000 }
mix = [{ class = "get", weight = 1, call = "web/get", key = "items" }]

[network]
default = "0s"
client = "0s"

[pool.web]
instances = 1
workers = 100

[pool.web.endpoint.get]
service = "1ms"
steps = [{ read = "db", timeout = "100ms", fallback = "500us" }]

[keyspace.items]
keys = 1000

[database.db]
connections = 16
read = "2ms"

[[faults]]
kill = "database.db.primary"
mode = "hang"
at = "5s"
"#;

#[test]
fn a_read_of_a_hung_database_times_out_and_falls_back() {
    let result = simulate(&scenario(HUNG_DATABASE));
    assert_conserved(&result);
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
    let timeouts = metric(&result, "web", "call_timeouts");
    // Every read from 5 s on: ≈ 50/s over 25 s.
    assert!((1000.0..1500.0).contains(&timeouts), "{timeouts}");
    assert_eq!(metric(&result, "web", "fallback_calls"), timeouts);
    assert_eq!(metric(&result, "overall", "degraded_requests"), timeouts);
    // Each such request takes the timeout plus the fallback.
    let p50 = p50_at(&result, 20.0);
    assert!((p50 - 101.5).abs() < 0.5, "{p50}");
}

/// A front whose request takes two fallbacks against a dead back: one in
/// the front's own second step, one in a `mid` pool it calls first
/// (unguarded: its degraded success comes back with its reply). A second
/// class stays in the front, with no fallback; a third only calls `mid`
/// (guarded by a timeout), so its fallback is the one in `mid`.
const TWO_FALLBACKS: &str = r#"
[scenario]
name = "two fallbacks"
seed = 3
duration = "20s"
window = "1s"

[workload]
arrivals = { kind = "open", rate = "100/s", users = 1000 }
profile = [{ at = "15s", rate = "0.001/s" }]
mix = [
  { class = "both", weight = 3, call = "front/both" },
  { class = "plain", weight = 1, call = "front/plain" },
  { class = "via_mid", weight = 1, call = "front/via_mid" },
]

[network]
default = "0s"
client = "0s"

[pool.front]
instances = 1
workers = 100

[pool.front.endpoint.both]
service = "1ms"
steps = [{ call = "mid/get" }, { call = "back/get", timeout = "1s", fallback = "1ms" }]

[pool.front.endpoint.plain]
service = "1ms"

[pool.front.endpoint.via_mid]
service = "1ms"
steps = [{ call = "mid/get", timeout = "2s" }]

[pool.mid]
instances = 1
workers = 100

[pool.mid.endpoint.get]
service = "1ms"
steps = [{ call = "back/get", timeout = "1s", fallback = "1ms" }]

[pool.back]
instances = 1
workers = 100

[pool.back.endpoint.get]
service = "5ms"

[[faults]]
kill = "pool.back.instance[0]"
at = "0s"
"#;

#[test]
fn a_request_taking_two_fallbacks_is_degraded_once() {
    let result = simulate(&scenario(TWO_FALLBACKS));
    assert_conserved(&result);
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
    let front = metric(&result, "front", "fallback_calls");
    let mid = metric(&result, "mid", "fallback_calls");
    let overall = metric(&result, "overall", "fallback_calls");
    assert_eq!(overall, front + mid, "overall = the pools' sum");
    // Every `both` request fell back twice (the back is dead from the
    // start) and counts once; `plain` requests are never degraded.
    let both = metric(&result, "class:both", "completed");
    assert!(both > 800.0, "{both}");
    let via_mid = metric(&result, "class:via_mid", "completed");
    assert!(via_mid > 300.0, "{via_mid}");
    assert_eq!(front, both);
    assert_eq!(mid, both + via_mid);
    assert_eq!(metric(&result, "class:both", "degraded_requests"), both);
    assert_eq!(metric(&result, "class:via_mid", "degraded_requests"), via_mid);
    assert_eq!(metric(&result, "class:plain", "degraded_requests"), 0.0);
    assert!(metric(&result, "class:plain", "completed") > 300.0);
    assert_eq!(metric(&result, "overall", "degraded_requests"), both + via_mid);
    // Per window, the overall row is the classes' sum and the pools' sum.
    let sum = |scopes: &[&str], name: &str| -> Vec<f64> {
        let columns: Vec<Vec<(f64, f64)>> = scopes.iter().map(|scope| series(&result, scope, name)).collect();
        (0..columns[0].len())
            .map(|i| columns.iter().map(|c| c[i].1).sum())
            .collect()
    };
    let values = |scope: &str, name: &str| -> Vec<f64> {
        series(&result, scope, name).into_iter().map(|p| p.1).collect()
    };
    assert_eq!(
        values("overall", "degraded_requests"),
        sum(
            &["class:both", "class:plain", "class:via_mid"],
            "degraded_requests"
        )
    );
    assert_eq!(
        values("overall", "fallback_calls"),
        sum(&["front", "mid"], "fallback_calls")
    );
}

/// The back is slow now and then (exponential, mean 20 ms): a call that
/// outlasts its 50 ms timeout falls back, at 200 ms of CPU, so the attempt
/// outlasts the client's 100 ms timeout too, and the client retries after
/// 200 ms: the degraded reply (at 250 ms) finds no attempt awaited.
const ABANDONED_FALLBACK: &str = r#"
[scenario]
name = "abandoned fallback"
seed = 7
duration = "30s"
window = "1s"

[workload]
arrivals = { kind = "open", rate = "100/s", users = 1000 }
profile = [{ at = "25s", rate = "0.001/s" }]
timeout = "100ms"
retry = { retries = 3, backoff = "200ms" }
mix = [{ class = "get", weight = 1, call = "front/get" }]

[network]
default = "0s"
client = "0s"

[pool.front]
instances = 1
workers = 100

[pool.front.endpoint.get]
service = "1ms"
steps = [{ call = "back/get", timeout = "50ms", fallback = "200ms" }]

[pool.back]
instances = 1
workers = 100

[pool.back.endpoint.get]
service = { dist = "exp", mean = "20ms" }
"#;

#[test]
fn a_fallback_on_an_attempt_the_client_abandoned_degrades_no_success() {
    let result = simulate(&scenario(ABANDONED_FALLBACK));
    assert_conserved(&result);
    // ≈ e^-2.5 ≈ 8 % of ≈ 2500 attempts fell back.
    let fallbacks = metric(&result, "overall", "fallback_calls");
    assert!((100.0..400.0).contains(&fallbacks), "{fallbacks}");
    let timeouts = metric(&result, "overall", "timeouts");
    // Each fallback's attempt (50 ms + 200 ms) outlasted the client.
    assert!(
        timeouts >= fallbacks,
        "{timeouts} timeouts, {fallbacks} fallbacks"
    );
    // Every request that completed did so on an attempt with no fallback:
    // the degraded answers came too late and were stale.
    assert!(metric(&result, "overall", "completed") > 2000.0);
    assert_eq!(metric(&result, "overall", "degraded_requests"), 0.0);
    assert!(metric(&result, "overall", "stale_responses") >= fallbacks);
}
