//! Reading `[queue.*]` (message brokers and their consumers) and a pool's
//! `[pool.*.autoscale]` table (target tracking).

use super::super::reader::Node;
use super::super::types::{Autoscale, AutoscaleKeys, Queue, QueueKeys, ScaleMetric};
use super::{Cx, RefKind, read_reference, read_target};

/// Most messages a broker may hold.
pub const MAX_QUEUE_MESSAGES: u64 = 100_000_000;

/// Most deliveries a queue's `max_deliveries` may allow a message.
pub const MAX_DELIVERIES: u64 = 1_000;

pub(crate) fn read_queue(cx: &mut Cx, name: String, node: &Node) -> Option<Queue> {
    let mut table = cx.reader.table(node)?;
    let consumer = table
        .require(&mut cx.reader, "consumer", "\"workers/process\"")
        .and_then(|n| read_target(cx, &n, RefKind::Consumer));
    let dead_letter = match table.get("dead_letter") {
        None => Some(None),
        Some(node) => read_reference(cx, &node, RefKind::Queue).map(|queue| Some(cx.names.queue(&queue))),
    };
    let keys = QueueKeys::read_keys(cx, &mut table);
    table.finish(&mut cx.reader);
    Some(Queue {
        name,
        consumer: consumer?,
        dead_letter: dead_letter?,
        keys: keys?,
    })
}

/// `[pool.NAME.autoscale]`; `instances` is the pool's starting count.
/// The rules between keys are checked on the keys that read, so they are
/// reported beside an invalid third key.
pub(crate) fn read_autoscale(cx: &mut Cx, node: &Node, instances: Option<u32>) -> Option<Autoscale> {
    let mut table = cx.reader.table(node)?;
    let keys = AutoscaleKeys::read_partial(cx, &mut table);
    let scale_in_cooldown = table.get("scale_in_cooldown").map(|n| cx.reader.duration(&n));
    let max_node = table.get("max");
    let target_node = table.get("target");
    table.finish(&mut cx.reader);
    let mut ok = true;
    if let (Some(min), Some(max), Some(max_node)) = (keys.min, keys.max, &max_node) {
        let start = instances.unwrap_or(min);
        if min > max {
            cx.reader.invalid(
                max_node,
                format!("`max` ({max}) is below `min` ({min})"),
                Some("the pool scales between `min` and `max` instances".to_owned()),
            );
            ok = false;
        } else if start < min || start > max {
            cx.reader.invalid(
                max_node,
                format!("the pool starts with {start} instances, outside `min` ({min}) .. `max` ({max})"),
                Some("set the pool's `instances` (its starting count) between `min` and `max`".to_owned()),
            );
            ok = false;
        }
    }
    if let (Some(ScaleMetric::Utilization), Some(target), Some(target_node)) =
        (keys.metric, keys.target, &target_node)
        && target > 1.0
    {
        cx.reader.invalid(
            target_node,
            format!("a utilization target of {target} is more than 1"),
            Some("utilization is a fraction: for example `target = 0.6`".to_owned()),
        );
        ok = false;
    }
    let keys = keys.complete()?;
    ok.then_some(())?;
    Some(Autoscale {
        scale_in_cooldown: scale_in_cooldown.unwrap_or(Some(keys.cooldown))?,
        keys,
    })
}
