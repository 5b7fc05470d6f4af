//! A cache node's two limits: the cores its `threads` compute on (the CPU
//! part of every get, set and delete) and its connections (held for the
//! whole operation), each a queue of its own.
//!
//! The theory checks reuse `queueing`'s statistics: 20 independent
//! replications, the analytic value inside the 99.99 % Student t interval
//! of the run averages (see that module's comment for why the interval
//! follows from the sample and is no knob). This module makes 6 such
//! checks, so the chance that any fails by bad luck is below 10^-3. The
//! warm-up (5 s) is thousands of mean service times (1 ms) and more than
//! 13 relaxation times of the slowest station here (M/M/1 at ρ = 0.9:
//! 1/(μ(1 − √ρ)²) = 0.38 s).
//!
//! Every request is one cache hit: the keyspace has one key, which the
//! first request (in the warm-up) misses and fills; the database behind
//! costs nothing and there is no network, so the cache node is the only
//! station that takes time.

use crate::queueing::{Mmc, check_core_station, replicate, scenario_and_workload};
use crate::support::metric;

/// A pool `app` whose one endpoint reads key 0 of `db` through the cache
/// `cache` (with `cache` as the rest of its section), on a 4-core size.
fn reads_through_a_cache(rate_per_s: u32, requests: u64, cache: &str) -> String {
    // Each request is about an item: the cache needs its key.
    let head = scenario_and_workload(rate_per_s, requests, "app/read")
        .replace(r#"call = "app/read" }"#, r#"call = "app/read", key = "items" }"#);
    format!(
        r#"{head}
[size.node]
cores = 4
price_per_hour = 0.5

[keyspace.items]
keys = 1

[pool.app]
workers = 100000

[pool.app.endpoint.read]
service = {{ dist = "const", value = "0s" }}
steps = [{{ read = "db", cache = "cache" }}]

[database.db]
keyspace = "items"
read_cpu = "0s"
read = "0s"

[cache.cache]
keyspace = "items"
capacity = 1
size = "node"
latency = "0s"
cpu = {{ dist = "exp", mean = "1ms" }}
{cache}
"#
    )
}

/// Checks a cache node that computes on `model.servers` cores at
/// `model`'s load: the mean wait for a core is Erlang C's C(c, λ/μ)/(cμ −
/// λ) (for c = 1, ρ/(1 − ρ)·S), the cores are ρ busy, and nobody waits for
/// a connection.
fn check_cores(label: &str, model: Mmc, cache: &str) {
    let rate_per_s = (model.lambda * 1000.0).round() as u32;
    let runs = replicate(&reads_through_a_cache(rate_per_s, 400_000, cache));
    check_core_station(label, &runs, "cache", model, "connection");
    for run in &runs {
        assert_eq!(metric(run, "cache", "cores"), model.servers as f64);
    }
}

/// One thread (Redis's default) on a 4-core size with 10 000 connections,
/// CPU exponential with a 1 ms mean, 900 operations/s: an M/M/1 station at
/// ρ = 0.9 whose mean wait is ρ/(1 − ρ)·S = 9 ms. The three idle cores and
/// the many connections do not help: the thread binds.
#[test]
fn one_thread_waits_as_m_m_1_whatever_the_connections() {
    let model = Mmc {
        servers: 1,
        lambda: 0.9,
        mu: 1.0,
    };
    let wait_ms = 0.9 / (1.0 - 0.9) * 1.0;
    assert!((model.wait_probability() / model.theta() - wait_ms).abs() < 1e-9);
    check_cores(
        "cache node, 1 thread of 4 cores, 10000 connections, CPU ρ=0.9",
        model,
        "connections = 10000",
    );
}

/// Four threads on the 4-core size, 3 600 operations/s: an M/M/4 station
/// at ρ = 0.9 (Erlang C).
#[test]
fn four_threads_on_four_cores_wait_as_m_m_4() {
    check_cores(
        "cache node, 4 threads of 4 cores, CPU ρ=0.9",
        Mmc {
            servers: 4,
            lambda: 3.6,
            mu: 1.0,
        },
        "threads = 4\nconnections = 256",
    );
}

/// A node computes on at most its size's cores: 8 threads on 4 cores are
/// 4 cores; without a size, `threads` cores at speed 1. `validate`'s
/// capacity line says which limit binds.
#[test]
fn threads_are_capped_by_the_size_and_validate_names_the_binding_limit() {
    let text = reads_through_a_cache(100, 1000, "threads = 8");
    let scenario = crate::support::scenario(&text);
    let capacities = capsim::study::feasibility::cache_capacities(&scenario);
    assert_eq!(capacities[0].cores.cores, 4);
    // 4 cores / 1 ms = 4 000/s; 1 000 connections / 1 ms = 1 000 000/s.
    let operations = capacities[0].operations;
    assert!((operations.by_cores - 4000.0).abs() < 1e-6, "{operations:?}");
    assert!((operations.by_connections - 1e6).abs() < 1e-3, "{operations:?}");
    assert!(operations.cores_bind());
    let unsized_text = text.replace("size = \"node\"\n", "");
    let unsized_scenario = crate::support::scenario(&unsized_text);
    let capacities = capsim::study::feasibility::cache_capacities(&unsized_scenario);
    assert_eq!(capacities[0].cores.cores, 8);
    assert_eq!(capacities[0].cores.speed, 1.0);
}
