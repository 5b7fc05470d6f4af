//! What one run, or one set of replications of a run, produced.

use crate::metrics::{LatencyDistribution, Summary, Timeseries};
use crate::model::LoggedEvent;

use super::interval::IntervalSummary;

/// Everything a run produced. `timeseries` holds every row when the run was
/// collected in memory (`study::run`), and only the scope names when an
/// observer took the rows as they came (`study::run_observed`).
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    pub summary: Summary,
    pub timeseries: Timeseries,
    pub events: Vec<LoggedEvent>,
    /// The kept windows' latency distributions, for `latency.csv`.
    pub latency: LatencyDistribution,
    /// Engine events handled.
    pub events_handled: u64,
}

/// The results of a replicated run: the summary as means with intervals,
/// the time series as per-window means, replication 0's events, and the
/// latency distributions of every replication pooled (counts summed).
#[derive(Clone, Debug, PartialEq)]
pub struct Replicated {
    pub replications: u32,
    pub summary: IntervalSummary,
    pub timeseries: Timeseries,
    pub events: Vec<LoggedEvent>,
    pub latency: LatencyDistribution,
}
