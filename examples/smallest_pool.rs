//! A capacity question answered in code: the fewest servers that keep p99
//! under a target at a given load. The scenario is built from text in the
//! program, then changed field by field on the typed `Scenario`.
//!
//! ```sh
//! cargo run --release --example smallest_pool
//! ```
//!
//! `capsim plan` answers this question (and more) from the command line;
//! this shows the library calls underneath.

use capsim::scenario::load_str;
use capsim::study;

const SCENARIO: &str = r#"
[scenario]
name = "web tier"
duration = "2m"
warmup = "20s"

[limits]
max_in_flight = 20000   # an overloaded pool stops the run early instead of queueing for minutes

[workload]
arrivals = { kind = "open", rate = "6000/s" }
mix = [{ class = "page", call = "lb/page" }]

[balancer.lb]
policy = "least_connections"
pool = "web"

[pool.web]
instances = 1
workers = 8

[pool.web.endpoint.page]
service = { dist = "lognormal", mean = "4ms", cv = 1.0 }
"#;

const P99_TARGET_MS: f64 = 20.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = load_str(SCENARIO)?.scenario;
    println!("instances  utilization  p99 (ms)");
    for instances in 1..=8 {
        let mut scenario = base.clone();
        let web = scenario
            .pools
            .iter_mut()
            .find(|pool| pool.name == "web")
            .expect("the scenario has a web pool");
        web.instances = instances;
        // An overloaded pool is not an error here: the run reports its
        // queue growing (or stops at `limits.max_in_flight`).
        let Ok(result) = study::run(&scenario) else {
            println!("{instances:>9}  overloaded: requests piled up past the in-flight limit");
            continue;
        };
        let utilization = result.summary.get("web", "utilization").unwrap_or(f64::NAN);
        let p99 = result
            .summary
            .get("overall", "latency_p99_ms")
            .unwrap_or(f64::NAN);
        println!("{instances:>9}  {utilization:>11.3}  {p99:>8.2}");
        if p99 < P99_TARGET_MS {
            println!("{instances} instances keep p99 under {P99_TARGET_MS} ms at 6000 req/s");
            return Ok(());
        }
    }
    println!("no pool of up to 8 instances meets the target");
    Ok(())
}
