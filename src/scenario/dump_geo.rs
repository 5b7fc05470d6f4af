//! Writing the geography back as TOML: `[region.*]`, `[datacenter.*]`,
//! `[[network.link]]`, components' `datacenter` lines and geoDNS
//! `targets`/`health_check`, in the input format `parse::geo` reads.

use std::fmt::Write;

use super::geo::{Geo, Placed};
use super::types::{Dns, Scenario};
use super::units::format_duration;

fn string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| string(item)).collect();
    format!("[{}]", items.join(", "))
}

/// `[[network.link]]` entries (after the `[network]` table).
pub(super) fn write_links(o: &mut String, geo: &Geo) {
    for link in &geo.links {
        writeln!(o, "\n[[network.link]]").unwrap();
        writeln!(o, "between = {}", list(&[link.a.clone(), link.b.clone()])).unwrap();
        writeln!(o, "latency = {}", string(&format_duration(link.latency))).unwrap();
    }
}

/// `[region.*]` and `[datacenter.*]` tables.
pub(super) fn write_places(o: &mut String, geo: &Geo) {
    for region in &geo.regions {
        writeln!(o, "\n[region.{}]", string(&region.name)).unwrap();
        writeln!(o, "users = {:?}", region.users).unwrap();
    }
    for datacenter in &geo.datacenters {
        writeln!(o, "\n[datacenter.{}]", string(&datacenter.name)).unwrap();
        writeln!(o, "region = {}", string(&datacenter.region)).unwrap();
    }
}

/// A component's `datacenter` (and `replica_datacenters`) lines, if placed.
pub(super) fn write_placement(o: &mut String, geo: &Geo, kind: Placed, component: &str) {
    let Some(placement) = geo.placement(kind, component) else {
        return;
    };
    writeln!(o, "datacenter = {}", string(&placement.datacenter)).unwrap();
    if !placement.replica_datacenters.is_empty() {
        writeln!(
            o,
            "replica_datacenters = {}",
            list(&placement.replica_datacenters)
        )
        .unwrap();
    }
}

/// A DNS name's `target`, or its `targets` and `health_check`.
pub(super) fn write_dns_targets(o: &mut String, scenario: &Scenario, dns: &Dns) {
    match scenario.geo.dns(&dns.name) {
        Some(geo_dns) => {
            writeln!(o, "targets = {}", list(&geo_dns.targets)).unwrap();
            if let Some(check) = &geo_dns.health_check {
                writeln!(o, "health_check = {}", check.dump_inline()).unwrap();
            }
        }
        None => writeln!(o, "target = {}", string(scenario.dns_target_name(dns.target))).unwrap(),
    }
}
