//! A database node's two limits: its size's cores (the CPU part of every
//! operation, and a replica's applies) and its connections (held for the
//! whole operation, CPU and I/O), each a queue of its own; and replication
//! that competes with reads for a replica's cores.
//!
//! The theory checks reuse `queueing`'s statistics: 20 independent
//! replications, the analytic value inside the 99.99 % Student t interval
//! of the run averages (see that module's comment for why). This module
//! makes 11 such checks, so the chance that any fails by bad luck is about
//! 10^-3. The warm-up (5 s) is thousands of mean service times (1 ms) and
//! far more than the relaxation time of an M/M/4 at ρ = 0.9.
//!
//! The replication tests compare single long runs of one seed (common random
//! numbers: the variants differ only by their load): the lag must grow by far
//! more than the run-to-run noise of a mean over ~10^5 writes.

use crate::queueing::{
    Mmc, REPLICATIONS, check, check_core_station, column, replicate, scenario_and_workload,
};
use crate::support::{metric, scenario, simulate};

/// A pool `app` that only reads `db` (no CPU of its own, no network), and
/// the database `db` with `database` as the rest of its section, on a size
/// `node` of `cores` cores.
pub(crate) fn reads_from_a_node(rate_per_s: u32, requests: u64, cores: u32, database: &str) -> String {
    let head = scenario_and_workload(rate_per_s, requests, "app/read");
    format!(
        r#"{head}
[size.node]
cores = {cores}
price_per_hour = 0.5

[pool.app]
workers = 100000

[pool.app.endpoint.read]
service = {{ dist = "const", value = "0s" }}
steps = [{{ read = "db" }}]

[database.db]
size = "node"
{database}
"#
    )
}

/// With a CPU part only (exponential, 1 ms on a speed-1 core) and
/// connections to spare, a node of 4 cores at CPU ρ = 0.9 is an M/M/4
/// station on its cores: the mean wait for a core is Erlang C's
/// C(4, 3.6)/(4μ − λ), the response C/(cμ − λ) + 1/μ, the cores 90 %
/// busy; nobody waits for a connection. The same with 256 connections and
/// with 10 000: the cores bind, not the connections.
#[test]
fn a_four_core_node_waits_for_cores_as_m_m_4() {
    let model = Mmc {
        servers: 4,
        lambda: 3.6,
        mu: 1.0,
    };
    for connections in [256, 10_000] {
        let label = format!("db node, 4 cores, {connections} connections, CPU ρ=0.9");
        let runs = replicate(&reads_from_a_node(
            3600,
            400_000,
            4,
            &format!(
                "connections = {connections}\nread_cpu = {{ dist = \"exp\", mean = \"1ms\" }}\nread = \"0s\""
            ),
        ));
        check_core_station(&label, &runs, "db", model, "connection");
        for run in &runs {
            assert_eq!(metric(run, "db", "cores"), 4.0);
        }
    }
}

/// With 4 connections, a long I/O part (exponential, 1 ms) and 16 cores,
/// the connections bind: the node is an M/M/4 station on its connections
/// at ρ = 0.9 (the wait for a connection is Erlang C's, the connections in
/// use λ/μ), and no operation ever waits for a core.
#[test]
fn with_few_connections_and_long_io_the_connections_bind() {
    let model = Mmc {
        servers: 4,
        lambda: 3.6,
        mu: 1.0,
    };
    let label = "db node, 16 cores, 4 connections, I/O ρ=0.9";
    let runs = replicate(&reads_from_a_node(
        3600,
        400_000,
        16,
        "connections = 4\nread_cpu = \"0s\"\nread = { dist = \"exp\", mean = \"1ms\" }",
    ));
    check(
        &format!("{label}: wait for a connection ms"),
        &column(&runs, "db", "wait_mean_ms"),
        model.wait_probability() / model.theta(),
        0.0,
    );
    check(
        &format!("{label}: P(wait for a connection)"),
        &column(&runs, "db", "wait_probability"),
        model.wait_probability(),
        0.0,
    );
    check(
        &format!("{label}: connections in use"),
        &column(&runs, "db", "connections_mean"),
        model.load(),
        0.0,
    );
    for run in &runs {
        assert_eq!(metric(run, "db", "cpu_utilization"), 0.0);
        assert_eq!(
            metric(run, "db", "utilization"),
            metric(run, "db", "connections_mean") / 4.0
        );
    }
}

/// A CPU part and an I/O part together: by the utilization law the cores
/// are busy λ·E[cpu]/speed / cores and the connections λ·(E[cpu]/speed +
/// E[io] + wait for a core) / connections; a faster size (speed 2) halves
/// the CPU time. Here the cores never make anyone wait (16 cores, 8
/// connections), so the connection law is exact.
#[test]
fn cpu_and_io_parts_load_cores_and_connections_by_the_utilization_law() {
    let text = reads_from_a_node(
        2000,
        200_000,
        16,
        "connections = 8\nread_cpu = { dist = \"exp\", mean = \"2ms\" }\nread = { dist = \"exp\", mean = \"1ms\" }",
    )
    .replace("cores = 16\n", "cores = 16\nspeed = 2.0\n");
    assert_eq!(REPLICATIONS, 20);
    let runs = replicate(&text);
    check(
        "speed-2 node: cpu_utilization",
        &column(&runs, "db", "cpu_utilization"),
        2.0 * 1.0 / 16.0,
        0.0,
    );
    check(
        "speed-2 node: connections in use",
        &column(&runs, "db", "connections_mean"),
        2.0 * (1.0 + 1.0),
        0.0,
    );
    for run in &runs {
        assert_eq!(
            metric(run, "db", "cpu_wait_mean_ms"),
            0.0,
            "8 connections never fill 16 cores"
        );
    }
}

/// One primary and one replica (2 cores) that serves every read; writes at
/// `writes_per_s` and reads at `reads_per_s`, each read 0.4 ms of CPU, each
/// write applied on the replica in 0.5 ms of CPU by one applier.
pub(crate) fn replicated(reads_per_s: u32, writes_per_s: u32) -> String {
    let total = reads_per_s + writes_per_s;
    format!(
        r#"
[scenario]
seed = 7
duration = "65s"
warmup = "5s"
window = "5s"

[workload]
arrivals = {{ kind = "open", rate = "{total}/s", users = 100000 }}
mix = [
  {{ class = "read", weight = {reads_per_s}, call = "app/read", key = "items" }},
  {{ class = "write", weight = {writes_per_s}, call = "app/write", key = "items" }},
]

[network]
default = {{ dist = "const", value = "100us" }}

[size.node]
cores = 2

[keyspace.items]
keys = 100000

[pool.app]
workers = 100000

[pool.app.endpoint.read]
service = {{ dist = "const", value = "0s" }}
steps = [{{ read = "db" }}]

[pool.app.endpoint.write]
service = {{ dist = "const", value = "0s" }}
steps = [{{ write = "db" }}]

[database.db]
size = "node"
keyspace = "items"
replicas = 1
connections = 200
read_cpu = {{ dist = "exp", mean = "400us" }}
read = "0s"
write_cpu = {{ dist = "exp", mean = "400us" }}
write = "0s"
replication = {{ mode = "async", apply = {{ dist = "exp", mean = "500us" }}, appliers = 1 }}
"#
    )
}

fn lag_ms(reads_per_s: u32, writes_per_s: u32) -> (f64, f64) {
    let result = simulate(&scenario(&replicated(reads_per_s, writes_per_s)));
    (
        metric(&result, "db", "replication_lag_mean_ms"),
        metric(&result, "db.replica[0]", "cpu_utilization"),
    )
}

/// At a fixed write rate (200/s), the replica's lag grows with its read
/// load: its applies wait for a core behind the reads' CPU parts. Nearly
/// idle (ρ ≈ 0.1) the lag is the hop and the apply, about 0.6 ms; at
/// ρ ≈ 0.8 the applies wait about as long as the reads do, M/M/2-like
/// (C(2, 1.6) · 0.4 ms / 0.4 ≈ 0.7 ms, and the applier's own queue), so the
/// lag more than doubles. (Before applies took cores, a replica 97 % busy
/// with reads showed the idle lag.)
#[test]
fn replica_lag_grows_with_its_read_load() {
    let (idle, idle_cpu) = lag_ms(250, 200);
    let (busy, busy_cpu) = lag_ms(2000, 200);
    let (busier, busier_cpu) = lag_ms(3700, 200);
    println!(
        "lag {idle:.3} ms at cpu {idle_cpu:.3}, {busy:.3} at {busy_cpu:.3}, {busier:.3} at {busier_cpu:.3}"
    );
    assert!((0.05..0.2).contains(&idle_cpu), "{idle_cpu}");
    assert!(busier_cpu > 0.75, "{busier_cpu}");
    assert!(
        idle > 0.55 && idle < 0.75,
        "nearly idle: the hop and the apply, {idle}"
    );
    assert!(busy > idle * 1.15, "{busy} vs {idle}");
    assert!(
        busier > busy * 1.5 && busier > idle * 2.0,
        "{busier} vs {busy} vs {idle}"
    );
}

/// At a fixed read load (2 000/s, the replica's cores 40 % busy with
/// reads), the lag grows with the write rate: more applies compete for the
/// one applier and for the cores.
#[test]
fn replica_lag_grows_with_the_write_rate() {
    let (few, _) = lag_ms(2000, 100);
    let (more, _) = lag_ms(2000, 800);
    let (most, most_cpu) = lag_ms(2000, 1600);
    println!("lag {few:.3} ms, {more:.3}, {most:.3} (cpu {most_cpu:.3})");
    assert!(more > few * 1.2, "{more} vs {few}");
    assert!(most > more * 1.5, "{most} vs {more}");
}

/// `capsim validate`'s capacity per node: cores × speed / CPU time, and
/// connections / (CPU time / speed + the rest); the tighter one binds.
#[test]
fn a_nodes_capacity_is_the_tighter_of_its_two_limits() {
    let text = reads_from_a_node(
        100,
        1000,
        4,
        "connections = 10\nread_cpu = \"1ms\"\nread = \"2ms\"\nwrite_cpu = \"4ms\"\nwrite = \"0s\"",
    )
    .replace("cores = 4\n", "cores = 4\nspeed = 2.0\n");
    let capacities = capsim::study::feasibility::database_capacities(&scenario(&text));
    let db = &capacities[0];
    assert_eq!((db.size.cores, db.size.price_per_hour), (4, 0.5));
    // Reads: cores allow 4 × 2 / 1 ms = 8 000/s, connections 10 / 2.5 ms = 4 000/s.
    assert!((db.reads.by_cores - 8000.0).abs() < 1e-6 && (db.reads.by_connections - 4000.0).abs() < 1e-6);
    assert!(!db.reads.cores_bind());
    // Writes: cores 4 × 2 / 4 ms = 2 000/s, connections 10 / 2 ms = 5 000/s.
    assert!((db.writes.per_second() - 2000.0).abs() < 1e-6 && db.writes.cores_bind());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.toml");
    std::fs::write(&path, &text).unwrap();
    let output = crate::support::capsim()
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let stdout = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(stdout.contains("node: 4 cores at speed 2"), "{stdout}");
    assert!(
        stdout.contains("reads 4,000/s (connections bind; cores allow 8,000/s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("writes 2,000/s (cores bind; connections allow 5,000/s)"),
        "{stdout}"
    );
}
