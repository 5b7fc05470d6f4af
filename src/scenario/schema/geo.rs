//! The geography as `parse::geo` reads it: `[region.*]`, `[datacenter.*]`
//! and `[[network.link]]`. A component's `datacenter`, a database's
//! `replica_datacenters`, a DNS name's `targets` and a `partition` fault sit
//! with their sections.

use schemars::JsonSchema;

use super::units::{Duration, Name};

/// `[region.<name>]`: where a share of the users are.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Region {
    /// The region's share of the users (shares are normalized; greater than zero).
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub users: f64,
}

/// `[datacenter.<name>]`: a place components stand in.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Datacenter {
    /// The region the data center is in.
    pub region: Name,
}

/// `[[network.link]]`: the one-way latency between two regions (symmetric).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Link {
    /// The two regions it joins (different ones).
    #[schemars(length(min = 2, max = 2))]
    pub between: Vec<Name>,
    /// The one-way latency.
    pub latency: Duration,
}
