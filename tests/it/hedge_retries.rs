//! A hedged step that also retries (README, "hedge on retried attempts"):
//! every attempt of the step — the first and each retry — arms its own
//! hedges, and the step's `timeout` covers an attempt and its hedges
//! together (they share the attempt's token: the first reply or the
//! timeout ends them all). So with `retries = r` and `hedge.max = m` a step
//! sends up to (r + 1)(m + 1) calls.
//!
//! The callee here takes 1 s, longer than the 100 ms timeout: each attempt
//! sends its hedge at 30 ms, both are abandoned at 100 ms, the step
//! retries once after 10 ms (no jitter) and fails for good at 210 ms. Per
//! request: 2 attempts, 2 hedges, 2 timeouts, 1 retry, 4 calls at the back,
//! all wasted. Arrivals all but stop at 10 s (0.001/s) so every call has ended by the end.

use crate::support::{assert_conserved, metric, scenario, simulate};

const SCENARIO: &str = r#"
[scenario]
name = "hedge and retry"
seed = 3
duration = "20s"
window = "1s"

[workload]
arrivals = { kind = "open", rate = "20/s", users = 1000 }
profile = [{ at = "10s", rate = "0.001/s" }]
mix = [{ class = "get", weight = 1, call = "front/get" }]

[pool.front]
instances = 1
workers = 1000

[pool.front.endpoint.get]
service = "1ms"
steps = [{ call = "back/get", timeout = "100ms", retry = { retries = 1, backoff = "10ms", jitter = "none" }, hedge = { after = "30ms", max = 1, loser = "waste" } }]

[pool.back]
instances = 1
workers = 10000

[pool.back.endpoint.get]
service = "1s"
"#;

#[test]
fn every_retried_attempt_sends_its_own_hedges_under_one_timeout() {
    let result = simulate(&scenario(SCENARIO));
    assert_conserved(&result);
    let requests = metric(&result, "overall", "requests");
    assert!(requests > 100.0, "{requests} requests");
    assert_eq!(metric(&result, "overall", "errors_timeout"), requests);
    assert_eq!(metric(&result, "front", "call_retries"), requests);
    assert_eq!(metric(&result, "front", "call_timeouts"), 2.0 * requests);
    assert_eq!(metric(&result, "front", "hedges_sent"), 2.0 * requests);
    assert_eq!(metric(&result, "front", "hedges_won"), 0.0);
    assert_eq!(metric(&result, "back", "arrivals"), 4.0 * requests);
    assert_eq!(metric(&result, "front", "wasted_calls"), 4.0 * requests);
}
