//! Writing a run's results: CSV files and the resolved scenario, each
//! written to a temporary name and renamed into place, `summary.csv` last.
//! A folder with a `summary.csv` therefore holds a complete run; one without
//! it holds an interrupted one. Nothing here changes a number or runs a
//! simulation.

mod atomic;
mod tables;

use std::io;
use std::path::{Path, PathBuf};

pub use atomic::write_atomic;
pub use tables::{events_csv, summary_csv, timeseries_csv};

use crate::study::RunResult;

/// The files `write_run` produces, in the order it writes them.
pub const RUN_FILES: [&str; 4] = [
    "scenario.resolved.toml",
    "timeseries.csv",
    "events.csv",
    "summary.csv",
];

/// Removes a previous run's outputs from `dir`, `summary.csv` first, so the
/// folder never presents old results as those of a run that then fails.
pub fn clear_run(dir: &Path) -> io::Result<()> {
    for name in RUN_FILES.iter().rev() {
        match std::fs::remove_file(dir.join(name)) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Writes a run's outputs into `dir` (created if needed) and returns the
/// paths written. Old outputs are removed first, so a failure part-way can
/// never leave a mix of two runs that looks complete.
pub fn write_run(dir: &Path, resolved_toml: &str, result: &RunResult) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    clear_run(dir)?;
    let contents: [Vec<u8>; 4] = [
        resolved_toml.as_bytes().to_vec(),
        timeseries_csv(&result.timeseries),
        events_csv(&result.events),
        summary_csv(&result.summary),
    ];
    let mut written = Vec::with_capacity(RUN_FILES.len());
    for (name, bytes) in RUN_FILES.iter().zip(contents) {
        let path = dir.join(name);
        write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}
