//! `[workload]` as `parse::workload` reads it: arrivals, rate profile,
//! diurnal cycle, timeout, retries and the class mix.

use schemars::JsonSchema;

use crate::scenario::types::{ClassKeys, ClosedArrivals, DailyRate, OpenKeys, RateChange, WorkloadKeys};

use super::units::{EntryTarget, Name, Rate};

/// `[workload]`: who sends requests, how often, and what they ask for.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend(
    "if" = { "properties": { "arrivals": { "properties": { "kind": { "const": "closed" } } } } },
    "then" = { "not": { "anyOf": [{ "required": ["profile"] }, { "required": ["diurnal"] }] } }
))]
pub struct Workload {
    /// `{ kind = "open", rate = "1200/s", users = 10000 }`: Poisson arrivals spread uniformly
    /// over `users` (each user has their own DNS cache; left out, 10 000 with a warning, since
    /// it changes the DNS hit ratio and caps `users_affected`); or `{ kind = "open", daily_users =
    /// 1e6, requests_per_user = 20, peak_factor = 3 }`: the peak rate users × requests / 86
    /// 400 s × factor; or `{ kind = "closed", users = 200, think = { dist = "exp", mean =
    /// "5s" } }`: each user thinks, sends a request, waits for its outcome, and thinks again.
    pub arrivals: Arrivals,
    /// Open workloads: changes of the rate over time, in order: `{ at = "4m", rate = "6000/s"
    /// }` (a step), `… over = "1m" }` (a linear ramp), `… for = "30s" }` (a spike: back to
    /// the previous rate after holding it).
    #[schemars(extend("default" = []))]
    pub profile: Option<Vec<RateChange>>,
    /// Request classes: `[{ class = "view", weight = 90, call = "www/view_item", key =
    /// "items" }, …]`; `call` is `component/endpoint` where the component is a DNS name,
    /// balancer or pool, or the name of a CDN (`call = "static"`; anything after a `/` is
    /// only a label); `weight` defaults to 1 (0: never drawn, for a `relogin` class); `key` (optional) names the keyspace a request's
    /// item is drawn from — the key then follows the request through caches and databases.
    #[schemars(length(min = 1))]
    pub mix: Vec<Class>,
    /// A class of the mix (often of weight 0) that a user sends, before their next request,
    /// when a crash lost their sticky session: they log in again. Without it a lost session
    /// sends no extra request.
    #[schemars(extend("x-default-text" = "none"))]
    pub relogin: Option<Name>,
    /// The keys declared with the workload's type (`types::WorkloadKeys`).
    #[schemars(flatten)]
    pub keys: WorkloadKeys,
}

/// `arrivals`, tagged by `kind`.
#[derive(JsonSchema)]
#[schemars(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Arrivals {
    /// Poisson arrivals at a rate, spread over `users`.
    #[schemars(rename = "open")]
    OpenRate {
        /// Requests per second (greater than zero).
        rate: Rate,
        /// The keys declared with open arrivals' type (`types::OpenKeys`).
        #[schemars(flatten)]
        keys: OpenKeys,
    },
    /// Poisson arrivals at the peak rate users × requests / 86 400 s × factor.
    #[schemars(rename = "open")]
    OpenDaily {
        /// The keys declared with the daily rate's type (`types::DailyRate`).
        #[schemars(flatten)]
        daily: DailyRate,
        /// The keys declared with open arrivals' type (`types::OpenKeys`).
        #[schemars(flatten)]
        keys: OpenKeys,
    },
    /// A fixed population: each user thinks, sends a request, waits for its outcome.
    Closed(ClosedArrivals),
}

/// One request class of the mix.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Class {
    /// The class name (unique in the mix).
    pub class: Name,
    /// The keys declared with the class's type (`types::ClassKeys`).
    #[schemars(flatten)]
    pub keys: ClassKeys,
    /// The entry: `component/endpoint`, the component a DNS name, balancer or
    /// pool; or a CDN's name alone.
    pub call: EntryTarget,
    /// The keyspace a request's item is drawn from.
    pub key: Option<Name>,
}
