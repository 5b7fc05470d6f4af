//! CDN edges in regions. When a scenario declares regions, a CDN's edges
//! are named after the regions they stand in (`edges = ["us", "eu"]`), and
//! every user reaches the edge of their own region. A region without an
//! edge is served by the nearest edge by the latency matrix (the first
//! listed on a tie), and the loader says so in a warning.
//!
//! Why names rather than a second list: the edge names already are the
//! output scopes (`static.us`), one list cannot disagree with another, and
//! a region has at most one edge, so "the edge of the user's region" is
//! never ambiguous. Without regions, edge names are only labels and users
//! spread over the edges by a hash of their id, as before.

use super::diagnostic::Diagnostic;
use super::reader::did_you_mean;
use super::types::{Cdn, CdnEdges, Scenario};

/// Per region of the scenario (in declaration order): the index of the
/// edge of `cdn` that serves it. Empty when the scenario has no regions or
/// an edge names no region (the loader rejects both combinations).
pub fn region_edges(scenario: &Scenario, cdn: &Cdn) -> Vec<u32> {
    let geo = &scenario.geo;
    let CdnEdges::Named(names) = &cdn.edges else {
        return Vec::new();
    };
    if geo.regions.is_empty() || names.iter().any(|name| geo.region(name).is_none()) {
        return Vec::new();
    }
    geo.regions
        .iter()
        .map(|region| {
            let nearest = names
                .iter()
                .enumerate()
                .min_by_key(|(index, name)| (geo.latency(&region.name, name), *index))
                .expect("a CDN has at least one edge");
            nearest.0 as u32
        })
        .collect()
}

/// The region of each edge of `cdn` (indexes into the scenario's regions),
/// or empty when edges are not placed in regions.
pub fn edge_regions(scenario: &Scenario, cdn: &Cdn) -> Vec<u16> {
    let CdnEdges::Named(names) = &cdn.edges else {
        return Vec::new();
    };
    let regions = &scenario.geo.regions;
    names
        .iter()
        .map(|name| regions.iter().position(|region| &region.name == name))
        .collect::<Option<Vec<usize>>>()
        .filter(|_| !regions.is_empty())
        .map_or_else(Vec::new, |found| {
            found.into_iter().map(|index| index as u16).collect()
        })
}

/// With regions declared: every CDN names its edges after regions (errors),
/// and each region without an edge is told which edge serves it (warnings).
pub(crate) fn check(scenario: &Scenario) -> Vec<Diagnostic> {
    let regions = &scenario.geo.regions;
    if regions.is_empty() {
        return Vec::new();
    }
    let known: Vec<&str> = regions.iter().map(|region| region.name.as_str()).collect();
    let example = known
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut diagnostics = Vec::new();
    for cdn in &scenario.cdns {
        let path = format!("cdn.{}.edges", cdn.name);
        let names = match &cdn.edges {
            CdnEdges::Named(names) => names,
            CdnEdges::Count(count) => {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "CDN `{}` has {count} unplaced edge{}, but the scenario has regions",
                        cdn.name,
                        if *count == 1 { "" } else { "s" }
                    ))
                    .path(path)
                    .help(format!(
                        "name each edge after the region it stands in, for example edges = [{example}]"
                    )),
                );
                continue;
            }
        };
        let mut placed = true;
        for name in names.iter().filter(|name| scenario.geo.region(name).is_none()) {
            placed = false;
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("with regions, an edge is named after its region; known: {example}"),
            };
            diagnostics.push(
                Diagnostic::error(format!("edge `{name}` of CDN `{}` names no region", cdn.name))
                    .path(path.clone())
                    .help(help),
            );
        }
        if !placed {
            continue;
        }
        let serving = region_edges(scenario, cdn);
        for (region, &edge) in regions.iter().zip(&serving) {
            let edge_name = &names[edge as usize];
            if *edge_name != region.name {
                let latency = scenario.geo.latency(&region.name, edge_name);
                diagnostics.push(
                    Diagnostic::warning(format!(
                        "region `{}` has no edge of CDN `{}`: its users go to edge `{edge_name}`, \
                         the nearest ({} ms away)",
                        region.name,
                        cdn.name,
                        latency.as_nanos() as f64 / 1e6
                    ))
                    .path(path.clone())
                    .help(format!("add \"{}\" to `edges` to serve it locally", region.name)),
                );
            }
        }
    }
    diagnostics
}
