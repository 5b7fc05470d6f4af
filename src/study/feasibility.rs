//! The feasibility pre-check: before simulating, estimate each station's
//! offered load from the workload and the step programs (the utilization
//! law, ρ = λ·E[S] / servers) and warn where ρ ≥ 1, because such a station
//! can only queue without bound.
//!
//! The estimate ignores retries and queueing delays (it is a lower bound on
//! load): a warning here is certain trouble, silence is not a guarantee.
//!
//! The walk over the call graph (`walk`) also takes per-station queueing
//! delays, so `analytic` can add M/M/c waits and walk again: with waits, a
//! thread-per-request caller holds its worker longer, which is how a slow
//! database exhausts the pool in front of it.

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
    /// Mean time spent computing or waiting for a core, ns (what an async
    /// worker is held for).
    cpu_ns: f64,
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

/// Queueing delays a call meets, per station (scenario order: pools, then
/// databases), in ns. All zero for the plain utilization law; the analytic
/// estimate fills them in and walks again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Waits {
    /// Wait for a worker (pools) or connection (databases) per call.
    pub worker_ns: Vec<f64>,
    /// Wait for a core per compute segment (pools whose cores are scarce).
    pub core_ns: Vec<f64>,
}

impl Waits {
    pub fn zero(scenario: &Scenario) -> Self {
        let stations = scenario.pools.len() + scenario.databases.len();
        Waits {
            worker_ns: vec![0.0; stations],
            core_ns: vec![0.0; stations],
        }
    }
}

/// What the workload asks of one station, summed over every call path.
#[derive(Clone, Debug, PartialEq)]
pub struct StationDemand {
    pub station: String,
    /// Calls per second reaching the station.
    pub arrival_rate: f64,
    /// Busy workers (or connections) on average: Σ rate × holding time.
    pub busy_workers: f64,
    /// Busy cores on average (compute only); zero for databases.
    pub busy_cores: f64,
    /// Compute segments (a service time or a `compute` step) per second.
    pub segment_rate: f64,
    pub instances: u32,
    /// Workers (or connections) per instance.
    pub servers_per_instance: u32,
    /// Cores per instance that can compute at once (min of cores and
    /// workers); `None` for databases.
    pub cores_per_instance: Option<u32>,
}

/// The result of walking the call graph at one arrival rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Walk {
    pub stations: Vec<StationDemand>,
    /// The mean time a user waits for a response (first attempt, no
    /// retries), weighted over the classes, ns.
    pub response_ns: f64,
}

struct Estimator<'s> {
    scenario: &'s Scenario,
    waits: &'s Waits,
    /// Calls per second per station, in scenario order (pools, then databases).
    rates: Vec<f64>,
    compute: Vec<f64>,
    hold: Vec<f64>,
    segments: Vec<f64>,
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
    /// takes from its arrival at the pool to its reply (ns), queueing delays
    /// included as far as `waits` has them.
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
        self.segments[index] += rate;
        let service_ns = endpoint.service.mean() / speed;
        let core_wait = self.waits.core_ns[index];
        let mut demand = Demand {
            compute_ns: service_ns,
            hold_ns: service_ns + core_wait,
            cpu_ns: service_ns + core_wait,
        };
        self.steps(&endpoint.steps, rate, index, speed, &mut demand);
        self.compute[index] += rate * demand.compute_ns;
        let held = match pool.concurrency {
            Concurrency::ThreadPerRequest => demand.hold_ns,
            Concurrency::Async => demand.cpu_ns,
        };
        self.hold[index] += rate * held;
        self.waits.worker_ns[index] + demand.hold_ns
    }

    fn steps(&mut self, steps: &[Step], rate: f64, station: usize, speed: f64, demand: &mut Demand) {
        let hop = 2.0 * self.scenario.network.default.mean();
        for step in steps {
            match step {
                Step::Compute(dist) => {
                    let compute = dist.mean() / speed;
                    let core_wait = self.waits.core_ns[station];
                    self.segments[station] += rate;
                    demand.compute_ns += compute;
                    demand.hold_ns += compute + core_wait;
                    demand.cpu_ns += compute + core_wait;
                }
                Step::Delay(dist) => demand.hold_ns += dist.mean(),
                Step::Call(target) => {
                    let pool = self
                        .scenario
                        .pool_behind(&target.component)
                        .expect("checked")
                        .name
                        .clone();
                    let balancer = balancer_time_ns(self.scenario, &target.component);
                    demand.hold_ns += hop + balancer + self.endpoint(&pool, &target.endpoint, rate);
                }
                Step::Read { database, service } | Step::Write { database, service } => {
                    let db = self.scenario.database(database).expect("checked");
                    let time = match (service, step) {
                        (Some(dist), _) => dist.mean(),
                        (None, Step::Read { .. }) => db.read.as_ref().expect("checked").mean(),
                        (None, _) => db.write.as_ref().expect("checked").mean(),
                    };
                    let index = self.station_index(database);
                    self.rates[index] += rate;
                    self.hold[index] += rate * time;
                    demand.hold_ns += hop + self.waits.worker_ns[index] + time;
                }
                Step::Parallel(branches) => {
                    let mut longest: f64 = 0.0;
                    for branch in branches {
                        let mut inner = Demand::default();
                        self.steps(branch, rate, station, speed, &mut inner);
                        demand.compute_ns += inner.compute_ns;
                        demand.cpu_ns += inner.cpu_ns;
                        longest = longest.max(inner.hold_ns);
                    }
                    demand.hold_ns += longest;
                }
                Step::Maybe { probability, steps } => {
                    let mut inner = Demand::default();
                    self.steps(steps, rate * probability, station, speed, &mut inner);
                    demand.compute_ns += probability * inner.compute_ns;
                    demand.hold_ns += probability * inner.hold_ns;
                    demand.cpu_ns += probability * inner.cpu_ns;
                }
            }
        }
    }
}

/// The extra time a call through `component` spends in a balancer: its own
/// latency plus the hop from the balancer to the instance (ns); zero when
/// the call goes straight to a pool.
fn balancer_time_ns(scenario: &Scenario, component: &str) -> f64 {
    let name = scenario
        .dns_name(component)
        .map_or(component, |dns| dns.target.as_str());
    scenario.balancer(name).map_or(0.0, |balancer| {
        balancer.latency.mean() + scenario.network.default.mean()
    })
}

/// The share of a user's requests to the DNS name `dns` that must resolve
/// it first: after a lookup the answer serves every request within the TTL
/// (r·ttl of them for a user sending r requests/s), so one request in
/// 1 + r·ttl looks the name up.
fn lookup_share(dns: &crate::scenario::Dns, rate_to_name: f64, users: u64) -> f64 {
    let per_user = rate_to_name / users.max(1) as f64;
    1.0 / (1.0 + per_user * dns.ttl.as_secs_f64())
}

/// Walks every class's call graph at `rate` requests/s, adding the queueing
/// delays in `waits`: per-station demand and the users' mean response time.
pub fn walk(scenario: &Scenario, rate: f64, waits: &Waits) -> Walk {
    let stations = scenario.pools.len() + scenario.databases.len();
    let mut estimator = Estimator {
        scenario,
        waits,
        rates: vec![0.0; stations],
        compute: vec![0.0; stations],
        hold: vec![0.0; stations],
        segments: vec![0.0; stations],
    };
    let users = match &scenario.workload.arrivals {
        Arrivals::Open { users, .. } | Arrivals::Closed { users, .. } => *users,
    };
    let total_weight: f64 = scenario.workload.mix.iter().map(|c| c.weight).sum();
    let client_round_trip = 2.0 * scenario.network.client.mean();
    let mut response_ns = 0.0;
    for class in &scenario.workload.mix {
        let share = class.weight / total_weight;
        let pool = scenario
            .pool_behind(&class.call.component)
            .expect("checked")
            .name
            .clone();
        let served = estimator.endpoint(&pool, &class.call.endpoint, rate * share);
        let lookup = scenario.dns_name(&class.call.component).map_or(0.0, |dns| {
            let rate_to_name: f64 = scenario
                .workload
                .mix
                .iter()
                .filter(|other| other.call.component == dns.name)
                .map(|other| rate * other.weight / total_weight)
                .sum();
            lookup_share(dns, rate_to_name, users) * dns.resolve.mean()
        });
        let balancer = balancer_time_ns(scenario, &class.call.component);
        response_ns += share * (client_round_trip + lookup + balancer + served);
    }
    let mut demands = Vec::with_capacity(stations);
    for (index, pool) in scenario.pools.iter().enumerate() {
        let size = scenario.pool_size(pool);
        demands.push(StationDemand {
            station: pool.name.clone(),
            arrival_rate: estimator.rates[index],
            busy_workers: estimator.hold[index] / 1e9,
            busy_cores: estimator.compute[index] / 1e9,
            segment_rate: estimator.segments[index],
            instances: pool.instances,
            servers_per_instance: pool.workers,
            cores_per_instance: Some(size.cores.min(pool.workers)),
        });
    }
    for (offset, database) in scenario.databases.iter().enumerate() {
        let index = scenario.pools.len() + offset;
        demands.push(StationDemand {
            station: database.name.clone(),
            arrival_rate: estimator.rates[index],
            busy_workers: estimator.hold[index] / 1e9,
            busy_cores: 0.0,
            segment_rate: 0.0,
            instances: 1,
            servers_per_instance: database.connections,
            cores_per_instance: None,
        });
    }
    Walk {
        stations: demands,
        response_ns,
    }
}

impl StationDemand {
    /// Worker (or connection) utilization.
    pub fn utilization(&self) -> f64 {
        self.busy_workers / (self.servers_per_instance as f64 * self.instances as f64)
    }

    /// CPU utilization (pools only).
    pub fn cpu_utilization(&self) -> Option<f64> {
        self.cores_per_instance
            .map(|cores| self.busy_cores / (cores as f64 * self.instances as f64))
    }
}

/// Estimated load on every station at the workload's peak rate.
pub fn estimate(scenario: &Scenario) -> Vec<StationLoad> {
    let walk = walk(scenario, offered_rate(scenario), &Waits::zero(scenario));
    walk.stations
        .iter()
        .map(|demand| StationLoad {
            station: demand.station.clone(),
            arrival_rate: demand.arrival_rate,
            utilization: demand.utilization(),
            cpu_utilization: demand.cpu_utilization(),
        })
        .collect()
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
