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
    pub capacity: Option<u64>,
    /// What an enqueue does when the broker is full.
    #[schemars(extend("default" = "reject"))]
    pub when_full: Option<WhenFull>,
    /// Whether queued messages survive a broker crash.
    #[schemars(extend("default" = false))]
    pub durable: Option<bool>,
    /// Time until the broker acknowledges an enqueue.
    #[schemars(extend("default" = "0s"))]
    pub latency: Option<DurationDist>,
    /// The endpoint that runs each message: `pool/endpoint` (a pool, not a
    /// balancer or DNS name).
    pub consumer: EndpointTarget,
}

/// `[pool.<name>.autoscale]`: target tracking between `min` and `max`
/// instances (the pool's `instances` is its starting count).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Autoscale {
    /// The fewest instances.
    #[schemars(range(min = 1, max = MAX_INSTANCES), extend("default" = 1))]
    pub min: Option<u64>,
    /// The most instances (not below `min`).
    #[schemars(range(min = 1, max = MAX_INSTANCES))]
    pub max: u64,
    /// What the autoscaler measures.
    #[schemars(extend("default" = "utilization"))]
    pub metric: Option<ScaleMetric>,
    /// The value of `metric` to hold (greater than zero; a fraction, at most
    /// 1, for `utilization`).
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub target: f64,
    /// Time between measurements (longer than zero).
    #[schemars(extend("default" = "60s"))]
    pub interval: Option<Duration>,
    /// Wait after a scale action before the next one.
    #[schemars(extend("default" = "5m"))]
    pub cooldown: Option<Duration>,
    /// Wait after a scale action before scaling in (default: `cooldown`).
    pub scale_in_cooldown: Option<Duration>,
    /// Time from launch until a new instance serves.
    #[schemars(extend("default" = "0s"))]
    pub boot: Option<DurationDist>,
}
