//! The comparison of several runs: every summary value side by side with
//! its difference from the first run (the baseline), as a terminal table
//! (key metrics) and as `compare.csv` (every metric, tidy:
//! `variant,scope,metric,value,diff,diff_pct`).
//!
//! Rows are the union of the runs' `(scope, metric)` pairs in order of
//! first appearance, after three `bottleneck` rows (utilization, queue and
//! wait of each run's busiest station) and a `headroom,load_factor` row (how
//! far each run's load can grow before its hottest node saturates) that line
//! up designs whose stations have different names. A value a run lacks is
//! blank, and so are its differences.

use super::bottleneck::bottleneck;
use super::html::{metric_diff_text, metric_text};
use super::run_data::RunData;
use super::text_table::TextTable;
use crate::metrics::catalog as metric;
use crate::results::headroom::Headroom;

/// One metric across runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonRow {
    pub scope: String,
    pub metric: String,
    /// One value per run, in run order.
    pub values: Vec<Option<f64>>,
    /// Per run, what the value refers to (the bottleneck's station).
    pub notes: Vec<Option<String>>,
}

impl ComparisonRow {
    /// Run `index` minus the baseline.
    pub fn diff(&self, index: usize) -> Option<f64> {
        Some(self.values.get(index).copied()?? - self.values.first().copied()??)
            .filter(|value| !value.is_nan())
    }

    /// The difference as a percentage of the baseline (none when it is 0).
    pub fn diff_pct(&self, index: usize) -> Option<f64> {
        let base = self.values.first().copied()??;
        (base != 0.0 && base.is_finite())
            .then(|| self.diff(index).map(|diff| 100.0 * diff / base.abs()))
            .flatten()
    }
}

/// Metrics shown in the terminal and in compare.html, after the request
/// headline (`metric::REQUEST_HEADLINE`); compare.csv has all.
const KEY_COST: [&str; 2] = [
    metric::COST_PER_MONTH_USD.name,
    metric::COST_PER_MILLION_REQUESTS_USD.name,
];
const KEY_COMPONENT: [&str; 13] = [
    metric::INSTANCES.name,
    metric::COST_PER_MONTH_USD.name,
    metric::UTILIZATION.name,
    metric::CPU_UTILIZATION.name,
    metric::QUEUE_LEN_MEAN.name,
    metric::WAIT_MEAN_MS.name,
    metric::REJECTED.name,
    metric::IMBALANCE.name,
    metric::CACHE_HIT_RATIO.name,
    metric::HIT_RATIO.name,
    // No catalogued metric (no run writes it).
    "replication_lag_ms",
    metric::STALE_READS.name,
    metric::LOST_WRITES.name,
];

#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub variants: Vec<String>,
    pub rows: Vec<ComparisonRow>,
}

impl Comparison {
    /// Lines up `runs` (one per variant, same order as `variants`).
    pub fn of(variants: Vec<String>, runs: &[RunData]) -> Comparison {
        let mut rows = bottleneck_rows(runs);
        rows.extend(headroom_row(runs));
        for run in runs {
            for value in &run.summary {
                if !rows
                    .iter()
                    .any(|row| row.scope == value.scope && row.metric == value.metric)
                {
                    rows.push(ComparisonRow {
                        scope: value.scope.clone(),
                        metric: value.metric.clone(),
                        values: runs
                            .iter()
                            .map(|r| r.value(&value.scope, &value.metric))
                            .collect(),
                        notes: vec![None; runs.len()],
                    });
                }
            }
        }
        Comparison { variants, rows }
    }

    /// The rows worth reading first: overall results, the bottleneck, and
    /// the load of every component.
    pub fn key_rows(&self) -> Vec<&ComparisonRow> {
        let overall = metric::REQUEST_HEADLINE
            .iter()
            .chain(&KEY_COST)
            .filter_map(|metric| {
                self.rows
                    .iter()
                    .find(|row| row.scope == "overall" && row.metric == *metric)
            });
        let components = self.rows.iter().filter(|row| {
            row.scope != "overall"
                && !row.scope.starts_with("class:")
                && (KEY_COMPONENT.contains(&row.metric.as_str()) || row.scope == HEADROOM_SCOPE)
        });
        overall.chain(components).collect()
    }

    /// The key rows as a table: each run's value, and for every run after
    /// the first its difference and relative difference (error rates in
    /// percent and percentage points).
    pub fn table(&self) -> TextTable {
        let mut headers = vec!["scope".to_owned(), "metric".to_owned(), self.variants[0].clone()];
        for name in &self.variants[1..] {
            headers.extend([name.clone(), "diff".to_owned(), "diff %".to_owned()]);
        }
        let mut rows = Vec::new();
        for row in self.key_rows() {
            let mut line = vec![row.scope.clone(), row.metric.clone(), cell(row, 0)];
            for index in 1..self.variants.len() {
                line.push(cell(row, index));
                line.push(metric_diff_text(&row.metric, row.diff(index)));
                line.push(
                    row.diff_pct(index)
                        .map_or(String::new(), |pct| format!("{pct:+.1} %")),
                );
            }
            rows.push(line);
        }
        let numeric = (0..headers.len()).map(|column| column >= 2).collect();
        TextTable {
            headers,
            rows,
            numeric,
        }
    }

    /// The key rows as an aligned text table (`table`).
    pub fn text_table(&self) -> String {
        self.table().text()
    }

    /// Every row as tidy CSV: `variant,scope,metric,value,diff,diff_pct`,
    /// numbers in shortest round-trip form, blanks where unknown.
    pub fn csv(&self) -> Vec<u8> {
        let mut out = super::tables::csv_writer(Vec::new());
        let write = |out: &mut csv::Writer<Vec<u8>>, record: [&str; 6]| {
            out.write_record(record).expect("writing to memory cannot fail");
        };
        write(
            &mut out,
            ["variant", "scope", "metric", "value", "diff", "diff_pct"],
        );
        let exact = |value: Option<f64>| value.map_or(String::new(), super::tables::number);
        for row in &self.rows {
            for (index, variant) in self.variants.iter().enumerate() {
                let (diff, pct) = if index == 0 {
                    (String::new(), String::new())
                } else {
                    (exact(row.diff(index)), exact(row.diff_pct(index)))
                };
                write(
                    &mut out,
                    [
                        variant,
                        &row.scope,
                        &row.metric,
                        &exact(row.values[index]),
                        &diff,
                        &pct,
                    ],
                );
            }
        }
        out.into_inner().expect("writing to memory cannot fail")
    }
}

/// A value with its note: `0.7415 (server CPU)`; an error rate in percent.
pub fn cell(row: &ComparisonRow, index: usize) -> String {
    let value = row.values[index].map_or("-".to_owned(), |value| metric_text(&row.metric, value));
    match &row.notes[index] {
        Some(note) => format!("{value} ({note})"),
        None => value,
    }
}

fn bottleneck_rows(runs: &[RunData]) -> Vec<ComparisonRow> {
    let busiest: Vec<_> = runs.iter().map(bottleneck).collect();
    let notes: Vec<Option<String>> = busiest
        .iter()
        .map(|load| load.as_ref().map(|l| format!("{} {}", l.station, l.resource)))
        .collect();
    if busiest.iter().all(Option::is_none) {
        return Vec::new();
    }
    let row = |metric: &str, value: fn(&super::bottleneck::StationLoad) -> Option<f64>| ComparisonRow {
        scope: "bottleneck".to_owned(),
        metric: metric.to_owned(),
        values: busiest.iter().map(|load| load.as_ref().and_then(value)).collect(),
        notes: notes.clone(),
    };
    vec![
        row(metric::UTILIZATION.name, |load| Some(load.utilization)),
        row(metric::QUEUE_LEN_MEAN.name, |load| load.queue_len_mean),
        row(metric::WAIT_MEAN_MS.name, |load| load.wait_mean_ms),
    ]
}

/// The scope and metric of the headroom row: k of each run, noted with the
/// node that saturates first (`results::headroom`).
pub const HEADROOM_SCOPE: &str = "headroom";
pub const HEADROOM_METRIC: &str = "load_factor";

fn headroom_row(runs: &[RunData]) -> Option<ComparisonRow> {
    let headrooms: Vec<Option<Headroom>> = runs
        .iter()
        .map(|run| {
            crate::results::headroom::of_rows(
                run.summary
                    .iter()
                    .map(|row| (row.scope.as_str(), row.metric.as_str())),
                &|scope, metric| run.value(scope, metric),
            )
        })
        .collect();
    if headrooms.iter().all(Option::is_none) {
        return None;
    }
    Some(ComparisonRow {
        scope: HEADROOM_SCOPE.to_owned(),
        metric: HEADROOM_METRIC.to_owned(),
        values: headrooms
            .iter()
            .map(|h| h.as_ref().map(|h| h.load_factor))
            .collect(),
        notes: headrooms
            .iter()
            .map(|h| {
                h.as_ref()
                    .map(|h| format!("before {} {}", h.busiest.station, h.resource))
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::run_data::SummaryValue;

    fn run(rows: &[(&str, &str, f64)]) -> RunData {
        RunData {
            summary: rows
                .iter()
                .map(|(scope, metric, value)| SummaryValue {
                    scope: scope.to_string(),
                    metric: metric.to_string(),
                    value: *value,
                    ci95: None,
                })
                .collect(),
            ..RunData::default()
        }
    }

    fn sample() -> Comparison {
        let one = run(&[
            ("overall", "latency_p99_ms", 200.0),
            ("overall", "error_rate", 0.0),
            ("server", "cpu_utilization", 0.74),
        ]);
        let two = run(&[
            ("overall", "latency_p99_ms", 150.0),
            ("overall", "error_rate", 0.01),
            ("web", "cpu_utilization", 0.30),
            ("db", "utilization", 0.05),
        ]);
        Comparison::of(vec!["one".into(), "two".into()], &[one, two])
    }

    #[test]
    fn rows_line_up_and_differences_are_against_the_first() {
        let comparison = sample();
        let p99 = comparison
            .rows
            .iter()
            .find(|r| r.metric == "latency_p99_ms")
            .unwrap();
        assert_eq!(p99.diff(1), Some(-50.0));
        assert_eq!(p99.diff_pct(1), Some(-25.0));
        let errors = comparison.rows.iter().find(|r| r.metric == "error_rate").unwrap();
        assert_eq!((errors.diff(1), errors.diff_pct(1)), (Some(0.01), None));
        let web = comparison.rows.iter().find(|r| r.scope == "web").unwrap();
        assert_eq!((web.values.clone(), web.diff(1)), (vec![None, Some(0.30)], None));
        let bottleneck = &comparison.rows[0];
        assert_eq!(bottleneck.values, [Some(0.74), Some(0.30)]);
        assert_eq!(cell(bottleneck, 0), "74.0 % (server CPU)");
    }

    #[test]
    fn the_text_table_shows_values_and_differences() {
        let table = sample().text_table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["scope", "metric", "one", "two", "diff", "diff", "%"]
        );
        let p99 = lines.iter().find(|l| l.contains("latency_p99_ms")).unwrap();
        assert_eq!(
            p99.split_whitespace().collect::<Vec<_>>(),
            ["overall", "latency_p99_ms", "200", "150", "-50", "-25.0", "%"]
        );
        assert!(table.contains("bottleneck  utilization"));
        assert!(table.contains("74.0 % (server CPU)"));
        // Error rates in percent, their differences in percentage points.
        let errors = lines.iter().find(|l| l.contains("error_rate")).unwrap();
        assert_eq!(
            errors.split_whitespace().collect::<Vec<_>>(),
            [
                "overall",
                "error_rate",
                "0.000",
                "%",
                "1.000",
                "%",
                "+1.000",
                "pp"
            ]
        );
        let markdown = sample().table().markdown();
        assert!(markdown.starts_with("| scope | metric | one | two | diff | diff % |\n| --- | --- | ---: |"));
        assert!(
            markdown.contains("| overall | error_rate | 0.000 % | 1.000 % | +1.000 pp | |\n"),
            "{markdown}"
        );
    }

    #[test]
    fn the_csv_is_tidy_with_blanks_for_the_unknown() {
        let text = String::from_utf8(sample().csv()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "variant,scope,metric,value,diff,diff_pct");
        assert!(lines.contains(&"one,overall,latency_p99_ms,200,,"));
        assert!(lines.contains(&"two,overall,latency_p99_ms,150,-50,-25"));
        assert!(lines.contains(&"one,web,cpu_utilization,,,"));
        assert!(lines.contains(&"two,web,cpu_utilization,0.3,,"));
    }
}
