//! Rendering a finished run folder: its charts (`charts/NAME.svg` and
//! `charts/NAME.png`) and `report.html`, all drawn from the folder's CSV
//! files. `capsim run` calls this after writing the results and
//! `capsim chart DIR` calls it alone, so both give the same bytes.
//!
//! Earlier charts and the report are removed first (the report before the
//! charts it shows), then each file is written under a temporary name and
//! renamed, `report.html` last: a folder whose report exists has all its
//! charts. The charts are drawn and written in parallel on the current
//! rayon pool (a study's, so `--threads` bounds it; rayon's global pool for
//! a command without one).

use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::chart::ChartError;
use super::run_charts::{NamedFigure, run_charts};
use super::run_data::{ReadError, RunData};
use super::run_page::RunPage;
use super::write_atomic;
use crate::results::slo::{Slo, Verdict};
use crate::scenario::Scenario;

/// The report's file name in a run folder.
pub const REPORT_FILE: &str = "report.html";
/// The folder of chart files in a run folder.
pub const CHARTS_DIR: &str = "charts";

/// What to put in the report besides the CSV files.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions<'a> {
    /// The resolved scenario, for the title, description and topology.
    pub scenario: Option<&'a Scenario>,
    pub slos: &'a [Slo],
}

/// The files written and the SLO verdicts shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    pub charts: Vec<PathBuf>,
    pub report: PathBuf,
    pub verdicts: Vec<Verdict>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("cannot write `{}`: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

impl RenderError {
    /// Whether the input was at fault (a missing or malformed run folder)
    /// rather than the output (a file that could not be written).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, RenderError::Read(_))
    }
}

fn write_error(path: &Path) -> impl FnOnce(io::Error) -> RenderError + '_ {
    move |source| RenderError::Write {
        path: path.to_owned(),
        source,
    }
}

/// Renders the charts and the report of the run in `dir`.
pub fn render_run(dir: &Path, options: &RenderOptions) -> Result<Rendered, RenderError> {
    let data = RunData::read(dir)?;
    clear_rendered(dir)?;
    let figures = write_figures(&dir.join(CHARTS_DIR), run_charts(&data))?;
    let verdicts: Vec<Verdict> = options
        .slos
        .iter()
        .map(|slo| slo.evaluate_value(data.value(&slo.scope, &slo.metric)))
        .collect();
    let page = RunPage {
        data: &data,
        scenario: options.scenario,
        verdicts: &verdicts,
        figures: &figures,
    };
    let report = dir.join(REPORT_FILE);
    write_atomic(&report, page.html().as_bytes()).map_err(write_error(&report))?;
    let charts = figures
        .iter()
        .flat_map(|(figure, _)| chart_paths(&dir.join(CHARTS_DIR), &figure.name))
        .collect();
    Ok(Rendered {
        charts,
        report,
        verdicts,
    })
}

/// `NAME.svg` and `NAME.png` in `charts_dir`.
pub fn chart_paths(charts_dir: &Path, name: &str) -> [PathBuf; 2] {
    [
        charts_dir.join(format!("{name}.svg")),
        charts_dir.join(format!("{name}.png")),
    ]
}

/// Draws every figure into `charts_dir` as SVG and PNG, in parallel on the
/// current rayon pool; returns each figure with its SVG text, for inlining
/// in a page, in the order given (or the first error in that order).
pub fn write_figures(
    charts_dir: &Path,
    figures: Vec<NamedFigure>,
) -> Result<Vec<(NamedFigure, String)>, RenderError> {
    std::fs::create_dir_all(charts_dir).map_err(write_error(charts_dir))?;
    let written: Vec<Result<(NamedFigure, String), RenderError>> = figures
        .into_par_iter()
        .with_max_len(1)
        .map(|figure| {
            let svg = write_figure(charts_dir, &figure)?;
            Ok((figure, svg))
        })
        .collect();
    written.into_iter().collect()
}

/// Draws one figure into `charts_dir` as SVG and PNG; returns the SVG text.
fn write_figure(charts_dir: &Path, figure: &NamedFigure) -> Result<String, RenderError> {
    let (svg, png) = rayon::join(|| figure.figure.svg(), || figure.figure.png());
    let (svg, png) = (svg?, png?);
    let [svg_path, png_path] = chart_paths(charts_dir, &figure.name);
    write_atomic(&svg_path, svg.as_bytes()).map_err(write_error(&svg_path))?;
    write_atomic(&png_path, &png).map_err(write_error(&png_path))?;
    Ok(svg)
}

/// Removes an earlier report and the SVG and PNG files in `charts/`, so
/// charts of metrics a new run lacks do not linger.
pub fn clear_rendered(dir: &Path) -> Result<(), RenderError> {
    remove_if_present(&dir.join(REPORT_FILE))?;
    let charts_dir = dir.join(CHARTS_DIR);
    let entries = match std::fs::read_dir(&charts_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(RenderError::Write {
                path: charts_dir,
                source,
            });
        }
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "svg" || ext == "png"))
        .collect();
    stale.sort();
    for path in stale {
        remove_if_present(&path)?;
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), RenderError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(RenderError::Write {
            path: path.to_owned(),
            source,
        }),
    }
}
