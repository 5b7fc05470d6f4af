//! Where names become ids. Every component is declared by a table key
//! (`[pool.web]`), so before any section is read the keys of each section,
//! in order, say which id each name will have: a component's id is its
//! position in its section. Readers resolve the names they meet here, once;
//! a name that resolves to nothing gets an id no component has, and the
//! reference recorded beside it makes `check` report it (same diagnostics,
//! all at once), so an unresolved id never leaves the loader.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::super::diagnostic::Diagnostic;
use super::super::ids::{
    BalancerId, CacheId, CdnId, DatabaseId, DatacenterId, DnsId, EndpointId, HostId, KeyspaceId, PoolId,
    QueueId, RegionId, SizeId,
};
use super::super::types::{DnsTarget, Entry, FaultTarget, Target};
use super::FaultSpec;
use super::builtin_size;
use crate::engine::id::{Id, IdVec};

/// The characters a name may not start with. Names become CSV cells
/// (scopes, events, variants), and a spreadsheet opening the file reads a
/// cell that starts with one of these as a formula: `-1-1` shows as -2,
/// `=HYPERLINK(…)` as a link.
pub const FORMULA_STARTS: [char; 4] = ['-', '+', '=', '@'];

/// The first character of `name` when a spreadsheet would read the name as
/// a formula.
pub fn formula_start(name: &str) -> Option<char> {
    name.chars().next().filter(|first| FORMULA_STARTS.contains(first))
}

/// The most request classes a mix may have: every class has its own rows
/// in every window and its own latency histograms.
pub const MAX_CLASSES: usize = 1_000;
/// The most components of one kind (`[pool.*]`, `[database.*]`, …) and
/// endpoints of one pool a scenario may declare.
pub const MAX_COMPONENTS: usize = 1_000;

/// The sections whose tables declare components, with what they declare.
const COMPONENT_SECTIONS: [(&str, &str); 12] = [
    ("size", "sizes"),
    ("dns", "DNS names"),
    ("balancer", "balancers"),
    ("pool", "pools"),
    ("database", "databases"),
    ("keyspace", "keyspaces"),
    ("cache", "caches"),
    ("cdn", "CDNs"),
    ("queue", "queues"),
    ("region", "regions"),
    ("datacenter", "data centers"),
    ("host", "hosts"),
];

/// Errors for a mix with more than `MAX_CLASSES` classes and for sections
/// (and pools' endpoints) with more than `MAX_COMPONENTS` entries, counted
/// before anything is read: reading them would take time (and a run memory
/// and output) in proportion to how many there are, for nothing a capacity
/// plan needs. Returns whether any bound was exceeded.
pub(crate) fn check_counts(root: &DeTable, diagnostics: &mut Vec<Diagnostic>) -> bool {
    let before = diagnostics.len();
    let too_many = |count: usize, what: &str, limit: usize, span: Range<usize>, path: String, help: &str| {
        Diagnostic::error(format!(
            "{count} {what} are more than the {limit} a scenario may have"
        ))
        .at(span)
        .path(path)
        .help(help.to_owned())
    };
    if let Some(workload) = root.get("workload")
        && let DeValue::Table(workload) = workload.get_ref()
        && let Some(mix) = workload.get("mix")
        && let DeValue::Array(classes) = mix.get_ref()
        && classes.len() > MAX_CLASSES
    {
        diagnostics.push(too_many(
            classes.len(),
            "request classes",
            MAX_CLASSES,
            mix.span(),
            "workload.mix".to_owned(),
            "merge classes that take the same path (their weights add up); each class has its own rows, histograms and charts",
        ));
    }
    for (section, what) in COMPONENT_SECTIONS {
        let Some(value) = root.get(section) else {
            continue;
        };
        let DeValue::Table(table) = value.get_ref() else {
            continue;
        };
        if table.len() > MAX_COMPONENTS {
            diagnostics.push(too_many(
                table.len(),
                what,
                MAX_COMPONENTS,
                value.span(),
                section.to_owned(),
                "model identical components as one with more instances, nodes or shards",
            ));
            continue;
        }
        if section != "pool" {
            continue;
        }
        for (name, pool) in table.iter() {
            if let DeValue::Table(pool) = pool.get_ref()
                && let Some(endpoints) = pool.get("endpoint")
                && let DeValue::Table(list) = endpoints.get_ref()
                && list.len() > MAX_COMPONENTS
            {
                diagnostics.push(too_many(
                    list.len(),
                    "endpoints",
                    MAX_COMPONENTS,
                    endpoints.span(),
                    format!("pool.{}.endpoint", name.get_ref()),
                    "merge endpoints that do the same work",
                ));
            }
        }
    }
    diagnostics.len() > before
}

/// The names each section declares, in declaration order.
#[derive(Default)]
pub(crate) struct Names {
    sizes: Vec<String>,
    dns: Vec<String>,
    /// Each DNS name's (first) target, as written.
    dns_targets: Vec<Option<String>>,
    balancers: Vec<String>,
    /// Each balancer's pool, as written.
    balancer_pools: Vec<Option<String>>,
    pools: Vec<String>,
    /// Each pool's endpoints, in declaration order.
    endpoints: Vec<Vec<String>>,
    cdns: Vec<String>,
    databases: Vec<String>,
    keyspaces: Vec<String>,
    caches: Vec<String>,
    queues: Vec<String>,
    regions: Vec<String>,
    datacenters: Vec<String>,
    hosts: Vec<String>,
}

/// The id of a name no component has: past the end of every arena the
/// loader accepts without an error.
fn unresolved<I: Id>() -> I {
    I::from_index(u16::MAX as usize)
}

fn find<I: Id>(names: &[String], name: &str) -> I {
    names
        .iter()
        .position(|known| known == name)
        .map_or_else(unresolved, I::from_index)
}

fn keys(root: &DeTable, section: &str) -> Vec<String> {
    match root.get(section).map(|value| value.get_ref()) {
        Some(DeValue::Table(table)) => table.keys().map(|key| key.get_ref().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Each component's table of a section, in order.
fn tables<'a>(root: &'a DeTable<'a>, section: &str) -> Vec<Option<&'a DeTable<'a>>> {
    match root.get(section).map(|value| value.get_ref()) {
        Some(DeValue::Table(table)) => table
            .values()
            .map(|value| match value.get_ref() {
                DeValue::Table(table) => Some(table),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A string value of a component's table; with `first`, an array's first
/// string too.
fn string_of(table: Option<&DeTable>, key: &str, first: Option<&str>) -> Option<String> {
    let table = table?;
    match table.get(key).map(|value| value.get_ref()) {
        Some(DeValue::String(text)) => Some(text.to_string()),
        _ => match table.get(first?).map(|value| value.get_ref()) {
            Some(DeValue::Array(items)) => match items.first().map(|item| item.get_ref()) {
                Some(DeValue::String(text)) => Some(text.to_string()),
                _ => None,
            },
            _ => None,
        },
    }
}

impl Names {
    pub fn new(root: &DeTable) -> Self {
        let dns_targets = tables(root, "dns")
            .into_iter()
            .map(|table| string_of(table, "target", Some("targets")))
            .collect();
        let balancer_pools = tables(root, "balancer")
            .into_iter()
            .map(|table| string_of(table, "pool", None))
            .collect();
        let endpoints = tables(root, "pool")
            .into_iter()
            .map(
                |table| match table.and_then(|table| table.get("endpoint")).map(|v| v.get_ref()) {
                    Some(DeValue::Table(endpoints)) => {
                        endpoints.keys().map(|key| key.get_ref().to_string()).collect()
                    }
                    _ => Vec::new(),
                },
            )
            .collect();
        Names {
            sizes: keys(root, "size"),
            dns: keys(root, "dns"),
            dns_targets,
            balancers: keys(root, "balancer"),
            balancer_pools,
            pools: keys(root, "pool"),
            endpoints,
            cdns: keys(root, "cdn"),
            databases: keys(root, "database"),
            keyspaces: keys(root, "keyspace"),
            caches: keys(root, "cache"),
            queues: keys(root, "queue"),
            regions: keys(root, "region"),
            datacenters: keys(root, "datacenter"),
            hosts: keys(root, "host"),
        }
    }

    /// A size; a built-in size not declared takes the next id, in the
    /// order pools first name them (as `check` appends them).
    pub fn size(&mut self, name: &str) -> SizeId {
        if !self.sizes.iter().any(|known| known == name) && builtin_size(name).is_some() {
            self.sizes.push(name.to_owned());
        }
        find(&self.sizes, name)
    }

    pub fn host(&self, name: &str) -> HostId {
        find(&self.hosts, name)
    }

    pub fn balancer(&self, name: &str) -> BalancerId {
        find(&self.balancers, name)
    }

    pub fn pool(&self, name: &str) -> PoolId {
        find(&self.pools, name)
    }

    pub fn database(&self, name: &str) -> DatabaseId {
        find(&self.databases, name)
    }

    pub fn keyspace(&self, name: &str) -> KeyspaceId {
        find(&self.keyspaces, name)
    }

    pub fn cache(&self, name: &str) -> CacheId {
        find(&self.caches, name)
    }

    pub fn queue(&self, name: &str) -> QueueId {
        find(&self.queues, name)
    }

    pub fn dns(&self, name: &str) -> DnsId {
        find(&self.dns, name)
    }

    pub fn region(&self, name: &str) -> RegionId {
        find(&self.regions, name)
    }

    /// The regions `names` name, in order: empty unless the scenario has
    /// regions and every name is one of them.
    pub fn regions_named(&self, names: &[String]) -> Vec<RegionId> {
        names
            .iter()
            .map(|name| {
                self.regions
                    .iter()
                    .position(|known| known == name)
                    .map(RegionId::from_index)
            })
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default()
    }

    pub fn datacenter(&self, name: &str) -> DatacenterId {
        find(&self.datacenters, name)
    }

    /// A DNS name's target: a balancer, else a pool.
    pub fn dns_target(&self, name: &str) -> DnsTarget {
        match self.balancers.iter().any(|known| known == name) {
            true => DnsTarget::Balancer(self.balancer(name)),
            false => DnsTarget::Pool(self.pool(name)),
        }
    }

    /// A call's entry: a DNS name, else a balancer, else a pool.
    pub fn entry(&self, name: &str) -> Entry {
        if self.dns.iter().any(|known| known == name) {
            Entry::Dns(self.dns(name))
        } else if self.balancers.iter().any(|known| known == name) {
            Entry::Balancer(self.balancer(name))
        } else {
            Entry::Pool(self.pool(name))
        }
    }

    /// The pool a call's entry named `name` ends at (as
    /// `Scenario::pool_behind` follows it), by the names as written.
    fn pool_behind(&self, name: &str) -> Option<usize> {
        let by = |names: &[String], values: &[Option<String>]| {
            let index = names.iter().position(|known| known == name)?;
            values.get(index).cloned().flatten()
        };
        let mut name = name.to_owned();
        if let Some(target) = by(&self.dns, &self.dns_targets) {
            name = target;
        }
        if let Some(index) = self.balancers.iter().position(|known| *known == name) {
            name = self.balancer_pools.get(index).cloned().flatten()?;
        }
        self.pools.iter().position(|known| *known == name)
    }

    /// `component/endpoint`: the entry and the endpoint of the pool behind it.
    pub fn target(&self, component: &str, endpoint: &str) -> Target {
        let endpoint = self
            .pool_behind(component)
            .and_then(|pool| self.endpoints.get(pool))
            .map_or_else(unresolved, |endpoints| find::<EndpointId>(endpoints, endpoint));
        Target {
            entry: self.entry(component),
            endpoint,
        }
    }

    /// For geoDNS target `target` of a name whose first target is `first`:
    /// the endpoint of the pool behind `target` serving each endpoint of
    /// the pool behind `first` (the one of the same name; an id no
    /// endpoint has where there is none, which `check` reports when a call
    /// through the name uses it).
    pub fn geo_endpoints(&self, first: &str, target: &str) -> IdVec<EndpointId, EndpointId> {
        let endpoints = |name: &str| {
            self.pool_behind(name)
                .and_then(|pool| self.endpoints.get(pool))
                .map_or(&[][..], Vec::as_slice)
        };
        let serving = endpoints(target);
        endpoints(first)
            .iter()
            .map(|endpoint| find::<EndpointId>(serving, endpoint))
            .collect()
    }

    /// A fault's target.
    pub fn fault_target(&self, spec: &FaultSpec) -> FaultTarget {
        let cdn = |name: &str| self.cdn(name).unwrap_or_else(unresolved);
        match spec.clone() {
            FaultSpec::Pool { pool } => FaultTarget::Pool {
                pool: self.pool(&pool),
            },
            FaultSpec::PoolInstance { pool, instance } => FaultTarget::PoolInstance {
                pool: self.pool(&pool),
                instance,
            },
            FaultSpec::DatabasePrimary { database, shard } => FaultTarget::DatabasePrimary {
                database: self.database(&database),
                shard,
            },
            FaultSpec::DatabaseReplica {
                database,
                shard,
                replica,
            } => FaultTarget::DatabaseReplica {
                database: self.database(&database),
                shard,
                replica,
            },
            FaultSpec::CacheNode { cache, node } => FaultTarget::CacheNode {
                cache: self.cache(&cache),
                node,
            },
            FaultSpec::Datacenter { datacenter } => FaultTarget::Datacenter {
                datacenter: self.datacenter(&datacenter),
            },
            FaultSpec::Partition { a, b } => FaultTarget::Partition {
                a: self.datacenter(&a),
                b: self.datacenter(&b),
            },
            FaultSpec::Cdn { cdn: name } => FaultTarget::Cdn { cdn: cdn(&name) },
            FaultSpec::CdnEdge { cdn: name, edge } => FaultTarget::CdnEdge {
                cdn: cdn(&name),
                edge,
            },
            FaultSpec::CdnEdgeNamed { cdn: name, edge } => FaultTarget::CdnEdgeNamed {
                cdn: cdn(&name),
                edge,
            },
            FaultSpec::Queue { queue } => FaultTarget::Queue {
                queue: self.queue(&queue),
            },
        }
    }

    pub fn cdn(&self, name: &str) -> Option<CdnId> {
        self.cdns
            .iter()
            .position(|known| known == name)
            .map(CdnId::from_index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geo_targets_serve_the_endpoint_of_the_same_name() {
        let text = "[dns.www]\ntargets = [\"lb-us\", \"eu\"]\n\
                    [balancer.lb-us]\npool = \"us\"\n\
                    [pool.us.endpoint.home]\n[pool.us.endpoint.cart]\n[pool.us.endpoint.admin]\n\
                    [pool.eu.endpoint.cart]\n[pool.eu.endpoint.home]\n\
                    [region.a]\n[region.b]\n[datacenter.dc-b]\n";
        let root = DeTable::parse(text).expect("valid TOML");
        let names = Names::new(root.get_ref());
        let first: Vec<EndpointId> = names.geo_endpoints("lb-us", "lb-us").iter().copied().collect();
        assert_eq!(first, [EndpointId(0), EndpointId(1), EndpointId(2)]);
        // home → eu's 1, cart → eu's 0; eu has no `admin`.
        let eu: Vec<EndpointId> = names.geo_endpoints("lb-us", "eu").iter().copied().collect();
        assert_eq!(eu, [EndpointId(1), EndpointId(0), unresolved()]);
        assert_eq!(names.region("b"), RegionId(1));
        assert_eq!(names.datacenter("dc-b"), DatacenterId(0));
        assert_eq!(names.datacenter("dc-x"), unresolved());
        assert_eq!(names.dns("www"), DnsId(0));
    }

    #[test]
    fn names_that_read_as_formulas() {
        for name in ["-1-1", "+1", "=SUM(A1)", "@x"] {
            assert_eq!(formula_start(name), name.chars().next(), "{name}");
        }
        for name in ["web", "1-1", "a-b", "_x", ".x", ""] {
            assert_eq!(formula_start(name), None, "{name}");
        }
    }
}
