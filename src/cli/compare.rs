//! `capsim compare A.toml B.toml [...] [--variant NAME:PATH=VALUE]...`: run
//! scenarios and variants of the first one with one seed, then print and
//! write their differences.

use std::path::PathBuf;

use clap::Args;

use capsim::report::OutDir;
use capsim::report::compare_page::{COMPARE_CSV, COMPARE_HTML, write_comparison};
use capsim::report::run_data::RunData;
use capsim::report::write_run;
use capsim::results::slo::Verdict;
use capsim::scenario::Scenario;
use capsim::scenario::dump::resolved;
use capsim::study::compare::{check_names, name_from_stem, parse_variants, run_all, share_seed};
use capsim::study::feasibility;

use super::args::ScenarioArgs;
use super::load;
use super::outcome::{Failure, Outcome};
use super::render::{parse_slos, render};

pub const AFTER_HELP: &str = "Examples:\n  \
capsim compare scenarios/01-single-server.toml scenarios/02-separate-database.toml\n  \
capsim compare scenarios/03-vertical-scaling.toml --variant small:pool.web.size=m5.large\n  \
capsim compare s.toml --variant six:pool.web.instances=6 --variant eight:pool.web.instances=8 --slo 'p99<200ms'\n\n\
Every scenario and variant runs with the same seed (--seed, or the first scenario's), so the\n\
parts they share draw the same random numbers. Prints key metrics side by side with the\n\
difference from the first; writes each run into OUT/NAME/ (CSV, charts, report.html) and\n\
OUT/compare.csv, OUT/charts/compare_*.svg|png and OUT/compare.html.\n\
SLOs (the first scenario's [slo] and --slo) judge every scenario and variant; compare exits 3\n\
when any of them misses one (everything is still written), so a pipeline can gate a change on it.";

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Scenario files; the first is the baseline and the base of every variant.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// A variant of the first scenario: `small:pool.web.size=m5.large`
    /// (repeat a name to change several fields of one variant).
    #[arg(long = "variant", value_name = "NAME:PATH=VALUE")]
    pub variant: Vec<String>,
    /// Override a field in every scenario and variant (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// The seed of every run (default: the first scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Let the scenarios read sample files outside their own folders.
    #[arg(long)]
    pub allow_outside_files: bool,
    /// Folder for the results (created if missing; an existing one must be
    /// empty or written by capsim before).
    #[arg(long, short, default_value = "out/compare")]
    pub out: PathBuf,
    #[arg(long, help = super::args::FORCE_HELP)]
    pub force: bool,
    /// A service-level objective to check for every variant (repeatable).
    #[arg(long = "slo", value_name = "OBJECTIVE")]
    pub slo: Vec<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// How to print the table: aligned `text`, or `md` (a Markdown table
    /// to paste into a document).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::args::TableFormat,
}

/// A scenario or variant to run: its name and how to load it.
struct Plan {
    name: String,
    source: ScenarioArgs,
}

fn plans(arguments: &CompareArgs) -> Result<Vec<Plan>, String> {
    let variants = parse_variants(&arguments.variant).map_err(|e| e.to_string())?;
    let mut plans: Vec<Plan> = arguments
        .scenarios
        .iter()
        .map(|path| Plan {
            name: name_from_stem(&path.file_stem().unwrap_or_default().to_string_lossy()),
            source: ScenarioArgs {
                scenario: path.clone(),
                set: arguments.set.clone(),
                seed: arguments.seed,
                allow_outside_files: arguments.allow_outside_files,
            },
        })
        .collect();
    for variant in variants {
        let mut set = arguments.set.clone();
        set.extend(variant.overrides);
        plans.push(Plan {
            name: variant.name,
            source: ScenarioArgs {
                scenario: arguments.scenarios[0].clone(),
                set,
                seed: arguments.seed,
                allow_outside_files: arguments.allow_outside_files,
            },
        });
    }
    let names: Vec<String> = plans.iter().map(|plan| plan.name.clone()).collect();
    check_names(&names).map_err(|e| e.to_string())?;
    Ok(plans)
}

pub fn compare(arguments: CompareArgs) -> Outcome {
    let slos = parse_slos(&arguments.slo)?;
    let plans = match plans(&arguments) {
        Ok(plans) => plans,
        Err(message) => {
            eprintln!("error: {message}");
            return Err(Failure::Invalid);
        }
    };
    let mut scenarios = Vec::new();
    let mut inputs = Vec::new();
    for plan in &plans {
        match load(&plan.source) {
            Ok(loaded) => {
                scenarios.push(loaded.scenario);
                inputs.extend(loaded.inputs);
            }
            Err(failure) => {
                eprintln!("error: variant `{}` is invalid (see above)", plan.name);
                return Err(failure);
            }
        }
    }
    // The first variant's `[slo]` judges every variant, with the `--slo` flags.
    let slos = super::render::objectives(&scenarios[0], &slos)?;
    for (index, former) in share_seed(&mut scenarios, arguments.seed) {
        eprintln!(
            "note: `{}` runs with seed {} (its scenario says {former}) so all variants share random numbers",
            plans[index].name, scenarios[index].seed
        );
    }
    for (plan, scenario) in plans.iter().zip(&scenarios) {
        for warning in feasibility::warnings(&feasibility::estimate(scenario)) {
            eprintln!("warning: {}: {warning}", plan.name);
        }
    }
    let names: Vec<String> = plans.iter().map(|plan| plan.name.clone()).collect();
    // The folder and each variant's are claimed (and locked) before
    // anything runs.
    let out = super::output::claim(&arguments.out, arguments.force, &inputs)?;
    let variant_outs = names
        .iter()
        .map(|name| super::output::claim(&arguments.out.join(name), arguments.force, &inputs))
        .collect::<Result<Vec<OutDir>, Failure>>()?;
    let (runs, verdicts) = run_and_write(&names, &scenarios, &variant_outs, &slos)?;
    let seed = scenarios[0].seed;
    let comparison = match write_comparison(&out, names.clone(), &runs, &slos, seed) {
        Ok(comparison) => comparison,
        Err(error) => {
            eprintln!("error: {error}");
            let refused = matches!(&error, capsim::report::render::RenderError::Write { source, .. }
                if super::output::is_refusal(source));
            return Err(if refused {
                Failure::Invalid
            } else {
                Failure::Failed
            });
        }
    };
    if !arguments.quiet {
        say!(
            "{} (seed {seed}; differences against `{}`)",
            comparison.variants.join(" vs "),
            comparison.variants[0]
        );
        let md = arguments.format == super::args::TableFormat::Md;
        if md {
            say!();
        }
        say_raw!("{}", arguments.format.render(&comparison.table()));
        if md {
            say!();
        }
        say!(
            "results in {}/ ({COMPARE_CSV}, {COMPARE_HTML}, charts/, and a folder per variant)",
            arguments.out.display()
        );
        print_verdicts(&names, &verdicts);
    }
    slo_outcome(&names, &verdicts)
}

/// One line per variant: its SLOs met, or the ones it missed.
fn print_verdicts(names: &[String], verdicts: &[Vec<Verdict>]) {
    if verdicts.iter().all(Vec::is_empty) {
        return;
    }
    for (name, verdicts) in names.iter().zip(verdicts) {
        let missed: Vec<&str> = verdicts
            .iter()
            .filter(|verdict| !verdict.met)
            .map(|verdict| verdict.slo.text.as_str())
            .collect();
        if missed.is_empty() {
            say!("SLOs {name}: all {} met", verdicts.len());
        } else {
            say!(
                "SLOs {name}: MISSED {} of {}: {}",
                missed.len(),
                verdicts.len(),
                missed.join(", ")
            );
        }
    }
}

/// Exit 3 when any scenario or variant missed an objective: a pipeline
/// comparing a change with its baseline fails when either falls short.
fn slo_outcome(names: &[String], verdicts: &[Vec<Verdict>]) -> Outcome {
    let missing: Vec<&str> = names
        .iter()
        .zip(verdicts)
        .filter(|(_, verdicts)| verdicts.iter().any(|verdict| !verdict.met))
        .map(|(name, _)| name.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "error: {} of {} compared configurations missed an SLO ({}) (exit 3)",
        missing.len(),
        names.len(),
        missing.join(", ")
    );
    Err(Failure::SloMissed)
}

/// Runs every scenario (in parallel), writes each into its folder
/// (`OUT/NAME/`) with its charts and report, and reads the results back for
/// the comparison, with each one's SLO verdicts.
fn run_and_write(
    names: &[String],
    scenarios: &[Scenario],
    outs: &[OutDir],
    slos: &[capsim::results::slo::Slo],
) -> Result<(Vec<RunData>, Vec<Vec<Verdict>>), Failure> {
    let results = run_all(scenarios);
    if super::interrupt::announce_if_interrupted() {
        return Err(Failure::Interrupted);
    }
    let mut runs = Vec::new();
    let mut verdicts = Vec::new();
    for (((name, scenario), result), out) in names.iter().zip(scenarios).zip(results).zip(outs) {
        let result = result.map_err(|error| {
            eprintln!("error: variant `{name}`: {error}");
            eprintln!("no comparison was written");
            Failure::Failed
        })?;
        write_run(out, &resolved(scenario), &result)
            .map_err(|error| super::output::write_failed(out.path(), &error))?;
        verdicts.push(render(out, Some(scenario), slos)?.verdicts);
        runs.push(RunData::read(out.path()).map_err(|error| {
            eprintln!("error: {error}");
            Failure::Failed
        })?);
    }
    Ok((runs, verdicts))
}
