//! The CSV contracts of DESIGN §4: `summary.csv` (`scope,metric,value`),
//! `timeseries.csv` (`time_s,scope,metric,value`) and `events.csv`
//! (`time_s,kind,scope,detail`), and `latency.csv`
//! (`scope,lower_ms,upper_ms,count,all_count`). Numbers use Rust's shortest round-trip
//! formatting, which is the same on every machine.

use crate::metrics::{LatencyDistribution, Summary, Timeseries};
use crate::model::LoggedEvent;

fn writer() -> csv::Writer<Vec<u8>> {
    csv_writer(Vec::new())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Vec<u8> {
    writer.into_inner().expect("writing to memory cannot fail")
}

/// A number as every capsim CSV writes it: Rust's shortest text that
/// reads back as the same `f64` (`{}`), the same on every machine; empty
/// for NaN and infinities (nothing measured). Rounding, where a quantity
/// has a precision, is the producer's business, never the writer's.
pub fn number(value: f64) -> String {
    if value.is_finite() {
        format!("{value}")
    } else {
        String::new()
    }
}

pub fn summary_csv(summary: &Summary) -> Vec<u8> {
    let mut out = writer();
    out.write_record(["scope", "metric", "value"]).expect("in memory");
    for row in &summary.rows {
        out.write_record([row.scope.as_str(), row.metric, &number(row.value)])
            .expect("in memory");
    }
    finish(out)
}

pub const TIMESERIES_HEADER: [&str; 4] = ["time_s", "scope", "metric", "value"];

/// Writes the rows of `series` (no header) to `out`.
pub fn write_timeseries_rows<W: std::io::Write>(
    out: &mut csv::Writer<W>,
    series: &Timeseries,
) -> csv::Result<()> {
    for row in &series.rows {
        out.write_record([
            &number(row.time_s),
            series.scopes[row.scope as usize].as_str(),
            row.metric,
            &number(row.value),
        ])?;
    }
    Ok(())
}

/// A CSV writer with the project's settings (`\n` line ends).
pub fn csv_writer<W: std::io::Write>(inner: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(inner)
}

pub fn timeseries_csv(series: &Timeseries) -> Vec<u8> {
    let mut out = writer();
    out.write_record(TIMESERIES_HEADER).expect("in memory");
    write_timeseries_rows(&mut out, series).expect("in memory");
    finish(out)
}

pub fn events_csv(events: &[LoggedEvent]) -> Vec<u8> {
    let mut out = writer();
    out.write_record(["time_s", "kind", "scope", "detail"])
        .expect("in memory");
    for event in events {
        out.write_record([
            &number(event.time.as_secs_f64()),
            event.kind,
            &event.scope,
            &event.detail,
        ])
        .expect("in memory");
    }
    finish(out)
}

/// The header of `latency.csv`.
pub const LATENCY_HEADER: [&str; 5] = ["scope", "lower_ms", "upper_ms", "count", "all_count"];

/// `latency.csv`: each request scope's latency distribution, one row per
/// non-empty bucket `[lower_ms, upper_ms)`, ascending: `count` successful
/// requests (as `latency_*_ms`) and `all_count` ended ones (as
/// `latency_all_*_ms`).
pub fn latency_csv(distribution: &LatencyDistribution) -> Vec<u8> {
    let mut out = writer();
    out.write_record(LATENCY_HEADER).expect("in memory");
    for scope in &distribution.scopes {
        for row in &scope.rows {
            out.write_record([
                scope.scope.as_str(),
                &number(row.lower_ns as f64 / 1e6),
                &number(row.upper_ns as f64 / 1e6),
                &row.count.to_string(),
                &row.all_count.to_string(),
            ])
            .expect("in memory");
        }
    }
    finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_tidy_csv() {
        let mut summary = Summary::default();
        summary.push("overall", "latency_p99_ms", 12.5);
        summary.push("class:a,b", "requests", 3.0);
        let text = String::from_utf8(summary_csv(&summary)).unwrap();
        assert_eq!(
            text,
            "scope,metric,value\noverall,latency_p99_ms,12.5\n\"class:a,b\",requests,3\n"
        );
    }
}
