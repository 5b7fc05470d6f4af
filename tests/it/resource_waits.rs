//! Waits by resource: a station reports its wait for a worker (pools) or a
//! connection (databases) as `wait_mean_ms`, and its wait for a core apart,
//! as `cpu_wait_mean_ms`, wherever cores are a limit of their own; `capsim
//! run`'s `busiest` line and report.html say which wait is which, and call a
//! database's servers connections.
//!
//! The theory check follows `database_cores`' method with `queueing`'s
//! statistics: 20 independent replications, the Erlang C value inside the
//! 99.99 % Student t interval of the run averages (its half-width follows
//! from the runs, not a chosen tolerance). This module makes 3 such checks,
//! so the chance that any fails by bad luck is about 3 × 10^-4. The warm-up
//! (5 s) is thousands of mean service times (1 ms) and far more than the
//! relaxation time of an M/M/4 at ρ = 0.9.

use crate::queueing::{Mmc, check_core_station, replicate, scenario_and_workload};
use crate::support::{capsim, metric, scenario, shipped, simulate};

/// A pool `srv` of one instance with `workers` workers on a size of
/// `cores` cores, whose endpoint computes for `service` (an inline TOML
/// distribution), Poisson arrivals at `rate_per_s`, no network.
fn pool_on_cores(rate_per_s: u32, requests: u64, cores: u32, workers: u32, service: &str) -> String {
    let head = scenario_and_workload(rate_per_s, requests, "srv/work");
    format!(
        r#"{head}
[size.box]
cores = {cores}
price_per_hour = 0.5

[pool.srv]
size = "box"
workers = {workers}

[pool.srv.endpoint.work]
service = {service}
"#
    )
}

/// With workers to spare (10 000 on 4 cores) and exponential compute of
/// 1 ms, the cores are the only queue: an M/M/4 station at ρ = 0.9, whose
/// mean wait for a core is Erlang C's C(4, 3.6)/(4μ − λ) and mean response
/// that plus 1/μ; nobody waits for a worker.
#[test]
fn a_pool_whose_cores_bind_waits_for_a_core_as_m_m_4() {
    let model = Mmc {
        servers: 4,
        lambda: 3.6,
        mu: 1.0,
    };
    let label = "pool, 4 cores, 10 000 workers, CPU ρ=0.9";
    let runs = replicate(&pool_on_cores(
        3600,
        400_000,
        4,
        10_000,
        r#"{ dist = "exp", mean = "1ms" }"#,
    ));
    check_core_station(label, &runs, "srv", model, "worker");
}

/// Where cores are no limit of their own — no size (a core per worker), or
/// a size with no fewer cores than workers — there is no core wait to
/// report: the cell is blank, and the busy pool's wait is for a worker.
#[test]
fn without_a_core_limit_there_is_no_core_wait() {
    let service = r#"{ dist = "exp", mean = "1ms" }"#;
    for text in [
        pool_on_cores(3000, 30_000, 4, 4, service),
        pool_on_cores(3000, 30_000, 4, 4, service).replace("size = \"box\"\n", ""),
    ] {
        let result = simulate(&scenario(&text));
        assert!(metric(&result, "srv", "cpu_wait_mean_ms").is_nan());
        assert!(
            metric(&result, "srv", "wait_mean_ms") > 0.0,
            "4 workers at ρ = 0.75 queue"
        );
    }
}

/// The tutorial's "try `--set pool.web.size=m5.large`": 2 cores at ρ ≈ 0.9
/// with 128 workers, so requests queue for a core, not for a worker, and
/// the `busiest` line says so with a non-zero core wait, the one in
/// summary.csv.
#[test]
fn scenario_03_on_a_small_box_shows_its_wait_for_a_core() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = capsim()
        .args(["run"])
        .arg(shipped("03-vertical-scaling.toml"))
        .args(["--set", "pool.web.size=m5.large", "--out"])
        .arg(dir.path())
        .output()
        .expect("capsim runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let line = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("busiest"))
        .expect("a busiest line");
    assert!(
        line.contains("web (CPU 89.") && line.contains("mean wait for a worker 0.00 ms"),
        "{line}"
    );
    let shown: f64 = line
        .split(", for a core ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(" ms"))
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no core wait in {line:?}"));
    assert!(shown > 1.0, "{line}");
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).expect("summary.csv");
    let in_csv: f64 = summary
        .lines()
        .find_map(|row| row.strip_prefix("web,cpu_wait_mean_ms,"))
        .expect("a web,cpu_wait_mean_ms row")
        .parse()
        .expect("a number");
    assert_eq!(format!("{in_csv:.2}"), format!("{shown:.2}"));
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("report.html");
    let marker = "mean wait for a worker 0 ms, for a core ";
    let start = html
        .find(marker)
        .expect("the report's bottleneck sentence names both waits")
        + marker.len();
    let on_page: f64 = html[start..]
        .split(' ')
        .next()
        .and_then(|number| number.parse().ok())
        .expect("a number");
    assert!((on_page - in_csv).abs() < 0.01, "{on_page} vs {in_csv}");
}

/// A database short of connections is the bottleneck by its connections,
/// and both the terminal and the report say connections, not workers.
#[test]
fn a_database_waits_for_connections() {
    let text = crate::database_cores::reads_from_a_node(
        3000,
        30_000,
        16,
        "connections = 4\nread_cpu = \"0s\"\nread = { dist = \"exp\", mean = \"1ms\" }",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("db.toml");
    std::fs::write(&path, text).expect("written");
    let out = dir.path().join("out");
    let output = capsim()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("capsim runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let line = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("busiest"))
        .expect("a busiest line");
    assert!(
        line.contains("db (connections 7") && line.contains("mean wait for a connection "),
        "{line}"
    );
    assert!(!line.contains("worker"), "{line}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(
        html.contains("<strong>db</strong>: connections 7") && html.contains("mean wait for a connection"),
        "the report calls a database's servers connections"
    );
}
