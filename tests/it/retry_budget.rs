//! Call timeouts, retries and retry budgets (issue 19): the metastable retry
//! storm of `scenarios/15-retry-storm.toml` and its cure, a guarded `call`
//! step abandoning its attempts on time (the callee's work counted as
//! wasted), and a budget holding retries to its ratio over its window.

use crate::support::{
    assert_conserved, goodput_back, metric, scenario, scenario_file, series, shipped, simulate,
};
use capsim::results::RunResult;

/// Mean of a time series over the windows that end in `(from_s, to_s]`.
fn mean_between(result: &RunResult, scope: &str, name: &str, from_s: f64, to_s: f64) -> f64 {
    let values: Vec<f64> = series(result, scope, name)
        .into_iter()
        .filter(|&(time, _)| time > from_s && time <= to_s)
        .map(|(_, value)| value)
        .collect();
    assert!(
        !values.is_empty(),
        "no {scope}/{name} windows in ({from_s}, {to_s}]"
    );
    values.iter().sum::<f64>() / values.len() as f64
}

/// The storm's numbers, as its header states them.
const OFFERED: f64 = 800.0;
const SPIKE_END_S: f64 = 90.0;
const END_S: f64 = 300.0;

#[test]
fn the_retry_storm_outlives_its_spike_and_a_budget_cures_it() {
    let file = shipped("15-retry-storm.toml");
    let header = std::fs::read_to_string(&file).expect("the scenario");
    let cure = header
        .lines()
        .find_map(|line| line.strip_prefix("# cure: --set "))
        .expect("a `# cure: --set PATH=VALUE` line");
    assert_eq!(cure, "workload.retry.budget.ratio=0.1");

    // Without the cure: the spike ends at 90 s, the failure does not. Over
    // the last third of the run goodput stays below half the offered load.
    let storm = simulate(&scenario_file(&file, &[]));
    assert_conserved(&storm);
    let before = mean_between(&storm, "overall", "throughput_rps", 0.0, 60.0);
    assert!(
        (before - OFFERED).abs() < 0.03 * OFFERED,
        "healthy before the spike: {before}"
    );
    let last_third = mean_between(&storm, "overall", "throughput_rps", 200.0, END_S);
    assert!(
        last_third < 0.5 * OFFERED,
        "metastable: goodput {last_third}/s over the last third, offered {OFFERED}/s"
    );
    assert!(
        metric(&storm, "overall", "stale_responses") > 100_000.0,
        "the server works for nobody"
    );

    // With a retry budget of 10 % (+10/s over 10 s), derived bound: once the
    // spike ends the attempts are at most 800/s + retries, and retries at
    // most 0.1 × the window's requests + 10/s: ≤ 0.1 × 1 300 + 10 = 140/s
    // while the window still holds the spike (10 s), ≤ 90/s after. The pool
    // serves 1 000/s, so its full queue (2 000) drains by ≥ 60/s, then
    // ≥ 110/s: empty within 10 + (2 000 − 600) / 110 ≈ 23 s of the spike's
    // end; add the 1 s timeout (attempts abandoned just before) and one 5 s
    // window of measurement: goodput is back above 95 % of the offered load
    // in a window ending by 90 + 29 s, and stays there.
    let bound_s = SPIKE_END_S + 10.0 + (2000.0 - 600.0) / 110.0 + 1.0 + 5.0;
    let cured = simulate(&scenario_file(&file, &[cure]));
    assert_conserved(&cured);
    let recovered = goodput_back(&cured, SPIKE_END_S, 0.95).expect("goodput recovers");
    assert!(
        recovered <= bound_s,
        "recovered at {recovered} s, bound {bound_s:.1} s"
    );
    let after = mean_between(&cured, "overall", "throughput_rps", bound_s, END_S);
    let offered_after = mean_between(&cured, "overall", "offered_rps", bound_s, END_S);
    assert!(
        after >= 0.95 * offered_after,
        "stays recovered: {after} of {offered_after}"
    );
    assert!(metric(&cured, "overall", "retries_refused") > 0.0);
    assert!(metric(&cured, "overall", "retries") < 0.05 * metric(&storm, "overall", "retries"));
    // Without a budget the row is not written at all.
    assert!(storm.summary.get("overall", "retries_refused").is_none());
}

/// A front whose call to a slow back (500 ms, fixed) gives up after 200 ms,
/// twice retried after a fixed 50 ms: every attempt is abandoned, the back
/// finishes each anyway.
const SLOW_BACK: &str = r#"
[scenario]
name = "call timeout"
seed = 3
duration = "60s"
window = "10s"

[workload]
arrivals = { kind = "closed", users = 1, think = "1s" }
mix = [{ class = "get", weight = 1, call = "front/get" }]

[pool.front]
instances = 1
workers = 4

[pool.front.endpoint.get]
service = "0ms"
steps = [{ call = "back/slow", timeout = "200ms", retry = { retries = 2, backoff = "50ms", multiplier = 1.0, jitter = "none" } }]

[pool.back]
instances = 1
workers = 8

[pool.back.endpoint.slow]
service = "500ms"
"#;

#[test]
fn a_call_timeout_abandons_each_attempt_on_time_and_counts_the_wasted_work() {
    let result = simulate(&scenario(SLOW_BACK));
    assert_conserved(&result);
    // One user: think 1 s, then 3 attempts of 200 ms with 2 waits of 50 ms
    // fail the request 700 ms later. Requests start at 1 + 1.7 k s: 35 of
    // them before 60 s, the last failing at 59.5 s.
    assert_eq!(metric(&result, "overall", "requests"), 35.0);
    assert_eq!(metric(&result, "overall", "errors_timeout"), 35.0);
    assert_eq!(metric(&result, "front", "call_timeouts"), 105.0);
    assert_eq!(metric(&result, "front", "call_retries"), 70.0);
    assert_eq!(metric(&result, "front", "call_retries_refused"), 0.0);
    // The back served every abandoned attempt to its end (the last at
    // 58.8 + 0.6 + 0.5 s): 500 ms each, wasted.
    assert_eq!(metric(&result, "back", "served"), 105.0);
    assert_eq!(metric(&result, "front", "wasted_calls"), 105.0);
    assert!((metric(&result, "front", "wasted_work_s") - 52.5).abs() < 1e-9);

    // A back answering in 150 ms is within the timeout: no retries, no waste,
    // and each request takes exactly 150 ms.
    let fast = simulate(&scenario(
        &SLOW_BACK.replace("service = \"500ms\"", "service = \"150ms\""),
    ));
    assert_conserved(&fast);
    assert_eq!(metric(&fast, "overall", "errors"), 0.0);
    assert_eq!(metric(&fast, "front", "call_timeouts"), 0.0);
    assert_eq!(metric(&fast, "front", "wasted_calls"), 0.0);
    assert!((metric(&fast, "overall", "latency_max_ms") - 150.0).abs() < 0.5);
}

/// A front calling a back that always misses its 10 ms timeout, with up to
/// 5 retries per call under a budget of 20 % (no reserve) over 10 s.
const BUDGETED: &str = r#"
[scenario]
name = "call budget"
seed = 5
duration = "120s"
window = "10s"

[workload]
arrivals = { kind = "open", rate = "200/s" }
mix = [{ class = "get", weight = 1, call = "front/get" }]

[pool.front]
instances = 1
workers = 400

[pool.front.endpoint.get]
service = "0ms"
steps = [{ call = "back/slow", timeout = "10ms", retry = { retries = 5, backoff = "1ms", budget = { ratio = 0.2, window = "10s", min_per_second = 0 } } }]

[pool.back]
instances = 1
workers = 400

[pool.back.endpoint.slow]
service = "50ms"
"#;

#[test]
fn call_retries_obey_the_budgets_ratio_over_its_window() {
    let result = simulate(&scenario(BUDGETED));
    assert_conserved(&result);
    // Each request makes one call (a deposit); every attempt times out, so
    // each call would retry 5 times. The budget's window (10 s) is the
    // report's window and its buckets (1 s) divide it, so the budget's
    // sliding window at any retry of report window k lies within windows
    // k − 1 and k and holds all of window k's earlier retries:
    // retries(k) ≤ 0.2 × (requests(k − 1) + requests(k)).
    // Requests per 10 s window: the offered rate × 10 s.
    let requests: Vec<(f64, f64)> = series(&result, "overall", "offered_rps")
        .into_iter()
        .map(|(time, rate)| (time, (rate * 10.0).round()))
        .collect();
    let retries = series(&result, "front", "call_retries");
    assert_eq!(requests.len(), retries.len());
    for k in 0..retries.len() {
        let before = if k == 0 { 0.0 } else { requests[k - 1].1 };
        assert!(
            retries[k].1 <= 0.2 * (before + requests[k].1),
            "window {k}: {} retries for {before} + {} requests",
            retries[k].1,
            requests[k].1
        );
    }
    // The budget binds: over the run retries come to its ratio of the
    // requests (within the last window's edge), and the rest are refused.
    let total_requests = metric(&result, "overall", "requests");
    let total_retries = metric(&result, "front", "call_retries");
    assert!(total_retries <= 0.2 * total_requests + 0.2 * requests[0].1);
    assert!(
        total_retries >= 0.9 * 0.2 * total_requests,
        "{total_retries} of {total_requests}"
    );
    let refused = metric(&result, "front", "call_retries_refused");
    assert!(refused >= 0.75 * total_requests, "{refused} refused");
    // Every call failed for good: a timeout the caller passed on.
    assert_eq!(
        metric(&result, "overall", "errors") + metric(&result, "overall", "in_flight_at_end"),
        total_requests
    );
}
