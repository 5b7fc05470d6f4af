//! A call step's `fallback` (issue 19): with the dependency dead and its
//! breaker open, the step succeeds through its fallback at the fallback's
//! cost, and the counts add up: every call of the step either got a reply
//! from the back or fell back (the permitted attempts that failed plus the
//! ones the breaker rejected).

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

    // Without the fallback the same calls fail (breaker_open and refused).
    let plain = simulate(&scenario(&DEAD_BACK.replace(", fallback = \"2ms\"", "")));
    assert_conserved(&plain);
    assert!(plain.summary.get("front", "fallback_calls").is_none());
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
    // Each such request takes the timeout plus the fallback.
    let p50 = p50_at(&result, 20.0);
    assert!((p50 - 101.5).abs() < 0.5, "{p50}");
}
