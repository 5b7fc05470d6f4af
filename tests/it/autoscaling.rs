//! Autoscaling and cost by up-time: a spike meets the boot delay, capacity
//! arrives in steps, the pool scales in after its cooldown, and cost is the
//! integral of running instances × price.

use capsim::results::RunResult;

use crate::support::{assert_conserved, metric, scenario, scenario_file, series, shipped, simulate};

fn event_times(result: &RunResult, kind: &str) -> Vec<f64> {
    result
        .events
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.time.as_secs_f64())
        .collect()
}

/// c5.2xlarge, the size scenario 12 uses.
const PRICE: f64 = 0.34;

/// Scenario 12: the spike at 3m meets 2 instances; new ones serve only
/// after their 60 s boot, so p99 and errors rise first; the pool scales in
/// only after the spike and the 3-minute scale-in cooldown.
#[test]
fn an_autoscaled_pool_shows_the_boot_delay_then_scales_in_after_the_cooldown() {
    let result = simulate(&scenario_file(&shipped("12-autoscaling.toml"), &[]));
    let outs = event_times(&result, "scale_out");
    let ready = event_times(&result, "instance_ready");
    let ins = event_times(&result, "scale_in");
    assert!(!outs.is_empty() && !ready.is_empty() && !ins.is_empty());
    let first_out = outs[0];
    assert!(
        (180.0..=240.0).contains(&first_out),
        "first scale-out at {first_out}"
    );
    // No instance serves before its boot (60 s) after the launch.
    for &at in &ready {
        assert!(
            outs.iter().any(|&out| (at - out - 60.0).abs() < 1e-9),
            "ready at {at} is 60 s after a launch: {outs:?}"
        );
    }
    let serving = series(&result, "web", "serving_instances");
    let throughput = series(&result, "overall", "throughput_rps");
    let p99 = series(&result, "overall", "latency_p99_ms");
    let errors = series(&result, "overall", "errors");
    let in_window = |data: &[(f64, f64)], from: f64, to: f64| -> Vec<f64> {
        data.iter()
            .filter(|(t, _)| *t > from && *t <= to)
            .map(|&(_, v)| v)
            .collect()
    };
    // Between the spike and the first boot: still 2 instances, which can
    // serve at most 2 × 8 workers / 40 ms = 400 requests/s.
    let boot_gap = (180.0, first_out + 60.0);
    assert!(
        in_window(&serving, boot_gap.0, boot_gap.1)
            .iter()
            .all(|&n| n == 2.0)
    );
    for rps in in_window(&throughput, boot_gap.0 + 10.0, boot_gap.1) {
        assert!(rps < 400.0 * 1.08, "throughput {rps} beyond 2 instances");
    }
    let before: f64 = in_window(&p99, 60.0, 180.0).iter().sum::<f64>() / 12.0;
    let during = in_window(&p99, boot_gap.0 + 10.0, boot_gap.1);
    assert!(
        during.iter().all(|&p| p > 2.0 * before),
        "p99 {during:?} vs {before}"
    );
    assert!(
        in_window(&errors, boot_gap.0 + 10.0, boot_gap.1)
            .iter()
            .all(|&e| e > 0.0)
    );
    // Once capacity has arrived the errors stop, still during the spike.
    let settled = ready.last().copied().unwrap() + 10.0;
    assert!(in_window(&errors, settled, 420.0).iter().all(|&e| e == 0.0));
    // Scale-in: after the spike ends (7m) and ≥ 3 minutes after the last action.
    let last_out = outs.last().copied().unwrap();
    assert!(
        ins[0] >= 420.0 && ins[0] - last_out >= 180.0,
        "scale-in at {}",
        ins[0]
    );
    assert_eq!(serving.last().unwrap().1, 2.0, "back to min");
    assert_conserved(&result);
}

/// Cost is billed by up-time: the pool's cost equals the integral of its
/// running instances (booting ones included) over time × price per hour;
/// the time series' `instances` is the exact time-weighted mean of each
/// window, so the sum is the integral. A fixed pool sized for the peak
/// costs its size × duration, and more than the autoscaled one.
#[test]
fn cost_follows_the_instance_count() {
    let autoscaled = simulate(&scenario_file(&shipped("12-autoscaling.toml"), &[]));
    let instance_seconds: f64 = series(&autoscaled, "web", "instances")
        .iter()
        .map(|&(_, mean)| mean * 10.0)
        .sum();
    let cost = metric(&autoscaled, "web", "cost_usd");
    let expected = instance_seconds / 3600.0 * PRICE;
    assert!((cost - expected).abs() < 1e-9 * expected, "{cost} vs {expected}");
    // The balancer in front is priced too (its default, a managed
    // balancer's hourly charge), for the whole measured time.
    let balancer = metric(&autoscaled, "lb", "cost_usd");
    assert!((balancer - 0.0225 * 720.0 / 3600.0).abs() < 1e-12, "{balancer}");
    assert_eq!(metric(&autoscaled, "overall", "cost_usd"), cost + balancer);
    let mean = metric(&autoscaled, "web", "instances_mean");
    assert!((mean * 720.0 - instance_seconds).abs() < 1e-6 * instance_seconds);

    let mut fixed = scenario_file(&shipped("12-autoscaling.toml"), &[]);
    let pool = fixed.pools.iter_mut().find(|p| p.name == "web").unwrap();
    pool.autoscale = None;
    pool.instances = 7;
    let fixed = simulate(&fixed);
    let fixed_cost = metric(&fixed, "web", "cost_usd");
    assert!((fixed_cost - 7.0 * PRICE * 720.0 / 3600.0).abs() < 1e-9);
    assert!(
        cost < 0.75 * fixed_cost,
        "autoscaled {cost} vs fixed {fixed_cost}"
    );
    assert!(metric(&fixed, "overall", "errors") < metric(&autoscaled, "overall", "errors"));

    // Per month: the measured average over a 730-hour month, so the fixed
    // pool costs its size × price × 730 and the autoscaled one its mean
    // instances × price × 730.
    let fixed_month = metric(&fixed, "web", "cost_per_month_usd");
    assert!((fixed_month - 7.0 * PRICE * 730.0).abs() < 1e-9, "{fixed_month}");
    let month = metric(&autoscaled, "web", "cost_per_month_usd");
    assert!(
        (month - mean * PRICE * 730.0).abs() < 1e-9 * month,
        "{month} vs {mean}"
    );
    let balancer_month = metric(&autoscaled, "lb", "cost_per_month_usd");
    assert!((balancer_month - 0.0225 * 730.0).abs() < 1e-9, "{balancer_month}");
    let overall_month = metric(&autoscaled, "overall", "cost_per_month_usd");
    assert!((overall_month - (month + balancer_month)).abs() < 1e-9 * overall_month);
}

/// Every priced component's monthly cost appears in its own row, and they
/// add up to `overall`'s: pools by up-time, a CDN by egress.
#[test]
fn monthly_costs_add_up_to_overall() {
    let result = simulate(&scenario_file(&shipped("07-cdn.toml"), &[]));
    let rows: Vec<(String, f64)> = result
        .summary
        .rows
        .iter()
        .filter(|row| row.metric == "cost_per_month_usd" && row.scope != "overall")
        .map(|row| (row.scope.clone(), row.value))
        .collect();
    // Pools by up-time, the balancer by the hour, the CDN by egress; the
    // database has no price (its row says 0, and the run lists it as unpriced).
    for priced in ["static", "web", "lb"] {
        assert!(
            rows.iter().any(|(scope, value)| scope == priced && *value > 0.0),
            "{priced}: {rows:?}"
        );
    }
    assert!(rows.iter().all(|(_, value)| *value >= 0.0), "{rows:?}");
    let sum: f64 = rows.iter().map(|(_, value)| value).sum();
    let overall = metric(&result, "overall", "cost_per_month_usd");
    assert!((sum - overall).abs() < 1e-9 * overall, "{sum} vs {overall}");
    let measured_hours = metric(&result, "overall", "measured_s") / 3600.0;
    let cost = metric(&result, "overall", "cost_usd");
    assert!((overall - cost / measured_hours * 730.0).abs() < 1e-9 * overall);
}

/// A killed instance stops billing until it is restored.
#[test]
fn killed_instances_stop_billing_until_restored() {
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "1h"
window = "1m"

[workload]
arrivals = { kind = "open", rate = "10/s" }
mix = [{ class = "a", call = "web/a" }]

[size.box]
cores = 2
price_per_hour = 1.0

[pool.web]
instances = 4
size = "box"
workers = 2
endpoint.a = { service = "1ms" }

[[faults]]
at = "15m"
kill = "pool.web.instance[1]"
for = "30m"
"#,
    ));
    // 4 instances for an hour, less one for half an hour: 3.5 instance-hours.
    let cost = metric(&result, "web", "cost_usd");
    assert!((cost - 3.5).abs() < 1e-9, "{cost}");
    let instances = series(&result, "web", "instances");
    assert_eq!(instances[0].1, 4.0);
    assert_eq!(instances[20].1, 3.0);
}

/// Scaling on utilization follows target tracking: an idle pool started
/// above its minimum drains down to it, a drained instance stops only once
/// its work is done, and nothing is lost on the way.
#[test]
fn an_idle_pool_scales_in_to_its_minimum_without_losing_requests() {
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "5m"
window = "10s"

[workload]
arrivals = { kind = "open", rate = "50/s" }
timeout = "10s"
mix = [{ class = "a", call = "lb/a" }]

[balancer.lb]
pool = "web"

[pool.web]
instances = 6
workers = 4
endpoint.a = { service = { dist = "exp", mean = "20ms" } }

[pool.web.autoscale]
min = 1
max = 6
target = 0.5
interval = "30s"
cooldown = "30s"
"#,
    ));
    // 50/s × 20 ms = 1 busy worker; target 0.5 of 4 workers: 1 instance.
    let ins = event_times(&result, "scale_in");
    assert_eq!(ins.first().copied(), Some(30.0));
    let instances = series(&result, "web", "instances");
    assert_eq!(instances.last().unwrap().1, 1.0);
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
    assert_conserved(&result);
}

/// Scale-in drains: an instance taken out gets no new work, finishes the
/// requests it has (2 s each here), and only then stops — and stops
/// billing. 5 requests/s × 2 s = 10 busy workers; at a target of 0.5 of 8
/// workers that is 3 instances, so 6 drain to 3 at the first evaluation.
#[test]
fn scale_in_drains_in_flight_work_before_stopping() {
    let result = simulate(&scenario(
        r#"
[scenario]
duration = "2m"
window = "10s"

[workload]
arrivals = { kind = "open", rate = "5/s" }
mix = [{ class = "a", call = "lb/a" }]

[balancer.lb]
pool = "web"

[pool.web]
instances = 6
workers = 8
endpoint.a = { service = "1ms", steps = [{ delay = "2s" }] }

[pool.web.autoscale]
min = 1
max = 6
target = 0.5
interval = "30s"
cooldown = "10m"
"#,
    ));
    let ins: Vec<_> = result.events.iter().filter(|e| e.kind == "scale_in").collect();
    assert_eq!(ins.len(), 1);
    assert!(ins[0].detail.starts_with("6 → 3"), "{}", ins[0].detail);
    let instances = series(&result, "web", "instances");
    let at = |t: f64| instances.iter().find(|(time, _)| *time == t).unwrap().1;
    assert_eq!(at(30.0), 6.0);
    // The three drained instances ran on for at most one request (2 s):
    // billed, but not for the whole window.
    let draining = at(40.0);
    assert!(draining > 3.0 && draining <= 3.0 + 3.0 * 0.2 + 1e-9, "{draining}");
    assert_eq!(at(50.0), 3.0);
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
    assert_eq!(metric(&result, "web", "reset"), 0.0);
    assert_conserved(&result);
}

/// The balancer's rotation holds the instances that take new work: an
/// autoscaled pool's stopped and booting instances are not in it. The count
/// in rotation at a window's end (after that instant's events) holds through
/// the next window whenever that window served with one count all along
/// (its time-weighted mean is a whole number): then the two agree.
#[test]
fn the_balancers_rotation_counts_serving_instances_only() {
    let result = simulate(&scenario_file(&shipped("12-autoscaling.toml"), &[]));
    let in_rotation = series(&result, "lb", "in_rotation");
    let serving = series(&result, "web", "serving_instances");
    assert_eq!(in_rotation.len(), serving.len());
    let mut steady = 0;
    for (&(time, rotation), &(_, next_serving)) in in_rotation.iter().zip(&serving[1..]) {
        assert!(rotation <= 10.0, "{time}: {rotation} in rotation");
        if next_serving.fract() == 0.0 {
            steady += 1;
            assert_eq!(rotation, next_serving, "at {time} s");
        }
    }
    assert!(steady > 30, "most windows are steady ({steady})");
    let counts: std::collections::BTreeSet<u64> = in_rotation.iter().map(|&(_, n)| n as u64).collect();
    assert!(counts.len() >= 3, "the rotation follows the scaling: {counts:?}");
}
