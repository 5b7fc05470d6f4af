//! Writing a run's results: CSV files and the resolved scenario, each
//! written to a temporary name and renamed into place, `summary.csv` last.
//! A folder with a `summary.csv` therefore holds a complete run; one without
//! it holds an interrupted one. The time series is streamed to its file
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
mod glyphs;
pub mod graph;
pub mod html;
pub mod plan_files;
pub mod render;
pub mod run_charts;
pub mod run_data;
pub mod run_page;
pub mod study_files;
pub mod sweep_charts;
mod tables;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub use atomic::{PendingFile, partial_path, write_all_atomic, write_atomic};
pub use tables::{events_csv, summary_csv, timeseries_csv};

use crate::metrics::Timeseries;
use crate::results::RunResult;

/// The files a run produces, in the order they are completed.
pub const RUN_FILES: [&str; 4] = [
    "scenario.resolved.toml",
    "timeseries.csv",
    "events.csv",
    "summary.csv",
];

/// Removes a previous run's outputs from `dir`, `summary.csv` first, so the
/// folder never presents old results as those of a run that then fails.
pub fn clear_run(dir: &Path) -> io::Result<()> {
    // The report and charts describe the results, so they go first.
    render::clear_rendered(dir).map_err(io::Error::other)?;
    for name in RUN_FILES.iter().rev() {
        match std::fs::remove_file(dir.join(name)) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Writes one run's outputs into a folder: the time series as it comes,
/// the rest at the end. Dropped unfinished, it removes its partial file.
pub struct RunWriter {
    dir: PathBuf,
    partial_timeseries: PathBuf,
    timeseries: Option<csv::Writer<BufWriter<File>>>,
}

impl RunWriter {
    /// Creates `dir` if needed, removes old outputs, and opens the time
    /// series under a temporary name.
    pub fn create(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        clear_run(dir)?;
        let final_path = dir.join("timeseries.csv");
        let partial_timeseries = partial_path(&final_path)?;
        let mut timeseries = tables::csv_writer(BufWriter::new(File::create(&partial_timeseries)?));
        timeseries.write_record(tables::TIMESERIES_HEADER)?;
        Ok(RunWriter {
            dir: dir.to_owned(),
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
    pub fn finish(mut self, resolved_toml: &str, result: &RunResult) -> io::Result<Vec<PathBuf>> {
        let writer = self.timeseries.take().expect("open until finished");
        let mut file = writer
            .into_inner()
            .map_err(|error| io::Error::other(error.to_string()))?
            .into_inner()
            .map_err(|error| error.into_error())?;
        file.flush()?;
        file.sync_all()?;
        let paths: Vec<PathBuf> = RUN_FILES.iter().map(|name| self.dir.join(name)).collect();
        write_atomic(&paths[0], resolved_toml.as_bytes())?;
        std::fs::rename(&self.partial_timeseries, &paths[1])?;
        write_atomic(&paths[2], &events_csv(&result.events))?;
        write_atomic(&paths[3], &summary_csv(&result.summary))?;
        Ok(paths)
    }
}

impl Drop for RunWriter {
    fn drop(&mut self) {
        if self.timeseries.is_some() {
            let _ = std::fs::remove_file(&self.partial_timeseries);
        }
    }
}

/// Writes a run held in memory (time series included) into `dir`.
pub fn write_run(dir: &Path, resolved_toml: &str, result: &RunResult) -> io::Result<Vec<PathBuf>> {
    let mut writer = RunWriter::create(dir)?;
    writer.append_timeseries(&result.timeseries)?;
    writer.finish(resolved_toml, result)
}
