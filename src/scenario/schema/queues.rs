//! `[queue.*]` (message brokers) and a pool's `[pool.*.autoscale]` as
//! `parse::queues` reads them.

use schemars::JsonSchema;

use crate::scenario::types::{AutoscaleKeys, QueueKeys};

use super::units::{Duration, EndpointTarget};

/// `[queue.<name>]`: a message broker; `{ enqueue = "NAME" }` steps put
/// messages on it and its consumer endpoint runs them later.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Queue {
    /// The keys declared with the queue's type (`types::QueueKeys`).
    #[schemars(flatten)]
    pub keys: QueueKeys,
    /// `"pool/endpoint"`: the pool whose workers pull messages (a pool, not a balancer) and
    /// the endpoint each job runs (its service and steps, which may call databases).
    pub consumer: EndpointTarget,
    /// A queue that receives this one's dead letters (messages out of `max_deliveries`, which it
    /// needs) as new messages, for its own consumer; full or down, it loses them (its `rejected`,
    /// `unavailable`). Not this queue, nor one whose dead letters come back here.
    #[schemars(extend("x-default-text" = "none: dead letters are counted only"))]
    pub dead_letter: Option<String>,
}

/// `[pool.<name>.autoscale]`: target tracking between `min` and `max`
/// instances (the pool's `instances` is its starting count).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Autoscale {
    /// The keys declared with the autoscaler's type (`types::AutoscaleKeys`).
    #[schemars(flatten)]
    pub keys: AutoscaleKeys,
    /// No scale-in sooner than this after a scale action.
    #[schemars(extend("x-default-text" = "`cooldown`"))]
    pub scale_in_cooldown: Option<Duration>,
}
