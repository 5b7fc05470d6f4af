//! A sweep's grid and table: points (one value per axis), numbered with
//! the first axis changing fastest, so the points along the first axis (the
//! x of the charts) for fixed other values are neighbours; the rows of
//! `sweep.csv`; and the manifest that says which study a folder belongs to.
//! A shard holds only its points, keeping their global indices, and its
//! table rows merge with the other shards' by sorting on the point index.
//! `study::sweep` runs the points.
//!
//! The table holds what `sweep.csv` can say: a value the CSV cannot write
//! (infinite, NaN) is NaN here, so a table built from runs and one read back
//! from shard files are equal, and so is everything derived from them.

use super::axis::Axis;
use super::interval::{IntervalRow, IntervalSummary};
use super::shard::Shard;

/// One point of the grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    pub index: usize,
    /// The value of each axis, in axis order.
    pub values: Vec<String>,
}

impl Point {
    /// The `--set`-style overrides that make this point.
    pub fn overrides(&self, axes: &[Axis]) -> Vec<String> {
        axes.iter()
            .zip(&self.values)
            .map(|(axis, value)| format!("{}={value}", axis.path))
            .collect()
    }
}

/// The index of each axis's value at point `index` (first axis fastest).
pub fn value_indices(axes: &[Axis], index: usize) -> Vec<usize> {
    let mut rest = index;
    axes.iter()
        .map(|axis| {
            let value = rest % axis.values.len();
            rest /= axis.values.len();
            value
        })
        .collect()
}

/// Number of points of the grid.
pub fn point_count(axes: &[Axis]) -> usize {
    axes.iter().map(|axis| axis.values.len()).product()
}

/// Every point of the grid, or only those of `shard`.
pub fn points(axes: &[Axis], shard: Option<Shard>) -> Vec<Point> {
    (0..point_count(axes))
        .filter(|&index| shard.is_none_or(|shard| shard.owns(index)))
        .map(|index| Point {
            index,
            values: value_indices(axes, index)
                .into_iter()
                .zip(axes)
                .map(|(value, axis)| axis.values[value].clone())
                .collect(),
        })
        .collect()
}

/// What the runs of one point gave.
#[derive(Clone, Debug, PartialEq)]
pub enum PointOutcome {
    Measured(IntervalSummary),
    /// Some replications could not finish (a limit was reached); the point
    /// is reported as failed rather than by its surviving runs, which would
    /// be a biased sample.
    Failed {
        failed_runs: u32,
        first_error: String,
    },
}

/// One row of `sweep.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    pub point: usize,
    pub values: Vec<String>,
    pub scope: String,
    pub metric: String,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// The metric a failed point reports instead of its summary.
pub const FAILED_RUNS: &str = crate::metrics::catalog::FAILED_RUNS.name;

/// The rows of a sweep (or of a shard of it), in point order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepTable {
    pub paths: Vec<String>,
    pub rows: Vec<SweepRow>,
}

fn writable(value: f64) -> f64 {
    if value.is_finite() { value } else { f64::NAN }
}

impl SweepTable {
    pub fn new(axes: &[Axis]) -> Self {
        SweepTable {
            paths: axes.iter().map(|axis| axis.path.clone()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; values the CSV cannot hold become NaN.
    pub fn push(&mut self, point: &Point, scope: &str, metric: &str, mean: f64, low: f64, high: f64) {
        self.rows.push(SweepRow {
            point: point.index,
            values: point.values.clone(),
            scope: scope.to_owned(),
            metric: metric.to_owned(),
            mean: writable(mean),
            low: writable(low),
            high: writable(high),
        });
    }

    /// Adds the rows of one point's outcome.
    pub fn push_outcome(&mut self, point: &Point, outcome: &PointOutcome) {
        match outcome {
            PointOutcome::Measured(summary) => {
                for row in &summary.rows {
                    self.push(point, &row.scope, &row.metric, row.mean, row.low, row.high);
                }
            }
            PointOutcome::Failed { failed_runs, .. } => {
                self.push(
                    point,
                    "overall",
                    FAILED_RUNS,
                    *failed_runs as f64,
                    f64::NAN,
                    f64::NAN,
                );
            }
        }
    }

    /// The table of several shards: rows ordered by point index, each
    /// point's rows in their original order.
    pub fn merge(parts: Vec<SweepTable>) -> SweepTable {
        let mut merged = SweepTable {
            paths: parts.first().map(|part| part.paths.clone()).unwrap_or_default(),
            rows: parts.into_iter().flat_map(|part| part.rows).collect(),
        };
        merged.rows.sort_by_key(|row| row.point);
        merged
    }

    /// The summary of every point, indexed by point (empty where the table
    /// has no rows for it).
    pub fn point_summaries(&self, points: usize) -> Vec<IntervalSummary> {
        let mut summaries = vec![IntervalSummary::default(); points];
        for row in &self.rows {
            if let Some(summary) = summaries.get_mut(row.point) {
                summary.rows.push(IntervalRow {
                    scope: row.scope.clone(),
                    metric: row.metric.clone(),
                    mean: row.mean,
                    low: row.low,
                    high: row.high,
                });
            }
        }
        summaries
    }
}

/// What a sweep's folder says about the study it belongs to (`sweep.toml`):
/// enough to check that shards belong together and to analyse the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepManifest {
    pub scenario: String,
    pub replications: u32,
    pub axes: Vec<Axis>,
    /// Set in a shard's folder; `None` for a whole (or merged) sweep.
    pub shard: Option<Shard>,
    /// The objectives every point is judged by (the scenario's `[slo]`,
    /// then `--slo`), as written; checked against the scenario before the
    /// sweep ran.
    pub objectives: Vec<String>,
}

impl SweepManifest {
    pub fn points(&self) -> usize {
        point_count(&self.axes)
    }

    /// The same study without the shard.
    pub fn whole(&self) -> SweepManifest {
        SweepManifest {
            shard: None,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::axis::parse_axis;

    fn axes() -> Vec<Axis> {
        vec![parse_axis("a=1..3").unwrap(), parse_axis("b=x,y").unwrap()]
    }

    #[test]
    fn the_first_axis_changes_fastest() {
        let all = points(&axes(), None);
        let values: Vec<String> = all.iter().map(|p| p.values.join(" ")).collect();
        assert_eq!(values, ["1 x", "2 x", "3 x", "1 y", "2 y", "3 y"]);
        assert_eq!(all[4].overrides(&axes()), ["a=2", "b=y"]);
    }

    #[test]
    fn shards_partition_the_points() {
        let mut seen: Vec<usize> = (0..4)
            .flat_map(|index| points(&axes(), Some(Shard { index, count: 4 })))
            .map(|p| p.index)
            .collect();
        seen.sort();
        assert_eq!(seen, (0..6).collect::<Vec<_>>());
    }

    #[test]
    fn merging_orders_rows_by_point() {
        let all = points(&axes(), None);
        let mut even = SweepTable::new(&axes());
        let mut odd = SweepTable::new(&axes());
        for point in &all {
            let table = if point.index % 2 == 0 { &mut even } else { &mut odd };
            table.push(
                point,
                "overall",
                "requests",
                point.index as f64,
                0.0,
                f64::INFINITY,
            );
            table.push(point, "web", "utilization", 0.5, 0.4, 0.6);
        }
        let merged = SweepTable::merge(vec![odd, even]);
        let order: Vec<(usize, &str)> = merged.rows.iter().map(|r| (r.point, r.metric.as_str())).collect();
        assert_eq!(
            order[..4],
            [
                (0, "requests"),
                (0, "utilization"),
                (1, "requests"),
                (1, "utilization")
            ]
        );
        assert!(
            merged.rows[0].high.is_nan(),
            "infinite becomes NaN, as the CSV would say"
        );
    }
}
