//! Load shedding at a pool: under overload, priority shedding keeps the
//! important class's latency while the other absorbs the refusals; a
//! token bucket admits its rate plus its burst.

use crate::support::{assert_conserved, metric, scenario, series, simulate};
use capsim::results::RunResult;

/// One instance of 4 workers serving 10 ms (exponential) calls: 400
/// calls/s at most. Offered: 200/s of `high` and 400/s of `low`, 1.5 times
/// what it can serve.
fn overload(shed: &str) -> String {
    format!(
        r#"
[scenario]
duration = "120s"
warmup = "20s"
window = "10s"
[workload]
arrivals = {{ kind = "open", rate = "600/s" }}
mix = [
  {{ class = "high", weight = 1, call = "api/checkout" }},
  {{ class = "low", weight = 2, call = "api/recommend" }},
]
[network]
default = "0s"
[pool.api]
workers = 4
{shed}
[pool.api.endpoint.checkout]
service = {{ dist = "exp", mean = "10ms" }}
priority = 1
[pool.api.endpoint.recommend]
service = {{ dist = "exp", mean = "10ms" }}
"#
    )
}

/// The sum of a per-window series (counts written only when not zero).
fn window_sum(result: &RunResult, scope: &str, name: &str) -> f64 {
    series(result, scope, name).iter().map(|(_, value)| value).sum()
}

#[test]
fn under_overload_the_high_priority_class_meets_its_p99_and_the_low_one_is_shed() {
    let result = simulate(&scenario(&overload("shed_queue = 20")));
    assert_conserved(&result);
    // Low is shed at 10 waiting calls, high only at 20: a high call waits
    // behind fewer than 20 calls served at 400/s (under 50 ms on average)
    // and is served in 10 ms on average. Its objective: p99 < 100 ms.
    let high_p99 = metric(&result, "class:high", "latency_p99_ms");
    assert!(
        high_p99 < 100.0,
        "high's p99 {high_p99} ms meets a 100 ms objective"
    );
    let high_requests = metric(&result, "class:high", "requests");
    let high_errors = metric(&result, "class:high", "errors");
    assert!(
        high_errors <= 0.001 * high_requests,
        "high lost {high_errors} of {high_requests}"
    );
    let low_requests = metric(&result, "class:low", "requests");
    let low_errors = metric(&result, "class:low", "errors");
    // Low gets what high leaves: 400 − 200 of its 400 calls/s, so about
    // half is shed (a little more: the pool idles now and then).
    assert!(
        low_errors > 0.4 * low_requests && low_errors < 0.6 * low_requests,
        "low lost {low_errors} of {low_requests}"
    );
    let shed = metric(&result, "overall", "errors_shed");
    assert_eq!(
        shed,
        metric(&result, "overall", "errors"),
        "every error is a shed call"
    );
    assert_eq!(shed, metric(&result, "api", "shed_calls"));
    assert_eq!(
        window_sum(&result, "class:low", "errors_shed") + window_sum(&result, "class:high", "errors_shed"),
        {
            // Warm-up windows are in the series too: compare with the windows' own sum.
            window_sum(&result, "overall", "errors_shed")
        }
    );

    // Without shedding the queue grows without bound and high waits with everyone.
    let plain = simulate(&scenario(&overload("")));
    assert_conserved(&plain);
    assert!(metric(&plain, "class:high", "latency_p99_ms") > 10.0 * high_p99);
}

#[test]
fn a_token_bucket_admits_its_rate_and_its_burst() {
    let text = overload("").replace(
        "priority = 1",
        "priority = 1\nrate_limit = { rate = \"100/s\", burst = 10 }",
    );
    // 8 workers: 800 calls/s, room for all that the bucket lets through.
    let result = simulate(&scenario(&text.replace("workers = 4", "workers = 8")));
    assert_conserved(&result);
    // Checkout offered at 200/s: the bucket passes 100/s.
    let admitted = metric(&result, "class:high", "requests") - metric(&result, "class:high", "errors");
    let expected = 100.0 * 100.0;
    assert!(
        (admitted - expected).abs() <= 0.01 * expected + 10.0,
        "{admitted} admitted for {expected}"
    );
    assert_eq!(
        metric(&result, "class:low", "errors"),
        0.0,
        "recommend has no limit"
    );
    assert_eq!(
        metric(&result, "api", "rate_limited_calls"),
        metric(&result, "overall", "errors_shed")
    );
}
