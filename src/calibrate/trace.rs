//! Writes a run's request trace (`capsim run --trace`) in the formats
//! `capsim calibrate` reads, so a trace calibrates back into a scenario.
//!
//! CSV: `timestamp,endpoint,status,latency_ms,upstream_ms` with a header;
//! `timestamp` is when the request was sent, in Unix seconds with six
//! decimals, simulated time 0 being 2026-01-01T00:00:00Z
//! (`time::TRACE_EPOCH_UNIX_S`); `endpoint` is the request's class;
//! `upstream_ms` the entry server's time for the last attempt (blank when
//! no server replied). nginx: the `timed` log format (see `formats.rs`),
//! the request being `GET /<class> HTTP/1.1`, `$time_local` when the
//! response reached the client (whole seconds, as nginx logs it),
//! `$request_time` and `$upstream_response_time` in seconds to the
//! millisecond, as nginx writes them.

use std::io::{self, Write};

use crate::engine::id::IdVec;
use crate::model::TraceRecord;
use crate::scenario::ids::ClassId;

use super::time::{TRACE_EPOCH_UNIX_S, format_common_log};

/// The trace's line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    Csv,
    Nginx,
}

/// The CSV header line.
pub const CSV_HEADER: &str = "timestamp,endpoint,status,latency_ms,upstream_ms";

/// Writes the header a format has (CSV's), if any.
pub fn write_header(out: &mut dyn Write, format: TraceFormat) -> io::Result<()> {
    match format {
        TraceFormat::Csv => writeln!(out, "{CSV_HEADER}"),
        TraceFormat::Nginx => Ok(()),
    }
}

/// Writes `records`, naming each class from `classes`.
pub fn write_records(
    out: &mut dyn Write,
    format: TraceFormat,
    classes: &IdVec<ClassId, String>,
    records: &[TraceRecord],
) -> io::Result<()> {
    for record in records {
        let class = &classes[record.class];
        let start_s = TRACE_EPOCH_UNIX_S as f64 + record.start.as_secs_f64();
        let latency_ms = record.latency.as_nanos() as f64 / 1e6;
        let upstream_ms = record.upstream.map(|time| time.as_nanos() as f64 / 1e6);
        match format {
            TraceFormat::Csv => {
                write!(out, "{start_s:.6},{class},{},{latency_ms:.6},", record.status)?;
                match upstream_ms {
                    Some(upstream) => writeln!(out, "{upstream:.6}")?,
                    None => writeln!(out)?,
                }
            }
            TraceFormat::Nginx => {
                let end = format_common_log(start_s + latency_ms / 1e3);
                let upstream = upstream_ms.map_or("-".to_owned(), |ms| format!("{:.3}", ms / 1e3));
                writeln!(
                    out,
                    "127.0.0.1 - - [{end}] \"GET /{class} HTTP/1.1\" {} 0 \"-\" \"capsim\" {:.3} {upstream}",
                    record.status,
                    latency_ms / 1e3
                )?;
            }
        }
    }
    Ok(())
}
