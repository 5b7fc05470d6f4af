//! Bulkheads on call steps (issue 19): with one dependency slow, a bulkhead
//! on the calls to it keeps the calls to the others at their latency.

use crate::support::{assert_conserved, metric, scenario, simulate};

/// A front of 20 workers (thread per request) serves two classes at 50/s
/// each: `fast` calls a 5 ms dependency, `slow` one that takes 2 s. The
/// slow calls alone need 50/s × 2 s = 100 workers.
const FRONT: &str = r#"
[scenario]
name = "bulkhead"
seed = 17
duration = "60s"
window = "5s"

[workload]
arrivals = { kind = "open", rate = "100/s", users = 1000 }
mix = [
  { class = "fast", weight = 1, call = "front/fast" },
  { class = "slow", weight = 1, call = "front/slow" },
]

[pool.front]
instances = 1
workers = 20
queue_capacity = 1000

[pool.front.endpoint.fast]
service = "1ms"
steps = [{ call = "quick/get" }]

[pool.front.endpoint.slow]
service = "1ms"
steps = [{ call = "sluggish/get", timeout = "3s" BULKHEAD }]

[pool.quick]
instances = 1
workers = 200

[pool.quick.endpoint.get]
service = "5ms"

[pool.sluggish]
instances = 1
workers = 200

[pool.sluggish.endpoint.get]
service = "2s"
"#;

#[test]
fn a_bulkhead_keeps_the_other_calls_at_their_latency() {
    let open = simulate(&scenario(&FRONT.replace(" BULKHEAD", "")));
    assert_conserved(&open);
    // Without it, the slow calls take every worker: the fast class waits
    // behind them for seconds.
    let jammed = metric(&open, "class:fast", "latency_p99_ms");
    assert!(jammed > 1000.0, "fast p99 without a bulkhead: {jammed} ms");

    let walled = simulate(&scenario(
        &FRONT.replace(" BULKHEAD", ", bulkhead = { max_concurrent = 10 }"),
    ));
    assert_conserved(&walled);
    // With it at most 10 workers wait on the slow dependency; the other
    // 10 serve the fast class (50/s × 6 ms ≈ 0.3 busy): 1 + 5 ms, no wait.
    let fast = metric(&walled, "class:fast", "latency_p99_ms");
    assert!(fast < 10.0, "fast p99 with a bulkhead: {fast} ms");
    assert_eq!(metric(&walled, "class:fast", "errors"), 0.0);
    // The excess slow calls failed at once, counted.
    let rejected = metric(&walled, "call:front->sluggish/get", "bulkhead_rejected");
    assert!(rejected > 1000.0, "{rejected}");
    assert_eq!(metric(&walled, "overall", "errors_bulkhead_full"), rejected);
}
