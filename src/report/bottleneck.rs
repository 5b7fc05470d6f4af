//! The bottleneck as the report, `compare` and `capsim run` show it: every
//! station ranked by `results::bottleneck`'s rule (the one `sweep` and
//! `plan` use), each with its busiest resource, mean queue and mean wait.
//! A station is any scope with a `utilization` (workers or connections
//! busy) or a `cpu_utilization` (cores computing), so new station kinds
//! qualify by reporting either metric.

use crate::results::bottleneck::{self, CPU_UTILIZATION};

use super::run_data::RunData;
use crate::metrics::catalog as metric;

/// One station's load, for ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct StationLoad {
    pub station: String,
    /// `utilization` or `cpu_utilization`: the reading the rule chose.
    pub metric: String,
    /// `workers` (or connections) or `CPU`: the resource `metric` measures.
    pub resource: &'static str,
    pub utilization: f64,
    pub queue_len_mean: Option<f64>,
    pub wait_mean_ms: Option<f64>,
}

/// The resource a utilization metric measures, as people read it.
fn resource(metric: &str) -> &'static str {
    if metric == CPU_UTILIZATION {
        "CPU"
    } else {
        "workers"
    }
}

/// Every station of a summary, bottleneck first: the stations are the
/// scopes of its `(scope, metric)` rows that report a utilization, read
/// through `value(scope, metric)`.
pub fn rank<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str)>,
    value: &dyn Fn(&str, &str) -> Option<f64>,
) -> Vec<StationLoad> {
    let stations = bottleneck::stations(rows);
    bottleneck::ranking(bottleneck::readings(&stations, value))
        .into_iter()
        .map(|reading| StationLoad {
            resource: resource(&reading.metric),
            queue_len_mean: value(&reading.station, metric::QUEUE_LEN_MEAN.name),
            wait_mean_ms: value(&reading.station, metric::WAIT_MEAN_MS.name),
            station: reading.station,
            metric: reading.metric,
            utilization: reading.utilization,
        })
        .collect()
}

/// Every station of a run, bottleneck first.
pub fn station_loads(data: &RunData) -> Vec<StationLoad> {
    rank(
        data.summary
            .iter()
            .map(|row| (row.scope.as_str(), row.metric.as_str())),
        &|scope, metric| data.value(scope, metric),
    )
}

/// The station closest to saturation, if the run has any station.
pub fn bottleneck(data: &RunData) -> Option<StationLoad> {
    station_loads(data).into_iter().next()
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

    #[test]
    fn the_busiest_resource_of_any_station_wins() {
        let data = run(&[
            ("overall", "error_rate", 0.0),
            ("web", "utilization", 0.02),
            ("web", "cpu_utilization", 0.74),
            ("web", "queue_len_mean", 1.5),
            ("db", "utilization", 0.3),
        ]);
        let top = bottleneck(&data).unwrap();
        assert_eq!(
            (top.station.as_str(), top.resource, top.utilization),
            ("web", "CPU", 0.74)
        );
        assert_eq!((top.queue_len_mean, top.wait_mean_ms), (Some(1.5), None));
        let order: Vec<_> = station_loads(&data).into_iter().map(|l| l.station).collect();
        assert_eq!(order, ["web", "db"]);
    }

    #[test]
    fn no_station_no_bottleneck() {
        assert_eq!(bottleneck(&run(&[("overall", "requests", 3.0)])), None);
        assert_eq!(bottleneck(&run(&[("web", "utilization", f64::NAN)])), None);
    }
}
