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
use super::ids::RegionId;
use super::parse::Reference;
use super::reader::did_you_mean;
use super::types::{Cdn, CdnEdges, FaultTarget, Scenario};

/// Per region of the scenario (in declaration order): the index of the
/// edge of `cdn` that serves it. Empty when the scenario has no regions or
/// an edge names no region (the loader rejects both combinations).
pub fn region_edges(scenario: &Scenario, cdn: &Cdn) -> Vec<u32> {
    let geo = &scenario.geo;
    let Some(edges) = edge_region_ids(scenario, cdn) else {
        return Vec::new();
    };
    geo.regions
        .ids()
        .map(|region| {
            let nearest = edges
                .iter()
                .enumerate()
                .min_by_key(|&(index, &edge)| (geo.latency(region, edge), index))
                .expect("a CDN has at least one edge");
            nearest.0 as u32
        })
        .collect()
}

/// The region each named edge of `cdn` stands in (resolved at load):
/// `None` when the scenario has no regions, the edges are counted, or one
/// names no region.
fn edge_region_ids(scenario: &Scenario, cdn: &Cdn) -> Option<Vec<RegionId>> {
    (!scenario.geo.regions.is_empty() && !cdn.edge_regions.is_empty()).then(|| cdn.edge_regions.clone())
}

/// The region of each edge of `cdn` (indexes into the scenario's regions),
/// or empty when edges are not placed in regions.
pub fn edge_regions(scenario: &Scenario, cdn: &Cdn) -> Vec<u16> {
    edge_region_ids(scenario, cdn).map_or_else(Vec::new, |found| found.into_iter().map(|r| r.0).collect())
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
        for name in names.iter().filter(|name| !known.contains(&name.as_str())) {
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
        let edges = edge_region_ids(scenario, cdn).expect("every edge names a region");
        for ((id, region), &edge) in regions.iter_enumerated().zip(&serving) {
            let edge_name = &names[edge as usize];
            if *edge_name != region.name {
                let latency = scenario.geo.latency(id, edges[edge as usize]);
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

/// Turns each fault on a named edge (`cdn.static.eu`) into one on its
/// index, so the resolved scenario and the model only know `CdnEdge`.
/// Names that resolve to nothing are left for `check_edge_name` to report.
pub(crate) fn resolve_edge_faults(scenario: &mut Scenario) {
    for index in 0..scenario.faults.len() {
        let FaultTarget::CdnEdgeNamed { cdn, edge } = &scenario.faults[index].target else {
            continue;
        };
        let Some(CdnEdges::Named(names)) = scenario.cdns.get(*cdn).map(|found| &found.edges) else {
            continue;
        };
        if let Some(position) = names.iter().position(|name| name == edge) {
            scenario.faults[index].target = FaultTarget::CdnEdge {
                cdn: *cdn,
                edge: position as u32,
            };
        }
    }
}

/// A fault on edge `edge` of `cdn` by name: `None` when the CDN has it.
pub(crate) fn check_edge_name(reference: &Reference, cdn: &Cdn, edge: &str) -> Option<Diagnostic> {
    let names: Vec<&str> = match &cdn.edges {
        CdnEdges::Named(names) => names.iter().map(String::as_str).collect(),
        CdnEdges::Count(_) => Vec::new(),
    };
    if names.contains(&edge) {
        return None;
    }
    let help = match did_you_mean(edge, names.iter().copied()) {
        Some(best) => format!("did you mean `cdn.{}.{best}`?", cdn.name),
        None if names.is_empty() => format!(
            "its edges are counted, not named: use cdn.{}.edge[I], I from 0 to {}",
            cdn.name,
            cdn.edges.count() - 1
        ),
        None => format!("its edges: {}", names.join(", ")),
    };
    Some(
        Diagnostic::error(format!("CDN `{}` has no edge named `{edge}`", cdn.name))
            .at(reference.span.clone())
            .path(reference.path.clone())
            .label("not an edge of this CDN")
            .help(help),
    )
}

/// The mean one-way link between a user and the edge serving them, in
/// nanoseconds, over the regions' user shares: zero when every region has
/// its own edge (or there are no regions).
pub fn mean_edge_link_ns(scenario: &Scenario, cdn: &Cdn) -> f64 {
    let Some(edges) = edge_region_ids(scenario, cdn) else {
        return 0.0;
    };
    let regions = &scenario.geo.regions;
    let total: f64 = regions.iter().map(|region| region.users).sum();
    if total <= 0.0 {
        return 0.0;
    }
    regions
        .iter_enumerated()
        .zip(region_edges(scenario, cdn))
        .map(|((id, region), edge)| {
            let link = scenario.geo.latency(id, edges[edge as usize]);
            region.users / total * link.as_nanos() as f64
        })
        .sum()
}

/// A comment under a CDN in the resolved dump: which edge serves each
/// region (derived, so a comment: the loader computes it again).
pub(crate) fn write_serving(o: &mut String, scenario: &Scenario, cdn: &Cdn) {
    let CdnEdges::Named(names) = &cdn.edges else {
        return;
    };
    let serving: Vec<String> = scenario
        .geo
        .regions
        .iter()
        .zip(region_edges(scenario, cdn))
        .map(|(region, edge)| match &names[edge as usize] {
            name if *name == region.name => format!("{name} → {name}"),
            name => format!("{} → {name} (nearest)", region.name),
        })
        .collect();
    if !serving.is_empty() {
        o.push_str(&format!("# users' region → edge: {}\n", serving.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    /// Regions a, b, c on a line (a–b 10 ms, b–c 10 ms, a–c 20 ms) and a
    /// CDN with `edges`.
    fn scenario(edges: &str) -> Scenario {
        let text = format!(
            "[scenario]\nduration = \"10s\"\n[workload]\narrivals = {{ kind = \"open\", rate = \"10/s\" }}\n\
             mix = [{{ class = \"a\", call = \"c\" }}]\n\
             [[network.link]]\nbetween = [\"a\", \"b\"]\nlatency = \"10ms\"\n\
             [[network.link]]\nbetween = [\"b\", \"c\"]\nlatency = \"10ms\"\n\
             [[network.link]]\nbetween = [\"a\", \"c\"]\nlatency = \"20ms\"\n\
             [region.a]\nusers = 1\n[region.b]\nusers = 1\n[region.c]\nusers = 1\n\
             [keyspace.k]\nkeys = 100\nvalue_size = \"1KiB\"\n[database.store]\nkeyspace = \"k\"\n\
             [cdn.c]\nkeyspace = \"k\"\ncapacity = \"1MiB\"\norigin = \"store\"\nedges = {edges}\n"
        );
        load_str(&text).expect("valid").scenario
    }

    #[test]
    fn each_region_goes_to_its_own_edge_or_the_nearest_first_listed_on_a_tie() {
        let s = scenario(r#"["c", "a"]"#);
        let cdn = &s.cdns[crate::scenario::ids::CdnId(0)];
        assert_eq!(edge_regions(&s, cdn), [2, 0]);
        // a → edge 1 ("a"), c → edge 0 ("c"); b is 10 ms from both: "c",
        // listed first.
        assert_eq!(region_edges(&s, cdn), [1, 0, 0]);
        let warnings = check(&s);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].severity, crate::scenario::Severity::Warning);
        assert!(
            warnings[0]
                .message
                .contains("region `b` has no edge of CDN `c`: its users go to edge `c`")
        );
    }

    #[test]
    fn without_regions_edges_are_labels() {
        let mut s = scenario(r#"["a", "b"]"#);
        s.geo = Default::default();
        assert!(region_edges(&s, &s.cdns[crate::scenario::ids::CdnId(0)]).is_empty());
        assert!(edge_regions(&s, &s.cdns[crate::scenario::ids::CdnId(0)]).is_empty());
        assert!(check(&s).is_empty());
    }

    #[test]
    fn the_dump_says_which_edge_serves_each_region() {
        let s = scenario(r#"["c", "a"]"#);
        let mut o = String::new();
        write_serving(&mut o, &s, &s.cdns[crate::scenario::ids::CdnId(0)]);
        assert_eq!(o, "# users' region → edge: a → a, b → c (nearest), c → c\n");
        let dumped = crate::scenario::dump::to_toml(&s);
        assert!(dumped.contains(&o), "{dumped}");
        assert_eq!(load_str(&dumped).expect("reloads").scenario, s);
    }

    #[test]
    fn the_mean_link_to_an_edge_weighs_regions_by_their_users() {
        // b's third of the users is 10 ms from its edge; a and c are home.
        let s = scenario(r#"["c", "a"]"#);
        assert!((mean_edge_link_ns(&s, &s.cdns[crate::scenario::ids::CdnId(0)]) - 10e6 / 3.0).abs() < 1e-6);
        let everywhere = scenario(r#"["a", "b", "c"]"#);
        assert_eq!(
            mean_edge_link_ns(&everywhere, &everywhere.cdns[crate::scenario::ids::CdnId(0)]),
            0.0
        );
    }
}
