//! Which station limits a system: the most utilized resource, where a pool's
//! cores (`cpu_utilization`) and its workers (`utilization`) count apart.
//!
//! A thread-per-request worker stays busy while it waits on a call, so when
//! a database saturates, the pool in front of it shows its workers 100 %
//! busy too. On such a tie (within `TIE`) the resource busy with its own
//! work wins — cores, a database's connections — over workers that may only
//! be waiting: raising the front pool would not help, raising the database
//! would. Among equals, cores come first, then the stations' order.

use crate::metrics::catalog as metric;

/// Utilizations this close count as a tie.
pub const TIE: f64 = 0.01;

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

/// Every finite utilization of `stations`, cores first, read through
/// `value(station, metric)`.
pub fn readings(stations: &[String], value: &dyn Fn(&str, &str) -> Option<f64>) -> Vec<Reading> {
    let mut readings = Vec::new();
    for station in stations {
        let cpu = value(station, metric::CPU_UTILIZATION.name).filter(|u| u.is_finite());
        if let Some(utilization) = cpu {
            readings.push(Reading {
                station: station.clone(),
                metric: "cpu_utilization".to_owned(),
                utilization,
                own_work: true,
            });
        }
        if let Some(utilization) = value(station, metric::UTILIZATION.name).filter(|u| u.is_finite()) {
            readings.push(Reading {
                station: station.clone(),
                metric: "utilization".to_owned(),
                utilization,
                own_work: cpu.is_none(),
            });
        }
    }
    readings
}

/// The bottleneck among `readings`: the highest utilization, preferring own
/// work on a tie.
pub fn pick(readings: Vec<Reading>) -> Option<Reading> {
    let highest = readings
        .iter()
        .map(|r| r.utilization)
        .fold(f64::NEG_INFINITY, f64::max);
    let near: Vec<Reading> = readings
        .into_iter()
        .filter(|reading| reading.utilization >= highest - TIE)
        .collect();
    let own = near.iter().position(|reading| reading.own_work);
    let chosen = match own {
        Some(index) => index,
        None => near
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.utilization.total_cmp(&b.1.utilization).then(b.0.cmp(&a.0)))
            .map(|(index, _)| index)?,
    };
    near.into_iter().nth(chosen)
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

    fn stations() -> Vec<String> {
        vec!["web".into(), "db".into()]
    }

    #[test]
    fn the_highest_utilization_wins() {
        let value = values(&[
            ("web", "utilization", 0.3),
            ("web", "cpu_utilization", 0.8),
            ("db", "utilization", 0.5),
        ]);
        let choice = pick(readings(&stations(), &value)).unwrap();
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
        let choice = pick(readings(&stations(), &value)).unwrap();
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
        let choice = pick(readings(&stations(), &value)).unwrap();
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
        let choice = pick(readings(&stations(), &value)).unwrap();
        assert_eq!(choice.metric, "cpu_utilization");
    }
}
