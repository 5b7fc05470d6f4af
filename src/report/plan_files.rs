//! The files of `capsim plan`: `plan.csv` (the path the search took, one
//! row per simulated configuration), `plan.md` (the answer as a Markdown
//! table for a design document: knobs, chosen values, cost, SLO verdicts
//! with margins, binding constraints, survived failures), `patch.toml` (the
//! knobs the answer changes, as TOML tables to merge into the scenario),
//! `plan.chosen.toml` (the scenario with the answer applied, at the planned
//! load: it loads and runs as it is), and the answer's
//! `scenario.resolved.toml` and `summary.csv` (with 95 % intervals), the
//! summary written last.
//!
//! `plan.csv` columns: `step,phase,<one per knob path>,cost_per_month_usd,
//! <for each SLO: SLO:mean, SLO:bound, SLO:met>,busiest_station,
//! busiest_metric,busiest_utilization,reason`.

use std::io;

use crate::metrics::catalog as metric;
use crate::results::interval::IntervalSummary;
use crate::results::plan::{Outcome, Plan};

use super::out_dir::OutDir;
use super::study_files::interval_summary_csv;
use super::tables::{csv_writer, number};
use super::write_resolved;
use crate::scenario::dump::{Resolved, is_side_file_name};

/// The files a plan writes, in order (`summary.csv` last).
pub const PLAN_FILES: [&str; 6] = [
    "plan.csv",
    "plan.md",
    "patch.toml",
    "plan.chosen.toml",
    "scenario.resolved.toml",
    "summary.csv",
];

/// `plan.csv`.
pub fn plan_csv(plan: &Plan) -> Vec<u8> {
    let mut out = csv_writer(Vec::new());
    let mut header = vec!["step".to_owned(), "phase".to_owned()];
    header.extend(plan.knobs.iter().map(|knob| knob.path()));
    header.push(metric::COST_PER_MONTH_USD.name.to_owned());
    if let Some(step) = plan.steps.first() {
        for check in &step.evaluation.checks {
            for part in ["mean", "bound", "met"] {
                header.push(format!("{}:{part}", check.slo.text));
            }
        }
    }
    header.extend(
        [
            "busiest_station",
            "busiest_metric",
            "busiest_utilization",
            "reason",
        ]
        .map(String::from),
    );
    out.write_record(&header).expect("in memory");
    for (index, step) in plan.steps.iter().enumerate() {
        let mut record = vec![(index + 1).to_string(), step.phase.name().to_owned()];
        record.extend(
            plan.knobs
                .iter()
                .zip(&step.values)
                .map(|(knob, &value)| knob.value_text(value)),
        );
        record.push(number(step.evaluation.cost_per_month_usd));
        for check in &step.evaluation.checks {
            record.extend([number(check.mean), number(check.bound), check.met.to_string()]);
        }
        match &step.evaluation.busiest {
            Some(b) => record.extend([b.station.clone(), b.metric.clone(), number(b.utilization)]),
            None => record.extend([String::new(), String::new(), String::new()]),
        }
        let reason = match &step.evaluation.failure {
            Some(failure) => format!("{} (runs failed: {failure})", step.reason),
            None => step.reason.clone(),
        };
        record.push(reason);
        out.write_record(&record).expect("in memory");
    }
    out.into_inner().expect("in memory")
}

/// `patch.toml`: the answer's changed knobs as TOML tables.
pub fn patch_toml(plan: &Plan, load: &str) -> String {
    let slos: Vec<&str> = plan
        .steps
        .first()
        .map(|step| {
            step.evaluation
                .checks
                .iter()
                .map(|check| check.slo.text.as_str())
                .collect()
        })
        .unwrap_or_default();
    let mut text = format!(
        "# capsim plan: the cheapest configuration found at {load} meeting {}\n",
        slos.join(", ")
    );
    let patch = plan.patch();
    if patch.is_empty() {
        text.push_str("# the scenario as given already is that configuration: nothing to change\n");
        return text;
    }
    let mut tables: Vec<(String, Vec<String>)> = Vec::new();
    for (index, value) in patch {
        let knob = &plan.knobs[index];
        let line = format!("{} = {}", knob.field(), knob.toml_value(value));
        match tables.iter_mut().find(|(table, _)| *table == knob.table()) {
            Some((_, lines)) => lines.push(line),
            None => tables.push((knob.table(), vec![line])),
        }
    }
    for (table, lines) in tables {
        text.push_str(&format!("\n[{table}]\n{}\n", lines.join("\n")));
    }
    text
}

/// A measured value as people read it (`html::metric_text`: four
/// significant digits, an error rate in percent), `not measured` for NaN.
fn readable(metric: &str, value: f64) -> String {
    if value.is_nan() {
        "not measured".to_owned()
    } else {
        super::html::metric_text(metric, value)
    }
}

/// A Markdown table cell: `|` escaped, one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `plan.md`: the answer (or why there is none) as Markdown tables to
/// paste into a design document.
pub fn plan_md(plan: &Plan, load: &str) -> String {
    let mut text = String::from("# Capacity plan\n\n");
    let Some(answer) = plan.answer() else {
        let reason = match &plan.outcome {
            Outcome::NotMet { reason } => reason.as_str(),
            Outcome::Met { .. } => "",
        };
        text.push_str(&format!(
            "No design meets every SLO at {load}: {}.\n\n{} designs simulated; the path is in plan.csv.\n",
            cell(reason),
            plan.steps.len()
        ));
        return text;
    };
    text.push_str(&format!(
        "The cheapest design meeting every SLO at {load}, with 95 % confidence ({} configurations simulated).\n\n",
        plan.steps.len()
    ));
    text.push_str("| knob | as given | chosen | binding constraint |\n|---|---|---|---|\n");
    for (index, knob) in plan.knobs.iter().enumerate() {
        let initial = plan.initial[index];
        let given = if knob.choices.is_empty() || (initial as usize) < knob.choices.len() {
            knob.value_text(initial)
        } else {
            "(other)".to_owned()
        };
        let binding = plan
            .bindings
            .get(index)
            .and_then(|binding| binding.split_once(": "))
            .map_or("", |(_, why)| why);
        text.push_str(&format!(
            "| `{}` | {} | **{}** | {} |\n",
            knob.path(),
            cell(&given),
            cell(&knob.value_text(answer.values[index])),
            cell(binding)
        ));
    }
    text.push_str(&format!(
        "\nCost: **${:.2}/month** (`{}`).\n\n",
        answer.evaluation.cost_per_month_usd,
        metric::COST_PER_MONTH_USD.name
    ));
    text.push_str("| SLO | mean | 95 % bound | margin | verdict |\n|---|---|---|---|---|\n");
    for check in &answer.evaluation.checks {
        text.push_str(&format!(
            "| `{}` | {} | {} | {:.1} % | {} |\n",
            cell(&check.slo.text),
            readable(&check.slo.metric, check.mean),
            readable(&check.slo.metric, check.bound),
            100.0 * check.margin(),
            if check.met { "met" } else { "missed" }
        ));
    }
    if !plan.survive.is_empty() {
        text.push_str(&format!(
            "\nSurvived failures (a component crashed a third into the run, not repaired; a drill as written): {}.\n",
            plan.survive
                .iter()
                .map(|target| if target.starts_with("drill ") {
                    cell(target)
                } else {
                    format!("`{}`", cell(target))
                })
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    text
}

/// The answer of a plan: its resolved scenario, its summary, and its
/// scenario as a TOML file to load and run (`plan.chosen.toml`).
pub struct Answer<'a> {
    pub resolved: &'a Resolved,
    pub summary: &'a IntervalSummary,
    pub chosen: &'a str,
}

/// Writes a plan's files into `out` (an earlier plan's are removed first);
/// the answer's files only when one was found.
pub fn write_plan(out: &OutDir, plan: &Plan, load: &str, answer: Option<Answer>) -> io::Result<()> {
    let fixed: Vec<&str> = PLAN_FILES.iter().rev().copied().collect();
    out.clear(&fixed, is_side_file_name)?;
    out.write_atomic(PLAN_FILES[0], &plan_csv(plan))?;
    out.write_atomic(PLAN_FILES[1], plan_md(plan, load).as_bytes())?;
    if let (Outcome::Met { .. }, Some(answer)) = (&plan.outcome, answer) {
        out.write_atomic(PLAN_FILES[2], patch_toml(plan, load).as_bytes())?;
        out.write_atomic(PLAN_FILES[3], answer.chosen.as_bytes())?;
        write_resolved(out, answer.resolved)?;
        out.write_atomic(PLAN_FILES[5], &interval_summary_csv(answer.summary))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::knobs::{Knob, KnobKind};
    use crate::results::plan::{Evaluation, Phase, PlanStep, SloCheck};

    fn plan() -> Plan {
        let slo = crate::results::slo::parse("p99<200ms").unwrap();
        let step = |values: Vec<u32>, bound: f64| PlanStep {
            phase: Phase::Raise,
            values,
            reason: "why".into(),
            evaluation: Evaluation {
                summary: None,
                failure: None,
                checks: vec![SloCheck {
                    slo: slo.clone(),
                    mean: bound - 10.0,
                    bound,
                    met: bound < 200.0,
                }],
                busiest: None,
                cost_per_month_usd: 70.08,
                met: bound < 200.0,
            },
        };
        Plan {
            knobs: vec![
                Knob {
                    kind: KnobKind::PoolInstances,
                    component: "web".into(),
                    min: 1,
                    max: 10,
                    choices: Vec::new(),
                },
                Knob {
                    kind: KnobKind::DatabaseConnections,
                    component: "db".into(),
                    min: 1,
                    max: 100,
                    choices: Vec::new(),
                },
            ],
            initial: vec![4, 32],
            steps: vec![step(vec![3, 32], 250.0), step(vec![6, 32], 150.0)],
            outcome: Outcome::Met {
                step: 1,
                headroom: None,
            },
            exhausted: false,
            bindings: Vec::new(),
            survive: Vec::new(),
        }
    }

    #[test]
    fn the_patch_holds_only_changed_knobs() {
        let text = patch_toml(&plan(), "900/s");
        assert_eq!(
            text,
            "# capsim plan: the cheapest configuration found at 900/s meeting p99<200ms\n\n[pool.web]\ninstances = 6\n"
        );
        let table: toml::Table = text.parse().unwrap();
        assert_eq!(table["pool"]["web"]["instances"].as_integer(), Some(6));
    }

    #[test]
    fn the_path_has_a_row_per_step() {
        let text = String::from_utf8(plan_csv(&plan())).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "step,phase,pool.web.instances,database.db.connections,cost_per_month_usd,p99<200ms:mean,\
             p99<200ms:bound,p99<200ms:met,busiest_station,busiest_metric,busiest_utilization,reason"
        );
        assert_eq!(lines[2], "2,raise,6,32,70.08,140,150,true,,,,why");
    }

    #[test]
    fn plan_md_rounds_for_reading_and_names_drills() {
        let mut plan = plan();
        let check = &mut plan.steps[1].evaluation.checks[0];
        check.mean = 115.553_140_271_8;
        check.bound = 150.000_000_000_3;
        plan.survive = vec!["database.db.primary".into(), "drill `dc|us lost`".into()];
        let md = plan_md(&plan, "900/s");
        assert!(
            md.contains("| `p99<200ms` | 115.6 | 150.0 | 25.0 % | met |"),
            "{md}"
        );
        assert!(
            md.contains("`database.db.primary`, drill `dc\\|us lost`."),
            "{md}"
        );
        // Nothing measured is said in words, not as NaN.
        plan.steps[1].evaluation.checks[0].mean = f64::NAN;
        assert!(plan_md(&plan, "900/s").contains("| not measured |"));
    }
}
