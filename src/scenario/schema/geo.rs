//! The geography's names as `parse::geo` reads them: `[datacenter.*]` and
//! `[[network.link]]` (`[region.*]` and a link's plain keys are declared
//! with `section!` in `scenario::geo`). A component's `datacenter`, a
//! database's `replica_datacenters`, a DNS name's `targets` and a
//! `partition` fault sit with their sections.

use schemars::JsonSchema;

use super::units::Name;

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
    /// The keys declared with the link's type (`geo::LinkKeys`).
    #[schemars(flatten)]
    pub keys: crate::scenario::geo::LinkKeys,
}
