//! `[cdn.*]` as `parse::cdn` reads it (edges, capacity, TTL, origin,
//! egress price, fallback, `[[cdn.NAME.deploy]]`), and object sizes: a
//! keyspace's `value_size` as a size or a distribution of sizes.

use schemars::JsonSchema;

use crate::scenario::types::{CdnFallback, DeployMode, Eviction};

use super::dist::DurationDist;
use super::units::{ByteSize, CoefficientOfVariation, Duration, EntryTarget, Name, Probability};
use crate::scenario::parse::{MAX_CDN_DEPLOYS, MAX_CDN_EDGES};

/// `[cdn.<name>]`: edge caches in front of an origin.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Cdn {
    /// The objects it serves (the keyspace a class's `key` draws from).
    pub keyspace: Name,
    /// Where misses go: `component/endpoint` (a DNS name, balancer or pool),
    /// or a database's name (an object store).
    pub origin: EntryTarget,
    /// A number of edges, or their names.
    #[schemars(extend("default" = 1))]
    pub edges: Option<Edges>,
    /// Bytes each edge stores.
    pub capacity: ByteSize,
    /// What an edge evicts when full.
    #[schemars(extend("default" = "lru"))]
    pub eviction: Option<Eviction>,
    /// Objects expire this long after an edge stores them (longer than zero).
    pub ttl: Option<Duration>,
    /// US dollars per GB sent from the edges.
    #[schemars(range(min = 0), extend("default" = 0.085))]
    pub price_per_gb: Option<f64>,
    /// Where clients go while the CDN is down.
    #[schemars(extend("default" = "origin"))]
    pub fallback: Option<CdnFallback>,
    /// Time for clients to notice the CDN is down.
    #[schemars(extend("default" = "10s"))]
    pub detection: Option<Duration>,
    /// An edge's response time.
    #[schemars(extend("default" = "10ms"))]
    pub latency: Option<DurationDist>,
    /// Releases that change a share of the objects.
    #[schemars(length(max = MAX_CDN_DEPLOYS))]
    pub deploy: Option<Vec<Deploy>>,
}

/// A CDN's edges: a count or names.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum Edges {
    /// This many edges.
    Count(#[schemars(range(min = 1, max = MAX_CDN_EDGES))] u64),
    /// Named edges (distinct names).
    Named(#[schemars(length(min = 1, max = MAX_CDN_EDGES), extend("uniqueItems" = true))] Vec<Name>),
}

/// `[[cdn.<name>.deploy]]`: a release.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend(
    "if" = { "required": ["mode"], "properties": { "mode": { "const": "invalidate" } } },
    "then" = { "required": ["propagation"] },
    "else" = { "not": { "required": ["propagation"] } }
))]
pub struct Deploy {
    /// When.
    pub at: Duration,
    /// How changed objects reach the edges.
    #[schemars(extend("default" = "versioned"))]
    pub mode: Option<DeployMode>,
    /// The share of the objects it changes.
    pub share: Probability,
    /// With `mode = "invalidate"`: how long the invalidation takes to reach every edge.
    pub propagation: Option<Duration>,
}

/// An object size: a size string, or a distribution of sizes.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum SizeDist {
    /// Always this size.
    Constant(ByteSize),
    /// A distribution named by `dist` (sizes from 1 byte to 1 GiB).
    Table(SizeDistTable),
}

/// A distribution of sizes, tagged by `dist`.
#[derive(JsonSchema)]
#[schemars(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum SizeDistTable {
    /// Always `value`.
    Const {
        /// The size.
        value: ByteSize,
    },
    /// Exponential with this mean.
    Exp {
        /// The mean.
        mean: ByteSize,
    },
    /// Uniform from `min` to `max`.
    Uniform {
        /// The smallest size.
        min: ByteSize,
        /// The largest size (not less than `min`).
        max: ByteSize,
    },
    /// Lognormal by mean and coefficient of variation.
    Lognormal {
        /// The mean.
        mean: ByteSize,
        /// Standard deviation / mean.
        cv: CoefficientOfVariation,
    },
    /// Pareto (a heavy tail) by its smallest size.
    Pareto {
        /// The smallest size.
        min: ByteSize,
        /// The shape: smaller is heavier.
        #[schemars(extend("exclusiveMinimum" = 0))]
        alpha: f64,
    },
}
