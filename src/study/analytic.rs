//! The quick analytic estimate beside the simulation: operational laws and
//! an M/M/c (Erlang C) queue per station, composed along the call graph.
//!
//! Each instance of a pool is taken as an M/M/c queue for its workers (c =
//! workers, λ = the pool's calls / instances, S = the mean time a call holds
//! a worker) and, when it has fewer cores than workers, another for its
//! cores (one job per compute segment); a database is one M/M/c queue for
//! its connections, and a balancer with `cores` one for its cores (its
//! latency the service time), its wait added to every call through it.
//! The components placed on a `[host.*]` wait for a core in one M/M/c
//! queue for the host: c = its cores, λ = every CPU segment of theirs, S
//! their mean (the sum of their busy cores over λ), so one component's
//! load lengthens the others' waits, as on one machine.
//! Waits lengthen the holding times of the callers above them (a
//! thread-per-request worker waits for the database while holding),
//! so the estimate walks the call graph again with the waits added until
//! they stop changing: a fixed point reached from below, since longer holds
//! only make longer waits. A closed workload's throughput X solves
//! X = N / (Z + R(X)) (the response-time law) with R from the same open
//! estimate at rate X; R grows with X, so bisection finds the one root.
//!
//! It is an estimate: service is taken as exponential, arrivals at every
//! station as Poisson, retries and timeouts are ignored. It answers in
//! milliseconds whether a design can possibly hold a load; where it and the
//! simulation disagree (`disagreements`), the difference is worth a look.

use crate::metrics::Summary;
use crate::metrics::catalog as metric;
use crate::scenario::{Arrivals, Scenario};

use super::feasibility::{self, HostDemand, Waits, Walk, offered_rate};

/// Erlang C: the probability that an arrival waits in M/M/c with offered
/// load `load` = λ·S (in servers). 1 when `load` ≥ `servers`.
pub fn erlang_c(servers: u32, load: f64) -> f64 {
    if load >= servers as f64 {
        return 1.0;
    }
    if load <= 0.0 {
        return 0.0;
    }
    // Erlang B by its stable recursion, then C = B / (1 − ρ(1 − B)). Past
    // k > a the terms only shrink, so once B is negligible the rest of the
    // recursion (a million workers is a valid pool) cannot matter.
    let mut blocking = 1.0;
    for k in 1..=servers {
        blocking = load * blocking / (k as f64 + load * blocking);
        if k as f64 > load && blocking < 1e-30 {
            break;
        }
    }
    let rho = load / servers as f64;
    blocking / (1.0 - rho * (1.0 - blocking))
}

/// Mean wait in queue of M/M/c: C(c, λS) · S / (c − λS); infinite when
/// λS ≥ c. `arrival_rate` per second, `service` and the result in any one
/// time unit.
pub fn mmc_wait(servers: u32, arrival_rate: f64, service: f64) -> f64 {
    let load = arrival_rate * service;
    if load >= servers as f64 {
        return f64::INFINITY;
    }
    if load <= 0.0 {
        return 0.0;
    }
    erlang_c(servers, load) * service / (servers as f64 - load)
}

/// One station in the estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct StationEstimate {
    pub station: String,
    /// The output scopes the figures are for (their mean), when they are
    /// not the whole station's (see `StationDemand::scopes`).
    pub scopes: Vec<String>,
    /// Where its calls wait when that is not the station (a consumer's
    /// queue): the scope whose `queue_wait_mean_ms` to compare.
    pub wait_scope: Option<String>,
    /// Calls per second.
    pub arrival_rate: f64,
    /// Worker (or connection) utilization, waits included in holding times.
    pub utilization: f64,
    /// CPU utilization; pools only.
    pub cpu_utilization: Option<f64>,
    /// Mean wait for a worker or connection, ms (infinite when saturated).
    pub wait_ms: f64,
}

impl StationEstimate {
    /// The larger of the worker and CPU utilizations.
    pub fn busiest(&self) -> f64 {
        self.utilization.max(self.cpu_utilization.unwrap_or(0.0))
    }
}

/// One host in the estimate: its components' CPU work on its cores.
#[derive(Clone, Debug, PartialEq)]
pub struct HostEstimate {
    /// `host:<name>`.
    pub station: String,
    /// The components computing on it.
    pub components: Vec<String>,
    /// CPU segments per second, of all its components.
    pub segment_rate: f64,
    /// Busy cores / cores, waits included in the holding times upstream
    /// (CPU work itself does not change with waits).
    pub cpu_utilization: f64,
    /// Mean wait for one of its cores per segment, ms (infinite when
    /// saturated).
    pub wait_ms: f64,
}

/// The estimate for a whole scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Requests per second the estimate is for: the offered peak rate, or
    /// a closed workload's throughput.
    pub throughput_rps: f64,
    pub stations: Vec<StationEstimate>,
    /// Every `[host.*]` with a component on it, in scenario order.
    pub hosts: Vec<HostEstimate>,
    /// The users' mean response time, ms (infinite when a station saturates).
    pub latency_mean_ms: f64,
    /// Whether the waits settled (always, unless a station saturates).
    pub converged: bool,
}

/// Iterations of the wait fixed point; it converges geometrically, in a few
/// dozen steps even near saturation.
const MAX_ITERATIONS: usize = 500;

/// The wait for one of a host's cores per CPU segment, ns: one M/M/c over
/// its cores for the segments of every component on it.
pub fn host_core_wait_ns(host: &HostDemand) -> f64 {
    if host.segment_rate <= 0.0 {
        return 0.0;
    }
    let segment_s = host.busy_cores / host.segment_rate;
    mmc_wait(host.cores, host.segment_rate, segment_s) * 1e9
}

/// New waits from one walk's demands: M/M/c per instance, for workers and
/// for scarce cores; one per host for the cores of the components on it.
fn waits_from(walk: &Walk) -> Waits {
    let stations = &walk.stations;
    let mut waits = Waits {
        worker_ns: Vec::with_capacity(stations.len()),
        core_ns: Vec::with_capacity(stations.len()),
    };
    for demand in stations {
        let instances = demand.instances.max(1) as f64;
        let worker_wait = if demand.arrival_rate > 0.0 {
            let hold_ns = demand.busy_workers * 1e9 / demand.arrival_rate;
            // Consumers pull from one queue: M/M/c over all their workers.
            let (servers, rate) = match demand.pulls_from {
                Some(_) => (
                    demand
                        .servers_per_instance
                        .saturating_mul(demand.instances.max(1)),
                    demand.arrival_rate,
                ),
                None => (demand.servers_per_instance, demand.arrival_rate / instances),
            };
            mmc_wait(servers, rate, hold_ns / 1e9) * 1e9
        } else {
            0.0
        };
        let core_wait = match demand.cores_per_instance {
            // On a host: its wait, below.
            _ if demand.host.is_some() => 0.0,
            Some(cores) if cores < demand.servers_per_instance && demand.segment_rate > 0.0 => {
                let segment_s = demand.busy_cores / demand.segment_rate;
                mmc_wait(cores, demand.segment_rate / instances, segment_s) * 1e9
            }
            _ => 0.0,
        };
        waits.worker_ns.push(worker_wait);
        waits.core_ns.push(core_wait);
    }
    for host in &walk.hosts {
        let wait = host_core_wait_ns(host);
        for &station in &host.stations {
            waits.core_ns[station] = wait;
        }
    }
    waits
}

fn settled(old: &Waits, new: &Waits) -> bool {
    let close = |a: &f64, b: &f64| (a - b).abs() <= 1e-9 * b.abs() + 1e-3;
    old.worker_ns.iter().zip(&new.worker_ns).all(|(a, b)| close(a, b))
        && old.core_ns.iter().zip(&new.core_ns).all(|(a, b)| close(a, b))
}

/// The open-network estimate at `rate` requests per second.
pub fn estimate_at(scenario: &Scenario, rate: f64) -> Estimate {
    let mut waits = Waits::zero(scenario);
    let mut converged = false;
    let mut walk = feasibility::walk(scenario, rate, &waits);
    for _ in 0..MAX_ITERATIONS {
        let next = waits_from(&walk);
        let saturated = next
            .worker_ns
            .iter()
            .chain(&next.core_ns)
            .any(|w| w.is_infinite());
        if saturated {
            waits = next;
            break;
        }
        let done = settled(&waits, &next);
        waits = next;
        walk = feasibility::walk(scenario, rate, &waits);
        if done {
            converged = true;
            break;
        }
    }
    let stations = walk
        .stations
        .iter()
        .zip(&waits.worker_ns)
        .map(|(demand, wait_ns)| StationEstimate {
            station: demand.station.clone(),
            scopes: demand.scopes.clone(),
            wait_scope: demand.pulls_from.clone(),
            arrival_rate: demand.arrival_rate,
            utilization: demand.utilization(),
            cpu_utilization: demand.cpu_utilization(),
            wait_ms: wait_ns / 1e6,
        })
        .collect();
    let hosts = walk
        .hosts
        .iter()
        .map(|host| HostEstimate {
            station: host.station(),
            components: host.components.clone(),
            segment_rate: host.segment_rate,
            cpu_utilization: host.utilization(),
            wait_ms: host_core_wait_ns(host) / 1e6,
        })
        .collect();
    Estimate {
        throughput_rps: rate,
        stations,
        hosts,
        latency_mean_ms: if converged {
            walk.response_ns / 1e6
        } else {
            f64::INFINITY
        },
        converged,
    }
}

/// The estimate at the scenario's workload: its peak open rate, or the
/// throughput a closed population settles at.
pub fn estimate(scenario: &Scenario) -> Estimate {
    match &scenario.workload.arrivals {
        Arrivals::Open { .. } => estimate_at(scenario, offered_rate(scenario)),
        Arrivals::Closed(closed) => closed_estimate(scenario, closed.users as f64, closed.think.mean() / 1e9),
    }
}

/// Solves X = N / (Z + R(X)) by bisection: X·(Z + R(X)) − N grows with X.
fn closed_estimate(scenario: &Scenario, users: f64, think_s: f64) -> Estimate {
    let excess = |rate: f64| {
        let estimate = estimate_at(scenario, rate);
        rate * (think_s + estimate.latency_mean_ms / 1e3) - users
    };
    let mut high = if think_s > 0.0 { users / think_s } else { 1.0 };
    while excess(high) < 0.0 && high < 1e12 {
        high *= 2.0;
    }
    let mut low = 0.0;
    // 64 halvings leave the bracket below 1e-19 of its width.
    for _ in 0..64 {
        let middle = (low + high) / 2.0;
        if excess(middle) < 0.0 {
            low = middle;
        } else {
            high = middle;
        }
    }
    estimate_at(scenario, low)
}

/// How far an estimate may be from the simulation before the difference is
/// flagged. Utilizations follow from the utilization law, which holds in
/// expectation whatever the distributions, so they must agree closely;
/// waits and response times come from M/M/c, which is off by up to a factor
/// of about two for far-from-exponential service (deterministic service
/// halves an M/M/1 wait), so only larger gaps are flagged.
pub const UTILIZATION_TOLERANCE: f64 = 0.05;
pub const TIME_FACTOR_TOLERANCE: f64 = 2.0;
/// Differences below this many milliseconds are never flagged.
pub const TIME_FLOOR_MS: f64 = 1.0;

/// One row of the estimate-against-simulation table.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub station: String,
    pub estimated_utilization: f64,
    pub simulated_utilization: f64,
    pub estimated_wait_ms: f64,
    pub simulated_wait_ms: f64,
    /// Why the two disagree, if they do.
    pub disagreement: Option<String>,
}

fn times_disagree(estimated: f64, simulated: f64) -> bool {
    if !estimated.is_finite() || !simulated.is_finite() {
        return estimated.is_finite() != simulated.is_finite();
    }
    let (low, high) = (estimated.min(simulated), estimated.max(simulated));
    high - low > TIME_FLOOR_MS && high > TIME_FACTOR_TOLERANCE * low
}

/// A simulated value by scope and metric (a run's summary, or the means of
/// a replicated one).
pub type Lookup<'a> = dyn Fn(&str, &str) -> Option<f64> + 'a;

/// `Lookup` over a run's summary.
pub fn lookup(summary: &Summary) -> impl Fn(&str, &str) -> Option<f64> + '_ {
    |scope, metric| summary.get(scope, metric)
}

/// Compares the estimate with simulated values, station by station (the
/// busier of workers and CPU), and the users' mean latency as `overall`.
pub fn compare(estimate: &Estimate, simulated: &Lookup) -> Vec<Comparison> {
    let mut rows = Vec::new();
    for station in &estimate.stations {
        // The whole station's figure, or the mean over the nodes the
        // estimate is for.
        let get = |metric| {
            if station.scopes.is_empty() {
                return simulated(&station.station, metric).unwrap_or(f64::NAN);
            }
            let values: Vec<f64> = station
                .scopes
                .iter()
                .filter_map(|s| simulated(s, metric))
                .collect();
            if values.len() == station.scopes.len() {
                values.iter().sum::<f64>() / values.len() as f64
            } else {
                f64::NAN
            }
        };
        let simulated_utilization = get(metric::UTILIZATION.name).max(get(metric::CPU_UTILIZATION.name));
        let simulated_wait_ms = match &station.wait_scope {
            Some(queue) => simulated(queue, metric::QUEUE_WAIT_MEAN_MS.name).unwrap_or(f64::NAN),
            None => get(metric::WAIT_MEAN_MS.name),
        };
        let estimated_utilization = station.busiest();
        let mut reasons = Vec::new();
        if (estimated_utilization - simulated_utilization).abs() > UTILIZATION_TOLERANCE {
            reasons.push(format!(
                "utilization {estimated_utilization:.2} estimated, {simulated_utilization:.2} simulated"
            ));
        }
        if times_disagree(station.wait_ms, simulated_wait_ms) {
            reasons.push(format!(
                "wait {:.2} ms estimated, {simulated_wait_ms:.2} ms simulated",
                station.wait_ms
            ));
        }
        rows.push(Comparison {
            station: station.station.clone(),
            estimated_utilization,
            simulated_utilization,
            estimated_wait_ms: station.wait_ms,
            simulated_wait_ms,
            disagreement: (!reasons.is_empty()).then(|| reasons.join("; ")),
        });
    }
    // A host: its busy cores against the simulation's `host:<name>` row.
    // The simulation has no single wait for a host (each component has its
    // own `cpu_wait_mean_ms`), so only the utilization is compared.
    for host in &estimate.hosts {
        let simulated_utilization =
            simulated(&host.station, metric::CPU_UTILIZATION.name).unwrap_or(f64::NAN);
        let disagrees = (host.cpu_utilization - simulated_utilization).abs() > UTILIZATION_TOLERANCE;
        rows.push(Comparison {
            station: host.station.clone(),
            estimated_utilization: host.cpu_utilization,
            simulated_utilization,
            estimated_wait_ms: host.wait_ms,
            simulated_wait_ms: f64::NAN,
            disagreement: disagrees.then(|| {
                format!(
                    "utilization {:.2} estimated, {simulated_utilization:.2} simulated",
                    host.cpu_utilization
                )
            }),
        });
    }
    let simulated_latency = simulated("overall", metric::LATENCY_MEAN_MS.name).unwrap_or(f64::NAN);
    rows.push(Comparison {
        station: "overall".to_owned(),
        estimated_utilization: f64::NAN,
        simulated_utilization: f64::NAN,
        estimated_wait_ms: estimate.latency_mean_ms,
        simulated_wait_ms: simulated_latency,
        disagreement: times_disagree(estimate.latency_mean_ms, simulated_latency).then(|| {
            format!(
                "mean latency {:.2} ms estimated, {simulated_latency:.2} ms simulated",
                estimate.latency_mean_ms
            )
        }),
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    fn station(workers: u32, rate: u32, service: &str) -> Scenario {
        load_str(&format!(
            "[scenario]\nduration = \"1s\"\n[workload]\narrivals = {{ kind = \"open\", rate = \"{rate}/s\" }}\n\
             mix = [{{ class = \"q\", call = \"srv/work\" }}]\n[pool.srv]\nworkers = {workers}\n\
             [pool.srv.endpoint.work]\nservice = {service}\n"
        ))
        .unwrap()
        .scenario
    }

    #[test]
    fn erlang_c_known_values() {
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(erlang_c(3, 3.0), 1.0);
        // M/M/1 wait: ρS/(1 − ρ).
        assert!((mmc_wait(1, 900.0, 0.001) - 0.009).abs() < 1e-12);
        // A huge pool at low load: no wait, and answered at once.
        assert!(erlang_c(1_000_000, 10.0) < 1e-30);
    }

    #[test]
    fn a_single_mmc_station_matches_its_formula() {
        // M/M/4 at 3000/s with 1 ms service: W = C/(cμ − λ) + 1/μ.
        let estimate = estimate(&station(4, 3000, "{ dist = \"exp\", mean = \"1ms\" }"));
        let wait_ms = erlang_c(4, 3.0) / (4.0 - 3.0);
        assert!((estimate.stations[0].wait_ms - wait_ms).abs() < 1e-9);
        assert!((estimate.latency_mean_ms - (wait_ms + 1.0)).abs() < 1e-9);
        assert!((estimate.stations[0].utilization - 0.75).abs() < 1e-12);
        assert!(estimate.converged);
    }

    #[test]
    fn a_saturated_station_has_no_finite_estimate() {
        let estimate = estimate(&station(1, 1200, "\"1ms\""));
        assert!(estimate.stations[0].wait_ms.is_infinite());
        assert!(estimate.latency_mean_ms.is_infinite());
    }

    #[test]
    fn database_waits_lengthen_the_callers_hold() {
        let scenario = load_str(
            "[scenario]\nduration = \"1s\"\n[workload]\narrivals = { kind = \"open\", rate = \"900/s\" }\n\
             mix = [{ class = \"q\", call = \"web/get\" }]\n[pool.web]\nworkers = 50\n\
             [pool.web.endpoint.get]\nservice = \"1ms\"\nsteps = [{ read = \"db\" }]\n\
             [database.db]\nconnections = 1\nread_cpu = \"0s\"\nread = { dist = \"exp\", mean = \"1ms\" }\n",
        )
        .unwrap()
        .scenario;
        let estimate = estimate(&scenario);
        // The database is M/M/1 at ρ = 0.9: 9 ms of wait, which the web
        // workers hold through: 900/s × (1 + 9 + 1) ms = 9.9 busy of 50.
        assert!((estimate.stations[1].wait_ms - 9.0).abs() < 1e-6);
        assert!((estimate.stations[0].utilization - 9.9 / 50.0).abs() < 1e-6);
        assert!((estimate.latency_mean_ms - 11.0).abs() < 1e-6);
    }

    #[test]
    fn closed_workload_obeys_the_response_time_law() {
        let scenario = load_str(
            "[scenario]\nduration = \"1s\"\n[workload]\n\
             arrivals = { kind = \"closed\", users = 10, think = { dist = \"exp\", mean = \"9ms\" } }\n\
             mix = [{ class = \"q\", call = \"srv/work\" }]\n[pool.srv]\nworkers = 1\n\
             [pool.srv.endpoint.work]\nservice = { dist = \"exp\", mean = \"1ms\" }\n",
        )
        .unwrap()
        .scenario;
        let estimate = estimate(&scenario);
        let x = estimate.throughput_rps;
        // X = N / (Z + R) and X below the bottleneck's 1000/s.
        assert!((x * (0.009 + estimate.latency_mean_ms / 1e3) - 10.0).abs() < 1e-6);
        assert!(x < 1000.0 && x > 500.0);
    }

    /// Two components on one 2-core host, 900 CPU jobs/s each (exp 1 ms):
    /// one M/M/2 at λ = 1.8/ms, as `tests/it/host_cores.rs` simulates. Its
    /// wait is Erlang C's, written out for c = 2 and a = λ/μ = 1.8:
    /// C = (a²/2 · 2/(2 − a)) / (1 + a + a²/2 · 2/(2 − a)), W = C/(2μ − λ)
    /// ≈ 4.26 ms, and each class's response W + 1 ms.
    #[test]
    fn components_on_a_host_wait_as_one_m_m_c() {
        let a: f64 = 1.8;
        let queued = a * a / 2.0 * 2.0 / (2.0 - a);
        let wait_ms = queued / (1.0 + a + queued) / (2.0 - a);
        assert!((wait_ms - 4.263).abs() < 1e-3, "{wait_ms}");
        let estimate = estimate(&crate::study::feasibility::tests::two_components(1800, true));
        let host = &estimate.hosts[0];
        assert_eq!(
            (host.station.as_str(), host.components.as_slice()),
            ("host:box", &["app".to_owned(), "db".to_owned()][..])
        );
        assert!((host.cpu_utilization - 0.9).abs() < 1e-12);
        assert!((host.wait_ms - wait_ms).abs() < 1e-9, "{host:?}");
        assert!((estimate.latency_mean_ms - (wait_ms + 1.0)).abs() < 1e-9);
        // Each component's CPU is its share of the host, as simulated.
        for station in &estimate.stations {
            assert!(
                (station.cpu_utilization.unwrap() - 0.45).abs() < 1e-12,
                "{station:?}"
            );
        }
        // On 2 cores each: two M/M/2 at a = 0.9, a tenth of the wait.
        let apart = estimate_at(
            &crate::study::feasibility::tests::two_components(1800, false),
            1800.0,
        );
        let queued = 0.9 * 0.9 / 2.0 * 2.0 / 1.1;
        let apart_wait_ms = queued / (1.0 + 0.9 + queued) / 1.1;
        assert!(apart.hosts.is_empty());
        assert!(
            (apart.latency_mean_ms - (apart_wait_ms + 1.0)).abs() < 1e-9,
            "{apart:?}"
        );
    }

    /// The host's row compares its busy cores with the simulation's
    /// `host:box` row, and flags only a large gap.
    #[test]
    fn comparison_has_the_host_row() {
        let estimate = estimate(&crate::study::feasibility::tests::two_components(1800, true));
        let host_row = |simulated: f64| {
            let lookup = move |scope: &str, metric: &str| {
                (scope == "host:box" && metric == "cpu_utilization").then_some(simulated)
            };
            compare(&estimate, &lookup)
                .into_iter()
                .find(|row| row.station == "host:box")
                .expect("a row for the host")
        };
        let close = host_row(0.9004);
        assert!(close.disagreement.is_none(), "{close:?}");
        assert!((close.estimated_utilization - 0.9).abs() < 1e-12);
        assert!(host_row(0.5).disagreement.is_some());
    }

    #[test]
    fn a_saturated_host_has_no_finite_estimate() {
        let estimate = estimate(&crate::study::feasibility::tests::two_components(2400, true));
        assert!(estimate.hosts[0].wait_ms.is_infinite());
        assert!(estimate.latency_mean_ms.is_infinite());
        assert!(!estimate.converged);
    }

    #[test]
    fn comparison_flags_large_gaps_only() {
        let estimate = estimate(&station(1, 500, "{ dist = \"exp\", mean = \"1ms\" }"));
        let mut summary = Summary::default();
        summary.push("srv", "utilization", 0.51);
        summary.push("srv", "wait_mean_ms", 0.9);
        summary.push("overall", "latency_mean_ms", 2.05);
        let rows = compare(&estimate, &lookup(&summary));
        assert!(rows.iter().all(|row| row.disagreement.is_none()), "{rows:?}");
        summary.rows[0].value = 0.8;
        summary.rows[1].value = 12.0;
        let rows = compare(&estimate, &lookup(&summary));
        let flagged = rows[0].disagreement.as_deref().unwrap();
        assert!(
            flagged.contains("utilization") && flagged.contains("wait"),
            "{flagged}"
        );
    }
}
