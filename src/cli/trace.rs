//! The `--trace` file of `capsim run`: written under a temporary name
//! (`FILE.partial`) as the run hands over its sampled requests, renamed to
//! FILE when the run ends, removed if it fails; the first write error
//! is kept and reported at the end.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use capsim::calibrate::trace::{TraceFormat, write_header, write_records};
use capsim::engine::id::IdVec;
use capsim::model::TraceRecord;
use capsim::scenario::Scenario;
use capsim::scenario::ids::ClassId;

use super::args::TraceFormatArg;
use super::outcome::Failure;

pub struct TraceFile {
    path: PathBuf,
    partial: PathBuf,
    out: BufWriter<File>,
    format: TraceFormat,
    classes: IdVec<ClassId, String>,
    error: Option<std::io::Error>,
}

impl TraceFile {
    pub fn create(path: &Path, format: TraceFormatArg, scenario: &Scenario) -> Result<TraceFile, Failure> {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let format = match format {
            TraceFormatArg::Csv => TraceFormat::Csv,
            TraceFormatArg::Nginx => TraceFormat::Nginx,
        };
        let created = File::create(&partial).and_then(|file| {
            let mut out = BufWriter::with_capacity(1 << 16, file);
            write_header(&mut out, format)?;
            Ok(out)
        });
        match created {
            Ok(out) => Ok(TraceFile {
                path: path.to_owned(),
                partial,
                out,
                format,
                classes: scenario
                    .workload
                    .mix
                    .iter()
                    .map(|class| class.name.clone())
                    .collect(),
                error: None,
            }),
            Err(error) => {
                eprintln!("error: cannot write the trace `{}`: {error}", path.display());
                Err(Failure::Failed)
            }
        }
    }

    /// Appends `records` (after a write error, nothing).
    pub fn write(&mut self, records: &[TraceRecord]) {
        if self.error.is_none()
            && let Err(error) = write_records(&mut self.out, self.format, &self.classes, records)
        {
            self.error = Some(error);
        }
    }

    /// Flushes and renames the file into place.
    pub fn finish(mut self) -> Result<(), Failure> {
        let result = match self.error.take() {
            Some(error) => Err(error),
            None => self
                .out
                .flush()
                .and_then(|()| std::fs::rename(&self.partial, &self.path)),
        };
        result.map_err(|error| {
            let _ = std::fs::remove_file(&self.partial);
            eprintln!("error: cannot write the trace `{}`: {error}", self.path.display());
            Failure::Failed
        })
    }
}

impl Drop for TraceFile {
    /// A trace not finished (the run failed) leaves no partial file.
    fn drop(&mut self) {
        if self.partial.exists() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}
