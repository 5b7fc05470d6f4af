//! Properties of runs over randomly generated *valid* scenarios.
//!
//! A generator (proptest strategies, shrinkable) builds random topologies —
//! pools with endpoints whose steps compute, delay, call other pools (only
//! "downstream", so calls never loop), read and write databases, fork into
//! parallel branches and run with a probability; balancers with every
//! policy, with or without capacity of their own (`cores`,
//! `max_connections`); DNS names; instance sizes; open workloads (profiles, a diurnal
//! cycle, user populations) and closed ones; timeouts, retries and bounded
//! queues — and renders them as scenario TOML, which must load. Runs are
//! short (seconds simulated, a few hundred requests per second) so each
//! case costs milliseconds. Properties:
//!
//! * conservation at the end (`requests + in_flight_at_warmup = completed +
//!   errors + in_flight_at_end`, classes adding up to `overall`) and at every
//!   window (cumulative arrivals − completed − errors = the `in_flight`
//!   series, and the windows after warm-up add up to the summary);
//! * determinism: the same scenario gives the same results bit for bit, and
//!   so does its resolved form (`scenario.resolved.toml`);
//! * monotonicity: one more worker in an M/M/c station never raises its mean
//!   wait (pathwise, under common random numbers; see the test's comment).
//!
//! Faults (killed instances, partitions) do not exist in the model yet; when
//! they do, the generator should schedule them and these properties should
//! hold unchanged.
//!
//! The random source is seeded (`RngSeed::Fixed`), so every run tries the
//! same cases; failing cases shrink and are reported as scenario text.

use std::fmt::Write;

use capsim::results::RunResult;
use capsim::scenario::{dump, load_str};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

use crate::support::{assert_conserved, metric, scenario, simulate};

/// Cases of the conservation property (half as many for the others): the
/// module runs in a few seconds in the test profile on the 2-core machine.
const CASES: u32 = 1024;

/// A fixed random source, no failure files: every run tries the same cases.
fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    }
}

/// A distribution, durations in microseconds.
#[derive(Clone, Debug)]
enum Dist {
    Const(u32),
    Exp(u32),
    Uniform(u32, u32),
    Normal(u32, u32),
    LogNormalCv(u32, f64),
    LogNormalP99(u32, f64),
    Gamma(u32, f64),
    ParetoMin(u32, f64),
    ParetoMean(u32, f64),
    Empirical(Vec<u32>),
}

/// Distributions with means from `low` to `high` microseconds.
fn dist(low: u32, high: u32) -> impl Strategy<Value = Dist> {
    let mean = low..=high;
    prop_oneof![
        mean.clone().prop_map(Dist::Const),
        mean.clone().prop_map(Dist::Exp),
        (mean.clone(), 1..=high).prop_map(|(min, span)| Dist::Uniform(min, min + span)),
        (mean.clone(), 1..=high).prop_map(|(mean, sd)| Dist::Normal(mean, sd)),
        (mean.clone(), 0.1..2.0f64).prop_map(|(mean, cv)| Dist::LogNormalCv(mean, cv)),
        // A lognormal exists for p99/mean in (1, 14.97].
        (mean.clone(), 1.2..14.0f64).prop_map(|(mean, ratio)| Dist::LogNormalP99(mean, ratio)),
        (mean.clone(), 0.2..2.0f64).prop_map(|(mean, cv)| Dist::Gamma(mean, cv)),
        (mean.clone(), 1.5..4.0f64).prop_map(|(min, alpha)| Dist::ParetoMin(min / 2 + 1, alpha)),
        (mean.clone(), 1.5..4.0f64).prop_map(|(mean, alpha)| Dist::ParetoMean(mean, alpha)),
        proptest::collection::vec(mean, 1..5).prop_map(Dist::Empirical),
    ]
}

impl Dist {
    fn toml(&self) -> String {
        match self {
            // Both forms of a constant: a plain duration and a table.
            Dist::Const(value) if value % 2 == 0 => format!("\"{value}us\""),
            Dist::Const(value) => format!("{{ dist = \"const\", value = \"{value}us\" }}"),
            Dist::Exp(mean) => format!("{{ dist = \"exp\", mean = \"{mean}us\" }}"),
            Dist::Uniform(min, max) => {
                format!("{{ dist = \"uniform\", min = \"{min}us\", max = \"{max}us\" }}")
            }
            Dist::Normal(mean, sd) => {
                format!("{{ dist = \"normal\", mean = \"{mean}us\", sd = \"{sd}us\" }}")
            }
            Dist::LogNormalCv(mean, cv) => {
                format!("{{ dist = \"lognormal\", mean = \"{mean}us\", cv = {cv} }}")
            }
            Dist::LogNormalP99(mean, ratio) => format!(
                "{{ dist = \"lognormal\", mean = \"{mean}us\", p99 = \"{}us\" }}",
                (*mean as f64 * ratio).round()
            ),
            Dist::Gamma(mean, cv) => format!("{{ dist = \"gamma\", mean = \"{mean}us\", cv = {cv} }}"),
            Dist::ParetoMin(min, alpha) => {
                format!("{{ dist = \"pareto\", min = \"{min}us\", alpha = {alpha} }}")
            }
            Dist::ParetoMean(mean, alpha) => {
                format!("{{ dist = \"pareto\", mean = \"{mean}us\", alpha = {alpha} }}")
            }
            Dist::Empirical(samples) => {
                let samples: Vec<String> = samples.iter().map(|s| format!("\"{s}us\"")).collect();
                format!("{{ dist = \"empirical\", samples = [{}] }}", samples.join(", "))
            }
        }
    }
}

/// A step; indices into components are reduced modulo what exists when the
/// scenario is rendered, so every generated (and shrunk) value is valid.
#[derive(Clone, Debug)]
enum Step {
    Compute(Dist),
    Delay(Dist),
    /// A call to a component downstream of the caller, and an endpoint.
    Call(usize, usize),
    Read(usize, Option<Dist>),
    Write(usize, Option<Dist>),
    Parallel(Vec<Vec<Step>>),
    Maybe(f64, Vec<Step>),
}

fn step() -> impl Strategy<Value = Step> {
    let leaf = prop_oneof![
        dist(20, 2_000).prop_map(Step::Compute),
        dist(20, 5_000).prop_map(Step::Delay),
        (0..8usize, 0..4usize).prop_map(|(target, endpoint)| Step::Call(target, endpoint)),
        (0..4usize, proptest::option::of(dist(50, 3_000))).prop_map(|(db, service)| Step::Read(db, service)),
        (0..4usize, proptest::option::of(dist(50, 3_000))).prop_map(|(db, service)| Step::Write(db, service)),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(proptest::collection::vec(inner.clone(), 1..3), 2..4)
                .prop_map(Step::Parallel),
            (0.0..=1.0f64, proptest::collection::vec(inner, 1..3))
                .prop_map(|(p, steps)| Step::Maybe(p, steps)),
        ]
    })
}

#[derive(Clone, Debug)]
struct Endpoint {
    service: Dist,
    steps: Vec<Step>,
}

#[derive(Clone, Debug)]
enum Size {
    /// One core per worker (the default).
    PerWorker,
    /// A built-in size (2 cores).
    Builtin,
    /// `[size.custom]`: cores and speed.
    Custom,
}

#[derive(Clone, Debug)]
struct Pool {
    instances: u32,
    workers: u32,
    queue_capacity: Option<u32>,
    asynchronous: bool,
    size: Size,
    endpoints: Vec<Endpoint>,
}

fn pool() -> impl Strategy<Value = Pool> {
    (
        1..=3u32,
        1..=6u32,
        proptest::option::of(0..=8u32),
        any::<bool>(),
        prop_oneof![Just(Size::PerWorker), Just(Size::Builtin), Just(Size::Custom)],
        proptest::collection::vec(
            (dist(50, 2_000), proptest::collection::vec(step(), 0..3))
                .prop_map(|(service, steps)| Endpoint { service, steps }),
            1..3,
        ),
    )
        .prop_map(
            |(instances, workers, queue_capacity, asynchronous, size, endpoints)| Pool {
                instances,
                workers,
                queue_capacity,
                asynchronous,
                size,
                endpoints,
            },
        )
}

#[derive(Clone, Debug)]
struct Database {
    connections: u32,
    queue_capacity: Option<u32>,
    read: Dist,
    write: Dist,
}

#[derive(Clone, Debug)]
struct Balancer {
    policy: usize,
    pool: usize,
    latency: Option<Dist>,
    /// Its own capacity: `cores`, `max_connections`.
    cores: Option<u32>,
    max_connections: Option<u32>,
}

#[derive(Clone, Debug)]
struct Dns {
    ttl_s: u32,
    resolve: Option<Dist>,
    /// An index over balancers then pools.
    target: usize,
}

#[derive(Clone, Debug)]
enum Arrivals {
    Open { rate: u32, users: Option<u32> },
    Closed { users: u32, think: Dist },
}

#[derive(Clone, Debug)]
struct RateChange {
    /// Milliseconds after the previous change ends.
    gap_ms: u32,
    rate: u32,
    over_ms: u32,
    hold_ms: Option<u32>,
}

#[derive(Clone, Debug)]
struct Workload {
    arrivals: Arrivals,
    profile: Vec<RateChange>,
    diurnal: Option<(f64, u32)>,
    timeout_ms: Option<u32>,
    retry: Option<(u32, u32, usize)>,
    /// (weight, entry index over DNS names, balancers and pools, endpoint).
    mix: Vec<(u32, usize, usize)>,
}

#[derive(Clone, Debug)]
struct Spec {
    seed: u64,
    window_ms: u32,
    windows: u32,
    warmup_windows: u32,
    network: Option<(Dist, Dist)>,
    workload: Workload,
    pools: Vec<Pool>,
    databases: Vec<Database>,
    balancers: Vec<Balancer>,
    dns: Vec<Dns>,
}

fn workload() -> impl Strategy<Value = Workload> {
    let arrivals = prop_oneof![
        (10..=300u32, proptest::option::of(1..=500u32))
            .prop_map(|(rate, users)| Arrivals::Open { rate, users }),
        (1..=30u32, dist(20_000, 200_000)).prop_map(|(users, think)| Arrivals::Closed { users, think }),
    ];
    let change = (
        0..=1_500u32,
        1..=400u32,
        0..=1_000u32,
        proptest::option::of(1..=1_000u32),
    )
        .prop_map(|(gap_ms, rate, over_ms, hold_ms)| RateChange {
            gap_ms,
            rate,
            over_ms,
            hold_ms,
        });
    (
        arrivals,
        proptest::collection::vec(change, 0..3),
        proptest::option::of((0.1..=1.0f64, 1..=10u32)),
        proptest::option::of(5..=500u32),
        proptest::option::of((0..=3u32, 1..=50u32, 0..3usize)),
        proptest::collection::vec((1..=10u32, 0..16usize, 0..4usize), 1..4),
    )
        .prop_map(|(arrivals, profile, diurnal, timeout_ms, retry, mix)| Workload {
            arrivals,
            profile,
            diurnal,
            timeout_ms,
            retry,
            mix,
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    let database = (
        1..=8u32,
        proptest::option::of(0..=8u32),
        dist(50, 3_000),
        dist(50, 5_000),
    )
        .prop_map(|(connections, queue_capacity, read, write)| Database {
            connections,
            queue_capacity,
            read,
            write,
        });
    let balancer = (
        0..4usize,
        0..8usize,
        proptest::option::of(dist(10, 500)),
        proptest::option::of(1..=4u32),
        proptest::option::of(1..=64u32),
    )
        .prop_map(|(policy, pool, latency, cores, max_connections)| Balancer {
            policy,
            pool,
            latency,
            cores,
            max_connections,
        });
    let dns = (1..=30u32, proptest::option::of(dist(100, 20_000)), 0..8usize).prop_map(
        |(ttl_s, resolve, target)| Dns {
            ttl_s,
            resolve,
            target,
        },
    );
    (
        (
            any::<u64>(),
            prop_oneof![Just(100u32), Just(250), Just(500), Just(1_000)],
            2..=8u32,
            0..=2u32,
        ),
        proptest::option::of((dist(10, 1_000), dist(10, 20_000))),
        workload(),
        proptest::collection::vec(pool(), 1..=3),
        proptest::collection::vec(database, 0..=2),
        proptest::collection::vec(balancer, 0..=2),
        proptest::collection::vec(dns, 0..=2),
    )
        .prop_map(
            |(
                (seed, window_ms, windows, warmup_windows),
                network,
                workload,
                pools,
                databases,
                balancers,
                dns,
            )| {
                Spec {
                    seed,
                    window_ms,
                    windows,
                    warmup_windows: warmup_windows.min(windows - 1),
                    network,
                    workload,
                    pools,
                    databases,
                    balancers,
                    dns,
                }
            },
        )
}

const POLICIES: [&str; 4] = ["round_robin", "least_connections", "random", "power_of_two"];
const JITTERS: [&str; 3] = ["none", "full", "equal"];

impl Spec {
    /// The pool behind an entry: DNS names, then balancers, then pools.
    fn pool_of_component(&self, component: &str) -> usize {
        if let Some(index) = component.strip_prefix('d').and_then(|i| i.parse::<usize>().ok()) {
            return self.pool_of_component(&self.dns_target(index));
        }
        if let Some(index) = component.strip_prefix('b').and_then(|i| i.parse::<usize>().ok()) {
            return self.balancers[index].pool % self.pools.len();
        }
        component[1..].parse().expect("pool names are p<index>")
    }

    fn dns_target(&self, index: usize) -> String {
        let choices = self.balancers.len() + self.pools.len();
        let target = self.dns[index].target % choices;
        if target < self.balancers.len() {
            format!("b{target}")
        } else {
            format!("p{}", target - self.balancers.len())
        }
    }

    /// Every component name: DNS names, balancers, pools.
    fn components(&self) -> Vec<String> {
        let mut names: Vec<String> = (0..self.dns.len()).map(|i| format!("d{i}")).collect();
        names.extend((0..self.balancers.len()).map(|i| format!("b{i}")));
        names.extend((0..self.pools.len()).map(|i| format!("p{i}")));
        names
    }

    fn target(&self, component: &str, endpoint: usize) -> String {
        let pool = self.pool_of_component(component);
        format!("{component}/e{}", endpoint % self.pools[pool].endpoints.len())
    }

    fn toml(&self) -> String {
        let mut out = String::new();
        let o = &mut out;
        let window = self.window_ms;
        writeln!(o, "[scenario]\nseed = {}", self.seed).unwrap();
        writeln!(o, "duration = \"{}ms\"", window * self.windows).unwrap();
        writeln!(o, "warmup = \"{}ms\"", window * self.warmup_windows).unwrap();
        writeln!(o, "window = \"{window}ms\"\n").unwrap();

        let w = &self.workload;
        writeln!(o, "[workload]").unwrap();
        match &w.arrivals {
            Arrivals::Open { rate, users } => {
                let users = users.map_or(String::new(), |users| format!(", users = {users}"));
                writeln!(o, "arrivals = {{ kind = \"open\", rate = \"{rate}/s\"{users} }}").unwrap();
                let mut at = 0;
                let mut changes = Vec::new();
                for change in &w.profile {
                    at += change.gap_ms;
                    let hold = change
                        .hold_ms
                        .map_or(String::new(), |h| format!(", for = \"{h}ms\""));
                    changes.push(format!(
                        "{{ at = \"{at}ms\", rate = \"{}/s\", over = \"{}ms\"{hold} }}",
                        change.rate, change.over_ms
                    ));
                    at += change.over_ms + change.hold_ms.unwrap_or(0);
                }
                writeln!(o, "profile = [{}]", changes.join(", ")).unwrap();
                if let Some((trough, period_s)) = w.diurnal {
                    writeln!(o, "diurnal = {{ trough = {trough}, period = \"{period_s}s\" }}").unwrap();
                }
            }
            Arrivals::Closed { users, think } => {
                writeln!(
                    o,
                    "arrivals = {{ kind = \"closed\", users = {users}, think = {} }}",
                    think.toml()
                )
                .unwrap();
            }
        }
        if let Some(timeout) = w.timeout_ms {
            writeln!(o, "timeout = \"{timeout}ms\"").unwrap();
        }
        if let Some((retries, backoff, jitter)) = w.retry {
            writeln!(
                o,
                "retry = {{ retries = {retries}, backoff = \"{backoff}ms\", jitter = \"{}\" }}",
                JITTERS[jitter]
            )
            .unwrap();
        }
        let components = self.components();
        let mix: Vec<String> = w
            .mix
            .iter()
            .enumerate()
            .map(|(index, &(weight, entry, endpoint))| {
                let component = &components[entry % components.len()];
                format!(
                    "{{ class = \"c{index}\", weight = {weight}, call = \"{}\" }}",
                    self.target(component, endpoint)
                )
            })
            .collect();
        writeln!(o, "mix = [{}]\n", mix.join(", ")).unwrap();

        if let Some((default, client)) = &self.network {
            writeln!(
                o,
                "[network]\ndefault = {}\nclient = {}\n",
                default.toml(),
                client.toml()
            )
            .unwrap();
        }
        writeln!(
            o,
            "[size.custom]\ncores = 1\nspeed = 1.5\nprice_per_hour = 0.05\n"
        )
        .unwrap();
        for (index, dns) in self.dns.iter().enumerate() {
            writeln!(
                o,
                "[dns.d{index}]\nttl = \"{}s\"\ntarget = \"{}\"",
                dns.ttl_s,
                self.dns_target(index)
            )
            .unwrap();
            if let Some(resolve) = &dns.resolve {
                writeln!(o, "resolve = {}", resolve.toml()).unwrap();
            }
        }
        for (index, balancer) in self.balancers.iter().enumerate() {
            writeln!(
                o,
                "[balancer.b{index}]\npool = \"p{}\"\npolicy = \"{}\"",
                balancer.pool % self.pools.len(),
                POLICIES[balancer.policy]
            )
            .unwrap();
            if let Some(latency) = &balancer.latency {
                writeln!(o, "latency = {}", latency.toml()).unwrap();
            }
            if let Some(cores) = balancer.cores {
                writeln!(o, "cores = {cores}").unwrap();
            }
            if let Some(limit) = balancer.max_connections {
                writeln!(o, "max_connections = {limit}").unwrap();
            }
        }
        for (index, pool) in self.pools.iter().enumerate() {
            self.pool_toml(o, index, pool);
        }
        for (index, database) in self.databases.iter().enumerate() {
            writeln!(
                o,
                "[database.db{index}]\nconnections = {}\nread = {}\nwrite = {}",
                database.connections,
                database.read.toml(),
                database.write.toml()
            )
            .unwrap();
            if let Some(capacity) = database.queue_capacity {
                writeln!(o, "queue_capacity = {capacity}").unwrap();
            }
        }
        out
    }

    fn pool_toml(&self, o: &mut String, index: usize, pool: &Pool) {
        writeln!(
            o,
            "[pool.p{index}]\ninstances = {}\nworkers = {}",
            pool.instances, pool.workers
        )
        .unwrap();
        if let Some(capacity) = pool.queue_capacity {
            writeln!(o, "queue_capacity = {capacity}").unwrap();
        }
        if pool.asynchronous {
            writeln!(o, "concurrency = \"async\"").unwrap();
        }
        match pool.size {
            Size::PerWorker => {}
            Size::Builtin => writeln!(o, "size = \"m5.large\"").unwrap(),
            Size::Custom => writeln!(o, "size = \"custom\"").unwrap(),
        }
        for (number, endpoint) in pool.endpoints.iter().enumerate() {
            let steps: Vec<String> = endpoint
                .steps
                .iter()
                .map(|step| self.step_toml(index, step))
                .collect();
            writeln!(
                o,
                "[pool.p{index}.endpoint.e{number}]\nservice = {}\nsteps = [{}]",
                endpoint.service.toml(),
                steps.join(", ")
            )
            .unwrap();
        }
    }

    /// A step of an endpoint of pool `caller`. Calls go only to components
    /// whose pool comes after the caller's, so the call graph is acyclic;
    /// with nothing downstream, or no database, a step becomes a delay.
    fn step_toml(&self, caller: usize, step: &Step) -> String {
        let fallback = || "{ delay = \"100us\" }".to_owned();
        match step {
            Step::Compute(dist) => format!("{{ compute = {} }}", dist.toml()),
            Step::Delay(dist) => format!("{{ delay = {} }}", dist.toml()),
            Step::Call(target, endpoint) => {
                let downstream: Vec<String> = self
                    .components()
                    .into_iter()
                    .filter(|component| self.pool_of_component(component) > caller)
                    .collect();
                if downstream.is_empty() {
                    return fallback();
                }
                let component = &downstream[target % downstream.len()];
                format!("{{ call = \"{}\" }}", self.target(component, *endpoint))
            }
            Step::Read(database, service) | Step::Write(database, service) => {
                if self.databases.is_empty() {
                    return fallback();
                }
                let verb = if matches!(step, Step::Read(..)) {
                    "read"
                } else {
                    "write"
                };
                let service = service
                    .as_ref()
                    .map_or(String::new(), |dist| format!(", service = {}", dist.toml()));
                format!(
                    "{{ {verb} = \"db{}\"{service} }}",
                    database % self.databases.len()
                )
            }
            Step::Parallel(branches) => {
                let branches: Vec<String> = branches
                    .iter()
                    .map(|branch| {
                        let steps: Vec<String> = branch.iter().map(|s| self.step_toml(caller, s)).collect();
                        format!("[{}]", steps.join(", "))
                    })
                    .collect();
                format!("{{ parallel = [{}] }}", branches.join(", "))
            }
            Step::Maybe(probability, steps) => {
                let steps: Vec<String> = steps.iter().map(|s| self.step_toml(caller, s)).collect();
                format!(
                    "{{ probability = {probability}, steps = [{}] }}",
                    steps.join(", ")
                )
            }
        }
    }
}

/// Loads generated text, which must be a valid scenario.
fn load(text: &str) -> capsim::scenario::Scenario {
    match load_str(text) {
        Ok(loaded) => loaded.scenario,
        Err(error) => panic!("a generated scenario must load:\n{error}\n{text}"),
    }
}

/// Rows of a run as exact bit patterns (NaN-safe), for equality.
fn fingerprint(result: &RunResult) -> Vec<(String, String, u64)> {
    let mut rows: Vec<(String, String, u64)> = result
        .summary
        .rows
        .iter()
        .map(|row| (row.scope.clone(), row.metric.to_owned(), row.value.to_bits()))
        .collect();
    let series = &result.timeseries;
    rows.extend(series.rows.iter().map(|row| {
        (
            format!("{}@{}", series.scopes[row.scope as usize], row.time_s),
            row.metric.to_owned(),
            row.value.to_bits(),
        )
    }));
    rows.push(("engine".into(), "events".into(), result.events_handled));
    rows
}

/// A per-window count recovered from a rate: `rate × window length` must be
/// a whole number.
fn count(rate: f64, elapsed_s: f64) -> f64 {
    let count = rate * elapsed_s;
    let whole = count.round();
    assert!(
        (count - whole).abs() < 1e-6,
        "{rate}/s over {elapsed_s} s is not a whole count"
    );
    whole
}

/// Conservation window by window: from the start of the run, arrivals −
/// completions − failures is the `in_flight` gauge at each window's end
/// (warm-up windows included, since the series has them); the windows after
/// warm-up add up to the summary; `in_flight_at_warmup` is the gauge at the
/// end of the warm-up.
fn assert_conserved_per_window(result: &RunResult, warmup_s: f64, classes: usize) {
    let series = &result.timeseries;
    let offered = series.series("overall", "offered_rps");
    let completed = series.series("overall", "completed");
    let errors = series.series("overall", "errors");
    let in_flight = series.series("overall", "in_flight");
    assert!(!offered.is_empty());
    let (mut previous_end, mut balance) = (0.0, 0.0);
    let (mut kept_arrivals, mut kept_completed, mut kept_errors) = (0.0, 0.0, 0.0);
    let mut in_flight_at_warmup = 0.0;
    for window in 0..offered.len() {
        let (end, rate) = offered[window];
        let arrivals = count(rate, end - previous_end);
        balance += arrivals - completed[window].1 - errors[window].1;
        assert_eq!(
            balance, in_flight[window].1,
            "window ending at {end} s: arrived − ended = in flight"
        );
        // Classes add up to `overall` in every window.
        let by_class: f64 = (0..classes)
            .map(|class| {
                count(
                    series.series(&format!("class:c{class}"), "offered_rps")[window].1,
                    end - previous_end,
                )
            })
            .sum();
        assert_eq!(by_class, arrivals, "window ending at {end} s: classes add up");
        if end > warmup_s + 1e-9 {
            kept_arrivals += arrivals;
            kept_completed += completed[window].1;
            kept_errors += errors[window].1;
        } else {
            in_flight_at_warmup = in_flight[window].1;
        }
        previous_end = end;
    }
    assert_eq!(kept_arrivals, metric(result, "overall", "requests"));
    assert_eq!(kept_completed, metric(result, "overall", "completed"));
    assert_eq!(kept_errors, metric(result, "overall", "errors"));
    assert_eq!(
        in_flight_at_warmup,
        metric(result, "overall", "in_flight_at_warmup")
    );
    assert_eq!(balance, metric(result, "overall", "in_flight_at_end"));
}

fn assert_classes_add_up(result: &RunResult, classes: usize) {
    for name in ["requests", "completed", "errors"] {
        let by_class: f64 = (0..classes)
            .map(|class| metric(result, &format!("class:c{class}"), name))
            .sum();
        assert_eq!(
            by_class,
            metric(result, "overall", name),
            "classes add up to overall {name}"
        );
    }
}

proptest! {
    #![proptest_config(config(CASES, 0x0c0f_fee0))]

    #[test]
    fn random_valid_scenarios_conserve_requests_in_every_window(spec in spec()) {
        let text = spec.toml();
        let loaded = load(&text);
        let result = simulate(&loaded);
        assert_conserved(&result);
        assert_classes_add_up(&result, spec.workload.mix.len());
        let warmup_s = (spec.window_ms * spec.warmup_windows) as f64 / 1e3;
        assert_conserved_per_window(&result, warmup_s, spec.workload.mix.len());
    }
}

proptest! {
    #![proptest_config(config(CASES / 2, 0x0d0e_7e12))]

    #[test]
    fn random_valid_scenarios_are_deterministic(spec in spec()) {
        let loaded = load(&spec.toml());
        let first = fingerprint(&simulate(&loaded));
        prop_assert_eq!(&first, &fingerprint(&simulate(&loaded)), "the same scenario runs the same");
        // The resolved scenario a run writes reproduces the run.
        let resolved = scenario(&dump::to_toml(&loaded));
        prop_assert_eq!(&first, &fingerprint(&simulate(&resolved)), "the resolved scenario runs the same");
    }
}

/// An M/M/c station fed by an arrival stream that stops at `arrivals_s` (a
/// profile step to a negligible rate), then left to drain.
fn mmc(seed: u64, workers: u32, rate: u32, service_us: u32, arrivals_s: u32) -> String {
    format!(
        r#"
[scenario]
seed = {seed}
duration = "{duration}s"
window = "1s"

[workload]
arrivals = {{ kind = "open", rate = "{rate}/s" }}
profile = [{{ at = "{arrivals_s}s", rate = "1/day" }}]
mix = [{{ class = "q", call = "srv/work" }}]

[pool.srv]
workers = {workers}

[pool.srv.endpoint.work]
service = {{ dist = "exp", mean = "{service_us}us" }}
"#,
        duration = arrivals_s * 4,
    )
}

proptest! {
    #![proptest_config(config(CASES / 2, 0x3a3c_0001))]

    /// One more worker never raises the mean wait of an M/M/c station.
    ///
    /// This holds *pathwise* under common random numbers, not just in
    /// distribution. Both runs draw arrival times from the stream
    /// `workload.arrivals` and service times from
    /// `pool.srv.endpoint.work.service`, which no other site shares; the
    /// station is FCFS, so customers start service in arrival order and the
    /// n-th customer gets the n-th service draw in both runs (cores equal
    /// workers, so nothing else reorders them). Customer n's wait is then the
    /// smallest entry of the Kiefer–Wolfowitz workload vector, whose
    /// recursion `W ← sort((W + S_n e_1 − T_n)⁺)` is monotone in W; c workers
    /// are c + 1 workers with one that never frees (workload +∞), which
    /// dominates c + 1 free workers, so every customer waits no longer with
    /// c + 1. The mean is over the same customers when both runs have served
    /// everyone (no warm-up, arrivals stop, the queue drains: checked), and
    /// `wait_mean_ms` sums integer nanoseconds, so the inequality is exact.
    #[test]
    fn one_more_worker_never_raises_the_mean_wait_of_mmc(
        seed in any::<u64>(),
        workers in 1..=4u32,
        utilization in 0.3..0.97f64,
        service_us in 200..=5_000u32,
    ) {
        let rate = ((utilization * workers as f64 * 1e6 / service_us as f64).round() as u32).max(1);
        let fewer = simulate(&scenario(&mmc(seed, workers, rate, service_us, 5)));
        let more = simulate(&scenario(&mmc(seed, workers + 1, rate, service_us, 5)));
        // Precondition: both drained, so both means are over every customer.
        prop_assume!(metric(&fewer, "overall", "in_flight_at_end") == 0.0);
        prop_assert_eq!(metric(&more, "overall", "in_flight_at_end"), 0.0);
        prop_assert_eq!(metric(&fewer, "srv", "served"), metric(&more, "srv", "served"));
        let (wait_fewer, wait_more) = (metric(&fewer, "srv", "wait_mean_ms"), metric(&more, "srv", "wait_mean_ms"));
        prop_assert!(
            wait_more <= wait_fewer,
            "c = {} waits {} ms on average, c = {} waits {} ms", workers, wait_fewer, workers + 1, wait_more
        );
    }
}

/// The generator reaches every feature, and the runs reach the failure
/// paths (timeouts, retries, rejections), or the properties above would
/// check less than they claim.
#[test]
fn the_generator_covers_every_feature() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{TestRng, TestRunner};

    let mut runner =
        TestRunner::new_with_rng(config(1, 0), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let strategy = spec();
    let features = [
        "kind = \"open\"",
        "kind = \"closed\"",
        "users = ",
        "profile = [{",
        "for = ",
        "diurnal",
        "timeout",
        "retry",
        "jitter = \"none\"",
        "jitter = \"equal\"",
        "[network]",
        "[dns.",
        "resolve",
        "round_robin",
        "least_connections",
        "\"random\"",
        "power_of_two",
        "latency = ",
        "instances = 2",
        "queue_capacity",
        "\"async\"",
        "size = \"m5.large\"",
        "size = \"custom\"",
        "{ compute",
        "{ delay",
        "{ call = \"d",
        "{ call = \"b",
        "{ call = \"p",
        "{ read",
        "{ write",
        "service = {",
        "parallel",
        "probability",
        "\"const\"",
        "\"exp\"",
        "\"uniform\"",
        "\"normal\"",
        "cv = ",
        "p99 = ",
        "\"gamma\"",
        "\"pareto\"",
        "\"empirical\"",
        "warmup = \"0ms\"",
        "warmup = \"2",
    ];
    let mut seen = vec![0; features.len()];
    let (mut errors, mut retries, mut rejected, mut timeouts) = (0, 0, 0, 0);
    for case in 0..300 {
        let spec = strategy.new_tree(&mut runner).expect("a spec").current();
        let text = spec.toml();
        for (index, feature) in features.iter().enumerate() {
            seen[index] += usize::from(text.contains(feature));
        }
        if case < 100 {
            let result = simulate(&load(&text));
            errors += usize::from(metric(&result, "overall", "errors") > 0.0);
            retries += usize::from(metric(&result, "overall", "retries") > 0.0);
            timeouts += usize::from(metric(&result, "overall", "timeouts") > 0.0);
            rejected += usize::from(metric(&result, "overall", "errors_rejected") > 0.0);
        }
    }
    for (feature, count) in features.iter().zip(&seen) {
        assert!(*count > 0, "no generated scenario has `{feature}`");
    }
    assert!(
        errors > 0 && retries > 0 && timeouts > 0 && rejected > 0,
        "{errors} {retries} {timeouts} {rejected}"
    );
}
