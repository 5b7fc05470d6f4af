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
    /// `workers`, `connections` or `CPU`: the resource `metric` measures.
    pub resource: &'static str,
    pub utilization: f64,
    pub queue_len_mean: Option<f64>,
    /// What `wait_mean_ms` (and the queue) wait for: a `worker`, a
    /// `connection` or a `core`.
    pub waits_for: &'static str,
    pub wait_mean_ms: Option<f64>,
    /// The wait for a core, where cores are a limit apart from workers or
    /// connections (pools and databases: `cpu_wait_mean_ms`).
    pub cpu_wait_mean_ms: Option<f64>,
}

/// The servers a station's `utilization` counts, in the plural and the
/// singular: a database's are connections (it reports how many are in use,
/// `connections_mean`), a pool's workers; a station that reports only
/// cores (a balancer with `cores`) queues for a core.
fn servers(station: &str, value: &dyn Fn(&str, &str) -> Option<f64>) -> (&'static str, &'static str) {
    if value(station, metric::UTILIZATION.name).is_none() {
        ("CPU", "core")
    } else if value(station, metric::CONNECTIONS_MEAN.name).is_some() {
        ("connections", "connection")
    } else {
        ("workers", "worker")
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
        .map(|reading| {
            let (plural, singular) = servers(&reading.station, value);
            StationLoad {
                resource: if reading.metric == CPU_UTILIZATION {
                    "CPU"
                } else {
                    plural
                },
                queue_len_mean: value(&reading.station, metric::QUEUE_LEN_MEAN.name),
                waits_for: singular,
                wait_mean_ms: value(&reading.station, metric::WAIT_MEAN_MS.name),
                cpu_wait_mean_ms: value(&reading.station, metric::CPU_WAIT_MEAN_MS.name)
                    .filter(|wait| wait.is_finite()),
                station: reading.station,
                metric: reading.metric,
                utilization: reading.utilization,
            }
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
    fn each_station_names_what_it_waits_for() {
        let data = run(&[
            ("web", "utilization", 0.9),
            ("web", "cpu_utilization", 0.2),
            ("web", "cpu_wait_mean_ms", f64::NAN),
            ("db", "utilization", 0.8),
            ("db", "connections_mean", 25.6),
            ("db", "cpu_utilization", 0.5),
            ("db", "cpu_wait_mean_ms", 0.25),
            ("lb", "cpu_utilization", 0.1),
            ("lb", "connections_mean", 3.0),
        ]);
        let loads: Vec<_> = station_loads(&data)
            .into_iter()
            .map(|l| (l.station, l.resource, l.waits_for, l.cpu_wait_mean_ms))
            .collect();
        assert_eq!(
            loads,
            [
                ("web".to_owned(), "workers", "worker", None),
                ("db".to_owned(), "connections", "connection", Some(0.25)),
                ("lb".to_owned(), "CPU", "core", None),
            ]
        );
    }

    #[test]
    fn no_station_no_bottleneck() {
        assert_eq!(bottleneck(&run(&[("overall", "requests", 3.0)])), None);
        assert_eq!(bottleneck(&run(&[("web", "utilization", f64::NAN)])), None);
    }
}
