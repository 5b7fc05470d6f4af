//! Whole-scenario checks that need every name: references resolve to the
//! right kind of component, endpoints exist, calls do not loop, names are not
//! shared between kinds. Built-in sizes a pool names are copied into the
//! scenario here, so the resolved dump is complete on its own.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::diagnostic::Diagnostic;
use super::parse::{BUILTIN_SIZES, Declared, FaultSpec, RefKind, Reference, builtin_size};
use super::reader::did_you_mean;
use super::types::{CdnOrigin, ClassCall, Endpoint, Scenario, Step, Target};

/// The kind of a named component, for messages.
fn kind_of(scenario: &Scenario, name: &str) -> Option<&'static str> {
    if scenario.dns_name(name).is_some() {
        Some("a DNS name")
    } else if scenario.balancer(name).is_some() {
        Some("a balancer")
    } else if scenario.pool(name).is_some() {
        Some("a pool")
    } else if scenario.database(name).is_some() {
        Some("a database")
    } else if scenario.cache(name).is_some() {
        Some("a cache")
    } else if scenario.cdn(name).is_some() {
        Some("a CDN")
    } else if scenario.queue(name).is_some() {
        Some("a queue")
    } else {
        None
    }
}

fn component_names(scenario: &Scenario) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    names.extend(scenario.dns.iter().map(|c| c.name.as_str()));
    names.extend(scenario.balancers.iter().map(|c| c.name.as_str()));
    names.extend(scenario.pools.iter().map(|c| c.name.as_str()));
    names.extend(scenario.databases.iter().map(|c| c.name.as_str()));
    names.extend(scenario.caches.iter().map(|c| c.name.as_str()));
    names.extend(scenario.cdns.iter().map(|c| c.name.as_str()));
    names.extend(scenario.queues.iter().map(|c| c.name.as_str()));
    names
}

fn unknown(reference: &Reference, what: &str, candidates: &[&str]) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(format!("no {what} named `{}`", reference.name))
        .at(reference.span.clone())
        .path(reference.path.clone())
        .label(format!("not {}", article(what)));
    let help = match did_you_mean(&reference.name, candidates.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None if candidates.is_empty() => format!("the scenario defines no {what}"),
        None => format!("known: {}", super::reader::list(candidates)),
    };
    diagnostic = diagnostic.help(help);
    diagnostic
}

fn article(what: &str) -> String {
    match what.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {what}"),
        _ => format!("a {what}"),
    }
}

fn wrong_kind(reference: &Reference, actual: &str, expected: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "`{}` is {actual}, but this needs {expected}",
        reference.name
    ))
    .at(reference.span.clone())
    .path(reference.path.clone())
    .label(format!("needs {expected}"))
}

/// Checks every reference; returns the diagnostics found.
pub(crate) fn check(scenario: &mut Scenario, references: &[Reference]) -> Vec<Diagnostic> {
    super::cdn_regions::resolve_edge_faults(scenario);
    let mut diagnostics = unique_names(scenario);
    diagnostics.extend(database_count(scenario));
    for reference in references {
        if let Some(diagnostic) = check_reference(scenario, reference) {
            diagnostics.push(diagnostic);
        }
    }
    let faults_resolved = diagnostics.is_empty();
    diagnostics.extend(super::slo::check_scopes(scenario, references, faults_resolved));
    diagnostics.extend(super::plan::check(scenario));
    if diagnostics.is_empty() {
        diagnostics.extend(super::geo_check::check(scenario, references));
    }
    if diagnostics.is_empty() {
        diagnostics.extend(call_cycles(scenario, references));
    }
    if diagnostics.is_empty() {
        diagnostics.extend(class_keys(scenario, references));
    }
    if diagnostics.is_empty() {
        diagnostics.extend(cdn_names(scenario));
        diagnostics.extend(super::cdn_regions::check(scenario));
        diagnostics.extend(super::check_queues::autoscale_metrics(scenario));
        diagnostics.extend(super::check_queues::dead_letter_loops(scenario));
        diagnostics.extend(super::check_queues::endless_poison(scenario));
    }
    if diagnostics.is_empty() {
        diagnostics.extend(unreached_components(scenario));
    }
    diagnostics
}

/// The most databases a scenario may have: events carry a database's index
/// in 16 bits, which keeps every event in 16 bytes.
pub const MAX_DATABASES: usize = u16::MAX as usize;

// The loader's bound on components of a kind (`parse::names`) is the
// tighter one today; this check stays for the event encoding's sake.
const _: () = assert!(super::parse::MAX_COMPONENTS <= MAX_DATABASES);

fn database_count(scenario: &Scenario) -> Option<Diagnostic> {
    let count = scenario.databases.len();
    (count > MAX_DATABASES).then(|| {
        Diagnostic::error(format!(
            "{count} databases are more than the {MAX_DATABASES} a scenario may have"
        ))
        .path("database")
        .help("model groups of identical databases as one database with shards")
    })
}

/// A database origin holds the CDN's objects; a CDN's edges name each
/// object anew after every versioned deploy, and all the names must fit in
/// 32 bits.
fn cdn_names(scenario: &Scenario) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for cdn in &scenario.cdns {
        let keyspace = &scenario.keyspaces[cdn.keyspace];
        let objects = keyspace.keys.unwrap_or(scenario.workload.arrivals.users()).max(1);
        let versioned = cdn
            .deploys
            .iter()
            .filter(|deploy| deploy.mode == super::types::DeployMode::Versioned)
            .count() as u64;
        if let super::types::CdnOrigin::Database(database) = cdn.origin
            && let Some(held) = scenario.databases[database].keyspace
            && held != cdn.keyspace
        {
            diagnostics.push(
                Diagnostic::error(format!(
                    "CDN `{}` serves keyspace `{}`, but its origin `{}` holds `{}`",
                    cdn.name, keyspace.name, scenario.databases[database].name, scenario.keyspaces[held].name
                ))
                .path(format!("cdn.{}.origin", cdn.name))
                .help("an object store origin holds the CDN's objects: give both the same `keyspace`"),
            );
        }
        if objects * (versioned + 1) > u32::MAX as u64 {
            diagnostics.push(
                Diagnostic::error(format!(
                    "CDN `{}`: {objects} objects renamed by {versioned} versioned deploys is more names than an edge can index",
                    cdn.name
                ))
                .path(format!("cdn.{}.deploy", cdn.name))
                .help(format!(
                    "use at most {} versioned deploys, or fewer objects",
                    u32::MAX as u64 / objects - 1
                )),
            );
        }
    }
    diagnostics
}

fn unique_names(scenario: &Scenario) -> Vec<Diagnostic> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for name in component_names(scenario) {
        *seen.entry(name).or_default() += 1;
    }
    seen.into_iter()
        .filter(|&(_, count)| count > 1)
        .map(|(name, _)| {
            Diagnostic::error(format!("`{name}` names more than one component"))
                .help("each DNS name, balancer, pool and database needs its own name")
        })
        .collect()
}

fn check_reference(scenario: &mut Scenario, reference: &Reference) -> Option<Diagnostic> {
    let name = reference.name.as_str();
    match &reference.kind {
        RefKind::Size => {
            if scenario.size(name).is_some() {
                return None;
            }
            if let Some(size) = builtin_size(name) {
                scenario.sizes.push(size);
                return None;
            }
            let mut known: Vec<&str> = scenario.sizes.iter().map(|s| s.name.as_str()).collect();
            known.extend(BUILTIN_SIZES.iter().map(|size| size.name));
            Some(
                unknown(reference, "size", &known).help(match did_you_mean(name, known.iter().copied()) {
                    Some(best) => {
                        format!("did you mean `{best}`? (or define it in a [size.\"{name}\"] table)")
                    }
                    None => format!(
                        "define it in a [size.\"{name}\"] table, or use a built-in size such as `m5.large`"
                    ),
                }),
            )
        }
        RefKind::Pool => {
            if scenario.pool(name).is_some() {
                return None;
            }
            match kind_of(scenario, name) {
                Some(actual) => Some(wrong_kind(reference, actual, "a pool")),
                None => {
                    let pools: Vec<&str> = scenario.pools.iter().map(|p| p.name.as_str()).collect();
                    Some(unknown(reference, "pool", &pools))
                }
            }
        }
        RefKind::DnsTarget => {
            if scenario.balancer(name).is_some() || scenario.pool(name).is_some() {
                return None;
            }
            match kind_of(scenario, name) {
                Some(actual) => Some(wrong_kind(reference, actual, "a balancer or a pool")),
                None => {
                    let mut known: Vec<&str> = scenario.balancers.iter().map(|b| b.name.as_str()).collect();
                    known.extend(scenario.pools.iter().map(|p| p.name.as_str()));
                    Some(unknown(reference, "balancer or pool", &known))
                }
            }
        }
        // A CDN takes any path (or none) after its name.
        RefKind::Entry if scenario.cdn(name).is_some() => None,
        RefKind::Entry | RefKind::Call { .. } | RefKind::Origin => check_endpoint(scenario, reference),
        RefKind::Database => {
            if scenario.database(name).is_some() {
                return None;
            }
            Some(match kind_of(scenario, name) {
                Some(actual) => wrong_kind(reference, actual, "a database"),
                None => {
                    let known: Vec<&str> = scenario.databases.iter().map(|d| d.name.as_str()).collect();
                    unknown(reference, "database", &known)
                }
            })
        }
        RefKind::Keyspace => {
            if scenario.keyspace(name).is_some() {
                return None;
            }
            let known: Vec<&str> = scenario.keyspaces.iter().map(|k| k.name.as_str()).collect();
            Some(unknown(reference, "keyspace", &known))
        }
        RefKind::Cache { database } => {
            if let Some(cache) = scenario.cache(name) {
                let held = scenario.database(database).and_then(|db| db.keyspace);
                // Either keyspace may be unknown (reported on its own).
                let name_of = |keyspace| scenario.keyspaces.get(keyspace).map(|k| k.name.as_str());
                return match held.zip(name_of(cache.keyspace)) {
                    Some((keyspace, cached)) if keyspace != cache.keyspace && name_of(keyspace).is_some() => Some(
                        Diagnostic::error(format!(
                            "cache `{name}` holds keyspace `{cached}`, but database `{database}` holds `{}`",
                            scenario.keyspaces[keyspace].name
                        ))
                        .at(reference.span.clone())
                        .path(reference.path.clone())
                        .label("a cache in front of a database caches its keys")
                        .help("give the cache and the database the same `keyspace`"),
                    ),
                    _ => None,
                };
            }
            Some(match kind_of(scenario, name) {
                Some(actual) => wrong_kind(reference, actual, "a cache"),
                None => {
                    let known: Vec<&str> = scenario.caches.iter().map(|c| c.name.as_str()).collect();
                    unknown(reference, "cache", &known)
                }
            })
        }
        RefKind::FaultTarget(target) => check_fault_target(scenario, reference, target),
        // Checked after every other reference (`slo::check_scopes`).
        RefKind::SloScope { .. } => None,
        RefKind::Region | RefKind::Datacenter => super::geo_check::check_reference(scenario, reference),
        RefKind::Host => {
            if scenario.hosts.find(name).is_some() {
                return None;
            }
            let known: Vec<&str> = scenario
                .hosts
                .hosts
                .iter()
                .map(|host| host.name.as_str())
                .collect();
            let diagnostic = unknown(reference, "host", &known);
            Some(if known.is_empty() {
                diagnostic.help(format!("declare it: [host.{name}] with `cores = 2`"))
            } else {
                diagnostic
            })
        }
        RefKind::Queue => {
            if scenario.queue(name).is_some() {
                return None;
            }
            Some(match kind_of(scenario, name) {
                Some(actual) => wrong_kind(reference, actual, "a queue"),
                None => {
                    let known: Vec<&str> = scenario.queues.iter().map(|q| q.name.as_str()).collect();
                    unknown(reference, "queue", &known)
                }
            })
        }
        RefKind::Consumer => match (scenario.pool(name), kind_of(scenario, name)) {
            (Some(_), _) => check_endpoint(scenario, reference),
            (None, Some(actual)) => Some(
                wrong_kind(reference, actual, "a pool")
                    .help("consumers pull messages themselves: name the pool, not what is in front of it"),
            ),
            (None, None) => {
                let pools: Vec<&str> = scenario.pools.iter().map(|p| p.name.as_str()).collect();
                Some(unknown(reference, "pool", &pools))
            }
        },
    }
}

fn out_of_range(reference: &Reference, what: &str, count: u32) -> Diagnostic {
    Diagnostic::error(format!("`{}` names {what} that does not exist", reference.name))
        .at(reference.span.clone())
        .path(reference.path.clone())
        .label("no such node")
        .help(format!("there are {count}, numbered from 0"))
}

/// Why a resolved fault target names nothing in `scenario` (a `[plan]`
/// design with fewer replicas, nodes or shards than the one checked at
/// load), by the same rules as the load-time check.
pub(crate) fn missing_fault_target(
    scenario: &Scenario,
    target: &super::types::FaultTarget,
) -> Option<String> {
    let name = scenario.fault_target_text(target);
    let spec = super::parse::parse_fault_target(&name)?;
    let reference = Reference {
        kind: RefKind::FaultTarget(spec.clone()),
        name,
        endpoint: None,
        span: 0..0,
        path: String::new(),
    };
    check_fault_target(scenario, &reference, &spec).map(|diagnostic| diagnostic.message)
}

fn check_fault_target(scenario: &Scenario, reference: &Reference, target: &FaultSpec) -> Option<Diagnostic> {
    let unknown_named = |what: &str, name: &str, known: Vec<&str>| {
        let mut missing = reference.clone();
        missing.name = name.to_owned();
        unknown(&missing, what, &known)
    };
    match target {
        FaultSpec::Pool { pool } | FaultSpec::PoolInstance { pool, .. } => {
            let Some(found) = scenario.pool(pool) else {
                return Some(unknown_named(
                    "pool",
                    pool,
                    scenario.pools.iter().map(|p| p.name.as_str()).collect(),
                ));
            };
            match target {
                FaultSpec::PoolInstance { instance, .. } => {
                    // An autoscaled pool's instances are numbered up to its `max`.
                    let count = found
                        .autoscale
                        .as_ref()
                        .map_or(found.instances, |scale| scale.max);
                    (*instance >= count).then(|| out_of_range(reference, "an instance", count))
                }
                _ => None,
            }
        }
        FaultSpec::DatabasePrimary { database, shard }
        | FaultSpec::DatabaseReplica { database, shard, .. } => {
            let Some(found) = scenario.database(database) else {
                let known = scenario.databases.iter().map(|d| d.name.as_str()).collect();
                return Some(unknown_named("database", database, known));
            };
            let shards = found.shards.max(found.reshard.as_ref().map_or(1, |r| r.shards));
            if *shard >= shards {
                return Some(out_of_range(reference, "a shard", shards));
            }
            match target {
                FaultSpec::DatabaseReplica { replica, .. } if *replica >= found.replicas => {
                    Some(out_of_range(reference, "a replica", found.replicas))
                }
                _ => None,
            }
        }
        FaultSpec::Cdn { cdn } | FaultSpec::CdnEdge { cdn, .. } => {
            let Some(found) = scenario.cdn(cdn) else {
                return Some(unknown_named(
                    "CDN",
                    cdn,
                    scenario.cdns.iter().map(|c| c.name.as_str()).collect(),
                ));
            };
            match target {
                FaultSpec::CdnEdge { edge, .. } if *edge >= found.edges.count() => {
                    Some(out_of_range(reference, "an edge", found.edges.count()))
                }
                _ => None,
            }
        }
        FaultSpec::CacheNode { cache, node } => {
            let Some(found) = scenario.cache(cache) else {
                return Some(unknown_named(
                    "cache",
                    cache,
                    scenario.caches.iter().map(|c| c.name.as_str()).collect(),
                ));
            };
            (*node >= found.nodes).then(|| out_of_range(reference, "a node", found.nodes))
        }
        FaultSpec::Datacenter { .. } | FaultSpec::Partition { .. } => {
            super::geo_check::check_fault_target(scenario, reference, target)
        }
        FaultSpec::CdnEdgeNamed { cdn, edge } => match scenario.cdn(cdn) {
            None => Some(unknown_named(
                "CDN",
                cdn,
                scenario.cdns.iter().map(|c| c.name.as_str()).collect(),
            )),
            Some(found) => super::cdn_regions::check_edge_name(reference, found, edge),
        },
        FaultSpec::Queue { queue } => scenario.queue(queue).is_none().then(|| {
            unknown_named(
                "queue",
                queue,
                scenario.queues.iter().map(|q| q.name.as_str()).collect(),
            )
        }),
    }
}

fn check_endpoint(scenario: &Scenario, reference: &Reference) -> Option<Diagnostic> {
    let name = reference.name.as_str();
    let endpoint = reference.endpoint.as_deref().unwrap_or_default();
    if endpoint.is_empty() && scenario.pool_behind(name).is_some() {
        return Some(
            Diagnostic::error(format!("`{name}` does not name an endpoint"))
                .at(reference.span.clone())
                .path(reference.path.clone())
                .label("only a CDN is called by its name alone")
                .help(format!("write `component/endpoint`, for example \"{name}/home\"")),
        );
    }
    let Some(pool) = scenario.pool_behind(name) else {
        return Some(match kind_of(scenario, name) {
            Some(actual) => wrong_kind(reference, actual, "a DNS name, balancer or pool"),
            None => {
                let mut known = component_names(scenario);
                known.retain(|known| scenario.database(known).is_none());
                unknown(reference, "DNS name, balancer or pool", &known)
            }
        });
    };
    if pool.endpoints.iter().any(|e| e.name == endpoint) {
        return None;
    }
    let endpoints: Vec<&str> = pool.endpoints.iter().map(|e| e.name.as_str()).collect();
    let help = match did_you_mean(endpoint, endpoints.iter().copied()) {
        Some(best) => format!("did you mean `{name}/{best}`?"),
        None => format!("pool `{}` has {}", pool.name, super::reader::list(&endpoints)),
    };
    Some(
        Diagnostic::error(format!("pool `{}` has no endpoint `{endpoint}`", pool.name))
            .at(reference.span.clone())
            .path(reference.path.clone())
            .label("unknown endpoint")
            .help(help),
    )
}

/// An endpoint: (pool, endpoint).
type EndpointKey = (String, String);
/// Calls out of each endpoint, with the reference that makes each call.
type CallGraph<'r> = BTreeMap<EndpointKey, Vec<(String, String, &'r Reference)>>;

/// Endpoint calls must form a DAG: a loop would recurse without end.
fn call_cycles(scenario: &Scenario, references: &[Reference]) -> Vec<Diagnostic> {
    // Edges (pool, endpoint) -> (pool, endpoint), with the reference for spans.
    let mut edges: CallGraph = BTreeMap::new();
    for reference in references {
        if let RefKind::Call { from } = &reference.kind {
            let pool = scenario.pool_behind(&reference.name).expect("checked");
            let endpoint = reference.endpoint.clone().unwrap_or_default();
            edges
                .entry(from.clone())
                .or_default()
                .push((pool.name.clone(), endpoint, reference));
        }
    }
    // Depth-first search with an explicit stack (a chain of calls may be
    // as long as the file allows; recursion would overflow the stack):
    // `path` holds the open endpoints, each with the index of its next edge.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: BTreeMap<&EndpointKey, Mark> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    let no_edges = Vec::new();
    for start in edges.keys() {
        if marks.contains_key(start) {
            continue;
        }
        marks.insert(start, Mark::Open);
        let mut path: Vec<(&EndpointKey, usize)> = vec![(start, 0)];
        while let Some((node, next_edge)) = path.last_mut() {
            let out = edges.get(*node).unwrap_or(&no_edges);
            let Some((pool, endpoint, reference)) = out.get(*next_edge) else {
                marks.insert(*node, Mark::Done);
                path.pop();
                continue;
            };
            *next_edge += 1;
            let next = (pool.clone(), endpoint.clone());
            match marks.get(&next).copied() {
                Some(Mark::Open) => {
                    let start = path.iter().position(|(n, _)| **n == next).unwrap_or(0);
                    let mut cycle: Vec<String> = path[start..]
                        .iter()
                        .map(|((p, e), _)| format!("{p}/{e}"))
                        .collect();
                    cycle.push(format!("{}/{}", next.0, next.1));
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "endpoints call each other in a loop: {}",
                            cycle.join(" → ")
                        ))
                        .at(reference.span.clone())
                        .path(reference.path.clone())
                        .label("this call closes the loop")
                        .help("a request would recurse forever; break the loop"),
                    );
                }
                Some(Mark::Done) => {}
                None => {
                    // Endpoints without calls out have no key in `edges`.
                    if let Some((key, _)) = edges.get_key_value(&next) {
                        marks.insert(key, Mark::Open);
                        path.push((key, 0));
                    }
                }
            }
        }
    }
    diagnostics
}

/// Endpoints by (pool, endpoint) name.
type EndpointIndex<'s> = HashMap<(&'s str, &'s str), &'s Endpoint>;

fn endpoint_index(scenario: &Scenario) -> EndpointIndex<'_> {
    scenario
        .pools
        .iter()
        .flat_map(|pool| {
            pool.endpoints
                .iter()
                .map(move |endpoint| ((pool.name.as_str(), endpoint.name.as_str()), endpoint))
        })
        .collect()
}

/// A resolved call target's component and endpoint names: the reachability
/// checks follow names, as geoDNS targets are still named.
fn names_of(scenario: &Scenario, target: Target) -> (&str, &str) {
    (
        scenario.entry_name(target.entry),
        scenario.target_endpoint(target).name.as_str(),
    )
}

/// Every step a request of `class` can run, following calls.
fn steps_reached<'s>(
    scenario: &'s Scenario,
    endpoints: &EndpointIndex<'s>,
    component: &'s str,
    endpoint: &'s str,
) -> Vec<&'s Step> {
    let mut steps = Vec::new();
    let mut pending = vec![(component, endpoint)];
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    while let Some((component, endpoint)) = pending.pop() {
        let pool = scenario.pool_behind(component).expect("checked");
        if !seen.insert((pool.name.as_str(), endpoint)) {
            continue;
        }
        let endpoint = endpoints[&(pool.name.as_str(), endpoint)];
        visit_steps(&endpoint.steps, &mut |step| {
            if let Step::Call { target, .. } = step {
                pending.push(names_of(scenario, *target));
            }
            steps.push(step);
        });
    }
    steps
}

/// A cache-aside read needs the request's key to be from the cache's
/// keyspace, so the lookup, the read and the fill are about the same item.
fn class_keys(scenario: &Scenario, references: &[Reference]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let endpoints = endpoint_index(scenario);
    let by_path: HashMap<&str, &Reference> = references.iter().map(|r| (r.path.as_str(), r)).collect();
    for (index, class) in scenario.workload.mix.iter().enumerate() {
        let path = format!("workload.mix[{index}].call");
        let Some(reference) = by_path.get(path.as_str()) else {
            continue;
        };
        let Some(target) = class.call.target() else {
            // The CDN draws its own objects from its catalog.
            continue;
        };
        let (component, endpoint) = names_of(scenario, target);
        let mut caches = Vec::new();
        for step in steps_reached(scenario, &endpoints, component, endpoint) {
            if let Step::Read {
                cache: Some(cache), ..
            }
            | Step::Write {
                cache: Some(cache), ..
            } = step
                && !caches.contains(cache)
            {
                caches.push(*cache);
            }
        }
        for cache in caches {
            let cache = &scenario.caches[cache];
            let keyspace = &scenario.keyspaces[cache.keyspace].name;
            if class.key != Some(cache.keyspace) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "class `{}` reaches cache `{}`, which holds keyspace `{keyspace}`, but its requests have {}",
                        class.name,
                        cache.name,
                        match class.key {
                            Some(other) => format!("keys from `{}`", scenario.keyspaces[other].name),
                            None => "no key".to_owned(),
                        }
                    ))
                    .at(reference.span.clone())
                    .path(format!("workload.mix[{index}].key"))
                    .label("requests of this class need a key for the cache")
                    .help(format!("add `key = \"{keyspace}\"` to this class")),
                );
            }
        }
    }
    diagnostics
}

/// Components no request can reach are probably a mistake: warn.
fn unreached_components(scenario: &Scenario) -> Vec<Diagnostic> {
    let index = endpoint_index(scenario);
    let mut reached: HashSet<&str> = HashSet::new();
    let mut endpoints: HashSet<(&str, &str)> = HashSet::new();
    let mut pending: Vec<(&str, &str)> = Vec::new();
    for class in &scenario.workload.mix {
        match &class.call {
            ClassCall::Cdn { cdn, .. } => {
                let cdn = &scenario.cdns[*cdn];
                reached.insert(cdn.name.as_str());
                match &cdn.origin {
                    CdnOrigin::Endpoint(target) => pending.push(names_of(scenario, *target)),
                    CdnOrigin::Database(database) => {
                        reached.insert(scenario.databases[*database].name.as_str());
                    }
                }
            }
            ClassCall::Endpoint(target) => pending.push(names_of(scenario, *target)),
        }
    }
    while let Some((component, endpoint)) = pending.pop() {
        let mut name = component;
        loop {
            reached.insert(name);
            if let Some((id, dns)) = scenario.dns.iter_enumerated().find(|(_, dns)| dns.name == name) {
                // A geoDNS name reaches every target it can answer with.
                if let Some(geo) = scenario.geo.dns(id) {
                    pending.extend(
                        geo.targets[1..]
                            .iter()
                            .map(|&target| (scenario.dns_target_name(target), endpoint)),
                    );
                }
                name = scenario.dns_target_name(dns.target);
            } else if let Some(balancer) = scenario.balancer(name) {
                name = &scenario.pools[balancer.pool].name;
            } else {
                break;
            }
        }
        if !endpoints.insert((name, endpoint)) {
            continue;
        }
        if let Some(store) = scenario.pool(name).expect("checked").session_store {
            reached.insert(&scenario.databases[store].name);
        }
        let steps = &index[&(name, endpoint)].steps;
        visit_steps(steps, &mut |step| match step {
            Step::Call { target, .. } => pending.push(names_of(scenario, *target)),
            Step::Read { database, cache, .. } | Step::Write { database, cache, .. } => {
                reached.insert(&scenario.databases[*database].name);
                reached.extend(cache.map(|cache| scenario.caches[cache].name.as_str()));
            }
            Step::Enqueue(queue) => {
                // A queue's dead letters reach the queues down its chain.
                let mut next = Some(*queue);
                for _ in 0..scenario.queues.len() {
                    let Some(id) = next else { break };
                    let queue = &scenario.queues[id];
                    reached.insert(&queue.name);
                    pending.push(names_of(scenario, queue.consumer));
                    next = queue.dead_letter;
                }
            }
            _ => {}
        });
    }
    component_names(scenario)
        .into_iter()
        .filter(|name| !reached.contains(name))
        .map(|name| {
            Diagnostic::warning(format!(
                "{} `{name}` is never reached by any request",
                kind_of(scenario, name).unwrap_or("component")
            ))
            .help("no class in the mix calls it, directly or downstream")
        })
        .collect()
}

/// The references that name nothing at all, judged from the declared names
/// alone: used when other errors prevent building the scenario, so a typo
/// in a name is reported in the same pass as everything else. Names that
/// exist but are of the wrong kind are left to the full check.
pub(crate) fn check_declared(references: &[Reference], declared: &[Declared]) -> Vec<Diagnostic> {
    let names = |kinds: &[&str]| -> Vec<&str> {
        declared
            .iter()
            .filter(|d| kinds.contains(&d.kind))
            .map(|d| d.name.as_str())
            .collect()
    };
    // Declared under any kind: a wrong kind is left to the full check.
    let exists = |name: &str| declared.iter().any(|d| d.name == name && d.kind != "endpoint");
    let mut diagnostics = Vec::new();
    for reference in references {
        let name = reference.name.as_str();
        let (what, kinds): (&str, &[&str]) = match reference.kind {
            RefKind::Size => {
                let known = names(&["size"]).contains(&name) || builtin_size(name).is_some();
                if !known {
                    let mut sizes = names(&["size"]);
                    sizes.extend(BUILTIN_SIZES.iter().map(|size| size.name));
                    diagnostics.push(unknown(reference, "size", &sizes));
                }
                continue;
            }
            RefKind::Pool => ("pool", &["pool"]),
            RefKind::DnsTarget => ("balancer or pool", &["balancer", "pool"]),
            RefKind::Entry => (
                "DNS name, balancer, pool or CDN",
                &["dns", "balancer", "pool", "cdn"],
            ),
            RefKind::Call { .. } | RefKind::Origin => {
                ("DNS name, balancer or pool", &["dns", "balancer", "pool"])
            }
            RefKind::Database => ("database", &["database"]),
            RefKind::Keyspace => ("keyspace", &["keyspace"]),
            RefKind::Cache { .. } => ("cache", &["cache"]),
            RefKind::Queue => ("queue", &["queue"]),
            RefKind::Consumer => ("pool", &["pool"]),
            // Fault targets name components inside a path; the full check
            // reports them.
            RefKind::FaultTarget(_) => continue,
            // Scopes are not component names alone; the full check reports them.
            RefKind::SloScope { .. } => continue,
            RefKind::Region => ("region", &["region"]),
            RefKind::Datacenter => ("datacenter", &["datacenter"]),
            RefKind::Host => ("host", &["host"]),
        };
        if !exists(name) {
            diagnostics.push(unknown(reference, what, &names(kinds)));
            continue;
        }
        // A pool named directly: its endpoint can be checked too, if the
        // pool declared any endpoints at all.
        if let Some(endpoint) = &reference.endpoint {
            let prefix = format!("{name}/");
            let endpoints: Vec<&str> = declared
                .iter()
                .filter(|d| d.kind == "endpoint")
                .filter_map(|d| d.name.strip_prefix(&prefix))
                .collect();
            let is_pool = declared.iter().any(|d| d.kind == "pool" && d.name == name);
            if is_pool && !endpoints.is_empty() && !endpoints.contains(&endpoint.as_str()) {
                let help = match did_you_mean(endpoint, endpoints.iter().copied()) {
                    Some(best) => format!("did you mean `{name}/{best}`?"),
                    None => format!("pool `{name}` has {}", super::reader::list(&endpoints)),
                };
                diagnostics.push(
                    Diagnostic::error(format!("pool `{name}` has no endpoint `{endpoint}`"))
                        .at(reference.span.clone())
                        .path(reference.path.clone())
                        .label("unknown endpoint")
                        .help(help),
                );
            }
        }
    }
    diagnostics
}

/// Calls `f` on every step, including steps nested in branches.
pub fn visit_steps<'s>(steps: &'s [Step], f: &mut impl FnMut(&'s Step)) {
    for step in steps {
        f(step);
        match step {
            Step::Parallel(branches) => {
                for branch in branches {
                    visit_steps(branch, f);
                }
            }
            Step::Maybe { steps, .. } => visit_steps(steps, f),
            _ => {}
        }
    }
}
