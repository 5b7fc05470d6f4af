//! Headroom that is true: "load can grow ×k before <node> saturates" comes
//! from the hottest node (a replica, not the mean over a database's nodes),
//! agrees with the load at which that node does saturate when the model is
//! run at scaled rates, and `plan` prints the headroom of the step its table
//! shows as the answer.
//!
//! The comparison: k = 1/ρ of the node named (`results::headroom`, the
//! utilization law extrapolated to ρ = 1). Running scenario 05 at load
//! factors f = (0.90, 0.95, 1.05, 1.10) × k, the first factor at which the
//! named node is saturated — busy at least `SATURATED` of the time, which a
//! station offered more than it serves is, and one offered 5 % less is not
//! — must lie within 10 % of k; the nodes' utilizations grow in proportion
//! to the load below it (each within 2 % of f·ρ).

use std::path::Path;

use capsim::results::headroom;
use capsim::results::knobs;
use capsim::results::plan::{Outcome, Phase};
use capsim::results::slo;
use capsim::scenario::{Scenario, load_file};
use capsim::study::plan::{self, PlanSettings};
use predicates::str::contains;

use crate::support;

/// Scenario 05 with twice its web servers, so the database's nodes, not the
/// web tier's CPU, are the hottest; shortened to keep the test quick.
const BASE: [&str; 3] = [
    "pool.web.instances=16",
    "scenario.duration=90s",
    "scenario.warmup=20s",
];
const BASE_RATE: f64 = 3000.0;
/// Busy this share of the time over the measured run: saturated.
const SATURATED: f64 = 0.99;

fn scenario_05(rate: f64) -> Scenario {
    let rate = format!("workload.arrivals.rate={rate:.3}/s");
    let mut overrides: Vec<&str> = BASE.to_vec();
    overrides.push(&rate);
    support::scenario_file(&support::shipped("05-database-replication.toml"), &overrides)
}

fn headroom_of(result: &capsim::results::RunResult) -> headroom::Headroom {
    let summary = &result.summary;
    headroom::of_rows(
        summary.rows.iter().map(|row| (row.scope.as_str(), row.metric)),
        &|scope, metric| summary.get(scope, metric),
    )
    .expect("scenario 05 has busy stations")
}

#[test]
fn on_scenario_05_the_headroom_names_the_hottest_replica_not_the_mean() {
    let result = support::simulate(&scenario_05(BASE_RATE));
    let headroom = headroom_of(&result);
    let node = headroom.busiest.station.clone();
    let replicas: Vec<f64> = (0..2)
        .map(|index| support::metric(&result, &format!("db.replica[{index}]"), "utilization"))
        .collect();
    let hottest = replicas.iter().copied().fold(f64::NAN, f64::max);
    assert!(node.starts_with("db.replica["), "{headroom:?}");
    assert_eq!(headroom.busiest.utilization, hottest, "{headroom:?} {replicas:?}");
    assert_eq!(headroom.resource, "connections");
    // The mean over the database's nodes is well below its hottest replica
    // (the primary takes only the writes): a headroom from it would claim
    // more room than there is.
    let mean = support::metric(&result, "db", "utilization");
    assert!(mean < 0.85 * hottest, "db {mean} vs {node} {hottest}");
    assert!((headroom.load_factor - 1.0 / hottest).abs() < 1e-12);
}

#[test]
fn headroom_agrees_within_10_percent_with_the_load_that_saturates_the_node() {
    let base = support::simulate(&scenario_05(BASE_RATE));
    let headroom = headroom_of(&base);
    let node = headroom.busiest.station.clone();
    let rho = headroom.busiest.utilization;
    let k = headroom.load_factor;
    assert!(k > 2.0 && k < 2.8, "{headroom:?}");
    let mut first_saturated = None;
    for share in [0.90, 0.95, 1.05, 1.10] {
        let factor = share * k;
        let result = support::simulate(&scenario_05(BASE_RATE * factor));
        let utilization = support::metric(&result, &node, &headroom.busiest.metric);
        if utilization >= SATURATED {
            first_saturated.get_or_insert(factor);
        } else {
            assert!(
                first_saturated.is_none(),
                "{node} saturated at a lower load but not at ×{factor:.3} ({utilization})"
            );
            // Below saturation the utilization law holds: ρ grows with the load.
            let expected = factor * rho;
            assert!(
                (utilization / expected - 1.0).abs() < 0.02,
                "×{factor:.3}: {node} {utilization} vs the law's {expected}"
            );
        }
    }
    let first = first_saturated.expect("the node saturates within 10 % above k");
    assert!(
        (first / k - 1.0).abs() <= 0.10,
        "first saturated at ×{first:.3}, headroom said ×{k:.3}"
    );
    assert!(
        first > 0.95 * k,
        "not saturated 5 % below k: ×{first:.3}, k ×{k:.3}"
    );
}

/// The same agreement through `capsim sweep`: a load sweep at
/// (0.90, 0.95, 1.05, 1.10) × k of the base rate, judged by a utilization
/// SLO on the node the headroom names (`< SATURATED`), first misses the SLO
/// within 10 % of k — and not below 0.95 k.
#[test]
fn headroom_agrees_within_10_percent_with_the_load_at_which_a_sweep_first_misses_the_slo() {
    let base = support::simulate(&scenario_05(BASE_RATE));
    let headroom = headroom_of(&base);
    let k = headroom.load_factor;
    let factors: Vec<f64> = [0.90, 0.95, 1.05, 1.10].iter().map(|share| share * k).collect();
    let rates: Vec<String> = factors
        .iter()
        .map(|factor| format!("{:.1}/s", BASE_RATE * factor))
        .collect();
    let slo = format!(
        "{}/{}<{SATURATED}",
        headroom.busiest.station, headroom.busiest.metric
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut command = support::capsim();
    command
        .arg("sweep")
        .arg(support::shipped("05-database-replication.toml"));
    for set in BASE {
        command.args(["--set", set]);
    }
    command
        .args(["--vary", &format!("workload.arrivals.rate={}", rates.join(","))])
        .args(["--slo", &slo, "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(out.join("points.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|name| name == "meets_slos")
        .expect("points.csv has meets_slos");
    let verdicts: Vec<String> = reader
        .records()
        .map(|row| row.unwrap()[column].to_owned())
        .collect();
    let first = verdicts
        .iter()
        .position(|verdict| verdict == "false")
        .unwrap_or_else(|| panic!("the sweep misses `{slo}` within 10 % above k: {text}"));
    let missed_at = factors[first];
    assert!(
        (missed_at / k - 1.0).abs() <= 0.10 && missed_at > 0.95 * k,
        "first missed `{slo}` at ×{missed_at:.3}, headroom said ×{k:.3}: {text}"
    );
    assert!(
        verdicts[first..].iter().all(|verdict| verdict == "false"),
        "{text}"
    );
}

#[test]
fn capsim_run_prints_the_headroom_of_the_hottest_node() {
    let mut command = support::capsim();
    command
        .arg("run")
        .arg(support::shipped("05-database-replication.toml"));
    for set in BASE {
        command.args(["--set", set]);
    }
    let dir = tempfile::tempdir().unwrap();
    command
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .success()
        .stdout(contains("  headroom load can grow ×"))
        .stdout(contains("before db.replica["));
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let card = html
        .lines()
        .find(|line| line.contains("id=\"headroom\""))
        .expect("report.html has the headroom");
    assert!(
        card.contains("load can grow ×") && card.contains("db.replica["),
        "{card}"
    );
    // Before the bottleneck section: on the first screen, with the cards.
    assert!(html.find("id=\"headroom\"") < html.find("id=\"bottleneck\""));
}

fn build(overrides: &[String]) -> Result<Scenario, String> {
    let mut all: Vec<String> = BASE.iter().map(|s| s.to_string()).collect();
    all.extend(overrides.iter().cloned());
    load_file(Path::new(&support::shipped("05-database-replication.toml")), &all)
        .map(|loaded| loaded.scenario)
        .map_err(|error| error.to_string())
}

#[test]
fn plan_prints_the_headroom_its_table_shows_and_its_why_lines_quote_the_table() {
    let base = build(&[]).unwrap();
    let mut knobs = knobs::discover(&base);
    knobs::apply_limit(&mut knobs, "pool.web.instances=16").unwrap();
    knobs::apply_limit(&mut knobs, "database.db.connections=1..64").unwrap();
    let settings = PlanSettings {
        slos: vec![slo::parse("p99<125ms").unwrap()],
        load_rps: 6000.0,
        replications: 2,
        max_steps: 20,
    };
    let plan = plan::plan(&base, &knobs, &settings, &build, &|| {}, &mut |_| {}).unwrap();
    let Outcome::Met {
        step,
        headroom: Some(headroom),
    } = &plan.outcome
    else {
        panic!("met with headroom: {:#?}", plan.outcome)
    };
    // The answer's headroom is its row's busiest node, a replica.
    let answer = plan.steps[*step].evaluation.busiest.as_ref().unwrap();
    assert_eq!(&headroom.busiest, answer);
    assert!(answer.station.starts_with("db.replica["), "{answer:?}");
    assert!((headroom.load_factor - 1.0 / answer.utilization).abs() < 1e-12);
    // Each raise quotes the step before it, with that step's numbers.
    let mut raises = 0;
    for (index, step) in plan.steps.iter().enumerate().skip(1) {
        if step.phase != Phase::Raise {
            continue;
        }
        raises += 1;
        let before = plan.steps[index - 1].evaluation.busiest.as_ref().unwrap();
        let quoted = format!(
            "fails at step {index}; its bottleneck among the knobs' stations is `{}` ({} {:.0}%)",
            before.station,
            before.metric,
            100.0 * before.utilization
        );
        assert!(step.reason.contains(&quoted), "{}\nvs {quoted}", step.reason);
    }
    assert!(raises > 0, "the plan raised the connections: {:#?}", plan.steps);
}
