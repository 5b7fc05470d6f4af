//! Reading `[[faults]]` (scheduled or random kills, restores and
//! slow-downs) and `[plan]` drills, which are faults too: the target and
//! the time by hand, a kill's and a slow-down's plain keys with `KillKeys`
//! and `SlowKeys` (`types.rs`). When a fault strikes is checked against the
//! run's `duration` and `warmup` here, where its `at` is at hand.

use super::super::diagnostic::Diagnostic;
use super::super::dist::Dist;
use super::super::reader::Node;
use super::super::types::{Fault, FaultAction, FaultTime, FaultTimeKeys, FaultTimeRead, KillKeys, SlowKeys};
use super::{Cx, RefKind, Reference, RunTimes};
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
    read_fault_keys(cx, node, table, FaultUse::Fault).map(|read| read.fault)
}

/// What a fault table is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultUse {
    /// A `[[faults]]` entry: scheduled, periodic or random; a kill, a
    /// slow-down, a partition or a restore.
    Fault,
    /// A `[plan]` drill: one fault that breaks something at its own `at`.
    Drill,
}

/// How a drill is written, for hints: a literal, so `concat!` can build
/// other hints on it (`DRILL_TIME_HELP`, `plan.rs`'s `SURVIVE_SHAPES`).
macro_rules! drill_example {
    () => {
        "{ name = \"dc-us lost\", kill = \"datacenter.dc-us\", at = \"2m\", for = \"3m\" }"
    };
}
pub(crate) use drill_example;

const DRILL_EXAMPLE: &str = drill_example!();

const DRILL_TIME_HELP: &str = concat!("give `at` (and `for` to undo it): ", drill_example!());

/// The `[[faults]]` keys a drill refuses, each with why and what to write
/// instead: a drill strikes once, at its own `at`, and breaks something.
/// The drill's JSON Schema leaves them out (`plan::Survive::schema`).
pub(crate) const NOT_IN_A_DRILL: [(&str, &str, &str); 4] = [
    (
        "restore",
        "a drill breaks something; a restore alone breaks nothing",
        "use `kill`, `slow` or `partition` (with `for` to undo it)",
    ),
    (
        "mtbf",
        "a drill strikes at a time, not at random",
        DRILL_TIME_HELP,
    ),
    (
        "mttr",
        "a drill strikes at a time, not at random: `for` undoes it",
        DRILL_TIME_HELP,
    ),
    (
        "every",
        "a drill strikes once, at its `at`, not periodically",
        DRILL_TIME_HELP,
    ),
];

/// A fault read from its table, and its target as written (a TOML value:
/// the target's string, or a partition's two names), for a `[plan]`
/// drill's dump.
pub(crate) struct ReadFault {
    pub fault: Fault,
    pub target_toml: String,
}

/// Reads a fault's keys from `table` (a caller may have taken its own keys
/// first, as a `[plan]` drill takes `name`) and finishes the table. A
/// drill's refused keys (`NOT_IN_A_DRILL`) are reported where they stand,
/// and everything else in it is still read, so every problem is said at once.
pub(crate) fn read_fault_keys<'t>(
    cx: &mut Cx,
    node: &Node<'t>,
    mut table: super::super::reader::TableNode<'t>,
    purpose: FaultUse,
) -> Option<ReadFault> {
    let mut refused = false;
    // A refused time key's hint already asks for `at`.
    let mut refused_time = false;
    if purpose == FaultUse::Drill {
        for (key, message, help) in NOT_IN_A_DRILL {
            if let Some(found) = table.get(key) {
                cx.reader.invalid(&found, message, Some(help.to_owned()));
                refused = true;
                refused_time |= key != "restore";
            }
        }
    }
    let at_node = table.get("at");
    let every_node = table.get("every");
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
        let target = read_partition(cx, &partition);
        let when = read_time(cx, &problem, node, time, purpose, refused_time, true);
        let when =
            when.filter(|when| strikes_in_the_run(cx, purpose, when, at_node.as_ref(), every_node.as_ref()));
        let (target, when) = (target?, when?);
        if refused {
            return None;
        }
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
    // A drill's `restore` is refused above, whatever else it has.
    if restore
        && purpose == FaultUse::Fault
        && let Some(lasting_node) = &lasting_node
    {
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
    let when = read_time(cx, &problem, node, time, purpose, refused_time, !restore);
    let when =
        when.filter(|when| strikes_in_the_run(cx, purpose, when, at_node.as_ref(), every_node.as_ref()));
    let target = read_target(cx, &target_node);
    let (when, target) = (when?, target?);
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
    if refused {
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

/// When a fault strikes, by what it is read as.
fn read_time(
    cx: &mut Cx,
    problem: &dyn Fn(&str) -> Diagnostic,
    node: &Node,
    time: FaultTimeRead,
    purpose: FaultUse,
    refused_time: bool,
    random_allowed: bool,
) -> Option<FaultTime> {
    match purpose {
        FaultUse::Fault => fault_time(cx, problem, time, random_allowed),
        FaultUse::Drill => drill_time(cx, node, time, refused_time),
    }
}

/// When a drill strikes: at its `at` (undone after `for`). There is no
/// default: a component target in `survive` strikes a third into the run,
/// but a drill is written to say when, and a time it did not say would be
/// a drill nobody wrote. Its refused time keys (`mtbf`, `mttr`, `every`)
/// are reported where they stand, and ask for `at` themselves.
fn drill_time(cx: &mut Cx, node: &Node, time: FaultTimeRead, refused_time: bool) -> Option<FaultTime> {
    let lasting = time.lasting?;
    let Some(at) = time.at? else {
        if refused_time {
            return None;
        }
        cx.reader.push(
            Diagnostic::error("a drill needs `at`: when it strikes")
                .at(node.span.clone())
                .path(format!("{}.at", node.path))
                .label("`at` is required here")
                .help(format!(
                    "a drill has no default time; add `at`, after the warm-up and before the end of the run: {DRILL_EXAMPLE}"
                )),
        );
        return None;
    };
    Some(FaultTime::At { at, lasting })
}

/// Whether a fault strikes while the run measures. One that strikes at or
/// after the end of the run (`at`, or a periodic fault's first `every`)
/// never strikes: a `[[faults]]` entry gets a warning (the run is still the
/// run it describes) and a drill an error (it would test nothing). A drill
/// that strikes inside the warm-up is an error too: the results, which
/// judge the design, leave its strike out. Random faults may strike at any
/// time and are not checked. `false` when an error was reported.
fn strikes_in_the_run(
    cx: &mut Cx,
    purpose: FaultUse,
    when: &FaultTime,
    at_node: Option<&Node>,
    every_node: Option<&Node>,
) -> bool {
    let Some(RunTimes { duration, warmup }) = cx.run_times else {
        return true;
    };
    let what = match purpose {
        FaultUse::Fault => "fault",
        FaultUse::Drill => "drill",
    };
    let (strike, node, wording) = match (when, at_node, every_node) {
        (FaultTime::At { at, .. }, Some(node), _) => (*at, node, format!("at {at}")),
        (
            FaultTime::Random {
                mtbf: Dist::Const { value },
                ..
            },
            _,
            Some(node),
        ) => {
            let every = SimDuration::from_nanos(*value as u64);
            (every, node, format!("every {every}"))
        }
        _ => return true,
    };
    let late = strike >= duration;
    let early = purpose == FaultUse::Drill && strike < warmup;
    if !late && !early {
        return true;
    }
    let (message, help) = if late {
        (
            format!(
                "this {what} strikes {wording}, at or after the end of the run (`duration` = {duration}): it never strikes"
            ),
            match purpose {
                FaultUse::Fault => format!("strike before {duration}, or lengthen `[scenario] duration`"),
                FaultUse::Drill => format!(
                    "a drill that never strikes tests nothing: strike at or after the warm-up ({warmup}) and before {duration}, or lengthen `[scenario] duration`"
                ),
            },
        )
    } else {
        (
            format!(
                "this drill strikes {wording}, inside the warm-up (`warmup` = {warmup}), which the results leave out"
            ),
            format!(
                "the design would be judged without its strike: strike at or after {warmup} and before {duration}, or shorten `warmup`"
            ),
        )
    };
    let diagnostic = match purpose {
        FaultUse::Fault => Diagnostic::warning(message),
        FaultUse::Drill => Diagnostic::error(message),
    };
    cx.reader.push(
        diagnostic
            .at(node.span.clone())
            .path(node.path.clone())
            .label(if late {
                "after the run"
            } else {
                "inside the warm-up"
            })
            .help(help),
    );
    purpose == FaultUse::Fault
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

    const BASE: &str = "[scenario]\nduration = \"1s\"\n[workload]\narrivals = { kind = \"open\", rate = \"10/s\", users = 10 }\n\
                        mix = [{ class = \"a\", call = \"web/e\" }]\n[pool.web]\nworkers = 4\ninstances = 2\n\
                        [pool.web.endpoint.e]\nservice = \"1ms\"\n";

    #[test]
    fn a_fault_after_the_run_is_a_warning() {
        // A `[[faults]]` entry that never strikes leaves a run that is still
        // the run it describes: a warning at its `at` (or `every`), not an error.
        let faults = "[[faults]]\nkill = \"pool.web.instance[0]\"\nat = \"1s\"\n\
                      [[faults]]\nkill = \"pool.web.instance[0]\"\nevery = \"2s\"\nmttr = \"1s\"\n\
                      [[faults]]\nkill = \"pool.web.instance[0]\"\nat = \"500ms\"\n";
        let loaded = crate::scenario::load_str(&format!("{BASE}{faults}")).unwrap();
        let warnings: Vec<(&str, &str)> = loaded
            .warnings
            .iter()
            .filter(|w| w.message.contains("never strikes"))
            .map(|w| (w.message.as_str(), w.path.as_deref().unwrap()))
            .collect();
        assert_eq!(
            warnings,
            [
                (
                    "this fault strikes at 1s, at or after the end of the run (`duration` = 1s): it never strikes",
                    "faults[0].at"
                ),
                (
                    "this fault strikes every 2s, at or after the end of the run (`duration` = 1s): it never strikes",
                    "faults[1].every"
                ),
            ]
        );
        assert_eq!(loaded.scenario.faults.len(), 3);
    }

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
