//! Check the simulator against queueing theory from code: an M/M/c station
//! simulated with several seeds, its mean wait compared with Erlang C.
//!
//! ```sh
//! cargo run --release --example mmc_against_theory
//! ```
//!
//! `tests/it/queueing.rs` does this properly (confidence intervals, many
//! configurations); this is the short version to start from.

use capsim::scenario::load_str;
use capsim::study::{self, analytic};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (servers, rate, service_s) = (4_u32, 3200.0, 0.001);
    let text = format!(
        r#"
[scenario]
duration = "200s"
warmup = "20s"
[workload]
arrivals = {{ kind = "open", rate = "{rate}/s" }}
mix = [{{ class = "job", call = "station/job" }}]
[pool.station]
workers = {servers}
[pool.station.endpoint.job]
service = {{ dist = "exp", mean = "{service_ms}ms" }}
"#,
        service_ms = service_s * 1e3
    );
    let base = load_str(&text)?.scenario;
    let theory_ms = analytic::mmc_wait(servers, rate, service_s) * 1e3;
    println!(
        "M/M/{servers}, ρ = {:.2}: Erlang C mean wait {theory_ms:.4} ms",
        rate * service_s / servers as f64
    );
    let mut waits = Vec::new();
    for seed in 1..=5 {
        let mut scenario = base.clone();
        scenario.seed = seed;
        let result = study::run(&scenario)?;
        let wait = result.summary.get("station", "wait_mean_ms").unwrap_or(f64::NAN);
        println!("  seed {seed}: simulated mean wait {wait:.4} ms");
        waits.push(wait);
    }
    let mean = waits.iter().sum::<f64>() / waits.len() as f64;
    println!(
        "mean of 5 seeds {mean:.4} ms ({:+.1} % from theory)",
        (mean / theory_ms - 1.0) * 100.0
    );
    Ok(())
}
