//! The tabular results of a run: the summary (`scope,metric,value`) and the
//! time series (`time_s,scope,metric,value`), in the order rows were made,
//! which is deterministic.

/// One summary row. Rows are equal when their values are the same bits:
/// results are compared for determinism, where a NaN (a value with nothing
/// to measure) must equal itself.
#[derive(Clone, Debug)]
pub struct MetricRow {
    pub scope: String,
    pub metric: &'static str,
    pub value: f64,
}

impl PartialEq for MetricRow {
    fn eq(&self, other: &Self) -> bool {
        self.scope == other.scope
            && self.metric == other.metric
            && self.value.to_bits() == other.value.to_bits()
    }
}

/// The run's summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub rows: Vec<MetricRow>,
}

impl Summary {
    /// Appends a row; `metric` is a catalogue constant (or its name).
    pub fn push(&mut self, scope: &str, metric: impl Into<&'static str>, value: f64) {
        self.rows.push(MetricRow {
            scope: scope.to_owned(),
            metric: metric.into(),
            value,
        });
    }

    /// The value of `metric` in `scope`, if the summary has it.
    pub fn get(&self, scope: &str, metric: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|row| row.scope == scope && row.metric == metric)
            .map(|row| row.value)
    }
}

/// One time-series row; `scope` indexes `Timeseries::scopes`. Equal when
/// the values are the same bits (see `MetricRow`).
#[derive(Clone, Copy, Debug)]
pub struct SeriesRow {
    /// End of the window, in seconds since the start.
    pub time_s: f64,
    pub scope: u32,
    pub metric: &'static str,
    pub value: f64,
}

impl PartialEq for SeriesRow {
    fn eq(&self, other: &Self) -> bool {
        self.time_s.to_bits() == other.time_s.to_bits()
            && self.scope == other.scope
            && self.metric == other.metric
            && self.value.to_bits() == other.value.to_bits()
    }
}

/// Rows of every window, with scope names stored once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeseries {
    pub scopes: Vec<String>,
    pub rows: Vec<SeriesRow>,
}

impl Timeseries {
    /// The id of `scope`, registering it on first use.
    pub fn scope(&mut self, scope: &str) -> u32 {
        match self.scopes.iter().position(|known| known == scope) {
            Some(index) => index as u32,
            None => {
                self.scopes.push(scope.to_owned());
                (self.scopes.len() - 1) as u32
            }
        }
    }

    /// Appends a row; `metric` is a catalogue constant (or its name).
    pub fn push(&mut self, time_s: f64, scope: u32, metric: impl Into<&'static str>, value: f64) {
        self.rows.push(SeriesRow {
            time_s,
            scope,
            metric: metric.into(),
            value,
        });
    }

    /// Appends `other`'s rows, mapping its scopes onto this table's.
    pub fn append(&mut self, other: &Timeseries) {
        let mapping: Vec<u32> = other.scopes.iter().map(|scope| self.scope(scope)).collect();
        self.rows.extend(other.rows.iter().map(|row| SeriesRow {
            scope: mapping[row.scope as usize],
            ..*row
        }));
    }

    /// Values of one metric in one scope, as (time, value) pairs.
    pub fn series(&self, scope: &str, metric: &str) -> Vec<(f64, f64)> {
        let Some(id) = self.scopes.iter().position(|known| known == scope) else {
            return Vec::new();
        };
        self.rows
            .iter()
            .filter(|row| row.scope == id as u32 && row.metric == metric)
            .map(|row| (row.time_s, row.value))
            .collect()
    }
}
