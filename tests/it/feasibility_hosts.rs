//! The feasibility check and the planner judge components on a `[host.*]`
//! by the host's cores: two components at 60 % of a 2-core host each are
//! a host at 120 %, which `validate` and `run` warn about, the simulation
//! confirms (the cores saturate and latency grows without bound), and
//! `plan` refuses or prunes; the same work on cores of their own is fine.

use predicates::str::contains;

use crate::support::{capsim, metric, scenario, series, simulate};

/// `app` computes (exp 1 ms) for half the requests and reads `db` (1 ms of
/// CPU) for the other half, at `rate` requests/s, both on the 2-core host
/// `box` when `hosted`, else each on a 2-core size `node`.
fn two_components(rate: u32, hosted: bool) -> String {
    let (host, place) = if hosted {
        ("[host.box]\ncores = 2\n", r#"host = "box""#)
    } else {
        ("", r#"size = "node""#)
    };
    format!(
        r#"
[scenario]
seed = 1
duration = "20s"
window = "2s"

[workload]
arrivals = {{ kind = "open", rate = "{rate}/s", users = 1000 }}
mix = [{{ class = "p", call = "app/compute" }}, {{ class = "d", call = "app/read" }}]

[size.node]
cores = 2
price_per_hour = 0.5

{host}
[pool.app]
workers = 100000
{place}

[pool.app.endpoint.compute]
service = {{ dist = "exp", mean = "1ms" }}

[pool.app.endpoint.read]
service = {{ dist = "const", value = "0s" }}
steps = [{{ read = "db" }}]

[database.db]
connections = 100000
read_cpu = {{ dist = "exp", mean = "1ms" }}
read = "0s"
{place}
"#
    )
}

fn validate(text: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosted.toml");
    std::fs::write(&path, text).unwrap();
    let output = capsim().arg("validate").arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// 2400/s: 1.2 busy cores per component. On one 2-core host that is
/// ρ = 1.2: `validate` shows the host's row and warns, naming the host and
/// both components with a hint; on 2 cores each (ρ = 0.6) it says nothing.
#[test]
fn validate_warns_of_a_saturated_host_only() {
    let (stdout, stderr) = validate(&two_components(2400, true));
    let host_row = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("host:box"))
        .unwrap_or_else(|| panic!("no host row in:\n{stdout}"));
    assert!(host_row.ends_with("1.200"), "{host_row}");
    for part in [
        "warning: host `box` is CPU-bound: `app` and `db` on it need 1.20× its cores together (ρ = 1.20 ≥ 1)",
        "hint: give `[host.box]` more `cores`, or move a component off it",
    ] {
        assert!(stderr.contains(part), "missing {part:?} in:\n{stderr}");
    }
    let (stdout, stderr) = validate(&two_components(2400, false));
    assert!(!stdout.contains("host:"), "{stdout}");
    assert!(
        !stderr.contains("CPU-bound") && !stderr.contains("overloaded"),
        "{stderr}"
    );
}

/// The warning is true: on the host the two components keep its cores
/// busy (their shares sum to 1) and the latency of the last windows is
/// many times the first's (a backlog growing at 0.4 core-seconds per
/// second); on cores of their own each is at 60 % and latency is flat.
#[test]
fn the_simulation_saturates_the_host_it_warns_about() {
    let hosted = simulate(&scenario(&two_components(2400, true)));
    let busy = metric(&hosted, "app", "cpu_utilization") + metric(&hosted, "db", "cpu_utilization");
    assert!(busy > 0.98, "host cores busy {busy}");
    let latency = series(&hosted, "overall", "latency_mean_ms");
    let (first, last) = (latency[0].1, latency[latency.len() - 1].1);
    assert!(last > 10.0 * first && last > 1000.0, "{latency:?}");
    assert!(
        latency.windows(2).skip(1).all(|pair| pair[1].1 > pair[0].1),
        "latency should grow every window: {latency:?}"
    );

    let apart = simulate(&scenario(&two_components(2400, false)));
    for component in ["app", "db"] {
        let cpu = metric(&apart, component, "cpu_utilization");
        assert!((cpu - 0.6).abs() < 0.02, "{component} {cpu}");
    }
    let latency = series(&apart, "overall", "latency_mean_ms");
    assert!(latency.iter().all(|&(_, ms)| ms < 3.0), "{latency:?}");
}

/// `plan` with its own knobs (instances, connections) cannot add cores to
/// a host: it stops before simulating, naming the host, and exits 3.
#[test]
fn plan_stops_at_a_saturated_host() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosted.toml");
    std::fs::write(&path, two_components(2400, true)).unwrap();
    capsim()
        .arg("plan")
        .arg(&path)
        .args(["--slo", "p99<100ms", "--out"])
        .arg(dir.path().join("plan"))
        .assert()
        .code(3)
        .stderr(contains(
            "host:box is at ρ = 1.20 at 2400/s (the CPU work of `app`, `db`), and no knob adds cores to a host",
        ));
}

/// A `[plan]` design space whose cheaper pool size saturates the host
/// (speed 1: host ρ = 1.2) and whose dearer one does not (speed 2: the
/// pool's CPU halves, ρ = 0.9): the design search prunes the cheap one by
/// the host's load, picks the fast size, and says the host binds it.
#[test]
fn a_design_is_pruned_by_its_hosts_load() {
    let text = two_components(2400, true)
        .replace("[pool.app]\n", "[pool.app]\nsize = \"slow\"\n")
        .replace("duration = \"20s\"", "duration = \"10s\"\nwarmup = \"2s\"")
        + r#"
[size.slow]
cores = 2
speed = 1
price_per_hour = 0.1

[size.fast]
cores = 2
speed = 2
price_per_hour = 0.2

[slo]
objectives = ["p99 < 500ms"]

[plan]
knobs = [{ knob = "pool.app.size", values = ["slow", "fast"] }]
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("design.toml");
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("plan");
    capsim()
        .arg("plan")
        .arg(&path)
        .args(["--replications", "2", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    assert!(
        md.contains("with slow, host:box at ρ = 1.20 ≥ 1 by the utilization law"),
        "{md}"
    );
    let csv = std::fs::read_to_string(out.join("plan.csv")).unwrap();
    assert!(csv.lines().any(|line| line.contains(",fast,")), "{csv}");
}
