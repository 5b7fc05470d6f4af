//! A summary over replications: each metric's mean and its 95 % interval.
//! `study::replicate` folds runs into it; `report` writes it as
//! `summary.csv` with `ci95_low,ci95_high`, and a sweep's table holds one
//! per point.

/// One metric over replications: the mean and its 95 % interval (NaN
/// bounds when there are fewer than two values).
#[derive(Clone, Debug, PartialEq)]
pub struct IntervalRow {
    pub scope: String,
    pub metric: String,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// A summary over replications, in the row order of replication 0.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IntervalSummary {
    pub rows: Vec<IntervalRow>,
}

impl IntervalSummary {
    pub fn get(&self, scope: &str, metric: &str) -> Option<&IntervalRow> {
        self.rows
            .iter()
            .find(|row| row.scope == scope && row.metric == metric)
    }

    /// The mean of `metric` in `scope`, if present.
    pub fn mean(&self, scope: &str, metric: &str) -> Option<f64> {
        self.get(scope, metric).map(|row| row.mean)
    }

    /// Appends a row with no interval (a count of the study itself).
    pub fn push_exact(&mut self, scope: &str, metric: &str, value: f64) {
        self.rows.push(IntervalRow {
            scope: scope.to_owned(),
            metric: metric.to_owned(),
            mean: value,
            low: f64::NAN,
            high: f64::NAN,
        });
    }
}
