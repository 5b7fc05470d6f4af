//! Load a shipped scenario, run it, and read its results in code.
//!
//! ```sh
//! cargo run --release --example run_scenario [-- scenarios/04-load-balancer.toml]
//! ```
//!
//! The same numbers land in `summary.csv` when the scenario is run with
//! `capsim run`; here they come straight from the `RunResult`.

use std::path::PathBuf;

use capsim::scenario::load_file;
use capsim::study;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/04-load-balancer.toml"));
    // Overrides work as `--set` does on the command line.
    let loaded = load_file(&path, &["scenario.duration=\"3m\"".to_owned()])?;
    let scenario = loaded.scenario;
    let result = study::run(&scenario)?;

    let summary = &result.summary;
    let overall = |metric: &str| summary.get("overall", metric).unwrap_or(f64::NAN);
    println!(
        "{} ({} simulated, seed {})",
        scenario.name, scenario.duration, scenario.seed
    );
    println!("  throughput  {:>9.1} req/s", overall("throughput_rps"));
    println!("  p50         {:>9.2} ms", overall("latency_p50_ms"));
    println!("  p99         {:>9.2} ms", overall("latency_p99_ms"));
    println!("  error rate  {:>9.4}", overall("error_rate"));
    println!("  events      {:>9}", result.events_handled);

    // Every pool's utilization: the rows whose metric is `utilization`.
    for row in summary.rows.iter().filter(|row| row.metric == "utilization") {
        println!("  {:<10}  utilization {:.3}", row.scope, row.value);
    }
    // The p99 of each 10 s window, from the time series.
    let p99 = result.timeseries.series("overall", "latency_p99_ms");
    if let Some((time, worst)) = p99.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) {
        println!("  worst window p99 {worst:.2} ms at {time:.0} s");
    }
    Ok(())
}
