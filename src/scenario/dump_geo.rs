//! Writing the geography back as TOML: `[region.*]`, `[datacenter.*]`,
//! `[[network.link]]`, components' `datacenter` lines and geoDNS
//! `targets`/`health_check`, in the input format `parse::geo` reads.

use std::fmt::Write;

use super::geo::{Geo, Placed};
use super::ids::{DatacenterId, DnsId};
use super::types::{Dns, Scenario};

fn string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(string).collect();
    format!("[{}]", items.join(", "))
}

fn datacenters<'a>(geo: &'a Geo, ids: &'a [DatacenterId]) -> impl Iterator<Item = &'a str> {
    ids.iter().map(|&dc| geo.datacenters[dc].name.as_str())
}

/// `[[network.link]]` entries (after the `[network]` table).
pub(super) fn write_links(o: &mut String, geo: &Geo) {
    for link in &geo.links {
        writeln!(o, "\n[[network.link]]").unwrap();
        let between = [link.a, link.b].map(|region| geo.regions[region].name.as_str());
        writeln!(o, "between = {}", list(between)).unwrap();
        link.keys.dump_keys(o);
    }
}

/// `[region.*]` and `[datacenter.*]` tables.
pub(super) fn write_places(o: &mut String, geo: &Geo) {
    for region in &geo.regions {
        writeln!(o, "\n[region.{}]", string(&region.name)).unwrap();
        region.dump_keys(o);
    }
    for datacenter in &geo.datacenters {
        writeln!(o, "\n[datacenter.{}]", string(&datacenter.name)).unwrap();
        writeln!(o, "region = {}", string(&geo.regions[datacenter.region].name)).unwrap();
    }
}

/// A component's `datacenter` (and `replica_datacenters`) lines, if placed.
pub(super) fn write_placement(o: &mut String, geo: &Geo, component: Placed) {
    let Some(placement) = geo.placement(component) else {
        return;
    };
    writeln!(
        o,
        "datacenter = {}",
        string(&geo.datacenters[placement.datacenter].name)
    )
    .unwrap();
    if !placement.replica_datacenters.is_empty() {
        let replicas = datacenters(geo, &placement.replica_datacenters);
        writeln!(o, "replica_datacenters = {}", list(replicas)).unwrap();
    }
}

/// A DNS name's `target`, or its `targets` and `health_check`.
pub(super) fn write_dns_targets(o: &mut String, scenario: &Scenario, id: DnsId, dns: &Dns) {
    match scenario.geo.dns(id) {
        Some(geo_dns) => {
            let targets = geo_dns.targets.iter().map(|&t| scenario.dns_target_name(t));
            writeln!(o, "targets = {}", list(targets)).unwrap();
            geo_dns.keys.dump_keys(o);
        }
        None => writeln!(o, "target = {}", string(scenario.dns_target_name(dns.target))).unwrap(),
    }
}
