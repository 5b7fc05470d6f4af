//! Whole-scenario checks of the geography: region and data-center names
//! resolve (by the names the readers recorded, before their ids are known
//! to be good), every target of a geoDNS name serves the endpoints called
//! through it, a database's replica placements fit its replicas, and
//! data-center faults name real data centers.

use super::diagnostic::Diagnostic;
use super::geo::Placed;
use super::parse::FaultSpec;
use super::parse::{RefKind, Reference};
use super::reader::did_you_mean;
use super::types::{FaultTarget, Scenario};

fn unknown(reference: &Reference, name: &str, what: &str, known: &[&str]) -> Diagnostic {
    let help = match did_you_mean(name, known.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None if known.is_empty() => format!("the scenario defines no {what} (add a [{what}.NAME] table)"),
        None => format!("known: {}", super::reader::list(known)),
    };
    Diagnostic::error(format!("no {what} named `{name}`"))
        .at(reference.span.clone())
        .path(reference.path.clone())
        .label(format!("not a {what}"))
        .help(help)
}

fn regions(scenario: &Scenario) -> Vec<&str> {
    scenario.geo.regions.iter().map(|r| r.name.as_str()).collect()
}

fn datacenters(scenario: &Scenario) -> Vec<&str> {
    scenario.geo.datacenters.iter().map(|d| d.name.as_str()).collect()
}

/// A region or data-center reference: `None` when it resolves.
pub(crate) fn check_reference(scenario: &Scenario, reference: &Reference) -> Option<Diagnostic> {
    let name = reference.name.as_str();
    let (what, known) = match reference.kind {
        RefKind::Region => ("region", regions(scenario)),
        RefKind::Datacenter => ("datacenter", datacenters(scenario)),
        _ => return None,
    };
    (!known.contains(&name)).then(|| unknown(reference, name, what, &known))
}

/// `datacenter.NAME` and `partition` fault targets.
pub(crate) fn check_fault_target(
    scenario: &Scenario,
    reference: &Reference,
    target: &FaultSpec,
) -> Option<Diagnostic> {
    let known = datacenters(scenario);
    let names: Vec<&String> = match target {
        FaultSpec::Datacenter { datacenter } => vec![datacenter],
        FaultSpec::Partition { a, b } => vec![a, b],
        _ => return None,
    };
    names
        .into_iter()
        .find(|name| !known.contains(&name.as_str()))
        .map(|name| unknown(reference, name, "datacenter", &known))
}

/// Checks that need the whole scenario: run once references resolve, so
/// every id in the geography is good.
pub(crate) fn check(scenario: &Scenario, references: &[Reference]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for reference in references {
        if !matches!(reference.kind, RefKind::Entry | RefKind::Call { .. }) {
            continue;
        }
        let Some(endpoint) = &reference.endpoint else {
            continue;
        };
        let Some(dns) = scenario
            .geo
            .dns
            .iter()
            .find(|geo| scenario.dns[geo.dns].name == reference.name)
        else {
            continue;
        };
        for &target in &dns.targets {
            let pool = &scenario.pools[scenario.dns_pool(target)];
            if !pool.endpoints.iter().any(|e| &e.name == endpoint) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{}` can answer with `{}`, whose pool `{}` has no endpoint `{endpoint}`",
                        reference.name,
                        scenario.dns_target_name(target),
                        pool.name
                    ))
                    .at(reference.span.clone())
                    .path(reference.path.clone())
                    .label("every target of a geoDNS name serves this call")
                    .help(format!("add endpoint `{endpoint}` to pool `{}`", pool.name)),
                );
            }
        }
    }
    for placement in &scenario.geo.placements {
        let Placed::Database(database) = placement.component else {
            continue;
        };
        let database = &scenario.databases[database];
        if placement.replica_datacenters.len() > database.replicas as usize {
            diagnostics.push(
                Diagnostic::error(format!(
                    "database `{}` places {} replicas but has {}",
                    database.name,
                    placement.replica_datacenters.len(),
                    database.replicas
                ))
                .path(format!("database.{}.replica_datacenters", database.name))
                .help("list one data center per replica, or raise `replicas`"),
            );
        }
    }
    for (index, fault) in scenario.faults.iter().enumerate() {
        if let FaultTarget::Partition { a, b } = fault.target
            && a == b
        {
            diagnostics.push(
                Diagnostic::error(format!(
                    "a partition separates two data centers, not `{}` from itself",
                    scenario.geo.datacenters[a].name
                ))
                .path(format!("faults[{index}].partition")),
            );
        }
    }
    diagnostics
}
