//! `[queue.*]` (message brokers) and a pool's `[pool.*.autoscale]` as
//! `parse::queues` reads them.

use schemars::JsonSchema;

use crate::scenario::types::{ScaleMetric, WhenFull};

use super::dist::DurationDist;
use super::units::{Duration, EndpointTarget};
use crate::scenario::bounds::MAX_INSTANCES;

/// `[queue.<name>]`: a message broker; `{ enqueue = "NAME" }` steps put
/// messages on it and its consumer endpoint runs them later.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Queue {
    /// Messages the broker holds at most.
    #[schemars(
        range(min = 1, max = crate::scenario::parse::MAX_QUEUE_MESSAGES),
        extend("default" = 1_000_000)
    )]
    /// Messages the broker holds at most.
    pub capacity: Option<u64>,
    /// `reject`: the enqueue fails (the request fails with `rejected`); `block`: the producer
    /// waits, holding its worker, until there is room.
    #[schemars(extend("default" = "reject"))]
    pub when_full: Option<WhenFull>,
    /// Messages survive a broker crash (on disk); in memory they are lost (`lost_messages`).
    #[schemars(extend("default" = false))]
    pub durable: Option<bool>,
    /// Time until the broker acknowledges an enqueue (a duration or distribution).
    #[schemars(extend("default" = "0s"))]
    pub latency: Option<DurationDist>,
    /// `"pool/endpoint"`: the pool whose workers pull messages (a pool, not a balancer) and
    /// the endpoint each job runs (its service and steps, which may call databases).
    pub consumer: EndpointTarget,
}

/// `[pool.<name>.autoscale]`: target tracking between `min` and `max`
/// instances (the pool's `instances` is its starting count).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Autoscale {
    /// Fewest instances.
    #[schemars(range(min = 1, max = MAX_INSTANCES), extend("default" = 1))]
    pub min: Option<u64>,
    /// Most instances (the pool is built with this many; the others are stopped).
    #[schemars(range(min = 1, max = MAX_INSTANCES))]
    pub max: u64,
    /// `utilization`: busy workers / workers of the serving instances over the last interval;
    /// `queue_depth`: messages waiting in the queue the pool consumes, per instance.
    #[schemars(extend("default" = "utilization"))]
    pub metric: Option<ScaleMetric>,
    /// The utilization to keep (a fraction, at most 1), or messages waiting per instance.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub target: f64,
    /// Time between evaluations.
    #[schemars(extend("default" = "60s"))]
    pub interval: Option<Duration>,
    /// No scale-out sooner than this after a scale action.
    #[schemars(extend("default" = "5m"))]
    pub cooldown: Option<Duration>,
    /// No scale-in sooner than this after a scale action.
    #[schemars(extend("x-default-text" = "`cooldown`"))]
    pub scale_in_cooldown: Option<Duration>,
    /// Time (a duration or distribution) from launch until a new instance takes work (a
    /// balancer sends it nothing before).
    #[schemars(extend("default" = "0s"))]
    pub boot: Option<DurationDist>,
}
