//! `[cdn.*]` as `parse::cdn` reads it (edges, capacity, TTL, origin,
//! egress price, fallback, `[[cdn.NAME.deploy]]`), and object sizes: a
//! keyspace's `value_size` as a size or a distribution of sizes.

use schemars::JsonSchema;

use crate::scenario::types::DeployKeys;

use super::units::{ByteSize, CoefficientOfVariation, Duration, EntryTarget, Name};
use crate::scenario::parse::{MAX_CDN_DEPLOYS, MAX_CDN_EDGES};

/// `[cdn.<name>]`: edge caches in front of an origin.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Cdn {
    /// The keys declared with the CDN's type (`types::CdnKeys`).
    #[schemars(flatten)]
    pub keys: crate::scenario::types::CdnKeys,
    /// The object catalog: `keys` objects, their `popularity` and `value_size` (a size or a
    /// distribution of sizes).
    pub keyspace: Name,
    /// Where edges fetch what they miss: `"component/endpoint"` (a DNS name, balancer or
    /// pool) or `"database"` (a read of that database, used as an object store); its load
    /// shows in its own metrics.
    pub origin: EntryTarget,
    /// The number of edges (`4`: named `edge[0]`…), or their names (`["eu", "us"]`); without
    /// regions each user is served by one edge (a fixed hash of the user). With regions
    /// (`[region.*]`) edges must be named after the regions they stand in, and each user
    /// reaches the edge of their own region — see "CDN edges in regions" below.
    #[schemars(extend("default" = 1))]
    pub edges: Option<Edges>,
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
    /// The keys declared with the deploy's type (`types::DeployKeys`).
    #[schemars(flatten)]
    pub keys: DeployKeys,
    /// How long the invalidation takes to reach the edges.
    #[schemars(extend("x-default-text" = "required for `invalidate`"))]
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
