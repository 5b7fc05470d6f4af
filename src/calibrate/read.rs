//! Reading log files: line by line, in the format given or the one each
//! file's first lines are in, counting the lines that are not entries and
//! keeping the first `FIRST_BAD_LINES` of them with their line numbers. A
//! file of which most lines are bad is refused (`FileProblem::MostlyBad`);
//! a few bad lines never are. Every line is read bounded: at most
//! `MAX_LINE_BYTES` of it is kept, the rest of a longer one (a binary file
//! without newlines, say) is skipped without being held, and detection
//! looks at no more than `DETECT_BYTES` of the file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::formats::{self, Entry, Format, Line};

/// Bad lines listed per file; the rest are counted.
pub const FIRST_BAD_LINES: usize = 10;

/// Lines a file's format is told from.
const DETECT_LINES: usize = 50;

/// The longest line read, its newline not counted (a longer one is bad).
const MAX_LINE_BYTES: usize = 64 * 1024;

/// The most of a file detection reads, over-long lines skipped included
/// (a few milliseconds of reading; `--format` reads a file whose first
/// lines are all longer).
const DETECT_BYTES: u64 = 16 * 1024 * 1024;

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
        let line = next_line(&mut reader, &mut buffer).map_err(io)?;
        if line.bytes == 0 {
            break;
        }
        bytes += line.bytes;
        report.lines += 1;
        if report.lines.is_multiple_of(4096) {
            progress(bytes);
        }
        let outcome = if line.too_long {
            Err(format!("longer than {MAX_LINE_BYTES} bytes"))
        } else {
            match (std::str::from_utf8(&buffer), format) {
                (Err(_), _) => Err("not UTF-8 text".to_owned()),
                (Ok(_), None) => Err(
                    "in no format capsim reads (nginx `timed`, Apache with `%D`, ALB, CSV) \
                         detected from the file's first lines (`--format` to choose one)"
                        .to_owned(),
                ),
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
    detect_in(BufReader::new(File::open(file)?))
}

/// The format of the first `DETECT_LINES` non-empty text lines among the
/// first `DETECT_LINES * 4` lines and `DETECT_BYTES` bytes of `reader`;
/// over-long and non-UTF-8 lines are passed over (reading reports them).
fn detect_in(reader: impl BufRead) -> std::io::Result<Option<Format>> {
    let mut reader = reader.take(DETECT_BYTES);
    let mut buffer = Vec::new();
    let mut sample = Vec::new();
    for _ in 0..DETECT_LINES * 4 {
        let line = next_line(&mut reader, &mut buffer)?;
        if line.bytes == 0 {
            break;
        }
        if line.too_long {
            continue;
        }
        if let Ok(text) = std::str::from_utf8(&buffer)
            && !text.trim().is_empty()
        {
            sample.push(text.trim_end_matches(['\n', '\r']).to_owned());
        }
        if sample.len() == DETECT_LINES {
            break;
        }
    }
    Ok(formats::detect(sample.iter().map(String::as_str)))
}

/// One line as `next_line` read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LineRead {
    /// Bytes consumed, the newline and a skipped rest included (0: the end).
    bytes: u64,
    /// Longer than `MAX_LINE_BYTES` (its newline not counted): the buffer
    /// holds only its start.
    too_long: bool,
}

/// Reads the next line into `buffer` (cleared first), newline included,
/// keeping at most `MAX_LINE_BYTES + 1` bytes: the rest of a longer line
/// is consumed in the reader's own chunks and never held.
fn next_line(reader: &mut impl BufRead, buffer: &mut Vec<u8>) -> std::io::Result<LineRead> {
    buffer.clear();
    let kept = reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', buffer)? as u64;
    let too_long = buffer.len() > MAX_LINE_BYTES && buffer.last() != Some(&b'\n');
    let skipped = if too_long { skip_line(reader)? } else { 0 };
    Ok(LineRead {
        bytes: kept + skipped,
        too_long,
    })
}

/// Consumes the rest of a line, its newline included, without keeping it;
/// the bytes consumed.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(skipped);
        }
        let (used, done) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        reader.consume(used);
        skipped += used as u64;
        if done {
            return Ok(skipped);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Cursor, Read};

    use super::*;

    const NGINX_LINE: &str = r#"127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /item/1 HTTP/1.1" 200 96 "-" "capsim" 0.004 0.003"#;

    fn lines(text: &[u8]) -> Vec<(LineRead, Vec<u8>)> {
        let mut reader = BufReader::with_capacity(4096, Cursor::new(text.to_vec()));
        let mut buffer = Vec::new();
        let mut out = Vec::new();
        loop {
            let line = next_line(&mut reader, &mut buffer).unwrap();
            if line.bytes == 0 {
                return out;
            }
            out.push((line, buffer.clone()));
        }
    }

    #[test]
    fn a_line_of_the_longest_length_is_read_and_the_next_is_kept() {
        let mut text = vec![b'a'; MAX_LINE_BYTES];
        text.extend_from_slice(b"\nnext\n");
        let read = lines(&text);
        assert_eq!(read.len(), 2);
        assert_eq!(
            read[0].0,
            LineRead {
                bytes: MAX_LINE_BYTES as u64 + 1,
                too_long: false
            }
        );
        assert_eq!(read[1].1, b"next\n");
    }

    #[test]
    fn an_over_long_line_is_skipped_unheld_and_the_next_is_kept() {
        let long = 5 * MAX_LINE_BYTES + 17;
        for ending in [&b"\n"[..], b"\r\n"] {
            let mut text = vec![0xff; long];
            text.extend_from_slice(ending);
            text.extend_from_slice(b"next\n");
            let read = lines(&text);
            assert_eq!(read.len(), 2);
            assert_eq!(
                read[0].0,
                LineRead {
                    bytes: (long + ending.len()) as u64,
                    too_long: true
                }
            );
            assert_eq!(read[0].1.len(), MAX_LINE_BYTES + 1);
            assert_eq!(read[1].1, b"next\n");
        }
        // One byte over, at the end of the file without a newline.
        let read = lines(&vec![b'a'; MAX_LINE_BYTES + 1]);
        assert_eq!(read.len(), 1);
        assert!(read[0].0.too_long);
    }

    /// An endless first line (no newline ever) ends detection after
    /// `DETECT_BYTES`: bounded time and memory.
    #[test]
    fn detection_of_an_endless_line_is_bounded() {
        let endless = BufReader::new(std::io::repeat(0xff));
        assert_eq!(detect_in(endless).unwrap(), None);
        let mut source = std::io::repeat(b'x').take(DETECT_BYTES + 1);
        let mut text = Vec::new();
        source.read_to_end(&mut text).unwrap();
        text.push(b'\n');
        text.extend_from_slice(format!("{NGINX_LINE}\n").as_bytes());
        assert_eq!(detect_in(Cursor::new(text)).unwrap(), None);
    }

    /// A huge or binary first line is passed over: the lines after it decide.
    #[test]
    fn a_huge_or_binary_first_line_does_not_decide_the_format() {
        for first in [
            vec![0xfe; 3 * MAX_LINE_BYTES],
            vec![0x00, 0xff, 0xc3, 0x28],
            vec![b'x'; 100],
        ] {
            let mut text = first;
            text.push(b'\n');
            for _ in 0..3 {
                text.extend_from_slice(format!("{NGINX_LINE}\n").as_bytes());
            }
            assert_eq!(detect_in(Cursor::new(text)).unwrap(), Some(Format::Nginx));
        }
    }
}
