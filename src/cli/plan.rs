//! `capsim plan`: the cheapest configuration that meets every SLO at a
//! target load, with the path the search took, the answer as a TOML patch
//! and as a scenario, its monthly cost and its headroom. With `[plan]
//! knobs` in the scenario it searches that design space
//! (`study::design`, which also survives `[plan] survive`); without, the
//! default knobs by the bottleneck (`study::plan`).

use std::path::{Path, PathBuf};

use clap::Args;

use capsim::report::OutDir;
use capsim::report::html::{error_percent, is_error_rate};
use capsim::report::plan_files::{Answer, write_plan};
use capsim::report::text_table::TextTable;
use capsim::results::knobs::{self, Knob};
use capsim::results::plan::{Headroom, Outcome, Plan, PlanStep, SloCheck};
use capsim::scenario::dump::resolved;
use capsim::scenario::units::parse_rate;
use capsim::scenario::{Scenario, load_text_with};
use capsim::study::design::{self, DesignSettings};
use capsim::study::plan::{self, PlanError, PlanSettings};

use super::args::{ScenarioArgs, TableFormat};
use super::outcome::{self, Failure};
use super::{load, threads};

pub const AFTER_HELP: &str = "Examples:\n  \
capsim plan scenarios/04-load-balancer.toml --load 2000/s --slo 'p99<200ms' --slo 'error_rate<0.001'\n  \
capsim plan my.toml --load 20000/s --slo 'p99<200ms' --limit pool.web.instances=2..40 --limit database.db.connections=32\n  \
capsim plan scenarios/14-planning.toml\n\n\
With `[plan] knobs` in the scenario: every design in their ranges, tried in order of monthly cost\n\
(designs the utilization law rules out are never simulated), must meet every SLO and ride through\n\
each `[plan] survive` failure (a component crashed a third into the run, or a named drill); each knob's binding constraint is named.\n\
Without: every pool's instances and every database's connections, from 1 (or --limit MIN..MAX;\n\
--limit PATH=N fixes one). The search starts at the least capacity the utilization law allows, raises\n\
the most utilized station's knob until every SLO holds, then trims the most expensive knobs.\n\
An SLO holds when the conservative end of its metric's 95% interval over --replications runs meets it.\n\
Writes plan.csv (the path), plan.md, patch.toml, plan.chosen.toml, and the answer's\n\
scenario.resolved.toml and summary.csv.\n\
Exit status: 0 a configuration was found, 1 the search stopped early (--max-steps), 2 invalid input,\n\
3 no configuration within the ranges meets the SLOs.";

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The peak load to plan for, like `20000/s` (the workload's profile
    /// is scaled so its peak is this rate; default: `[plan] load`, or the
    /// workload's own peak).
    #[arg(long, value_name = "RATE")]
    pub load: Option<String>,
    /// An objective every configuration must meet, like `p99<200ms` or
    /// `error_rate<0.001` (repeatable; added to the scenario's `[slo]`).
    #[arg(long = "slo", value_name = "OBJECTIVE")]
    pub slo: Vec<String>,
    /// The values a knob may take: `pool.web.instances=2..40`, `..20`,
    /// or `=8` to fix it (repeatable).
    #[arg(long = "limit", value_name = "PATH=MIN..MAX")]
    pub limit: Vec<String>,
    /// Replications per configuration (the confidence comes from them).
    #[arg(long, value_name = "R", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub replications: u32,
    /// Most configurations to simulate.
    #[arg(long, value_name = "N", default_value_t = 40,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_steps: u32,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Folder for the results (created if missing; an existing one must be
    /// empty or written by capsim before).
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,
    #[arg(long, help = super::args::FORCE_HELP)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// How to print the table: aligned `text`, or `md` (a Markdown table
    /// to paste into a document).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::args::TableFormat,
}

fn invalid(message: impl std::fmt::Display) -> Failure {
    eprintln!("error: {message}");
    Failure::Invalid
}

pub fn plan(arguments: PlanArgs) -> outcome::Outcome {
    let slos = super::render::parse_slos(&arguments.slo)?;
    let flag_load = match &arguments.load {
        None => None,
        Some(text) => match parse_rate(text) {
            Ok(rate) if rate > 0.0 => Some(rate),
            Ok(_) => {
                return Err(invalid(format!(
                    "invalid `--load {text}`: the rate must be above zero"
                )));
            }
            Err(reason) => return Err(invalid(format!("invalid `--load {text}`: {reason}"))),
        },
    };
    let loaded = load(&arguments.scenario)?;
    let base = loaded.scenario;
    let slos = super::render::objectives(&base, &slos)?;
    let load_rps = flag_load
        .or(base.plan.load)
        .unwrap_or_else(|| capsim::study::feasibility::offered_rate(&base));
    let load_text = arguments
        .load
        .clone()
        .unwrap_or_else(|| format!("{}/s", (load_rps * 10.0).round() / 10.0));
    let design = !base.plan.knobs.is_empty();
    let knobs = if design {
        if let Some(limit) = arguments.limit.first() {
            return Err(invalid(format!(
                "invalid `--limit {limit}`: the scenario's `[plan] knobs` give the ranges; change them there"
            )));
        }
        knobs::from_plan(&base)
    } else {
        let mut knobs = knobs::discover(&base);
        for limit in &arguments.limit {
            if let Err(error) = knobs::apply_limit(&mut knobs, limit) {
                return Err(invalid(error));
            }
        }
        knobs
    };
    // Claimed (and locked) before anything runs.
    let out = super::output::claim(&arguments.out, arguments.force, &loaded.inputs)?;
    let mut overrides = arguments.scenario.set.clone();
    if let Some(seed) = arguments.scenario.seed {
        overrides.push(format!("scenario.seed={seed}"));
    }
    let path = arguments.scenario.scenario.clone();
    let access = arguments.scenario.access();
    // The file as loaded above: every design is it with the knobs' `--set`s.
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let base_dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let default_name = path
        .file_stem()
        .map_or("scenario".to_owned(), |stem| stem.to_string_lossy().into_owned());
    let display = path.display().to_string();
    let build = move |assignments: &[String]| -> Result<Scenario, String> {
        let all: Vec<String> = overrides
            .iter()
            .cloned()
            .chain(assignments.iter().cloned())
            .collect();
        load_text_with(&display, &text, &all, &base_dir, &default_name, access)
            .map(|loaded| loaded.scenario)
            .map_err(|error| error.to_string())
    };
    let quiet = arguments.quiet;
    // Steps stream as they are simulated in text; in Markdown they are one
    // table at the end.
    let stream = !quiet && arguments.format == TableFormat::Text;
    if !quiet {
        say!(
            "planning `{}` for {} ({:.1} requests/s), {} replications per configuration:",
            base.name,
            load_text,
            load_rps,
            arguments.replications
        );
        if design {
            let survive: Vec<String> = base.plan.survive.iter().map(|t| t.label()).collect();
            say!(
                "  {} knobs from [plan]{}",
                knobs.len(),
                if survive.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; every design must survive {} (a component's kill at {:.1}s, a third into the run; a drill as written)",
                        survive.join(", "),
                        design::fault_at(&base).as_secs_f64()
                    )
                }
            );
        }
    }
    let knob_list = knobs.clone();
    let mut taken = 0;
    let mut on_step = |step: &PlanStep| {
        taken += 1;
        if stream {
            print_step(&knob_list, taken, step);
        }
    };
    let result = threads::install(arguments.threads, || {
        if design {
            let settings = DesignSettings {
                slos,
                degraded: base.plan.degraded.clone(),
                survive: base.plan.survive.clone(),
                load_rps,
                replications: arguments.replications,
                max_steps: arguments.max_steps,
            };
            design::design(&base, &knobs, &settings, &build, &mut on_step)
        } else {
            let settings = PlanSettings {
                slos,
                load_rps,
                replications: arguments.replications,
                max_steps: arguments.max_steps,
            };
            plan::plan(&base, &knobs, &settings, &build, &|| {}, &mut on_step)
        }
    });
    if super::interrupt::announce_if_interrupted() {
        return Err(Failure::Interrupted);
    }
    let plan = match result {
        Ok(Ok(plan)) => plan,
        Ok(Err(error)) => return Err(plan_error(error)),
        Err(failure) => return Err(failure),
    };
    finish(&arguments, &out, &plan, &build, load_rps, &load_text)
}

fn plan_error(error: PlanError) -> Failure {
    eprintln!("error: {error}");
    Failure::Invalid
}

fn finish(
    arguments: &PlanArgs,
    out: &OutDir,
    plan: &Plan,
    build: &plan::Build,
    load_rps: f64,
    load_text: &str,
) -> outcome::Outcome {
    let answer = match plan.answer() {
        Some(step) => {
            let assignments: Vec<String> = plan
                .knobs
                .iter()
                .zip(&step.values)
                .map(|(knob, &value)| knob.assignment(value))
                .collect();
            let mut scenario = match build(&assignments) {
                Ok(scenario) => scenario,
                Err(reason) => return Err(invalid(reason)),
            };
            if let Err(error) = plan::scale_to_load(&mut scenario, load_rps) {
                return Err(plan_error(error));
            }
            step.evaluation.summary.clone().map(|summary| {
                let resolved = resolved(&scenario);
                let chosen = format!(
                    "# capsim plan: the cheapest design found at {load_text} ({:.1} requests/s), its knobs:\n# {}\n\n{}",
                    load_rps,
                    values(&plan.knobs, &step.values),
                    resolved.toml
                );
                (resolved, summary, chosen)
            })
        }
        None => None,
    };
    let written = write_plan(
        out,
        plan,
        load_text,
        answer.as_ref().map(|(resolved, summary, chosen)| Answer {
            resolved,
            summary,
            chosen,
        }),
    );
    if let Err(error) = written {
        return Err(super::output::write_failed(&arguments.out, &error));
    }
    if !arguments.quiet && arguments.format == TableFormat::Md {
        say!();
        say_raw!("{}", steps_table(plan).markdown());
        say!();
    }
    match &plan.outcome {
        Outcome::Met { step, headroom } => {
            if !arguments.quiet {
                print_answer(arguments, plan, *step, headroom.as_ref());
            }
            Ok(())
        }
        Outcome::NotMet { reason } => {
            eprintln!("no configuration meets every SLO: {reason}");
            eprintln!("the path taken is in {}/plan.csv", arguments.out.display());
            if plan.exhausted {
                eprintln!("error: no configuration within the ranges meets the SLOs (exit 3)");
                Err(Failure::SloMissed)
            } else {
                Err(Failure::Failed)
            }
        }
    }
}

fn values(knobs: &[Knob], values: &[u32]) -> String {
    knobs
        .iter()
        .zip(values)
        .map(|(knob, value)| knob.assignment(*value))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An SLO's measured value: an error rate in percent, anything else with
/// four decimals.
fn slo_value(check: &SloCheck, value: f64) -> String {
    if is_error_rate(&check.slo.metric) {
        error_percent(value)
    } else {
        format!("{value:.4}")
    }
}

/// How a step fared on one SLO: `met (mean 115.5531, bound 115.6986)`.
fn verdict(check: &SloCheck) -> String {
    let mark = if check.met { "met" } else { "MISSED" };
    if check.bound.is_finite() {
        format!(
            "{mark} (mean {}, bound {})",
            slo_value(check, check.mean),
            slo_value(check, check.bound)
        )
    } else {
        format!("{mark} (not measured)")
    }
}

/// Every step of the plan as one table (`--format md`): the knobs' values,
/// the cost, each SLO's verdict, the busiest station and why.
fn steps_table(plan: &Plan) -> TextTable {
    let mut headers = vec!["step".to_owned(), "phase".to_owned()];
    headers.extend(plan.knobs.iter().map(|knob| knob.path()));
    headers.push("$/month".to_owned());
    let slos: Vec<String> = plan
        .steps
        .first()
        .map(|step| {
            step.evaluation
                .checks
                .iter()
                .map(|c| c.slo.text.clone())
                .collect()
        })
        .unwrap_or_default();
    headers.extend(slos.iter().cloned());
    headers.extend(["busiest".to_owned(), "why".to_owned()]);
    let mut numeric = vec![true, false];
    numeric.extend(plan.knobs.iter().map(|_| true));
    numeric.push(true);
    numeric.extend(slos.iter().map(|_| false));
    numeric.extend([false, false]);
    let rows = plan
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let evaluation = &step.evaluation;
            let mut row = vec![(index + 1).to_string(), step.phase.name().to_owned()];
            row.extend(
                plan.knobs
                    .iter()
                    .zip(&step.values)
                    .map(|(knob, &value)| knob.value_text(value)),
            );
            row.push(format!("{:.2}", evaluation.cost_per_month_usd));
            row.extend(evaluation.checks.iter().map(verdict));
            row.push(evaluation.busiest.as_ref().map_or(String::new(), |b| {
                format!("{} {} {:.0}%", b.station, b.metric, 100.0 * b.utilization)
            }));
            row.push(match &evaluation.failure {
                Some(failure) => format!("{} (runs failed: {failure})", step.reason),
                None => step.reason.clone(),
            });
            row
        })
        .collect();
    TextTable {
        headers,
        rows,
        numeric,
    }
}

/// Step `number` (from 1, as the "why" lines and `--format md` count).
fn print_step(knobs: &[Knob], number: usize, step: &PlanStep) {
    let evaluation = &step.evaluation;
    say!(
        "  {number:>2} {:<5} {}  ${:.2}/month",
        step.phase.name(),
        values(knobs, &step.values),
        evaluation.cost_per_month_usd
    );
    let checks: Vec<String> = evaluation
        .checks
        .iter()
        .map(|check| format!("{} {}", check.slo.text, verdict(check)))
        .collect();
    say!("           {}", checks.join("; "));
    if let Some(b) = &evaluation.busiest {
        say!(
            "           busiest {} {} {:.0}%",
            b.station,
            b.metric,
            100.0 * b.utilization
        );
    }
    if let Some(failure) = &evaluation.failure {
        say!("           runs failed: {failure}");
    }
    say!("           why: {}", step.reason);
}

fn print_answer(arguments: &PlanArgs, plan: &Plan, step: usize, headroom: Option<&Headroom>) {
    let answer = &plan.steps[step];
    // In Markdown the answer's lines are a list.
    let item = if arguments.format == TableFormat::Md {
        "- "
    } else {
        "  "
    };
    say!(
        "cheapest configuration meeting every SLO with 95% confidence ({} configurations simulated):",
        plan.steps.len()
    );
    say!("{item}{}", values(&plan.knobs, &answer.values));
    say!("{item}cost ${:.2}/month", answer.evaluation.cost_per_month_usd);
    if let Some(headroom) = headroom {
        // The answer step's busiest node, as its row above shows it.
        say!("{item}headroom: {}", headroom.describe());
    }
    for binding in &plan.bindings {
        say!("{item}binding: {binding}");
    }
    if !plan.survive.is_empty() {
        say!("{item}survives: {}", plan.survive.join(", "));
    }
    for check in &answer.evaluation.checks {
        say!(
            "{item}{}: bound {}, margin {:.1}% of the threshold",
            check.slo.text,
            slo_value(check, check.bound),
            100.0 * check.margin()
        );
    }
    let patch = plan.patch();
    if patch.is_empty() {
        say!("{item}the scenario as given is already this configuration");
    } else {
        let sets: Vec<String> = patch
            .iter()
            .map(|&(index, value)| format!("--set {}", plan.knobs[index].assignment(value)))
            .collect();
        say!(
            "{item}patch ({}/patch.toml), or on the command line: {}",
            arguments.out.display(),
            sets.join(" ")
        );
    }
    say!(
        "{}results in {}/ (plan.csv, plan.md, patch.toml, plan.chosen.toml, scenario.resolved.toml, summary.csv)",
        item.trim_start(),
        arguments.out.display()
    );
}
