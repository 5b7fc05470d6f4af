//! The topology of a scenario as a diagram: Mermaid (`flowchart LR`) or
//! Graphviz dot.
//!
//! A resolved `Scenario` is first turned into a `Topology` — nodes (users
//! and every component, with a one-line description) and edges (the entry
//! calls of the request mix, DNS targets, balancer pools, and the calls,
//! reads and writes in endpoint steps), deduplicated with their labels
//! merged, all in scenario order. The two writers only format it. Nodes
//! placed in a data center (`datacenter = "…"`) are grouped in a subgraph
//! (cluster) per data center, labelled with its region; a geoDNS name has
//! an edge to each of its targets.

use std::fmt::Write;

use crate::engine::SimDuration;
use crate::scenario::geo::Placed;
use crate::scenario::ids::{CacheId, DatabaseId};
use crate::scenario::{
    Arrivals, Cache, CacheCapacity, Cdn, CdnFallback, CdnOrigin, ClassCall, Database, DnsTarget, ReadFrom,
    ReplicationMode, Scenario, SemiSync, Sharding, Step, WritePolicy, visit_steps,
};

/// One box in the diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// A diagram identifier: letters, digits and `_`, unique.
    pub id: String,
    /// `users`, `dns`, `balancer`, `pool`, `database`, …
    pub kind: &'static str,
    pub name: String,
    /// A short description: size, workers, policy.
    pub detail: String,
    /// The data center the component runs in, if any.
    pub group: Option<String>,
}

/// One arrow: `from` sends requests to `to`.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Topology {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// The diagram languages `capsim graph` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

impl Topology {
    pub fn of(scenario: &Scenario) -> Topology {
        let mut topology = Topology::default();
        let users = match &scenario.workload.arrivals {
            Arrivals::Open { rate, keys } => {
                format!("open, {} requests/s, {} users", rate.per_second(), keys.users)
            }
            Arrivals::Closed(closed) => match closed.think.mean() {
                mean if mean.is_finite() => format!(
                    "closed, {} users, think {} on average",
                    closed.users,
                    SimDuration::from_nanos_f64(mean)
                ),
                _ => format!("closed, {} users", closed.users),
            },
        };
        topology.add_node("users", "users", users);
        for dns in &scenario.dns {
            topology.add_node("dns", &dns.name, format!("DNS, TTL {}", dns.ttl));
        }
        for (id, balancer) in scenario.balancers.iter_enumerated() {
            let sticky = if balancer.sticky.is_some() {
                ", sticky sessions"
            } else {
                ""
            };
            topology.add_node(
                "balancer",
                &balancer.name,
                format!("balancer, {}{sticky}", balancer.policy.name()),
            );
            topology.place_last(scenario, Placed::Balancer(id));
        }
        for (id, pool) in scenario.pools.iter_enumerated() {
            let size = scenario.pool_size(pool);
            let machine = if size.name.is_empty() {
                String::new()
            } else {
                format!(" {}", size.name)
            };
            let scaled = pool.autoscale.as_ref().map_or(String::new(), |scale| {
                format!(" ({}–{}, autoscaled)", scale.min, scale.max)
            });
            let detail = format!(
                "pool, {} ×{machine}{scaled}, {} workers",
                pool.instances, pool.workers
            );
            topology.add_node("pool", &pool.name, detail);
            topology.place_last(scenario, Placed::Pool(id));
        }
        for queue in &scenario.queues {
            let kind = if queue.durable { "durable" } else { "in memory" };
            topology.add_node(
                "queue",
                &queue.name,
                format!("queue, {kind}, {} max", queue.capacity),
            );
        }
        for (id, database) in scenario.databases.iter_enumerated() {
            topology.add_node("database", &database.name, database_detail(database));
            topology.place_last(scenario, Placed::Database(id));
        }
        for (id, cache) in scenario.caches.iter_enumerated() {
            topology.add_node("cache", &cache.name, cache_detail(cache));
            topology.place_last(scenario, Placed::Cache(id));
        }
        for cdn in &scenario.cdns {
            topology.add_node("cdn", &cdn.name, cdn_detail(cdn));
        }
        for class in &scenario.workload.mix {
            let called = match &class.call {
                ClassCall::Endpoint(target) => scenario.entry_name(target.entry),
                ClassCall::Cdn { cdn, .. } => &scenario.cdns[*cdn].name,
            };
            topology.add_edge("users", called, &class.name);
        }
        for cdn in &scenario.cdns {
            let (origin, label) = match &cdn.origin {
                CdnOrigin::Endpoint(target) => (
                    scenario.entry_name(target.entry),
                    format!("misses: {}", scenario.target_endpoint(*target).name),
                ),
                CdnOrigin::Database(database) => (
                    scenario.databases[*database].name.as_str(),
                    "misses: read".to_owned(),
                ),
            };
            topology.add_edge(&cdn.name, origin, &label);
        }
        for (id, dns) in scenario.dns.iter_enumerated() {
            let label = if scenario.geo.dns(id).is_some() {
                "nearest healthy"
            } else {
                "resolves to"
            };
            for target in scenario.geo.dns_targets(id, dns.target) {
                topology.add_edge(&dns.name, scenario.dns_target_name(target), label);
            }
        }
        topology.place_users(scenario);
        for balancer in &scenario.balancers {
            topology.add_edge(
                &balancer.name,
                &scenario.pools[balancer.pool].name,
                &balancer.policy.name().replace('_', " "),
            );
        }
        for queue in &scenario.queues {
            let consumer = queue.consumer;
            topology.add_edge(
                &queue.name,
                scenario.entry_name(consumer.entry),
                &scenario.target_endpoint(consumer).name,
            );
        }
        for pool in &scenario.pools {
            if let Some(store) = pool.session_store {
                topology.add_edge(&pool.name, &scenario.databases[store].name, "session read");
            }
            for endpoint in &pool.endpoints {
                let database_name = |database: &DatabaseId| scenario.databases[*database].name.as_str();
                let cache_name = |cache: &CacheId| scenario.caches[*cache].name.as_str();
                visit_steps(&endpoint.steps, &mut |step| match step {
                    Step::Call { target, .. } => topology.add_edge(
                        &pool.name,
                        scenario.entry_name(target.entry),
                        &scenario.target_endpoint(*target).name,
                    ),
                    Step::Read {
                        database,
                        cache: None,
                        ..
                    } => topology.add_edge(&pool.name, database_name(database), "read"),
                    Step::Read {
                        database,
                        cache: Some(cache),
                        ..
                    } => {
                        topology.add_edge(&pool.name, cache_name(cache), "get, fill on miss");
                        topology.add_edge(&pool.name, database_name(database), "read on miss");
                    }
                    Step::Write { database, cache, .. } => {
                        topology.add_edge(&pool.name, database_name(database), "write");
                        if let Some(cache) = cache {
                            let label = match scenario.caches[*cache].write_policy {
                                WritePolicy::WriteThrough => "write through",
                                WritePolicy::Invalidate => "invalidate",
                            };
                            topology.add_edge(&pool.name, cache_name(cache), label);
                        }
                    }
                    Step::Enqueue(queue) => {
                        topology.add_edge(&pool.name, &scenario.queues[*queue].name, "enqueue")
                    }
                    _ => {}
                });
            }
        }
        topology
    }

    /// Puts the node just added, `component`, in its data center's group
    /// (`dc (region)`), and says where a database's replicas are. A
    /// balancer without a data center of its own stands with its pool.
    fn place_last(&mut self, scenario: &Scenario, component: Placed) {
        let geo = &scenario.geo;
        let node = self.nodes.last_mut().expect("a node was just added");
        let placed = match component {
            Placed::Balancer(balancer) => scenario.target_datacenter(DnsTarget::Balancer(balancer)),
            other => geo.datacenter_of(other),
        };
        node.group = placed.map(|dc| {
            let region = &geo.regions[geo.region_of(dc)].name;
            format!("{} ({region})", geo.datacenters[dc].name)
        });
        if let Placed::Database(_) = component
            && let Some(placement) = geo.placement(component)
        {
            for (replica, &dc) in placement.replica_datacenters.iter().enumerate() {
                let _ = write!(
                    node.detail,
                    "; replica[{replica}] in {}",
                    geo.datacenters[dc].name
                );
            }
        }
    }

    /// Says where the users are.
    fn place_users(&mut self, scenario: &Scenario) {
        let geo = &scenario.geo;
        if !geo.regions.is_empty() {
            let total: f64 = geo.regions.iter().map(|r| r.users).sum();
            let shares: Vec<String> = geo
                .regions
                .iter()
                .map(|r| format!("{} {:.0}%", r.name, 100.0 * r.users / total))
                .collect();
            if let Some(users) = self.nodes.iter_mut().find(|n| n.kind == "users") {
                let _ = write!(users.detail, "; regions {}", shares.join(", "));
            }
        }
    }

    fn add_node(&mut self, kind: &'static str, name: &str, detail: String) {
        let base: String = if kind == "users" {
            "users".to_owned()
        } else {
            let cleaned: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            format!("{kind}_{cleaned}")
        };
        let mut id = base.clone();
        let mut suffix = 2;
        while self.nodes.iter().any(|node| node.id == id) {
            id = format!("{base}_{suffix}");
            suffix += 1;
        }
        self.nodes.push(Node {
            id,
            kind,
            name: name.to_owned(),
            detail,
            group: None,
        });
    }

    /// The id of the node named `name` (users are `users`).
    fn id_of(&self, name: &str) -> Option<&str> {
        self.nodes
            .iter()
            .find(|node| node.name == name)
            .map(|node| node.id.as_str())
    }

    /// Adds an edge between named nodes, or merges `label` into an existing one.
    fn add_edge(&mut self, from: &str, to: &str, label: &str) {
        let (Some(from), Some(to)) = (self.id_of(from), self.id_of(to)) else {
            return;
        };
        let (from, to) = (from.to_owned(), to.to_owned());
        match self
            .edges
            .iter_mut()
            .find(|edge| edge.from == from && edge.to == to)
        {
            Some(edge) => {
                if !edge.label.split(", ").any(|part| part == label) {
                    edge.label.push_str(", ");
                    edge.label.push_str(label);
                }
            }
            None => self.edges.push(Edge {
                from,
                to,
                label: label.to_owned(),
            }),
        }
    }

    /// Data centers in order of first appearance.
    fn groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = Vec::new();
        for group in self.nodes.iter().filter_map(|node| node.group.as_deref()) {
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
        groups
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Mermaid => self.mermaid(),
            Format::Dot => self.dot(),
        }
    }

    /// Mermaid `flowchart LR`; shapes by kind, labels quoted.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let node = |node: &Node| {
            let label = format!("{}<br/>{}", mermaid_text(&node.name), mermaid_text(&node.detail));
            let (open, close) = match node.kind {
                "users" => ("([", "])"),
                "dns" => ("{{", "}}"),
                "balancer" => ("[/", "\\]"),
                "database" => ("[(", ")]"),
                "cache" => ("[[", "]]"),
                "cdn" => ("((", "))"),
                "queue" => ("[/", "/]"),
                _ => ("[", "]"),
            };
            format!("{}{open}\"{label}\"{close}", node.id)
        };
        for group in self.groups() {
            let _ = writeln!(
                out,
                "  subgraph dc_{}[\"{}\"]",
                identifier(group),
                mermaid_text(group)
            );
            for member in self.nodes.iter().filter(|n| n.group.as_deref() == Some(group)) {
                let _ = writeln!(out, "    {}", node(member));
            }
            out.push_str("  end\n");
        }
        for member in self.nodes.iter().filter(|n| n.group.is_none()) {
            let _ = writeln!(out, "  {}", node(member));
        }
        for edge in &self.edges {
            let _ = writeln!(
                out,
                "  {} -->|\"{}\"| {}",
                edge.from,
                mermaid_text(&edge.label),
                edge.to
            );
        }
        out
    }

    /// Graphviz dot: a `digraph`, one cluster per data center.
    pub fn dot(&self) -> String {
        let mut out = String::from(
            "digraph topology {\n  rankdir=LR;\n  node [fontname=\"sans-serif\", fontsize=11];\n  \
             edge [fontname=\"sans-serif\", fontsize=9];\n",
        );
        let node = |node: &Node| {
            let shape = match node.kind {
                "users" => "oval",
                "dns" => "hexagon",
                "balancer" => "trapezium",
                "database" => "cylinder",
                "cache" => "box3d",
                "cdn" => "doublecircle",
                "queue" => "cds",
                _ => "box",
            };
            format!(
                "\"{}\" [label=\"{}\\n{}\", shape={shape}];",
                node.id,
                dot_text(&node.name),
                dot_text(&node.detail)
            )
        };
        for group in self.groups() {
            let _ = writeln!(out, "  subgraph \"cluster_{}\" {{", identifier(group));
            let _ = writeln!(out, "    label=\"{}\";", dot_text(group));
            for member in self.nodes.iter().filter(|n| n.group.as_deref() == Some(group)) {
                let _ = writeln!(out, "    {}", node(member));
            }
            out.push_str("  }\n");
        }
        for member in self.nodes.iter().filter(|n| n.group.is_none()) {
            let _ = writeln!(out, "  {}", node(member));
        }
        for edge in &self.edges {
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\" [label=\"{}\"];",
                edge.from,
                edge.to,
                dot_text(&edge.label)
            );
        }
        out.push_str("}\n");
        out
    }
}

/// `database (relational), 16 connections per node; 4 shards (hash); 2
/// replicas each (async), reads round robin`.
fn database_detail(database: &Database) -> String {
    let mut detail = format!(
        "database ({}), {} connections per node",
        database.engine.name(),
        database.connections
    );
    if database.shards > 1 || database.reshard.is_some() {
        let by = match database.sharding {
            Sharding::Hash => "hash",
            Sharding::Range => "range",
            Sharding::Consistent { .. } => "consistent hash",
        };
        let _ = write!(detail, "; {} shards ({by})", database.shards);
        if let Some(reshard) = &database.reshard {
            let _ = write!(detail, " → {} at {}", reshard.shards, reshard.at);
        }
    }
    if database.replicas > 0 {
        let mode = match database.replication.mode {
            ReplicationMode::Async => "async".to_owned(),
            ReplicationMode::SemiSync(SemiSync { acks, .. }) => format!("semi-sync, {acks} ack"),
        };
        let each = if database.shards > 1 { " each" } else { "" };
        let _ = write!(
            detail,
            "; {} replica{}{each} ({mode})",
            database.replicas,
            if database.replicas == 1 { "" } else { "s" }
        );
        if database.read_from != ReadFrom::Primary {
            let _ = write!(detail, ", reads {}", database.read_from.name().replace('_', " "));
        }
    }
    if database.failover.is_some() {
        detail.push_str("; failover");
    }
    detail
}

/// `cache, 2 nodes × 200 MiB, lru, TTL 1m`.
fn cache_detail(cache: &Cache) -> String {
    let capacity = match cache.capacity {
        CacheCapacity::Entries(entries) => format!("{entries} entries"),
        CacheCapacity::Bytes(bytes) if bytes % (1 << 30) == 0 => format!("{} GiB", bytes >> 30),
        CacheCapacity::Bytes(bytes) if bytes % (1 << 20) == 0 => format!("{} MiB", bytes >> 20),
        CacheCapacity::Bytes(bytes) => format!("{bytes} bytes"),
    };
    let nodes = if cache.nodes == 1 {
        String::new()
    } else {
        format!("{} nodes × ", cache.nodes)
    };
    let mut detail = format!("cache, {nodes}{capacity}, {}", cache.eviction.name());
    if let Some(ttl) = cache.ttl {
        let _ = write!(detail, ", TTL {ttl}");
    }
    detail
}

fn identifier(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Text inside a quoted Mermaid label. Characters that would end the label
/// or read as markup become look-alikes: Mermaid's entity codes (`#quot;`)
/// come out garbled in some renderers (checked with mermaid 11's `render`).
fn mermaid_text(text: &str) -> String {
    text.replace('"', "'")
        .replace('<', "‹")
        .replace('>', "›")
        .replace('|', "¦")
}

/// Text inside a quoted dot string.
fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `CDN, 2 edges × 1GiB, LRU, TTL 1h, falls back to the origin`.
fn cdn_detail(cdn: &Cdn) -> String {
    let edges = cdn.edges.count();
    let plural = if edges == 1 { "" } else { "s" };
    let ttl = cdn.ttl.map_or(String::new(), |ttl| format!(", TTL {ttl}"));
    let fallback = match cdn.fallback {
        CdnFallback::Origin => "falls back to the origin",
        CdnFallback::None => "no fallback",
    };
    format!(
        "CDN, {edges} edge{plural} × {}, {}{ttl}, {fallback}",
        crate::scenario::units::format_size(cdn.capacity),
        cdn.eviction.name().to_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grouped() -> Topology {
        let mut topology = Topology::default();
        topology.add_node("users", "users", "open".into());
        topology.add_node("pool", "web-a", "pool".into());
        topology.add_node("pool", "web.a", "pool \"b\"".into());
        topology.add_node("database", "db", "database".into());
        topology.nodes[1].group = Some("eu-west".into());
        topology.nodes[3].group = Some("eu-west".into());
        topology.add_edge("users", "web-a", "view");
        topology.add_edge("users", "web-a", "update");
        topology.add_edge("users", "web-a", "view");
        topology.add_edge("web-a", "db", "read");
        topology.add_edge("web-a", "nowhere", "read");
        topology
    }

    #[test]
    fn ids_are_unique_and_edges_merge_labels() {
        let topology = grouped();
        let ids: Vec<_> = topology.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["users", "pool_web_a", "pool_web_a_2", "database_db"]);
        assert_eq!(topology.edges.len(), 2);
        assert_eq!(topology.edges[0].label, "view, update");
    }

    #[test]
    fn data_centers_become_subgraphs_and_clusters() {
        let topology = grouped();
        let mermaid = topology.mermaid();
        assert!(mermaid.contains("  subgraph dc_eu_west[\"eu-west\"]\n    pool_web_a[\"web-a<br/>pool\"]\n    database_db[(\"db<br/>database\")]\n  end\n"), "{mermaid}");
        assert!(mermaid.contains("pool_web_a_2[\"web.a<br/>pool 'b'\"]"));
        assert!(mermaid.contains("  users -->|\"view, update\"| pool_web_a\n"));
        let dot = topology.dot();
        assert!(
            dot.contains("  subgraph \"cluster_eu_west\" {\n    label=\"eu-west\";\n"),
            "{dot}"
        );
        assert!(dot.contains("[label=\"web.a\\npool \\\"b\\\"\", shape=box];"));
        assert!(dot.ends_with("}\n"));
    }

    #[test]
    fn the_data_tier_shows_caches_replicas_and_shards() {
        let text = r#"
[scenario]
duration = "1m"
[workload]
arrivals = { kind = "open", rate = "100/s" }
mix = [{ class = "view", call = "web/view", key = "items" }, { class = "edit", call = "web/edit", key = "items" }]
[keyspace.items]
keys = 1000
[pool.web]
workers = 8
[pool.web.endpoint.view]
service = "1ms"
steps = [{ read = "db", cache = "hot" }]
[pool.web.endpoint.edit]
service = "1ms"
steps = [{ write = "db", cache = "hot" }]
[database.db]
keyspace = "items"
replicas = 2
read_from = "round_robin"
shards = 4
[cache.hot]
keyspace = "items"
nodes = 3
capacity = "64MiB"
ttl = "30s"
"#;
        let scenario = crate::scenario::load_str(text).unwrap().scenario;
        let topology = Topology::of(&scenario);
        let detail = |name: &str| &topology.nodes.iter().find(|n| n.name == name).unwrap().detail;
        assert_eq!(
            detail("db"),
            "database (relational), 100 connections per node; 4 shards (hash); 2 replicas each (async), reads round robin"
        );
        assert_eq!(detail("hot"), "cache, 3 nodes × 64 MiB, lru, TTL 30s");
        let labels: Vec<(&str, &str, &str)> = topology
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str(), e.label.as_str()))
            .collect();
        assert!(
            labels.contains(&("pool_web", "cache_hot", "get, fill on miss, invalidate")),
            "{labels:?}"
        );
        assert!(
            labels.contains(&("pool_web", "database_db", "read on miss, write")),
            "{labels:?}"
        );
        assert!(topology.mermaid().contains("cache_hot[[\"hot<br/>"));
        assert!(topology.dot().contains("shape=box3d"));
    }
}
