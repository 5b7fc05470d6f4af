//! The feasibility pre-check: before simulating, estimate each station's
//! offered load from the workload and the step programs (the utilization
//! law, ρ = λ·E[S] / servers) and warn where ρ ≥ 1, because such a station
//! can only queue without bound.
//!
//! The estimate ignores retries and queueing delays (it is a lower bound on
//! load): a warning here is certain trouble, silence is not a guarantee.
//!
//! Data steps: reads behind a cache reach the database only on a miss, at
//! the hit ratio cache theory predicts (`cache_estimate`); writes load the
//! primaries, reads the replicas when reads go to replicas; keys spread
//! evenly over shards (a hot shard shows only in the simulation). A
//! database's figures are those of its busiest kind of node, in its
//! starting layout (before any reshard).
//!
//! Hosts: a pool, database or cache placed on a `[host.*]` computes on
//! the host's cores, as in the simulation: its CPU figure is its own busy
//! cores over the host's cores (per instance or node), and a row per host
//! (`host:<name>`) sums the CPU work of every component on it, so two
//! components at 60 % of a 2-core host each show the host at 120 %.
//!
//! The walk over the call graph (`walk`) also takes per-station queueing
//! delays, so `analytic` can add M/M/c waits and walk again: with waits, a
//! thread-per-request caller holds its worker longer, which is how a slow
//! database exhausts the pool in front of it.

use super::cache_estimate::{self, CacheTraffic};
use std::collections::HashMap;

use crate::engine::id::IdVec;
use crate::model::CacheVisits;
use crate::scenario::geo::Placed;
use crate::scenario::ids::{BalancerId, CacheId, DnsId, HostId, PoolId};
use crate::scenario::{
    Arrivals, CdnOrigin, ClassCall, Concurrency, DataStepKeys, Endpoint, Entry, ReadFrom, Scenario, Step,
    Target,
};

/// One station's estimated load.
#[derive(Clone, Debug, PartialEq)]
pub struct StationLoad {
    pub station: String,
    /// Calls per second reaching the station.
    pub arrival_rate: f64,
    /// Worker (or connection) utilization: λ·E[holding time] / workers.
    pub utilization: f64,
    /// CPU utilization: λ·E[compute] / (cores · speed); pools, and
    /// databases with a size.
    pub cpu_utilization: Option<f64>,
    /// What `utilization` is of.
    pub servers: Servers,
    /// The host a component computes on (its `cpu_utilization` is then of
    /// the host's cores, which other components share).
    pub host: Option<String>,
    /// A host's row (`host:<name>`, its cores as `Servers::Cores`): the
    /// components computing on it; empty for every other station.
    pub on_host: Vec<String>,
}

/// What a station's servers are: a pool's workers, a database's or a
/// cache's connections, or a balancer's cores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Servers {
    Workers,
    Connections,
    Cores,
}

impl Servers {
    pub fn name(self) -> &'static str {
        match self {
            Servers::Workers => "workers",
            Servers::Connections => "connections",
            Servers::Cores => "cores",
        }
    }
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
        Arrivals::Closed(closed) => closed.users as f64 / (closed.think.mean() / 1e9).max(1e-9),
    }
}

/// The instance count an autoscaler settles on under a steady load of
/// `busy_workers`: enough for its target utilization (or, scaling on queue
/// depth, enough to keep up), between `min` and `max`.
pub fn settled_instances(scale: &crate::scenario::Autoscale, busy_workers: f64, workers: u32) -> u32 {
    let per_instance = workers as f64
        * match scale.metric {
            crate::scenario::ScaleMetric::Utilization => scale.target.min(1.0),
            crate::scenario::ScaleMetric::QueueDepth => 1.0,
        };
    let needed = (busy_workers / per_instance - 1e-9).ceil().max(0.0);
    (needed.min(u32::MAX as f64) as u32).clamp(scale.min, scale.max)
}

/// Queueing delays a call meets, per station (scenario order: pools,
/// databases, caches, then balancers with `cores`), in ns. All zero for the plain utilization law; the analytic
/// estimate fills them in and walks again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Waits {
    /// Wait for a worker (pools) or connection (databases) per call.
    pub worker_ns: Vec<f64>,
    /// Wait for a core per compute segment (pools whose cores are scarce;
    /// on a host, the host's wait, the same for all its components).
    pub core_ns: Vec<f64>,
}

impl Waits {
    pub fn zero(scenario: &Scenario) -> Self {
        let stations = station_count(scenario);
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
    /// The output scopes of the instances these figures are for, when they
    /// are not the whole station's: a database's busiest kind of node.
    pub scopes: Vec<String>,
    /// Calls per second reaching the station.
    pub arrival_rate: f64,
    /// Busy workers (or connections) on average: Σ rate × holding time.
    pub busy_workers: f64,
    /// Busy cores on average (compute only; a database's CPU parts and
    /// applies; a cache's CPU parts).
    pub busy_cores: f64,
    /// Compute segments (a service time or a `compute` step) per second.
    pub segment_rate: f64,
    pub instances: u32,
    /// Workers (or connections) per instance.
    pub servers_per_instance: u32,
    /// Cores per instance that can compute at once (min of cores and
    /// workers; a database node's size's cores; a cache node's `threads`
    /// cores); `None` for databases without a size.
    pub cores_per_instance: Option<u32>,
    /// A queue's consumer pool: the queue it pulls from. Its calls wait in
    /// that queue (one queue for all its workers), not at an instance.
    pub pulls_from: Option<String>,
    /// The host it computes on, whose cores are its `cores_per_instance`
    /// and whose line it waits in with the host's other components.
    pub host: Option<HostId>,
}

/// What the workload asks of one host: the CPU work of every component
/// placed on it, on its cores.
#[derive(Clone, Debug, PartialEq)]
pub struct HostDemand {
    /// The host's name (`[host.<name>]`).
    pub host: String,
    pub cores: u32,
    /// The components placed on it, in scenario order.
    pub components: Vec<String>,
    /// Their indices in `Walk::stations`.
    pub stations: Vec<usize>,
    /// Busy cores on average, summed over every instance or node of each
    /// component (a database's every node, replicas' applies included).
    pub busy_cores: f64,
    /// CPU segments (computing steps of positive mean) per second.
    pub segment_rate: f64,
}

impl HostDemand {
    /// The host's CPU utilization: busy cores / cores.
    pub fn utilization(&self) -> f64 {
        self.busy_cores / self.cores as f64
    }

    /// The station name of its row: `host:<name>`.
    pub fn station(&self) -> String {
        format!("host:{}", self.host)
    }
}

/// The result of walking the call graph at one arrival rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Walk {
    pub stations: Vec<StationDemand>,
    /// Every `[host.*]` with a component on it, in scenario order.
    pub hosts: Vec<HostDemand>,
    /// The mean time a user waits for a response (first attempt, no
    /// retries), weighted over the classes, ns.
    pub response_ns: f64,
}

/// Every endpoint of the scenario, numbered, with the calls between them:
/// built once per walk, so the walk is linear in the scenario's size (a
/// call graph may fan out into exponentially many paths, and a chain of
/// calls may be as long as the file allows).
struct CallGraph<'s> {
    /// (pool index, endpoint) by endpoint id.
    endpoints: Vec<(usize, &'s Endpoint)>,
    /// The id of each pool's first endpoint.
    first: IdVec<PoolId, usize>,
    /// Calls out of each endpoint: (callee, calls per call of the caller).
    callees: Vec<Vec<(usize, f64)>>,
    /// Time in a balancer on the way through a DNS name or balancer (ns;
    /// see `balancer_time_ns`); absent for pools.
    balancer_ns: HashMap<Entry, f64>,
    /// Callees before callers (reverse topological order).
    bottom_up: Vec<usize>,
}

impl<'s> CallGraph<'s> {
    fn new(scenario: &'s Scenario) -> Self {
        let mut endpoints = Vec::new();
        let mut first = IdVec::new();
        for (pool_index, pool) in scenario.pools.iter().enumerate() {
            first.push(endpoints.len());
            for endpoint in &pool.endpoints {
                endpoints.push((pool_index, endpoint));
            }
        }
        let balancer_ns = (scenario.balancers.ids().map(Entry::Balancer))
            .chain(scenario.dns.ids().map(Entry::Dns))
            .map(|entry| (entry, balancer_time_ns(scenario, entry)))
            .collect();
        let mut graph = CallGraph {
            endpoints,
            first,
            balancer_ns,
            callees: Vec::new(),
            bottom_up: Vec::new(),
        };
        graph.callees = (0..graph.endpoints.len())
            .map(|id| {
                let mut out = Vec::new();
                graph.collect_calls(scenario, &graph.endpoints[id].1.steps, 1.0, &mut out);
                out
            })
            .collect();
        graph.bottom_up = graph.order();
        graph
    }

    /// The endpoint id a call to `target` reaches.
    fn target(&self, scenario: &Scenario, target: Target) -> usize {
        self.first[scenario.entry_pool(target.entry)] + target.endpoint.index()
    }

    fn collect_calls(&self, scenario: &Scenario, steps: &[Step], weight: f64, out: &mut Vec<(usize, f64)>) {
        for step in steps {
            match step {
                Step::Call { target, .. } => {
                    out.push((self.target(scenario, *target), weight));
                }
                Step::Parallel(branches) => {
                    for branch in branches {
                        self.collect_calls(scenario, branch, weight, out);
                    }
                }
                Step::Maybe { keys, steps } => {
                    self.collect_calls(scenario, steps, weight * keys.probability, out)
                }
                // Each message becomes one call of the queue's consumer.
                Step::Enqueue(queue) => {
                    let consumer = scenario.queues[*queue].consumer;
                    out.push((self.target(scenario, consumer), weight));
                }
                _ => {}
            }
        }
    }

    /// Kahn's algorithm, callers first, then reversed. Endpoints on a loop
    /// (rejected at load) are left out.
    fn order(&self) -> Vec<usize> {
        let mut callers = vec![0usize; self.endpoints.len()];
        for out in &self.callees {
            for &(callee, _) in out {
                callers[callee] += 1;
            }
        }
        let mut ready: Vec<usize> = (0..self.endpoints.len())
            .filter(|&id| callers[id] == 0)
            .rev()
            .collect();
        let mut order = Vec::with_capacity(self.endpoints.len());
        while let Some(id) = ready.pop() {
            order.push(id);
            for &(callee, _) in &self.callees[id] {
                callers[callee] -= 1;
                if callers[callee] == 0 {
                    ready.push(callee);
                }
            }
        }
        order.reverse();
        order
    }
}

struct Estimator<'s> {
    scenario: &'s Scenario,
    waits: &'s Waits,
    graph: &'s CallGraph<'s>,
    /// Calls per second per endpoint, and the mean time from a call's
    /// arrival at its pool to its reply (ns), known for callees before
    /// their callers are walked.
    endpoint_rate: Vec<f64>,
    endpoint_response_ns: Vec<f64>,
    /// Calls per second per station, in scenario order (pools, databases,
    /// caches).
    rates: Vec<f64>,
    compute: Vec<f64>,
    hold: Vec<f64>,
    segments: Vec<f64>,
    /// Per database: calls/s and busy-connection seconds per second, of
    /// reads and of writes (they may load different nodes).
    database_reads: Vec<Load>,
    database_writes: Vec<Load>,
    /// Per cache: the hit ratio assumed, and the traffic that reached it.
    cache_hit_ratio: Vec<f64>,
    cache_traffic: Vec<CacheTraffic>,
    /// Balancers with `cores`: their station index.
    balancer_station: HashMap<BalancerId, usize>,
}

/// Calls per second and the busy servers (connections) and cores they keep.
#[derive(Clone, Copy, Default)]
struct Load {
    rate: f64,
    busy: f64,
    cpu: f64,
    /// CPU parts per second (calls with a CPU part; applies).
    segments: f64,
}

fn station_count(scenario: &Scenario) -> usize {
    scenario.pools.len()
        + scenario.databases.len()
        + scenario.caches.len()
        + limited_balancers(scenario).count()
}

/// The balancers with `cores`: stations too, after the caches.
fn limited_balancers(scenario: &Scenario) -> impl Iterator<Item = &crate::scenario::Balancer> {
    scenario
        .balancers
        .iter()
        .filter(|balancer| balancer.cores.is_some())
}

/// The ids of the balancers with `cores`.
fn limited_balancer_ids(scenario: &Scenario) -> impl Iterator<Item = BalancerId> + '_ {
    scenario
        .balancers
        .iter_enumerated()
        .filter(|(_, balancer)| balancer.cores.is_some())
        .map(|(id, _)| id)
}

impl<'s> Estimator<'s> {
    /// Adds `rate` calls/s through `entry` (a DNS name, balancer or pool)
    /// to its balancer when that has `cores`, and returns the mean wait for
    /// one of them, ns (zero otherwise: the rest of the time in a balancer
    /// is `balancer_time_ns`).
    fn balancer_wait(&mut self, entry: Entry, rate: f64) -> f64 {
        let scenario = self.scenario;
        let Some(balancer) = scenario.entry_balancer(entry) else {
            return 0.0;
        };
        let Some(&index) = self.balancer_station.get(&balancer) else {
            return 0.0;
        };
        let latency = scenario.balancers[balancer].latency.mean();
        self.rates[index] += rate;
        self.hold[index] += rate * latency;
        self.waits.worker_ns[index]
    }

    /// Adds `rate` operations/s on a cache; returns the time one takes, ns:
    /// its CPU part on a core (time / speed, after the wait for one), then
    /// its latency, holding a connection throughout.
    fn cache_operation(&mut self, cache: usize, rate: f64) -> f64 {
        let index = self.scenario.pools.len() + self.scenario.databases.len() + cache;
        let scenario = self.scenario;
        let keys = &scenario.caches[CacheId::from_index(cache)];
        let cpu = keys.cpu.mean() / scenario.cache_cores(keys).speed;
        let core_wait = if cpu > 0.0 { self.waits.core_ns[index] } else { 0.0 };
        let time = cpu + core_wait + keys.latency.mean();
        self.rates[index] += rate;
        self.hold[index] += rate * time;
        self.compute[index] += rate * cpu;
        if cpu > 0.0 {
            self.segments[index] += rate;
        }
        2.0 * scenario.network.default.mean() + self.waits.worker_ns[index] + time
    }

    /// Adds `rate` operations/s on a database; returns the time one takes
    /// from the caller's view, ns.
    fn database_operation(&mut self, step: &Step, rate: f64) -> f64 {
        let (Step::Read { database, keys, .. } | Step::Write { database, keys, .. }) = step else {
            unreachable!("only data steps come here")
        };
        let offset = database.index();
        let db = &self.scenario.databases[*database];
        let is_read = matches!(step, Step::Read { .. });
        let io = match &keys.service {
            Some(dist) => dist.mean(),
            None if is_read => db.read.mean(),
            None => db.write.mean(),
        };
        let speed = self.scenario.database_size(db).speed;
        let cpu = if is_read {
            db.read_cpu.mean()
        } else {
            db.write_cpu.mean()
        } / speed;
        let index = self.scenario.pools.len() + offset;
        // The CPU part waits for a core first (when cores are scarce).
        let time = cpu + if cpu > 0.0 { self.waits.core_ns[index] } else { 0.0 } + io;
        self.rates[index] += rate;
        let load = if is_read {
            &mut self.database_reads[offset]
        } else {
            &mut self.database_writes[offset]
        };
        load.rate += rate;
        load.busy += rate * time / 1e9;
        load.cpu += rate * cpu / 1e9;
        if cpu > 0.0 {
            load.segments += rate;
        }
        2.0 * self.scenario.network.default.mean() + self.waits.worker_ns[index] + time
    }

    /// Adds the load of endpoint `id` at its rate (its callees' responses
    /// are known) and records the mean time one call takes from its
    /// arrival at the pool to its reply (ns), queueing delays included as
    /// far as `waits` has them.
    fn endpoint(&mut self, id: usize) {
        let scenario = self.scenario;
        let (index, endpoint) = self.graph.endpoints[id];
        let rate = self.endpoint_rate[id];
        let pool = &scenario.pools[PoolId::from_index(index)];
        let speed = scenario.pool_size(pool).speed;
        self.rates[index] += rate;
        let service_ns = endpoint.service.mean() / speed;
        // A service of no time takes no core (the simulation skips it).
        let core_wait = if service_ns > 0.0 {
            self.segments[index] += rate;
            self.waits.core_ns[index]
        } else {
            0.0
        };
        let mut demand = Demand {
            compute_ns: service_ns,
            hold_ns: service_ns + core_wait,
            cpu_ns: service_ns + core_wait,
        };
        if let Some(read) = pool.session_read() {
            demand.hold_ns += self.database_operation(&read, rate);
        }
        self.steps(&endpoint.steps, rate, index, speed, &mut demand);
        self.compute[index] += rate * demand.compute_ns;
        let held = match pool.concurrency {
            Concurrency::ThreadPerRequest => demand.hold_ns,
            Concurrency::Async => demand.cpu_ns,
        };
        self.hold[index] += rate * held;
        self.endpoint_response_ns[id] = self.waits.worker_ns[index] + demand.hold_ns;
    }

    fn steps(&mut self, steps: &[Step], rate: f64, station: usize, speed: f64, demand: &mut Demand) {
        let hop = 2.0 * self.scenario.network.default.mean();
        for step in steps {
            match step {
                Step::Compute(dist) => {
                    let compute = dist.mean() / speed;
                    let core_wait = if compute > 0.0 {
                        self.segments[station] += rate;
                        self.waits.core_ns[station]
                    } else {
                        0.0
                    };
                    demand.compute_ns += compute;
                    demand.hold_ns += compute + core_wait;
                    demand.cpu_ns += compute + core_wait;
                }
                Step::Delay(dist) => demand.hold_ns += dist.mean(),
                Step::Call { target, .. } => {
                    let callee = self.graph.target(self.scenario, *target);
                    let balancer = self.graph.balancer_ns.get(&target.entry).copied();
                    let wait = self.balancer_wait(target.entry, rate);
                    demand.hold_ns +=
                        hop + balancer.unwrap_or(0.0) + wait + self.endpoint_response_ns[callee];
                }
                Step::Read {
                    cache: Some(cache), ..
                } => {
                    // A get; on a miss, the database read and a fill.
                    let cache = cache.index();
                    self.cache_traffic[cache].reads_per_s += rate;
                    let miss = 1.0 - self.cache_hit_ratio[cache];
                    demand.hold_ns += self.cache_operation(cache, rate);
                    let read = self.database_operation(step, rate * miss);
                    let fill = self.cache_operation(cache, rate * miss);
                    demand.hold_ns += miss * (read + fill);
                }
                Step::Write { cache, .. } => {
                    demand.hold_ns += self.database_operation(step, rate);
                    if let Some(cache) = cache {
                        // The invalidation or the write-through.
                        let cache = cache.index();
                        self.cache_traffic[cache].writes_per_s += rate;
                        demand.hold_ns += self.cache_operation(cache, rate);
                    }
                }
                Step::Read { cache: None, .. } => demand.hold_ns += self.database_operation(step, rate),
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
                Step::Maybe { keys, steps } => {
                    let probability = keys.probability;
                    let mut inner = Demand::default();
                    self.steps(steps, rate * probability, station, speed, &mut inner);
                    demand.compute_ns += probability * inner.compute_ns;
                    demand.hold_ns += probability * inner.hold_ns;
                    demand.cpu_ns += probability * inner.cpu_ns;
                }
                // The producer waits only for the broker's ack; the job's
                // load reaches the consumer through the call graph.
                Step::Enqueue(queue) => {
                    demand.hold_ns += self.scenario.queues[*queue].latency.mean();
                }
            }
        }
    }
}

/// A geoDNS target of a class: its entry endpoint, the share of the
/// class's requests it gets, and the users' extra round trip to it (ns).
type GeoEntry = (Option<usize>, f64, f64);

/// The extra time a call through `entry` spends in a balancer: its own
/// latency plus the hop from the balancer to the instance (ns); zero when
/// the call goes straight to a pool.
fn balancer_time_ns(scenario: &Scenario, entry: Entry) -> f64 {
    scenario.entry_balancer(entry).map_or(0.0, |balancer| {
        scenario.balancers[balancer].latency.mean() + scenario.network.default.mean()
    })
}

/// The geoDNS name a class calls through, if any.
fn geo_dns(class: &crate::scenario::Class) -> Option<DnsId> {
    match class.call.target()?.entry {
        Entry::Dns(dns) => Some(dns),
        _ => None,
    }
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
///
/// Capacity-bound hit ratios do not depend on the rate; a TTL cache's does,
/// and invalidating writes lower them, so with caches the walk runs twice:
/// once to learn each cache's reads and writes, then with the hit ratios
/// for that traffic.
pub fn walk(scenario: &Scenario, rate: f64, waits: &Waits) -> Walk {
    let by_capacity: Vec<f64> = scenario
        .caches
        .iter()
        .map(|cache| cache_estimate::hit_ratio(scenario, cache, None))
        .collect();
    let graph = CallGraph::new(scenario);
    let (walk, traffic) = walk_with(scenario, &graph, rate, waits, by_capacity);
    if scenario.caches.is_empty() {
        return walk;
    }
    let at_rate = scenario
        .caches
        .iter()
        .zip(traffic)
        .map(|(cache, traffic)| cache_estimate::hit_ratio(scenario, cache, Some(traffic)))
        .collect();
    walk_with(scenario, &graph, rate, waits, at_rate).0
}

/// Each cache's lookups and writes per request: the walk's cache traffic at
/// one request per second (it is proportional to the rate). What a warm
/// cache with a TTL or writes starts from; empty when no cache is warm.
pub fn cache_visits(scenario: &Scenario) -> IdVec<CacheId, CacheVisits> {
    if !scenario.caches.iter().any(|cache| cache.warm) {
        return IdVec::new();
    }
    let by_capacity = scenario
        .caches
        .iter()
        .map(|cache| cache_estimate::hit_ratio(scenario, cache, None))
        .collect();
    let graph = CallGraph::new(scenario);
    let (_, traffic) = walk_with(scenario, &graph, 1.0, &Waits::zero(scenario), by_capacity);
    traffic
        .into_iter()
        .map(|traffic| CacheVisits {
            lookups: traffic.reads_per_s,
            writes: traffic.writes_per_s,
        })
        .collect::<Vec<_>>()
        .into()
}

fn walk_with(
    scenario: &Scenario,
    graph: &CallGraph,
    rate: f64,
    waits: &Waits,
    cache_hit_ratio: Vec<f64>,
) -> (Walk, Vec<CacheTraffic>) {
    let stations = station_count(scenario);
    let endpoints = graph.endpoints.len();
    let mut estimator = Estimator {
        scenario,
        waits,
        graph,
        endpoint_rate: vec![0.0; endpoints],
        endpoint_response_ns: vec![0.0; endpoints],
        rates: vec![0.0; stations],
        compute: vec![0.0; stations],
        hold: vec![0.0; stations],
        segments: vec![0.0; stations],
        database_reads: vec![Load::default(); scenario.databases.len()],
        database_writes: vec![Load::default(); scenario.databases.len()],
        cache_traffic: vec![CacheTraffic::default(); scenario.caches.len()],
        cache_hit_ratio,
        balancer_station: limited_balancer_ids(scenario)
            .enumerate()
            .map(|(offset, balancer)| {
                let first = scenario.pools.len() + scenario.databases.len() + scenario.caches.len();
                (balancer, first + offset)
            })
            .collect(),
    };
    let total_weight: f64 = scenario.workload.mix.iter().map(|c| c.weight).sum();
    // Calls flow from the classes' entry endpoints down the call graph.
    // A class calling a CDN reaches its origin only on a miss.
    let cdn_paths: Vec<Option<CdnPath>> = scenario
        .workload
        .mix
        .iter()
        .map(|class| match &class.call {
            ClassCall::Cdn { cdn, .. } => Some(CdnPath::new(scenario, &scenario.cdns[*cdn])),
            ClassCall::Endpoint(_) => None,
        })
        .collect();
    let entries: Vec<Option<usize>> = scenario
        .workload
        .mix
        .iter()
        .zip(&cdn_paths)
        .map(|(class, cdn)| match cdn.as_ref().map(|cdn| &cdn.origin) {
            Some(CdnOrigin::Endpoint(target)) => Some(graph.target(scenario, *target)),
            Some(CdnOrigin::Database(_)) => None,
            None => class.call.target().map(|target| graph.target(scenario, target)),
        })
        .collect();
    // A geoDNS name splits its classes' load by region (each to its
    // nearest target), with the user's round trip to that target.
    let geo_entries: Vec<Option<Vec<GeoEntry>>> = scenario
        .workload
        .mix
        .iter()
        .map(|class| {
            let call = class.call.target()?;
            let dns = geo_dns(class)?;
            let (geo, shares) = (scenario.geo.dns(dns)?, scenario.geo_entry_shares(dns)?);
            let targets = shares.into_iter().map(|(target, share, latency)| {
                let id = Some(graph.target(scenario, scenario.geo_target(geo, target, call)));
                (id, share, 2.0 * latency.as_nanos() as f64)
            });
            Some(targets.collect())
        })
        .collect();
    for (((class, entry), geo), cdn) in scenario
        .workload
        .mix
        .iter()
        .zip(&entries)
        .zip(&geo_entries)
        .zip(&cdn_paths)
    {
        let class_rate = rate * class.weight / total_weight;
        match geo {
            Some(targets) => {
                for &(id, share, _) in targets {
                    if let Some(id) = id {
                        estimator.endpoint_rate[id] += class_rate * share;
                    }
                }
            }
            None => {
                let miss = cdn.as_ref().map_or(1.0, |cdn| cdn.miss_ratio);
                if let Some(entry) = *entry {
                    estimator.endpoint_rate[entry] += class_rate * miss;
                }
            }
        }
    }
    // Database origins: the misses' reads, and their response time.
    let mut database_origin_ns = vec![0.0; cdn_paths.len()];
    for ((class, cdn), response) in scenario
        .workload
        .mix
        .iter()
        .zip(&cdn_paths)
        .zip(&mut database_origin_ns)
    {
        if let Some(CdnPath {
            origin: CdnOrigin::Database(database),
            miss_ratio,
            ..
        }) = cdn
        {
            let read = Step::Read {
                database: *database,
                cache: None,
                keys: DataStepKeys::plain(),
            };
            *response = estimator.database_operation(&read, rate * class.weight / total_weight * miss_ratio);
        }
    }
    for &id in graph.bottom_up.iter().rev() {
        let rate = estimator.endpoint_rate[id];
        for &(callee, calls) in &graph.callees[id] {
            estimator.endpoint_rate[callee] += rate * calls;
        }
    }
    for &id in &graph.bottom_up {
        estimator.endpoint(id);
    }
    // Requests per second to each DNS name, for the share that look it up.
    let mut rate_to_name: HashMap<DnsId, f64> = HashMap::new();
    for class in &scenario.workload.mix {
        if let Some(Entry::Dns(dns)) = class.call.target().map(|target| target.entry) {
            *rate_to_name.entry(dns).or_default() += rate * class.weight / total_weight;
        }
    }
    let users = scenario.workload.arrivals.users();
    let client_round_trip = 2.0 * scenario.network.client.mean();
    let mut response_ns = 0.0;
    for (index, (class, entry)) in scenario.workload.mix.iter().zip(&entries).enumerate() {
        let share = class.weight / total_weight;
        let class_rate = rate * share;
        let served = match &geo_entries[index] {
            Some(targets) => targets
                .iter()
                .map(|&(id, share, round_trip)| {
                    share * (round_trip + id.map_or(0.0, |id| estimator.endpoint_response_ns[id]))
                })
                .sum(),
            None => entry.map_or(0.0, |entry| estimator.endpoint_response_ns[entry]),
        };
        if let Some(cdn) = &cdn_paths[index] {
            // Client ↔ edge, and on a miss the edge's call to the origin.
            let origin = match &cdn.origin {
                CdnOrigin::Endpoint(target) => {
                    let wait = estimator.balancer_wait(target.entry, class_rate * cdn.miss_ratio);
                    2.0 * scenario.network.default.mean()
                        + balancer_time_ns(scenario, target.entry)
                        + wait
                        + served
                }
                CdnOrigin::Database(_) => database_origin_ns[index],
            };
            response_ns += share * (cdn.round_trip_ns + cdn.miss_ratio * origin);
            continue;
        }
        let entry = class.call.target().expect("not a CDN").entry;
        let lookup = match entry {
            Entry::Dns(id) => {
                let dns = &scenario.dns[id];
                lookup_share(dns, rate_to_name[&id], users) * dns.resolve.mean()
            }
            _ => 0.0,
        };
        // A geoDNS name's load splits over its targets' balancers.
        let geo =
            geo_dns(class).and_then(|dns| Some((scenario.geo.dns(dns)?, scenario.geo_entry_shares(dns)?)));
        let wait = match geo {
            Some((geo, targets)) => targets
                .into_iter()
                .map(|(target, target_share, _)| {
                    let target = geo.targets[target].entry();
                    target_share * estimator.balancer_wait(target, class_rate * target_share)
                })
                .sum(),
            None => estimator.balancer_wait(entry, class_rate),
        };
        let balancer = balancer_time_ns(scenario, entry) + wait;
        response_ns += share * (client_round_trip + lookup + balancer + served);
    }
    let mut demands = Vec::with_capacity(stations);
    // Each station's CPU work over all its instances or nodes (busy cores,
    // segments per second), for the hosts' sums.
    let mut all_cpu = Vec::with_capacity(stations);
    let host_cores = |component| {
        let host = scenario.hosts.of(component)?;
        Some((host, scenario.hosts.hosts[host].cores))
    };
    for (index, (id, pool)) in scenario.pools.iter_enumerated().enumerate() {
        let size = scenario.pool_size(pool);
        let host = host_cores(Placed::Pool(id));
        all_cpu.push((estimator.compute[index] / 1e9, estimator.segments[index]));
        demands.push(StationDemand {
            station: pool.name.clone(),
            scopes: Vec::new(),
            arrival_rate: estimator.rates[index],
            busy_workers: estimator.hold[index] / 1e9,
            busy_cores: estimator.compute[index] / 1e9,
            segment_rate: estimator.segments[index],
            instances: pool.autoscale.as_ref().map_or(pool.instances, |scale| {
                settled_instances(scale, estimator.hold[index] / 1e9, pool.workers)
            }),
            servers_per_instance: pool.workers,
            // On a host, every instance computes on the host's cores.
            cores_per_instance: Some(host.map_or(size.cores.min(pool.workers), |(_, cores)| cores)),
            pulls_from: scenario
                .queues
                .iter()
                .find(|queue| queue.consumer.entry == Entry::Pool(id))
                .map(|queue| queue.name.clone()),
            host: host.map(|(host, _)| host),
        });
    }
    for (offset, (id, database)) in scenario.databases.iter_enumerated().enumerate() {
        let (reads, writes) = (
            estimator.database_reads[offset],
            estimator.database_writes[offset],
        );
        // Writes go to the primaries; reads to the replicas when reads use
        // them, else to the primaries.
        let replicas_read = database.replicas > 0 && database.read_from != ReadFrom::Primary;
        let size = scenario.database_size(database);
        // Every replica applies every write of its shard, on its cores.
        let applies = Load {
            cpu: writes.rate * database.replication.apply.mean() / size.speed / 1e9,
            segments: writes.rate,
            ..Load::default()
        };
        let sum = |a: Load, b: Load| Load {
            rate: a.rate + b.rate,
            busy: a.busy + b.busy,
            cpu: a.cpu + b.cpu,
            segments: a.segments + b.segments,
        };
        // With regions, `nearest` reads go to the primary too (users taken
        // as spread evenly over the nodes' data centers).
        let nearest = database.read_from == ReadFrom::Nearest && !scenario.geo.regions.is_empty();
        let (primaries, replicas) = if replicas_read && nearest {
            let nodes = database.replicas as f64 + 1.0;
            (
                sum(writes, scale(reads, 1.0 / nodes)),
                sum(
                    scale(reads, database.replicas as f64 / nodes),
                    scale(applies, database.replicas as f64),
                ),
            )
        } else if replicas_read {
            (writes, sum(reads, scale(applies, database.replicas as f64)))
        } else {
            (sum(reads, writes), scale(applies, database.replicas as f64))
        };
        // The busier of its two limits, per node.
        let per_node = |load: Load, nodes: u32| {
            let nodes = nodes.max(1) as f64;
            (load.busy / (nodes * database.connections as f64)).max(load.cpu / (nodes * size.cores as f64))
        };
        let on_replicas = database.replicas > 0
            && per_node(replicas, database.shards * database.replicas) > per_node(primaries, database.shards);
        all_cpu.push((
            primaries.cpu + replicas.cpu,
            primaries.segments + replicas.segments,
        ));
        let host = host_cores(Placed::Database(id));
        let (load, nodes) = if on_replicas {
            (replicas, database.shards * database.replicas)
        } else {
            (primaries, database.shards)
        };
        // Without replicas the figures are the whole database's, but for
        // the shards a reshard will add (idle until then).
        let slots = if on_replicas { 1..=database.replicas } else { 0..=0 };
        let scopes = if database.replicas == 0 && database.reshard.is_none() {
            Vec::new()
        } else {
            (0..database.shards)
                .flat_map(|shard| slots.clone().map(move |slot| database.node_name(shard, slot)))
                .collect()
        };
        demands.push(StationDemand {
            scopes,
            // With a size, the cores are a limit of their own; on a host,
            // the host's cores are.
            busy_cores: load.cpu,
            segment_rate: load.segments,
            cores_per_instance: host.map_or(database.size.map(|_| size.cores), |(_, cores)| Some(cores)),
            host: host.map(|(host, _)| host),
            ..StationDemand::servers_only(
                database.name.clone(),
                load.rate,
                load.busy,
                nodes,
                database.connections,
            )
        });
    }
    for (offset, (id, cache)) in scenario.caches.iter_enumerated().enumerate() {
        let index = scenario.pools.len() + scenario.databases.len() + offset;
        let host = host_cores(Placed::Cache(id));
        all_cpu.push((estimator.compute[index] / 1e9, estimator.segments[index]));
        // Its `threads` cores are a limit of their own (the host's, on one).
        demands.push(StationDemand {
            busy_cores: estimator.compute[index] / 1e9,
            segment_rate: estimator.segments[index],
            cores_per_instance: Some(host.map_or(scenario.cache_cores(cache).cores, |(_, cores)| cores)),
            host: host.map(|(host, _)| host),
            ..StationDemand::servers_only(
                cache.name.clone(),
                estimator.rates[index],
                estimator.hold[index] / 1e9,
                cache.nodes,
                cache.connections,
            )
        });
    }
    for (id, balancer) in limited_balancer_ids(scenario).map(|id| (id, &scenario.balancers[id])) {
        let index = estimator.balancer_station[&id];
        demands.push(StationDemand::servers_only(
            balancer.name.clone(),
            estimator.rates[index],
            estimator.hold[index] / 1e9,
            1,
            balancer.cores.expect("a balancer with cores"),
        ));
    }
    // A host nothing is placed on has nothing to estimate.
    let hosts = scenario
        .hosts
        .hosts
        .iter_enumerated()
        .filter_map(|(id, host)| {
            let stations: Vec<usize> = (demands.iter().enumerate())
                .filter(|(_, demand)| demand.host == Some(id))
                .map(|(index, _)| index)
                .collect();
            (!stations.is_empty()).then(|| HostDemand {
                host: host.name.clone(),
                cores: host.cores,
                components: stations
                    .iter()
                    .map(|&index| demands[index].station.clone())
                    .collect(),
                busy_cores: stations.iter().map(|&index| all_cpu[index].0).sum(),
                segment_rate: stations.iter().map(|&index| all_cpu[index].1).sum(),
                stations,
            })
        })
        .collect();
    let walk = Walk {
        stations: demands,
        hosts,
        response_ns,
    };
    (walk, estimator.cache_traffic)
}

/// `load` times `factor` (the applies of several replicas).
fn scale(load: Load, factor: f64) -> Load {
    Load {
        rate: load.rate * factor,
        busy: load.busy * factor,
        cpu: load.cpu * factor,
        segments: load.segments * factor,
    }
}

impl StationDemand {
    /// A station of servers only (connections, a balancer's cores): no
    /// compute of its own to count apart, pulling from no queue.
    fn servers_only(
        station: String,
        arrival_rate: f64,
        busy_workers: f64,
        instances: u32,
        servers_per_instance: u32,
    ) -> Self {
        StationDemand {
            station,
            scopes: Vec::new(),
            arrival_rate,
            busy_workers,
            busy_cores: 0.0,
            segment_rate: 0.0,
            instances,
            servers_per_instance,
            cores_per_instance: None,
            pulls_from: None,
            host: None,
        }
    }

    /// Worker (or connection) utilization.
    pub fn utilization(&self) -> f64 {
        self.busy_workers / (self.servers_per_instance as f64 * self.instances as f64)
    }

    /// CPU utilization (pools, databases with a size, caches). On a host
    /// every instance computes on the same cores: a whole component's is
    /// its share of the host; figures for some nodes (`scopes`) are a
    /// node's share, as each node's row is.
    pub fn cpu_utilization(&self) -> Option<f64> {
        let instances = if self.host.is_some() && self.scopes.is_empty() {
            1.0
        } else {
            self.instances as f64
        };
        self.cores_per_instance
            .map(|cores| self.busy_cores / (cores as f64 * instances))
    }
}

/// What one node of a database can serve of one kind of operation alone,
/// per second, by each of its two limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeCapacity {
    /// Cores × speed / CPU time (infinite when the operation uses no CPU).
    pub by_cores: f64,
    /// Connections / time a connection is held (CPU part and the rest).
    pub by_connections: f64,
}

impl NodeCapacity {
    /// Operations per second: the tighter limit.
    pub fn per_second(&self) -> f64 {
        self.by_cores.min(self.by_connections)
    }

    /// Whether the cores bind (not the connections).
    pub fn cores_bind(&self) -> bool {
        self.by_cores <= self.by_connections
    }
}

/// A database node's capacity, by its size and the database's mean times
/// (a step's `service` and a replica's applies aside).
#[derive(Clone, Debug, PartialEq)]
pub struct DatabaseCapacity {
    pub database: String,
    pub size: crate::scenario::Size,
    pub connections: u32,
    pub reads: NodeCapacity,
    pub writes: NodeCapacity,
}

/// Each database's capacity per node, in scenario order.
pub fn database_capacities(scenario: &Scenario) -> Vec<DatabaseCapacity> {
    scenario
        .databases
        .iter()
        .map(|database| {
            let size = scenario.database_size(database);
            let capacity = |cpu: f64, io: f64| {
                let cpu = cpu / size.speed;
                NodeCapacity {
                    by_cores: if cpu > 0.0 {
                        size.cores as f64 * 1e9 / cpu
                    } else {
                        f64::INFINITY
                    },
                    by_connections: database.connections as f64 * 1e9 / (cpu + io),
                }
            };
            DatabaseCapacity {
                database: database.name.clone(),
                connections: database.connections,
                reads: capacity(database.read_cpu.mean(), database.read.mean()),
                writes: capacity(database.write_cpu.mean(), database.write.mean()),
                size,
            }
        })
        .collect()
}

/// A cache node's capacity in operations (gets, sets, deletes) per
/// second, by its `threads` cores and its connections.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheNodeCapacity {
    pub cache: String,
    /// The size's name (empty without a size).
    pub size: String,
    pub cores: crate::scenario::CacheCores,
    pub connections: u32,
    pub operations: NodeCapacity,
}

/// Each cache's capacity per node, in scenario order.
pub fn cache_capacities(scenario: &Scenario) -> Vec<CacheNodeCapacity> {
    scenario
        .caches
        .iter()
        .map(|cache| {
            let cores = scenario.cache_cores(cache);
            let cpu = cache.cpu.mean() / cores.speed;
            CacheNodeCapacity {
                cache: cache.name.clone(),
                size: cache
                    .size
                    .map_or(String::new(), |size| scenario.sizes[size].name.clone()),
                cores,
                connections: cache.connections,
                operations: NodeCapacity {
                    by_cores: if cpu > 0.0 {
                        cores.cores as f64 * 1e9 / cpu
                    } else {
                        f64::INFINITY
                    },
                    by_connections: cache.connections as f64 * 1e9 / (cpu + cache.latency.mean()),
                },
            }
        })
        .collect()
}

/// Estimated load on every station at the workload's peak rate, then one
/// row per host (`host:<name>`: the CPU work of its components on its
/// cores).
pub fn estimate(scenario: &Scenario) -> Vec<StationLoad> {
    let walk = walk(scenario, offered_rate(scenario), &Waits::zero(scenario));
    // Stations come in scenario order: pools, databases, caches, then the
    // balancers with cores.
    let pools = scenario.pools.len();
    let balancers_from = pools + scenario.databases.len() + scenario.caches.len();
    let stations = walk
        .stations
        .iter()
        .enumerate()
        .map(|(index, demand)| StationLoad {
            station: demand.station.clone(),
            arrival_rate: demand.arrival_rate,
            utilization: demand.utilization(),
            cpu_utilization: demand.cpu_utilization(),
            servers: if index < pools {
                Servers::Workers
            } else if index >= balancers_from {
                Servers::Cores
            } else {
                Servers::Connections
            },
            host: demand.host.map(|host| scenario.hosts.hosts[host].name.clone()),
            on_host: Vec::new(),
        });
    // A host's calls are its components' CPU segments.
    let hosts = walk.hosts.iter().map(|host| StationLoad {
        station: host.station(),
        arrival_rate: host.segment_rate,
        utilization: host.utilization(),
        cpu_utilization: None,
        servers: Servers::Cores,
        host: None,
        on_host: host.components.clone(),
    });
    stations.chain(hosts).collect()
}

/// Warnings for stations that cannot keep up. A component on a host gets
/// none for its CPU: its host's row does, naming it.
pub fn warnings(loads: &[StationLoad]) -> Vec<String> {
    let mut warnings = Vec::new();
    for load in loads {
        if !load.on_host.is_empty() {
            if load.utilization >= 1.0 {
                warnings.push(host_warning(load));
            }
            continue;
        }
        if load.utilization >= 1.0 {
            warnings.push(format!(
                "`{}` is overloaded: offered {:.0} calls/s need {:.2}× its {} (ρ = {:.2} ≥ 1); queues will grow without bound",
                load.station,
                load.arrival_rate,
                load.utilization,
                load.servers.name(),
                load.utilization
            ));
        }
        if let Some(cpu) = load.cpu_utilization
            && cpu >= 1.0
            && load.utilization < 1.0
            && load.host.is_none()
        {
            warnings.push(format!(
                "`{}` is CPU-bound: offered {:.0} calls/s need {:.2}× its cores (ρ = {cpu:.2} ≥ 1)",
                load.station, load.arrival_rate, cpu
            ));
        }
    }
    warnings
}

/// A saturated host: the components that share it and what would help.
fn host_warning(load: &StationLoad) -> String {
    let name = load.station.strip_prefix("host:").unwrap_or(&load.station);
    let components: Vec<String> = load.on_host.iter().map(|c| format!("`{c}`")).collect();
    let components = match components.as_slice() {
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => unreachable!("a host row names its components"),
    };
    format!(
        "host `{name}` is CPU-bound: {components} on it need {:.2}× its cores together (ρ = {:.2} ≥ 1); \
         their CPU work queues without bound\n  hint: give `[host.{name}]` more `cores`, or move a component off it \
         (remove its `host` key)",
        load.utilization, load.utilization
    )
}

/// What a request to a CDN costs the system, on average: the round trip to
/// the edge, and on a miss (by Che's approximation for the edge's store,
/// objects of the catalog's mean size) the call to the origin.
struct CdnPath {
    origin: CdnOrigin,
    miss_ratio: f64,
    round_trip_ns: f64,
}

impl CdnPath {
    fn new(scenario: &Scenario, cdn: &crate::scenario::Cdn) -> Self {
        // An edge is a one-node cache of the catalog; every edge sees the
        // same popularity, so one edge's ratio is the CDN's.
        let edge = crate::scenario::Cache {
            name: cdn.name.clone(),
            keyspace: cdn.keyspace,
            size: None,
            keys: crate::scenario::CacheKeys {
                nodes: 1,
                capacity: crate::scenario::CacheCapacity::Bytes(cdn.capacity),
                eviction: cdn.eviction,
                ttl: None,
                ttl_refresh_on_hit: false,
                write_policy: crate::scenario::WritePolicy::Invalidate,
                cpu: crate::scenario::Dist::Const { value: 0.0 },
                latency: cdn.latency.clone(),
                connections: 1,
                threads: 1,
                virtual_nodes: 1,
                on_node_failure: crate::scenario::NodeFailure::Miss,
                warm: cdn.warm,
                coalesce: false,
                stale_while_revalidate: None,
                warm_restart: None,
                background_timeout: None,
                lease_timeout: crate::engine::SimDuration::from_secs(10),
            },
        };
        CdnPath {
            origin: cdn.origin.clone(),
            miss_ratio: 1.0 - cache_estimate::hit_ratio(scenario, &edge, None),
            // Users of a region without an edge also cross to the nearest.
            round_trip_ns: 2.0
                * (cdn.latency.mean() + crate::scenario::cdn_regions::mean_edge_link_ns(scenario, cdn)),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenario::load_str;

    /// `app` computes (exp 1 ms) for half the requests and reads `db`
    /// (1 ms of CPU) for the other half, at `rate` requests/s; both on the
    /// 2-core host `box` when `hosted`, else each on a size of 2 cores.
    pub(crate) fn two_components(rate: u32, hosted: bool) -> Scenario {
        let (host, place) = if hosted {
            ("[host.box]\ncores = 2\n", "host = \"box\"")
        } else {
            ("", "size = \"node\"")
        };
        load_str(&format!(
            "[scenario]\nduration = \"1s\"\n[workload]\narrivals = {{ kind = \"open\", rate = \"{rate}/s\" }}\n\
             mix = [{{ class = \"p\", call = \"app/compute\" }}, {{ class = \"d\", call = \"app/read\" }}]\n\
             [size.node]\ncores = 2\nprice_per_hour = 0.5\n{host}\
             [pool.app]\nworkers = 1000\n{place}\n\
             [pool.app.endpoint.compute]\nservice = {{ dist = \"exp\", mean = \"1ms\" }}\n\
             [pool.app.endpoint.read]\nservice = {{ dist = \"const\", value = \"0s\" }}\nsteps = [{{ read = \"db\" }}]\n\
             [database.db]\nconnections = 1000\nread_cpu = {{ dist = \"exp\", mean = \"1ms\" }}\nread = \"0s\"\n{place}\n"
        ))
        .unwrap()
        .scenario
    }

    fn row<'a>(loads: &'a [StationLoad], station: &str) -> &'a StationLoad {
        loads.iter().find(|load| load.station == station).unwrap()
    }

    #[test]
    fn a_host_sums_its_components_cpu_and_warns_when_saturated() {
        // 1200 CPU jobs/s of 1 ms each per component: 1.2 of 2 cores each.
        let loads = estimate(&two_components(2400, true));
        for component in ["app", "db"] {
            let load = row(&loads, component);
            assert!((load.cpu_utilization.unwrap() - 0.6).abs() < 1e-9, "{load:?}");
            assert_eq!(load.host.as_deref(), Some("box"));
        }
        let host = row(&loads, "host:box");
        assert!((host.utilization - 1.2).abs() < 1e-9, "{host:?}");
        assert!(
            (host.arrival_rate - 2400.0).abs() < 1e-9,
            "zero-time services take no core"
        );
        assert_eq!(
            (host.servers, host.on_host.clone()),
            (Servers::Cores, vec!["app".into(), "db".into()])
        );
        let warnings = warnings(&loads);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        for part in [
            "host `box`",
            "`app` and `db`",
            "ρ = 1.20 ≥ 1",
            "hint: give `[host.box]` more `cores`",
            "move a component off",
        ] {
            assert!(warnings[0].contains(part), "missing {part:?} in {}", warnings[0]);
        }
    }

    #[test]
    fn the_same_work_on_cores_of_their_own_is_no_warning() {
        let loads = estimate(&two_components(2400, false));
        for component in ["app", "db"] {
            let load = row(&loads, component);
            assert!((load.cpu_utilization.unwrap() - 0.6).abs() < 1e-9, "{load:?}");
            assert_eq!(load.host, None);
        }
        assert!(loads.iter().all(|load| load.on_host.is_empty()));
        assert_eq!(warnings(&loads), Vec::<String>::new());
    }

    #[test]
    fn a_database_on_a_host_counts_every_node_and_the_applies() {
        // Writes (2 ms of CPU) on the primary, reads (1 ms) on 2 replicas,
        // each replica applying every write (0.5 ms): all on one host.
        let scenario = load_str(
            "[scenario]\nduration = \"1s\"\n[workload]\narrivals = { kind = \"open\", rate = \"1000/s\" }\n\
             mix = [{ class = \"r\", call = \"app/read\", weight = 3 }, { class = \"w\", call = \"app/write\", weight = 1 }]\n\
             [host.box]\ncores = 8\n\
             [pool.app]\nworkers = 1000\n\
             [pool.app.endpoint.read]\nservice = \"0s\"\nsteps = [{ read = \"db\" }]\n\
             [pool.app.endpoint.write]\nservice = \"0s\"\nsteps = [{ write = \"db\" }]\n\
             [keyspace.items]\nkeys = 1000\n\
             [database.db]\nkeyspace = \"items\"\nconnections = 1000\nreplicas = 2\nread_from = \"round_robin\"\nread_cpu = \"1ms\"\nwrite_cpu = \"2ms\"\n\
             read = \"0s\"\nwrite = \"0s\"\nreplication = { mode = \"async\", apply = \"0.5ms\" }\nhost = \"box\"\n",
        )
        .unwrap()
        .scenario;
        let loads = estimate(&scenario);
        // 750 reads × 1 ms + 250 writes × 2 ms + 2 × 250 applies × 0.5 ms.
        let busy = 0.75 + 0.5 + 0.25;
        let host = row(&loads, "host:box");
        assert!((host.utilization - busy / 8.0).abs() < 1e-9, "{host:?}");
        assert_eq!(host.on_host, vec!["db".to_owned()]);
    }
}
