//! Headroom: how far the load can grow before a station saturates — the one
//! rule `capsim run`'s summary, `report.html`, `compare` and `plan` print as
//! "load can grow ×k before <node> <resource> saturates".
//!
//! **From the hottest node, never a mean.** A component whose nodes report
//! rows of their own — a database's `db.primary` and `db.replica[0]`, a
//! sharded one's `db.shard[2].primary`, a cache's `cache.node[1]` — is read
//! through its nodes: its own row (`db`) is the mean over them and would
//! hide a replica at 97 % behind a mean of 80 %. `datacenter:` rows (what
//! stands in a data center, together) are no station either. Among the
//! nodes and the stations without nodes (pools, balancers with `cores`),
//! `bottleneck::pick` chooses the resource — cores, workers or connections —
//! and the node it names is the headroom's.
//!
//! **k.** By the utilization law a station's utilization is its arrival rate
//! × its demand per arrival / its servers, so with the demand fixed it grows
//! in proportion to the load: the node at ρ now reaches `SATURATION` at
//! k = `SATURATION` / ρ times today's load. k is that linear extrapolation,
//! and no more: latency SLOs are usually missed before ρ = 1 (queues grow
//! as 1 / (1 − ρ)); a pool's instances count through the pool's row, the
//! mean over its instances (per-instance rows do not exist; balancer
//! policies keep instances even, and a balancer's `imbalance` says how
//! even); a thread-per-request pool's workers, busy while they wait, grow
//! faster than linearly once what they call queues. README.md's "Headroom"
//! says how caches, autoscaling and closed workloads bend it.

use super::bottleneck::{self, Bottleneck, CPU_UTILIZATION};
use crate::metrics::catalog as metric;

/// The utilization the headroom extrapolates to: a station saturates when
/// its busiest resource is busy all the time (ρ = 1), where by the
/// utilization law its queue has no steady state.
pub const SATURATION: f64 = 1.0;

/// Scopes that aggregate stations rather than being one: what stands in a
/// data center.
const AGGREGATE_PREFIXES: [&str; 1] = ["datacenter:"];

/// How far the load can grow before the hottest node saturates.
#[derive(Clone, Debug, PartialEq)]
pub struct Headroom {
    /// The hottest node, by the bottleneck rule over nodes.
    pub busiest: Bottleneck,
    /// `CPU`, `workers` or `connections`: what `busiest.metric` measures.
    pub resource: &'static str,
    /// k = `SATURATION` / ρ: the load, as a multiple of the load measured,
    /// at which the node saturates.
    pub load_factor: f64,
}

impl Headroom {
    /// The headroom of a node at `busiest`, named as `value` reads it (a
    /// station with `connections_mean` is a database node: its workers are
    /// connections). `None` when nothing is busy.
    pub fn of(busiest: Bottleneck, value: &dyn Fn(&str, &str) -> Option<f64>) -> Option<Headroom> {
        if busiest.utilization.is_nan() || busiest.utilization <= 0.0 {
            return None;
        }
        let resource = if busiest.metric == CPU_UTILIZATION {
            "CPU"
        } else if value(&busiest.station, metric::CONNECTIONS_MEAN.name).is_some() {
            "connections"
        } else {
            "workers"
        };
        Some(Headroom {
            load_factor: SATURATION / busiest.utilization,
            resource,
            busiest,
        })
    }

    /// `load can grow ×1.78 before web CPU saturates (56.3% busy)`.
    pub fn describe(&self) -> String {
        format!(
            "load can grow ×{:.2} before {} {} saturates ({:.1}% busy)",
            self.load_factor,
            self.busiest.station,
            self.resource,
            100.0 * self.busiest.utilization
        )
    }
}

/// How the model names a component's nodes after the component's name: a
/// database's `db.primary`, `db.replica[0]`, `db.shard[1].replica[0]`, a
/// cache's `cache.node[2]`. (A name may hold a dot, so `web.b` is no node
/// of a pool `web`.)
const NODE_SUFFIXES: [&str; 4] = [".primary", ".replica[", ".shard[", ".node["];

/// Whether `scope` is `component` or one of its nodes (`db.replica[0]` of
/// `db`).
pub fn belongs_to(scope: &str, component: &str) -> bool {
    scope
        .strip_prefix(component)
        .is_some_and(|rest| rest.is_empty() || NODE_SUFFIXES.iter().any(|suffix| rest.starts_with(suffix)))
}

/// The stations of `stations` that are one node each: without the
/// components whose nodes are among them, and without data centers.
pub fn nodes(stations: &[String]) -> Vec<String> {
    stations
        .iter()
        .filter(|station| {
            let aggregate = AGGREGATE_PREFIXES
                .iter()
                .any(|prefix| station.starts_with(prefix))
                || stations
                    .iter()
                    .any(|other| other != *station && belongs_to(other, station));
            !aggregate
        })
        .cloned()
        .collect()
}

/// The hottest node among `stations` (aggregates dropped), by the
/// bottleneck rule, read through `value(station, metric)`.
pub fn hottest(stations: &[String], value: &dyn Fn(&str, &str) -> Option<f64>) -> Option<Bottleneck> {
    bottleneck::among(&nodes(stations), value)
}

/// The headroom of `stations`, read through `value(station, metric)`.
pub fn among(stations: &[String], value: &dyn Fn(&str, &str) -> Option<f64>) -> Option<Headroom> {
    Headroom::of(hottest(stations, value)?, value)
}

/// The headroom of a summary's `(scope, metric)` rows: every scope with a
/// utilization is a station.
pub fn of_rows<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str)>,
    value: &dyn Fn(&str, &str) -> Option<f64>,
) -> Option<Headroom> {
    among(&bottleneck::stations(rows), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of(rows: &'static [(&'static str, &'static str, f64)]) -> impl Fn(&str, &str) -> Option<f64> {
        move |station, metric| {
            rows.iter()
                .find(|(s, m, _)| *s == station && *m == metric)
                .map(|(_, _, v)| *v)
        }
    }

    fn pairs(
        rows: &'static [(&'static str, &'static str, f64)],
    ) -> impl Iterator<Item = (&'static str, &'static str)> {
        rows.iter().map(|(s, m, _)| (*s, *m))
    }

    const REPLICATED: &[(&str, &str, f64)] = &[
        ("overall", "error_rate", 0.0),
        ("web", "utilization", 0.3),
        ("web", "cpu_utilization", 0.8),
        ("db", "utilization", 0.7),
        ("db", "connections_mean", 11.2),
        ("db.primary", "utilization", 0.4),
        ("db.primary", "connections_mean", 6.4),
        ("db.replica[0]", "utilization", 0.85),
        ("db.replica[0]", "connections_mean", 13.6),
        ("db.replica[1]", "utilization", 0.85),
        ("db.replica[1]", "connections_mean", 13.6),
        ("datacenter:eu", "utilization", 0.9),
    ];

    #[test]
    fn the_hottest_node_counts_not_the_mean_over_nodes() {
        let headroom = of_rows(pairs(REPLICATED), &value_of(REPLICATED)).unwrap();
        assert_eq!(headroom.busiest.station, "db.replica[0]");
        assert_eq!(headroom.resource, "connections");
        assert!((headroom.load_factor - 1.0 / 0.85).abs() < 1e-12);
        assert_eq!(
            headroom.describe(),
            "load can grow ×1.18 before db.replica[0] connections saturates (85.0% busy)"
        );
    }

    #[test]
    fn aggregates_are_not_stations() {
        let stations: Vec<String> = ["web", "db", "db.primary", "db.replica[0]", "dbx", "datacenter:eu"]
            .map(String::from)
            .to_vec();
        assert_eq!(nodes(&stations), ["web", "db.primary", "db.replica[0]", "dbx"]);
        assert!(belongs_to("db.shard[1].primary", "db"));
        assert!(belongs_to("db", "db"));
        assert!(!belongs_to("dbx", "db"));
        assert!(belongs_to("cache.node[1]", "cache"));
        assert!(!belongs_to("web.b", "web"), "a pool whose name holds a dot");
    }

    #[test]
    fn cores_and_idle_stations() {
        const POOL: &[(&str, &str, f64)] = &[("web", "utilization", 0.1), ("web", "cpu_utilization", 0.5)];
        let headroom = of_rows(pairs(POOL), &value_of(POOL)).unwrap();
        assert_eq!((headroom.resource, headroom.load_factor), ("CPU", 2.0));
        const IDLE: &[(&str, &str, f64)] = &[("web", "utilization", 0.0)];
        assert_eq!(of_rows(pairs(IDLE), &value_of(IDLE)), None);
    }
}
