//! Reading log files: line by line, in the format given or the one each
//! file's first lines are in, counting the lines that are not entries and
//! keeping the first `FIRST_BAD_LINES` of them with their line numbers. A
//! file of which most lines are bad is refused (`FileProblem::MostlyBad`);
//! a few bad lines never are.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::formats::{self, Entry, Format, Line};

/// Bad lines listed per file; the rest are counted.
pub const FIRST_BAD_LINES: usize = 10;

/// Lines a file's format is told from.
const DETECT_LINES: usize = 50;

/// The longest line read (a longer one is bad).
const MAX_LINE_BYTES: usize = 64 * 1024;

/// A line that is not an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    pub line: u64,
    pub reason: String,
}

/// What was read from one file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileReport {
    pub file: PathBuf,
    pub format: Option<Format>,
    /// Lines read, empty ones and a CSV header included.
    pub lines: u64,
    pub entries: u64,
    pub bad: u64,
    pub first_bad: Vec<BadLine>,
}

/// Why a file gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("cannot read `{file}`: {error}", file = file.display())]
    Io { file: PathBuf, error: std::io::Error },
    #[error(
        "`{file}`: {bad} of {lines} lines are not {format} log entries{first}",
        file = report.file.display(),
        bad = report.bad,
        lines = report.bad + report.entries,
        format = report.format.map_or("recognised", Format::name),
        first = list_bad(report)
    )]
    MostlyBad { report: FileReport },
}

/// `; line 3: reason; line 9: reason` for the first bad lines.
pub fn list_bad(report: &FileReport) -> String {
    let mut text = String::new();
    for bad in &report.first_bad {
        text.push_str(&format!("\n  line {}: {}", bad.line, bad.reason));
    }
    if report.bad > report.first_bad.len() as u64 {
        text.push_str(&format!(
            "\n  … and {} more",
            report.bad - report.first_bad.len() as u64
        ));
    }
    text
}

/// Reads `file` in `format` (`None`: detect it), handing each entry to
/// `entry` and the bytes read so far to `progress`.
pub fn read_file(
    file: &Path,
    format: Option<Format>,
    entry: &mut dyn FnMut(Entry),
    progress: &mut dyn FnMut(u64),
) -> Result<FileReport, FileProblem> {
    let io = |error| FileProblem::Io {
        file: file.to_owned(),
        error,
    };
    let format = match format {
        Some(format) => Some(format),
        None => detect(file).map_err(io)?,
    };
    let mut report = FileReport {
        file: file.to_owned(),
        format,
        lines: 0,
        entries: 0,
        bad: 0,
        first_bad: Vec::new(),
    };
    let mut reader = BufReader::new(File::open(file).map_err(io)?);
    let mut buffer = Vec::new();
    let mut bytes = 0u64;
    loop {
        buffer.clear();
        let read = Read::by_ref(&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buffer)
            .map_err(io)?;
        if read == 0 {
            break;
        }
        bytes += read as u64;
        report.lines += 1;
        if report.lines.is_multiple_of(4096) {
            progress(bytes);
        }
        let outcome = if buffer.len() > MAX_LINE_BYTES {
            // Skip the rest of an over-long line.
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest).map_err(io)?;
            bytes += rest.len() as u64;
            Err(format!("longer than {MAX_LINE_BYTES} bytes"))
        } else {
            match (std::str::from_utf8(&buffer), format) {
                (Err(_), _) => Err("not UTF-8 text".to_owned()),
                (Ok(_), None) => {
                    Err("in no format capsim reads (nginx `timed`, Apache with `%D`, ALB, CSV)".to_owned())
                }
                (Ok(text), Some(format)) => formats::parse(format, text.trim_end_matches(['\n', '\r'])),
            }
        };
        match outcome {
            Ok(Line::Entry(parsed)) => {
                report.entries += 1;
                entry(parsed);
            }
            Ok(Line::Skip) => {}
            Err(reason) => {
                report.bad += 1;
                if report.first_bad.len() < FIRST_BAD_LINES {
                    report.first_bad.push(BadLine {
                        line: report.lines,
                        reason,
                    });
                }
            }
        }
    }
    progress(bytes);
    if report.bad > report.entries {
        return Err(FileProblem::MostlyBad { report });
    }
    Ok(report)
}

/// The format of the file's first non-empty lines.
fn detect(file: &Path) -> std::io::Result<Option<Format>> {
    let reader = BufReader::new(File::open(file)?);
    let mut sample = Vec::new();
    for line in reader.split(b'\n').take(DETECT_LINES * 4) {
        let line = line?;
        if let Ok(text) = String::from_utf8(line)
            && !text.trim().is_empty()
        {
            sample.push(text.trim_end_matches('\r').to_owned());
        }
        if sample.len() == DETECT_LINES {
            break;
        }
    }
    Ok(formats::detect(sample.iter().map(String::as_str)))
}
