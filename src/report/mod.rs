//! Writing a run's results: CSV files and the resolved scenario, each
//! written to a temporary name and renamed into place, `summary.csv` last.
//! A folder with a `summary.csv` therefore holds a complete run; one without
//! it holds an interrupted one. Results go into a claimed output folder
//! (`out_dir`), where capsim replaces and deletes only files it wrote. The time series is streamed to its file
//! window by window while the run goes, so memory does not grow with the
//! simulated duration. Nothing here changes a number or runs a simulation.
//!
//! What people look at — charts, `report.html`, comparisons, topology
//! diagrams — is drawn from a finished folder's CSV files (`render`,
//! `run_data`), so `capsim run` and `capsim chart DIR` give the same bytes.

mod atomic;
pub mod bottleneck;
pub mod chart;
pub mod compare;
pub mod compare_page;
pub mod diagram;
pub mod graph;
pub mod html;
pub mod out_dir;
pub mod plan_files;
pub mod render;
pub mod run_charts;
pub mod run_data;
pub mod run_page;
pub mod study_files;
pub mod sweep_charts;
mod tables;
pub mod text_table;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

pub use atomic::{PendingFile, partial_path, write_all_atomic, write_atomic};
pub use out_dir::{OutDir, OutDirError};
pub use tables::{events_csv, latency_csv, summary_csv, timeseries_csv};

use crate::metrics::Timeseries;
use crate::results::RunResult;
use crate::scenario::dump::{Resolved, is_side_file_name};

/// The files a run produces, in the order they are completed.
pub const RUN_FILES: [&str; 5] = [
    "scenario.resolved.toml",
    "timeseries.csv",
    "events.csv",
    LATENCY_FILE,
    SUMMARY_FILE,
];
/// The latency distributions' file in a run folder.
pub const LATENCY_FILE: &str = "latency.csv";
/// The summary's file: written last, so its presence means a complete run.
pub const SUMMARY_FILE: &str = "summary.csv";

/// Removes a previous run's outputs from `out` (only files capsim wrote),
/// `summary.csv` first, so the folder never presents old results as those
/// of a run that then fails.
pub fn clear_run(out: &OutDir) -> io::Result<()> {
    // The report and charts describe the results, so they go first.
    out.clear(&[render::REPORT_FILE], render::is_chart_name)?;
    let fixed: Vec<&str> = RUN_FILES.iter().rev().copied().collect();
    out.clear(&fixed, is_side_file_name)
}

/// Writes the resolved scenario's side files, then its TOML.
pub fn write_resolved(out: &OutDir, resolved: &Resolved) -> io::Result<PathBuf> {
    for side in &resolved.side_files {
        out.write_atomic(&side.name, &side.bytes)?;
    }
    out.write_atomic(RUN_FILES[0], resolved.toml.as_bytes())
}

/// Writes one run's outputs into a folder: the time series as it comes,
/// the rest at the end. Dropped unfinished, it removes its partial file.
pub struct RunWriter<'a> {
    out: &'a OutDir,
    partial_timeseries: PathBuf,
    timeseries: Option<csv::Writer<BufWriter<File>>>,
}

impl<'a> RunWriter<'a> {
    /// Removes old outputs, and opens the time series under a temporary
    /// name.
    pub fn create(out: &'a OutDir) -> io::Result<Self> {
        clear_run(out)?;
        let final_path = out.prepare(RUN_FILES[1])?;
        let partial_timeseries = partial_path(&final_path)?;
        let mut timeseries = tables::csv_writer(BufWriter::new(File::create(&partial_timeseries)?));
        timeseries.write_record(tables::TIMESERIES_HEADER)?;
        Ok(RunWriter {
            out,
            partial_timeseries,
            timeseries: Some(timeseries),
        })
    }

    /// Appends rows to the time series.
    pub fn append_timeseries(&mut self, series: &Timeseries) -> io::Result<()> {
        let writer = self.timeseries.as_mut().expect("open until finished");
        tables::write_timeseries_rows(writer, series).map_err(io::Error::other)
    }

    /// Completes the time series and writes the other files, `summary.csv`
    /// last. Returns the paths written.
    pub fn finish(mut self, resolved: &Resolved, result: &RunResult) -> io::Result<Vec<PathBuf>> {
        let writer = self.timeseries.take().expect("open until finished");
        let mut file = writer
            .into_inner()
            .map_err(|error| io::Error::other(error.to_string()))?
            .into_inner()
            .map_err(|error| error.into_error())?;
        file.flush()?;
        file.sync_all()?;
        let out = self.out;
        let paths: Vec<PathBuf> = RUN_FILES.iter().map(|name| out.join(name)).collect();
        write_resolved(out, resolved)?;
        std::fs::rename(&self.partial_timeseries, &paths[1])?;
        out.record(RUN_FILES[1])?;
        out.write_atomic(RUN_FILES[2], &events_csv(&result.events))?;
        out.write_atomic(LATENCY_FILE, &latency_csv(&result.latency))?;
        out.write_atomic(SUMMARY_FILE, &summary_csv(&result.summary))?;
        Ok(paths)
    }
}

impl Drop for RunWriter<'_> {
    fn drop(&mut self) {
        if self.timeseries.is_some() {
            let _ = std::fs::remove_file(&self.partial_timeseries);
        }
    }
}

/// Writes a run held in memory (time series included) into `out`.
pub fn write_run(out: &OutDir, resolved: &Resolved, result: &RunResult) -> io::Result<Vec<PathBuf>> {
    let mut writer = RunWriter::create(out)?;
    writer.append_timeseries(&result.timeseries)?;
    writer.finish(resolved, result)
}
