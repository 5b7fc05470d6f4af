//! The catalogue of metrics: every metric a run, a replicated run or a sweep
//! writes is declared here once, with its name, unit, the scopes it appears
//! in, whether it is per window too, and what it means. The model writes
//! rows under these names (`summary.push(scope, metric::ERRORS, value)`),
//! the report and the studies read them by the same constants, SLO parsing
//! accepts only these names, and README.md's list of metrics is generated
//! from [`markdown`].
//!
//! Names stay `&'static str`: a row holds the name itself, so naming a
//! metric costs nothing when a window closes. Related names (the latency
//! percentiles, errors by cause, replication lag) form a [`Family`]: one
//! pattern and one meaning, each member still its own constant.
//!
//! This module owns names and descriptions only; it computes nothing.

/// How a metric's value is measured; by convention the end of its name
/// says the same (`_ms`, `_s`, `_rps`, `_usd`, `_bytes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Something counted over the time the row covers.
    Count,
    /// A time-weighted mean of a count.
    Mean,
    /// A share between 0 and 1.
    Fraction,
    /// A ratio that is 1 when even (max / mean).
    Factor,
    /// 1 for yes, 0 for no.
    Flag,
    Milliseconds,
    Seconds,
    /// Events per second.
    PerSecond,
    Bytes,
    /// US dollars.
    Usd,
}

impl Unit {
    /// How the unit reads in the metrics table.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Mean => "mean count",
            Unit::Fraction => "fraction",
            Unit::Factor => "factor",
            Unit::Flag => "0 or 1",
            Unit::Milliseconds => "ms",
            Unit::Seconds => "s",
            Unit::PerSecond => "per second",
            Unit::Bytes => "bytes",
            Unit::Usd => "USD",
        }
    }
}

/// The kinds of scope a metric appears in (the `scope` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `overall`: every request.
    Overall,
    /// `class:<name>`.
    Class,
    /// `region:<name>`: the requests of that region's users.
    Region,
    /// A pool (`web`), or one of its stations when it has several.
    Pool,
    /// A database (`db`, the sum of its nodes).
    Database,
    /// A database node (`db.primary`, `db.replica[0]`, `db.shard[1].primary`).
    DatabaseNode,
    /// A load balancer.
    Balancer,
    /// A message queue.
    Queue,
    /// A cache.
    Cache,
    /// A node of a multi-node cache (`sessions.node[0]`).
    CacheNode,
    /// A CDN (`static`).
    Cdn,
    /// A CDN edge (`static.eu`, `static.edge[0]`).
    CdnEdge,
    /// A DNS name.
    Dns,
    /// A geoDNS target (`DNS/TARGET`).
    DnsTarget,
    /// `datacenter:<name>`.
    Datacenter,
    /// `link:<a>/<b>`: traffic between two regions.
    Link,
    /// A drill, one per fault that struck: `drill:<target>@<time>s`.
    Drill,
    /// A call step's target from one pool: `call:<pool>-><target>`.
    Call,
    /// A host whose cores several components share: `host:<name>`.
    Host,
}

impl Scope {
    /// Every scope kind, in the order of README.md's table.
    pub const ALL: [Scope; 19] = [
        Scope::Overall,
        Scope::Class,
        Scope::Region,
        Scope::Pool,
        Scope::Database,
        Scope::DatabaseNode,
        Scope::Balancer,
        Scope::Queue,
        Scope::Cache,
        Scope::CacheNode,
        Scope::Cdn,
        Scope::CdnEdge,
        Scope::Dns,
        Scope::DnsTarget,
        Scope::Datacenter,
        Scope::Link,
        Scope::Drill,
        Scope::Call,
        Scope::Host,
    ];

    /// How the scope reads in the metrics table.
    pub fn label(self) -> &'static str {
        match self {
            Scope::Overall => "overall",
            Scope::Class => "class",
            Scope::Region => "region",
            Scope::Pool => "pool",
            Scope::Database => "database",
            Scope::DatabaseNode => "database node",
            Scope::Balancer => "balancer",
            Scope::Queue => "queue",
            Scope::Cache => "cache",
            Scope::CacheNode => "cache node",
            Scope::Cdn => "CDN",
            Scope::CdnEdge => "CDN edge",
            Scope::Dns => "DNS name",
            Scope::DnsTarget => "geoDNS target",
            Scope::Datacenter => "data center",
            Scope::Link => "region pair",
            Scope::Drill => "drill",
            Scope::Call => "call",
            Scope::Host => "host",
        }
    }

    /// How the `scope` column names it.
    pub fn written(self) -> &'static str {
        match self {
            Scope::Overall => "`overall`: every request",
            Scope::Class => "`class:<name>`: the requests of one class",
            Scope::Region => "`region:<name>` (with regions): the requests of that region's users",
            Scope::Pool => "the pool's name (`web`)",
            Scope::Database => "the database's name (`db`): its nodes summed",
            Scope::DatabaseNode => "`db.primary`, `db.replica[0]`, `db.shard[1].primary`",
            Scope::Balancer => "the balancer's name",
            Scope::Queue => "the queue's name",
            Scope::Cache => "the cache's name",
            Scope::CacheNode => "`cache.node[0]`, for a cache of several nodes",
            Scope::Cdn => "the CDN's name (`static`)",
            Scope::CdnEdge => "`static.eu` (an edge in a region), `static.edge[0]`",
            Scope::Dns => "the DNS name",
            Scope::DnsTarget => "`DNS/TARGET`, per geoDNS target",
            Scope::Datacenter => "`datacenter:<name>` (with regions): what stands in it",
            Scope::Link => {
                "`link:<a>/<b>` (with regions): two regions that each hold a data center, in the order they are declared"
            }
            Scope::Drill => "`drill:<target>@<time>s`, one per fault that struck",
            Scope::Call => {
                "`call:<pool>-><target>`: a pool's calls to one target (`call:web->api/get`), with a `breaker` or `bulkhead`"
            }
            Scope::Host => "`host:<name>`: a `[host.*]`'s cores, whatever component computes on them",
        }
    }
}

/// Which files a metric is written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Files {
    /// `summary.csv` only.
    Summary,
    /// `timeseries.csv` only (a value at or over each window).
    Timeseries,
    /// Both: the summary over the time after warm-up, and per window.
    Both,
}

impl Files {
    pub fn in_summary(self) -> bool {
        self != Files::Timeseries
    }

    pub fn in_timeseries(self) -> bool {
        self != Files::Summary
    }
}

/// One metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    /// The `metric` column; its last part is the unit.
    pub name: &'static str,
    pub unit: Unit,
    /// What it measures, in a sentence or two (README.md's wording).
    pub meaning: &'static str,
    pub scopes: &'static [Scope],
    pub files: Files,
    /// The pattern of the family it belongs to, if any.
    pub family: Option<&'static str>,
}

/// A row stores only the name.
impl From<Metric> for &'static str {
    fn from(metric: Metric) -> Self {
        metric.name
    }
}

/// Metrics named by one pattern, sharing unit, scopes and meaning:
/// `latency_{mean,p50,p95,p99,p999,max}_ms`. The pattern is the name with
/// `{a,b,…}` where the members differ; each member is declared with
/// [`Family::member`].
#[derive(Clone, Copy, Debug)]
pub struct Family {
    pub pattern: &'static str,
    pub unit: Unit,
    pub meaning: &'static str,
    pub scopes: &'static [Scope],
    pub files: Files,
}

impl Family {
    /// The member called `name` (a test checks it fits the pattern).
    pub const fn member(&self, name: &'static str) -> Metric {
        Metric {
            name,
            unit: self.unit,
            meaning: self.meaning,
            scopes: self.scopes,
            files: self.files,
            family: Some(self.pattern),
        }
    }

    /// The names the pattern stands for, in its order.
    pub fn names(&self) -> Vec<String> {
        let (head, rest) = self.pattern.split_once('{').expect("a family pattern has `{`");
        let (choices, tail) = rest.split_once('}').expect("a family pattern has `}`");
        choices
            .split(',')
            .map(|choice| format!("{head}{choice}{tail}"))
            .collect()
    }
}

const fn metric(
    name: &'static str,
    unit: Unit,
    scopes: &'static [Scope],
    files: Files,
    meaning: &'static str,
) -> Metric {
    Metric {
        name,
        unit,
        meaning,
        scopes,
        files,
        family: None,
    }
}

use Files::{Both, Summary, Timeseries};
use Scope::*;

const REQUESTS_SCOPES: &[Scope] = &[Overall, Class, Region];
/// Where station metrics are written: pools, databases and their nodes,
/// caches and their nodes (each node of a cache is a station).
const STATIONS: &[Scope] = &[Pool, Database, DatabaseNode, Cache, CacheNode];

// Requests: `overall`, each class and each region.

pub const REQUESTS: Metric = metric(
    "requests",
    Unit::Count,
    &[Overall, Class, Region, Cdn, CdnEdge],
    Both,
    "requests that arrived after warm-up; at a CDN or edge, the requests it received",
);
pub const COMPLETED: Metric = metric(
    "completed",
    Unit::Count,
    REQUESTS_SCOPES,
    Both,
    "requests that got a successful response",
);
pub const DEGRADED_REQUESTS: Metric = metric(
    "degraded_requests",
    Unit::Count,
    &[Overall, Class],
    Both,
    "of `completed`, the requests whose successful attempt took at least one step's `fallback` on its path (counted once however many); written only when a step has a `fallback`",
);
pub const ERRORS: Metric = metric(
    "errors",
    Unit::Count,
    &[Overall, Class, Region, Datacenter],
    Both,
    "requests that failed for good, after retries; in a data center, calls its stations rejected, refused or reset, requests its dead balancers refused and calls lost to partitions",
);
pub const ERROR_RATE: Metric = metric(
    "error_rate",
    Unit::Fraction,
    REQUESTS_SCOPES,
    Both,
    "`errors` / (`completed` + `errors`); blank when nothing ended (none completed or failed)",
);
pub const OFFERED_RPS: Metric = metric(
    "offered_rps",
    Unit::PerSecond,
    REQUESTS_SCOPES,
    Both,
    "requests that arrived, per second",
);
pub const THROUGHPUT_RPS: Metric = metric(
    "throughput_rps",
    Unit::PerSecond,
    &[
        Overall,
        Class,
        Region,
        Pool,
        Database,
        DatabaseNode,
        Balancer,
        Cache,
        CacheNode,
        Datacenter,
    ],
    Both,
    "requests completed per second; at a station or data center, calls served per second; at a balancer with `cores`, requests processed per second",
);
pub const LATENCY: Family = Family {
    pattern: "latency_{mean,p50,p95,p99,p999,max}_ms",
    unit: Unit::Milliseconds,
    scopes: REQUESTS_SCOPES,
    files: Both,
    meaning: "from the first attempt to the successful response, as the user sees it (`latency_p999_ms` in summary.csv only); a window or run in which no request completed has none (blank, never 0); percentiles are within 0.1 % at every scale from 1 ns",
};
pub const LATENCY_MEAN_MS: Metric = LATENCY.member("latency_mean_ms");
pub const LATENCY_P50_MS: Metric = LATENCY.member("latency_p50_ms");
pub const LATENCY_P95_MS: Metric = LATENCY.member("latency_p95_ms");
pub const LATENCY_P99_MS: Metric = LATENCY.member("latency_p99_ms");
pub const LATENCY_P999_MS: Metric = LATENCY.member("latency_p999_ms");
pub const LATENCY_MAX_MS: Metric = LATENCY.member("latency_max_ms");
pub const LATENCY_ALL: Family = Family {
    pattern: "latency_all_{mean,p50,p95,p99,max}_ms",
    unit: Unit::Milliseconds,
    scopes: REQUESTS_SCOPES,
    files: Both,
    meaning: "the latency of every request that ended, failed ones included: from the first attempt to the successful response, or to the moment the request failed for good (after its retries; a timeout counts at the client's timeout); beside `latency_*_ms`, which counts successes only, it shows what users waited when requests fail; blank when none ended",
};
pub const LATENCY_ALL_MEAN_MS: Metric = LATENCY_ALL.member("latency_all_mean_ms");
pub const LATENCY_ALL_P50_MS: Metric = LATENCY_ALL.member("latency_all_p50_ms");
pub const LATENCY_ALL_P95_MS: Metric = LATENCY_ALL.member("latency_all_p95_ms");
pub const LATENCY_ALL_P99_MS: Metric = LATENCY_ALL.member("latency_all_p99_ms");
pub const LATENCY_ALL_MAX_MS: Metric = LATENCY_ALL.member("latency_all_max_ms");
pub const ERRORS_BY_CAUSE: Family = Family {
    pattern: "errors_{rejected,timeout,refused,reset,unavailable,shed,breaker_open,bulkhead_full,no_live_upstream}",
    unit: Unit::Count,
    scopes: &[Overall, Class, Region, Drill],
    files: Both,
    meaning: "requests that failed for good, by the cause of the last attempt: a full queue, a timeout, a target that was down, one that died during the call, nothing available, refused by a pool's shedding, an open circuit breaker, a full bulkhead, every instance ejected (the last four only with those mechanisms on; per window when any failed; classes only per window)",
};
pub const ERRORS_REJECTED: Metric = ERRORS_BY_CAUSE.member("errors_rejected");
pub const ERRORS_TIMEOUT: Metric = ERRORS_BY_CAUSE.member("errors_timeout");
pub const ERRORS_REFUSED: Metric = ERRORS_BY_CAUSE.member("errors_refused");
pub const ERRORS_RESET: Metric = ERRORS_BY_CAUSE.member("errors_reset");
pub const ERRORS_UNAVAILABLE: Metric = ERRORS_BY_CAUSE.member("errors_unavailable");
pub const ERRORS_SHED: Metric = ERRORS_BY_CAUSE.member("errors_shed");
pub const SHED_CALLS: Metric = metric(
    "shed_calls",
    Unit::Count,
    &[Pool],
    Both,
    "calls the pool refused because their endpoint's `priority` threshold on the instance's queue (`shed_queue`) was reached",
);
pub const RATE_LIMITED_CALLS: Metric = metric(
    "rate_limited_calls",
    Unit::Count,
    &[Pool],
    Both,
    "calls the pool refused because their endpoint's `rate_limit` bucket was empty",
);
pub const ERRORS_BREAKER_OPEN: Metric = ERRORS_BY_CAUSE.member("errors_breaker_open");
pub const ERRORS_BULKHEAD_FULL: Metric = ERRORS_BY_CAUSE.member("errors_bulkhead_full");
pub const ERRORS_NO_LIVE_UPSTREAM: Metric = ERRORS_BY_CAUSE.member("errors_no_live_upstream");
pub const ATTEMPTS: Metric = metric(
    "attempts",
    Unit::Count,
    &[Overall],
    Summary,
    "attempts started, first tries and retries",
);
pub const RETRIES: Metric = metric(
    "retries",
    Unit::Count,
    &[Overall, Class],
    Both,
    "retries started (classes per window only)",
);
pub const TIMEOUTS: Metric = metric(
    "timeouts",
    Unit::Count,
    &[Overall, Class],
    Both,
    "attempts abandoned: the client stopped waiting (classes per window only)",
);
pub const RETRIES_REFUSED: Metric = metric(
    "retries_refused",
    Unit::Count,
    &[Overall],
    Both,
    "client retries the workload's retry budget refused (the failure stood); with a `budget` only",
);
pub const CALL_TIMEOUTS: Metric = metric(
    "call_timeouts",
    Unit::Count,
    &[Pool],
    Both,
    "attempts of the pool's guarded `call` steps it abandoned at their `timeout`",
);
pub const CALL_RETRIES: Metric = metric(
    "call_retries",
    Unit::Count,
    &[Pool],
    Both,
    "calls the pool's guarded `call` steps made again after a failure or timeout",
);
pub const HEDGES_SENT: Metric = metric(
    "hedges_sent",
    Unit::Count,
    &[Pool],
    Both,
    "extra attempts the pool's hedged `call` steps sent (an attempt without a reply after the step's `hedge.after`)",
);
pub const HEDGES_WON: Metric = metric(
    "hedges_won",
    Unit::Count,
    &[Pool],
    Both,
    "hedged calls whose first reply came from an extra attempt",
);
pub const HEDGES_CANCELLED: Metric = metric(
    "hedges_cancelled",
    Unit::Count,
    &[Pool],
    Both,
    "losing attempts of the pool's hedged calls stopped at the callee (`loser = \"cancel\"`); their work so far is in `wasted_work_s`",
);
pub const CALL_RETRIES_REFUSED: Metric = metric(
    "call_retries_refused",
    Unit::Count,
    &[Pool],
    Both,
    "retries of the pool's `call` steps their retry budget refused (the failure stood)",
);
pub const WASTED_CALLS: Metric = metric(
    "wasted_calls",
    Unit::Count,
    &[Pool],
    Both,
    "calls the pool abandoned that their callee finished anyway",
);
pub const FALLBACK_CALLS: Metric = metric(
    "fallback_calls",
    Unit::Count,
    &[Overall, Pool],
    Both,
    "steps of the pool that failed for good (or found their breaker open or bulkhead full) and succeeded through their `fallback` instead; `overall`, the pools' sum; written only when a step has a `fallback` (a pool's row only when one of its steps has)",
);
pub const WASTED_WORK_S: Metric = metric(
    "wasted_work_s",
    Unit::Seconds,
    &[Pool],
    Both,
    "time callees spent on the calls the pool abandoned (arrival to reply)",
);
pub const BREAKER_STATE: Metric = metric(
    "breaker_state",
    Unit::Fraction,
    &[Call],
    Timeseries,
    "the call's circuit breaker at the window's end: 0 closed, 0.5 half-open, 1 open",
);
pub const BREAKER_OPENS: Metric = metric(
    "breaker_opens",
    Unit::Count,
    &[Call],
    Both,
    "times the call's circuit breaker opened (from closed or half-open)",
);
pub const BREAKER_REJECTED: Metric = metric(
    "breaker_rejected",
    Unit::Count,
    &[Call],
    Both,
    "attempts the call's circuit breaker failed at once (`errors_breaker_open` when they end a request)",
);
pub const BULKHEAD_REJECTED: Metric = metric(
    "bulkhead_rejected",
    Unit::Count,
    &[Call],
    Both,
    "attempts failed at once because the calling instance had `max_concurrent` of them in flight",
);
pub const EJECTIONS: Metric = metric(
    "ejections",
    Unit::Count,
    &[Balancer],
    Both,
    "instances the balancer's outlier ejection took out",
);
pub const EJECTED_INSTANCES: Metric = metric(
    "ejected_instances",
    Unit::Count,
    &[Balancer],
    Timeseries,
    "instances ejected by outlier ejection at the window's end",
);
pub const STALE_RESPONSES: Metric = metric(
    "stale_responses",
    Unit::Count,
    &[Overall],
    Summary,
    "replies to abandoned attempts",
);
pub const IN_FLIGHT: Metric = metric(
    "in_flight",
    Unit::Count,
    &[Overall],
    Timeseries,
    "requests in flight at the window's end",
);
pub const IN_FLIGHT_AT_WARMUP: Metric = metric(
    "in_flight_at_warmup",
    Unit::Count,
    &[Overall],
    Summary,
    "requests in flight when warm-up ended",
);
pub const IN_FLIGHT_AT_END: Metric = metric(
    "in_flight_at_end",
    Unit::Count,
    &[Overall],
    Summary,
    "requests in flight at the end, so `requests + in_flight_at_warmup = completed + errors + in_flight_at_end`",
);
pub const MEASURED_S: Metric = metric(
    "measured_s",
    Unit::Seconds,
    &[Overall],
    Summary,
    "the simulated time the summary covers (after warm-up)",
);
pub const COST_USD: Metric = metric(
    "cost_usd",
    Unit::Usd,
    &[Overall, Pool, Database, Cache, Balancer, Queue, Cdn, Link],
    Both,
    "what the measured time cost: a pool's, database's or cache's instance-hours × price, billed by up-time (an instance costs while it runs — booting, serving or draining — and is up); a balancer's or broker's hours × `price_per_hour` (billed for the whole time) plus a balancer's `processed_bytes` × `price_per_gb`; a CDN's egress × `price_per_gb` (per window for CDNs); a region pair's `cross_region_bytes` × its `price_per_gb`. Every priced kind has a row, 0 when it has no price; `overall` is their sum",
);
/// The request metrics a person reads first, in reading order: the columns
/// of the report's request table and the head of `compare`'s key metrics.
pub const REQUEST_HEADLINE: [&str; 8] = [
    REQUESTS.name,
    THROUGHPUT_RPS.name,
    ERROR_RATE.name,
    LATENCY_MEAN_MS.name,
    LATENCY_P50_MS.name,
    LATENCY_P95_MS.name,
    LATENCY_P99_MS.name,
    LATENCY_MAX_MS.name,
];

pub const COST_PER_MONTH_USD: Metric = metric(
    "cost_per_month_usd",
    Unit::Usd,
    &[Overall, Pool, Database, Cache, Balancer, Queue, Cdn, Link],
    Summary,
    "`cost_usd` extrapolated to a 730-hour month at the measured average rate (`cost_usd` × 730 h / `measured_s`): what the design costs per month at this load",
);
pub const COST_PER_MILLION_REQUESTS_USD: Metric = metric(
    "cost_per_million_requests_usd",
    Unit::Usd,
    &[Overall],
    Summary,
    "`cost_usd` per million completed requests; blank when none completed",
);
pub const ENGINE_EVENTS: Metric = metric(
    "engine_events",
    Unit::Count,
    &[Overall],
    Summary,
    "events the engine handled over the whole run",
);
pub const DRILLS_NOT_RECORDED: Metric = metric(
    "drills_not_recorded",
    Unit::Count,
    &[Overall],
    Summary,
    "faults that struck after the limit of recorded drills (1,000) was reached; absent when none",
);
pub const REPLICATIONS: Metric = metric(
    "replications",
    Unit::Count,
    &[Overall],
    Summary,
    "the independent runs a replicated run's summary is made of (`--replications`)",
);
pub const FAILED_RUNS: Metric = metric(
    "failed_runs",
    Unit::Count,
    &[Overall],
    Summary,
    "runs of a sweep point that failed (`sweep.csv` only)",
);

// Stations: pools, databases and their nodes (and a balancer's own cores).

pub const INSTANCES: Metric = metric(
    "instances",
    Unit::Count,
    STATIONS,
    Both,
    "instances; for an autoscaled pool its `max`; per window (pools), the running instances, the window's time-weighted mean",
);
pub const WORKERS: Metric = metric(
    "workers",
    Unit::Count,
    STATIONS,
    Summary,
    "workers or connections; for an autoscaled pool those of its mean serving instances",
);
pub const UTILIZATION: Metric = metric(
    "utilization",
    Unit::Fraction,
    &[Pool, Database, DatabaseNode, Cache, CacheNode, Datacenter],
    Both,
    "busy workers or connections / all (an autoscaled pool: of its mean serving instances; a data center: of what stands there)",
);
pub const CPU_UTILIZATION: Metric = metric(
    "cpu_utilization",
    Unit::Fraction,
    &[Pool, Database, DatabaseNode, Balancer, Cache, CacheNode, Host],
    Both,
    "computing requests / cores (pools; databases: the CPU parts of operations and replicas' applies; caches: the CPU parts of gets, sets and deletes on their `threads` cores; balancers with `cores`, so a saturated balancer is named the bottleneck; a host: its busy cores / cores, every component on it together; a component, or a node, on a host: its share of the host's cores, all its instances together)",
);
pub const CPU_WAIT_MEAN_MS: Metric = metric(
    "cpu_wait_mean_ms",
    Unit::Milliseconds,
    &[Pool, Database, DatabaseNode, Cache, CacheNode],
    Both,
    "mean wait for a core of the CPU parts: a pool's compute (`service`), a database's operations and replicas' applies, a cache's gets, sets and deletes (on its `threads` cores); on a `processor_sharing` host, how much longer than its own CPU time a part took; blank where cores are no limit of their own (no `size`, or a pool with no fewer cores than workers: a core each) or none computed",
);
pub const QUEUE_LEN_MEAN: Metric = metric(
    "queue_len_mean",
    Unit::Mean,
    &[Pool, Database, DatabaseNode, Cache, CacheNode, Balancer, Host],
    Both,
    "calls waiting for a worker (pools), a connection (databases) or a core (balancers with `cores`); those waiting for a pool's or database's cores are not counted; a host: CPU steps waiting for a core (`fifo`) or computing beyond the cores (`processor_sharing`: runnable, not running)",
);
pub const WAIT_MEAN_MS: Metric = metric(
    "wait_mean_ms",
    Unit::Milliseconds,
    &[Pool, Database, DatabaseNode, Cache, CacheNode, Balancer],
    Both,
    "mean wait for a worker (pools), a connection (databases) or a core (balancers with `cores`), of the requests that got one; blank when none did (a pool's and a database's wait for a core is `cpu_wait_mean_ms`)",
);
pub const WAIT_PROBABILITY: Metric = metric(
    "wait_probability",
    Unit::Fraction,
    &[Pool, Database, DatabaseNode, Cache, CacheNode, Balancer],
    Summary,
    "the share of the requests that got a worker (connection, core) that had to wait for it; blank when none got one",
);
pub const ARRIVALS: Metric = metric(
    "arrivals",
    Unit::Count,
    &[Pool, Database, DatabaseNode, Cache, CacheNode, Balancer],
    Summary,
    "calls that arrived (at a balancer with `cores` or `max_connections`, connections)",
);
pub const SERVED: Metric = metric(
    "served",
    Unit::Count,
    STATIONS,
    Summary,
    "calls served to the end",
);
pub const REJECTED: Metric = metric(
    "rejected",
    Unit::Count,
    &[Pool, Database, DatabaseNode, Cache, CacheNode, Balancer, Queue],
    Both,
    "calls rejected by a full queue; at a balancer, connections over `max_connections`; at a queue, enqueues refused because it was full",
);
pub const REFUSED: Metric = metric(
    "refused",
    Unit::Count,
    STATIONS,
    Summary,
    "calls that arrived while it was down",
);
pub const RESET: Metric = metric(
    "reset",
    Unit::Count,
    STATIONS,
    Summary,
    "calls in progress when it died",
);
pub const IN_SYSTEM_MEAN: Metric = metric(
    "in_system_mean",
    Unit::Mean,
    STATIONS,
    Both,
    "calls at the station, waiting or served",
);
pub const RESIDENCE_MEAN_MS: Metric = metric(
    "residence_mean_ms",
    Unit::Milliseconds,
    STATIONS,
    Summary,
    "mean time from a call's arrival to its reply; blank when none was answered",
);
pub const INSTANCES_MEAN: Metric = metric(
    "instances_mean",
    Unit::Mean,
    &[Pool],
    Summary,
    "an autoscaled pool's running instances, time-weighted",
);
pub const SCALE_ACTIONS: Metric = metric(
    "scale_actions",
    Unit::Count,
    &[Pool],
    Summary,
    "an autoscaled pool's scale-outs and scale-ins",
);
pub const SERVING_INSTANCES: Metric = metric(
    "serving_instances",
    Unit::Mean,
    &[Pool],
    Timeseries,
    "an autoscaled pool's instances serving (booted, not draining) over the window",
);

// Balancers.

pub const FORWARDED: Metric = metric(
    "forwarded",
    Unit::Count,
    &[Balancer],
    Both,
    "requests forwarded to an instance",
);
pub const IMBALANCE: Metric = metric(
    "imbalance",
    Unit::Factor,
    &[Balancer],
    Both,
    "max / mean requests per instance; 1 is even",
);
pub const UNAVAILABLE: Metric = metric(
    "unavailable",
    Unit::Count,
    &[Balancer, Queue, Cdn],
    Both,
    "a balancer's requests answered 503 (nothing in rotation); a queue's enqueues while it was down; a CDN's requests that failed (edge down, no fallback)",
);
pub const IN_ROTATION: Metric = metric(
    "in_rotation",
    Unit::Count,
    &[Balancer],
    Timeseries,
    "instances taking new work at the window's end",
);
pub const SESSIONS_LOST: Metric = metric(
    "sessions_lost",
    Unit::Count,
    &[Balancer],
    Both,
    "with `sticky`: live sessions on instances that died (none when the pool has a `session_store`)",
);
pub const CORES: Metric = metric(
    "cores",
    Unit::Count,
    &[Balancer, Database, Cache, Host],
    Summary,
    "a balancer's own `cores`; each node of a database (its `size`'s, or one per connection without one); each node of a cache (its `threads`, at most its `size`'s); a host's `cores`",
);
pub const CONNECTIONS_MEAN: Metric = metric(
    "connections_mean",
    Unit::Mean,
    &[Balancer, Database, DatabaseNode, Cache, CacheNode],
    Both,
    "a balancer with `cores` or `max_connections`: open connections; a database or cache: connections in use",
);

// Message queues.

pub const ENQUEUED: Metric = metric("enqueued", Unit::Count, &[Queue], Both, "messages accepted");
pub const DEQUEUED: Metric = metric(
    "dequeued",
    Unit::Count,
    &[Queue],
    Summary,
    "messages a consumer took",
);
pub const CONSUMED: Metric = metric("consumed", Unit::Count, &[Queue], Both, "jobs done");
pub const LOST_MESSAGES: Metric = metric(
    "lost_messages",
    Unit::Count,
    &[Queue, Drill],
    Both,
    "messages lost when the broker crashed",
);
pub const FAILED_JOBS: Metric = metric(
    "failed_jobs",
    Unit::Count,
    &[Queue],
    Both,
    "jobs that failed at the consumer, or were lost with it (their message dropped, or with `max_deliveries` or a `visibility_timeout` given back or dead-lettered)",
);
pub const REDELIVERED: Metric = metric(
    "redelivered",
    Unit::Count,
    &[Queue],
    Both,
    "messages made visible again for another delivery (a failed job, or a visibility timeout); written with `max_deliveries` or a `visibility_timeout`",
);
pub const DEAD_LETTERED: Metric = metric(
    "dead_lettered",
    Unit::Count,
    &[Queue],
    Both,
    "messages out of deliveries (`max_deliveries`), put on the `dead_letter` queue if there is one; written with `max_deliveries` or a `visibility_timeout`",
);
pub const VISIBILITY_TIMEOUTS: Metric = metric(
    "visibility_timeouts",
    Unit::Count,
    &[Queue],
    Both,
    "deliveries not acknowledged within the `visibility_timeout` (a slow job, or one lost with its consumer); written with `max_deliveries` or a `visibility_timeout`",
);
pub const WASTED_JOBS: Metric = metric(
    "wasted_jobs",
    Unit::Count,
    &[Queue],
    Both,
    "jobs that ended after their delivery's visibility timeout, their message already delivered again or dead-lettered: duplicate work; written with `max_deliveries` or a `visibility_timeout`",
);
pub const POISONED: Metric = metric(
    "poisoned",
    Unit::Count,
    &[Queue],
    Both,
    "poison messages enqueued (every delivery of one fails); written with `poison`",
);
pub const DEPTH_MEAN: Metric = metric(
    "depth_mean",
    Unit::Mean,
    &[Queue],
    Both,
    "messages waiting; Little's law: `depth_mean ≈ dequeue_rps × queue_wait_mean_ms`",
);
pub const DEPTH_MAX: Metric = metric(
    "depth_max",
    Unit::Count,
    &[Queue],
    Both,
    "most messages waiting at once",
);
pub const OLDEST_AGE_MS: Metric = metric(
    "oldest_age_ms",
    Unit::Milliseconds,
    &[Queue],
    Timeseries,
    "age of the oldest waiting message at the window's end",
);
pub const QUEUE_WAIT_MEAN_MS: Metric = metric(
    "queue_wait_mean_ms",
    Unit::Milliseconds,
    &[Queue],
    Both,
    "mean time from enqueue to a consumer taking the message",
);
pub const DEQUEUE_RPS: Metric = metric(
    "dequeue_rps",
    Unit::PerSecond,
    &[Queue],
    Summary,
    "messages taken by consumers per second",
);
pub const CONSUME_RPS: Metric = metric(
    "consume_rps",
    Unit::PerSecond,
    &[Queue],
    Summary,
    "jobs done per second",
);
pub const JOB_LATENCY: Family = Family {
    pattern: "job_latency_{mean,p50,p95,p99,max}_ms",
    unit: Unit::Milliseconds,
    scopes: &[Queue],
    files: Both,
    meaning: "from enqueue to the consumer done (per window only p50, p95 and p99); blank when no job completed",
};
pub const JOB_LATENCY_MEAN_MS: Metric = JOB_LATENCY.member("job_latency_mean_ms");
pub const JOB_LATENCY_P50_MS: Metric = JOB_LATENCY.member("job_latency_p50_ms");
pub const JOB_LATENCY_P95_MS: Metric = JOB_LATENCY.member("job_latency_p95_ms");
pub const JOB_LATENCY_P99_MS: Metric = JOB_LATENCY.member("job_latency_p99_ms");
pub const JOB_LATENCY_MAX_MS: Metric = JOB_LATENCY.member("job_latency_max_ms");
pub const IN_QUEUE_AT_WARMUP: Metric = metric(
    "in_queue_at_warmup",
    Unit::Count,
    &[Queue],
    Summary,
    "messages waiting when warm-up ended",
);
pub const IN_SERVICE_AT_WARMUP: Metric = metric(
    "in_service_at_warmup",
    Unit::Count,
    &[Queue],
    Summary,
    "messages delivered to consumers and not acknowledged when warm-up ended",
);
pub const IN_QUEUE_AT_END: Metric = metric(
    "in_queue_at_end",
    Unit::Count,
    &[Queue],
    Summary,
    "messages waiting at the end",
);
pub const IN_SERVICE_AT_END: Metric = metric(
    "in_service_at_end",
    Unit::Count,
    &[Queue],
    Summary,
    "messages delivered to consumers and not acknowledged at the end, so `enqueued + in_queue_at_warmup + in_service_at_warmup = consumed + failed_jobs + lost_messages + in_queue_at_end + in_service_at_end` (with redelivery, `dead_lettered` in place of `failed_jobs`)",
);

// DNS and geography.

pub const LOOKUPS: Metric = metric(
    "lookups",
    Unit::Count,
    &[Dns, Cache, CacheNode],
    Both,
    "a DNS name's lookups sent to the resolver; a cache's lookups (a node's: hits and misses); per window for DNS names",
);
pub const CACHE_HIT_RATIO: Metric = metric(
    "cache_hit_ratio",
    Unit::Fraction,
    &[Dns],
    Both,
    "the share of users' resolutions answered from their own DNS cache",
);
pub const DNS_ANSWERS: Metric = metric(
    "dns_answers",
    Unit::Count,
    &[DnsTarget],
    Both,
    "geoDNS answers naming this target",
);
pub const HEALTHY: Metric = metric(
    "healthy",
    Unit::Flag,
    &[DnsTarget],
    Timeseries,
    "whether geoDNS held the target healthy at the window's end",
);
pub const PARTITIONED: Metric = metric(
    "partitioned",
    Unit::Count,
    &[Datacenter],
    Both,
    "calls and replicated writes lost to a network partition",
);
pub const REPLICATION_BEHIND_MS: Metric = metric(
    "replication_behind_ms",
    Unit::Milliseconds,
    &[DatabaseNode],
    Timeseries,
    "with regions, a replica placed in a data center: the age of the oldest write it has not applied",
);

// Databases.

pub const READS: Metric = metric("reads", Unit::Count, &[Database], Both, "reads");
pub const WRITES: Metric = metric("writes", Unit::Count, &[Database], Both, "writes");
pub const REPLICA_READS: Metric = metric(
    "replica_reads",
    Unit::Count,
    &[Database],
    Summary,
    "reads served by a replica",
);
pub const STALE_READS: Metric = metric(
    "stale_reads",
    Unit::Count,
    &[Database, Cache, Cdn, CdnEdge],
    Both,
    "a database's reads on a replica that had not yet applied the primary's latest version of the key; a cache's hits older than the database's current version; a CDN's responses served before an invalidation arrived",
);
pub const STALE_READ_RATIO: Metric = metric(
    "stale_read_ratio",
    Unit::Fraction,
    &[Database],
    Summary,
    "`stale_reads` / `reads`",
);
pub const READ_YOUR_WRITES_VIOLATIONS: Metric = metric(
    "read_your_writes_violations",
    Unit::Count,
    &[Database],
    Summary,
    "stale reads by the user who wrote the newer version",
);
pub const LOST_WRITES: Metric = metric(
    "lost_writes",
    Unit::Count,
    &[Database, Drill],
    Summary,
    "acknowledged writes lost in a failover",
);
pub const REPLICATION_LAG: Family = Family {
    pattern: "replication_lag_{mean,p99,max}_ms",
    unit: Unit::Milliseconds,
    scopes: &[Database],
    files: Both,
    meaning: "with replicas: from the commit on the primary to the apply on a replica; blank when no write was applied",
};
pub const REPLICATION_LAG_MEAN_MS: Metric = REPLICATION_LAG.member("replication_lag_mean_ms");
pub const REPLICATION_LAG_P99_MS: Metric = REPLICATION_LAG.member("replication_lag_p99_ms");
pub const REPLICATION_LAG_MAX_MS: Metric = REPLICATION_LAG.member("replication_lag_max_ms");
pub const SEMI_SYNC_FALLBACKS: Metric = metric(
    "semi_sync_fallbacks",
    Unit::Count,
    &[Database],
    Summary,
    "with semi-sync replication: falls back to asynchronous",
);
pub const DEGRADED_WRITES: Metric = metric(
    "degraded_writes",
    Unit::Count,
    &[Database],
    Both,
    "with semi-sync replication: writes acknowledged without their replica acks — the ones a failover can lose",
);
pub const SEMI_SYNC_DEGRADED_SHARDS: Metric = metric(
    "semi_sync_degraded_shards",
    Unit::Count,
    &[Database],
    Timeseries,
    "with semi-sync replication: shards acknowledging writes without replica acks at the window's end",
);

// Caches and CDNs.

pub const HITS: Metric = metric(
    "hits",
    Unit::Count,
    &[Cache, Cdn],
    Summary,
    "lookups that found the key",
);
pub const MISSES: Metric = metric(
    "misses",
    Unit::Count,
    &[Cache, Cdn, CdnEdge],
    Both,
    "lookups that did not find the key (a cache's include those whose node was down; per window for CDNs)",
);
pub const HIT_RATIO: Metric = metric(
    "hit_ratio",
    Unit::Fraction,
    &[Cache, CacheNode, Cdn, CdnEdge],
    Both,
    "`hits` / lookups",
);
pub const EVICTIONS: Metric = metric(
    "evictions",
    Unit::Count,
    &[Cache, CacheNode, Cdn, CdnEdge],
    Both,
    "entries evicted to make room",
);
pub const EVICTIONS_PER_S: Metric = metric(
    "evictions_per_s",
    Unit::PerSecond,
    &[Cache],
    Summary,
    "`evictions` per second",
);
pub const EXPIRATIONS: Metric = metric(
    "expirations",
    Unit::Count,
    &[Cache],
    Summary,
    "lookups that found their key's entry expired (TTL) and missed; such an entry is held until then",
);
pub const EXPIRED: Metric = metric(
    "expired",
    Unit::Count,
    &[Cache, Cdn, CdnEdge],
    Both,
    "entries whose TTL ran out while held, each counted once, in the window in which its TTL ran out, whether a lookup, an eviction or nothing has removed it since (only with a `ttl`)",
);
pub const FILLS: Metric = metric(
    "fills",
    Unit::Count,
    &[Cache],
    Summary,
    "entries stored after a miss",
);
pub const REJECTED_FILLS: Metric = metric(
    "rejected_fills",
    Unit::Count,
    &[Cache],
    Summary,
    "fills declined (perfect LFU declining an unpopular key)",
);
pub const INVALIDATIONS: Metric = metric(
    "invalidations",
    Unit::Count,
    &[Cache],
    Summary,
    "entries invalidated by writes",
);
pub const COALESCED_LOOKUPS: Metric = metric(
    "coalesced_lookups",
    Unit::Count,
    &[Cache],
    Both,
    "with `coalesce`: lookups that missed a key another lookup held the lease on, and waited for its fill instead of reading the database",
);
pub const LEASE_EXPIRIES: Metric = metric(
    "lease_expiries",
    Unit::Count,
    &[Cache],
    Both,
    "with `coalesce`: leases that ended by their `lease_timeout`, not by a fill (their waiters then read the database)",
);
pub const STALE_HITS: Metric = metric(
    "stale_hits",
    Unit::Count,
    &[Cache],
    Both,
    "with `stale_while_revalidate`: hits on an entry whose TTL ran out less than the window ago, served stale (counted in `hits` too)",
);
pub const REFRESHES: Metric = metric(
    "refreshes",
    Unit::Count,
    &[Cache],
    Both,
    "with `stale_while_revalidate`: background refreshes sent (each one database read), at most one per key at a time",
);
pub const FAILED_REFRESHES: Metric = metric(
    "failed_refreshes",
    Unit::Count,
    &[Cache],
    Both,
    "with `stale_while_revalidate`: refreshes that renewed nothing (their read failed or timed out, or their node died meanwhile)",
);
pub const WARMING_NODES: Metric = metric(
    "warming_nodes",
    Unit::Count,
    &[Cache],
    Timeseries,
    "with `warm_restart`: restarted nodes still warming, out of the ring, at the window's end",
);
pub const WARM_LOADED: Metric = metric(
    "warm_loaded",
    Unit::Count,
    &[Cache],
    Both,
    "with `warm_restart`: entries loaded into restarted nodes while they warmed (copied from a peer, or read from the database)",
);
pub const WARM_READS_TIMED_OUT: Metric = metric(
    "warm_reads_timed_out",
    Unit::Count,
    &[Cache],
    Both,
    "with a `warm_restart` from the database whose reads have a timeout (`background_timeout`, or the read step's `timeout`): warm-up reads that timed out, skipped (the node warms on without them)",
);
pub const UNAVAILABLE_LOOKUPS: Metric = metric(
    "unavailable_lookups",
    Unit::Count,
    &[Cache],
    Summary,
    "lookups whose key's node was down",
);
pub const ENTRIES: Metric = metric(
    "entries",
    Unit::Count,
    &[Cache, CacheNode],
    Timeseries,
    "live entries at the window's end: held and not past their TTL (expired entries still held are not counted, nor are stale ones `stale_while_revalidate` still serves)",
);
pub const ORIGIN_REQUESTS: Metric = metric(
    "origin_requests",
    Unit::Count,
    &[Cdn, CdnEdge],
    Both,
    "fetches from the origin: one per miss",
);
pub const EGRESS_BYTES: Metric = metric(
    "egress_bytes",
    Unit::Bytes,
    &[Cdn, CdnEdge],
    Both,
    "bytes served to users",
);
pub const CROSS_REGION_BYTES: Metric = metric(
    "cross_region_bytes",
    Unit::Bytes,
    &[Link],
    Both,
    "bytes sent between data centers of the two regions, both ways: calls' `request_size`, replies' `response_size`, database values read, written and replicated (a keyspace's mean `value_size`); users' traffic and CDN edges are not counted",
);
pub const PROCESSED_BYTES: Metric = metric(
    "processed_bytes",
    Unit::Bytes,
    &[Balancer],
    Both,
    "bytes through the balancer: each call it forwards counts the `request_size` + `response_size` of the endpoint called (only when some endpoint has a size)",
);
pub const STORED_BYTES: Metric = metric(
    "stored_bytes",
    Unit::Bytes,
    &[CdnEdge],
    Timeseries,
    "bytes of the live objects an edge holds at the window's end (objects past their TTL are not counted)",
);
pub const FALLBACK_REQUESTS: Metric = metric(
    "fallback_requests",
    Unit::Count,
    &[Cdn],
    Both,
    "requests sent straight to the origin while an edge was down",
);

// Drills: one scope per fault that struck.

pub const FAULT_AT_S: Metric = metric(
    "fault_at_s",
    Unit::Seconds,
    &[Drill],
    Summary,
    "when the fault struck",
);
pub const TIME_TO_DETECT_S: Metric = metric(
    "time_to_detect_s",
    Unit::Seconds,
    &[Drill],
    Summary,
    "until a balancer, the database or a CDN's clients noticed; absent if nothing did; 0 for a broker, whose producers' enqueues fail at once",
);
pub const RTO_S: Metric = metric(
    "rto_s",
    Unit::Seconds,
    &[Drill],
    Summary,
    "until the service recovered — see `[recovery]`; absent if it never did",
);
pub const RECOVERED: Metric = metric(
    "recovered",
    Unit::Flag,
    &[Drill],
    Summary,
    "whether the service recovered",
);
pub const PRIMARY: Metric = metric(
    "primary",
    Unit::Flag,
    &[DatabaseNode],
    Summary,
    "whether the node is its shard's primary at the end of the run (databases with replicas); nodes keep their names, so a replica promoted by a failover (`db.replica[0]`) reads 1 here and the old primary 0",
);
pub const SEEN_BY_REQUESTS: Metric = metric(
    "seen_by_requests",
    Unit::Flag,
    &[Drill],
    Summary,
    "whether requests saw the fault: an attempt failed while it was open, or a window after it missed the recovery margins; 0 for a fault nothing noticed (a pool no request calls, a spare instance, a consumer whose queue absorbed it), whose `rto_s` is only the wait for the next calm window, not a recovery",
);
pub const FAILED_ATTEMPTS: Metric = metric(
    "failed_attempts",
    Unit::Count,
    &[Drill],
    Summary,
    "attempts that failed until recovery (the blast radius)",
);
pub const USERS_AFFECTED: Metric = metric(
    "users_affected",
    Unit::Count,
    &[Drill],
    Summary,
    "users with a failed attempt until recovery (the blast radius)",
);
pub const RPO_S: Metric = metric(
    "rpo_s",
    Unit::Seconds,
    &[Drill],
    Summary,
    "the window of acknowledged writes lost in a failover",
);
pub const BASELINE_ERROR_RATE: Metric = metric(
    "baseline_error_rate",
    Unit::Fraction,
    &[Drill],
    Summary,
    "the error rate before the fault",
);
pub const BASELINE_LATENCY_P99_MS: Metric = metric(
    "baseline_latency_p99_ms",
    Unit::Milliseconds,
    &[Drill],
    Summary,
    "the p99 latency before the fault",
);

/// Every metric, in the order of README.md's table.
pub const ALL: &[Metric] = &[
    REQUESTS,
    COMPLETED,
    DEGRADED_REQUESTS,
    ERRORS,
    ERROR_RATE,
    OFFERED_RPS,
    THROUGHPUT_RPS,
    LATENCY_MEAN_MS,
    LATENCY_P50_MS,
    LATENCY_P95_MS,
    LATENCY_P99_MS,
    LATENCY_P999_MS,
    LATENCY_MAX_MS,
    LATENCY_ALL_MEAN_MS,
    LATENCY_ALL_P50_MS,
    LATENCY_ALL_P95_MS,
    LATENCY_ALL_P99_MS,
    LATENCY_ALL_MAX_MS,
    ERRORS_REJECTED,
    ERRORS_TIMEOUT,
    ERRORS_REFUSED,
    ERRORS_RESET,
    ERRORS_UNAVAILABLE,
    ERRORS_SHED,
    SHED_CALLS,
    RATE_LIMITED_CALLS,
    ERRORS_BREAKER_OPEN,
    ERRORS_BULKHEAD_FULL,
    ERRORS_NO_LIVE_UPSTREAM,
    ATTEMPTS,
    RETRIES,
    TIMEOUTS,
    RETRIES_REFUSED,
    CALL_TIMEOUTS,
    CALL_RETRIES,
    HEDGES_SENT,
    HEDGES_WON,
    HEDGES_CANCELLED,
    CALL_RETRIES_REFUSED,
    WASTED_CALLS,
    WASTED_WORK_S,
    FALLBACK_CALLS,
    BREAKER_STATE,
    BREAKER_OPENS,
    BREAKER_REJECTED,
    BULKHEAD_REJECTED,
    EJECTIONS,
    EJECTED_INSTANCES,
    STALE_RESPONSES,
    IN_FLIGHT,
    IN_FLIGHT_AT_WARMUP,
    IN_FLIGHT_AT_END,
    MEASURED_S,
    COST_USD,
    COST_PER_MONTH_USD,
    COST_PER_MILLION_REQUESTS_USD,
    ENGINE_EVENTS,
    DRILLS_NOT_RECORDED,
    REPLICATIONS,
    FAILED_RUNS,
    INSTANCES,
    WORKERS,
    UTILIZATION,
    CPU_UTILIZATION,
    CPU_WAIT_MEAN_MS,
    QUEUE_LEN_MEAN,
    WAIT_MEAN_MS,
    WAIT_PROBABILITY,
    ARRIVALS,
    SERVED,
    REJECTED,
    REFUSED,
    RESET,
    IN_SYSTEM_MEAN,
    RESIDENCE_MEAN_MS,
    INSTANCES_MEAN,
    SCALE_ACTIONS,
    SERVING_INSTANCES,
    FORWARDED,
    IMBALANCE,
    UNAVAILABLE,
    IN_ROTATION,
    SESSIONS_LOST,
    CORES,
    CONNECTIONS_MEAN,
    ENQUEUED,
    DEQUEUED,
    CONSUMED,
    LOST_MESSAGES,
    FAILED_JOBS,
    REDELIVERED,
    DEAD_LETTERED,
    VISIBILITY_TIMEOUTS,
    WASTED_JOBS,
    POISONED,
    DEPTH_MEAN,
    DEPTH_MAX,
    OLDEST_AGE_MS,
    QUEUE_WAIT_MEAN_MS,
    DEQUEUE_RPS,
    CONSUME_RPS,
    JOB_LATENCY_MEAN_MS,
    JOB_LATENCY_P50_MS,
    JOB_LATENCY_P95_MS,
    JOB_LATENCY_P99_MS,
    JOB_LATENCY_MAX_MS,
    IN_QUEUE_AT_WARMUP,
    IN_SERVICE_AT_WARMUP,
    IN_QUEUE_AT_END,
    IN_SERVICE_AT_END,
    LOOKUPS,
    CACHE_HIT_RATIO,
    DNS_ANSWERS,
    HEALTHY,
    PARTITIONED,
    REPLICATION_BEHIND_MS,
    READS,
    WRITES,
    REPLICA_READS,
    STALE_READS,
    STALE_READ_RATIO,
    READ_YOUR_WRITES_VIOLATIONS,
    LOST_WRITES,
    REPLICATION_LAG_MEAN_MS,
    REPLICATION_LAG_P99_MS,
    REPLICATION_LAG_MAX_MS,
    SEMI_SYNC_FALLBACKS,
    DEGRADED_WRITES,
    SEMI_SYNC_DEGRADED_SHARDS,
    HITS,
    MISSES,
    HIT_RATIO,
    EVICTIONS,
    EVICTIONS_PER_S,
    EXPIRATIONS,
    EXPIRED,
    FILLS,
    REJECTED_FILLS,
    INVALIDATIONS,
    UNAVAILABLE_LOOKUPS,
    COALESCED_LOOKUPS,
    LEASE_EXPIRIES,
    STALE_HITS,
    REFRESHES,
    FAILED_REFRESHES,
    WARMING_NODES,
    WARM_LOADED,
    WARM_READS_TIMED_OUT,
    ENTRIES,
    ORIGIN_REQUESTS,
    EGRESS_BYTES,
    CROSS_REGION_BYTES,
    PROCESSED_BYTES,
    STORED_BYTES,
    FALLBACK_REQUESTS,
    FAULT_AT_S,
    TIME_TO_DETECT_S,
    RTO_S,
    RECOVERED,
    SEEN_BY_REQUESTS,
    PRIMARY,
    FAILED_ATTEMPTS,
    USERS_AFFECTED,
    RPO_S,
    BASELINE_ERROR_RATE,
    BASELINE_LATENCY_P99_MS,
];

/// Every family, for the checks that members fit their pattern.
pub const FAMILIES: &[Family] = &[
    LATENCY,
    LATENCY_ALL,
    ERRORS_BY_CAUSE,
    JOB_LATENCY,
    REPLICATION_LAG,
];

/// The metric called `name`.
pub fn lookup(name: &str) -> Option<&'static Metric> {
    ALL.iter().find(|metric| metric.name == name)
}

/// The known metric closest to an unknown `name`, if one is close enough
/// to be what was meant (a typo, a letter missing or swapped).
pub fn suggest(name: &str) -> Option<&'static str> {
    ALL.iter()
        .map(|metric| (edit_distance(name, metric.name), metric.name))
        .filter(|&(distance, known)| distance <= (known.len() / 3).max(1))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance over bytes (names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.as_bytes().iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &y) in b.iter().enumerate() {
            current[j + 1] = (previous[j] + usize::from(x != y))
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// README.md's reference of scopes and metrics: a table of the scope
/// kinds, then one row per metric, a family in one row.
pub fn markdown() -> String {
    let mut text = String::from("| scope | written as |\n|---|---|\n");
    for scope in Scope::ALL {
        text.push_str(&format!("| {} | {} |\n", scope.label(), scope.written()));
    }
    text.push_str("\n| metric | unit | scopes | in | meaning |\n|---|---|---|---|---|\n");
    let mut families_done: Vec<&str> = Vec::new();
    for metric in ALL {
        let name = match metric.family {
            Some(pattern) if families_done.contains(&pattern) => continue,
            Some(pattern) => {
                families_done.push(pattern);
                pattern
            }
            None => metric.name,
        };
        let scopes: Vec<&str> = metric.scopes.iter().map(|scope| scope.label()).collect();
        let files = match metric.files {
            Files::Summary => "summary",
            Files::Timeseries => "timeseries",
            Files::Both => "both",
        };
        text.push_str(&format!(
            "| `{name}` | {} | {} | {files} | {} |\n",
            metric.unit.label(),
            scopes.join(", "),
            metric.meaning
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for (index, metric) in ALL.iter().enumerate() {
            assert!(
                ALL[..index].iter().all(|earlier| earlier.name != metric.name),
                "`{}` is declared twice",
                metric.name
            );
        }
    }

    #[test]
    fn families_are_exactly_their_members() {
        for family in FAMILIES {
            let members: Vec<&str> = ALL
                .iter()
                .filter(|metric| metric.family == Some(family.pattern))
                .map(|metric| metric.name)
                .collect();
            assert_eq!(members, family.names(), "{}", family.pattern);
        }
    }

    #[test]
    fn names_end_in_their_unit() {
        for metric in ALL {
            let suffix = match metric.unit {
                Unit::Milliseconds => Some("_ms"),
                Unit::Seconds => Some("_s"),
                Unit::Usd => Some("_usd"),
                Unit::Bytes => Some("_bytes"),
                _ => None,
            };
            if let Some(suffix) = suffix {
                assert!(
                    metric.name.ends_with(suffix),
                    "`{}` should end in `{suffix}`",
                    metric.name
                );
            }
        }
    }

    #[test]
    fn every_scope_kind_is_listed_once() {
        for (index, scope) in Scope::ALL.iter().enumerate() {
            assert!(!Scope::ALL[..index].contains(scope));
        }
        for metric in ALL {
            assert!(!metric.scopes.is_empty(), "`{}` has no scope", metric.name);
        }
    }

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(suggest("cpu_utilisation"), Some("cpu_utilization"));
        assert_eq!(suggest("latency_p99ms"), Some("latency_p99_ms"));
        assert_eq!(suggest("eror_rate"), Some("error_rate"));
        assert_eq!(suggest("bananas"), None);
    }
}
