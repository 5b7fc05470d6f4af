//! `[slo]` in the scenario: its objectives are checked at load (a misspelt
//! metric or scope is an error with a hint, exit 2, before anything runs or
//! is written, for every command that loads a scenario); a run that misses
//! one exits 3 with its results written, a met one exits 0; after
//! replications only a 95 % interval inside the threshold passes; `--slo`
//! flags add to the table.

use std::path::Path;

use capsim::results::slo::parse;
use capsim::scenario::slo::check_objectives;

use crate::support::{capsim, scenario_file, shipped_scenarios, simulate};

/// A small, fast scenario: one pool `web`, one class `view`.
fn scenario_text(slo: &str) -> String {
    format!(
        r#"[scenario]
duration = "40s"
warmup = "10s"
window = "10s"

[workload]
arrivals = {{ kind = "open", rate = "100/s" }}
mix = [{{ class = "view", call = "web/view" }}]

[pool.web]
instances = 1
workers = 8

[pool.web.endpoint.view]
service = {{ dist = "exp", mean = "5ms" }}

{slo}
"#
    )
}

fn write(dir: &Path, slo: &str) -> std::path::PathBuf {
    let path = dir.join("s.toml");
    std::fs::write(&path, scenario_text(slo)).unwrap();
    path
}

/// The arguments of each command that loads a scenario, writing (if at
/// all) to `out`.
fn commands(scenario: &str, out: &str) -> Vec<Vec<String>> {
    let words = |list: &[&str]| list.iter().map(|word| (*word).to_owned()).collect::<Vec<_>>();
    vec![
        words(&["run", scenario, "--out", out]),
        words(&[
            "sweep",
            scenario,
            "--vary",
            "workload.arrivals.rate=50/s,100/s",
            "--out",
            out,
        ]),
        words(&["plan", scenario, "--load", "100/s", "--out", out]),
        words(&[
            "compare",
            scenario,
            "--variant",
            "one:pool.web.instances=1",
            "--variant",
            "two:pool.web.instances=2",
            "--out",
            out,
        ]),
        words(&["validate", scenario]),
    ]
}

#[test]
fn a_misspelt_metric_fails_at_load_with_a_hint_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let slo = "[slo]\nobjectives = [\"p99 < 300ms\", \"web/cpu_utilisation < 0.8\"]";
    let path = write(dir.path(), slo);
    let out = dir.path().join("out");
    for command in commands(path.to_str().unwrap(), out.to_str().unwrap()) {
        let output = capsim().args(&command).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command:?}: {stderr}");
        assert!(
            stderr.contains("`cpu_utilisation` is not a metric"),
            "{command:?}: {stderr}"
        );
        assert!(
            stderr.contains("did you mean \"web/cpu_utilization < 0.8\"?"),
            "{command:?}: {stderr}"
        );
        // File, line and column, and the field path.
        assert!(stderr.contains("s.toml:18:"), "{command:?}: {stderr}");
        assert!(stderr.contains("slo.objectives[1]"), "{command:?}: {stderr}");
        assert!(!out.exists(), "{command:?} wrote to --out");
    }
}

#[test]
fn an_unknown_scope_or_a_metric_not_measured_there_fails_at_load() {
    let dir = tempfile::tempdir().unwrap();
    for (objective, expected) in [
        ("webb/cpu_utilization < 0.8", "did you mean `web`?"),
        ("class:veiw/p99 < 300ms", "did you mean `class:view`?"),
        ("web/rto_s < 30s", "`rto_s` is not measured for a pool `web`"),
        (
            "drill:pool.web/rto_s < 30s",
            "the objective's scope `drill:pool.web` names nothing in this scenario",
        ),
    ] {
        let path = write(dir.path(), &format!("[slo]\nobjectives = [\"{objective}\"]"));
        let output = capsim().arg("validate").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{objective}: {stderr}");
        assert!(stderr.contains(expected), "{objective}: {stderr}");
        assert!(stderr.contains("slo.objectives[0]"), "{objective}: {stderr}");
    }
    // A `--slo` flag's scope is checked the same way, before the run.
    let path = write(dir.path(), "");
    let out = dir.path().join("out");
    let output = capsim()
        .args([
            "run",
            path.to_str().unwrap(),
            "--slo",
            "webb/cpu_utilization<0.8",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did you mean `web`?"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn a_missed_slo_exits_3_with_its_results_written_and_a_met_one_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missed");
    let path = write(
        dir.path(),
        "[slo]\nobjectives = [\"class:view/p99 < 1ms\", \"web/cpu_utilization < 0.9\", \"error_rate < 1%\"]",
    );
    let output = capsim()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert!(out.join("summary.csv").is_file() && out.join("report.html").is_file());
    assert!(
        stdout.contains("SLO class:view/p99 < 1ms  MISSED: class:view/latency_p99_ms "),
        "{stdout}"
    );
    assert!(stdout.contains("beyond < 1 ms"), "{stdout}");
    assert!(
        stdout.contains("SLO web/cpu_utilization < 0.9  met: web/cpu_utilization "),
        "{stdout}"
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("2 of 3 objectives met."), "{report}");
    // The run's objectives are in its resolved scenario.
    let resolved = std::fs::read_to_string(out.join("scenario.resolved.toml")).unwrap();
    assert!(
        resolved.contains("[slo]\nobjectives = [\"class:view/p99 < 1ms\""),
        "{resolved}"
    );

    let met = dir.path().join("met");
    let path = write(
        dir.path(),
        "[slo]\nobjectives = [\"class:view/p99 < 2s\", \"cost_per_month_usd < 1000\"]",
    );
    let output = capsim()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&met)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("SLO cost_per_month_usd < 1000  met: overall/cost_per_month_usd $"),
        "{stdout}"
    );
}

#[test]
fn flags_add_to_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "[slo]\nobjectives = [\"p99 < 2s\"]");
    let out = dir.path().join("out");
    let output = capsim()
        .arg("run")
        .arg(&path)
        .args(["--slo", "throughput>1000", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("SLO p99 < 2s  met"), "{stdout}");
    assert!(stdout.contains("SLO throughput>1000  MISSED"), "{stdout}");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("1 of 2 objectives met."));
}

/// Reads `scope,metric,value,ci95_low,ci95_high` from a summary.csv.
fn row(summary: &str, scope: &str, metric: &str) -> (f64, f64, f64) {
    let prefix = format!("{scope},{metric},");
    let line = summary.lines().find(|line| line.starts_with(&prefix)).unwrap();
    let cells: Vec<f64> = line[prefix.len()..]
        .split(',')
        .map(|cell| cell.parse().unwrap())
        .collect();
    (cells[0], cells[1], cells[2])
}

#[test]
fn with_replications_the_whole_interval_must_be_inside() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "");
    let first = dir.path().join("first");
    capsim()
        .arg("run")
        .arg(&path)
        .args(["--replications", "3", "--quiet", "--out"])
        .arg(&first)
        .assert()
        .success();
    let summary = std::fs::read_to_string(first.join("summary.csv")).unwrap();
    let (mean, low, high) = row(&summary, "overall", "latency_p99_ms");
    assert!(low < mean && mean < high, "{low} {mean} {high}");
    // A limit the mean meets but the interval's upper end does not.
    let limit = (mean + high) / 2.0;
    let objective = format!("latency_p99_ms < {limit}");
    assert!(parse(&objective).unwrap().evaluate_value(Some(mean)).met);
    let second = dir.path().join("second");
    let output = capsim()
        .arg("run")
        .arg(&path)
        .args(["--replications", "3", "--slo", &objective, "--out"])
        .arg(&second)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("MISSED: overall/latency_p99_ms"), "{stdout}");
    assert!(stdout.contains("(95 % interval "), "{stdout}");
    assert!(stdout.contains(", not inside < "), "{stdout}");
    // The upper end inside: met, with the margin from it.
    let output = capsim()
        .arg("chart")
        .arg(&second)
        .args(["--slo", &format!("latency_p99_ms < {}", high + 1.0)])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("met: overall/latency_p99_ms"), "{stdout}");
    assert!(stdout.contains("(margin 1 ms)"), "{stdout}");
}

/// Every scope and metric a shipped scenario's summary has is one an
/// objective may name: the load-time check refuses nothing a run writes.
#[test]
fn every_summary_row_of_the_shipped_scenarios_may_be_an_objective() {
    let mut problems = Vec::new();
    for path in shipped_scenarios() {
        let scenario = scenario_file(&path, &[]);
        let result = simulate(&scenario);
        let objectives: Vec<_> = result
            .summary
            .rows
            .iter()
            .map(|row| parse(&format!("{}/{} < 1", row.scope, row.metric)).unwrap())
            // `errors` is the short name of `error_rate`: the count has no
            // objective of its own.
            .filter(|slo| slo.metric != "error_rate" || !slo.text.contains("/errors "))
            .collect();
        for problem in check_objectives(&scenario, &objectives) {
            problems.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
