//! The feasibility pre-check: before simulating, estimate each station's
//! offered load from the workload and the step programs (the utilization
//! law, ρ = λ·E[S] / servers) and warn where ρ ≥ 1, because such a station
//! can only queue without bound.
//!
//! The estimate ignores retries and queueing delays (it is a lower bound on
//! load): a warning here is certain trouble, silence is not a guarantee.

use crate::scenario::{Arrivals, Concurrency, Scenario, Step};

/// One station's estimated load.
#[derive(Clone, Debug, PartialEq)]
pub struct StationLoad {
    pub station: String,
    /// Calls per second reaching the station.
    pub arrival_rate: f64,
    /// Worker (or connection) utilization: λ·E[holding time] / workers.
    pub utilization: f64,
    /// CPU utilization: λ·E[compute] / (cores · speed); pools only.
    pub cpu_utilization: Option<f64>,
}

/// Expected work one call of a program puts on its station and below.
#[derive(Default)]
struct Demand {
    /// Mean compute time at the calling station, ns.
    compute_ns: f64,
    /// Mean time the caller's worker is held, ns (thread per request).
    hold_ns: f64,
}

/// The peak open arrival rate, or the closed workload's throughput bound
/// (users / mean think time).
pub fn offered_rate(scenario: &Scenario) -> f64 {
    match &scenario.workload.arrivals {
        Arrivals::Open { rate, .. } => {
            let base = rate.per_second();
            scenario
                .workload
                .profile
                .iter()
                .map(|change| change.rate)
                .fold(base, f64::max)
        }
        Arrivals::Closed { users, think } => *users as f64 / (think.mean() / 1e9).max(1e-9),
    }
}

struct Estimator<'s> {
    scenario: &'s Scenario,
    /// Calls per second per station, in scenario order (pools, then databases).
    rates: Vec<f64>,
    compute: Vec<f64>,
    hold: Vec<f64>,
    /// Per database: busy-connection seconds per second of reads and writes.
    database_reads: Vec<f64>,
    database_writes: Vec<f64>,
}

impl<'s> Estimator<'s> {
    fn station_index(&self, name: &str) -> usize {
        if let Some(index) = self.scenario.pools.iter().position(|p| p.name == name) {
            return index;
        }
        self.scenario.pools.len()
            + self
                .scenario
                .databases
                .iter()
                .position(|d| d.name == name)
                .expect("references are checked at load")
    }

    /// Adds `rate` calls/s of `pool/endpoint`; returns the mean time one call
    /// takes end to end, ignoring queueing (ns).
    fn endpoint(&mut self, pool_name: &str, endpoint: &str, rate: f64) -> f64 {
        let scenario = self.scenario;
        let pool = scenario.pool(pool_name).expect("checked");
        let speed = scenario.pool_size(pool).speed;
        let endpoint = pool
            .endpoints
            .iter()
            .find(|e| e.name == endpoint)
            .expect("checked");
        let index = self.station_index(pool_name);
        self.rates[index] += rate;
        let mut demand = Demand {
            compute_ns: endpoint.service.mean() / speed,
            hold_ns: endpoint.service.mean() / speed,
        };
        self.steps(&endpoint.steps, rate, speed, &mut demand);
        self.compute[index] += rate * demand.compute_ns;
        let held = match pool.concurrency {
            Concurrency::ThreadPerRequest => demand.hold_ns,
            Concurrency::Async => demand.compute_ns,
        };
        self.hold[index] += rate * held;
        demand.hold_ns
    }

    fn steps(&mut self, steps: &[Step], rate: f64, speed: f64, demand: &mut Demand) {
        let hop = 2.0 * self.scenario.network.default.mean();
        for step in steps {
            match step {
                Step::Compute(dist) => {
                    demand.compute_ns += dist.mean() / speed;
                    demand.hold_ns += dist.mean() / speed;
                }
                Step::Delay(dist) => demand.hold_ns += dist.mean(),
                Step::Call(target) => {
                    let pool = self
                        .scenario
                        .pool_behind(&target.component)
                        .expect("checked")
                        .name
                        .clone();
                    demand.hold_ns += hop + self.endpoint(&pool, &target.endpoint, rate);
                } // A cache in front is ignored here: every read is counted
                // as reaching the database (an upper bound on its load).
                Step::Read {
                    database, service, ..
                }
                | Step::Write {
                    database, service, ..
                } => {
                    let db = self.scenario.database(database).expect("checked");
                    let is_read = matches!(step, Step::Read { .. });
                    let time = match service {
                        Some(dist) => dist.mean(),
                        None if is_read => db.read.mean(),
                        None => db.write.mean(),
                    };
                    let index = self.station_index(database);
                    self.rates[index] += rate;
                    let database_index = index - self.scenario.pools.len();
                    if is_read {
                        self.database_reads[database_index] += rate * time;
                    } else {
                        self.database_writes[database_index] += rate * time;
                    }
                    demand.hold_ns += hop + time;
                }
                Step::Parallel(branches) => {
                    let mut longest: f64 = 0.0;
                    for branch in branches {
                        let mut inner = Demand::default();
                        self.steps(branch, rate, speed, &mut inner);
                        demand.compute_ns += inner.compute_ns;
                        longest = longest.max(inner.hold_ns);
                    }
                    demand.hold_ns += longest;
                }
                Step::Maybe { probability, steps } => {
                    let mut inner = Demand::default();
                    self.steps(steps, rate * probability, speed, &mut inner);
                    demand.compute_ns += probability * inner.compute_ns;
                    demand.hold_ns += probability * inner.hold_ns;
                }
            }
        }
    }
}

/// Estimated load on every station at the workload's peak rate.
pub fn estimate(scenario: &Scenario) -> Vec<StationLoad> {
    let stations = scenario.pools.len() + scenario.databases.len();
    let mut estimator = Estimator {
        scenario,
        rates: vec![0.0; stations],
        compute: vec![0.0; stations],
        hold: vec![0.0; stations],
        database_reads: vec![0.0; scenario.databases.len()],
        database_writes: vec![0.0; scenario.databases.len()],
    };
    let rate = offered_rate(scenario);
    let total_weight: f64 = scenario.workload.mix.iter().map(|c| c.weight).sum();
    for class in &scenario.workload.mix {
        let pool = scenario
            .pool_behind(&class.call.component)
            .expect("checked")
            .name
            .clone();
        estimator.endpoint(&pool, &class.call.endpoint, rate * class.weight / total_weight);
    }
    let mut loads = Vec::with_capacity(stations);
    for (index, pool) in scenario.pools.iter().enumerate() {
        let size = scenario.pool_size(pool);
        let workers = (pool.workers as f64) * pool.instances as f64;
        let cores = (size.cores.min(pool.workers) as f64) * pool.instances as f64;
        loads.push(StationLoad {
            station: pool.name.clone(),
            arrival_rate: estimator.rates[index],
            utilization: estimator.hold[index] / 1e9 / workers,
            cpu_utilization: Some(estimator.compute[index] / 1e9 / cores),
        });
    }
    for (offset, database) in scenario.databases.iter().enumerate() {
        let index = scenario.pools.len() + offset;
        // Writes go to the primaries; reads to the replicas when reads use
        // them, else to the primaries; keys spread evenly over shards.
        let (reads, writes) = (
            estimator.database_reads[offset] / 1e9,
            estimator.database_writes[offset] / 1e9,
        );
        let shards = database.shards as f64;
        let connections = database.connections as f64;
        let replicas_read = database.replicas > 0 && database.read_from != crate::scenario::ReadFrom::Primary;
        let primary = (writes + if replicas_read { 0.0 } else { reads }) / (shards * connections);
        let replica = if replicas_read {
            reads / (shards * database.replicas as f64 * connections)
        } else {
            0.0
        };
        loads.push(StationLoad {
            station: database.name.clone(),
            arrival_rate: estimator.rates[index],
            utilization: primary.max(replica),
            cpu_utilization: None,
        });
    }
    loads
}

/// Warnings for stations that cannot keep up.
pub fn warnings(loads: &[StationLoad]) -> Vec<String> {
    let mut warnings = Vec::new();
    for load in loads {
        if load.utilization >= 1.0 {
            warnings.push(format!(
                "`{}` is overloaded: offered {:.0} calls/s need {:.2}× its workers (ρ = {:.2} ≥ 1); queues will grow without bound",
                load.station, load.arrival_rate, load.utilization, load.utilization
            ));
        }
        if let Some(cpu) = load.cpu_utilization
            && cpu >= 1.0
            && load.utilization < 1.0
        {
            warnings.push(format!(
                "`{}` is CPU-bound: offered {:.0} calls/s need {:.2}× its cores (ρ = {cpu:.2} ≥ 1)",
                load.station, load.arrival_rate, cpu
            ));
        }
    }
    warnings
}
