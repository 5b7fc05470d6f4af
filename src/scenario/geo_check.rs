//! Whole-scenario checks of the geography: region and data-center names
//! resolve, every target of a geoDNS name serves the endpoints called
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

/// A region or data-center reference: `None` when it resolves.
pub(crate) fn check_reference(scenario: &Scenario, reference: &Reference) -> Option<Diagnostic> {
    let name = reference.name.as_str();
    let geo = &scenario.geo;
    match reference.kind {
        RefKind::Region if geo.region(name).is_none() => {
            let known: Vec<&str> = geo.regions.iter().map(|r| r.name.as_str()).collect();
            Some(unknown(reference, name, "region", &known))
        }
        RefKind::Datacenter if geo.datacenter(name).is_none() => {
            let known: Vec<&str> = geo.datacenters.iter().map(|d| d.name.as_str()).collect();
            Some(unknown(reference, name, "datacenter", &known))
        }
        _ => None,
    }
}

/// `datacenter.NAME` and `partition` fault targets.
pub(crate) fn check_fault_target(
    scenario: &Scenario,
    reference: &Reference,
    target: &FaultSpec,
) -> Option<Diagnostic> {
    let known: Vec<&str> = scenario.geo.datacenters.iter().map(|d| d.name.as_str()).collect();
    let names: Vec<&String> = match target {
        FaultSpec::Datacenter { datacenter } => vec![datacenter],
        FaultSpec::Partition { a, b } => vec![a, b],
        _ => return None,
    };
    names
        .into_iter()
        .find(|name| scenario.geo.datacenter(name).is_none())
        .map(|name| unknown(reference, name, "datacenter", &known))
}

/// Checks that need the whole scenario: run once references resolve.
pub(crate) fn check(scenario: &Scenario, references: &[Reference]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for reference in references {
        if !matches!(reference.kind, RefKind::Entry | RefKind::Call { .. }) {
            continue;
        }
        let (Some(dns), Some(endpoint)) = (scenario.geo.dns(&reference.name), &reference.endpoint) else {
            continue;
        };
        for target in &dns.targets {
            let Some(pool) = scenario.pool_behind(target) else {
                continue;
            };
            if !pool.endpoints.iter().any(|e| &e.name == endpoint) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{}` can answer with `{target}`, whose pool `{}` has no endpoint `{endpoint}`",
                        dns.name, pool.name
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
        if placement.kind != Placed::Database {
            continue;
        }
        let Some(database) = scenario.database(&placement.component) else {
            continue;
        };
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
        if let FaultTarget::Partition { a, b } = &fault.target
            && a == b
        {
            diagnostics.push(
                Diagnostic::error(format!(
                    "a partition separates two data centers, not `{a}` from itself"
                ))
                .path(format!("faults[{index}].partition")),
            );
        }
    }
    diagnostics
}
