//! The bottleneck: the station closest to saturation, read from a run's
//! summary. A station is any scope with a `utilization` (workers or
//! connections busy) or a `cpu_utilization` (cores computing); the busier of
//! the two resources counts, so new station kinds qualify by reporting
//! either metric.

use super::run_data::RunData;
use crate::metrics::catalog as metric;

/// One station's load, for ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct StationLoad {
    pub station: String,
    /// `workers` (or connections) or `CPU`: whichever is busier.
    pub resource: &'static str,
    pub utilization: f64,
    pub queue_len_mean: Option<f64>,
    pub wait_mean_ms: Option<f64>,
}

/// Every station, busiest first (ties keep summary order).
pub fn station_loads(data: &RunData) -> Vec<StationLoad> {
    let mut loads: Vec<StationLoad> = data
        .summary_scopes()
        .into_iter()
        .filter_map(|scope| {
            let resources = [
                ("workers", data.value(scope, metric::UTILIZATION.name)),
                ("CPU", data.value(scope, metric::CPU_UTILIZATION.name)),
            ];
            let (resource, utilization) = resources
                .into_iter()
                .filter_map(|(resource, value)| value.filter(|v| v.is_finite()).map(|v| (resource, v)))
                .reduce(|best, next| if next.1 > best.1 { next } else { best })?;
            Some(StationLoad {
                station: scope.to_owned(),
                resource,
                utilization,
                queue_len_mean: data.value(scope, metric::QUEUE_LEN_MEAN.name),
                wait_mean_ms: data.value(scope, metric::WAIT_MEAN_MS.name),
            })
        })
        .collect();
    loads.sort_by(|a, b| b.utilization.total_cmp(&a.utilization));
    loads
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
