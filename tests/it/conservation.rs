//! Conservation in every kind of run: arrived = completed + failed + in
//! flight; classes add up to the overall figures; the per-window series add
//! up to the summary (nothing double-counted, nothing lost between windows).

use crate::support::{assert_conserved, metric, scenario, scenario_file, shipped_scenarios, simulate};
use capsim::results::RunResult;

/// Every feature at once: DNS, a balancer, async and blocking pools,
/// fan-out, a probability step, a database, timeouts, retries, a spike.
const EVERYTHING: &str = r#"
[scenario]
duration = "120s"
warmup = "20s"
window = "10s"

[workload]
arrivals = { kind = "open", rate = "800/s", users = 5000 }
profile = [{ at = "60s", rate = "2400/s", over = "10s", for = "20s" }]
timeout = "150ms"
retry = { retries = 2, backoff = "50ms", jitter = "full" }
mix = [
  { class = "view", weight = 9, call = "www/view" },
  { class = "edit", weight = 1, call = "www/edit" },
]

[network]
default = { dist = "exp", mean = "200us" }
client = { dist = "const", value = "20ms" }

[dns.www]
ttl = "60s"
resolve = { dist = "exp", mean = "30ms" }
target = "lb"

[balancer.lb]
policy = "power_of_two"
pool = "web"
latency = "100us"

[pool.web]
instances = 3
size = "m5.large"
workers = 16
queue_capacity = 20
concurrency = "async"

[pool.web.endpoint.view]
service = { dist = "lognormal", mean = "2ms", p99 = "12ms" }
steps = [
  { parallel = [ { call = "api/lookup" }, [ { read = "db" }, { compute = "500us" } ] ] },
  { probability = 0.3, steps = [ { delay = { dist = "uniform", min = "5ms", max = "15ms" } } ] },
]

[pool.web.endpoint.edit]
service = { dist = "gamma", mean = "3ms", cv = 0.5 }
steps = [{ write = "db" }]

[pool.api]
instances = 2
workers = 4
queue_capacity = 8
[pool.api.endpoint.lookup]
service = { dist = "exp", mean = "4ms" }

[database.db]
connections = 20
queue_capacity = 50
read = { dist = "exp", mean = "3ms" }
write = { dist = "normal", mean = "8ms", sd = "3ms" }
"#;

/// Classes add up to `overall`; windows add up to the summary.
fn assert_consistent(result: &RunResult, classes: &[&str]) {
    assert_conserved(result);
    for name in ["requests", "completed", "errors"] {
        let by_class: f64 = classes
            .iter()
            .map(|class| metric(result, &format!("class:{class}"), name))
            .sum();
        assert_eq!(
            by_class,
            metric(result, "overall", name),
            "classes add up to overall {name}"
        );
    }
    // The summary covers the windows after warm-up; sum them from the series.
    let warmup_end = metric(result, "overall", "measured_s");
    let end = result
        .timeseries
        .series("overall", "completed")
        .last()
        .map_or(0.0, |&(time, _)| time);
    let kept_from = end - warmup_end;
    let completed: f64 = result
        .timeseries
        .series("overall", "completed")
        .iter()
        .filter(|&&(time, _)| time > kept_from)
        .map(|&(_, value)| value)
        .sum();
    assert_eq!(
        completed,
        metric(result, "overall", "completed"),
        "windows add up to the summary"
    );
}

#[test]
fn a_run_with_every_feature_and_heavy_failures_conserves_requests() {
    let result = simulate(&scenario(EVERYTHING));
    assert_consistent(&result, &["view", "edit"]);
    // The spike must actually cause failures, or this test checks little.
    assert!(metric(&result, "overall", "errors") > 0.0);
    assert!(metric(&result, "overall", "retries") > 0.0);
    assert!(metric(&result, "overall", "stale_responses") > 0.0);
}

#[test]
fn every_shipped_scenario_conserves_requests() {
    for path in shipped_scenarios() {
        let loaded = scenario_file(&path, &[]);
        let classes: Vec<&str> = loaded
            .workload
            .mix
            .iter()
            .map(|class| class.name.as_str())
            .collect();
        let result = simulate(&loaded);
        assert_consistent(&result, &classes);
    }
}

#[test]
fn closed_workloads_conserve_requests() {
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "60s"
warmup = "10s"
window = "10s"
[workload]
arrivals = { kind = "closed", users = 50, think = { dist = "exp", mean = "100ms" } }
timeout = "30ms"
retry = { retries = 1, backoff = "10ms" }
mix = [{ class = "q", call = "app/work" }]
[pool.app]
workers = 2
queue_capacity = 5
[pool.app.endpoint.work]
service = { dist = "exp", mean = "5ms" }
"#,
    ));
    assert_consistent(&result, &["q"]);
    assert!(metric(&result, "overall", "errors") > 0.0);
}
