//! The component sections as `parse::components` reads them: `[size.*]`,
//! `[network]`, `[dns.*]`, `[balancer.*]`, `[pool.*]` with its endpoints and
//! their steps.

use std::collections::BTreeMap;

use schemars::JsonSchema;

use crate::scenario::types::{Concurrency, Policy};

use super::dist::DurationDist;
use super::geo::Link;
use super::units::{Duration, EndpointTarget, Name, Probability, QueueCapacity};

/// `[size.<name>]`: an instance size.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Size {
    /// Cores per instance.
    #[schemars(range(min = 1, max = crate::scenario::bounds::MAX_CORES))]
    pub cores: u64,
    /// Per-core speed relative to the machine service times are stated for
    /// (service time on this size = stated time / speed).
    #[schemars(extend("exclusiveMinimum" = 0, "default" = 1.0))]
    pub speed: Option<f64>,
    /// US dollars per instance-hour.
    #[schemars(range(min = 0), extend("default" = 0.0))]
    pub price_per_hour: Option<f64>,
}

/// `[network]`: latencies of the hops between components.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Network {
    /// One-way latency between components (each call pays it going and coming back).
    #[schemars(extend("default" = "0s"))]
    pub default: Option<DurationDist>,
    /// One-way latency between a user and the entry point.
    #[schemars(extend("default" = "0s"))]
    pub client: Option<DurationDist>,
    /// Latencies between regions (`[[network.link]]`); a missing pair is zero.
    pub link: Option<Vec<Link>>,
}

/// `[dns.<name>]`: a name users resolve, to one `target` or (geoDNS) the
/// nearest healthy of its `targets`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{ "required": ["target"] }, { "required": ["targets"] }]))]
pub struct Dns {
    /// How long a user caches the answer.
    pub ttl: Duration,
    /// Lookup latency when the user's cached answer has expired.
    #[schemars(extend("default" = "0s"))]
    pub resolve: Option<DurationDist>,
    /// The balancer or pool the name resolves to.
    pub target: Option<Name>,
    /// geoDNS: balancers or pools serving the same endpoints; each user is
    /// answered with the nearest healthy one.
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub targets: Option<Vec<Name>>,
    /// geoDNS: probes that stop answers naming a dead target.
    pub health_check: Option<HealthCheck>,
}

/// `[balancer.<name>]`: spreads requests over one pool's instances.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend(
    "if" = { "required": ["session_ttl"] },
    "then" = { "required": ["sticky"], "properties": { "sticky": { "const": true } } }
))]
pub struct Balancer {
    /// How an instance is picked.
    #[schemars(extend("default" = "round_robin"))]
    pub policy: Option<Policy>,
    /// The pool whose instances it spreads requests over.
    pub pool: Name,
    /// The balancer's own processing time per request.
    #[schemars(extend("default" = "0s"))]
    pub latency: Option<DurationDist>,
    /// Probes that take dead instances out of rotation.
    pub health_check: Option<HealthCheck>,
    /// The data center it stands in (default: with its pool).
    pub datacenter: Option<Name>,
    /// Sticky sessions by user.
    #[schemars(extend("default" = false))]
    pub sticky: Option<bool>,
    /// With `sticky = true`: a session unused this long expires (longer than zero).
    #[schemars(extend("default" = "30m"))]
    pub session_ttl: Option<Duration>,
    /// The balancer's own capacity: requests it processes at once, each for
    /// `latency`, the others waiting in turn (default: unlimited, and
    /// `latency` is a plain delay).
    #[schemars(range(min = 1, max = crate::scenario::bounds::MAX_CORES))]
    pub cores: Option<u64>,
    /// Requests passing through it at once, from arrival until the reply
    /// goes back; one more is rejected (default: unlimited).
    #[schemars(range(min = 1, max = crate::scenario::bounds::MAX_QUEUE_CAPACITY))]
    pub max_connections: Option<u64>,
}

/// A balancer's health checks.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HealthCheck {
    /// Time between probes of every instance (longer than zero).
    #[schemars(extend("default" = "5s"))]
    pub interval: Option<Duration>,
    /// A hung instance fails its probe after this long (longer than zero).
    #[schemars(extend("default" = "2s"))]
    pub timeout: Option<Duration>,
    /// Failures in a row that take an instance out of rotation.
    #[schemars(range(min = 1, max = 100), extend("default" = 3))]
    pub unhealthy_threshold: Option<u32>,
    /// Successes in a row that bring it back.
    #[schemars(range(min = 1, max = 100), extend("default" = 2))]
    pub healthy_threshold: Option<u32>,
}

/// `[pool.<name>]`: identical server instances serving endpoints.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Pool {
    /// Identical servers (autoscaled: the starting count, default `autoscale.min`).
    #[schemars(range(min = 1, max = crate::scenario::bounds::MAX_INSTANCES), extend("default" = 1))]
    pub instances: Option<u64>,
    /// An instance size: a `[size.<name>]` or a built-in one such as `m5.large`
    /// (default: one core per worker, speed 1, free).
    pub size: Option<Name>,
    /// Requests served at once per instance (threads).
    #[schemars(range(min = 1, max = crate::scenario::bounds::MAX_WORKERS))]
    pub workers: u64,
    /// Requests that may wait for a worker per instance; more are rejected.
    pub queue_capacity: Option<QueueCapacity>,
    /// Whether a worker is held while a request waits on calls.
    #[schemars(extend("default" = "thread_per_request"))]
    pub concurrency: Option<Concurrency>,
    /// A database holding the users' sessions, read by every call (the stateless web tier).
    pub session_store: Option<Name>,
    /// The data center its instances stand in (default: everywhere).
    pub datacenter: Option<Name>,
    /// Target tracking between `min` and `max` instances.
    pub autoscale: Option<super::queues::Autoscale>,
    /// The endpoints, by name (at least one).
    #[schemars(
        length(min = 1),
        extend("propertyNames" = { "pattern": super::units::NAME_PATTERN })
    )]
    pub endpoint: BTreeMap<String, Endpoint>,
}

/// `[pool.<name>.endpoint.<endpoint>]`: what one endpoint does.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Endpoint {
    /// CPU time of the endpoint itself (on a speed-1 core), spent first.
    pub service: DurationDist,
    /// What the endpoint does next, in order.
    #[schemars(extend("default" = []))]
    pub steps: Option<Vec<Step>>,
}

/// One step of an endpoint: a table with exactly one of `compute`, `delay`, `enqueue`,
/// `call`, `read`, `write`, `parallel` or `probability`.
#[derive(JsonSchema)]
#[schemars(untagged, deny_unknown_fields)]
pub enum Step {
    /// Use a core for a while.
    Compute {
        /// How long.
        compute: DurationDist,
    },
    /// Wait without using a core (an external API, a sleep).
    Delay {
        /// How long.
        delay: DurationDist,
    },
    /// Call another endpoint and wait for the reply.
    Call {
        /// `component/endpoint`, the component a DNS name, balancer or pool.
        call: EndpointTarget,
    },
    /// Read from a database (cache-aside with `cache`).
    Read {
        /// The database.
        read: Name,
        /// Overrides the database's read time for this step.
        service: Option<DurationDist>,
        /// A cache in front of the database (cache-aside).
        cache: Option<Name>,
    },
    /// Write to a database (then apply `cache`'s write policy).
    Write {
        /// The database.
        write: Name,
        /// Overrides the database's write time for this step.
        service: Option<DurationDist>,
        /// A cache whose write policy follows the write.
        cache: Option<Name>,
    },
    /// Run branches at once and wait for all.
    Parallel {
        /// At least two branches; a branch is a step or a list of steps.
        #[schemars(length(min = 2))]
        parallel: Vec<Branch>,
    },
    /// Put a message on a queue and go on once the broker acknowledges it.
    Enqueue {
        /// The queue.
        enqueue: Name,
    },
    /// Run the steps with this probability.
    Probability {
        /// The chance the steps run.
        probability: Probability,
        /// The steps.
        steps: Vec<Step>,
    },
}

/// A branch of a `parallel` step.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum Branch {
    /// One step.
    Step(Box<Step>),
    /// Several steps, in order.
    Steps(Vec<Step>),
}
