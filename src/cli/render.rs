//! Shared by `run`, `chart` and `compare`: reading `--slo` objectives,
//! drawing a run folder's charts and report, and printing SLO verdicts.

use std::path::Path;

use capsim::report::render::{RenderOptions, Rendered, render_run};
use capsim::results::slo::{self, Slo, Verdict};
use capsim::scenario::Scenario;

use super::{EXIT_FAILED, EXIT_INVALID};

/// Parses every `--slo`; on a bad one prints why and returns exit code 2.
pub fn parse_slos(texts: &[String]) -> Result<Vec<Slo>, u8> {
    slo::parse_all(texts).map_err(|error| {
        eprintln!("error: {error}");
        EXIT_INVALID
    })
}

/// Draws the charts and report.html of the run in `dir`; on failure
/// prints why and returns exit code 2 (a bad run folder) or 1 (a write).
pub fn render(dir: &Path, scenario: Option<&Scenario>, slos: &[Slo]) -> Result<Rendered, u8> {
    render_run(dir, &RenderOptions { scenario, slos }).map_err(|error| {
        eprintln!("error: {error}");
        if error.is_bad_input() {
            EXIT_INVALID
        } else {
            EXIT_FAILED
        }
    })
}

/// One line per objective: `SLO p99<200ms: met (122.4)`.
pub fn print_verdicts(verdicts: &[Verdict]) {
    for verdict in verdicts {
        let outcome = if verdict.met { "met" } else { "MISSED" };
        match verdict.measured {
            Some(value) => say!(
                "  SLO {}  {outcome} ({}/{} = {})",
                verdict.slo.text,
                verdict.slo.scope,
                verdict.slo.metric,
                capsim::report::html::number(value)
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
