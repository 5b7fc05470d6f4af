//! Engine throughput benchmarks (criterion).
//!
//! Three workloads, each timed as one whole `capsim::study::run`:
//!
//! * `mmc_c8_rho0.9`: an M/M/c queue with c = 8 workers, mean service 1 ms
//!   and 7200 arrivals/s (ρ = 0.9), 150 s simulated (~2.2 M events);
//! * `04_load_balancer`: `scenarios/04-load-balancer.toml` (DNS → balancer →
//!   4 pools → database, 600 req/s) shortened to 5 min simulated, 1 min of
//!   it warm-up (~1.7 M events);
//! * `06_cache`: `scenarios/06-cache.toml` (3000 req/s, a two-node LRU cache
//!   of 102 400 entries in front of a replicated database: every read is a
//!   cache lookup, misses fill) shortened to 2 min simulated.
//!
//! Each workload is reported twice, under the same group, with a different
//! throughput unit: `events` (engine events handled per wall-clock second)
//! and `requests` (requests counted after warm-up per wall-clock second).
//! Both counts come from one untimed run; runs are deterministic, so every
//! timed run handles exactly the same events (checked in the loop).
//!
//! Scenario loading and validation happen outside the timed loop.
//!
//! Run with `cargo bench --bench engine`; see BENCHMARKS.md.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use capsim::scenario::Scenario;
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

/// M/M/c, c = 8, ρ = 7200/s × 1 ms / 8 = 0.9. Two events per request
/// (arrival, completion).
const MMC: &str = r#"
[scenario]
seed = 1
duration = "150s"
warmup = "0s"
window = "10s"

[workload]
arrivals = { kind = "open", rate = "7200/s" }
mix = [{ class = "q", call = "srv/work" }]

[pool.srv]
workers = 8

[pool.srv.endpoint.work]
service = { dist = "exp", mean = "1ms" }
"#;

fn mmc() -> Scenario {
    capsim::scenario::load_str(MMC)
        .unwrap_or_else(|error| panic!("M/M/c scenario:\n{error}"))
        .scenario
}

fn load_balancer() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/04-load-balancer.toml");
    capsim::scenario::load_file(&path, &["scenario.duration=5m".to_owned()])
        .unwrap_or_else(|error| panic!("{}:\n{error}", path.display()))
        .scenario
}

fn cache() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/06-cache.toml");
    let overrides = [
        "scenario.duration=2m".to_owned(),
        "scenario.warmup=20s".to_owned(),
    ];
    capsim::scenario::load_file(&path, &overrides)
        .unwrap_or_else(|error| panic!("{}:\n{error}", path.display()))
        .scenario
}

/// Benchmarks one scenario under `name`, as `name/events` and
/// `name/requests`.
fn bench_scenario(c: &mut Criterion, name: &str, scenario: &Scenario) {
    let reference = capsim::study::run(scenario).expect("the benchmark scenario runs to its end");
    let events = reference.events_handled;
    let requests = reference
        .summary
        .get("overall", "requests")
        .expect("the summary has overall,requests") as u64;
    assert!(events > 0 && requests > 0);

    let mut group = c.benchmark_group(name);
    // One run takes ~0.2 s: flat sampling (the same few iterations in every
    // sample) and 15 samples keep each benchmark id near 10 s.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(15)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    for (id, throughput) in [
        ("events", Throughput::Elements(events)),
        ("requests", Throughput::Elements(requests)),
    ] {
        group.throughput(throughput);
        group.bench_function(id, |b| {
            b.iter(|| {
                let result = capsim::study::run(black_box(scenario)).expect("the run completes");
                assert_eq!(result.events_handled, events, "runs are deterministic");
                result
            })
        });
    }
    group.finish();
}

fn engine(c: &mut Criterion) {
    bench_scenario(c, "mmc_c8_rho0.9", &mmc());
    bench_scenario(c, "04_load_balancer", &load_balancer());
    bench_scenario(c, "06_cache", &cache());
}

criterion_group!(benches, engine);
criterion_main!(benches);
