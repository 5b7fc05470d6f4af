//! `plan` against a case whose answer is known: a database that is an
//! M/M/c queue (c = connections, Poisson arrivals, exponential service,
//! FIFO), in front of which nothing else takes time. The smallest c whose
//! mean response time meets the SLO follows from Erlang C, and the plan
//! must find exactly that c, by the path the bottleneck leads.

use std::path::Path;

use capsim::results::knobs;
use capsim::results::plan::{Outcome, Phase};
use capsim::results::slo;
use capsim::scenario::{Scenario, load_text};
use capsim::study::plan::{self, PlanSettings};
use predicates::str::contains;

use crate::support;

/// `app` does nothing but read from `db` (no service time, no network, a
/// thousand workers); `db` serves reads in Exp(10 ms), one connection to
/// begin with. 5 s of warm-up, 50 s measured: ~47 500 requests a run at
/// the 950/s the plan asks for.
const SCENARIO: &str = r#"
[scenario]
name = "M/M/c database"
seed = 1
duration = "55s"
warmup = "5s"
window = "5s"

[workload]
arrivals = { kind = "open", rate = "100/s" }
mix = [{ class = "q", call = "app/get" }]

[pool.app]
workers = 1000

[pool.app.endpoint.get]
service = "0s"
steps = [{ read = "db" }]

[database.db]
connections = 1
read = { dist = "exp", mean = "10ms" }
"#;

const LOAD_RPS: f64 = 950.0;
const MEAN_SERVICE_MS: f64 = 10.0;
const SLO_MS: f64 = 12.5;

/// M/M/c mean response time in ms at `LOAD_RPS`: W = C(c, a)/(cμ − λ) + 1/μ,
/// a = λ/μ = 9.5 erlangs, with Erlang C from the Erlang B recursion.
fn mean_response_ms(connections: u32) -> f64 {
    let (lambda, mu) = (LOAD_RPS / 1000.0, 1.0 / MEAN_SERVICE_MS);
    let load = lambda / mu;
    assert!(load < connections as f64);
    let blocking = (1..=connections).fold(1.0, |b, k| load * b / (k as f64 + load * b));
    let rho = load / connections as f64;
    let wait_probability = blocking / (1.0 - rho * (1.0 - blocking));
    wait_probability / (connections as f64 * mu - lambda) + 1.0 / mu
}

/// The answer from theory: W(10) = 26.5, W(11) = 13.65, W(12) = 11.40,
/// W(13) = 10.61 ms, so the least c with W < 12.5 ms is 12. Both
/// neighbours are about 9 % from the threshold, many times the width of
/// the intervals (the runs' means vary by well under 1 %), so the
/// simulation can only agree.
fn expected_connections() -> u32 {
    let answer = (10..100).find(|&c| mean_response_ms(c) < SLO_MS).unwrap();
    assert_eq!(answer, 12);
    assert!(mean_response_ms(11) > 1.09 * SLO_MS && mean_response_ms(12) < 0.92 * SLO_MS);
    answer
}

fn build(overrides: &[String]) -> Result<Scenario, String> {
    load_text("mmc.toml", SCENARIO, overrides, Path::new("."), "mmc")
        .map(|loaded| loaded.scenario)
        .map_err(|error| error.to_string())
}

#[test]
fn plan_finds_the_erlang_c_answer_by_raising_the_bottleneck() {
    let expected = expected_connections();
    let base = build(&[]).unwrap();
    let knobs = knobs::discover(&base);
    let settings = PlanSettings {
        slos: vec![
            slo::parse(&format!("mean<{SLO_MS}ms")).unwrap(),
            slo::parse("error_rate<0.001").unwrap(),
        ],
        load_rps: LOAD_RPS,
        replications: 5,
        max_steps: 20,
    };
    let plan = plan::plan(&base, &knobs, &settings, &build, &|| {}, &mut |_| {}).unwrap();
    let connections = knobs
        .iter()
        .position(|k| k.path() == "database.db.connections")
        .unwrap();
    let answer = plan.answer().expect("a configuration meets the SLOs");
    assert_eq!(answer.values[connections], expected, "path: {:#?}", plan.steps);
    // The path: the utilization law's floor (ρ = 9.5 at one connection, so
    // 10); the database — the bottleneck — raised by 10 % (rounded up)
    // until the SLO holds, at 13; then trimmed while it still holds.
    let path: Vec<(Phase, u32, bool)> = plan
        .steps
        .iter()
        .map(|step| (step.phase, step.values[connections], step.evaluation.met))
        .collect();
    assert_eq!(
        path,
        [
            (Phase::Start, 10, false),
            (Phase::Raise, 11, false),
            (Phase::Raise, 13, true),
            (Phase::Trim, 12, true)
        ]
    );
    assert!(
        plan.steps[1]
            .reason
            .contains("fails at step 1; its bottleneck among the knobs' stations is `db`"),
        "{}",
        plan.steps[1].reason
    );
    // The simulated mean agrees with theory at the answer, and the bound
    // that met the SLO is the upper end of its 95 % interval.
    let check = &answer.evaluation.checks[0];
    assert!(
        (check.mean / mean_response_ms(12) - 1.0).abs() < 0.02,
        "{check:?}"
    );
    assert!(check.bound > check.mean && check.bound < SLO_MS);
    let Outcome::Met {
        headroom: Some(headroom),
        ..
    } = &plan.outcome
    else {
        panic!("met with headroom: {:?}", plan.outcome)
    };
    assert_eq!(headroom.busiest.station, "db");
    assert_eq!(plan.patch(), vec![(connections, 12)]);
}

#[test]
fn the_plan_command_writes_the_path_the_patch_and_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mmc.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let out = dir.path().join("out");
    support::capsim()
        .arg("plan")
        .arg(&file)
        .args([
            "--load",
            "950/s",
            "--slo",
            "mean<12.5ms",
            "--slo",
            "error_rate<0.001",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("database.db.connections=12"))
        .stdout(contains("cost $0.00/month"))
        .stdout(contains("headroom: load can grow ×"))
        .stdout(contains("before db connections saturates"));
    let patch = std::fs::read_to_string(out.join("patch.toml")).unwrap();
    assert!(patch.ends_with("\n[database.db]\nconnections = 12\n"), "{patch}");
    let path = std::fs::read_to_string(out.join("plan.csv")).unwrap();
    assert_eq!(path.lines().count(), 5, "a header and four steps:\n{path}");
    let resolved = std::fs::read_to_string(out.join("scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("connections = 12"), "{resolved}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("scope,metric,value,ci95_low,ci95_high\n"));
}

/// The cost in plan.csv is the replications' mean; when every replication
/// costs the same, it is that cost, to the digit, not the sum's rounding
/// noise (five runs of $491.655 once averaged $491.6549999999999).
#[test]
fn plan_csv_has_the_cost_the_runs_report() {
    let dir = tempfile::tempdir().unwrap();
    let short = ["--set", "scenario.duration=30s", "--set", "scenario.warmup=10s"];
    let scenario = "scenarios/04-load-balancer.toml";
    let out = dir.path().join("plan");
    support::capsim()
        .args(["plan", scenario, "--load", "3000/s", "--slo", "p99<10s"])
        .args([
            "--limit",
            "pool.web.instances=5",
            "--limit",
            "database.db.connections=32",
        ])
        .args(short)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let run = dir.path().join("run");
    support::capsim()
        .args([
            "run",
            scenario,
            "--quiet",
            "--set",
            "workload.arrivals.rate=3000/s",
        ])
        .args(["--set", "pool.web.instances=5"])
        .args(short)
        .arg("--out")
        .arg(&run)
        .assert()
        .success();
    let summary = std::fs::read_to_string(run.join("summary.csv")).unwrap();
    let one_run = summary
        .lines()
        .find_map(|line| line.strip_prefix("overall,cost_per_month_usd,"))
        .unwrap();
    let plan = std::fs::read_to_string(out.join("plan.csv")).unwrap();
    let step = plan.lines().nth(1).unwrap();
    assert!(
        step.starts_with(&format!("1,start,5,32,{one_run},")),
        "{one_run}\n{plan}"
    );
}

#[test]
fn a_plan_that_cannot_succeed_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mmc.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let plan = |extra: &[&str]| {
        let mut command = support::capsim();
        command
            .arg("plan")
            .arg(&file)
            .args(["--slo", "mean<12.5ms", "--out"])
            .arg(dir.path().join("out"))
            .args(extra);
        command
    };
    // Ten connections are the least that keep ρ below 1: nine cannot hold,
    // so no configuration within the limits meets the SLO (exit 3).
    plan(&["--load", "950/s", "--limit", "database.db.connections=..9"])
        .assert()
        .code(3)
        .stderr(contains(
            "needs more than the limit 9 of `database.db.connections`",
        ));
    plan(&["--load", "950/s", "--limit", "pool.api.instances=2"])
        .assert()
        .code(2)
        .stderr(contains("`pool.api.instances` is not a knob"));
    plan(&["--load", "fast"])
        .assert()
        .code(2)
        .stderr(contains("invalid `--load fast`"));
    plan(&["--load", "950/s", "--slo", "p99<"])
        .assert()
        .code(2)
        .stderr(contains("threshold is missing"));
    plan(&["--load", "950/s", "--slo", "db/hit_ratio>0.9", "--max-steps", "1"])
        .assert()
        .code(2)
        // Caught before planning, as `[slo]`'s objectives are at load.
        .stderr(contains("`hit_ratio` is not measured for a database `db`"));
}

/// A balancer with `cores` (exponential 1 ms processing) in front of a pool
/// that adds nothing: M/M/c for its cores. At 1 500/s the utilization law
/// needs 2 cores (ρ = 0.75), where Erlang C gives a mean response of
/// 0.643 / 0.5 + 1 = 2.29 ms; 3 cores give 0.237 / 1.5 + 1 = 1.16 ms. So
/// for `mean<1.5ms` the plan starts at 2, finds the balancer the
/// bottleneck, and raises its cores to 3.
#[test]
fn plan_raises_a_balancers_cores_to_the_erlang_c_answer() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lb.toml");
    std::fs::write(
        &file,
        r#"
[scenario]
duration = "40s"
warmup = "5s"
window = "5s"

[workload]
arrivals = { kind = "open", rate = "1000/s" }
mix = [{ class = "q", call = "lb/get" }]

[balancer.lb]
pool = "web"
latency = { dist = "exp", mean = "1ms" }
cores = 1

[pool.web]
workers = 10000

[pool.web.endpoint.get]
service = "0s"
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    support::capsim()
        .arg("plan")
        .arg(&file)
        .args(["--load", "1500/s", "--slo", "mean<1.5ms", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("start pool.web.instances=1 balancer.lb.cores=2 "))
        .stdout(contains(
            "fails at step 1; its bottleneck among the knobs' stations is `lb` (cpu_utilization 75%): cores 2 → 3",
        ))
        .stdout(contains("\n  pool.web.instances=1 balancer.lb.cores=3\n"));
    let patch = std::fs::read_to_string(out.join("patch.toml")).unwrap();
    assert!(patch.ends_with("\n[balancer.lb]\ncores = 3\n"), "{patch}");
}
