//! Reading the geography's names: `[datacenter.*]`, `[[network.link]]`'s
//! `between`, a component's `datacenter` (and a database's
//! `replica_datacenters`), and a DNS name's `targets` (`[region.*]`, a link's
//! `latency` and a DNS name's `health_check` are declared with `section!` in
//! `geo.rs`). Placements and geoDNS details
//! are collected on the reading context while their component is read, and
//! land in `Scenario::geo`.

use super::super::geo::{Datacenter, GeoDns, GeoDnsKeys, Link, LinkKeys, Placed, Placement, Region};
use super::super::reader::{Node, TableNode, optional};
use super::{Cx, RefKind, read_reference};

/// Most regions and data centers a scenario may have.
pub const MAX_REGIONS: usize = 64;

pub(crate) fn read_datacenter(cx: &mut Cx, name: String, node: &Node) -> Option<Datacenter> {
    let mut table = cx.reader.table(node)?;
    let region = table
        .require(&mut cx.reader, "region", "\"us\"")
        .and_then(|n| read_reference(cx, &n, RefKind::Region))
        .map(|name| cx.names.region(&name));
    table.finish(&mut cx.reader);
    Some(Datacenter {
        name,
        region: region?,
    })
}

/// `[[network.link]]`: `between = ["a", "b"]`, `latency = "80ms"`.
pub(crate) fn read_links(cx: &mut Cx, node: &Node) -> Option<Vec<Link>> {
    let items = cx.reader.array(node)?;
    let mut links = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in &items {
        match read_link(cx, item) {
            Some(link) => links.push(link),
            None => ok = false,
        }
    }
    ok.then_some(links)
}

fn read_link(cx: &mut Cx, node: &Node) -> Option<Link> {
    let mut table = cx.reader.table(node)?;
    let between = table.require(&mut cx.reader, "between", "[\"us\", \"eu\"]");
    let keys = LinkKeys::read_keys(cx, &mut table);
    table.finish(&mut cx.reader);
    let between = between?;
    let ends = cx.reader.array(&between)?;
    if ends.len() != 2 {
        cx.reader.invalid(
            &between,
            "`between` names two regions",
            Some("for example: between = [\"us\", \"eu\"]".to_owned()),
        );
        return None;
    }
    let a = read_reference(cx, &ends[0], RefKind::Region);
    let b = read_reference(cx, &ends[1], RefKind::Region);
    let (a, b) = (a?, b?);
    if a == b {
        cx.reader.invalid(
            &between,
            "a link joins two different regions",
            Some("latency within a region is `network.default`".to_owned()),
        );
        return None;
    }
    Some(Link {
        a: cx.names.region(&a),
        b: cx.names.region(&b),
        keys: keys?,
    })
}

/// A component's `datacenter` (and, for a database, `replica_datacenters`);
/// recorded on the context. Returns `None` when they fail to read.
pub(crate) fn read_placement(cx: &mut Cx, table: &mut TableNode, component: Placed) -> Option<()> {
    let datacenter = table
        .get("datacenter")
        .map(|n| read_reference(cx, &n, RefKind::Datacenter));
    let replicas_node = match component {
        Placed::Database(_) => table.get("replica_datacenters"),
        _ => None,
    };
    let replica_datacenters = match &replicas_node {
        Some(n) => {
            let items = cx.reader.array(n)?;
            let names: Vec<Option<String>> = items
                .iter()
                .map(|item| read_reference(cx, item, RefKind::Datacenter))
                .collect();
            let names = names.into_iter().collect::<Option<Vec<String>>>()?;
            names.iter().map(|name| cx.names.datacenter(name)).collect()
        }
        None => Vec::new(),
    };
    let datacenter = optional(datacenter)?;
    match datacenter {
        Some(datacenter) => cx.geo.placements.push(Placement {
            component,
            datacenter: cx.names.datacenter(&datacenter),
            replica_datacenters,
        }),
        None if !replica_datacenters.is_empty() => {
            cx.reader.invalid(
                replicas_node.as_ref().expect("read above"),
                "`replica_datacenters` goes with `datacenter` (where the primary stands)",
                Some("add `datacenter = \"…\"` for the primary".to_owned()),
            );
            return None;
        }
        None => {}
    }
    Some(())
}

/// A DNS name's `target` or `targets`, and its `health_check`: returns the
/// first target; records a geoDNS entry when there is more than `target`.
pub(crate) fn read_dns_targets(cx: &mut Cx, table: &mut TableNode, name: &str) -> Option<String> {
    let target = table.get("target");
    let targets = table.get("targets");
    let keys = GeoDnsKeys::read_keys(cx, table);
    let names = match (target, targets) {
        (Some(target), None) => vec![read_reference(cx, &target, RefKind::DnsTarget)?],
        (None, Some(targets)) => {
            let items = cx.reader.array(&targets)?;
            if items.is_empty() {
                cx.reader.invalid(
                    &targets,
                    "`targets` needs at least one balancer or pool",
                    Some("for example: targets = [\"lb-us\", \"lb-eu\"]".to_owned()),
                );
                return None;
            }
            let names: Vec<Option<String>> = items
                .iter()
                .map(|item| read_reference(cx, item, RefKind::DnsTarget))
                .collect();
            let names = names.into_iter().collect::<Option<Vec<String>>>()?;
            for (index, name) in names.iter().enumerate() {
                if names[..index].contains(name) {
                    cx.reader
                        .invalid(&items[index], format!("`{name}` is listed twice"), None);
                    return None;
                }
            }
            names
        }
        (Some(target), Some(_)) => {
            cx.reader.invalid(
                &target,
                "give `target` or `targets`, not both",
                Some("`targets` lists every answer of a geoDNS name".to_owned()),
            );
            return None;
        }
        (None, None) => {
            table.require(&mut cx.reader, "target", "\"lb\"");
            return None;
        }
    };
    let keys = keys?;
    if names.len() > 1 || keys.health_check.is_some() {
        cx.geo.dns.push(GeoDns {
            dns: cx.names.dns(name),
            targets: names.iter().map(|target| cx.names.dns_target(target)).collect(),
            endpoints: names
                .iter()
                .map(|target| cx.names.geo_endpoints(&names[0], target))
                .collect(),
            keys,
        });
    }
    names.into_iter().next()
}

/// Checks the counts of the geography's sections.
pub(crate) fn check_sizes(cx: &mut Cx, regions: &[Region], datacenters: &[Datacenter], node: Option<&Node>) {
    let too_many = regions.len() > MAX_REGIONS || datacenters.len() > MAX_REGIONS;
    if let (true, Some(node)) = (too_many, node) {
        cx.reader.invalid(
            node,
            format!("at most {MAX_REGIONS} regions and {MAX_REGIONS} data centers"),
            None,
        );
    }
}
