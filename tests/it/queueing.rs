//! placeholder
use crate::support;
#[test]
fn speed_probe() {
    let text = r#"
[scenario]
seed = 1
duration = "1100s"
warmup = "100s"
window = "100s"

[workload]
arrivals = { kind = "open", rate = "900/s" }
mix = [{ class = "q", call = "srv/work" }]

[pool.srv]
instances = 1
workers = 1

[pool.srv.endpoint.work]
service = { dist = "exp", mean = "1ms" }
"#;
    let s = support::scenario(text);
    let t = std::time::Instant::now();
    let r = support::simulate(&s);
    println!("elapsed {:?} events {}", t.elapsed(), r.events_handled);
    for (scope, name) in [("overall","requests"),("overall","latency_mean_ms"),("overall","latency_p99_ms"),("srv","wait_probability"),("srv","utilization"),("srv","in_system_mean"),("srv","residence_mean_ms"),("srv","throughput_rps"),("srv","queue_len_mean"),("srv","wait_mean_ms"),("overall","measured_s")] {
        println!("{scope}/{name} = {}", support::metric(&r, scope, name));
    }
}
