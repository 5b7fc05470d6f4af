//! Reading `[[faults]]` (scheduled or random kills, restores and
//! slow-downs): the target and the time by hand, a kill's and a slow-down's
//! plain keys with `KillKeys` and `SlowKeys` (`types.rs`).

use super::super::diagnostic::Diagnostic;
use super::super::dist::Dist;
use super::super::reader::Node;
use super::super::types::{Fault, FaultAction, FaultTime, FaultTimeKeys, FaultTimeRead, KillKeys, SlowKeys};
use super::{Cx, RefKind, Reference};
use crate::engine::SimDuration;

/// What a fault hits, as written (names): checked by `check`, resolved to
/// a `FaultTarget` by `parse/names.rs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FaultSpec {
    /// Every instance of a pool.
    Pool {
        pool: String,
    },
    PoolInstance {
        pool: String,
        instance: u32,
    },
    DatabasePrimary {
        database: String,
        shard: u32,
    },
    DatabaseReplica {
        database: String,
        shard: u32,
        replica: u32,
    },
    CacheNode {
        cache: String,
        node: u32,
    },
    /// Everything placed in a data center.
    Datacenter {
        datacenter: String,
    },
    /// The network between two data centers.
    Partition {
        a: String,
        b: String,
    },
    /// Every edge of a CDN.
    Cdn {
        cdn: String,
    },
    /// One edge of a CDN (by index, whether edges are counted or named).
    CdnEdge {
        cdn: String,
        edge: u32,
    },
    /// One edge of a CDN by its name (`cdn.NAME.EDGE`), as written: the
    /// loader resolves it to `CdnEdge`, so a loaded scenario never holds it.
    CdnEdgeNamed {
        cdn: String,
        edge: String,
    },
    /// A message queue's broker.
    Queue {
        queue: String,
    },
}

pub(crate) fn read_faults(cx: &mut Cx, node: &Node) -> Option<Vec<Fault>> {
    let items = cx.reader.array(node)?;
    let mut faults = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in &items {
        match read_fault(cx, item) {
            Some(fault) => faults.push(fault),
            None => ok = false,
        }
    }
    ok.then_some(faults)
}

const EXAMPLE: &str = "{ at = \"5m\", kill = \"pool.web.instance[0]\" }";

fn read_fault(cx: &mut Cx, node: &Node) -> Option<Fault> {
    let table = cx.reader.table(node)?;
    read_fault_keys(cx, node, table).map(|read| read.fault)
}

/// A fault read from its table, and its target as written (a TOML value:
/// the target's string, or a partition's two names), for a `[plan]`
/// drill's dump.
pub(crate) struct ReadFault {
    pub fault: Fault,
    pub target_toml: String,
}

/// Reads a fault's keys from `table` (a caller may have taken its own keys
/// first, as a `[plan]` drill takes `name`) and finishes the table.
pub(crate) fn read_fault_keys<'t>(
    cx: &mut Cx,
    node: &Node<'t>,
    mut table: super::super::reader::TableNode<'t>,
) -> Option<ReadFault> {
    let kill = table.get("kill");
    let restore = table.get("restore");
    let slow = table.get("slow");
    let partition = table.get("partition");
    let time = FaultTimeKeys::read_partial(cx, &mut table);
    let lasting_node = table.get("for");
    let kill_keys = KillKeys::read_keys(cx, &mut table);
    let slow_keys = SlowKeys::read_keys(cx, &mut table);
    table.finish(&mut cx.reader);

    let problem = |message: &str| {
        Diagnostic::error(message.to_owned())
            .at(node.span.clone())
            .path(node.path.clone())
            .help(format!("for example: {EXAMPLE}"))
    };
    if let Some(partition) = partition {
        if kill.is_some() || restore.is_some() || slow.is_some() {
            cx.reader.push(problem(
                "a fault needs exactly one of `kill`, `restore`, `slow` and `partition`",
            ));
            return None;
        }
        let target = read_partition(cx, &partition)?;
        let when = fault_time(cx, &problem, time, true)?;
        let FaultSpec::Partition { a, b } = &target else {
            unreachable!("read_partition reads a partition")
        };
        let target_toml = toml::Value::Array(vec![a.as_str().into(), b.as_str().into()]).to_string();
        return Some(ReadFault {
            fault: Fault {
                target: cx.names.fault_target(&target),
                when,
                action: FaultAction::Partition,
            },
            target_toml,
        });
    }
    let (target_node, action) = match (kill, restore, slow) {
        (Some(target), None, None) => (target, FaultAction::Kill(kill_keys?)),
        (None, Some(target), None) => (target, FaultAction::Restore),
        (None, None, Some(target)) => {
            let keys = slow_keys?;
            if keys.factor == 1.0 && keys.add == SimDuration::ZERO {
                cx.reader.push(problem(
                    "a slow-down needs `factor` (× service time) or `add` (+ service time)",
                ));
                return None;
            }
            (target, FaultAction::Slow(keys))
        }
        _ => {
            cx.reader.push(problem(
                "a fault needs exactly one of `kill`, `restore` and `slow`",
            ));
            return None;
        }
    };
    let restore = matches!(action, FaultAction::Restore);
    if restore && let Some(lasting_node) = &lasting_node {
        // A restore has nothing to undo when `for` runs out.
        cx.reader.invalid(
            lasting_node,
            "a restore cannot last `for` a time: it is not undone",
            Some(
                "`for` belongs on the kill, slow-down or partition it ends, e.g. \
                 { at = \"5m\", for = \"30s\", kill = \"pool.web\" }; to kill again later, add a kill with its own `at`"
                    .to_owned(),
            ),
        );
        return None;
    }
    let when = fault_time(cx, &problem, time, !restore)?;
    let target = read_target(cx, &target_node)?;
    if matches!(
        target,
        FaultSpec::Cdn { .. } | FaultSpec::CdnEdge { .. } | FaultSpec::CdnEdgeNamed { .. }
    ) && matches!(action, FaultAction::Slow(_))
    {
        // Edges model no service time, so there is nothing to slow down.
        cx.reader.invalid(
            &target_node,
            "a CDN can be killed and restored, not slowed down",
            Some("to add latency to the CDN, raise its `latency`".to_owned()),
        );
        return None;
    }
    if matches!(target, FaultSpec::Queue { .. }) && matches!(action, FaultAction::Slow(_)) {
        cx.reader.invalid(
            &target_node,
            "a queue's broker can be killed or restored, not slowed down",
            Some("use `kill = \"queue.NAME\"` (with `for`), or slow down its consumer pool".to_owned()),
        );
        return None;
    }
    let target_toml = toml::Value::String(cx.reader.string(&target_node)?.to_owned()).to_string();
    Some(ReadFault {
        fault: Fault {
            target: cx.names.fault_target(&target),
            when,
            action,
        },
        target_toml,
    })
}

/// When a fault strikes: at `at` (undone after `for`), or at random.
fn fault_time(
    cx: &mut Cx,
    problem: &dyn Fn(&str) -> Diagnostic,
    time: FaultTimeRead,
    random_allowed: bool,
) -> Option<FaultTime> {
    let every = time.every?;
    let mtbf = match (time.mtbf?, every) {
        (Some(_), Some(_)) => {
            cx.reader.push(problem(
                "a fault strikes either at random (`mtbf`: mean time between failures) or periodically (`every`), not both",
            ));
            return None;
        }
        // A fixed period: the time between failures is constant.
        (None, Some(every)) => Some(Dist::Const {
            value: every.as_nanos() as f64,
        }),
        (mtbf, None) => mtbf,
    };
    match (time.at?, mtbf, time.mttr?) {
        (Some(at), None, None) => Some(FaultTime::At {
            at,
            lasting: time.lasting?,
        }),
        (None, Some(mtbf), Some(mttr)) => {
            if !random_allowed {
                cx.reader.push(problem(
                    "random faults kill or slow down; they restore by themselves after `mttr`",
                ));
                return None;
            }
            Some(FaultTime::Random { mtbf, mttr })
        }
        _ => {
            cx.reader.push(problem(
                "a fault needs `at` (a time), `mtbf` and `mttr` (random faults: mean time between failures, an exponential for a plain duration, and time to repair), or `every` and `mttr` (a periodic fault)",
            ));
            None
        }
    }
}

/// `partition = ["dc-a", "dc-b"]`.
fn read_partition(cx: &mut Cx, node: &Node) -> Option<FaultSpec> {
    let items = cx.reader.array(node)?;
    let names: Vec<Option<&str>> = items.iter().map(|item| cx.reader.string(item)).collect();
    let names: Vec<&str> = names.into_iter().collect::<Option<_>>()?;
    let [a, b] = names.as_slice() else {
        cx.reader.invalid(
            node,
            "`partition` names two data centers",
            Some("for example: partition = [\"dc-us\", \"dc-eu\"]".to_owned()),
        );
        return None;
    };
    let target = FaultSpec::Partition {
        a: (*a).to_owned(),
        b: (*b).to_owned(),
    };
    cx.references.push(Reference {
        kind: RefKind::FaultTarget(target.clone()),
        name: format!("{a}|{b}"),
        endpoint: None,
        span: node.span.clone(),
        path: node.path.clone(),
    });
    Some(target)
}

/// Splits `name[3]` into ("name", Some(3)).
fn indexed(part: &str) -> Option<(&str, Option<u32>)> {
    match part.split_once('[') {
        None => Some((part, None)),
        Some((name, rest)) => Some((name, Some(rest.strip_suffix(']')?.parse().ok()?))),
    }
}

/// `pool.NAME`, `pool.NAME.instance[I]`, `database.NAME.primary`,
/// `database.NAME.replica[R]`, `database.NAME.shard[S].primary|replica[R]`,
/// `cache.NAME.node[I]`, `cdn.NAME`, `cdn.NAME.edge[I]`, `cdn.NAME.EDGE`
/// (a named edge), `queue.NAME`.
pub(crate) fn parse_target(text: &str) -> Option<FaultSpec> {
    let (kind, rest) = text.split_once('.')?;
    let mut parts = rest.split('.');
    let name = parts.next()?.to_owned();
    let tail: Vec<(&str, Option<u32>)> = parts.map(indexed).collect::<Option<_>>()?;
    match (kind, tail.as_slice()) {
        ("pool", []) => Some(FaultSpec::Pool { pool: name }),
        ("pool", [("instance", Some(instance))]) => Some(FaultSpec::PoolInstance {
            pool: name,
            instance: *instance,
        }),
        ("datacenter", []) => Some(FaultSpec::Datacenter { datacenter: name }),
        ("cdn", []) => Some(FaultSpec::Cdn { cdn: name }),
        ("cdn", [("edge", Some(edge))]) => Some(FaultSpec::CdnEdge {
            cdn: name,
            edge: *edge,
        }),
        // `edge` alone is a counted edge missing its index.
        ("cdn", [(edge, None)]) if *edge != "edge" => Some(FaultSpec::CdnEdgeNamed {
            cdn: name,
            edge: (*edge).to_owned(),
        }),
        ("queue", []) => Some(FaultSpec::Queue { queue: name }),
        ("cache", [("node", Some(node))]) => Some(FaultSpec::CacheNode {
            cache: name,
            node: *node,
        }),
        ("database", _) => {
            let (shard, node) = match tail.as_slice() {
                [("shard", Some(shard)), node] => (*shard, *node),
                [node] => (0, *node),
                _ => return None,
            };
            match node {
                ("primary", None) => Some(FaultSpec::DatabasePrimary {
                    database: name,
                    shard,
                }),
                ("replica", Some(replica)) => Some(FaultSpec::DatabaseReplica {
                    database: name,
                    shard,
                    replica,
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

fn read_target(cx: &mut Cx, node: &Node) -> Option<FaultSpec> {
    let text = cx.reader.string(node)?;
    let Some(target) = parse_target(text) else {
        cx.reader.invalid(
            node,
            format!("`{text}` is not a fault target"),
            Some(
                "targets: pool.NAME, pool.NAME.instance[I], database.NAME.primary, database.NAME.replica[R], \
                 database.NAME.shard[S].primary, cache.NAME.node[I], datacenter.NAME, cdn.NAME, cdn.NAME.edge[I], cdn.NAME.EDGE, queue.NAME"
                    .to_owned(),
            ),
        );
        return None;
    };
    cx.references.push(Reference {
        kind: RefKind::FaultTarget(target.clone()),
        name: text.to_owned(),
        endpoint: None,
        span: node.span.clone(),
        path: node.path.clone(),
    });
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            parse_target("pool.web"),
            Some(FaultSpec::Pool { pool: "web".into() })
        );
        assert_eq!(
            parse_target("pool.web.instance[2]"),
            Some(FaultSpec::PoolInstance {
                pool: "web".into(),
                instance: 2
            })
        );
        assert_eq!(
            parse_target("database.db.primary"),
            Some(FaultSpec::DatabasePrimary {
                database: "db".into(),
                shard: 0
            })
        );
        assert_eq!(
            parse_target("database.db.shard[3].replica[1]"),
            Some(FaultSpec::DatabaseReplica {
                database: "db".into(),
                shard: 3,
                replica: 1
            })
        );
        assert_eq!(
            parse_target("datacenter.dc-us"),
            Some(FaultSpec::Datacenter {
                datacenter: "dc-us".into()
            })
        );
        assert_eq!(
            parse_target("cache.c.node[0]"),
            Some(FaultSpec::CacheNode {
                cache: "c".into(),
                node: 0
            })
        );
        assert_eq!(
            parse_target("cdn.static"),
            Some(FaultSpec::Cdn { cdn: "static".into() })
        );
        assert_eq!(
            parse_target("cdn.static.edge[1]"),
            Some(FaultSpec::CdnEdge {
                cdn: "static".into(),
                edge: 1
            })
        );
        assert_eq!(
            parse_target("cdn.static.eu"),
            Some(FaultSpec::CdnEdgeNamed {
                cdn: "static".into(),
                edge: "eu".into()
            })
        );
        assert_eq!(
            parse_target("queue.jobs"),
            Some(FaultSpec::Queue { queue: "jobs".into() })
        );
        for bad in [
            "queue.jobs.node[0]",
            "pool",
            "pool.web.node[1]",
            "database.db",
            "database.db.replica",
            "cache.c.node[x]",
            "datacenter.dc.node[0]",
            "cdn.static.edge",
            "cdn.static.eu[0]",
            "x.y",
        ] {
            assert_eq!(parse_target(bad), None, "{bad}");
        }
    }
}
