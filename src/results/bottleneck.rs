//! The bottleneck rule, the one `run`, the report, `compare`, `sweep` and
//! `plan` all use: which station limits a system, given each station's
//! utilizations, where a pool's cores (`cpu_utilization`) and its workers
//! (`utilization`) count apart.
//!
//! A station is any scope that reports either metric (workers or
//! connections busy, cores computing), so a new station kind qualifies by
//! reporting one; which stations compete is the caller's (every station of a
//! summary, or only those a plan's knobs can raise).
//!
//! A thread-per-request worker stays busy while it waits on a call, so when
//! a database saturates, the pool in front of it shows its workers 100 %
//! busy too. On such a tie (within `TIE`) the resource busy with its own
//! work wins — cores, a database's connections — over workers that may only
//! be waiting: raising the front pool would not help, raising the database
//! would. Among equals, cores come first, then the stations' order.

/// Utilizations this close count as a tie.
pub const TIE: f64 = 0.01;

/// Workers (or connections) busy, as a share of them.
pub const UTILIZATION: &str = crate::metrics::catalog::UTILIZATION.name;
/// Cores computing, as a share of them.
pub const CPU_UTILIZATION: &str = crate::metrics::catalog::CPU_UTILIZATION.name;

/// One utilization reading.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub station: String,
    /// `cpu_utilization` or `utilization`.
    pub metric: String,
    pub utilization: f64,
    /// Whether the resource is busy only with its own work (cores, or the
    /// servers of a station without cores).
    pub own_work: bool,
}

/// A station named as the bottleneck: which of its resources, how busy.
#[derive(Clone, Debug, PartialEq)]
pub struct Bottleneck {
    pub station: String,
    /// `utilization` (workers or connections) or `cpu_utilization`.
    pub metric: String,
    pub utilization: f64,
}

impl From<Reading> for Bottleneck {
    fn from(reading: Reading) -> Self {
        Bottleneck {
            station: reading.station,
            metric: reading.metric,
            utilization: reading.utilization,
        }
    }
}

/// The bottleneck among `stations`, read through `value(station, metric)`.
pub fn among(stations: &[String], value: &dyn Fn(&str, &str) -> Option<f64>) -> Option<Bottleneck> {
    pick(readings(stations, value)).map(Bottleneck::from)
}

/// The stations among `(scope, metric)` rows: every scope that reports a
/// utilization, in order of first appearance.
pub fn stations<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let mut stations: Vec<String> = Vec::new();
    for (scope, metric) in rows {
        let busy_metric = metric == UTILIZATION || metric == CPU_UTILIZATION;
        if busy_metric && !stations.iter().any(|known| known == scope) {
            stations.push(scope.to_owned());
        }
    }
    stations
}

/// Every finite utilization of `stations`, cores first, read through
/// `value(station, metric)`.
pub fn readings(stations: &[String], value: &dyn Fn(&str, &str) -> Option<f64>) -> Vec<Reading> {
    let mut readings = Vec::new();
    for station in stations {
        let cpu = value(station, CPU_UTILIZATION).filter(|u| u.is_finite());
        if let Some(utilization) = cpu {
            readings.push(Reading {
                station: station.clone(),
                metric: CPU_UTILIZATION.to_owned(),
                utilization,
                own_work: true,
            });
        }
        if let Some(utilization) = value(station, UTILIZATION).filter(|u| u.is_finite()) {
            readings.push(Reading {
                station: station.clone(),
                metric: UTILIZATION.to_owned(),
                utilization,
                own_work: cpu.is_none(),
            });
        }
    }
    readings
}

/// The index of the bottleneck among `readings`: the highest utilization,
/// preferring own work on a tie, then the earliest reading.
fn choose(readings: &[Reading]) -> Option<usize> {
    let highest = readings
        .iter()
        .map(|r| r.utilization)
        .fold(f64::NEG_INFINITY, f64::max);
    let near = || {
        readings
            .iter()
            .enumerate()
            .filter(move |(_, reading)| reading.utilization >= highest - TIE)
    };
    near()
        .find(|(_, reading)| reading.own_work)
        .or_else(|| near().max_by(|a, b| a.1.utilization.total_cmp(&b.1.utilization).then(b.0.cmp(&a.0))))
        .map(|(index, _)| index)
}

/// The bottleneck among `readings`: the highest utilization, preferring own
/// work on a tie.
pub fn pick(mut readings: Vec<Reading>) -> Option<Reading> {
    let chosen = choose(&readings)?;
    Some(readings.swap_remove(chosen))
}

/// Every station of `readings` once, in the order the rule ranks them: the
/// bottleneck, then the bottleneck of the others, and so on; each with the
/// reading the rule chose for it. The first is `pick`'s answer.
pub fn ranking(mut readings: Vec<Reading>) -> Vec<Reading> {
    let mut ranked = Vec::new();
    while let Some(chosen) = choose(&readings) {
        let reading = readings.remove(chosen);
        readings.retain(|other| other.station != reading.station);
        ranked.push(reading);
    }
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &'static [(&'static str, &'static str, f64)]) -> impl Fn(&str, &str) -> Option<f64> {
        move |station, metric| {
            pairs
                .iter()
                .find(|(s, m, _)| *s == station && *m == metric)
                .map(|(_, _, v)| *v)
        }
    }

    fn web_and_db() -> Vec<String> {
        vec!["web".into(), "db".into()]
    }

    #[test]
    fn the_highest_utilization_wins() {
        let value = values(&[
            ("web", "utilization", 0.3),
            ("web", "cpu_utilization", 0.8),
            ("db", "utilization", 0.5),
        ]);
        let choice = pick(readings(&web_and_db(), &value)).unwrap();
        assert_eq!(
            (choice.station.as_str(), choice.metric.as_str()),
            ("web", "cpu_utilization")
        );
    }

    #[test]
    fn workers_waiting_on_a_saturated_database_are_not_the_bottleneck() {
        let value = values(&[
            ("web", "utilization", 1.0),
            ("web", "cpu_utilization", 0.34),
            ("db", "utilization", 0.998),
        ]);
        let choice = pick(readings(&web_and_db(), &value)).unwrap();
        assert_eq!(
            (choice.station.as_str(), choice.metric.as_str()),
            ("db", "utilization")
        );
    }

    #[test]
    fn a_pool_short_of_workers_is_the_bottleneck() {
        let value = values(&[
            ("web", "utilization", 1.0),
            ("web", "cpu_utilization", 0.2),
            ("db", "utilization", 0.4),
        ]);
        let choice = pick(readings(&web_and_db(), &value)).unwrap();
        assert_eq!(
            (choice.station.as_str(), choice.metric.as_str()),
            ("web", "utilization")
        );
        assert_eq!(pick(Vec::new()), None);
    }

    #[test]
    fn cores_win_a_tie_with_their_own_workers() {
        let value = values(&[
            ("web", "utilization", 1.0),
            ("web", "cpu_utilization", 1.0),
            ("db", "utilization", 0.3),
        ]);
        let choice = pick(readings(&web_and_db(), &value)).unwrap();
        assert_eq!(choice.metric, "cpu_utilization");
    }

    #[test]
    fn stations_are_the_scopes_with_a_utilization() {
        let rows = [
            ("overall", "error_rate"),
            ("web", "utilization"),
            ("web", "cpu_utilization"),
            ("lb", "cpu_utilization"),
            ("db", "queue_len_mean"),
            ("db", "utilization"),
        ];
        assert_eq!(stations(rows), ["web", "lb", "db"]);
    }

    #[test]
    fn the_ranking_applies_the_rule_again_to_the_others() {
        // The database wins the tie with the workers waiting on it; the
        // pool then ranks by its waiting workers, ahead of the idle cache.
        let value = values(&[
            ("web", "utilization", 1.0),
            ("web", "cpu_utilization", 0.34),
            ("db", "utilization", 0.998),
            ("cache", "utilization", 0.2),
        ]);
        let stations: Vec<String> = vec!["web".into(), "db".into(), "cache".into()];
        let ranked: Vec<(String, String)> = ranking(readings(&stations, &value))
            .into_iter()
            .map(|reading| (reading.station, reading.metric))
            .collect();
        assert_eq!(
            ranked,
            [
                ("db".to_owned(), "utilization".to_owned()),
                ("web".to_owned(), "utilization".to_owned()),
                ("cache".to_owned(), "utilization".to_owned()),
            ]
        );
        assert_eq!(
            ranking(readings(&stations, &value)).into_iter().next(),
            pick(readings(&stations, &value))
        );
        assert!(ranking(Vec::new()).is_empty());
    }
}
