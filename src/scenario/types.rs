//! The resolved scenario: plain Rust data, every default applied, every
//! reference checked. Nothing from serde or TOML crosses this boundary; the
//! model compiles from these types and `dump` writes them back as TOML.
//!
//! Each component list is an `IdVec` indexed by the component's id
//! (`scenario::ids`). A component's own `name` is kept for outputs and the
//! dump. Cross-references hold ids, resolved once by the loader
//! (`parse/names.rs`) for: a balancer's pool, a DNS name's target, a pool's
//! size and session store, the database, cache and queue of data and
//! enqueue steps, every keyspace reference, and call targets (`Target`: an
//! `Entry` and an `EndpointId`) in call steps, a class's `call` (or its
//! CDN), a CDN's origin, a queue's consumer, and fault targets (but for
//! their data centers). Still held by name (checked at load, looked up by
//! their readers): the geography's placements, data centers' regions, links,
//! geoDNS targets, and the data centers of `datacenter` and `partition`
//! faults. `check` works on names (the recorded references, `FaultSpec`):
//! it runs before every id is known to resolve.

pub use super::cache_keys::{WarmFrom, WarmRestart};
use super::dist::Dist;
use super::ids::{
    BalancerId, CacheId, CdnId, ClassId, DatabaseId, DatacenterId, DnsId, EndpointId, KeyspaceId, PoolId,
    QueueId, SizeId,
};
pub use super::resilience::{Hedge, HedgeAfter, Loser, RateLimit};
use super::section::{self, section};
use super::words::words;
use crate::engine::SimDuration;
use crate::engine::id::IdVec;

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// `[scenario]`'s plain keys (`ScenarioKeys`, which a scenario derefs
    /// to: `scenario.duration`); `name` and `window`, whose defaults come
    /// from the file name and `duration`, are read by hand.
    pub keys: ScenarioKeys,
    pub name: String,
    pub window: SimDuration,
    pub limits: Limits,
    pub workload: Workload,
    pub network: Network,
    pub sizes: IdVec<SizeId, Size>,
    pub dns: IdVec<DnsId, Dns>,
    pub balancers: IdVec<BalancerId, Balancer>,
    pub pools: IdVec<PoolId, Pool>,
    pub databases: IdVec<DatabaseId, Database>,
    pub keyspaces: IdVec<KeyspaceId, Keyspace>,
    pub caches: IdVec<CacheId, Cache>,
    pub faults: Vec<Fault>,
    pub recovery: Recovery,
    /// Regions, data centers, placements and geoDNS (empty: one place).
    pub geo: super::geo::Geo,
    pub cdns: IdVec<CdnId, Cdn>,
    /// Message queues (brokers) and the pools that consume them.
    pub queues: IdVec<QueueId, Queue>,
    /// `[slo]`: the objectives a run is judged by.
    pub slo: Slos,
    /// `[plan]`: what `capsim plan` may change and must survive.
    pub plan: PlanTable,
    /// `[host.*]` and the components placed on them (empty: every
    /// component on machines of its own).
    pub hosts: super::host::Hosts,
}

impl std::ops::Deref for Scenario {
    type Target = ScenarioKeys;

    fn deref(&self) -> &ScenarioKeys {
        &self.keys
    }
}

/// A scenario's seed and times are changed in place by replications,
/// comparisons and tests.
impl std::ops::DerefMut for Scenario {
    fn deref_mut(&mut self) -> &mut ScenarioKeys {
        &mut self.keys
    }
}

section! {
    /// `[scenario]`: the run itself.
    #[partial(ScenarioRead)]
    pub struct ScenarioKeys {
        /// Free text.
        description: String = default(String::new()), section::Text;
        /// Seed of every random stream (0 to 2⁶⁴−1).
        seed: u64 = default(1), section::Seed;
        /// Simulated time.
        duration: SimDuration = required("\"10m\""), section::PositiveDuration;
        /// Discarded before metrics are kept; a whole number of windows.
        warmup: SimDuration = default(SimDuration::ZERO), section::Duration;
    }
}

section! {
    /// `[recovery]`: when a drill counts the service as recovered: its error
    /// rate and p99 back within these margins of the pre-fault baseline for
    /// `windows` windows in a row.
    pub struct Recovery {
        /// The window's error rate at most the pre-fault baseline plus this.
        error_rate_margin: f64 = default(0.001), section::Probability;
        /// The window's p99 at most the baseline's times this.
        p99_factor: f64 = default(1.5), section::PositiveNumber;
        /// For this many windows in a row; use short windows (`window = "1s"`) in drills.
        windows: u32 = default(3), section::Count32 { min: 1, max: 1000 };
    }
}

impl Default for Recovery {
    fn default() -> Self {
        Recovery::defaults().expect("every key of `[recovery]` has a default")
    }
}

section! {
    /// `[slo]`: the objectives a run is judged by, checked at load (each scope must be in
    /// the scenario and measure the metric); `--slo` flags add to them.
    pub struct Slos {
        /// Objectives as `[SCOPE/]METRIC OP THRESHOLD`, the `--slo` grammar: `"p99 < 300ms"`,
        /// `"class:view/p99 < 300ms"`, `"error_rate < 1%"`, `"web/cpu_utilization < 0.8"`,
        /// `"cost_per_month_usd < 2000"`, `"drill:db.primary/rto_s < 60s"`
        /// (`drill:<target>` is every drill on that target). A run that misses one exits 3.
        objectives: Vec<super::slo::Slo> = default(Vec::new(), "none"), super::slo::Objectives;
    }
}

section! {
    /// `[plan]`: what `capsim plan` designs (checked at load; see `scenario::plan`).
    pub struct PlanTable {
        /// Design knobs, each a range or a list: `{ knob = "database.db.replicas", min = 0,
        /// max = 5 }`, `{ knob = "pool.web.size", values = ["m5.large", "m5.xlarge"] }`. Knobs:
        /// `pool.NAME.instances`, `pool.NAME.size`, `database.NAME.connections`, `.size`,
        /// `.replicas`, `.shards`, `cache.NAME.nodes`, `cache.NAME.size`, `balancer.NAME.cores`.
        knobs: Vec<super::plan::PlanKnob> = default(Vec::new(), "every pool's instances, database's connections and balancer's cores"), super::plan::Knobs;
        /// Failures the design must ride through: a component crashed a third into the run
        /// (`"pool.web.instance[*]"`, any one instance; `"database.db.primary"`,
        /// `"cache.c.node[*]"`, `"datacenter.east"`), or a named drill, a `[[faults]]` entry
        /// with a `name` that strikes at its `at` (required, no default; after the warm-up and
        /// before the end of the run): `{ name = "dc-us lost", kill = "datacenter.dc-us",
        /// mode = "hang", at = "2m", for = "3m" }`.
        survive: Vec<super::plan::SurviveTarget> = default(Vec::new(), "none"), super::plan::Survive;
        /// Objectives that must hold during a survived failure instead of `[slo]` (same grammar).
        degraded: Vec<super::slo::Slo> = default(Vec::new(), "the `[slo]` objectives"), super::slo::DegradedObjectives;
        /// The peak rate to plan for (`--load` overrides it; default: the workload's peak).
        load: Option<f64> = optional(), section::Rate;
    }
}

impl Default for PlanTable {
    fn default() -> Self {
        PlanTable::defaults().expect("every key of `[plan]` has a default")
    }
}

impl Default for Slos {
    fn default() -> Self {
        Slos::defaults().expect("every key of `[slo]` has a default")
    }
}

section! {
    /// `[limits]`: what a run may use — bounds that end a run cleanly instead
    /// of exhausting memory or time.
    pub struct Limits {
        /// Requests in flight at once; beyond it the run stops with exit code 1 and writes
        /// nothing (an overloaded system without timeouts).
        max_in_flight: u64 = default(1_000_000), section::Count { min: 1, max: 100_000_000 };
        /// Calls at the servers at once — waiting for a worker, being served, or waiting
        /// on calls of their own — counting those of attempts the client gave up on (a
        /// timeout abandons the attempt, not its work at the servers); beyond it the run
        /// stops with exit code 1, names the station where they queue, and writes nothing.
        /// Bounds the run's memory (about 120 bytes a call).
        max_calls_in_flight: u64 = default(2_000_000), section::Count { min: 1, max: 100_000_000 };
        /// Events handled in one run; a workload whose arrivals alone (one event each) would
        /// exceed it is an error at load time.
        max_events: u64 = default(10_000_000_000), section::Count { min: 1, max: u64::MAX / 2 };
        /// Events at one simulated instant; beyond it the clock has stopped advancing (a
        /// loop that takes no time, or arrivals denser than a nanosecond) and the run stops
        /// with exit code 1.
        max_events_per_instant: u64 = default(100_000_000), section::Count { min: 1, max: u64::MAX / 2 };
        /// The longest `scenario.duration` accepted; a longer one is an error at load time.
        max_duration: SimDuration = default(SimDuration::from_secs(31 * 24 * 3600)), section::PositiveDuration;
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::defaults().expect("every key of `[limits]` has a default")
    }
}

/// `[workload]`: its plain keys (`WorkloadKeys`, which it derefs to) and
/// those read by hand: arrivals (tagged by `kind`), the rate profile and
/// the mix (names of classes and call targets).
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub arrivals: Arrivals,
    /// Changes of the open arrival rate over time, in time order.
    pub profile: Vec<RateChange>,
    pub mix: IdVec<ClassId, Class>,
    /// The class a user sends to log in again, before their next request, after a crash lost
    /// their sticky session.
    pub relogin: Option<ClassId>,
    pub keys: WorkloadKeys,
}

impl std::ops::Deref for Workload {
    type Target = WorkloadKeys;

    fn deref(&self) -> &WorkloadKeys {
        &self.keys
    }
}

section! {
    /// `[workload]`: who sends requests, how many, and what they ask for.
    pub struct WorkloadKeys {
        /// Open workloads: a daily cycle multiplying the rate: `{ trough = 0.3, period = "24h",
        /// peak_at = "14h" }` (1 at the peak, `trough` half a period later, cosine in between).
        diurnal: Option<Diurnal> = optional(), section::nested::<Diurnal>();
        /// The client gives up an attempt after this long (the servers keep working on it).
        timeout: Option<SimDuration> = optional(), section::PositiveDuration;
        /// `{ retries = 2, backoff = "100ms", multiplier = 2.0, max_backoff = "10s", jitter =
        /// "full" }`: after a timeout or rejection, wait `backoff × multiplier^(k−1)` (capped),
        /// with `jitter` `none`, `full` (uniform from 0) or `equal` (half fixed, half uniform).
        /// Add `budget = { ratio = 0.1, window = "10s", min_per_second = 10 }` for a retry budget
        /// (gRPC's, Finagle's): retries at most `ratio` × the requests of the last `window`, plus
        /// `min_per_second`; a retry it refuses is not made (`retries_refused`). It is what stops
        /// a retry storm (`scenarios/15-retry-storm.toml`).
        retry: Retry = default(Retry::default(), "no retries"), section::nested::<Retry>();
    }
}

/// `arrivals`, tagged by `kind` (read by hand): `open` with `rate` (or a
/// `DailyRate`) and `OpenKeys`, or `closed` with `ClosedArrivals`.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Poisson arrivals at a rate, spread over a population of users.
    Open { rate: OpenRate, keys: OpenKeys },
    /// A fixed population, each user thinking between requests.
    Closed(ClosedArrivals),
}

impl Arrivals {
    /// The user population.
    pub fn users(&self) -> u64 {
        match self {
            Arrivals::Open { keys, .. } => keys.users,
            Arrivals::Closed(closed) => closed.users,
        }
    }
}

section! {
    /// `arrivals = { kind = "open", … }`: Poisson arrivals at `rate` (or a rate from
    /// `daily_users`), spread uniformly over the users.
    #[derive(Copy)]
    pub struct OpenKeys {
        /// Users the requests are spread over (each has their own DNS cache).
        users: u64 = default(10_000), section::Count { min: 1, max: super::parse::MAX_USERS };
    }
}

section! {
    /// `arrivals = { kind = "closed", … }`: a fixed population; each user thinks, sends a
    /// request, waits for its outcome, and thinks again.
    pub struct ClosedArrivals {
        /// The users.
        users: u64 = required("100"), section::ClosedUsers;
        /// The think time between a user's requests.
        think: Dist = required("{ dist = \"exp\", mean = \"5s\" }"), section::DurationDist;
    }
}

/// How the open arrival rate is stated: `rate` (read by hand, since it
/// excludes `daily_users`), or a `DailyRate`.
#[derive(Clone, Debug, PartialEq)]
pub enum OpenRate {
    /// Requests per second.
    PerSecond(f64),
    /// Derived from daily users.
    Daily(DailyRate),
}

impl OpenRate {
    /// The rate the profile starts from, in requests per second.
    pub fn per_second(&self) -> f64 {
        match self {
            OpenRate::PerSecond(rate) => *rate,
            OpenRate::Daily(daily) => daily.per_second(),
        }
    }
}

section! {
    /// An open workload's peak rate from its users: users × requests / 86 400 s × factor.
    #[derive(Copy)]
    pub struct DailyRate {
        /// Users per day (greater than zero).
        daily_users: f64 = required("1e6"), section::PositiveNumber;
        /// Requests per user per day (greater than zero).
        requests_per_user: f64 = required("20"), section::PositiveNumber;
        /// Peak rate / average rate (greater than zero).
        peak_factor: f64 = default(1.0), section::PositiveNumber;
    }
}

impl DailyRate {
    /// The peak rate in requests per second.
    pub fn per_second(&self) -> f64 {
        self.daily_users * self.requests_per_user / 86_400.0 * self.peak_factor
    }
}

section! {
    /// One change of an open workload's rate: from `at`, move the rate to
    /// `rate` linearly over `over` (a step when zero); with `for` (`hold`),
    /// return to the previous rate after holding it that long (a spike).
    pub struct RateChange {
        /// When the change starts.
        at: SimDuration = required("\"5m\""), section::Duration;
        /// The new rate.
        rate: f64 = required("\"2000/s\""), section::Rate;
        /// A linear ramp over this long (a step without it).
        over: SimDuration = default(SimDuration::ZERO), section::Duration;
        /// A spike: back to the previous rate after holding it this long.
        hold as "for": Option<SimDuration> = optional(), section::PositiveDuration;
    }
}

section! {
    /// `diurnal`: a daily cycle multiplying the rate: 1 at `peak_at` (modulo
    /// `period`), `trough` half a period later, a cosine in between.
    pub struct Diurnal {
        /// The multiplier at the quietest time.
        trough: f64 = required("0.3"), section::Probability;
        /// The length of a cycle (longer than zero).
        period: SimDuration = default(SimDuration::from_secs(86_400)), section::PositiveDuration;
        /// When in the cycle the rate peaks.
        peak_at: SimDuration = default(SimDuration::from_secs(14 * 3600)), section::Duration;
    }
}

section! {
    /// `retry`: exponential backoff after a timeout or rejection.
    pub struct Retry {
        /// Retries after the first attempt (0 = never retry).
        retries: u32 = default(0), section::Count32 { min: 0, max: super::bounds::MAX_RETRIES };
        /// The wait before the first retry; multiplied by `multiplier` each time.
        backoff: SimDuration = default(SimDuration::from_millis(100)), section::Duration;
        /// Each wait is the previous one times this (at least 1).
        multiplier: f64 = default(2.0), section::AtLeast { min: 1.0, why: "backoff never shrinks" };
        /// The longest wait.
        max_backoff: SimDuration = default(SimDuration::from_secs(10)), section::Duration;
        /// Randomness in the wait.
        jitter: Jitter = default(Jitter::Full), section::word::<Jitter>();
        /// `{ ratio = 0.1, window = "10s", min_per_second = 10 }`: retries at most `ratio` of the
        /// requests of the last `window`, plus `min_per_second` (Finagle's retry budget); a retry it
        /// refuses is not made and the failure stands.
        budget: Option<RetryBudget> = optional("unlimited"), section::nested::<RetryBudget>();
    }
}

section! {
    /// `budget`: a retry budget, as gRPC's and Finagle's: every request (first attempt)
    /// deposits `ratio`, every retry withdraws 1, over a sliding `window`, with a reserve of
    /// `min_per_second` × `window` retries.
    #[derive(Copy)]
    pub struct RetryBudget {
        /// Retries allowed per request over the window (0.1: one retry per ten requests).
        ratio: f64 = required("0.1"), section::Probability;
        /// The sliding window the requests and retries are counted over.
        window: SimDuration = default(SimDuration::from_secs(10)), section::PositiveDuration;
        /// Retries per second always allowed, however few requests came.
        min_per_second: f64 = default(10.0), section::NonNegativeNumber;
    }
}

impl section::Inline for RetryBudget {
    fn read_inline(cx: &mut super::parse::Cx, node: &super::reader::Node) -> Option<Self> {
        RetryBudget::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        RetryBudget::dump_inline(self)
    }
}

impl section::Inline for Retry {
    fn read_inline(cx: &mut super::parse::Cx, node: &super::reader::Node) -> Option<Self> {
        Retry::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        Retry::dump_inline(self)
    }
}

impl section::Inline for Diurnal {
    fn read_inline(cx: &mut super::parse::Cx, node: &super::reader::Node) -> Option<Self> {
        Diurnal::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        Diurnal::dump_inline(self)
    }
}

impl Default for Retry {
    fn default() -> Self {
        Retry::defaults().expect("every key of `retry` has a default")
    }
}

words! {
    /// Randomness in a retry's wait.
    pub enum Jitter {
        /// Wait exactly the backoff.
        None = "none",
        /// Wait uniformly between zero and the backoff.
        Full = "full",
        /// Wait half the backoff plus uniformly up to the other half.
        Equal = "equal",
    }
}

/// A request class of the mix: its plain keys (`ClassKeys`, which it
/// derefs to) and those read by hand: its name (unique in the mix), its
/// `call` and `key` (names of other components).
#[derive(Clone, Debug, PartialEq)]
pub struct Class {
    pub name: String,
    pub call: ClassCall,
    /// The keyspace the request's key is drawn from (the item it is about).
    pub key: Option<KeyspaceId>,
    pub keys: ClassKeys,
}

impl std::ops::Deref for Class {
    type Target = ClassKeys;

    fn deref(&self) -> &ClassKeys {
        &self.keys
    }
}

section! {
    /// One request class of the mix.
    pub struct ClassKeys {
        /// Relative share of requests (zero or more; a class of weight 0 is never drawn, only sent
        /// to log in again as the workload's `relogin`).
        weight: f64 = default(1.0), section::NonNegativeNumber;
    }
}

/// What a call enters by: a DNS name, a balancer or a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Entry {
    Dns(DnsId),
    Balancer(BalancerId),
    Pool(PoolId),
}

/// `component/endpoint`: a DNS name, balancer or pool, and the endpoint of
/// the pool behind it (`Scenario::entry_pool`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub entry: Entry,
    pub endpoint: EndpointId,
}

/// A class's `call`: an endpoint, or a CDN called by its name (any path
/// after the name is only a label, kept for the dump).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClassCall {
    Endpoint(Target),
    Cdn { cdn: CdnId, label: Option<String> },
}

impl ClassCall {
    /// The endpoint called, unless a CDN is.
    pub fn target(&self) -> Option<Target> {
        match self {
            ClassCall::Endpoint(target) => Some(*target),
            ClassCall::Cdn { .. } => None,
        }
    }
}

section! {
    /// `[network]`: latencies of the hops between components (its `link`s,
    /// between regions, are read into the geography).
    pub struct Network {
        /// One-way latency between components, paid once per hop: a direct call pays it going
        /// and coming back; a call through a load balancer pays it to the balancer (a user's
        /// request pays `client` there), again from the balancer to the instance, and once on
        /// the way back (the reply goes straight to the caller, as with direct server return).
        default: Dist = default(Dist::Const { value: 0.0 }), section::DurationDist;
        /// One-way latency between a user and the entry point.
        client: Dist = default(Dist::Const { value: 0.0 }), section::DurationDist;
        /// US dollars per GB (10^9 bytes) of traffic between data centers in two different regions
        /// (a `[[network.link]]`'s `price_per_gb` overrides it for its two regions); traffic within
        /// a region is free. The default is AWS's charge for data sent to another region from most
        /// US and European regions, $0.02 per GB, billed once, at the sending region (EC2 data
        /// transfer pricing, as summarized in December 2026; US East N. Virginia to Ohio is $0.01,
        /// Asia-Pacific and South America up to $0.09): a default to check against your provider.
        price_per_gb_between_regions: f64 = default(0.02), section::NonNegativeNumber;
    }
}

impl Default for Network {
    fn default() -> Self {
        Network::defaults().expect("every key of `[network]` has a default")
    }
}

section! {
    /// `[size.<name>]`: an instance size (vertical scaling is a bigger size).
    pub struct Size(name) {
        /// Cores per instance (up to 4096).
        cores: u32 = required("2"), section::Count32 { min: 1, max: super::bounds::MAX_CORES };
        /// Per-core speed relative to the machine service times are stated for: service time on
        /// this size = stated time / speed.
        speed: f64 = default(1.0), section::PositiveNumber;
        /// US dollars per instance-hour.
        price_per_hour: f64 = default(0.0), section::NonNegativeNumber;
        /// Memory per instance (`"16GiB"`); shown by `capsim validate` and in the resolved
        /// scenario, not simulated.
        memory: Option<u64> = optional(), section::ByteSize;
    }
}

/// `[dns.<name>]`: its plain keys (`DnsKeys`, which it derefs to) and its
/// target or targets (names, and geoDNS details in `Geo`), read by hand.
#[derive(Clone, Debug, PartialEq)]
pub struct Dns {
    pub name: String,
    pub target: DnsTarget,
    pub keys: DnsKeys,
}

impl std::ops::Deref for Dns {
    type Target = DnsKeys;

    fn deref(&self) -> &DnsKeys {
        &self.keys
    }
}

section! {
    /// `[dns.<name>]`: a name users resolve.
    pub struct DnsKeys {
        /// How long a user caches the answer.
        ttl: SimDuration = required("\"60s\""), section::Duration;
        /// Lookup latency when the user's cached answer has expired.
        resolve: Dist = default(Dist::Const { value: 0.0 }), section::DurationDist;
    }
}

/// What a DNS name answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsTarget {
    Balancer(BalancerId),
    Pool(PoolId),
}

impl DnsTarget {
    /// The target as a call's entry.
    pub fn entry(self) -> Entry {
        match self {
            DnsTarget::Balancer(balancer) => Entry::Balancer(balancer),
            DnsTarget::Pool(pool) => Entry::Pool(pool),
        }
    }
}

words! {
    /// A balancer policy.
    pub enum Policy {
        /// In turn.
        RoundRobin = "round_robin",
        /// Fewest requests assigned and not finished; ties rotate.
        LeastConnections = "least_connections",
        /// Uniformly at random.
        Random = "random",
        /// The less loaded of two random instances.
        PowerOfTwo = "power_of_two",
    }
}

/// `[balancer.<name>]`: its plain keys (`BalancerKeys`, which it derefs
/// to) and those read by hand: the pool (a name resolved to an id), the
/// placement (in `Geo`), and `sticky` with `session_ttl`, which go together.
#[derive(Clone, Debug, PartialEq)]
pub struct Balancer {
    pub name: String,
    pub pool: PoolId,
    /// Sticky sessions: a user's requests go to the instance that holds
    /// their session (picked by `policy` when they have none).
    pub sticky: Option<Sticky>,
    pub keys: BalancerKeys,
}

impl std::ops::Deref for Balancer {
    type Target = BalancerKeys;

    fn deref(&self) -> &BalancerKeys {
        &self.keys
    }
}

section! {
    /// `[balancer.<name>]`: spreads requests over one pool's instances.
    pub struct BalancerKeys {
        /// `round_robin`, `least_connections` (fewest requests assigned and not finished; ties
        /// rotate), `random`, `power_of_two` (the less loaded of two random instances).
        policy: Policy = default(Policy::RoundRobin), section::word::<Policy>();
        /// The balancer's own processing time per request: a plain delay, or with `cores` the
        /// time a request holds one of them.
        latency: Dist = default(Dist::Const { value: 0.0 }), section::DurationDist;
        /// `{ interval = "5s", timeout = "2s", unhealthy_threshold = 3, healthy_threshold = 2 }`:
        /// a probe of every instance each `interval`; a dead instance fails its probe at once
        /// (crashed) or after `timeout` (hung); it leaves the rotation after
        /// `unhealthy_threshold` failures in a row and comes back after `healthy_threshold`
        /// successes. Without health checks a balancer keeps sending to a dead instance. With
        /// nothing in rotation it answers `unavailable`.
        health_check: Option<HealthCheck> = optional(), section::nested::<HealthCheck>();
        /// `{ consecutive_errors = 5, ejection = "30s", max_ejected = 0.5 }`: passive health checks
        /// (outlier ejection): an instance whose calls failed `consecutive_errors` times in a row
        /// gets no traffic for `ejection`, at most `max_ejected` of the instances at once.
        outlier_ejection: Option<OutlierEjection> = optional(), section::nested::<OutlierEjection>();
        /// The balancer's own capacity: requests it processes at once, each for `latency`; the
        /// others wait their turn (first come, first served). A busy balancer becomes the
        /// bottleneck like any station: its rows and summary gain `cpu_utilization`,
        /// `queue_len_mean`, `wait_mean_ms` (and `wait_probability`), `throughput_rps`.
        cores: Option<u32> = optional("unlimited"),
            section::Count32 { min: 1, max: super::parse::MAX_CORES };
        /// Requests passing through the balancer at once, from arrival until their reply goes
        /// back (waiting, processed, or at an instance); one more is rejected (the client sees
        /// `rejected`). With `cores` or `max_connections` the balancer reports `connections_mean`
        /// and `rejected`.
        max_connections: Option<u32> = optional("unlimited"),
            section::Count32 { min: 1, max: super::parse::MAX_QUEUE_CAPACITY };
        /// US dollars per hour the balancer runs, whatever its load. The default is a managed
        /// balancer's hourly charge: an AWS Application Load Balancer in US East (N. Virginia),
        /// $0.0225 per ALB-hour (AWS Elastic Load Balancing pricing, as cited in May 2026); its
        /// per-LCU charge is `price_per_gb`. 0 leaves it unpriced.
        price_per_hour: f64 = default(0.0225), section::NonNegativeNumber;
        /// US dollars per GB (10^9 bytes) the balancer processes: each call it forwards counts the
        /// `request_size` and `response_size` of the endpoint called (0 for an endpoint without
        /// them). The default is the processed-bytes dimension of an AWS Application Load
        /// Balancer's LCU in US East (N. Virginia): $0.008 per LCU-hour, one LCU being 1 GB per
        /// hour for instance targets (ELB pricing, as summarized in December 2026). AWS bills the
        /// largest of four dimensions per hour; new connections, active connections and rule
        /// evaluations are not modeled, so this is the charge when bytes dominate. GCP and Azure
        /// bill data processed per GB: set their price here.
        price_per_gb: f64 = default(0.008), section::NonNegativeNumber;
    }
}

/// Sessions kept on the servers: a session lives on one instance, and is
/// lost with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sticky {
    /// A session unused this long expires.
    pub session_ttl: SimDuration,
}

section! {
    /// Active health checks: a probe every `interval`; a probe that gets no
    /// answer within `timeout` fails; a target is taken out after
    /// `unhealthy_threshold` failures in a row and put back after
    /// `healthy_threshold` successes in a row.
    pub struct HealthCheck {
        /// Time between probes of every instance (longer than zero).
        interval: SimDuration = default(SimDuration::from_secs(5)), section::PositiveDuration;
        /// A hung instance fails its probe after this long (longer than zero).
        timeout: SimDuration = default(SimDuration::from_secs(2)), section::PositiveDuration;
        /// Failures in a row that take an instance out of rotation.
        unhealthy_threshold: u32 = default(3), section::Count32 { min: 1, max: 100 };
        /// Successes in a row that bring it back.
        healthy_threshold: u32 = default(2), section::Count32 { min: 1, max: 100 };
    }
}

impl HealthCheck {
    /// How long after `now` probes that started at time zero, one each
    /// `interval`, notice a change: the `threshold`-th probe in a row after
    /// `now` that sees it (a probe at `now` itself is taken as before the
    /// change), plus `timeout` when the probe fails by waiting (a hung
    /// target).
    pub fn notice_after(&self, now: SimDuration, threshold: u32, waits: bool) -> SimDuration {
        let interval = self.interval.as_nanos();
        let first = (now.as_nanos() / interval + 1) * interval;
        let seen = first + u64::from(threshold.max(1) - 1) * interval;
        let wait = if waits { self.timeout.as_nanos() } else { 0 };
        SimDuration::from_nanos(seen - now.as_nanos() + wait)
    }
}

impl section::Inline for HealthCheck {
    fn read_inline(cx: &mut super::parse::Cx, node: &super::reader::Node) -> Option<Self> {
        HealthCheck::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        HealthCheck::dump_inline(self)
    }
}

words! {
    /// How a pool's workers wait on calls.
    pub enum Concurrency {
        /// The worker (thread) is held for the whole request.
        ThreadPerRequest = "thread_per_request",
        /// The worker is released while waiting and taken again to compute.
        Async = "async",
    }
}

/// `[pool.<name>]`: its plain keys (`PoolKeys`, which it derefs to) and
/// those read by hand: `instances` (its default comes from `autoscale`),
/// names of other components, the placement (in `Geo`) and the endpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    pub name: String,
    pub instances: u32,
    /// Name of a size; `None` means one core per worker at speed 1, free.
    pub size: Option<SizeId>,
    /// A shared session store (a database) every endpoint call reads the
    /// user's session from before its own work: the stateless web tier.
    pub session_store: Option<DatabaseId>,
    pub endpoints: IdVec<EndpointId, Endpoint>,
    /// Target tracking on a metric; `instances` is then the starting count.
    pub autoscale: Option<Autoscale>,
    pub keys: PoolKeys,
}

impl std::ops::Deref for Pool {
    type Target = PoolKeys;

    fn deref(&self) -> &PoolKeys {
        &self.keys
    }
}

section! {
    /// `[pool.<name>]`: identical server instances serving endpoints.
    pub struct PoolKeys {
        /// Requests served at once per instance (threads).
        workers: u32 = required("8"), section::Count32 { min: 1, max: super::parse::MAX_WORKERS };
        /// Requests that may wait for a worker per instance; more are rejected (the client sees
        /// `rejected`).
        queue_capacity: Option<u32> = default(None), section::QueueCapacity;
        /// `thread_per_request`: a request holds its worker until it is done, including while it
        /// waits on calls (a slow database exhausts the pool); `async`: the worker is released
        /// while waiting and taken again to compute.
        concurrency: Concurrency = default(Concurrency::ThreadPerRequest), section::word::<Concurrency>();
        /// Load shedding by priority: a call of an endpoint of `priority` p (of 0..=P among the
        /// pool's endpoints) fails as `shed` when its instance already has ⌈`shed_queue`·(p+1)/(P+1)⌉
        /// calls waiting for a worker, so the least important go first.
        shed_queue: Option<u32> = optional("never"), section::Count32 { min: 1, max: super::parse::MAX_WORKERS };
    }
}

impl Pool {
    /// The step every call of the pool's endpoints starts with: reading the
    /// user's session from the session store.
    pub fn session_read(&self) -> Option<Step> {
        self.session_store.map(|store| Step::Read {
            database: store,
            cache: None,
            keys: DataStepKeys::plain(),
        })
    }
}

/// `[pool.<name>.endpoint.<endpoint>]`: its plain keys (`EndpointKeys`,
/// which it derefs to) and its steps, read by hand.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub name: String,
    pub steps: Vec<Step>,
    pub keys: EndpointKeys,
}

impl std::ops::Deref for Endpoint {
    type Target = EndpointKeys;

    fn deref(&self) -> &EndpointKeys {
        &self.keys
    }
}

section! {
    /// `[pool.<name>.endpoint.<endpoint>]`: what one endpoint does.
    pub struct EndpointKeys {
        /// CPU time of the endpoint itself (on a speed-1 core), spent first.
        service: Dist = required("{ dist = \"exp\", mean = \"2ms\" }"), section::DurationDist;
        /// Bytes a call to the endpoint sends (`"2KiB"`): counted in traffic between regions and
        /// through balancers. Without it a call sends 0 bytes, and `validate` and `run` say so
        /// when traffic between regions is priced.
        request_size: Option<u64> = optional(), section::ByteSize;
        /// Bytes the endpoint's reply carries (`"16KiB"`); a failed call's reply carries none.
        /// Without it, 0, as for `request_size`.
        response_size: Option<u64> = optional(), section::ByteSize;
        /// Its importance when its pool sheds (`shed_queue`): 0 (the default) is shed first, the
        /// pool's highest only at `shed_queue`.
        priority: u32 = default(0), section::Count32 { min: 0, max: 9 };
        /// `{ rate = "500/s", burst = 100 }`: a token bucket for the endpoint, shared by its
        /// pool's instances; a call that finds it empty fails as `shed`.
        rate_limit: Option<RateLimit> = optional("unlimited"), section::nested::<RateLimit>();
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Use a core for a while.
    Compute(Dist),
    /// Wait without using a core (an external API, a sleep).
    Delay(Dist),
    /// Call another endpoint and wait for its reply (`call`, a name read by
    /// hand), with `keys.timeout` and `keys.retry`.
    Call { target: Target, keys: CallKeys },
    /// A read on a database (`read`, a name, read by hand, as is `cache`).
    /// With `cache`, a cache-aside read: look the key up in the cache, and
    /// only on a miss read the database and fill the cache.
    Read {
        database: DatabaseId,
        cache: Option<CacheId>,
        keys: DataStepKeys,
    },
    /// A write on a database. With `cache`, the cache's write policy
    /// follows the write (invalidate the key, or write the new value
    /// through).
    Write {
        database: DatabaseId,
        cache: Option<CacheId>,
        keys: DataStepKeys,
    },
    /// Run every branch at once and wait for all of them.
    Parallel(Vec<Vec<Step>>),
    /// Run `steps` (read by hand) with `keys.probability`, skip them otherwise.
    Maybe { keys: MaybeKeys, steps: Vec<Step> },
    /// Put a message on a queue and go on once the broker acknowledges it;
    /// the queue's consumer runs the job later.
    Enqueue(QueueId),
}

section! {
    /// The guards of a step's remote operation: a `call` step's attempts at its target, or a
    /// `read` or `write` step's database operation. Their keys are written in the step itself.
    pub struct Guards {
        /// The caller gives up an attempt after this long (failure cause `timeout`); the callee
        /// (endpoint or database) keeps working on it (counted as wasted work).
        timeout: Option<SimDuration> = optional(), section::PositiveDuration;
        /// `{ retries = 2, backoff = "50ms", budget = { ratio = 0.1 } }`: as the workload's `retry`,
        /// for this step: after a timeout or a failed reply, wait the backoff and try again (a
        /// data step's read on the node `read_from` picks then, its write on the primary).
        retry: Option<Retry> = optional(), section::nested::<Retry>();
        /// `{ consecutive_failures = 5, failure_rate = 0.5, window = "10s", min_calls = 20, open =
        /// "30s", half_open_probes = 3 }`: a circuit breaker on this pool's calls to the target, or
        /// on its operations of the step's kind on the database (`src/model/breaker.rs`): it
        /// opens after `consecutive_failures` failed attempts in a row, or when `failure_rate` of
        /// at least `min_calls` attempts of the last `window` failed; while open, calls fail at
        /// once (`breaker_open`) and are not retried; after `open` it lets `half_open_probes`
        /// attempts through, closing if they all succeed and opening again at the first failure.
        breaker: Option<CircuitBreaker> = optional(), section::nested::<CircuitBreaker>();
        /// `{ max_concurrent = 10 }`: a bulkhead: at most this many attempts of this step in
        /// flight at once from each instance of the pool; one more fails at once (`bulkhead_full`),
        /// so a slow dependency holds at most that many workers.
        bulkhead: Option<Bulkhead> = optional(), section::nested::<Bulkhead>();
        /// CPU time (on a speed-1 core of the caller) of the step's fallback, as Hystrix's and
        /// resilience4j's: when the step fails for good (its last attempt failed or timed out, or
        /// its breaker is open or its bulkhead full), the caller spends this instead and the step
        /// succeeds with a degraded answer (`fallback_calls`).
        fallback: Option<Dist> = optional("none: the step fails"), section::DurationDist;
    }
}

impl Guards {
    /// No timeout, no retries, no breaker, no bulkhead, no fallback.
    pub fn none() -> Self {
        Guards {
            timeout: None,
            retry: None,
            breaker: None,
            bulkhead: None,
            fallback: None,
        }
    }

    /// Whether there is no timeout, retries, breaker, bulkhead or fallback.
    pub fn is_none(&self) -> bool {
        *self == Guards::none()
    }
}

section! {
    /// A `read` or `write` step's plain keys (beside the database and `cache`, names).
    pub struct DataStepKeys {
        /// Overrides the database's time for this step's operation (its part that holds only the
        /// connection; the CPU part stays the database's).
        service: Option<Dist> = optional("the database's"), section::DurationDist;
        /// Its `timeout`, `retry`, `breaker`, `bulkhead` and `fallback`, on its database
        /// operation.
        guards: Guards = flatten();
    }
}

impl DataStepKeys {
    /// A data step with only the database's own time: no override and no guards.
    pub fn plain() -> Self {
        DataStepKeys {
            service: None,
            guards: Guards::none(),
        }
    }
}

section! {
    /// A `call` step's plain keys (beside its target).
    pub struct CallKeys {
        /// Its `timeout`, `retry`, `breaker`, `bulkhead` and `fallback`.
        guards: Guards = flatten();
        /// `{ after = "p95", max = 1, loser = "cancel" }`: after `after` without a reply, send
        /// another attempt; the first reply wins (`after`: a duration, or a percentile of the
        /// callee endpoint's `service`, fixed at load).
        hedge: Option<Hedge> = optional(), section::nested::<Hedge>();
    }
}

impl CallKeys {
    /// Whether the step has no guards and no hedge (a plain call).
    pub fn is_plain(&self) -> bool {
        self.guards.is_none() && self.hedge.is_none()
    }
}

section! {
    /// `breaker`: a circuit breaker, as resilience4j's, Envoy's and Finagle's: closed, it counts
    /// attempts and failures; open, it fails calls at once; half-open, it lets a few probes through.
    #[derive(Copy)]
    pub struct CircuitBreaker {
        /// Failed attempts in a row that open it.
        consecutive_failures: u32 = default(5), section::Count32 { min: 1, max: 1_000_000 };
        /// The share of failed attempts over `window` that opens it (with `min_calls`).
        failure_rate: Option<f64> = optional("off"), section::Probability;
        /// The sliding window `failure_rate` is measured over.
        window: SimDuration = default(SimDuration::from_secs(10)), section::PositiveDuration;
        /// Attempts the window needs before `failure_rate` can open it.
        min_calls: u32 = default(20), section::Count32 { min: 1, max: 1_000_000 };
        /// How long it stays open before letting probes through.
        open: SimDuration = default(SimDuration::from_secs(30)), section::PositiveDuration;
        /// Probes let through half-open: all must succeed to close it.
        half_open_probes: u32 = default(3), section::Count32 { min: 1, max: 10_000 };
    }
}

impl section::Inline for CircuitBreaker {
    fn read_inline(cx: &mut super::parse::Cx, node: &super::reader::Node) -> Option<Self> {
        CircuitBreaker::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        CircuitBreaker::dump_inline(self)
    }
}

section! {
    /// `bulkhead`: a limit on one call step's attempts in flight from one instance.
    #[derive(Copy)]
    pub struct Bulkhead {
        /// Attempts in flight at once per calling instance.
        max_concurrent: u32 = required("10"), section::Count32 { min: 1, max: 1_000_000 };
    }
}

impl section::Inline for Bulkhead {
    fn read_inline(cx: &mut super::parse::Cx, node: &super::reader::Node) -> Option<Self> {
        Bulkhead::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        Bulkhead::dump_inline(self)
    }
}

section! {
    /// `outlier_ejection`: passive health checking, as nginx's `max_fails`/`fail_timeout` and
    /// Envoy's outlier detection: errors seen on real traffic take an instance out.
    #[derive(Copy)]
    pub struct OutlierEjection {
        /// Failed calls in a row (errors, or calls lost at a hung instance) that eject an instance.
        consecutive_errors: u32 = default(5), section::Count32 { min: 1, max: 1_000_000 };
        /// How long an ejected instance gets no traffic.
        ejection: SimDuration = default(SimDuration::from_secs(30)), section::PositiveDuration;
        /// The largest share of the instances ejected at once (floor of share × instances); 1.0
        /// lets every instance go (nginx), and calls then fail with `no_live_upstream`.
        max_ejected: f64 = default(0.5), section::Probability;
    }
}

impl section::Inline for OutlierEjection {
    fn read_inline(cx: &mut super::parse::Cx, node: &super::reader::Node) -> Option<Self> {
        OutlierEjection::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        OutlierEjection::dump_inline(self)
    }
}

section! {
    /// A `probability` step's plain keys (beside its `steps`).
    #[derive(Copy)]
    pub struct MaybeKeys {
        /// The chance the steps run.
        probability: f64 = required("0.3"), section::Probability;
    }
}

/// `[database.<name>]`: its plain keys (`DatabaseKeys`, which it derefs
/// to) and those read by hand: the ones whose defaults come from the
/// engine's preset or from `replicas`, the keyspace (a name), the
/// placement (in `Geo`), and the nested tables with rules between keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Database {
    pub name: String,
    /// Connections served at once per node (the node's concurrency).
    pub connections: u32,
    /// Every node's size (primary, replicas, each shard's): cores, speed,
    /// memory, price; `None`: one core per connection at speed 1, free.
    pub size: Option<SizeId>,
    /// CPU time of a read and of a write on a speed-1 core: it needs one of
    /// the node's cores.
    pub read_cpu: Dist,
    pub write_cpu: Dist,
    /// The rest of a read's and a write's time at a node, which holds only
    /// its connection: I/O, locks, network (steps may override).
    pub read: Dist,
    pub write: Dist,
    /// The keys it holds (needed for versions, staleness and sharding).
    pub keyspace: Option<KeyspaceId>,
    /// Where reads go when there are replicas.
    pub read_from: ReadFrom,
    pub replication: Replication,
    pub sharding: Sharding,
    pub reshard: Option<Reshard>,
    pub keys: DatabaseKeys,
}

impl std::ops::Deref for Database {
    type Target = DatabaseKeys;

    fn deref(&self) -> &DatabaseKeys {
        &self.keys
    }
}

section! {
    /// `[database.<name>]`: a database (or any data store): nodes with connections and
    /// read/write times, replicas, shards.
    pub struct DatabaseKeys {
        /// A preset of defaults (below).
        engine: Engine = default(Engine::Relational), section::word::<Engine>();
        /// Operations that may wait for a connection, per node.
        queue_capacity: Option<u32> = default(None), section::QueueCapacity;
        /// Read replicas per shard.
        replicas: u32 = default(0), section::Count32 { min: 0, max: super::parse::MAX_REPLICAS };
        /// The database is split into this many shards, each with its own primary (and replicas);
        /// a key lives on one shard.
        shards: u32 = default(1), section::Count32 { min: 1, max: super::parse::MAX_SHARDS };
        /// `{ detection = "10s", promotion = "5s" }`: a dead node is noticed after `detection`
        /// — or, with `health_check = { interval = "5s", timeout = "2s", unhealthy_threshold =
        /// 3, healthy_threshold = 2 }`, by probes (interval × threshold) — and the replica that received the most writes is promoted after `promotion` more
        /// (writes are `unavailable` meanwhile); without it a dead primary takes no writes until
        /// it is restored.
        failover: Option<Failover> = optional(), section::nested::<Failover>();
    }
}

impl Database {
    /// The name (and output scope) of a node: slot 0 is the shard's
    /// primary, slot i its replica i − 1.
    pub fn node_name(&self, shard: u32, slot: u32) -> String {
        let role = match slot {
            0 => "primary".to_owned(),
            replica => format!("replica[{}]", replica - 1),
        };
        match (self.shards > 1 || self.reshard.is_some(), self.replicas > 0) {
            (false, false) => format!("{}.node", self.name),
            (false, true) => format!("{}.{role}", self.name),
            (true, _) => format!("{}.shard[{shard}].{role}", self.name),
        }
    }
}

section! {
    /// `failover`: how a dead database node is noticed and a primary replaced.
    pub struct Failover {
        /// From a node's death until clients and the failover manager know — a typed-in time,
        /// used only without `health_check`.
        detection: SimDuration = default(SimDuration::from_secs(10)), section::Duration;
        /// `{ interval = "5s", timeout = "2s", unhealthy_threshold = 3, healthy_threshold = 2 }`:
        /// the failover manager probes every node each `interval` (from the start of the run);
        /// a node is known down at its `unhealthy_threshold`-th failed probe in a row (a crashed
        /// node fails at once, a hung one after `timeout`) and back at its `healthy_threshold`-th
        /// success — detection comes from the probes instead of `detection`.
        health_check: Option<HealthCheck> = optional(), section::nested::<HealthCheck>();
        /// From detection until the most up-to-date replica serves as primary.
        promotion: SimDuration = default(SimDuration::from_secs(5)), section::Duration;
    }
}

impl section::Inline for Failover {
    fn read_inline(cx: &mut super::parse::Cx, node: &super::reader::Node) -> Option<Self> {
        Failover::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        Failover::dump_inline(self)
    }
}

words! {
    /// A database engine preset.
    pub enum Engine {
        /// Structured data, transactions; moderate scale per node.
        Relational = "relational",
        /// Very low latency, data spread over many nodes.
        Nosql = "nosql",
    }
}

words! {
    /// Where a database's reads go.
    pub enum ReadFrom {
        /// Every read on the primary.
        Primary = "primary",
        /// Replicas in turn (the primary when no replica is up).
        RoundRobin = "round_robin",
        /// The replica with the fewest operations in progress.
        LeastConnections = "least_connections",
        /// The live node (replica or primary) nearest the caller's data center,
        /// in turn among equally near ones (round robin without regions).
        Nearest = "nearest",
    }
}

/// How writes reach replicas: `replication`'s plain keys
/// (`ReplicationKeys`, which it derefs to) and those read by hand: `mode`
/// (with `SemiSync`'s keys, which only `semi_sync` takes), and `apply` and
/// `appliers`, whose defaults come from the engine's preset.
#[derive(Clone, Debug, PartialEq)]
pub struct Replication {
    pub mode: ReplicationMode,
    /// Time a replica needs to apply one write.
    pub apply: Dist,
    /// Writes a replica applies at once (its apply threads).
    pub appliers: u32,
    pub keys: ReplicationKeys,
}

impl std::ops::Deref for Replication {
    type Target = ReplicationKeys;

    fn deref(&self) -> &ReplicationKeys {
        &self.keys
    }
}

section! {
    /// `replication`: writes are shipped in order to every replica and applied there.
    pub struct ReplicationKeys {
        /// The time for a write to reach a replica (a distribution).
        ship: Option<Dist> = optional("the network's hop"), section::DurationDist;
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReplicationMode {
    /// The primary acknowledges a write at commit; replicas catch up.
    Async,
    /// The primary acknowledges once `acks` replicas have received the write.
    SemiSync(SemiSync),
}

section! {
    /// `replication`'s keys for `mode = "semi_sync"`.
    #[derive(Copy)]
    pub struct SemiSync {
        /// With `semi_sync`: replicas that must have received a write.
        acks: u32 = default(1), section::Count32 { min: 1, max: super::parse::MAX_REPLICAS };
        /// With `semi_sync`: how long a write waits for its acks before it is
        /// acknowledged anyway and the shard falls back to asynchronous, or
        /// `"never"` to block until the replicas answer.
        timeout as "semi_sync_timeout": Option<SimDuration> = default(Some(SimDuration::from_secs(10))),
            section::SemiSyncTimeout;
    }
}

/// How keys map to shards: `sharding`, tagged by `by` (read by hand).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharding {
    /// hash(key) mod shards.
    Hash,
    /// Contiguous key ranges of equal width.
    Range,
    /// A hash ring (`by = "consistent"`).
    Consistent(HashRing),
}

section! {
    /// A hash ring: changing the shard count moves few keys.
    #[derive(Copy, Eq)]
    pub struct HashRing {
        /// Points per shard on the ring.
        virtual_nodes: u32 = default(100), section::Count32 { min: 1, max: super::parse::MAX_VIRTUAL_NODES };
    }
}

section! {
    /// `reshard`: a change of the shard count during the run.
    pub struct Reshard {
        /// When it starts.
        at: SimDuration = required("\"5m\""), section::Duration;
        /// The new shard count.
        shards: u32 = required("8"), section::Count32 { min: 1, max: super::parse::MAX_SHARDS };
        /// How fast moving keys are copied (greater than zero): each costs a read on the old
        /// shard and a write on the new one.
        rate: f64 = required("\"2000/s\""), section::Rate;
    }
}

section! {
    /// `[keyspace.<name>]`: the items requests are about.
    #[partial(KeyspaceRead)]
    pub struct Keyspace(name) {
        /// The number of keys (up to 10 000 000), or `"per_user"`: one key per user, the user's
        /// own record (read-your-writes).
        keys: Option<u64> = required("100000"), section::KeyCount;
        /// Or `{ zipf = 0.99 }`: the key of popularity rank r is asked for in proportion to r^−α.
        popularity: Popularity = default(Popularity::Uniform), section::Popularity;
        /// `{ share = 0.2, keys = 1 }`: that share of all requests goes to the few most popular
        /// keys (the celebrity problem).
        hot: Option<HotKeys> = optional(), section::nested::<HotKeys>();
        /// The size of a value, for cache capacities given in bytes; or a distribution of object
        /// sizes, in bytes: `{ dist = "lognormal", mean = "50KiB", cv = 1.5 }`, `exp` (`mean`),
        /// `uniform` (`min`, `max`), `pareto` (`min`, `alpha`) — each object's size is drawn
        /// once, from the seed and the object, so an object always has the same size (CDN edges
        /// fill by bytes; a cache node counts values of the mean size).
        value_size: Dist = default(Dist::Const { value: 1024.0 }), section::SizeDist;
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Popularity {
    Uniform,
    /// Zipf: the key of rank r is asked for in proportion to r^-alpha.
    Zipf {
        alpha: f64,
    },
}

section! {
    /// `hot`: hot keys (the celebrity problem).
    pub struct HotKeys {
        /// The share of all requests that goes to them.
        share: f64 = required("0.2"), section::Probability;
        /// How many of the most popular keys (at most `keys`).
        keys: u64 = required("1"), section::Count { min: 1, max: super::parse::MAX_KEYS };
    }
}

impl section::Inline for HotKeys {
    fn read_inline(cx: &mut super::parse::Cx, node: &super::reader::Node) -> Option<Self> {
        HotKeys::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        HotKeys::dump_inline(self)
    }
}

/// A cache (cluster) in front of a keyspace.
/// `[cache.<name>]`: its plain keys (`CacheKeys`, which it derefs to) and
/// those read by hand: the keyspace (a name) and the placement (in `Geo`).
#[derive(Clone, Debug, PartialEq)]
pub struct Cache {
    pub name: String,
    pub keyspace: KeyspaceId,
    /// Every node's size: its price per node-hour (and its memory, shown);
    /// `None`: unpriced.
    pub size: Option<SizeId>,
    pub keys: CacheKeys,
}

/// The cores a cache node computes on, and their speed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CacheCores {
    /// `threads`, capped by the size's cores (without a size, `threads`).
    pub cores: u32,
    /// The size's relative speed (1 without a size).
    pub speed: f64,
}

impl Scenario {
    /// A cache node's cores: its `threads` on its size's cores (at most
    /// as many as the size has), or `threads` cores at speed 1 without a size.
    pub fn cache_cores(&self, cache: &Cache) -> CacheCores {
        match cache.size {
            Some(size) => CacheCores {
                cores: cache.threads.min(self.sizes[size].cores),
                speed: self.sizes[size].speed,
            },
            None => CacheCores {
                cores: cache.threads,
                speed: 1.0,
            },
        }
    }
}

impl std::ops::Deref for Cache {
    type Target = CacheKeys;

    fn deref(&self) -> &CacheKeys {
        &self.keys
    }
}

section! {
    /// `[cache.<name>]`: a cache cluster used by cache-aside steps.
    pub struct CacheKeys {
        /// Nodes on a consistent-hash ring (`virtual_nodes`, default 100, per node).
        nodes: u32 = default(1), section::Count32 { min: 1, max: super::parse::MAX_CACHE_NODES };
        /// Per node: entries (`50000`) or bytes (`"2GiB"`, divided by the keyspace's
        /// `value_size`).
        capacity: CacheCapacity = required("10000 (entries) or \"1GiB\""), section::CacheCapacity;
        /// `lru`, `fifo`, `random`, `lfu` (counts accesses only while a key is cached, like real
        /// caches: an evicted key starts again from one; ties evict the least recently used),
        /// `perfect_lfu` (counts every access to every key ever seen and admits a missed key only
        /// if it is now more popular than the least popular cached key).
        eviction: Eviction = default(Eviction::Lru), section::word::<Eviction>();
        /// Entries expire this long after they are filled.
        ttl: Option<SimDuration> = optional(), section::PositiveDuration;
        /// Each hit restarts the entry's TTL (sliding expiry).
        ttl_refresh_on_hit: bool = default(false), section::Boolean;
        /// What a write step with this cache does after writing the database: `invalidate`
        /// (delete the key) or `write_through` (store the new value).
        write_policy: WritePolicy = default(WritePolicy::Invalidate), section::word::<WritePolicy>();
        /// CPU time of one get, set or delete on a speed-1 core, taken on one of the node's
        /// `threads` cores (the default, about 100 000 operations/s per core, is redis-benchmark
        /// without pipelining: README, "Where the figures come from"; measure your own).
        cpu: Dist = default(Dist::Const { value: 10_000.0 }), section::DurationDist;
        /// The rest of an operation, after its CPU part: the time it holds only its connection
        /// (the network round trip), on no core.
        latency: Dist = default(Dist::Const { value: 200_000.0 }), section::DurationDist;
        /// Operations a node serves at once.
        connections: u32 = default(1000), section::Count32 { min: 1, max: super::parse::MAX_WORKERS };
        /// Threads that execute commands: the node computes on at most this many of its size's
        /// cores (Redis: 1; memcached: its `-t` threads; without a `size`, this many cores at
        /// speed 1).
        threads: u32 = default(1), section::Count32 { min: 1, max: super::parse::MAX_WORKERS };
        /// Points per node on the consistent-hash ring.
        virtual_nodes: u32 = default(100),
            section::Count32 { min: 1, max: super::parse::MAX_VIRTUAL_NODES };
        /// When a node is down, clients `rehash` (its keys move to the next node on the ring,
        /// cold there) or `miss` (its keys go to the database).
        on_node_failure: NodeFailure = default(NodeFailure::Rehash), section::word::<NodeFailure>();
        /// Start filled as in steady state for the eviction policy and the keyspace's popularity,
        /// and for the TTL and the writes at the starting rate (`false`: empty, a cold start); a
        /// node that restarts comes back cold (see `warm_restart`).
        warm: bool = default(false), section::Boolean;
        /// Single flight per key on a miss, as memcached's leases: the first lookup that misses a
        /// key reads the database and fills; lookups that miss it meanwhile wait for that fill
        /// (holding no connection) instead of reading the database too.
        coalesce: bool = default(false), section::Boolean;
        /// With `coalesce`: a lease not ended by its fill ends after this long (its holder
        /// failed), and its waiters go to the database themselves.
        lease_timeout: SimDuration = default(SimDuration::from_secs(10)), section::PositiveDuration;
        /// With `ttl`: a lookup of an entry expired less than this long ago is a hit on stale data
        /// (`stale_hits`), and sends one background refresh per key to the database, which
        /// renews the entry (HTTP's `stale-while-revalidate`, Varnish's grace).
        stale_while_revalidate: Option<SimDuration> = optional(), section::PositiveDuration;
        /// `{ from = "peer", rate = "20000/s" }` or `{ from = "database", rate = "2000/s", keys =
        /// 20000 }`: a node that restarts stays out of the ring (its keys go where they went while
        /// it was dead) until it has copied its share from a peer, or loaded its hottest keys from
        /// the database, at `rate`; then it rejoins (without it, it rejoins empty at once).
        warm_restart: Option<WarmRestart> = optional(), section::nested::<WarmRestart>();
        /// With `stale_while_revalidate` or a `warm_restart` from the database: how long the
        /// cache's background reads (refreshes, warm-up reads) wait for the database; one that
        /// times out renews nothing (the next stale hit refreshes again) or is skipped (the node
        /// warms on, counted in `warm_reads_timed_out`). Without it they take the `timeout` of the
        /// read step they come from, and without that they wait as long as the database takes
        /// (forever if it hangs). They take none of the step's retries, breaker, bulkhead or
        /// fallback, and their timeouts are not the pool's `call_timeouts`.
        background_timeout: Option<SimDuration> = optional("the read step's `timeout`"),
            section::PositiveDuration;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheCapacity {
    Entries(u64),
    Bytes(u64),
}

words! {
    /// A cache eviction policy.
    pub enum Eviction {
        /// Least recently used.
        Lru = "lru",
        /// Least frequently used, counting accesses only while a key is cached
        /// (a key evicted and filled again starts from one), ties by recency.
        Lfu = "lfu",
        /// Least frequently used counting every access to every key ever seen;
        /// a missed key is admitted only if it is now more popular than the
        /// least popular cached key ("perfect" LFU).
        PerfectLfu = "perfect_lfu",
        /// First in, first out.
        Fifo = "fifo",
        /// A random entry.
        Random = "random",
    }
}

words! {
    /// What a write does to the cache.
    pub enum WritePolicy {
        /// Delete the key after writing the database (cache-aside).
        Invalidate = "invalidate",
        /// Store the new value after writing the database.
        WriteThrough = "write_through",
    }
}

words! {
    /// Where a down cache node's keys go.
    pub enum NodeFailure {
        /// Drop it from the ring: its keys move to the next node (cold there).
        Rehash = "rehash",
        /// Keep it on the ring: its keys miss and go to the database.
        Miss = "miss",
    }
}

/// Something that goes wrong (or is repaired): at a scheduled time, or at
/// random times drawn from failure and repair distributions.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub target: FaultTarget,
    pub when: FaultTime,
    pub action: FaultAction,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FaultTime {
    /// At `at`; with `lasting`, undone that much later.
    At {
        at: SimDuration,
        lasting: Option<SimDuration>,
    },
    /// Again and again: up for a draw of `mtbf`, down for a draw of `mttr`.
    Random { mtbf: Dist, mttr: Dist },
}

section! {
    /// When a fault strikes, as written: scheduled (`at`, with `for`) or random (`mtbf` and
    /// `mttr`). Which keys go together is checked by the reader, which makes a `FaultTime`.
    #[partial(FaultTimeRead)]
    pub struct FaultTimeKeys {
        /// When a scheduled fault strikes.
        at: Option<SimDuration> = optional(), section::Duration;
        /// Undo a scheduled fault this long after `at` (longer than zero).
        lasting as "for": Option<SimDuration> = optional(), section::PositiveDuration;
        /// A random fault: the mean time between failures — a plain duration (`"5m"`) is the
        /// mean of an exponential; a table (`{ dist = "gamma", mean = "5m", cv = 0.5 }`) any
        /// distribution. A fault that strikes at a fixed period is `every`.
        mtbf: Option<Dist> = optional(), section::MeanDurationDist;
        /// A periodic fault: strikes this long after the run starts, and again this long after
        /// each repair (with `mttr`), instead of `mtbf`.
        every: Option<SimDuration> = optional(), section::PositiveDuration;
        /// A random fault: the time to repair.
        mttr: Option<Dist> = optional(), section::DurationDist;
    }
}

/// What a fault does. The target (`kill`, `restore`, `slow`, `partition`)
/// is read by hand (exactly one of them, and its target); the time is
/// `FaultTimeKeys`, and the plain keys of a kill and of a slow-down are
/// `KillKeys` and `SlowKeys`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FaultAction {
    /// The target stops: a crash refuses connections and resets what is in
    /// flight; a hang answers nothing (callers wait until they time out).
    Kill(KillKeys),
    /// Undoes a kill (the target comes back empty) or a slow-down.
    Restore,
    /// Service times at the target are multiplied by `factor` and extended
    /// by `add`.
    Slow(SlowKeys),
    /// The two data centers of a `FaultTarget::Partition` cannot talk.
    Partition,
}

section! {
    /// The keys of a `kill` fault.
    pub struct KillKeys {
        /// How a `kill` fails.
        mode: KillMode = default(KillMode::Crash), section::word::<KillMode>();
    }
}

impl Copy for KillKeys {}

section! {
    /// The keys of a `slow` fault.
    pub struct SlowKeys {
        /// `slow`: service times × this (greater than zero).
        factor: f64 = default(1.0), section::PositiveNumber;
        /// `slow`: service times + this.
        add: SimDuration = default(SimDuration::ZERO), section::Duration;
    }
}

impl Copy for SlowKeys {}

words! {
    /// How a killed target fails.
    pub enum KillMode {
        /// Connections are refused, work in progress is reset.
        Crash = "crash",
        /// Nothing answers; callers wait until their timeout.
        Hang = "hang",
    }
}

/// What a fault hits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every instance of a pool.
    Pool {
        pool: PoolId,
    },
    PoolInstance {
        pool: PoolId,
        instance: u32,
    },
    DatabasePrimary {
        database: DatabaseId,
        shard: u32,
    },
    DatabaseReplica {
        database: DatabaseId,
        shard: u32,
        replica: u32,
    },
    CacheNode {
        cache: CacheId,
        node: u32,
    },
    /// Everything placed in a data center.
    Datacenter {
        datacenter: DatacenterId,
    },
    /// The network between two data centers.
    Partition {
        a: DatacenterId,
        b: DatacenterId,
    },
    /// Every edge of a CDN.
    Cdn {
        cdn: CdnId,
    },
    /// One edge of a CDN (by index, whether edges are counted or named).
    CdnEdge {
        cdn: CdnId,
        edge: u32,
    },
    /// One edge of a CDN by its name (`cdn.NAME.EDGE`), as written: the
    /// loader resolves it to `CdnEdge`, so a loaded scenario never holds it.
    CdnEdgeNamed {
        cdn: CdnId,
        edge: String,
    },
    /// A message queue's broker.
    Queue {
        queue: QueueId,
    },
}

impl Scenario {
    // Lookups by name: for the loader, and (`pool`, `database`, `balancer`)
    // for what users name on the command line (knobs, plans, tests); a
    // loaded scenario refers to components by id.

    pub(crate) fn size(&self, name: &str) -> Option<&Size> {
        self.sizes.iter().find(|size| size.name == name)
    }

    pub fn pool(&self, name: &str) -> Option<&Pool> {
        self.pools.iter().find(|pool| pool.name == name)
    }

    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|database| database.name == name)
    }

    pub(crate) fn cache(&self, name: &str) -> Option<&Cache> {
        self.caches.iter().find(|cache| cache.name == name)
    }

    pub(crate) fn cdn(&self, name: &str) -> Option<&Cdn> {
        self.cdns.iter().find(|cdn| cdn.name == name)
    }

    pub(crate) fn keyspace(&self, name: &str) -> Option<&Keyspace> {
        self.keyspaces.iter().find(|keyspace| keyspace.name == name)
    }

    pub(crate) fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues.iter().find(|queue| queue.name == name)
    }

    pub fn balancer(&self, name: &str) -> Option<&Balancer> {
        self.balancers.iter().find(|balancer| balancer.name == name)
    }

    /// The components that queue for resources of their own and report how
    /// busy those are (`utilization`, `cpu_utilization`): pools, databases,
    /// and balancers with `cores`. The candidates for the bottleneck.
    pub fn station_names(&self) -> impl Iterator<Item = &String> {
        self.pools
            .iter()
            .map(|pool| &pool.name)
            .chain(self.databases.iter().map(|database| &database.name))
            .chain(
                self.balancers
                    .iter()
                    .filter(|balancer| balancer.cores.is_some())
                    .map(|balancer| &balancer.name),
            )
    }

    pub(crate) fn dns_name(&self, name: &str) -> Option<&Dns> {
        self.dns.iter().find(|dns| dns.name == name)
    }

    /// The pool a call target named `component` ends at, following a DNS
    /// name (whose target is a balancer or a pool, never another name: a
    /// scenario where a name is both is rejected at load, and must not loop
    /// meanwhile) and a balancer. For the loader's checks, before names are
    /// known to resolve.
    pub(crate) fn pool_behind(&self, component: &str) -> Option<&Pool> {
        if let Some(dns) = self.dns_name(component) {
            return self.pools.get(self.dns_pool(dns.target));
        }
        if let Some(balancer) = self.balancer(component) {
            return self.pools.get(balancer.pool);
        }
        self.pool(component)
    }

    /// The pool behind a call's entry.
    pub fn entry_pool(&self, entry: Entry) -> PoolId {
        match entry {
            Entry::Dns(dns) => self.dns_pool(self.dns[dns].target),
            Entry::Balancer(balancer) => self.balancers[balancer].pool,
            Entry::Pool(pool) => pool,
        }
    }

    /// The balancer a call's entry goes through, if any.
    pub fn entry_balancer(&self, entry: Entry) -> Option<BalancerId> {
        match entry {
            Entry::Dns(dns) => match self.dns[dns].target {
                DnsTarget::Balancer(balancer) => Some(balancer),
                DnsTarget::Pool(_) => None,
            },
            Entry::Balancer(balancer) => Some(balancer),
            Entry::Pool(_) => None,
        }
    }

    /// The name of a call's entry.
    pub fn entry_name(&self, entry: Entry) -> &str {
        match entry {
            Entry::Dns(dns) => &self.dns[dns].name,
            Entry::Balancer(balancer) => &self.balancers[balancer].name,
            Entry::Pool(pool) => &self.pools[pool].name,
        }
    }

    /// The endpoint a target calls.
    pub fn target_endpoint(&self, target: Target) -> &Endpoint {
        &self.pools[self.entry_pool(target.entry)].endpoints[target.endpoint]
    }

    /// `component/endpoint`, as the scenario writes it.
    pub fn target_text(&self, target: Target) -> String {
        format!(
            "{}/{}",
            self.entry_name(target.entry),
            self.target_endpoint(target).name
        )
    }

    /// A CDN's `origin`, as the scenario writes it.
    pub fn origin_text(&self, origin: &CdnOrigin) -> String {
        match origin {
            CdnOrigin::Endpoint(target) => self.target_text(*target),
            CdnOrigin::Database(database) => self.databases[*database].name.clone(),
        }
    }

    /// A fault's target, as the scenario writes it.
    pub fn fault_target_text(&self, target: &FaultTarget) -> String {
        match target {
            FaultTarget::Pool { pool } => format!("pool.{}", self.pools[*pool].name),
            FaultTarget::PoolInstance { pool, instance } => {
                format!("pool.{}.instance[{instance}]", self.pools[*pool].name)
            }
            FaultTarget::DatabasePrimary { database, shard } => {
                format!(
                    "database.{}.shard[{shard}].primary",
                    self.databases[*database].name
                )
            }
            FaultTarget::DatabaseReplica {
                database,
                shard,
                replica,
            } => format!(
                "database.{}.shard[{shard}].replica[{replica}]",
                self.databases[*database].name
            ),
            FaultTarget::CacheNode { cache, node } => {
                format!("cache.{}.node[{node}]", self.caches[*cache].name)
            }
            FaultTarget::Datacenter { datacenter } => {
                format!("datacenter.{}", self.geo.datacenters[*datacenter].name)
            }
            FaultTarget::Partition { a, b } => format!(
                "partition.{}|{}",
                self.geo.datacenters[*a].name, self.geo.datacenters[*b].name
            ),
            FaultTarget::Cdn { cdn } => format!("cdn.{}", self.cdns[*cdn].name),
            FaultTarget::CdnEdge { cdn, edge } => format!("cdn.{}.edge[{edge}]", self.cdns[*cdn].name),
            FaultTarget::CdnEdgeNamed { cdn, edge } => format!("cdn.{}.{edge}", self.cdns[*cdn].name),
            FaultTarget::Queue { queue } => format!("queue.{}", self.queues[*queue].name),
        }
    }

    /// A fault target named once, as its component's own rows name it:
    /// a part by its component's name and the part (`cache.node[0]`,
    /// `web.instance[1]`, `db.primary`, `static.edge[0]`), a whole
    /// component by kind and name as the scenario writes it (`pool.web`,
    /// `queue.jobs`). Drill scopes (`drill:<label>@<time>s`) and events
    /// carry it.
    pub fn fault_label(&self, target: &FaultTarget) -> String {
        match target {
            FaultTarget::PoolInstance { pool, instance } => {
                format!("{}.instance[{instance}]", self.pools[*pool].name)
            }
            FaultTarget::DatabasePrimary { database, shard } => {
                self.databases[*database].node_name(*shard, 0)
            }
            FaultTarget::DatabaseReplica {
                database,
                shard,
                replica,
            } => self.databases[*database].node_name(*shard, replica + 1),
            FaultTarget::CacheNode { cache, node } => format!("{}.node[{node}]", self.caches[*cache].name),
            FaultTarget::CdnEdge { cdn, edge } => {
                let cdn = &self.cdns[*cdn];
                cdn.edges.scope(&cdn.name, *edge)
            }
            FaultTarget::CdnEdgeNamed { cdn, edge } => format!("{}.{edge}", self.cdns[*cdn].name),
            FaultTarget::Pool { .. }
            | FaultTarget::Datacenter { .. }
            | FaultTarget::Partition { .. }
            | FaultTarget::Queue { .. }
            | FaultTarget::Cdn { .. } => self.fault_target_text(target),
        }
    }

    /// A class's `call`, as the scenario writes it.
    pub fn call_text(&self, call: &ClassCall) -> String {
        match call {
            ClassCall::Endpoint(target) => self.target_text(*target),
            ClassCall::Cdn { cdn, label: None } => self.cdns[*cdn].name.clone(),
            ClassCall::Cdn {
                cdn,
                label: Some(label),
            } => format!("{}/{label}", self.cdns[*cdn].name),
        }
    }

    /// The pool behind a DNS name's target.
    pub fn dns_pool(&self, target: DnsTarget) -> PoolId {
        match target {
            DnsTarget::Balancer(balancer) => self.balancers[balancer].pool,
            DnsTarget::Pool(pool) => pool,
        }
    }

    /// The name of a DNS name's target.
    pub fn dns_target_name(&self, target: DnsTarget) -> &str {
        match target {
            DnsTarget::Balancer(balancer) => &self.balancers[balancer].name,
            DnsTarget::Pool(pool) => &self.pools[pool].name,
        }
    }

    /// Cores, speed and price of a pool's instances.
    pub fn pool_size(&self, pool: &Pool) -> Size {
        match &pool.size {
            Some(size) => self.sizes[*size].clone(),
            None => Size {
                name: String::new(),
                cores: pool.workers,
                speed: 1.0,
                price_per_hour: 0.0,
                memory: None,
            },
        }
    }

    /// Cores, speed, memory and price of each of a database's nodes;
    /// without a `size`, one core per connection at speed 1, free.
    pub fn database_size(&self, database: &Database) -> Size {
        match &database.size {
            Some(size) => self.sizes[*size].clone(),
            None => Size {
                name: String::new(),
                cores: database.connections,
                speed: 1.0,
                price_per_hour: 0.0,
                memory: None,
            },
        }
    }
}

/// A content delivery network: edges near the users, each caching objects
/// of a catalog (a keyspace) in its own store, in front of an origin.
/// `[cdn.<name>]`: its plain keys (`CdnKeys`, which it derefs to) and
/// those read by hand: the keyspace and origin (names), the edges (a count
/// or names) and the deploys.
#[derive(Clone, Debug, PartialEq)]
pub struct Cdn {
    pub name: String,
    /// The object catalog: how many objects, their popularity and sizes.
    pub keyspace: KeyspaceId,
    pub edges: CdnEdges,
    /// The region each named edge stands in, resolved once at load: empty
    /// when the scenario declares no regions, the edges are counted, or an
    /// edge names no region (the checks reject the last two with regions).
    pub edge_regions: Vec<super::ids::RegionId>,
    /// Where edges fetch what they miss.
    pub origin: CdnOrigin,
    /// Releases that change part of the catalog, in time order.
    pub deploys: Vec<CdnDeploy>,
    pub keys: CdnKeys,
}

impl std::ops::Deref for Cdn {
    type Target = CdnKeys;

    fn deref(&self) -> &CdnKeys {
        &self.keys
    }
}

section! {
    /// `[cdn.<name>]`: edges that cache objects near users.
    pub struct CdnKeys {
        /// Bytes each edge holds (`"10GiB"`); a fill evicts until the object fits.
        capacity: u64 = required("\"10GiB\""), section::ByteSize;
        /// As for caches: `lru`, `fifo`, `random`, `lfu`, `perfect_lfu`.
        eviction: Eviction = default(Eviction::Lru), section::word::<Eviction>();
        /// An edge's copy expires this long after it was fetched.
        ttl: Option<SimDuration> = optional(), section::PositiveDuration;
        /// US dollars per GB (10⁹ bytes) served to users (egress), added to `overall,cost_usd`.
        price_per_gb: f64 = default(0.085), section::NonNegativeNumber;
        /// While a user's edge is down (once clients know): `origin` — requests go straight to
        /// the origin — or `none` — they fail as `unavailable`.
        fallback: CdnFallback = default(CdnFallback::Origin), section::word::<CdnFallback>();
        /// From an edge's failure until clients know; until then their connections are refused.
        /// A typed-in time, used only without `health_check`.
        detection: SimDuration = default(SimDuration::from_secs(10)), section::Duration;
        /// `{ interval = "5s", timeout = "2s", unhealthy_threshold = 3, healthy_threshold = 2 }`:
        /// edges are probed each `interval` (from the start of the run); clients know an edge is
        /// down at its `unhealthy_threshold`-th failed probe in a row (a crashed edge fails at
        /// once, a hung one after `timeout`) — detection comes from the probes instead of
        /// `detection` (`healthy_threshold` is accepted but not used: a restored edge serves at once).
        health_check: Option<HealthCheck> = optional(), section::nested::<HealthCheck>();
        /// One way between a user and their edge (instead of `network.client`).
        latency: Dist = default(Dist::Const { value: 10e6 }), section::DurationDist;
        /// As for caches: each edge starts filled as in steady state (`false`: empty).
        warm: bool = default(false), section::Boolean;
    }
}

/// `edges = 4` (named `edge[0]`…) or `edges = ["eu", "us"]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CdnEdges {
    Count(u32),
    Named(Vec<String>),
}

impl CdnEdges {
    pub fn count(&self) -> u32 {
        match self {
            CdnEdges::Count(count) => *count,
            CdnEdges::Named(names) => names.len() as u32,
        }
    }

    /// The output scope of edge `index` of CDN `cdn`.
    pub fn scope(&self, cdn: &str, index: u32) -> String {
        match self {
            CdnEdges::Count(_) => format!("{cdn}.edge[{index}]"),
            CdnEdges::Named(names) => format!("{cdn}.{}", names[index as usize]),
        }
    }
}

/// A CDN's origin: an endpoint (through a DNS name, balancer or pool) or a
/// database read as an object store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CdnOrigin {
    Endpoint(Target),
    Database(DatabaseId),
}

words! {
    /// Where clients go while a CDN is down.
    pub enum CdnFallback {
        /// Clients go straight to the origin.
        Origin = "origin",
        /// Requests fail with `unavailable`.
        None = "none",
    }
}

/// A message queue: a broker holding up to `capacity` messages, and a pool
/// endpoint whose workers pull them (`consumer`).
/// `[queue.<name>]`: its plain keys (`QueueKeys`, which it derefs to), its
/// consumer (a pool endpoint) and its `dead_letter` queue, read by hand.
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    pub name: String,
    /// The pool endpoint that processes each message.
    pub consumer: Target,
    /// The queue that receives its dead letters, if any.
    pub dead_letter: Option<QueueId>,
    pub keys: QueueKeys,
}

impl std::ops::Deref for Queue {
    type Target = QueueKeys;

    fn deref(&self) -> &QueueKeys {
        &self.keys
    }
}

section! {
    /// `[queue.<name>]`: a message broker; `{ enqueue = "NAME" }` steps put
    /// messages on it and its consumer endpoint runs them later.
    pub struct QueueKeys {
        /// Messages the broker holds at most.
        capacity: u32 = default(1_000_000),
            section::Count32 { min: 1, max: super::parse::MAX_QUEUE_MESSAGES };
        /// `reject`: the enqueue fails (the request fails with `rejected`); `block`: the producer
        /// waits, holding its worker, until there is room.
        when_full: WhenFull = default(WhenFull::Reject), section::word::<WhenFull>();
        /// Messages survive a broker crash (on disk); in memory they are lost (`lost_messages`).
        durable: bool = default(false), section::Boolean;
        /// Time until the broker acknowledges an enqueue (a duration or distribution).
        latency: Dist = default(Dist::Const { value: 0.0 }), section::DurationDist;
        /// US dollars per hour the broker runs (a managed broker's instance price, or the
        /// machine a self-run broker takes). 0, the default, leaves it unpriced: the run's
        /// cost line lists it among the components costing $0.
        price_per_hour: f64 = default(0.0), section::NonNegativeNumber;
        /// Deliveries of a message at most: a job that fails, or is not acknowledged within
        /// `visibility_timeout`, makes its message visible again (`redelivered`) until it has had
        /// this many deliveries; then it is dead-lettered (`dead_lettered`; put on the
        /// `dead_letter` queue if there is one). Unset: no redelivery, a failed job is dropped (`failed_jobs`);
        /// with a `visibility_timeout`, deliveries are unlimited.
        max_deliveries: Option<u32> = optional("no redelivery"),
            section::Count32 { min: 1, max: super::parse::MAX_DELIVERIES };
        /// A delivered message is invisible this long: if its job has not ended by then (a slow
        /// consumer, or one that crashed or hung), it becomes visible and is delivered again, and
        /// the late job's work is wasted (`wasted_jobs`). Unset: a message stays with its job;
        /// with `max_deliveries`, a job lost with its consumer returns its message at once.
        visibility_timeout: Option<SimDuration> = optional("none"), section::PositiveDuration;
        /// Share of messages that are poison: every delivery of one fails at the end of its job
        /// (`poisoned`), to drill the dead-letter path.
        poison: Option<f64> = optional("none"), section::Probability;
    }
}

words! {
    /// What an enqueue does when the broker is full.
    pub enum WhenFull {
        /// Fail the enqueue (the producer's request fails with `rejected`).
        Reject = "reject",
        /// The producer waits, holding its worker, until there is room.
        Block = "block",
    }
}

/// A release at `at` changing `share` of the catalog's objects: its plain
/// keys (`DeployKeys`, which it derefs to) and `propagation`, which
/// `invalidate` requires and `versioned` refuses, read by hand.
#[derive(Clone, Debug, PartialEq)]
pub struct CdnDeploy {
    /// Invalidation: from the deploy until every edge has dropped the
    /// changed objects (zero for versioned names).
    pub propagation: SimDuration,
    pub keys: DeployKeys,
}

impl std::ops::Deref for CdnDeploy {
    type Target = DeployKeys;

    fn deref(&self) -> &DeployKeys {
        &self.keys
    }
}

section! {
    /// `[[cdn.<name>.deploy]]`: a release.
    #[partial(DeployRead)]
    pub struct DeployKeys {
        /// When.
        at: SimDuration = required("\"5m\""), section::Duration;
        /// `versioned`: changed objects get new names (`app.3f2a.js`), so each is a miss the
        /// first time it is asked for after the deploy — a miss spike that decays — and the old
        /// copies linger in the edges until evicted; `invalidate`: same names, purged from every
        /// edge by an invalidation that arrives `propagation` after the deploy; until then edges
        /// serve the old content, counted as `stale_reads`.
        mode: DeployMode = default(DeployMode::Versioned), section::word::<DeployMode>();
        /// The share of objects changed (which ones: a fixed hash of deploy and object).
        share: f64 = required("0.2"), section::Probability;
    }
}

words! {
    /// How a deploy's changed objects reach the edges.
    pub enum DeployMode {
        /// Changed objects get new names: edges miss them once (cold misses).
        Versioned = "versioned",
        /// Same names, purged by an invalidation that takes `propagation` to
        /// reach the edges; until then edges serve the old content.
        Invalidate = "invalidate",
    }
}

/// Target tracking for a pool: every `interval`, desired =
/// ceil(current × metric / target), clamped to [min, max].
/// `[pool.<name>.autoscale]`: its plain keys (`AutoscaleKeys`, which it
/// derefs to) and `scale_in_cooldown`, whose default is `cooldown`.
#[derive(Clone, Debug, PartialEq)]
pub struct Autoscale {
    /// No scale-in sooner than this after any scale action.
    pub scale_in_cooldown: SimDuration,
    pub keys: AutoscaleKeys,
}

impl std::ops::Deref for Autoscale {
    type Target = AutoscaleKeys;

    fn deref(&self) -> &AutoscaleKeys {
        &self.keys
    }
}

section! {
    /// `[pool.<name>.autoscale]`: target tracking between `min` and `max`
    /// instances (the pool's `instances` is its starting count).
    #[partial(AutoscaleRead)]
    pub struct AutoscaleKeys {
        /// Fewest instances.
        min: u32 = default(1), section::Count32 { min: 1, max: super::parse::MAX_INSTANCES };
        /// Most instances (the pool is built with this many; the others are stopped).
        max: u32 = required("10"), section::Count32 { min: 1, max: super::parse::MAX_INSTANCES };
        /// `utilization`: busy workers / workers of the serving instances over the last interval;
        /// `queue_depth`: messages waiting in the queue the pool consumes, per instance.
        metric: ScaleMetric = default(ScaleMetric::Utilization), section::word::<ScaleMetric>();
        /// The utilization to keep (a fraction, at most 1), or messages waiting per instance.
        target: f64 = required("0.6"), section::PositiveNumber;
        /// Time between evaluations.
        interval: SimDuration = default(SimDuration::from_secs(60)), section::PositiveDuration;
        /// No scale-out sooner than this after a scale action.
        cooldown: SimDuration = default(SimDuration::from_secs(300)), section::Duration;
        /// Time (a duration or distribution) from launch until a new instance takes work (a
        /// balancer sends it nothing before).
        boot: Dist = default(Dist::Const { value: 0.0 }), section::DurationDist;
    }
}

words! {
    /// What an autoscaler measures.
    pub enum ScaleMetric {
        /// Busy workers / workers of the serving instances.
        Utilization = "utilization",
        /// Messages waiting in the queue the pool consumes, per instance.
        QueueDepth = "queue_depth",
    }
}
