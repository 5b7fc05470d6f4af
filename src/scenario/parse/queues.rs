//! Reading `[queue.*]` (message brokers and their consumers) and a pool's
//! `[pool.*.autoscale]` table (target tracking).

use super::super::dist::Dist;
use super::super::reader::{Node, Reader};
use super::super::types::{Autoscale, Queue, ScaleMetric, WhenFull};
use super::dist::read_duration_dist;
use super::{Cx, RefKind, read_target};
use crate::engine::SimDuration;

/// Most messages a broker may hold.
pub const MAX_QUEUE_MESSAGES: u64 = 100_000_000;

/// A broker's capacity unless `capacity` says.
pub const DEFAULT_QUEUE_CAPACITY: u32 = 1_000_000;

pub(crate) fn read_queue(cx: &mut Cx, name: String, node: &Node) -> Option<Queue> {
    let mut table = cx.reader.table(node)?;
    let capacity = table
        .get("capacity")
        .map(|n| cx.reader.integer(&n, 1, MAX_QUEUE_MESSAGES));
    let when_full = table.get("when_full").map(|n| {
        cx.reader
            .choice(&n, &WhenFull::NAMES)
            .map(|index| WhenFull::ALL[index])
    });
    let durable = table.get("durable").map(|n| cx.reader.boolean(&n));
    let latency = table
        .get("latency")
        .map(|n| read_duration_dist(&mut cx.reader, &n, cx.base_dir));
    let consumer = table
        .require(&mut cx.reader, "consumer", "\"workers/process\"")
        .and_then(|n| read_target(cx, &n, RefKind::Consumer));
    table.finish(&mut cx.reader);
    Some(Queue {
        name,
        capacity: capacity.unwrap_or(Some(DEFAULT_QUEUE_CAPACITY as u64))? as u32,
        when_full: when_full.unwrap_or(Some(WhenFull::Reject))?,
        durable: durable.unwrap_or(Some(false))?,
        latency: latency.unwrap_or(Some(Dist::Const { value: 0.0 }))?,
        consumer: consumer?,
    })
}

/// `[pool.NAME.autoscale]`; `instances` is the pool's starting count.
pub(crate) fn read_autoscale(cx: &mut Cx, node: &Node, instances: Option<u32>) -> Option<Autoscale> {
    let reader: &mut Reader = &mut cx.reader;
    let mut table = reader.table(node)?;
    let max_instances = super::MAX_INSTANCES;
    let min = table.get("min").map(|n| reader.integer(&n, 1, max_instances));
    let max_node = table.require(reader, "max", "10");
    let max = max_node
        .as_ref()
        .and_then(|n| reader.integer(n, 1, max_instances));
    let metric = table.get("metric").map(|n| {
        reader
            .choice(&n, &ScaleMetric::NAMES)
            .map(|index| ScaleMetric::ALL[index])
    });
    let target_node = table.require(reader, "target", "0.6");
    let target = target_node.as_ref().and_then(|n| reader.positive_number(n));
    let interval = table.get("interval").map(|n| reader.positive_duration(&n));
    let cooldown = table.get("cooldown").map(|n| reader.duration(&n));
    let scale_in_cooldown = table.get("scale_in_cooldown").map(|n| reader.duration(&n));
    let boot = table
        .get("boot")
        .map(|n| read_duration_dist(&mut cx.reader, &n, cx.base_dir));
    table.finish(&mut cx.reader);
    let min = min.unwrap_or(Some(1))? as u32;
    let max = max? as u32;
    if min > max {
        cx.reader.invalid(
            max_node.as_ref()?,
            format!("`max` ({max}) is below `min` ({min})"),
            Some("the pool scales between `min` and `max` instances".to_owned()),
        );
        return None;
    }
    let start = instances.unwrap_or(min);
    if start < min || start > max {
        cx.reader.invalid(
            max_node.as_ref()?,
            format!("the pool starts with {start} instances, outside `min` ({min}) .. `max` ({max})"),
            Some("set the pool's `instances` (its starting count) between `min` and `max`".to_owned()),
        );
        return None;
    }
    let metric = metric.unwrap_or(Some(ScaleMetric::Utilization))?;
    let target = target?;
    if metric == ScaleMetric::Utilization && target > 1.0 {
        cx.reader.invalid(
            target_node.as_ref()?,
            format!("a utilization target of {target} is more than 1"),
            Some("utilization is a fraction: for example `target = 0.6`".to_owned()),
        );
        return None;
    }
    let cooldown = cooldown.unwrap_or(Some(DEFAULT_COOLDOWN))?;
    Some(Autoscale {
        min,
        max,
        metric,
        target,
        interval: interval.unwrap_or(Some(SimDuration::from_secs(60)))?,
        cooldown,
        scale_in_cooldown: scale_in_cooldown.unwrap_or(Some(cooldown))?,
        boot: boot.unwrap_or(Some(Dist::Const { value: 0.0 }))?,
    })
}

/// Wait after a scale action unless `cooldown` says (five minutes).
pub const DEFAULT_COOLDOWN: SimDuration = SimDuration::from_secs(300);
