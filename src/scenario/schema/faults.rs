//! `[[faults]]` as `parse::faults` reads them.
//!
//! A fault is one table with every key the loader asks for; which keys go
//! together (exactly one action; `at`, `mtbf` with `mttr`, or `every` with
//! `mttr`) is stated as `oneOf` constraints, the way the loader checks them
//! after reading.

use schemars::JsonSchema;

use crate::scenario::types::{FaultTimeKeys, KillKeys, SlowKeys};

use super::units::{FaultTarget, Name};

/// One fault: an action on a target (or a `partition` between two data
/// centers), scheduled (`at`), random (`mtbf`, `mttr`) or periodic (`every`,
/// `mttr`).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend("allOf" = [
    { "oneOf": [
        { "required": ["kill"] },
        { "required": ["restore"] },
        { "required": ["slow"] },
        { "required": ["partition"] },
    ] },
    { "oneOf": [
        { "required": ["at"], "not": { "anyOf": [{ "required": ["mtbf"] }, { "required": ["mttr"] }, { "required": ["every"] }] } },
        { "required": ["mtbf", "mttr"], "not": { "anyOf": [{ "required": ["at"] }, { "required": ["every"] }] } },
        { "required": ["every", "mttr"], "not": { "anyOf": [{ "required": ["at"] }, { "required": ["mtbf"] }] } },
    ] },
]))]
pub struct Fault {
    /// Stop the target (`mode`: `crash` or `hang`).
    pub kill: Option<FaultTarget>,
    /// Bring the target back up, empty (and lift any slow-down).
    pub restore: Option<FaultTarget>,
    /// Slow the target's service times down (`factor`, `add`).
    pub slow: Option<FaultTarget>,
    /// Cut the network between two data centers.
    #[schemars(length(min = 2, max = 2))]
    pub partition: Option<Vec<Name>>,
    /// The keys declared with a fault's time's type (`types::FaultTimeKeys`).
    #[schemars(flatten)]
    pub time: FaultTimeKeys,
    /// The keys declared with a kill's type (`types::KillKeys`).
    #[schemars(flatten)]
    pub kill_keys: KillKeys,
    /// The keys declared with a slow-down's type (`types::SlowKeys`).
    #[schemars(flatten)]
    pub slow_keys: SlowKeys,
}
