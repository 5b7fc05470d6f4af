//! Latency of every request: beside the percentiles of successful
//! requests, `latency_all_*_ms` counts each request that ended, a failure
//! at the time it failed for good — with a quarter of the requests timing
//! out, the success p99 stays at the fast path's 10 ms while the all-request
//! p99 is the 2 s timeout a user waited.

use crate::support::{metric, run_text, scenario, series, simulate};

const TIMEOUTS: &str = r#"
[scenario]
name = "latency of every request"
seed = 3
duration = "2m"
warmup = "10s"
window = "10s"

[workload]
arrivals = { kind = "open", rate = "20/s", users = 1000 }
timeout = "2s"
mix = [
  { class = "fast", weight = 3, call = "web/fast" },
  { class = "doomed", weight = 1, call = "web/doomed" },
]

[pool.web]
instances = 1
workers = 1000

[pool.web.endpoint.fast]
service = "10ms"

[pool.web.endpoint.doomed]
service = "30s"
"#;

#[test]
fn failures_count_at_the_time_they_failed() {
    let result = simulate(&scenario(TIMEOUTS));
    let completed = metric(&result, "overall", "completed");
    let errors = metric(&result, "overall", "errors");
    assert!(completed > 1000.0 && errors > 300.0, "{completed} {errors}");
    // Successes only: every one took the fast path's 10 ms.
    assert_eq!(metric(&result, "overall", "latency_p99_ms"), 10.0);
    // Every ended request: the failures waited the whole 2 s timeout.
    assert_eq!(metric(&result, "overall", "latency_all_p99_ms"), 2000.0);
    assert_eq!(metric(&result, "overall", "latency_all_max_ms"), 2000.0);
    let p50 = metric(&result, "overall", "latency_all_p50_ms");
    assert!((p50 / 10.0 - 1.0).abs() < 1e-3, "{p50}");
    let mean = metric(&result, "overall", "latency_all_mean_ms");
    let expected = (completed * 10.0 + errors * 2000.0) / (completed + errors);
    assert!((mean / expected - 1.0).abs() < 1e-9, "{mean} vs {expected}");
    // A class whose every request fails has no success latency, and its
    // all-request latency is the timeout.
    assert!(metric(&result, "class:doomed", "latency_p99_ms").is_nan());
    assert_eq!(metric(&result, "class:doomed", "latency_all_mean_ms"), 2000.0);
    assert_eq!(metric(&result, "class:fast", "latency_all_p99_ms"), 10.0);
    // Per window too: once timeouts start, every window's all-request p99
    // is the timeout.
    let windows = series(&result, "overall", "latency_all_p99_ms");
    assert!(windows.len() >= 10);
    assert!(
        windows.iter().skip(1).all(|&(_, p99)| p99 == 2000.0),
        "{windows:?}"
    );
}

#[test]
fn the_terminal_prints_both_when_requests_fail() {
    let (_dir, output) = run_text(TIMEOUTS);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("  latency  mean 10.00 ms  p50 10.00 ms  p99 10.00 ms  max 10.00 ms\n"),
        "{stdout}"
    );
    let all = stdout
        .lines()
        .find(|line| line.starts_with("  all      latency of every ended request, failures included:"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(all.ends_with("p99 2000.00 ms  max 2000.00 ms"), "{all}");
}
