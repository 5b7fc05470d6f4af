//! Reading the component sections: `[size.*]`, `[network]`, `[dns.*]`,
//! `[balancer.*]`, `[pool.*]` with endpoints and steps, `[database.*]`.

use super::super::diagnostic::Diagnostic;
use super::super::geo::Placed;
use super::super::reader::optional;
use super::super::reader::{Node, Reader, TableNode};
use super::super::types::{
    Balancer, BalancerKeys, CallKeys, DataStepKeys, Dns, DnsKeys, Endpoint, EndpointKeys, MaybeKeys, Network,
    Pool, PoolKeys, Step, Sticky,
};
use super::dist::read_duration_dist;
use super::{Cx, RefKind, read_target};
use crate::engine::SimDuration;
use toml::de::DeValue;

/// Bounds that keep a scenario's own size sane.
pub const MAX_INSTANCES: u64 = 100_000;
pub const MAX_WORKERS: u64 = 1_000_000;
pub const MAX_QUEUE_CAPACITY: u64 = 1_000_000_000;
pub const MAX_CORES: u64 = 4_096;
/// Deepest nesting of `parallel` and `probability` steps.
pub const MAX_STEP_DEPTH: usize = 16;

/// Reads each `[kind.<name>]` entry of a named section with `read_one`.
pub(crate) fn read_named<T>(
    cx: &mut Cx,
    node: &Node,
    kind: &'static str,
    mut read_one: impl FnMut(&mut Cx, String, &Node) -> Option<T>,
) -> Vec<T> {
    let Some(mut table) = cx.reader.table(node) else {
        return Vec::new();
    };
    let mut items = Vec::new();
    for (name, key_span, child) in table.entries() {
        let name_node = Node {
            value: child.value,
            span: key_span,
            path: child.path.clone(),
        };
        if !super::valid_name(&mut cx.reader, &name, &name_node) {
            continue;
        }
        cx.declared.push(super::Declared {
            kind,
            name: match kind {
                "endpoint" => format!("{}/{name}", node.path.split('.').nth(1).unwrap_or_default()),
                _ => name.clone(),
            },
        });
        if let Some(item) = read_one(cx, name, &child) {
            items.push(item);
        }
    }
    table.finish(&mut cx.reader);
    items
}

pub(crate) fn read_network(cx: &mut Cx, node: &Node) -> Option<Network> {
    let mut table = cx.reader.table(node)?;
    let links = table.get("link").map(|n| super::geo::read_links(cx, &n));
    let network = Network::read_keys(cx, &mut table);
    table.finish(&mut cx.reader);
    if let Some(links) = links {
        cx.geo.links = links?;
    }
    network
}

pub(crate) fn read_dns(cx: &mut Cx, name: String, node: &Node) -> Option<Dns> {
    let mut table = cx.reader.table(node)?;
    let target = super::geo::read_dns_targets(cx, &mut table, &name);
    let keys = DnsKeys::read_keys(cx, &mut table);
    table.finish(&mut cx.reader);
    Some(Dns {
        name,
        target: cx.names.dns_target(&target?),
        keys: keys?,
    })
}

pub(crate) fn read_balancer(cx: &mut Cx, name: String, node: &Node) -> Option<Balancer> {
    let mut table = cx.reader.table(node)?;
    let pool = table
        .require(&mut cx.reader, "pool", "\"web\"")
        .and_then(|n| super::read_reference(cx, &n, RefKind::Pool))
        .map(|name| cx.names.pool(&name));
    let placed = super::geo::read_placement(cx, &mut table, Placed::Balancer(cx.names.balancer(&name)));
    let sticky = table.get("sticky").map(|n| cx.reader.boolean(&n));
    let session_ttl = table.get("session_ttl");
    let sticky = match (sticky, session_ttl) {
        (None | Some(Some(false)), Some(ttl)) => {
            cx.reader.invalid(
                &ttl,
                "`session_ttl` goes with `sticky = true`",
                Some("add `sticky = true`, or remove `session_ttl`".to_owned()),
            );
            None
        }
        (None | Some(Some(false)), None) => Some(None),
        (Some(Some(true)), ttl) => {
            let ttl = match ttl {
                Some(node) => cx.reader.positive_duration(&node),
                None => Some(DEFAULT_SESSION_TTL),
            };
            ttl.map(|session_ttl| Some(Sticky { session_ttl }))
        }
        (Some(None), _) => None,
    };
    let keys = BalancerKeys::read_keys(cx, &mut table);
    table.finish(&mut cx.reader);
    placed?;
    Some(Balancer {
        name,
        pool: pool?,
        sticky: sticky?,
        keys: keys?,
    })
}

/// How long an unused session lives on a server, unless `session_ttl` says.
pub const DEFAULT_SESSION_TTL: SimDuration = SimDuration(30 * 60 * 1_000_000_000);

/// `queue_capacity`: a count, or `"unbounded"` (`None`).
pub(crate) fn read_queue_capacity(reader: &mut Reader, node: &Node) -> Option<Option<u32>> {
    match node.value {
        DeValue::String(text) if text.as_ref() == "unbounded" => Some(None),
        _ => reader
            .integer(node, 0, MAX_QUEUE_CAPACITY)
            .map(|capacity| Some(capacity as u32)),
    }
}

pub(crate) fn read_pool(cx: &mut Cx, name: String, node: &Node) -> Option<Pool> {
    let mut table = cx.reader.table(node)?;
    let instances = table
        .get("instances")
        .map(|n| cx.reader.integer(&n, 1, MAX_INSTANCES));
    let size = table
        .get("size")
        .map(|n| super::read_reference(cx, &n, RefKind::Size).map(|name| cx.names.size(&name)));
    let placed = super::geo::read_placement(cx, &mut table, Placed::Pool(cx.names.pool(&name)));
    let hosted = super::super::host::read_host_key(cx, &mut table, Placed::Pool(cx.names.pool(&name)));
    let session_store = table
        .get("session_store")
        .map(|n| super::read_reference(cx, &n, RefKind::Database).map(|name| cx.names.database(&name)));
    let autoscale_node = table.get("autoscale");
    let endpoints = match table.require(&mut cx.reader, "endpoint", "{ home = { service = \"2ms\" } }") {
        Some(n) => {
            let endpoints = read_named(cx, &n, "endpoint", |cx, endpoint, node| {
                read_endpoint(cx, &name, endpoint, node)
            });
            if endpoints.is_empty() && !cx.reader.has_errors() {
                cx.reader
                    .invalid(&n, format!("pool `{name}` has no endpoints"), None);
            }
            Some(endpoints)
        }
        None => None,
    };
    let autoscale = autoscale_node.map(|n| {
        let start = instances.flatten().map(|count| count as u32);
        super::queues::read_autoscale(cx, &n, start)
    });
    let keys = PoolKeys::read_keys(cx, &mut table);
    table.finish(&mut cx.reader);
    placed?;
    hosted?;
    let autoscale = optional(autoscale)?;
    let start = autoscale.as_ref().map_or(1, |scale| scale.min);
    Some(Pool {
        autoscale,
        name,
        instances: instances.unwrap_or(Some(start as u64))? as u32,
        size: optional(size)?,
        session_store: optional(session_store)?,
        endpoints: endpoints?.into(),
        keys: keys?,
    })
}

fn read_endpoint(cx: &mut Cx, pool: &str, name: String, node: &Node) -> Option<Endpoint> {
    let mut table = cx.reader.table(node)?;
    let origin = (pool.to_owned(), name.clone());
    let steps = table.get("steps").map(|n| read_steps(cx, &n, &origin, 0));
    let keys = EndpointKeys::read_keys(cx, &mut table);
    table.finish(&mut cx.reader);
    Some(Endpoint {
        name,
        steps: steps.unwrap_or(Some(Vec::new()))?,
        keys: keys?,
    })
}

const STEP_KINDS: [&str; 8] = [
    "compute",
    "delay",
    "call",
    "read",
    "write",
    "parallel",
    "probability",
    "enqueue",
];

fn read_steps(cx: &mut Cx, node: &Node, origin: &(String, String), depth: usize) -> Option<Vec<Step>> {
    if depth > MAX_STEP_DEPTH {
        cx.reader.invalid(
            node,
            format!("steps nest deeper than {MAX_STEP_DEPTH} levels"),
            None,
        );
        return None;
    }
    let items = cx.reader.array(node)?;
    let steps: Vec<Option<Step>> = items
        .iter()
        .map(|item| read_step(cx, item, origin, depth))
        .collect();
    steps.into_iter().collect()
}

fn read_step(cx: &mut Cx, node: &Node, origin: &(String, String), depth: usize) -> Option<Step> {
    let mut table = match node.value {
        DeValue::Table(_) => cx.reader.table(node)?,
        _ => {
            cx.reader.wrong_type(node, "a step table", "{ read = \"db\" }");
            return None;
        }
    };
    let present: Vec<&str> = STEP_KINDS
        .iter()
        .copied()
        .filter(|kind| table.contains(kind))
        .collect();
    let step = match present.as_slice() {
        [kind] => read_step_kind(cx, &mut table, kind, origin, depth),
        [] => {
            cx.reader.push(
                Diagnostic::error("a step needs one of `compute`, `delay`, `call`, `read`, `write`, `parallel`, `probability` or `enqueue`")
                    .at(node.span.clone())
                    .path(node.path.clone())
                    .help("for example: { read = \"db\" } or { call = \"api/lookup\" }"),
            );
            // Mark the kinds as known so unknown keys get suggestions.
            for kind in STEP_KINDS {
                table.get(kind);
            }
            table.get("service");
            table.get("steps");
            None
        }
        several => {
            cx.reader.push(
                Diagnostic::error(format!(
                    "a step does one thing, but this one has {}",
                    super::super::reader::list(several)
                ))
                .at(node.span.clone())
                .path(node.path.clone())
                .help("split it into several steps in the list"),
            );
            None
        }
    };
    table.finish(&mut cx.reader);
    step
}

fn read_step_kind(
    cx: &mut Cx,
    table: &mut TableNode,
    kind: &str,
    origin: &(String, String),
    depth: usize,
) -> Option<Step> {
    match kind {
        "compute" | "delay" => {
            let key = if kind == "compute" { "compute" } else { "delay" };
            let node = table.get(key)?;
            let dist = read_duration_dist(&mut cx.reader, &node, cx.base_dir)?;
            Some(if kind == "compute" {
                Step::Compute(dist)
            } else {
                Step::Delay(dist)
            })
        }
        "call" => {
            let node = table.get("call")?;
            let target = read_target(cx, &node, RefKind::Call { from: origin.clone() });
            let keys = CallKeys::read_keys(cx, table);
            Some(Step::Call {
                target: target?,
                keys: keys?,
            })
        }
        "read" | "write" => {
            let key = if kind == "read" { "read" } else { "write" };
            let node = table.get(key)?;
            let database = super::read_reference(cx, &node, RefKind::Database);
            let keys = DataStepKeys::read_keys(cx, table);
            let database_name = database.clone().unwrap_or_default();
            let cache = table.get("cache").map(|n| {
                super::read_reference(
                    cx,
                    &n,
                    RefKind::Cache {
                        database: database_name,
                    },
                )
            });
            let (database, keys, cache) = (database?, keys?, optional(cache)?);
            let database = cx.names.database(&database);
            let cache = cache.map(|cache| cx.names.cache(&cache));
            Some(if kind == "read" {
                Step::Read {
                    database,
                    cache,
                    keys,
                }
            } else {
                Step::Write {
                    database,
                    cache,
                    keys,
                }
            })
        }
        "parallel" => {
            let node = table.get("parallel")?;
            let branches = cx.reader.array(&node)?;
            if branches.len() < 2 {
                cx.reader
                    .invalid(&node, "`parallel` needs at least two branches", None);
                return None;
            }
            let mut read = Vec::with_capacity(branches.len());
            for branch in &branches {
                read.push(match branch.value {
                    DeValue::Array(_) => read_steps(cx, branch, origin, depth + 1),
                    _ => read_step(cx, branch, origin, depth + 1).map(|step| vec![step]),
                });
            }
            Some(Step::Parallel(read.into_iter().collect::<Option<_>>()?))
        }
        "probability" => {
            let keys = MaybeKeys::read_keys(cx, table);
            let steps = table
                .require(&mut cx.reader, "steps", "[{ read = \"db\" }]")
                .and_then(|n| read_steps(cx, &n, origin, depth + 1));
            Some(Step::Maybe {
                keys: keys?,
                steps: steps?,
            })
        }
        "enqueue" => {
            let node = table.get("enqueue")?;
            super::read_reference(cx, &node, RefKind::Queue)
                .map(|queue| Step::Enqueue(cx.names.queue(&queue)))
        }
        _ => unreachable!("kind comes from STEP_KINDS"),
    }
}
