//! Hosts: a pool and a database placed on one `[host.*]` compute on its
//! cores, one FIFO line for both, like scenario 01's single server with the
//! database as its own component; or share them (`processor_sharing`),
//! checked against M/M/2's insensitivity and M/G/1-PS's response in
//! proportion to the size.
//!
//! The theory check reuses `queueing`'s statistics: 20 independent
//! replications, the analytic value inside the 99.99 % Student t interval
//! of the run averages (see that module's comment for why the interval
//! follows from the sample and is no knob). The warm-up (5 s) is thousands
//! of mean service times (1 ms) and far more than the relaxation time of
//! an M/M/2 at ρ = 0.9.

use crate::queueing::{Mmc, check, column, replicate, scenario_and_workload};
use crate::support::metric;

/// Half the requests compute in the pool `app` (exponential, 1 ms), half
/// read the database `db`, whose read is all CPU (exponential, 1 ms); both
/// stand on the host `box` of `cores` cores; no network, connections and
/// workers to spare.
fn pool_and_database_on_one_host(rate_per_s: u32, requests: u64, cores: u32) -> String {
    let head = scenario_and_workload(rate_per_s, requests, "app/compute").replace(
        r#"mix = [{ class = "q", call = "app/compute" }]"#,
        r#"mix = [{ class = "p", call = "app/compute", weight = 1 }, { class = "d", call = "app/read", weight = 1 }]"#,
    );
    format!(
        r#"{head}
[host.box]
cores = {cores}

[pool.app]
workers = 100000
host = "box"

[pool.app.endpoint.compute]
service = {{ dist = "exp", mean = "1ms" }}

[pool.app.endpoint.read]
service = {{ dist = "const", value = "0s" }}
steps = [{{ read = "db" }}]

[database.db]
connections = 100000
read_cpu = {{ dist = "exp", mean = "1ms" }}
read = "0s"
host = "box"
"#
    )
}

/// Two components, 900 CPU jobs/s each, exponential 1 ms, on 2 shared
/// cores: one M/M/2 station at λ = 1.8/ms, ρ = 0.9. Each component's mean
/// wait for a core is Erlang C's C(2, 1.8)/(2μ − λ) (≈ 4.26 ms), the mean
/// response of either class that wait plus 1 ms, and the two components
/// together keep the cores 90 % busy (45 % each). On cores of their own
/// (2 each) each would be an M/M/2 at ρ = 0.45 and wait ≈ 0.26 ms: the
/// sharing is what the host adds.
#[test]
fn a_pool_and_a_database_on_one_host_wait_as_one_m_m_2() {
    let model = Mmc {
        servers: 2,
        lambda: 1.8,
        mu: 1.0,
    };
    let runs = replicate(&pool_and_database_on_one_host(1800, 400_000, 2));
    let wait_ms = model.wait_probability() / model.theta();
    for scope in ["app", "db"] {
        check(
            &format!("host, {scope}: wait for a core ms"),
            &column(&runs, scope, "cpu_wait_mean_ms"),
            wait_ms,
            0.0,
        );
        check(
            &format!("host, {scope}: its share of the cores"),
            &column(&runs, scope, "cpu_utilization"),
            model.utilization() / 2.0,
            0.0,
        );
    }
    check(
        "host: mean response ms",
        &column(&runs, "overall", "latency_mean_ms"),
        model.mean_response(),
        0.0,
    );
    check(
        "host: its own busy cores",
        &column(&runs, "host:box", "cpu_utilization"),
        model.utilization(),
        0.0,
    );
    check(
        "host: its line",
        &column(&runs, "host:box", "queue_len_mean"),
        model.lambda * model.wait_probability() / model.theta(),
        0.0,
    );
    for run in &runs {
        assert_eq!(metric(run, "overall", "errors"), 0.0);
    }
}

/// A component naming a host the scenario does not declare is refused,
/// with the file, the key and the hosts it could have meant.
#[test]
fn an_unknown_host_is_refused_with_the_known_ones() {
    let text = pool_and_database_on_one_host(100, 1000, 2)
        .replace("read = \"0s\"\nhost = \"box\"", "read = \"0s\"\nhost = \"bx\"");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosted.toml");
    std::fs::write(&path, text).unwrap();
    let output = assert_cmd::Command::cargo_bin("capsim")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(["validate", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for part in ["no host named `bx`", "hosted.toml:", "database.db.host", "`box`"] {
        assert!(stderr.contains(part), "missing {part:?} in:\n{stderr}");
    }
}

/// One pool `app` on the host `box` of `cores` cores shared by processor
/// sharing; `mix` (a `[workload]` mix line) calls its endpoints `short`
/// (constant `short`) and `long` (constant `long`); workers to spare.
fn shared_host(rate_per_s: u32, requests: u64, cores: u32, mix: &str, short: &str, long: &str) -> String {
    let head = scenario_and_workload(rate_per_s, requests, "app/short")
        .replace(r#"mix = [{ class = "q", call = "app/short" }]"#, mix);
    format!(
        r#"{head}
[host.box]
cores = {cores}
discipline = "processor_sharing"

[pool.app]
workers = 100000
host = "box"

[pool.app.endpoint.short]
service = {{ dist = "const", value = "{short}" }}

[pool.app.endpoint.long]
service = {{ dist = "const", value = "{long}" }}
"#
    )
}

/// Processor sharing on c = 2 cores is a symmetric queue (Kelly), so its
/// number present, and by Little's law its mean response, are those of
/// M/M/2 whatever the CPU time's distribution: here constant 1 ms at
/// 1 400/s (ρ = 0.7), E[T] = 1/(μ(1 − ρ²)) ≈ 1.96 ms, where a FIFO line
/// (M/D/2) gives about 1.4 ms. The steps computing beyond the cores
/// average M/M/2's Lq = λ·C(2, 1.4)/(2μ − λ), the host's cores are 70 %
/// busy, and each step's stretch (`cpu_wait_mean_ms`) is E[T] − 1 ms.
#[test]
fn processor_sharing_on_two_cores_responds_as_m_m_2_whatever_the_distribution() {
    let model = Mmc {
        servers: 2,
        lambda: 1.4,
        mu: 1.0,
    };
    let mix = r#"mix = [{ class = "q", call = "app/short" }]"#;
    let runs = replicate(&shared_host(1400, 200_000, 2, mix, "1ms", "1ms"));
    check(
        "shared host: mean response ms",
        &column(&runs, "overall", "latency_mean_ms"),
        model.mean_response(),
        0.0,
    );
    check(
        "shared host: stretch of a step ms",
        &column(&runs, "app", "cpu_wait_mean_ms"),
        model.mean_response() - 1.0,
        0.0,
    );
    check(
        "shared host: steps beyond the cores",
        &column(&runs, "host:box", "queue_len_mean"),
        model.lambda * model.wait_probability() / model.theta(),
        0.0,
    );
    for scope in ["app", "host:box"] {
        check(
            &format!("shared host: {scope} cpu_utilization"),
            &column(&runs, scope, "cpu_utilization"),
            model.utilization(),
            0.0,
        );
    }
    for run in &runs {
        assert_eq!(metric(run, "overall", "errors"), 0.0);
        assert_eq!(metric(run, "host:box", "cores"), 2.0);
    }
}

/// Processor sharing's signature: on one core (M/G/1-PS), a step of CPU
/// time x takes x/(1 − ρ) on average, in proportion to its size, where a
/// FIFO line makes short and long wait alike (Pollaczek–Khinchine). Half
/// the requests need 1 ms, half 4 ms, at 240/s: ρ = 0.6, so 2.5 ms and
/// 10 ms (FIFO: 3.55 ms and 6.55 ms).
#[test]
fn processor_sharing_on_one_core_stretches_each_step_in_proportion_to_its_size() {
    let rho: f64 = 0.24 * 2.5;
    let mix = r#"mix = [{ class = "s", call = "app/short", weight = 1 }, { class = "l", call = "app/long", weight = 1 }]"#;
    let runs = replicate(&shared_host(240, 100_000, 1, mix, "1ms", "4ms"));
    for (class, size_ms) in [("class:s", 1.0), ("class:l", 4.0)] {
        check(
            &format!("M/G/1-PS: {class} mean response ms"),
            &column(&runs, class, "latency_mean_ms"),
            size_ms / (1.0 - rho),
            0.0,
        );
    }
    check(
        "M/G/1-PS: host cpu_utilization",
        &column(&runs, "host:box", "cpu_utilization"),
        rho,
        0.0,
    );
}

/// Conservation on a processor-sharing host through deaths: the pool and a
/// replicated database (reads, writes, a replica's applies) share 2 cores;
/// the replica dies at 20 s for 10 s (its applies leave the host's service)
/// and so does the primary at 40 s. Every request is accounted for, the
/// components' shares add up to the host's busy cores (to the 2^-20 core
/// resolution of a share), and the host is never more than fully busy.
#[test]
fn a_processor_sharing_host_conserves_requests_and_cores_through_deaths() {
    let text = crate::database_cores::replicated(600, 300).replace(
        "[pool.app]\n",
        "[host.box]\ncores = 2\ndiscipline = \"processor_sharing\"\n\n[pool.app]\nhost = \"box\"\n",
    ) + "host = \"box\"\n\n[[faults]]\nkill = \"database.db.replica[0]\"\nat = \"20s\"\nfor = \"10s\"\n\n[[faults]]\nkill = \"database.db.primary\"\nat = \"40s\"\nfor = \"10s\"\n";
    let result = crate::support::simulate(&crate::support::scenario(&text));
    crate::support::assert_conserved(&result);
    let host = metric(&result, "host:box", "cpu_utilization");
    // Each component's `cpu_utilization` is its share of the host's 2
    // cores (the database's two nodes together), and so is each node's.
    let shares = (metric(&result, "app", "cpu_utilization") + metric(&result, "db", "cpu_utilization")) * 2.0;
    let nodes = metric(&result, "db.primary", "cpu_utilization")
        + metric(&result, "db.replica[0]", "cpu_utilization");
    assert!(
        (nodes - metric(&result, "db", "cpu_utilization")).abs() < 1e-4,
        "the nodes' shares {nodes} add up to the database's"
    );
    assert!(host > 0.2 && host <= 1.0, "host busy {host}");
    assert!(
        (shares - host * 2.0).abs() < 1e-4,
        "the components' shares {shares} are the host's busy cores {}",
        host * 2.0
    );
    assert!(
        metric(&result, "overall", "errors") > 0.0,
        "the primary's death fails writes"
    );
}
