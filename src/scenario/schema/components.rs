//! The component sections as `parse::components` reads them: `[size.*]`,
//! `[network]`, `[dns.*]`, `[balancer.*]`, `[pool.*]` with its endpoints and
//! their steps.

use std::collections::BTreeMap;

use schemars::JsonSchema;

use crate::scenario::types::{BalancerKeys, CallKeys, DataStepKeys, EndpointKeys, MaybeKeys, PoolKeys};

use super::dist::DurationDist;
use super::geo::Link;
use super::units::{Duration, EndpointTarget, Name};

/// `[network]`: latencies of the hops between components.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Network {
    /// The keys declared with the network's type (`types::Network`).
    #[schemars(flatten)]
    pub keys: crate::scenario::types::Network,
    /// Latencies between regions (`[[network.link]]`); a missing pair is zero.
    pub link: Option<Vec<Link>>,
}

/// `[dns.<name>]`: a name users resolve, to one `target` or (geoDNS) the
/// nearest healthy of its `targets`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{ "required": ["target"] }, { "required": ["targets"] }]))]
pub struct Dns {
    /// The keys declared with the DNS name's type (`types::DnsKeys`).
    #[schemars(flatten)]
    pub keys: crate::scenario::types::DnsKeys,
    /// The balancer or pool the name resolves to.
    #[schemars(extend("x-default-text" = "required (or `targets`)"))]
    pub target: Option<Name>,
    /// GeoDNS: `["lb-us", "lb-eu"]`, balancers or pools (usually in different data centers)
    /// serving the same endpoints; each user is answered with the nearest healthy one by the
    /// latency from the user's region (the first listed on a tie; the nearest of all when
    /// none is healthy), and keeps that answer for the TTL.
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub targets: Option<Vec<Name>>,
    /// The geoDNS keys declared with their type (`geo::GeoDnsKeys`).
    #[schemars(flatten)]
    pub geo: crate::scenario::geo::GeoDnsKeys,
}

/// `[balancer.<name>]`: spreads requests over one pool's instances.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend(
    "if" = { "required": ["session_ttl"] },
    "then" = { "required": ["sticky"], "properties": { "sticky": { "const": true } } }
))]
pub struct Balancer {
    /// The keys declared with the balancer's type (`types::BalancerKeys`).
    #[schemars(flatten)]
    pub keys: BalancerKeys,
    /// The pool whose instances it spreads requests over.
    pub pool: Name,
    /// The data center it stands in.
    #[schemars(extend("x-default-text" = "with its pool"))]
    pub datacenter: Option<Name>,
    /// Sticky sessions by user: a user's requests go to the instance holding their session
    /// while it lives (used within `session_ttl`, the same life of the instance, in
    /// rotation); otherwise `policy` picks and a new session starts there. When the pool
    /// keeps no `session_store`, the sessions live in the servers' memory and a crash loses
    /// the live ones on that server (`sessions_lost`); with the workload's `relogin` those
    /// users log in again before their next request.
    #[schemars(extend("default" = false))]
    pub sticky: Option<bool>,
    /// With `sticky`: a session unused this long expires.
    #[schemars(extend("default" = "30m"))]
    pub session_ttl: Option<Duration>,
}

/// `[pool.<name>]`: identical server instances serving endpoints.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Pool {
    /// The keys declared with the pool's type (`types::PoolKeys`).
    #[schemars(flatten)]
    pub keys: PoolKeys,
    /// Identical servers.
    #[schemars(range(min = 1, max = crate::scenario::bounds::MAX_INSTANCES), extend("default" = 1))]
    pub instances: Option<u64>,
    /// An instance size (above).
    #[schemars(extend("x-default-text" = "one core per worker, speed 1, free"))]
    pub size: Option<Name>,
    /// A database holding the users' sessions: every call of the pool's endpoints first reads
    /// the user's session there (one more call, with its latency), and no session is lost
    /// when a server dies — the stateless web tier. Give the store a per-user keyspace (`keys
    /// = "per_user"`) to key the reads by user.
    pub session_store: Option<Name>,
    /// The data center its instances stand in.
    #[schemars(extend("x-default-text" = "everywhere"))]
    pub datacenter: Option<Name>,
    /// The host (`[host.*]`) its instances stand on: their CPU work queues on the host's
    /// cores with that of every other component there.
    #[schemars(extend("x-default-text" = "machines of its own"))]
    pub host: Option<Name>,
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
    /// The keys declared with the endpoint's type (`types::EndpointKeys`).
    #[schemars(flatten)]
    pub keys: EndpointKeys,
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
        /// The keys declared with a call step's type (`types::CallKeys`).
        #[schemars(flatten)]
        keys: CallKeys,
    },
    /// Read from a database (cache-aside with `cache`).
    Read {
        /// The database.
        read: Name,
        /// The keys declared with a data step's type (`types::DataStepKeys`).
        #[schemars(flatten)]
        keys: DataStepKeys,
        /// A cache in front of the database (cache-aside).
        cache: Option<Name>,
    },
    /// Write to a database (then apply `cache`'s write policy).
    Write {
        /// The database.
        write: Name,
        /// The keys declared with a data step's type (`types::DataStepKeys`).
        #[schemars(flatten)]
        keys: DataStepKeys,
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
        /// The keys declared with a probability step's type (`types::MaybeKeys`).
        #[schemars(flatten)]
        keys: MaybeKeys,
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
