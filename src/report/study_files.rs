//! The files of studies: a replicated run's `summary.csv` with intervals,
//! and a sweep's folder (`sweep.toml`, `sweep.csv`, `points.csv`,
//! `usl.csv`, `charts/`), written and — for merging shards — read back.
//!
//! Contracts (other tools parse these):
//! - replicated `summary.csv`: `scope,metric,value,ci95_low,ci95_high`,
//!   `value` the mean over replications, the bounds empty when undefined;
//! - `sweep.csv`: `point,<one column per varied path>,scope,metric,mean,
//!   ci95_low,ci95_high`, rows by point index, each point's rows in its
//!   summary's order;
//! - `points.csv`: `point,<paths>,bottleneck,bottleneck_metric,
//!   bottleneck_utilization,knee,cost_per_month_usd,meets_slos,missed_slos,
//!   smallest_passing` (the cost in dollars rounded to cents; the knee's reason on the knee's row; `meets_slos`
//!   `true`/`false`, empty without objectives; `missed_slos` the missed
//!   objectives as written, `; `-separated; `smallest_passing` `true` on the
//!   answer of a capacity sweep);
//! - in both, a varied path whose values are numbers in one unit is a
//!   column of numbers named with the unit (`workload.arrivals.rate_per_s`:
//!   `200`, not `200/s`; `axis_column`);
//! - `usl.csv`: `path,group,lambda_rps,sigma,kappa,peak_instances,
//!   peak_throughput_rps,r_squared,points_fitted,decline_measured`
//!   (`decline_measured`: whether the points measured throughput falling as
//!   instances were added; when `false` the peak is an extrapolation).
//!
//! Numbers are written in the shortest form that reads back exactly, so a
//! table read back from shards equals the one the runs gave. Every file is
//! written under a temporary name and renamed; the table that marks a
//! complete folder (`summary.csv`, `sweep.csv`) is written last, after the
//! others, which are made (charts drawn) and written in parallel on the
//! current rayon pool.

use std::io;
use std::path::{Path, PathBuf};

use crate::metrics::catalog as metric;
use crate::results::Replicated;
use crate::results::axis::{Axis, numeric_values};
use crate::results::interval::IntervalSummary;
use crate::results::shard;
use crate::results::sweep::{SweepManifest, SweepRow, SweepTable};
use crate::results::sweep_analysis::SweepAnalysis;

use super::chart::LineChart;
use super::out_dir::OutDir;
use super::render::chart_names;
use super::sweep_charts::{CHART_NAMES, sweep_charts};
use super::tables::{csv_writer, number};
use super::{
    LATENCY_FILE, PendingFile, RUN_FILES, SUMMARY_FILE, clear_run, events_csv, latency_csv, timeseries_csv,
    write_all_atomic, write_resolved,
};
use crate::scenario::bounds;
use crate::scenario::dump::{RESOLVED_FILE, Resolved, SideFile, is_side_file_name, side_file_name};
use crate::scenario::files::FileError;

/// How a `--vary` axis appears in `sweep.csv` and `points.csv`: its column
/// name and one cell per value. A numeric axis (every value a decimal in
/// one unit, as `numeric_values` reads it) is written as numbers with the
/// unit moved into the column name (`workload.arrivals.rate_per_s` for
/// `200/s`, `…_ms` for `1.5ms`); any other axis (`m5.large`) keeps the
/// override text under the bare path.
pub fn axis_column(axis: &Axis) -> (String, Vec<String>) {
    match numeric_values(axis) {
        Some((numbers, unit)) => {
            let suffix = unit.replace('/', "_per_");
            let suffix = suffix.trim_start_matches('_');
            let name = if suffix.is_empty() {
                axis.path.clone()
            } else {
                format!("{}_{suffix}", axis.path)
            };
            (name, numbers.into_iter().map(number).collect())
        }
        None => (axis.path.clone(), axis.values.clone()),
    }
}

/// The axis cells of point `point`, in axis order.
fn point_cells(columns: &[(String, Vec<String>)], axes: &[Axis], point: usize) -> Vec<String> {
    let indices = crate::results::sweep::value_indices(axes, point);
    columns
        .iter()
        .zip(indices)
        .map(|((_, cells), value)| cells[value].clone())
        .collect()
}

fn read_number(text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Ok(f64::NAN);
    }
    text.parse::<f64>()
        .map_err(|_| format!("`{text}` is not a number"))
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Vec<u8> {
    writer.into_inner().expect("writing to memory cannot fail")
}

/// `summary.csv` of a replicated run.
pub fn interval_summary_csv(summary: &IntervalSummary) -> Vec<u8> {
    let mut out = csv_writer(Vec::new());
    out.write_record(["scope", "metric", "value", "ci95_low", "ci95_high"])
        .expect("in memory");
    for row in &summary.rows {
        out.write_record([
            row.scope.as_str(),
            row.metric.as_str(),
            &number(row.mean),
            &number(row.low),
            &number(row.high),
        ])
        .expect("in memory");
    }
    finish(out)
}

/// Writes a replicated run's files into `out` (old run outputs are
/// removed first): the resolved scenario, then the time series, events and
/// latency distributions (every replication's pooled) in parallel on the
/// current rayon pool, then `summary.csv`, which marks the run complete.
pub fn write_replicated_run(out: &OutDir, resolved: &Resolved, run: &Replicated) -> io::Result<Vec<PathBuf>> {
    clear_run(out)?;
    let paths: Vec<PathBuf> = RUN_FILES.iter().map(|name| out.join(name)).collect();
    write_resolved(out, resolved)?;
    let files = [
        PendingFile::new(RUN_FILES[1], || Ok(timeseries_csv(&run.timeseries))),
        PendingFile::new(RUN_FILES[2], || Ok(events_csv(&run.events))),
        PendingFile::new(LATENCY_FILE, || Ok(latency_csv(&run.latency))),
    ];
    let (written, summary) = rayon::join(
        || write_all_atomic(out, &files),
        || interval_summary_csv(&run.summary),
    );
    written?;
    out.write_atomic(SUMMARY_FILE, &summary)?;
    Ok(paths)
}

/// Problems reading a sweep's files back.
#[derive(Debug, thiserror::Error)]
pub enum StudyFileError {
    #[error("cannot read `{path}`: {error}")]
    Io { path: String, error: io::Error },
    #[error("`{path}` is not a capsim sweep file: {reason}")]
    Invalid { path: String, reason: String },
}

impl StudyFileError {
    /// Whether the problem is the input's (exit 2) rather than the system's.
    pub fn is_bad_input(&self) -> bool {
        match self {
            StudyFileError::Io { error, .. } => error.kind() == io::ErrorKind::NotFound,
            StudyFileError::Invalid { .. } => true,
        }
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> StudyFileError {
    StudyFileError::Invalid {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// A study file as text: a regular file (a FIFO or device is refused,
/// not waited on) of at most 256 MiB.
fn read_text(path: &Path) -> Result<String, StudyFileError> {
    let bytes = read_bytes(path, bounds::MAX_SAMPLE_FILE_BYTES, "a study file")?;
    String::from_utf8(bytes).map_err(|_| invalid(path, "it is not UTF-8 text"))
}

/// Reads a file of a study folder, as the scenario loader reads files:
/// regular files only, at most `limit` bytes.
fn read_bytes(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, StudyFileError> {
    crate::scenario::files::read_bounded(path, limit, what).map_err(|error| StudyFileError::Io {
        path: path.display().to_string(),
        error: match error {
            FileError::NotFound => io::Error::from(io::ErrorKind::NotFound),
            other => io::Error::other(other),
        },
    })
}

/// Reads a folder's resolved scenario back: `scenario.resolved.toml` and
/// the side files of samples it names.
pub fn read_resolved(dir: &Path) -> Result<Resolved, StudyFileError> {
    let path = dir.join(RESOLVED_FILE);
    let toml = String::from_utf8(read_bytes(&path, bounds::MAX_FILE_BYTES, "a scenario file")?)
        .map_err(|_| invalid(&path, "it is not UTF-8 text"))?;
    let mut side_files = Vec::new();
    for index in 1.. {
        let name = side_file_name(index);
        if !toml.contains(&format!("\"{name}\"")) {
            break;
        }
        let bytes = read_bytes(&dir.join(&name), bounds::MAX_SAMPLE_FILE_BYTES, "a sample file")?;
        side_files.push(SideFile { name, bytes });
    }
    Ok(Resolved { toml, side_files })
}

fn sweep_header(columns: &[(String, Vec<String>)]) -> Vec<String> {
    let mut header = vec!["point".to_owned()];
    header.extend(columns.iter().map(|(name, _)| name.clone()));
    header.extend(["scope", "metric", "mean", "ci95_low", "ci95_high"].map(String::from));
    header
}

/// `sweep.csv` of the sweep over `axes` (the varied values as
/// `axis_column` writes them).
pub fn sweep_csv(axes: &[Axis], table: &SweepTable) -> Vec<u8> {
    let columns: Vec<_> = axes.iter().map(axis_column).collect();
    let mut out = csv_writer(Vec::new());
    out.write_record(sweep_header(&columns)).expect("in memory");
    for row in &table.rows {
        let mut record = vec![row.point.to_string()];
        record.extend(point_cells(&columns, axes, row.point));
        record.extend([
            row.scope.clone(),
            row.metric.clone(),
            number(row.mean),
            number(row.low),
            number(row.high),
        ]);
        out.write_record(&record).expect("in memory");
    }
    finish(out)
}

/// Reads `sweep.csv` of the study `manifest` describes.
pub fn read_sweep_csv(path: &Path, manifest: &SweepManifest) -> Result<SweepTable, StudyFileError> {
    let text = read_text(path)?;
    let paths: Vec<String> = manifest.axes.iter().map(|axis| axis.path.clone()).collect();
    let columns: Vec<_> = manifest.axes.iter().map(axis_column).collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = records
        .next()
        .ok_or_else(|| invalid(path, "it is empty"))?
        .map_err(|error| invalid(path, error.to_string()))?;
    if header.iter().map(str::to_owned).collect::<Vec<_>>() != sweep_header(&columns) {
        return Err(invalid(
            path,
            "its header does not match the varied paths of `sweep.toml`",
        ));
    }
    let mut table = SweepTable {
        paths,
        rows: Vec::new(),
    };
    for (line, record) in records.enumerate() {
        let record = record.map_err(|error| invalid(path, error.to_string()))?;
        let at = |reason: String| invalid(path, format!("line {}: {reason}", line + 2));
        let field = |index: usize| record.get(index).unwrap_or("");
        let axes = table.paths.len();
        let point: usize = field(0)
            .parse()
            .map_err(|_| at(format!("`{}` is not a point index", field(0))))?;
        if point >= manifest.points() {
            return Err(at(format!(
                "point {point} is beyond the sweep's {} points",
                manifest.points()
            )));
        }
        let cells: Vec<&str> = (1..=axes).map(field).collect();
        if cells != point_cells(&columns, &manifest.axes, point) {
            return Err(at(format!(
                "the varied values {} are not those of point {point} in `sweep.toml`",
                cells.join(",")
            )));
        }
        let indices = crate::results::sweep::value_indices(&manifest.axes, point);
        table.rows.push(SweepRow {
            point,
            values: manifest
                .axes
                .iter()
                .zip(indices)
                .map(|(axis, value)| axis.values[value].clone())
                .collect(),
            scope: field(axes + 1).to_owned(),
            metric: field(axes + 2).to_owned(),
            mean: read_number(field(axes + 3)).map_err(at)?,
            low: read_number(field(axes + 4)).map_err(at)?,
            high: read_number(field(axes + 5)).map_err(at)?,
        });
    }
    Ok(table)
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// `sweep.toml`: the study a folder's results belong to.
pub fn manifest_toml(manifest: &SweepManifest) -> String {
    let mut text = String::from("# capsim sweep: the study the results in this folder belong to\n");
    text.push_str(&format!("scenario = {}\n", toml_string(&manifest.scenario)));
    text.push_str(&format!("replications = {}\n", manifest.replications));
    text.push_str(&format!("points = {}\n", manifest.points()));
    if let Some(shard) = manifest.shard {
        text.push_str(&format!(
            "shard = {}   # this folder holds the points i with i mod {} = {}\n",
            toml_string(&shard.to_string()),
            shard.count,
            shard.index
        ));
    }
    if !manifest.objectives.is_empty() {
        let objectives: Vec<String> = manifest.objectives.iter().map(|text| toml_string(text)).collect();
        text.push_str(&format!(
            "objectives = [{}]   # every point is judged by these SLOs\n",
            objectives.join(", ")
        ));
    }
    for axis in &manifest.axes {
        let values: Vec<String> = axis.values.iter().map(|value| toml_string(value)).collect();
        text.push_str(&format!(
            "\n[[vary]]\npath = {}\nvalues = [{}]\n",
            toml_string(&axis.path),
            values.join(", ")
        ));
    }
    text
}

/// Reads `sweep.toml`.
pub fn read_manifest(path: &Path) -> Result<SweepManifest, StudyFileError> {
    let text = read_text(path)?;
    let table: toml::Table = text
        .parse()
        .map_err(|error: toml::de::Error| invalid(path, error.message()))?;
    let string = |key: &str| {
        table
            .get(key)
            .and_then(toml::Value::as_str)
            .ok_or_else(|| invalid(path, format!("`{key}` is missing or not a string")))
    };
    let integer = |key: &str| {
        table
            .get(key)
            .and_then(toml::Value::as_integer)
            .and_then(|value| u32::try_from(value).ok())
            .ok_or_else(|| invalid(path, format!("`{key}` is missing or not a count")))
    };
    let scenario = string("scenario")?.to_owned();
    let replications = integer("replications")?;
    let points = integer("points")?;
    let shard = match table.get("shard") {
        None => None,
        Some(_) => Some(shard::parse(string("shard")?).map_err(|error| invalid(path, error.to_string()))?),
    };
    let mut axes = Vec::new();
    for entry in table
        .get("vary")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        let axis_path = entry.get("path").and_then(toml::Value::as_str);
        let values: Option<Vec<String>> = entry
            .get("values")
            .and_then(toml::Value::as_array)
            .and_then(|values| values.iter().map(|v| v.as_str().map(str::to_owned)).collect());
        match (axis_path, values) {
            (Some(axis_path), Some(values)) if !values.is_empty() => axes.push(Axis {
                path: axis_path.to_owned(),
                values,
            }),
            _ => {
                return Err(invalid(
                    path,
                    "a [[vary]] needs a `path` and a non-empty list of `values`",
                ));
            }
        }
    }
    if axes.is_empty() {
        return Err(invalid(path, "it varies nothing ([[vary]] is missing)"));
    }
    let mut objectives = Vec::new();
    for entry in table
        .get("objectives")
        .map(|value| {
            value
                .as_array()
                .ok_or_else(|| invalid(path, "`objectives` is not a list"))
        })
        .transpose()?
        .into_iter()
        .flatten()
    {
        let text = entry
            .as_str()
            .ok_or_else(|| invalid(path, "an entry of `objectives` is not a string"))?;
        crate::results::slo::parse(text).map_err(|error| invalid(path, error.to_string()))?;
        objectives.push(text.to_owned());
    }
    let manifest = SweepManifest {
        scenario,
        replications,
        axes,
        shard,
        objectives,
    };
    if manifest.points() != points as usize {
        return Err(invalid(path, "`points` does not match the values of [[vary]]"));
    }
    Ok(manifest)
}

/// `points.csv`: the bottleneck of each point, and the knees.
pub fn points_csv(manifest: &SweepManifest, analysis: &SweepAnalysis) -> Vec<u8> {
    let columns: Vec<_> = manifest.axes.iter().map(axis_column).collect();
    let mut out = csv_writer(Vec::new());
    let mut header = vec!["point".to_owned()];
    header.extend(columns.iter().map(|(name, _)| name.clone()));
    header.extend(
        [
            "bottleneck",
            "bottleneck_metric",
            "bottleneck_utilization",
            "knee",
            metric::COST_PER_MONTH_USD.name,
            "meets_slos",
            "missed_slos",
            "smallest_passing",
        ]
        .map(String::from),
    );
    out.write_record(&header).expect("in memory");
    for point in &analysis.points {
        let mut record = vec![point.point.to_string()];
        record.extend(point_cells(&columns, &manifest.axes, point.point));
        match &point.bottleneck {
            Some(b) => record.extend([b.station.clone(), b.metric.clone(), number(b.utilization)]),
            None => record.extend([String::new(), String::new(), String::new()]),
        }
        record.push(point.knee.clone().unwrap_or_default());
        // In cents: what a bill says (and no `420.4800000000001`).
        record.push(number((100.0 * point.cost_per_month()).round() / 100.0));
        record.push(point.meets_slos().map_or(String::new(), |met| met.to_string()));
        let missed: Vec<&str> = point
            .verdicts
            .iter()
            .filter(|verdict| !verdict.met)
            .map(|verdict| verdict.slo.text.as_str())
            .collect();
        record.push(missed.join("; "));
        let answer = analysis
            .groups
            .iter()
            .any(|group| group.smallest_passing == Some(point.point));
        record.push(if answer { "true".to_owned() } else { String::new() });
        out.write_record(&record).expect("in memory");
    }
    finish(out)
}

/// `usl.csv`.
pub fn usl_csv(analysis: &SweepAnalysis) -> Vec<u8> {
    let mut out = csv_writer(Vec::new());
    out.write_record([
        "path",
        "group",
        "lambda_rps",
        "sigma",
        "kappa",
        "peak_instances",
        "peak_throughput_rps",
        "r_squared",
        "points_fitted",
        "decline_measured",
    ])
    .expect("in memory");
    for result in &analysis.usl {
        let fit = &result.fit;
        out.write_record([
            result.path.clone(),
            result.group.clone(),
            number(fit.lambda),
            number(fit.sigma),
            number(fit.kappa),
            number(fit.peak_instances),
            number(fit.peak_throughput),
            number(fit.r_squared),
            result.fitted.len().to_string(),
            result.decline_measured.to_string(),
        ])
        .expect("in memory");
    }
    finish(out)
}

/// Files of a sweep folder other than charts; the marker `sweep.csv`,
/// listed last, is written last.
pub const SWEEP_FILES: [&str; 5] = [
    "scenario.resolved.toml",
    "sweep.toml",
    "points.csv",
    "usl.csv",
    "sweep.csv",
];
pub const CHARTS_DIR: &str = "charts";

/// Removes an earlier sweep's files from `out` (only files capsim wrote),
/// `sweep.csv` first.
fn clear_sweep(out: &OutDir) -> io::Result<()> {
    let mut fixed: Vec<String> = SWEEP_FILES.iter().rev().map(|name| (*name).to_owned()).collect();
    for name in CHART_NAMES {
        fixed.extend(chart_names(name));
    }
    let fixed: Vec<&str> = fixed.iter().map(String::as_str).collect();
    out.clear(&fixed, is_side_file_name)
}

/// Writes one shard's folder: the base scenario, the manifest (with its
/// shard) and its rows.
pub fn write_shard(
    out: &OutDir,
    resolved: &Resolved,
    manifest: &SweepManifest,
    table: &SweepTable,
) -> io::Result<()> {
    clear_sweep(out)?;
    write_resolved(out, resolved)?;
    out.write_atomic(SWEEP_FILES[1], manifest_toml(manifest).as_bytes())?;
    out.write_atomic(SWEEP_FILES[4], &sweep_csv(&manifest.axes, table))?;
    Ok(())
}

/// Writes a whole sweep's folder (unsharded, or merged from shards): the
/// same bytes either way, since everything derives from the manifest and
/// the table. The files are made and written in parallel on the current
/// rayon pool, `sweep.csv` once every other one is in place.
pub fn write_sweep(
    out: &OutDir,
    resolved: &Resolved,
    manifest: &SweepManifest,
    table: &SweepTable,
    analysis: &SweepAnalysis,
) -> io::Result<Vec<PathBuf>> {
    clear_sweep(out)?;
    let charts = sweep_charts(analysis);
    let whole = manifest.whole();
    let mut written = vec![write_resolved(out, resolved)?];
    let mut files = vec![PendingFile::new(SWEEP_FILES[1], || {
        Ok(manifest_toml(&whole).into_bytes())
    })];
    files.extend(chart_files(&charts));
    files.push(PendingFile::new(SWEEP_FILES[2], || {
        Ok(points_csv(manifest, analysis))
    }));
    if !analysis.usl.is_empty() {
        files.push(PendingFile::new(SWEEP_FILES[3], || Ok(usl_csv(analysis))));
    }
    let (others, marker_bytes) = rayon::join(
        || write_all_atomic(out, &files),
        || sweep_csv(&manifest.axes, table),
    );
    written.extend(others?);
    written.push(out.write_atomic(SWEEP_FILES[4], &marker_bytes)?);
    Ok(written)
}

/// The SVG and PNG file of every chart, in chart order.
fn chart_files<'a>(charts: &'a [(&'static str, LineChart)]) -> Vec<PendingFile<'a>> {
    charts
        .iter()
        .flat_map(|(name, chart)| {
            let [svg, png] = chart_names(name);
            [
                PendingFile::new(svg, move || {
                    chart.svg().map(String::into_bytes).map_err(io::Error::other)
                }),
                PendingFile::new(png, move || chart.png().map_err(io::Error::other)),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::axis::parse_axis;
    use crate::results::shard::Shard;
    use crate::results::sweep::points;

    fn manifest(shard: Option<Shard>) -> SweepManifest {
        SweepManifest {
            scenario: "a \"quoted\" name".into(),
            replications: 3,
            axes: vec![
                parse_axis("workload.arrivals.rate=100/s..300/s:100/s").unwrap(),
                parse_axis("pool.web.size=m5.large,m5.xlarge").unwrap(),
            ],
            shard,
            objectives: Vec::new(),
        }
    }

    #[test]
    fn interval_summary_has_the_ci_columns() {
        let mut summary = IntervalSummary::default();
        summary.rows.push(crate::results::interval::IntervalRow {
            scope: "overall".into(),
            metric: "latency_p99_ms".into(),
            mean: 12.5,
            low: 11.0,
            high: 14.0,
        });
        summary.push_exact("overall", "replications", 5.0);
        let text = String::from_utf8(interval_summary_csv(&summary)).unwrap();
        assert_eq!(
            text,
            "scope,metric,value,ci95_low,ci95_high\noverall,latency_p99_ms,12.5,11,14\noverall,replications,5,,\n"
        );
    }

    #[test]
    fn manifests_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        for shard in [None, Some(Shard { index: 1, count: 4 })] {
            let path = dir.path().join("sweep.toml");
            std::fs::write(&path, manifest_toml(&manifest(shard))).unwrap();
            assert_eq!(read_manifest(&path).unwrap(), manifest(shard));
        }
    }

    #[test]
    fn sweep_tables_round_trip_exactly() {
        let manifest = manifest(None);
        let mut table = SweepTable::new(&manifest.axes);
        for point in points(&manifest.axes, None) {
            table.push(
                &point,
                "overall",
                "latency_p99_ms",
                0.1 + point.index as f64 / 3.0,
                f64::NAN,
                1e-300,
            );
            table.push(&point, "class:a,b", "requests", 1e21, 2.0, f64::INFINITY);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweep.csv");
        let axes = &manifest.axes;
        std::fs::write(&path, sweep_csv(axes, &table)).unwrap();
        let back = read_sweep_csv(&path, &manifest).unwrap();
        let values = |t: &SweepTable| t.rows.iter().map(|r| r.values.clone()).collect::<Vec<_>>();
        assert_eq!(values(&back), values(&table));
        assert_eq!(sweep_csv(axes, &back), sweep_csv(axes, &table));
        assert_eq!(back.rows[4].mean.to_bits(), table.rows[4].mean.to_bits());
        // The rate is a number, its unit in the column name; sizes stay words.
        assert!(sweep_csv(axes, &table).starts_with(
            b"point,workload.arrivals.rate_per_s,pool.web.size,scope,metric,mean,ci95_low,ci95_high\n0,100,m5.large,"
        ));
        // Values that are not the point's are refused.
        let text = String::from_utf8(sweep_csv(axes, &table)).unwrap();
        std::fs::write(&path, text.replacen("\n0,100,", "\n0,300,", 1)).unwrap();
        let error = read_sweep_csv(&path, &manifest).unwrap_err();
        assert!(error.to_string().contains("not those of point 0"), "{error}");
    }

    #[test]
    fn damaged_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweep.csv");
        std::fs::write(&path, "point,x\n").unwrap();
        let error = read_sweep_csv(&path, &manifest(None)).unwrap_err();
        assert!(error.to_string().contains("header does not match"), "{error}");
        assert!(error.is_bad_input());
        let missing = read_manifest(&dir.path().join("nope.toml")).unwrap_err();
        assert!(missing.to_string().starts_with("cannot read"), "{missing}");
    }
}
