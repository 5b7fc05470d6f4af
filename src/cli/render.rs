//! Shared by `run`, `chart` and `compare`: reading `--slo` objectives (added
//! to the scenario's `[slo]`), drawing a run folder's charts and report,
//! printing SLO verdicts and ending `run` with exit 3 when one is missed.

use std::path::Path;

use capsim::report::OutDir;
use capsim::report::render::{RenderError, RenderOptions, Rendered, render_data, render_run};
use capsim::report::run_data::RunData;
use capsim::results::slo::{self, Slo, Verdict};
use capsim::scenario::Scenario;

use super::outcome::Failure;

/// Parses every `--slo`; on a bad one prints why (invalid input).
pub fn parse_slos(texts: &[String]) -> Result<Vec<Slo>, Failure> {
    slo::parse_all(texts).map_err(|error| {
        eprintln!("error: {error}");
        Failure::Invalid
    })
}

/// The scenario's `[slo]` objectives, then the `--slo` ones, whose scopes
/// are checked against the scenario as `[slo]`'s were at load (invalid
/// input, before anything runs).
pub fn objectives(scenario: &Scenario, flags: &[Slo]) -> Result<Vec<Slo>, Failure> {
    let problems = capsim::scenario::slo::check_objectives(scenario, flags);
    for problem in &problems {
        eprintln!("error: {problem}");
    }
    if !problems.is_empty() {
        return Err(Failure::Invalid);
    }
    Ok(scenario.slo.objectives.iter().chain(flags).cloned().collect())
}

/// `run`'s end: a missed objective (its results are written) exits 3.
pub fn slo_outcome(verdicts: &[Verdict]) -> super::outcome::Outcome {
    if verdicts.iter().all(|verdict| verdict.met) {
        Ok(())
    } else {
        let missed = verdicts.iter().filter(|verdict| !verdict.met).count();
        eprintln!("error: {missed} of {} SLOs missed (exit 3)", verdicts.len());
        Err(Failure::SloMissed)
    }
}

/// Draws the charts and report.html of the run in `out`; on failure
/// prints why: invalid input (a bad run folder) or failed (a write).
pub fn render(out: &OutDir, scenario: Option<&Scenario>, slos: &[Slo]) -> Result<Rendered, Failure> {
    render_run(out, &RenderOptions { scenario, slos }).map_err(render_failure)
}

/// Draws the charts and report.html of a run read from `out`.
pub fn render_read(
    out: &OutDir,
    data: &RunData,
    scenario: Option<&Scenario>,
    slos: &[Slo],
) -> Result<Rendered, Failure> {
    render_data(out, data, &RenderOptions { scenario, slos }).map_err(render_failure)
}

fn render_failure(error: RenderError) -> Failure {
    eprintln!("error: {error}");
    let refused = matches!(&error, RenderError::Write { source, .. } if super::output::is_refusal(source));
    if error.is_bad_input() || refused {
        Failure::Invalid
    } else {
        Failure::Failed
    }
}

/// Reads the run in `dir`; on failure prints why.
pub fn read_run(dir: &Path) -> Result<RunData, Failure> {
    RunData::read(dir).map_err(|error| render_failure(RenderError::Read(error)))
}

/// One line per objective, with its margin and, after replications, its
/// interval: `SLO p99 < 300ms  met: overall/latency_p99_ms 122.4 ms,
/// 177.6 ms inside < 300 ms`; one measured as nothing says why.
pub fn print_verdicts(verdicts: &[Verdict]) {
    for verdict in verdicts {
        say!("  SLO {}  {}", verdict.slo.text, verdict.describe());
    }
}

/// A number with `decimals` decimals, or `-` when there is none (a blank
/// cell: nothing measured).
pub fn fixed(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        "-".to_owned()
    } else {
        format!("{value:.decimals$}")
    }
}
