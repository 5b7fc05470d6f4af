//! Reading a run's results back from its folder: `summary.csv`,
//! `timeseries.csv`, `events.csv` (the contracts of DESIGN §4) and
//! `latency.csv` (the latency distributions).
//!
//! Charts and reports are drawn from these files, never from the simulator's
//! memory, so `capsim run` and `capsim chart DIR` share one path and a
//! folder can be re-rendered on its own. Columns are found by name and
//! extra columns (`ci95_low`, `ci95_high`, anything added later) are
//! tolerated. Rows keep their file order; series are listed in the order
//! their first row appears, so the output never depends on hashing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One row of `summary.csv`; a blank value (not finite when written) is NaN.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryValue {
    pub scope: String,
    pub metric: String,
    pub value: f64,
    /// The 95 % confidence interval, when the run was replicated.
    pub ci95: Option<(f64, f64)>,
}

/// One metric of one scope over time: (window end in seconds, value).
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesData {
    pub scope: String,
    pub metric: String,
    pub points: Vec<(f64, f64)>,
}

/// One row of `events.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    pub time_s: f64,
    pub kind: String,
    pub scope: String,
    pub detail: String,
}

/// One row of `latency.csv`: a scope's requests with a latency in
/// `[lower_ms, upper_ms)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyBucket {
    pub scope: String,
    pub lower_ms: f64,
    pub upper_ms: f64,
    /// Successful requests.
    pub count: f64,
    /// Every request that ended, failed ones included.
    pub all_count: f64,
}

/// A run's results as read from its folder.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunData {
    pub summary: Vec<SummaryValue>,
    pub series: Vec<SeriesData>,
    pub events: Vec<EventRow>,
    /// The latency distributions, in file order (empty for a folder
    /// written before `latency.csv` existed).
    pub latency: Vec<LatencyBucket>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("`{}` has no `summary.csv`: it is not a finished run (run `capsim run SCENARIO --out DIR` first)", dir.display())]
    NotARun { dir: PathBuf },
    #[error("cannot read `{}`: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("`{}` is not valid CSV: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("`{}` has no `{column}` column", path.display())]
    MissingColumn { path: PathBuf, column: &'static str },
    #[error("`{}` line {line}: `{text}` in `{column}` is not a number", path.display())]
    BadNumber {
        path: PathBuf,
        line: u64,
        column: &'static str,
        text: String,
    },
}

impl RunData {
    /// Reads the results in `dir`. `summary.csv` must exist; the time series
    /// and events are empty when their files are absent.
    pub fn read(dir: &Path) -> Result<RunData, ReadError> {
        let summary_path = dir.join("summary.csv");
        if !summary_path.is_file() {
            return Err(ReadError::NotARun { dir: dir.to_owned() });
        }
        let summary = read_summary(&summary_path)?;
        let series = optional(&dir.join("timeseries.csv"), read_series)?;
        let events = optional(&dir.join("events.csv"), read_events)?;
        let latency = optional(&dir.join("latency.csv"), read_latency)?;
        Ok(RunData {
            summary,
            series,
            events,
            latency,
        })
    }

    /// The summary value of `metric` in `scope`.
    pub fn value(&self, scope: &str, metric: &str) -> Option<f64> {
        self.summary
            .iter()
            .find(|row| row.scope == scope && row.metric == metric)
            .map(|row| row.value)
    }

    /// The time series of `metric` in `scope`.
    pub fn series(&self, scope: &str, metric: &str) -> Option<&SeriesData> {
        self.series
            .iter()
            .find(|series| series.scope == scope && series.metric == metric)
    }

    /// Scopes of the summary, in order of first appearance.
    pub fn summary_scopes(&self) -> Vec<&str> {
        let mut scopes: Vec<&str> = Vec::new();
        for row in &self.summary {
            if !scopes.contains(&row.scope.as_str()) {
                scopes.push(&row.scope);
            }
        }
        scopes
    }

    /// The width of a time-series window in seconds (the smallest step
    /// between consecutive window ends), if there are two windows.
    pub fn window_s(&self) -> Option<f64> {
        let points = &self.series.first()?.points;
        points
            .windows(2)
            .map(|pair| pair[1].0 - pair[0].0)
            .filter(|step| *step > 0.0)
            .min_by(f64::total_cmp)
    }
}

fn optional<T: Default>(
    path: &Path,
    read: impl FnOnce(&Path) -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    if path.is_file() {
        read(path)
    } else {
        Ok(T::default())
    }
}

/// An open CSV file with its columns located by name.
struct Table {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    headers: csv::StringRecord,
}

impl Table {
    fn open(path: &Path) -> Result<Table, ReadError> {
        let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
        let headers = reader
            .headers()
            .map_err(|source| csv_error(path, source))?
            .clone();
        Ok(Table {
            path: path.to_owned(),
            reader,
            headers,
        })
    }

    fn column(&self, name: &'static str) -> Result<usize, ReadError> {
        self.optional_column(name)
            .ok_or_else(|| ReadError::MissingColumn {
                path: self.path.clone(),
                column: name,
            })
    }

    fn optional_column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|header| header.trim() == name)
    }

    /// Calls `each` with every record and its line number.
    fn for_each(
        &mut self,
        mut each: impl FnMut(&csv::StringRecord, u64) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let line = record.position().map_or(0, |position| position.line());
                    each(&record, line)?;
                }
                Err(source) => return Err(csv_error(&self.path, source)),
            }
        }
    }
}

fn csv_error(path: &Path, source: csv::Error) -> ReadError {
    ReadError::Csv {
        path: path.to_owned(),
        source,
    }
}

fn field(record: &csv::StringRecord, index: usize) -> &str {
    record.get(index).unwrap_or("")
}

/// A number field; blank means not a number (how non-finite values are written).
fn number(
    path: &Path,
    record: &csv::StringRecord,
    index: usize,
    column: &'static str,
    line: u64,
) -> Result<f64, ReadError> {
    let text = field(record, index).trim();
    if text.is_empty() {
        return Ok(f64::NAN);
    }
    text.parse().map_err(|_| ReadError::BadNumber {
        path: path.to_owned(),
        line,
        column,
        text: text.to_owned(),
    })
}

fn read_latency(path: &Path) -> Result<Vec<LatencyBucket>, ReadError> {
    let mut table = Table::open(path)?;
    let (scope, lower, upper, count, all_count) = (
        table.column("scope")?,
        table.column("lower_ms")?,
        table.column("upper_ms")?,
        table.column("count")?,
        table.column("all_count")?,
    );
    let mut rows = Vec::new();
    table.for_each(|record, line| {
        rows.push(LatencyBucket {
            scope: field(record, scope).to_owned(),
            lower_ms: number(path, record, lower, "lower_ms", line)?,
            upper_ms: number(path, record, upper, "upper_ms", line)?,
            count: number(path, record, count, "count", line)?,
            all_count: number(path, record, all_count, "all_count", line)?,
        });
        Ok(())
    })?;
    Ok(rows)
}

fn read_summary(path: &Path) -> Result<Vec<SummaryValue>, ReadError> {
    let mut table = Table::open(path)?;
    let (scope, metric, value) = (
        table.column("scope")?,
        table.column("metric")?,
        table.column("value")?,
    );
    let interval = table
        .optional_column("ci95_low")
        .zip(table.optional_column("ci95_high"));
    let mut rows = Vec::new();
    table.for_each(|record, line| {
        let ci95 = match interval {
            Some((low, high)) if !field(record, low).trim().is_empty() => Some((
                number(path, record, low, "ci95_low", line)?,
                number(path, record, high, "ci95_high", line)?,
            )),
            _ => None,
        };
        rows.push(SummaryValue {
            scope: field(record, scope).to_owned(),
            metric: field(record, metric).to_owned(),
            value: number(path, record, value, "value", line)?,
            ci95,
        });
        Ok(())
    })?;
    Ok(rows)
}

fn read_series(path: &Path) -> Result<Vec<SeriesData>, ReadError> {
    let mut table = Table::open(path)?;
    let (time, scope, metric, value) = (
        table.column("time_s")?,
        table.column("scope")?,
        table.column("metric")?,
        table.column("value")?,
    );
    let mut series: Vec<SeriesData> = Vec::new();
    // Only for finding a series by name; the output order is `series`'.
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    table.for_each(|record, line| {
        let point = (
            number(path, record, time, "time_s", line)?,
            number(path, record, value, "value", line)?,
        );
        let key = (field(record, scope).to_owned(), field(record, metric).to_owned());
        let position = *index.entry(key).or_insert_with_key(|(scope, metric)| {
            series.push(SeriesData {
                scope: scope.clone(),
                metric: metric.clone(),
                points: Vec::new(),
            });
            series.len() - 1
        });
        series[position].points.push(point);
        Ok(())
    })?;
    Ok(series)
}

fn read_events(path: &Path) -> Result<Vec<EventRow>, ReadError> {
    let mut table = Table::open(path)?;
    let (time, kind, scope) = (
        table.column("time_s")?,
        table.column("kind")?,
        table.column("scope")?,
    );
    let detail = table.optional_column("detail");
    let mut events = Vec::new();
    table.for_each(|record, line| {
        events.push(EventRow {
            time_s: number(path, record, time, "time_s", line)?,
            kind: field(record, kind).to_owned(),
            scope: field(record, scope).to_owned(),
            detail: detail.map_or("", |index| field(record, index)).to_owned(),
        });
        Ok(())
    })?;
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn reads_the_three_tables_and_tolerates_extra_columns() {
        let dir = folder(&[
            (
                "summary.csv",
                "scope,metric,value,ci95_low,ci95_high\noverall,latency_p99_ms,12.5,11,14\nweb,utilization,,,\n",
            ),
            (
                "timeseries.csv",
                "time_s,scope,metric,value,extra\n10,overall,throughput_rps,5,x\n10,web,utilization,0.5,y\n20,overall,throughput_rps,6,z\n",
            ),
            (
                "events.csv",
                "time_s,kind,scope,detail\n60,warmup_end,overall,\"a, b\"\n",
            ),
        ]);
        let data = RunData::read(dir.path()).unwrap();
        assert_eq!(data.value("overall", "latency_p99_ms"), Some(12.5));
        assert_eq!(data.summary[0].ci95, Some((11.0, 14.0)));
        assert!(data.value("web", "utilization").unwrap().is_nan());
        assert_eq!(data.summary[1].ci95, None);
        let names: Vec<_> = data
            .series
            .iter()
            .map(|s| (&s.scope[..], &s.metric[..]))
            .collect();
        assert_eq!(names, [("overall", "throughput_rps"), ("web", "utilization")]);
        assert_eq!(
            data.series("overall", "throughput_rps").unwrap().points,
            [(10.0, 5.0), (20.0, 6.0)]
        );
        assert_eq!(data.window_s(), Some(10.0));
        assert_eq!(data.events[0].detail, "a, b");
        assert_eq!(data.summary_scopes(), ["overall", "web"]);
    }

    #[test]
    fn a_folder_without_summary_is_not_a_run() {
        let dir = folder(&[("timeseries.csv", "time_s,scope,metric,value\n")]);
        let error = RunData::read(dir.path()).unwrap_err().to_string();
        assert!(error.contains("has no `summary.csv`"), "{error}");
    }

    #[test]
    fn bad_numbers_and_missing_columns_are_named() {
        let dir = folder(&[("summary.csv", "scope,metric,value\noverall,requests,many\n")]);
        let error = RunData::read(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("line 2: `many` in `value` is not a number"),
            "{error}"
        );
        let dir = folder(&[("summary.csv", "scope,value\n")]);
        let error = RunData::read(dir.path()).unwrap_err().to_string();
        assert!(error.contains("has no `metric` column"), "{error}");
    }
}
