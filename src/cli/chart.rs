//! `capsim chart DIR`: redraw a finished run's charts and report.html from
//! its CSV files, with the resolved scenario beside them when it loads.

use std::path::PathBuf;

use clap::Args;

use capsim::scenario::load_file;

use super::outcome::Outcome;
use super::render::{parse_slos, print_verdicts, read_run, render_read};

pub const AFTER_HELP: &str = "Examples:\n  \
capsim chart out\n  \
capsim chart out --slo 'p99<200ms' --slo 'errors<0.1%'\n\n\
Reads summary.csv, timeseries.csv and events.csv in DIR (written by `capsim run`) and writes\n\
charts/*.svg, charts/*.png and report.html there, replacing only what capsim drew before\n\
(DIR/.capsim-out lists it). Exits 2 if DIR holds no finished run.";

#[derive(Args, Debug)]
pub struct ChartArgs {
    /// A folder written by `capsim run` (it has summary.csv).
    pub dir: PathBuf,
    /// A service-level objective to check and show in report.html:
    /// `--slo 'p99<200ms'`, `--slo 'errors<0.1%'` (repeatable).
    #[arg(long = "slo", value_name = "OBJECTIVE")]
    pub slo: Vec<String>,
    /// Draw into DIR even if capsim did not write it (it has no
    /// `.capsim-out`, as a folder of an older capsim), replacing
    /// report.html and charts of the names capsim draws.
    #[arg(long)]
    pub force: bool,
}

pub fn chart(arguments: ChartArgs) -> Outcome {
    let slos = parse_slos(&arguments.slo)?;
    // The run is read first: a folder without one is the input's fault.
    let data = read_run(&arguments.dir)?;
    let out = super::output::claim(&arguments.dir, arguments.force, &[])?;
    let resolved = arguments.dir.join("scenario.resolved.toml");
    let scenario = if resolved.is_file() {
        match load_file(&resolved, &[]) {
            Ok(loaded) => Some(loaded.scenario),
            Err(error) => {
                let first = error.to_string();
                let first = first.lines().next().unwrap_or_default();
                eprintln!(
                    "warning: cannot read `{}` ({first}); the report leaves out the scenario and topology",
                    resolved.display()
                );
                None
            }
        }
    } else {
        None
    };
    // The run's own `[slo]` (from its resolved scenario), then `--slo`.
    let slos = match &scenario {
        Some(scenario) => super::render::objectives(scenario, &slos)?,
        None => slos,
    };
    let rendered = render_read(&out, &data, scenario.as_ref(), &slos)?;
    say!(
        "wrote {} chart files and {}",
        rendered.charts.len(),
        rendered.report.display()
    );
    print_verdicts(&rendered.verdicts);
    Ok(())
}
