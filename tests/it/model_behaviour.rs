//! The model's mechanisms, each checked against the number it must produce:
//! holding vs releasing workers, fan-out, probabilistic steps, DNS caching,
//! closed users, timeouts and retries, balancing policies, instance sizes,
//! CPU contention, rate profiles and empirical distributions.
//!
//! Where a closed form exists the tolerance is a stated number of standard
//! errors of the measured quantity; where the check is a comparison between
//! two designs, the margin is far larger than the runs' noise.

use crate::support::{assert_conserved, metric, scenario, simulate};

/// A pool `app` whose endpoint waits 50 ms on a database, with 8 workers,
/// at 100 requests/s: thread-per-request needs 100 × 0.05 = 5 workers busy
/// on average and queues at bursts; async needs almost none.
fn slow_dependency(concurrency: &str, rate: &str) -> String {
    format!(
        r#"
[scenario]
duration = "300s"
warmup = "20s"
window = "10s"
[workload]
arrivals = {{ kind = "open", rate = "{rate}" }}
mix = [{{ class = "q", call = "app/work" }}]
[pool.app]
workers = 8
concurrency = "{concurrency}"
[pool.app.endpoint.work]
service = {{ dist = "exp", mean = "1ms" }}
steps = [{{ read = "db" }}]
[database.db]
connections = 100
read = {{ dist = "const", value = "50ms" }}
"#
    )
}

#[test]
fn a_slow_database_exhausts_threads_but_not_an_async_pool() {
    let blocking = simulate(&scenario(&slow_dependency("thread_per_request", "150/s")));
    let asynchronous = simulate(&scenario(&slow_dependency("async", "150/s")));
    assert_conserved(&blocking);
    assert_conserved(&asynchronous);
    // Thread per request: 150/s × 51 ms ≈ 7.7 of 8 workers are held, so the
    // pool is nearly saturated and requests queue for a thread.
    let held = metric(&blocking, "app", "utilization");
    assert!(held > 0.9, "workers held {held}");
    assert!(metric(&blocking, "app", "wait_mean_ms") > 10.0);
    // Async: a worker is held only for 1 ms of compute per request.
    let held = metric(&asynchronous, "app", "utilization");
    assert!(held < 0.05, "workers held {held}");
    let latency = metric(&asynchronous, "overall", "latency_mean_ms");
    assert!((latency - 51.0).abs() < 1.0, "async latency {latency}");
}

#[test]
fn parallel_branches_take_as_long_as_the_slowest() {
    let text = |steps: &str| {
        format!(
            r#"
[scenario]
duration = "60s"
[workload]
arrivals = {{ kind = "open", rate = "100/s" }}
mix = [{{ class = "q", call = "app/work" }}]
[pool.app]
workers = 1000
[pool.app.endpoint.work]
service = "0s"
steps = {steps}
"#
        )
    };
    let parallel = simulate(&scenario(&text(
        r#"[{ parallel = [{ delay = "10ms" }, [{ delay = "5ms" }, { delay = "15ms" }]] }]"#,
    )));
    let sequence = simulate(&scenario(&text(
        r#"[{ delay = "10ms" }, { delay = "5ms" }, { delay = "15ms" }]"#,
    )));
    // Constant delays and no contention: exact up to the histogram's 0.1 %.
    assert!((metric(&parallel, "overall", "latency_max_ms") - 20.0).abs() < 0.02);
    assert!((metric(&sequence, "overall", "latency_max_ms") - 30.0).abs() < 0.03);
    assert_conserved(&parallel);
}

#[test]
fn a_probability_step_runs_in_that_share_of_requests() {
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "200s"
[workload]
arrivals = { kind = "open", rate = "500/s" }
mix = [{ class = "q", call = "app/work" }]
[pool.app]
workers = 100
[pool.app.endpoint.work]
service = "1ms"
steps = [{ probability = 0.2, steps = [{ read = "db" }] }]
[database.db]
read = "2ms"
"#,
    ));
    let requests = metric(&result, "overall", "requests");
    let reads = metric(&result, "db", "arrivals");
    // Binomial(n, 0.2): standard deviation sqrt(n · 0.2 · 0.8); allow 5.
    let tolerance = 5.0 * (requests * 0.16).sqrt();
    assert!(
        (reads - 0.2 * requests).abs() < tolerance,
        "{reads} of {requests}"
    );
}

#[test]
fn dns_caching_matches_the_renewal_formula() {
    // Each user sends a Poisson stream of rate r = 600/s / 10 000 = 0.06/s.
    // After a lookup the answer is cached for T = 60 s, so each lookup is
    // followed by Poisson(rT) hits: hit ratio rT / (1 + rT) = 0.7826. The
    // warm-up of five TTLs lets the cache state forget its cold start.
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "2300s"
warmup = "300s"
window = "100s"
[workload]
arrivals = { kind = "open", rate = "600/s", users = 10000 }
mix = [{ class = "q", call = "www/x" }]
[dns.www]
ttl = "60s"
target = "app"
[pool.app]
workers = 100
[pool.app.endpoint.x]
service = "1ms"
"#,
    ));
    let expected = 3.6 / 4.6;
    let lookups = metric(&result, "www", "lookups");
    let ratio = metric(&result, "www", "cache_hit_ratio");
    // Each lookup starts a renewal cycle; the hit ratio's standard error is
    // about sqrt(p(1-p)/cycles) (cycles are independent per user). Allow 4.
    let standard_error = (expected * (1.0 - expected) / lookups).sqrt();
    assert!(
        (ratio - expected).abs() < 4.0 * standard_error,
        "hit ratio {ratio}, expected {expected}"
    );
}

#[test]
fn closed_users_follow_the_interactive_response_time_law() {
    // N = 200 users, think Z = 1 s, service S = 50 ms with no queueing
    // (workers ≥ users): throughput X = N / (Z + S) = 190.5/s.
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "600s"
warmup = "20s"
window = "10s"
[workload]
arrivals = { kind = "closed", users = 200, think = { dist = "exp", mean = "1s" } }
mix = [{ class = "q", call = "app/work" }]
[pool.app]
workers = 200
[pool.app.endpoint.work]
service = { dist = "exp", mean = "50ms" }
"#,
    ));
    let throughput = metric(&result, "overall", "throughput_rps");
    let expected = 200.0 / 1.05;
    // Completions over 580 s: about 110 000; the count is close to Poisson,
    // so its relative standard error is about 0.3 %; allow 1.5 %.
    assert!(
        (throughput / expected - 1.0).abs() < 0.015,
        "{throughput} vs {expected}"
    );
    assert_conserved(&result);
}

#[test]
fn timeouts_abandon_attempts_and_retries_amplify_load() {
    // Every attempt takes 200 ms but the client waits 100 ms: each request
    // makes 1 + 2 attempts, all time out, and the server sees three times
    // the user traffic; the abandoned attempts' late replies are stale.
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "100s"
warmup = "10s"
window = "10s"
[workload]
arrivals = { kind = "open", rate = "50/s" }
timeout = "100ms"
retry = { retries = 2, backoff = "10ms", jitter = "none" }
mix = [{ class = "q", call = "app/work" }]
[pool.app]
workers = 1000
[pool.app.endpoint.work]
service = "0s"
steps = [{ delay = "200ms" }]
"#,
    ));
    assert_conserved(&result);
    let requests = metric(&result, "overall", "requests");
    let errors = metric(&result, "overall", "errors");
    assert_eq!(metric(&result, "overall", "completed"), 0.0);
    assert_eq!(errors, metric(&result, "overall", "errors_timeout"));
    // Requests that arrived in the last 0.43 s are still retrying at the end.
    assert!(
        (requests - errors).abs() <= 50.0,
        "{requests} requests, {errors} errors"
    );
    let attempts = metric(&result, "overall", "attempts");
    assert!(
        (attempts / requests - 3.0).abs() < 0.01,
        "{attempts} attempts for {requests}"
    );
    let served = metric(&result, "app", "arrivals");
    assert!((served / requests - 3.0).abs() < 0.01);
    assert!(metric(&result, "overall", "stale_responses") > 2.9 * requests);
}

#[test]
fn full_queues_reject_and_the_client_sees_it() {
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "100s"
[workload]
arrivals = { kind = "open", rate = "2000/s" }
mix = [{ class = "q", call = "app/work" }]
[pool.app]
workers = 1
queue_capacity = 0
[pool.app.endpoint.work]
service = { dist = "exp", mean = "1ms" }
"#,
    ));
    assert_conserved(&result);
    // M/M/1/1: blocking = ρ / (1 + ρ) = 2/3 (Erlang B with one server).
    let blocked = metric(&result, "overall", "errors_rejected") / metric(&result, "overall", "requests");
    // About 200 000 arrivals: binomial standard error ≈ 0.001; allow 5.
    assert!((blocked - 2.0 / 3.0).abs() < 0.005, "{blocked}");
    assert_eq!(
        metric(&result, "app", "rejected"),
        metric(&result, "overall", "errors_rejected")
    );
}

fn balanced(policy: &str) -> String {
    format!(
        r#"
[scenario]
duration = "400s"
warmup = "40s"
window = "10s"
[workload]
arrivals = {{ kind = "open", rate = "3600/s" }}
mix = [{{ class = "q", call = "lb/work" }}]
[balancer.lb]
policy = "{policy}"
pool = "app"
[pool.app]
instances = 4
workers = 1
[pool.app.endpoint.work]
service = {{ dist = "exp", mean = "1ms" }}
"#
    )
}

#[test]
fn balancing_policies_rank_as_queueing_theory_says() {
    // Four single-worker servers at ρ = 0.9. Random splitting makes four
    // independent M/M/1 queues: mean response 1/(μ − λ/4) = 10 ms. Looking
    // at queue lengths does much better: power of two choices, then least
    // connections (join the shortest queue).
    let random = simulate(&scenario(&balanced("random")));
    let round_robin = simulate(&scenario(&balanced("round_robin")));
    let two_choices = simulate(&scenario(&balanced("power_of_two")));
    let least = simulate(&scenario(&balanced("least_connections")));
    let mean = |result| metric(result, "overall", "latency_mean_ms");
    let random_mean = mean(&random);
    assert!((random_mean - 10.0).abs() < 1.5, "random {random_mean}");
    assert!(
        mean(&round_robin) < random_mean * 0.75,
        "round robin {}",
        mean(&round_robin)
    );
    assert!(
        mean(&two_choices) < random_mean * 0.5,
        "two choices {}",
        mean(&two_choices)
    );
    assert!(mean(&least) <= mean(&two_choices), "least {}", mean(&least));
    assert!((metric(&round_robin, "lb", "imbalance") - 1.0).abs() < 0.001);
}

#[test]
fn a_faster_size_divides_service_time() {
    let text = |size: &str| {
        format!(
            r#"
[scenario]
duration = "100s"
[workload]
arrivals = {{ kind = "open", rate = "10/s" }}
mix = [{{ class = "q", call = "app/work" }}]
[size.fast]
cores = 4
speed = 2.0
price_per_hour = 1.0
[size.slow]
cores = 4
speed = 1.0
price_per_hour = 0.5
[pool.app]
size = "{size}"
workers = 4
[pool.app.endpoint.work]
service = "10ms"
"#
        )
    };
    let fast = simulate(&scenario(&text("fast")));
    let slow = simulate(&scenario(&text("slow")));
    assert!((metric(&fast, "overall", "latency_max_ms") - 5.0).abs() < 0.01);
    assert!((metric(&slow, "overall", "latency_max_ms") - 10.0).abs() < 0.01);
    // Cost: one instance for 100 s.
    assert!((metric(&fast, "app", "cost_usd") - 1.0 / 36.0).abs() < 1e-9);
}

#[test]
fn fewer_cores_than_workers_queue_for_the_cpu() {
    // Ten threads on one core: computing is serialised on the core in FIFO
    // order, so the whole instance behaves as an M/M/1 at ρ = 0.8 with mean
    // response 1/(μ − λ) = 5 ms, even though the workers are never all busy
    // for long. 20 replications of 20 000 requests: standard error of the
    // mean response ≈ 0.6 % of it; allow 4 standard errors.
    let mut means = Vec::new();
    for seed in 1..=20 {
        let mut model = scenario(
            r#"
[scenario]
duration = "27s"
warmup = "2s"
window = "1s"
[workload]
arrivals = { kind = "open", rate = "800/s" }
mix = [{ class = "q", call = "app/work" }]
[size.tiny]
cores = 1
[pool.app]
size = "tiny"
workers = 10
[pool.app.endpoint.work]
service = { dist = "exp", mean = "1ms" }
"#,
        );
        model.seed = seed;
        let result = simulate(&model);
        assert_conserved(&result);
        means.push(metric(&result, "overall", "latency_mean_ms"));
    }
    let count = means.len() as f64;
    let mean = means.iter().sum::<f64>() / count;
    let variance = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (count - 1.0);
    let standard_error = (variance / count).sqrt();
    assert!(
        (mean - 5.0).abs() < 4.0 * standard_error,
        "mean {mean} ± {standard_error}"
    );
}

#[test]
fn a_rate_step_shows_in_the_time_series() {
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "100s"
window = "10s"
[workload]
arrivals = { kind = "open", rate = "100/s" }
profile = [{ at = "50s", rate = "1000/s" }]
mix = [{ class = "q", call = "app/work" }]
[pool.app]
workers = 100
[pool.app.endpoint.work]
service = "1ms"
"#,
    ));
    let offered = result.timeseries.series("overall", "offered_rps");
    assert_eq!(offered.len(), 10);
    // 1 000 and 10 000 arrivals per window: Poisson, allow 5 sd.
    for &(time, rate) in &offered {
        let expected = if time <= 50.0 { 100.0 } else { 1000.0 };
        assert!(
            (rate - expected).abs() < 5.0 * (expected / 10.0).sqrt(),
            "{time}: {rate}"
        );
    }
    assert_eq!(result.events[0].kind, "rate_change");
}

#[test]
fn daily_users_become_a_peak_rate() {
    // 1 000 000 users × 20 requests / 86 400 s × peak factor 3 = 694.4/s.
    let loaded = scenario(
        r#"
[scenario]
duration = "10s"
[workload]
arrivals = { kind = "open", daily_users = 1e6, requests_per_user = 20, peak_factor = 3 }
mix = [{ class = "q", call = "app/work" }]
[pool.app]
workers = 10
[pool.app.endpoint.work]
service = "1ms"
"#,
    );
    assert!((capsim::study::feasibility::offered_rate(&loaded) - 694.444).abs() < 0.001);
}

#[test]
fn empirical_samples_are_read_from_a_csv_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("latency.csv"), "latency_ms\n2\n4\n6\n").unwrap();
    let text = r#"
[scenario]
duration = "200s"
[workload]
arrivals = { kind = "open", rate = "100/s" }
mix = [{ class = "q", call = "app/work" }]
[pool.app]
workers = 1000
[pool.app.endpoint.work]
service = { dist = "empirical", file = "latency.csv", column = "latency_ms", unit = "ms" }
"#;
    let loaded = capsim::scenario::load_text("inline.toml", text, &[], dir.path(), "inline").unwrap();
    let result = simulate(&loaded.scenario);
    // Uniform between neighbouring samples: mean 4 ms, sd ≈ 1.15 ms over
    // about 20 000 requests: standard error 0.008 ms; allow 5.
    let mean = metric(&result, "overall", "latency_mean_ms");
    assert!((mean - 4.0).abs() < 0.04, "{mean}");
    assert!(metric(&result, "overall", "latency_max_ms") <= 6.01);
}

/// Two classes on one pool (fast and slow), or the fast one alone.
fn classes(mix: &str) -> String {
    format!(
        r#"
[scenario]
duration = "120s"
warmup = "10s"
window = "10s"
[workload]
arrivals = {{ kind = "open", rate = "400/s" }}
mix = [{mix}]
[pool.app]
workers = 4
[pool.app.endpoint.fast]
service = {{ dist = "exp", mean = "2ms" }}
[pool.app.endpoint.slow]
service = {{ dist = "exp", mean = "9ms" }}
"#
    )
}

#[test]
fn the_overall_latency_is_the_union_of_the_classes_or_the_single_class_own() {
    use crate::support::series;
    const LATENCIES: [&str; 6] = [
        "latency_mean_ms",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "latency_max_ms",
        "completed",
    ];
    // One class: every latency row and summary value is the class's.
    let single = simulate(&scenario(&classes(r#"{ class = "f", call = "app/fast" }"#)));
    for name in LATENCIES {
        assert_eq!(
            series(&single, "overall", name),
            series(&single, "class:f", name),
            "{name}"
        );
        assert_eq!(
            metric(&single, "overall", name),
            metric(&single, "class:f", name),
            "{name}"
        );
    }
    // Two classes: the union's count, mean and maximum follow exactly from
    // the classes'; its percentiles lie between theirs.
    let both = simulate(&scenario(&classes(
        r#"{ class = "f", call = "app/fast", weight = 3 }, { class = "s", call = "app/slow", weight = 1 }"#,
    )));
    let get = |scope: &str, name: &str| metric(&both, scope, name);
    let (fast, slow) = (get("class:f", "completed"), get("class:s", "completed"));
    assert!(fast > 0.0 && slow > 0.0);
    assert_eq!(get("overall", "completed"), fast + slow);
    let mean =
        (get("class:f", "latency_mean_ms") * fast + get("class:s", "latency_mean_ms") * slow) / (fast + slow);
    assert!((get("overall", "latency_mean_ms") / mean - 1.0).abs() < 1e-9);
    assert_eq!(
        get("overall", "latency_max_ms"),
        get("class:f", "latency_max_ms").max(get("class:s", "latency_max_ms"))
    );
    for name in ["latency_p50_ms", "latency_p99_ms"] {
        let (a, b) = (get("class:f", name), get("class:s", name));
        let overall = get("overall", name);
        assert!(
            a.min(b) <= overall && overall <= a.max(b),
            "{name}: {overall} outside [{a}, {b}]"
        );
    }
}
