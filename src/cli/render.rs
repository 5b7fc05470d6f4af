//! Shared by `run`, `chart` and `compare`: reading `--slo` objectives,
//! drawing a run folder's charts and report, and printing SLO verdicts.

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

/// One line per objective: `SLO p99<200ms: met (122.4)`; one measured as
/// nothing says why: `MISSED (no request completed: overall/latency_p99_ms
/// has no value)`.
pub fn print_verdicts(verdicts: &[Verdict]) {
    for verdict in verdicts {
        let outcome = if verdict.met { "met" } else { "MISSED" };
        match verdict.measured {
            Some(value) if value.is_nan() => say!(
                "  SLO {}  {outcome} ({}: {}/{} has no value)",
                verdict.slo.text,
                verdict.reason.as_deref().unwrap_or("nothing measured"),
                verdict.slo.scope,
                verdict.slo.metric
            ),
            Some(value) => say!(
                "  SLO {}  {outcome} ({}/{} = {})",
                verdict.slo.text,
                verdict.slo.scope,
                verdict.slo.metric,
                capsim::report::html::metric_text(&verdict.slo.metric, value)
            ),
            None => say!(
                "  SLO {}  {outcome} (the run has no {}/{})",
                verdict.slo.text,
                verdict.slo.scope,
                verdict.slo.metric
            ),
        }
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
