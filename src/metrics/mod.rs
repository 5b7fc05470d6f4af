//! Streaming aggregation: every metric is folded into per-window
//! accumulators as the run goes, and each closed window is merged into the
//! run's totals (after warm-up). Nothing here stores per-request records, so
//! memory is O(components × windows), never O(requests). Nothing here writes
//! files. `catalog` names and describes every metric.

pub mod catalog;
mod distribution;
mod gauge;
mod latency;
mod requests;
mod series;
mod station;
mod tally;

pub use distribution::{DistributionRow, LatencyDistribution, ScopeDistribution, bucket_of};
pub use gauge::TimeWeighted;
pub use latency::{LatencyRecorder, LatencyStats};
pub use requests::{FAILURE_CAUSES, RequestCounters};
pub use series::{MetricRow, SeriesRow, Summary, Timeseries};
pub use station::{CPU_SHARE_SCALE, StationCounters, StationMetrics};
pub use tally::Tally;
