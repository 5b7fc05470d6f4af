//! The resolved scenario: plain Rust data, every default applied, every
//! reference checked. Nothing from serde or TOML crosses this boundary; the
//! model compiles from these types and `dump` writes them back as TOML.
//!
//! Components refer to each other by name (checked at load time); the model
//! turns names into typed ids once, when it compiles.

use super::dist::Dist;
use crate::engine::SimDuration;

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub duration: SimDuration,
    pub warmup: SimDuration,
    pub window: SimDuration,
    pub limits: Limits,
    pub workload: Workload,
    pub network: Network,
    pub sizes: Vec<Size>,
    pub dns: Vec<Dns>,
    pub balancers: Vec<Balancer>,
    pub pools: Vec<Pool>,
    pub databases: Vec<Database>,
}

/// Bounds that end a run cleanly instead of exhausting memory or time.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Requests in flight (including abandoned attempts still being served).
    pub max_in_flight: u64,
    /// Events handled in one run.
    pub max_events: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_in_flight: 1_000_000,
            max_events: 10_000_000_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub arrivals: Arrivals,
    /// Changes of the open arrival rate over time, in time order.
    pub profile: Vec<RateChange>,
    pub diurnal: Option<Diurnal>,
    /// The client gives up on an attempt after this long.
    pub timeout: Option<SimDuration>,
    pub retry: Retry,
    pub mix: Vec<Class>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Poisson arrivals at a rate, spread over a population of users.
    Open { rate: OpenRate, users: u64 },
    /// A fixed population, each user thinking between requests.
    Closed { users: u64, think: Dist },
}

/// How the open arrival rate is stated.
#[derive(Clone, Debug, PartialEq)]
pub enum OpenRate {
    /// Requests per second.
    PerSecond(f64),
    /// Derived from daily users: peak = users × requests / 86 400 s × peak factor.
    Daily {
        daily_users: f64,
        requests_per_user: f64,
        peak_factor: f64,
    },
}

impl OpenRate {
    /// The rate the profile starts from, in requests per second.
    pub fn per_second(&self) -> f64 {
        match *self {
            OpenRate::PerSecond(rate) => rate,
            OpenRate::Daily {
                daily_users,
                requests_per_user,
                peak_factor,
            } => daily_users * requests_per_user / 86_400.0 * peak_factor,
        }
    }
}

/// From `at`, move the rate to `rate` linearly over `over` (a step when
/// zero); with `hold`, return to the previous rate after holding it that
/// long (a spike).
#[derive(Clone, Debug, PartialEq)]
pub struct RateChange {
    pub at: SimDuration,
    pub rate: f64,
    pub over: SimDuration,
    pub hold: Option<SimDuration>,
}

/// A daily cycle multiplying the rate: 1 at `peak_at` (modulo `period`),
/// `trough` half a period later, a cosine in between.
#[derive(Clone, Debug, PartialEq)]
pub struct Diurnal {
    pub trough: f64,
    pub period: SimDuration,
    pub peak_at: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    /// Retries after the first attempt (0 = never retry).
    pub retries: u32,
    /// Wait before the first retry; multiplied by `multiplier` each time.
    pub backoff: SimDuration,
    pub multiplier: f64,
    pub max_backoff: SimDuration,
    pub jitter: Jitter,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            retries: 0,
            backoff: SimDuration::from_millis(100),
            multiplier: 2.0,
            max_backoff: SimDuration::from_secs(10),
            jitter: Jitter::Full,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Wait exactly the backoff.
    None,
    /// Wait uniformly between zero and the backoff.
    Full,
    /// Wait half the backoff plus uniformly up to the other half.
    Equal,
}

impl Jitter {
    pub const NAMES: [&'static str; 3] = ["none", "full", "equal"];
    pub const ALL: [Jitter; 3] = [Jitter::None, Jitter::Full, Jitter::Equal];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// A request class of the mix.
#[derive(Clone, Debug, PartialEq)]
pub struct Class {
    pub name: String,
    pub weight: f64,
    pub call: Target,
}

/// `component/endpoint`: a DNS name, balancer or pool, and the endpoint of
/// the pool behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub component: String,
    pub endpoint: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.component, self.endpoint)
    }
}

/// One-way network latencies.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Between components inside the system.
    pub default: Dist,
    /// Between a user and the system's entry point.
    pub client: Dist,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            default: Dist::Const { value: 0.0 },
            client: Dist::Const { value: 0.0 },
        }
    }
}

/// An instance size: vertical scaling is a bigger size.
#[derive(Clone, Debug, PartialEq)]
pub struct Size {
    pub name: String,
    pub cores: u32,
    /// Per-core speed relative to the reference machine service times are
    /// stated for: service time on this size = stated time / speed.
    pub speed: f64,
    pub price_per_hour: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Dns {
    pub name: String,
    pub ttl: SimDuration,
    pub resolve: Dist,
    pub target: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    RoundRobin,
    LeastConnections,
    Random,
    PowerOfTwo,
}

impl Policy {
    pub const NAMES: [&'static str; 4] = ["round_robin", "least_connections", "random", "power_of_two"];
    pub const ALL: [Policy; 4] = [
        Policy::RoundRobin,
        Policy::LeastConnections,
        Policy::Random,
        Policy::PowerOfTwo,
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Balancer {
    pub name: String,
    pub policy: Policy,
    pub pool: String,
    /// The balancer's own processing time per request.
    pub latency: Dist,
}

/// Whether a worker is held while an endpoint waits on downstream calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Concurrency {
    /// The worker (thread) is held for the whole request.
    ThreadPerRequest,
    /// The worker is released while waiting and taken again to compute.
    Async,
}

impl Concurrency {
    pub const NAMES: [&'static str; 2] = ["thread_per_request", "async"];
    pub const ALL: [Concurrency; 2] = [Concurrency::ThreadPerRequest, Concurrency::Async];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    pub name: String,
    pub instances: u32,
    /// Name of a size; `None` means one core per worker at speed 1, free.
    pub size: Option<String>,
    /// Workers (threads, connections being served) per instance.
    pub workers: u32,
    /// Requests waiting for a worker per instance; `None` is unbounded.
    pub queue_capacity: Option<u32>,
    pub concurrency: Concurrency,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub name: String,
    /// CPU time of the endpoint itself, spent before its steps.
    pub service: Dist,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Use a core for a while.
    Compute(Dist),
    /// Wait without using a core (an external API, a sleep).
    Delay(Dist),
    /// Call another endpoint and wait for its reply.
    Call(Target),
    /// A read on a database; `service` overrides the database's read time.
    Read { database: String, service: Option<Dist> },
    /// A write on a database; `service` overrides the database's write time.
    Write { database: String, service: Option<Dist> },
    /// Run every branch at once and wait for all of them.
    Parallel(Vec<Vec<Step>>),
    /// Run `steps` with this probability, skip them otherwise.
    Maybe { probability: f64, steps: Vec<Step> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Database {
    pub name: String,
    /// Connections served at once (the database's concurrency).
    pub connections: u32,
    /// Operations waiting for a connection; `None` is unbounded.
    pub queue_capacity: Option<u32>,
    pub read: Option<Dist>,
    pub write: Option<Dist>,
}

impl Scenario {
    pub fn size(&self, name: &str) -> Option<&Size> {
        self.sizes.iter().find(|size| size.name == name)
    }

    pub fn pool(&self, name: &str) -> Option<&Pool> {
        self.pools.iter().find(|pool| pool.name == name)
    }

    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|database| database.name == name)
    }

    pub fn balancer(&self, name: &str) -> Option<&Balancer> {
        self.balancers.iter().find(|balancer| balancer.name == name)
    }

    pub fn dns_name(&self, name: &str) -> Option<&Dns> {
        self.dns.iter().find(|dns| dns.name == name)
    }

    /// The pool a call target ends at, following DNS and balancers.
    pub fn pool_behind(&self, component: &str) -> Option<&Pool> {
        if let Some(dns) = self.dns_name(component) {
            return self.pool_behind(&dns.target);
        }
        if let Some(balancer) = self.balancer(component) {
            return self.pool(&balancer.pool);
        }
        self.pool(component)
    }

    /// Cores, speed and price of a pool's instances.
    pub fn pool_size(&self, pool: &Pool) -> Size {
        match &pool.size {
            Some(name) => self
                .size(name)
                .cloned()
                .expect("size references are checked at load"),
            None => Size {
                name: String::new(),
                cores: pool.workers,
                speed: 1.0,
                price_per_hour: 0.0,
            },
        }
    }
}
