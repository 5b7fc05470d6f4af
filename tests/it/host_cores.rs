//! Hosts: a pool and a database placed on one `[host.*]` compute on its
//! cores, one FIFO line for both, like scenario 01's single server with the
//! database as its own component.
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
