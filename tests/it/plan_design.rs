//! `plan` over a `[plan]` design space: it returns the design an
//! exhaustive search finds (every combination simulated here, the cheapest
//! feasible kept), names each knob's binding constraint, needs more
//! replicas to survive losing the primary (and that design rides through
//! the drill the cheaper one fails; a named drill forces a larger design that
//! rides through it), plans a scenario with inline `faults = [...]`, and
//! rejects a misspelt knob or target, and drills that would test nothing
//! (after the run, inside the warm-up, without `at`, at random), before
//! simulating.

use std::path::Path;

use capsim::results::knobs::{self, Knob};
use capsim::results::slo::{self, Op, Slo};
use capsim::scenario::{Scenario, load_text};
use capsim::study::design::{self, DesignSettings, fault_at};
use capsim::study::plan::{monthly_cost_usd, scale_to_load};
use capsim::study::replicate::{aggregate, replicate_summaries};
use predicates::str::contains;

use crate::support;

/// A web tier (3 ms of CPU a request on m5 cores) reading a replicated
/// database: reads go to the replicas, 4 connections a node holding each
/// read 5 ms (800 reads/s a node); 1000 requests/s, 90 % reads. Writes go
/// to the primary; a dead primary is noticed in 1 s and a replica promoted
/// 0.5 s later.
const SCENARIO: &str = r#"
[scenario]
seed = 3
duration = "9s"
warmup = "1s"
window = "1s"

[workload]
arrivals = { kind = "open", rate = "1000/s", users = 1000 }
timeout = "2s"
mix = [
  { class = "read", weight = 90, call = "web/read", key = "items" },
  { class = "write", weight = 10, call = "web/write", key = "items" },
]

[pool.web]
instances = 1
size = "m5.large"
workers = 32

[pool.web.endpoint.read]
service = { dist = "exp", mean = "3ms" }
steps = [{ read = "db" }]

[pool.web.endpoint.write]
service = { dist = "exp", mean = "3ms" }
steps = [{ write = "db" }]

[keyspace.items]
keys = 10000

[database.db]
keyspace = "items"
size = "db.m5.large"
connections = 4
read = { dist = "exp", mean = "5ms" }
write = { dist = "exp", mean = "5ms" }
replicas = 0
failover = { detection = "1s", promotion = "500ms" }

[slo]
objectives = ["p99 < 100ms", "error_rate < 3%"]
"#;

const KNOBS: &str = r#"
[plan]
knobs = [
  { knob = "pool.web.instances", min = 1, max = 3 },
  { knob = "pool.web.size", values = ["m5.xlarge", "m5.large"] },
  { knob = "database.db.replicas", min = 0, max = 3 },
]
"#;

const REPLICATIONS: u32 = 2;

fn text(survive: bool) -> String {
    let survive = if survive {
        "survive = [\"database.db.primary\"]\n"
    } else {
        ""
    };
    format!("{SCENARIO}{KNOBS}{survive}")
}

fn build_from(text: &str, assignments: &[String], extra: &str) -> Result<Scenario, String> {
    load_text(
        "t.toml",
        &format!("{text}{extra}"),
        assignments,
        Path::new("."),
        "t",
    )
    .map(|loaded| loaded.scenario)
    .map_err(|error| error.to_string())
}

fn slos(scenario: &Scenario) -> Vec<Slo> {
    scenario.slo.objectives.clone()
}

/// Whether every objective's conservative 95 % bound meets it, as `plan`
/// judges (computed here from the replications' summaries).
fn meets(scenario: &Scenario, slos: &[Slo]) -> bool {
    let runs = replicate_summaries(scenario, REPLICATIONS);
    if runs.iter().any(Result::is_err) {
        return false;
    }
    let summaries: Vec<_> = runs.iter().filter_map(|run| run.as_ref().ok()).collect();
    let summary = aggregate(&summaries);
    slos.iter().all(|slo| {
        let Some(row) = summary.get(&slo.scope, &slo.metric) else {
            return false;
        };
        let end = match slo.op {
            Op::Less | Op::LessOrEqual => row.high,
            Op::Greater | Op::GreaterOrEqual => row.low,
        };
        let bound = if end.is_nan() { row.mean } else { end };
        slo.evaluate_value(Some(bound)).met
    })
}

fn settings(base: &Scenario) -> DesignSettings {
    DesignSettings {
        slos: slos(base),
        degraded: Vec::new(),
        survive: base.plan.survive.clone(),
        load_rps: 1000.0,
        replications: REPLICATIONS,
        max_steps: 40,
    }
}

fn plan(text: &str) -> (Vec<Knob>, capsim::results::plan::Plan) {
    let base = build_from(text, &[], "").unwrap();
    let knobs = knobs::from_plan(&base);
    let build = |assignments: &[String]| build_from(text, assignments, "");
    let plan = design::design(&base, &knobs, &settings(&base), &build, &mut |_| {}).unwrap();
    (knobs, plan)
}

fn assignments(knobs: &[Knob], values: &[u32]) -> Vec<String> {
    knobs
        .iter()
        .zip(values)
        .map(|(knob, &value)| knob.assignment(value))
        .collect()
}

fn replicas(knobs: &[Knob], values: &[u32]) -> u32 {
    let index = knobs
        .iter()
        .position(|knob| knob.path() == "database.db.replicas")
        .unwrap();
    knobs[index].value_text(values[index]).parse().unwrap()
}

#[test]
fn the_plan_is_the_cheapest_feasible_design_of_an_exhaustive_search() {
    let text = text(false);
    let (knobs, plan) = plan(&text);
    // Sizes are ordered by price whatever order they are listed in.
    assert_eq!(knobs[1].choices, ["m5.large", "m5.xlarge"]);
    let answer = plan.answer().expect("a design meets the SLOs").values.clone();
    // Every combination, simulated.
    let mut feasible: Vec<(f64, u32, Vec<u32>)> = Vec::new();
    for instances in 0..3 {
        for size in 0..2 {
            for replicas in 0..4 {
                let values = vec![instances, size, replicas];
                let mut scenario = build_from(&text, &assignments(&knobs, &values), "").unwrap();
                scale_to_load(&mut scenario, 1000.0).unwrap();
                if meets(&scenario, &slos(&scenario)) {
                    feasible.push((monthly_cost_usd(&scenario), values.iter().sum(), values));
                }
            }
        }
    }
    feasible.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let cheapest = &feasible.first().expect("some design is feasible").2;
    assert_eq!(&answer, cheapest, "feasible: {feasible:?}");
    // 900 reads/s need two replicas (800/s a node); 3 cores of CPU need
    // two m5.large or one m5.xlarge, at the same price.
    assert_eq!(replicas(&knobs, &answer), 2);
    // Each knob's binding constraint: one step lower fails, and says why.
    assert_eq!(plan.bindings.len(), 3);
    assert!(
        plan.bindings[2].starts_with("database.db.replicas = 2: with 1, "),
        "{:?}",
        plan.bindings
    );
    // One replica leaves the database saturated by the utilization law.
    assert!(plan.bindings[2].contains("db at ρ = "), "{:?}", plan.bindings);
    for (binding, knob) in plan.bindings.iter().zip(&knobs) {
        assert!(binding.starts_with(&knob.path()), "{binding}");
        assert!(
            binding.ends_with("at its minimum") || binding.contains(": with "),
            "{binding}"
        );
    }
}

#[test]
fn surviving_the_primary_needs_another_replica_and_rides_through_the_drill() {
    let (knobs, plain) = plan(&text(false));
    let (_, surviving) = plan(&text(true));
    let cheap = plain.answer().unwrap().values.clone();
    let safe = surviving.answer().unwrap().values.clone();
    assert!(
        replicas(&knobs, &safe) > replicas(&knobs, &cheap),
        "{cheap:?} vs {safe:?}"
    );
    assert_eq!(surviving.survive, ["database.db.primary"]);
    // The drill: the primary killed a third into the run.
    let drill = |values: &[u32]| {
        let text = text(false);
        let base = build_from(&text, &assignments(&knobs, values), "").unwrap();
        let mut scenario = build_from(
            &text,
            &assignments(&knobs, values),
            &format!(
                "\n[[faults]]\nat = \"{}ms\"\nkill = \"database.db.primary\"\n",
                fault_at(&base).as_nanos() / 1_000_000
            ),
        )
        .unwrap();
        assert_eq!(scenario.faults.len(), 1);
        scale_to_load(&mut scenario, 1000.0).unwrap();
        meets(&scenario, &slos(&scenario))
    };
    assert!(
        drill(&safe),
        "the surviving design meets the SLOs through the drill"
    );
    assert!(!drill(&cheap), "the cheaper design fails the drill");
}

/// `capsim plan` of `text` written to `dir/NAME.toml`, 2 replications,
/// results in `dir/NAME`.
fn plan_cli(dir: &std::path::Path, name: &str, text: &str) -> assert_cmd::assert::Assert {
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, text).unwrap();
    support::capsim()
        .arg("plan")
        .arg(&file)
        .args(["--replications", "2", "--quiet", "--out"])
        .arg(dir.join(name))
        .assert()
}

#[test]
fn no_design_in_the_ranges_exits_3_and_a_found_one_writes_a_runnable_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let narrow = text(false).replace("min = 0, max = 3", "min = 0, max = 1");
    plan_cli(dir.path(), "narrow", &narrow)
        .code(3)
        .stderr(contains("no design of the"));
    let out = dir.path().join("wide");
    plan_cli(dir.path(), "wide", &text(false)).code(0);
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    assert!(md.contains("| `database.db.replicas` | 0 | **2** |"), "{md}");
    let chosen = out.join("plan.chosen.toml");
    support::capsim()
        .arg("run")
        .arg(&chosen)
        .args(["--quiet", "--out"])
        .arg(dir.path().join("chosen"))
        .assert()
        .code(0);
    let csv = std::fs::read_to_string(out.join("plan.csv")).unwrap();
    assert!(csv.lines().any(|line| line.contains(",m5.xlarge,")), "{csv}");
}

#[test]
fn a_misspelt_knob_or_target_is_an_error_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            text(false).replace("database.db.replicas", "database.db.replica"),
            "did you mean \"database.db.replicas\"",
        ),
        (
            text(false).replace("pool.web.instances", "pool.webb.instances"),
            "did you mean `web`",
        ),
        (
            format!("{}survive = [\"database.dbb.primary\"]\n", text(false)),
            "did you mean `db`",
        ),
        (
            format!("{}survive = [\"database.db.primari\"]\n", text(false)),
            "not a failure `plan` can survive",
        ),
    ];
    for (index, (text, hint)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("bad{index}.toml"));
        std::fs::write(&file, text).unwrap();
        let out = dir.path().join(format!("out{index}"));
        support::capsim()
            .arg("plan")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(contains(*hint))
            .stderr(contains(format!("bad{index}.toml")));
        assert!(!out.join("plan.csv").exists(), "nothing ran");
    }
}

/// Drills that would test nothing — one striking at the end of the run, one
/// inside the warm-up, one that does not say when, one at random — and a
/// component target failing inside a longer warm-up: `plan` exits 2 before
/// simulating, naming each at its file, line, column and field, with a hint.
#[test]
fn drills_that_test_nothing_are_errors_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let drills = "survive = [\n\
                  { name = \"late\", kill = \"database.db.primary\", at = \"9s\" },\n\
                  { name = \"early\", slow = \"pool.web\", factor = 2, at = \"500ms\", for = \"2s\" },\n\
                  { name = \"when\", kill = \"pool.web.instance[0]\" },\n\
                  { name = \"random\", kill = \"pool.web.instance[0]\", at = \"3s\", mtbf = \"2s\" },\n\
                  ]\n";
    let bad = format!("{}{drills}", text(false));
    let file = dir.path().join("drills.toml");
    std::fs::write(&file, &bad).unwrap();
    let out = dir.path().join("out");
    let place = |needle: &str| format!("drills.toml:{}", crate::cli::line_column(&bad, needle));
    support::capsim()
        .arg("plan")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains(
            "this drill strikes at 9s, at or after the end of the run (`duration` = 9s): it never strikes \
             (field `plan.survive[0].at`)",
        ))
        .stderr(contains(place("\"9s\" },\n{ name = \"early\"")))
        .stderr(contains("a drill that never strikes tests nothing"))
        .stderr(contains(
            "this drill strikes at 500ms, inside the warm-up (`warmup` = 1s), which the results leave out \
             (field `plan.survive[1].at`)",
        ))
        .stderr(contains(place("\"500ms\", for")))
        .stderr(contains(
            "strike at or after 1s and before 9s, or shorten `warmup`",
        ))
        .stderr(contains(
            "a drill needs `at`: when it strikes (field `plan.survive[2].at`)",
        ))
        .stderr(contains(place("{ name = \"when\"")))
        .stderr(contains("a drill has no default time"))
        .stderr(contains(
            "a drill strikes at a time, not at random (field `plan.survive[3].mtbf`)",
        ))
        .stderr(contains(place("\"2s\" },\n]")))
        .stderr(contains("4 problems in"))
        .stderr(contains("nothing was simulated"));
    assert!(!out.exists(), "nothing ran");
    // `database.db.primary` fails a third into the run, at 3 s: inside a
    // 4 s warm-up it would be judged without its failure.
    let target = format!("{}survive = [\"database.db.primary\"]\n", text(false))
        .replace("warmup = \"1s\"", "warmup = \"4s\"");
    std::fs::write(&file, &target).unwrap();
    support::capsim()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains(
            "`database.db.primary` fails a third into the run (3s), inside the warm-up (`warmup` = 4s)",
        ))
        .stderr(contains("(field `plan.survive[0]`)"))
        .stderr(contains("survive it as a drill with its own `at`"));
}

/// A `[[faults]]` entry that never strikes is a warning: the run is still
/// the run it describes, and the scenario is valid (exit 0).
#[test]
fn a_fault_after_the_run_is_a_warning_and_the_scenario_valid() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{SCENARIO}\n[[faults]]\nkill = \"pool.web.instance[0]\"\nat = \"10s\"\n");
    let file = dir.path().join("late.toml");
    std::fs::write(&file, &text).unwrap();
    support::capsim()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(0)
        .stderr(contains(
            "warning: this fault strikes at 10s, at or after the end of the run (`duration` = 9s): it never strikes \
             (field `faults[0].at`)",
        ))
        .stderr(contains(format!(
            "late.toml:{}",
            crate::cli::line_column(&text, "\"10s\"")
        )));
}

#[test]
fn survive_parses() {
    let base = build_from(&text(true), &[], "").unwrap();
    assert_eq!(base.plan.survive[0].text, "database.db.primary");
    assert_eq!(base.plan.survive[0].label(), "database.db.primary");
    let parsed = slo::parse("p99<100ms").unwrap();
    assert_eq!(slos(&base)[0].metric, parsed.metric);
}

/// A named drill: the whole web tier 1.5 times slower from 3 s on. Its 3
/// cores of CPU become 4.5, more than the 4 the cheapest design has.
const SLOW_WEB: &str =
    "survive = [{ name = \"web slow\", slow = \"pool.web\", factor = 1.5, at = \"3s\" }]\n";

#[test]
fn a_named_drill_needs_a_larger_design_that_rides_through_it() {
    let (_, plain) = plan(&text(false));
    let drilled_text = format!("{}{SLOW_WEB}", text(false));
    let (_, drilled) = plan(&drilled_text);
    let cost = |plan: &capsim::results::plan::Plan| plan.answer().unwrap().evaluation.cost_per_month_usd;
    assert!(
        cost(&drilled) > cost(&plain),
        "{} vs {}",
        cost(&drilled),
        cost(&plain)
    );
    assert_eq!(drilled.survive, ["drill `web slow`"]);
    // One instance fewer rides through the run but not through the drill.
    assert!(
        drilled.bindings[0].contains("with 1, drill `web slow`: p99 < 100ms fails (bound "),
        "{:?}",
        drilled.bindings
    );
    // The CLI names the drill, and its chosen design, run with the drill
    // added as a fault, meets every SLO (exit 0) as the plan judged it.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("drilled");
    plan_cli(dir.path(), "drilled", &drilled_text).code(0);
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    assert!(md.contains("drill `web slow`"), "{md}");
    let csv = std::fs::read_to_string(out.join("plan.csv")).unwrap();
    assert!(csv.contains("drill `web slow`: "), "{csv}");
    let chosen = std::fs::read_to_string(out.join("plan.chosen.toml")).unwrap();
    let with_drill = dir.path().join("chosen-drill.toml");
    std::fs::write(
        &with_drill,
        format!("{chosen}\n[[faults]]\nslow = \"pool.web\"\nfactor = 1.5\nat = \"3s\"\n"),
    )
    .unwrap();
    support::capsim()
        .arg("run")
        .arg(&with_drill)
        .args(["--replications", "2", "--quiet", "--out"])
        .arg(dir.path().join("run"))
        .assert()
        .code(0);
}

#[test]
fn a_scenario_with_inline_faults_plans_and_survives() {
    // `faults = [...]` written inline: the survived failure is added to the
    // loaded scenario, so the file is never a second `faults` away from
    // failing to load.
    let inline = format!(
        "faults = [{{ at = \"8s\", slow = \"pool.web\", factor = 1.01 }}]\n{}",
        text(true)
    );
    let base = build_from(&inline, &[], "").unwrap();
    assert_eq!(base.faults.len(), 1);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inline");
    plan_cli(dir.path(), "inline", &inline).code(0);
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    assert!(md.contains("`database.db.primary`"), "{md}");
    assert!(md.contains("| `database.db.replicas` | 0 | **"), "{md}");
}

/// A wider space: connections as a knob too, which costs nothing, so many
/// designs share a price and the cheap ones fail on one knob or another.
const WIDE_KNOBS: &str = r#"
[plan]
knobs = [
  { knob = "pool.web.instances", min = 1, max = 3 },
  { knob = "pool.web.size", values = ["m5.large", "m5.xlarge"] },
  { knob = "database.db.replicas", min = 0, max = 3 },
  { knob = "database.db.connections", values = [2, 3, 4] },
]
"#;

#[test]
fn the_search_simulates_fewer_designs_than_an_exhaustive_one_and_finds_its_answer() {
    let text = format!("{SCENARIO}{WIDE_KNOBS}");
    let (knobs, plan) = plan(&text);
    let answer = plan.answer().expect("a design meets the SLOs").values.clone();
    let searched = plan
        .steps
        .iter()
        .filter(|step| step.phase == capsim::results::plan::Phase::Design)
        .count();
    // Every combination, simulated and judged as `plan` judges.
    let mut simulated = 0;
    let mut feasible: Vec<(f64, u32, Vec<u32>)> = Vec::new();
    for instances in 0..3 {
        for size in 0..2 {
            for replicas in 0..4 {
                for connections in 0..3 {
                    let values = vec![instances, size, replicas, connections];
                    let mut scenario = build_from(&text, &assignments(&knobs, &values), "").unwrap();
                    scale_to_load(&mut scenario, 1000.0).unwrap();
                    simulated += 1;
                    if meets(&scenario, &slos(&scenario)) {
                        feasible.push((monthly_cost_usd(&scenario), values.iter().sum(), values));
                    }
                }
            }
        }
    }
    feasible.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    assert_eq!(&answer, &feasible[0].2, "feasible: {feasible:?}");
    // The cheapest feasible design is not the cheapest design: the search
    // passed over cheaper ones (ruled out by the utilization law, or
    // simulated and failed) and stopped at its answer.
    let mut all: Vec<(f64, u32, Vec<u32>)> = Vec::new();
    for instances in 0..3 {
        for size in 0..2 {
            for replicas in 0..4 {
                for connections in 0..3 {
                    let values = vec![instances, size, replicas, connections];
                    let mut scenario = build_from(&text, &assignments(&knobs, &values), "").unwrap();
                    scale_to_load(&mut scenario, 1000.0).unwrap();
                    all.push((monthly_cost_usd(&scenario), values.iter().sum(), values));
                }
            }
        }
    }
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let position = all.iter().position(|design| design.2 == answer).unwrap();
    assert!(position > 0, "the answer is the cheapest design of all");
    assert!(
        searched < simulated && searched <= position + 1,
        "{searched} designs searched, {simulated} simulated exhaustively, the answer {position} in price order"
    );
}
