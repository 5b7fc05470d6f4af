//! Rendering a finished run folder: its charts (`charts/NAME.svg` and
//! `charts/NAME.png`) and `report.html`, all drawn from the folder's CSV
//! files. `capsim run` calls this after writing the results and
//! `capsim chart DIR` calls it alone, so both give the same bytes.
//!
//! Earlier charts and the report (those capsim wrote: `out_dir`) are
//! removed first (the report before the charts it shows), then each file is
//! written under a temporary name and renamed, `report.html` last: a folder
//! whose report exists has all its charts. The charts are drawn and written in parallel on the current
//! rayon pool (a study's, so `--threads` bounds it; rayon's global pool for
//! a command without one).

use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::chart::ChartError;
use super::out_dir::OutDir;
use super::run_charts::{NamedFigure, annotate, run_charts};
use super::run_data::{ReadError, RunData};
use super::run_page::RunPage;
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

/// Renders the charts and the report of the run in `out`.
pub fn render_run(out: &OutDir, options: &RenderOptions) -> Result<Rendered, RenderError> {
    let data = RunData::read(out.path())?;
    render_data(out, &data, options)
}

/// Renders the charts and the report of a run read from `out`.
pub fn render_data(out: &OutDir, data: &RunData, options: &RenderOptions) -> Result<Rendered, RenderError> {
    clear_rendered(out)?;
    let timeout_s = options
        .scenario
        .and_then(|scenario| scenario.workload.timeout)
        .map(|timeout| timeout.as_secs_f64());
    let figures = write_figures(out, annotate(run_charts(data), options.slos, timeout_s))?;
    let verdicts: Vec<Verdict> = options
        .slos
        .iter()
        .map(|slo| {
            // With replications each row has its 95 % interval: the
            // objective must hold over the whole interval.
            let scopes = data.summary_scopes();
            slo.evaluate_in(&scopes, &|scope, metric| {
                data.summary
                    .iter()
                    .find(|row| row.scope == scope && row.metric == metric)
                    .map(|row| (row.value, row.ci95))
            })
        })
        .collect();
    let figures = shared_glyphs(figures);
    let page = RunPage {
        data,
        scenario: options.scenario,
        verdicts: &verdicts,
        figures: &figures,
    };
    let report = out.join(REPORT_FILE);
    out.write_atomic(REPORT_FILE, page.html().as_bytes())
        .map_err(write_error(&report))?;
    let charts = figures
        .iter()
        .flat_map(|(figure, _)| chart_paths(&out.join(CHARTS_DIR), &figure.name))
        .collect();
    Ok(Rendered {
        charts,
        report,
        verdicts,
    })
}

/// The figures' SVG texts for one page: each glyph outline a chart
/// defines (`<path id=…>` in its `<defs>`) is left out of the later charts
/// that define it too. Glyph ids name the face, size and glyph, so the
/// outline is the same, and a `<use>` in any inline SVG finds the first
/// element of its id in the document: the page carries each outline once,
/// and no id twice.
fn shared_glyphs(figures: Vec<(NamedFigure, String)>) -> Vec<(NamedFigure, String)> {
    let mut defined = std::collections::HashSet::new();
    figures
        .into_iter()
        .map(|(figure, svg)| {
            let (Some(start), Some(end)) = (svg.find("<defs>"), svg.find("</defs>")) else {
                return (figure, svg);
            };
            let mut kept = String::with_capacity(svg.len());
            kept.push_str(&svg[..start + "<defs>".len()]);
            for element in svg[start + "<defs>".len()..end].split_inclusive("/>") {
                let id = element
                    .strip_prefix("<path id=\"")
                    .and_then(|rest| rest.split('"').next());
                if id.is_none_or(|id| defined.insert(id.to_owned())) {
                    kept.push_str(element);
                }
            }
            kept.push_str(&svg[end..]);
            (figure, kept)
        })
        .collect()
}

/// `NAME.svg` and `NAME.png` in `charts_dir`.
pub fn chart_paths(charts_dir: &Path, name: &str) -> [PathBuf; 2] {
    [
        charts_dir.join(format!("{name}.svg")),
        charts_dir.join(format!("{name}.png")),
    ]
}

/// `charts/NAME.svg` and `charts/NAME.png`: a chart's files' names in an
/// output folder.
pub fn chart_names(name: &str) -> [String; 2] {
    [
        format!("{CHARTS_DIR}/{name}.svg"),
        format!("{CHARTS_DIR}/{name}.png"),
    ]
}

/// Draws every figure into `out`'s `charts/` as SVG and PNG, in parallel
/// on the current rayon pool; returns each figure with its SVG text, for
/// inlining in a page, in the order given (or the first error in that
/// order).
pub fn write_figures(
    out: &OutDir,
    figures: Vec<NamedFigure>,
) -> Result<Vec<(NamedFigure, String)>, RenderError> {
    let written: Vec<Result<(NamedFigure, String), RenderError>> = figures
        .into_par_iter()
        .with_max_len(1)
        .map(|figure| {
            let svg = write_figure(out, &figure)?;
            Ok((figure, svg))
        })
        .collect();
    written.into_iter().collect()
}

/// Draws one figure into `out`'s `charts/` as SVG and PNG; returns the SVG
/// text.
fn write_figure(out: &OutDir, figure: &NamedFigure) -> Result<String, RenderError> {
    let (svg, png) = rayon::join(|| figure.figure.svg(), || figure.figure.png());
    let (svg, png) = (svg?, png?);
    let [svg_name, png_name] = chart_names(&figure.name);
    out.write_atomic(&svg_name, svg.as_bytes())
        .map_err(write_error(&out.join(&svg_name)))?;
    out.write_atomic(&png_name, &png)
        .map_err(write_error(&out.join(&png_name)))?;
    Ok(svg)
}

/// Whether `name` is a chart file an earlier drawing left (`charts/*.svg`
/// or `charts/*.png`).
pub fn is_chart_name(name: &str) -> bool {
    name.strip_prefix("charts/")
        .is_some_and(|file| !file.contains('/') && (file.ends_with(".svg") || file.ends_with(".png")))
}

/// Removes an earlier report and the SVG and PNG files capsim drew in
/// `charts/`, so charts of metrics a new run lacks do not linger.
pub fn clear_rendered(out: &OutDir) -> Result<(), RenderError> {
    out.clear(&[REPORT_FILE], is_chart_name)
        .map_err(write_error(out.path()))
}
