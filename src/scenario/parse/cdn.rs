//! Reading `[cdn.*]` (edges, capacity, TTL, latency, origin, egress price,
//! fallback, `[[cdn.NAME.deploy]]` releases) and object-size distributions
//! (a keyspace's `value_size` as a size or `{ dist = ..., mean = "50KiB" }`).

use super::super::diagnostic::Diagnostic;
use super::super::dist::{Dist, LogNormalSpread};
use super::super::reader::{Node, Reader, TableNode, optional};
use super::super::types::{Cdn, CdnDeploy, CdnEdges, CdnKeys, CdnOrigin, DeployKeys, DeployMode};
use super::dist::CV_RANGE;
use super::{Cx, RefKind};
use crate::engine::SimDuration;
use toml::de::DeValue;

/// Most edges a CDN may have.
pub const MAX_CDN_EDGES: u64 = 1_000;
/// Most deploys a CDN may have (each is looked at per request).
pub const MAX_CDN_DEPLOYS: usize = 100;
/// The largest object (an edge stores sizes as 32-bit byte counts).
pub const MAX_OBJECT_BYTES: u64 = 1 << 30;

pub(crate) fn read_cdn(cx: &mut Cx, name: String, node: &Node) -> Option<Cdn> {
    let mut table = cx.reader.table(node)?;
    let keyspace = table
        .require(&mut cx.reader, "keyspace", "\"assets\"")
        .and_then(|n| super::read_reference(cx, &n, RefKind::Keyspace))
        .map(|name| cx.names.keyspace(&name));
    let origin = table
        .require(&mut cx.reader, "origin", "\"web/asset\" or \"object_store\"")
        .and_then(|n| read_origin(cx, &n));
    let edges = table.get("edges").map(|n| read_edges(&mut cx.reader, &n));
    let edge_regions = match &edges {
        Some(Some(CdnEdges::Named(names))) => cx.names.regions_named(names),
        _ => Vec::new(),
    };
    let deploys = table.get("deploy").map(|n| read_deploys(cx, &n));
    let keys = CdnKeys::read_keys(cx, &mut table);
    table.finish(&mut cx.reader);
    Some(Cdn {
        name,
        keyspace: keyspace?,
        edges: edges.unwrap_or(Some(CdnEdges::Count(1)))?,
        edge_regions,
        origin: origin?,
        deploys: deploys.unwrap_or(Some(Vec::new()))?,
        keys: keys?,
    })
}

/// `"pool/endpoint"` (through a DNS name or balancer too) or `"database"`.
fn read_origin(cx: &mut Cx, node: &Node) -> Option<CdnOrigin> {
    let text = cx.reader.string(node)?;
    if text.contains('/') {
        super::read_target(cx, node, RefKind::Origin).map(CdnOrigin::Endpoint)
    } else {
        super::read_reference(cx, node, RefKind::Database)
            .map(|name| CdnOrigin::Database(cx.names.database(&name)))
    }
}

/// `4` or `["eu", "us"]`.
fn read_edges(reader: &mut Reader, node: &Node) -> Option<CdnEdges> {
    match node.value {
        DeValue::Array(_) => {
            let items = reader.array(node)?;
            if items.is_empty() || items.len() as u64 > MAX_CDN_EDGES {
                reader.invalid(
                    node,
                    format!("a CDN needs 1 to {MAX_CDN_EDGES} edges, found {}", items.len()),
                    None,
                );
                return None;
            }
            let mut names: Vec<String> = Vec::with_capacity(items.len());
            for item in &items {
                let name = super::read_name(reader, item)?;
                if names.contains(&name) {
                    reader.invalid(item, format!("edge `{name}` appears twice"), None);
                    return None;
                }
                names.push(name);
            }
            Some(CdnEdges::Named(names))
        }
        _ => reader
            .integer(node, 1, MAX_CDN_EDGES)
            .map(|count| CdnEdges::Count(count as u32)),
    }
}

fn read_deploys(cx: &mut Cx, node: &Node) -> Option<Vec<CdnDeploy>> {
    let items = cx.reader.array(node)?;
    if items.len() > MAX_CDN_DEPLOYS {
        cx.reader.invalid(
            node,
            format!("at most {MAX_CDN_DEPLOYS} deploys, found {}", items.len()),
            None,
        );
        return None;
    }
    let mut deploys = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in &items {
        match read_deploy(cx, item) {
            Some(deploy) => deploys.push(deploy),
            None => ok = false,
        }
    }
    // In time order, whatever order they were written in.
    deploys.sort_by_key(|deploy| deploy.at);
    ok.then_some(deploys)
}

fn read_deploy(cx: &mut Cx, node: &Node) -> Option<CdnDeploy> {
    let mut table = cx.reader.table(node)?;
    // Each key on its own: `propagation` is checked against `mode` even
    // when `at` or `share` is invalid.
    let keys = DeployKeys::read_partial(cx, &mut table);
    let propagation_node = table.get("propagation");
    let propagation = propagation_node.as_ref().map(|n| cx.reader.duration(n));
    table.finish(&mut cx.reader);
    let reader = &mut cx.reader;
    let propagation = match (keys.mode?, optional(propagation)?) {
        (DeployMode::Invalidate, Some(propagation)) => propagation,
        (DeployMode::Invalidate, None) => {
            reader.push(
                Diagnostic::error("an invalidating deploy needs `propagation`")
                    .at(node.span.clone())
                    .path(node.path.clone())
                    .help("how long the invalidation takes to reach every edge, for example propagation = \"30s\""),
            );
            return None;
        }
        (DeployMode::Versioned, Some(_)) => {
            reader.invalid(
                propagation_node.as_ref()?,
                "versioned names need no invalidation, so no `propagation`",
                Some("remove `propagation`, or use mode = \"invalidate\"".to_owned()),
            );
            return None;
        }
        (DeployMode::Versioned, None) => SimDuration::ZERO,
    };
    Some(CdnDeploy {
        propagation,
        keys: keys.complete()?,
    })
}

const SIZE_KINDS: [&str; 5] = ["const", "exp", "uniform", "lognormal", "pareto"];

/// An object size: `"4KiB"`, or a distribution of sizes in bytes:
/// `{ dist = "lognormal", mean = "50KiB", cv = 1.5 }`, `exp` (mean),
/// `uniform` (min, max), `pareto` (min, alpha).
pub(crate) fn read_size_distribution(reader: &mut Reader, node: &Node) -> Option<Dist> {
    match node.value {
        DeValue::String(_) => return reader.size(node).map(|bytes| Dist::Const { value: bytes as f64 }),
        DeValue::Table(_) => {}
        _ => {
            reader.wrong_type(
                node,
                "a size such as \"4KiB\", or a distribution of sizes",
                "{ dist = \"lognormal\", mean = \"50KiB\", cv = 1.5 }",
            );
            return None;
        }
    }
    let mut table = reader.table(node)?;
    let kind = table
        .require(reader, "dist", "\"lognormal\"")
        .and_then(|n| reader.choice(&n, &SIZE_KINDS));
    let dist = kind.and_then(|kind| read_size_kind(reader, &mut table, SIZE_KINDS[kind]));
    table.finish(reader);
    dist
}

fn bytes(reader: &mut Reader, table: &mut TableNode, key: &'static str, example: &str) -> Option<f64> {
    let node = table.require(reader, key, example)?;
    let value = reader.size(&node)?;
    if value == 0 || value > MAX_OBJECT_BYTES {
        reader.invalid(
            &node,
            format!("`{key}` must be from 1 byte to 1GiB, found {value} bytes"),
            None,
        );
        return None;
    }
    Some(value as f64)
}

fn read_size_kind(reader: &mut Reader, table: &mut TableNode, kind: &str) -> Option<Dist> {
    match kind {
        "const" => Some(Dist::Const {
            value: bytes(reader, table, "value", "\"4KiB\"")?,
        }),
        "exp" => Some(Dist::Exp {
            mean: bytes(reader, table, "mean", "\"50KiB\"")?,
        }),
        "uniform" => {
            let min = bytes(reader, table, "min", "\"1KiB\"");
            let max_node = table.require(reader, "max", "\"1MiB\"");
            let max = max_node.as_ref().and_then(|n| reader.size(n));
            let (min, max) = (min?, max? as f64);
            if max < min || max > MAX_OBJECT_BYTES as f64 {
                reader.invalid(
                    max_node.as_ref()?,
                    "`max` must be at least `min` and at most 1GiB",
                    None,
                );
                return None;
            }
            Some(Dist::Uniform { min, max })
        }
        "lognormal" => {
            let mean = bytes(reader, table, "mean", "\"50KiB\"");
            let cv_node = table.require(reader, "cv", "1.5");
            let cv = cv_node.as_ref().and_then(|n| reader.positive_number(n));
            let (low, high) = CV_RANGE;
            let cv = cv?;
            if !(low..=high).contains(&cv) {
                reader.invalid(
                    cv_node.as_ref()?,
                    format!("`cv` must be between {low} and {high}, found {cv}"),
                    None,
                );
                return None;
            }
            Some(Dist::LogNormal {
                mean: mean?,
                spread: LogNormalSpread::Cv(cv),
            })
        }
        "pareto" => {
            let min = bytes(reader, table, "min", "\"1KiB\"");
            let alpha = table
                .require(reader, "alpha", "1.5")
                .and_then(|n| reader.positive_number(&n));
            Some(Dist::Pareto {
                min: min?,
                alpha: alpha?,
            })
        }
        _ => unreachable!("kind comes from SIZE_KINDS"),
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::dist::LogNormalSpread;
    use crate::scenario::{CdnEdges, CdnOrigin, Dist, load_str};

    fn with(cdn: &str, value_size: &str) -> String {
        format!(
            "[scenario]\nduration = \"10s\"\n[workload]\narrivals = {{ kind = \"open\", rate = \"10/s\" }}\n\
             mix = [{{ class = \"a\", call = \"c\" }}]\n[keyspace.k]\nkeys = 100\nvalue_size = {value_size}\n\
             [database.store]\nkeyspace = \"k\"\n[cdn.c]\nkeyspace = \"k\"\ncapacity = \"1MiB\"\norigin = \"store\"\n{cdn}\n"
        )
    }

    #[test]
    fn edges_named_after_regions_hold_their_region_ids() {
        let regions = "[region.us]\nusers = 0.5\n[region.eu]\nusers = 0.5\n";
        let text = format!("{regions}{}", with("edges = [\"eu\", \"us\"]", "\"10KiB\""));
        let loaded = load_str(&text).expect("valid");
        let cdn = &loaded.scenario.cdns[crate::scenario::ids::CdnId(0)];
        use crate::scenario::ids::RegionId;
        assert_eq!(cdn.edge_regions, vec![RegionId(1), RegionId(0)]);
    }

    #[test]
    fn edges_origins_and_size_distributions_read() {
        let loaded = load_str(&with(
            "edges = [\"eu\", \"us\"]",
            "{ dist = \"lognormal\", mean = \"50KiB\", cv = 1.5 }",
        ))
        .expect("valid");
        let cdn = &loaded.scenario.cdns[crate::scenario::ids::CdnId(0)];
        assert_eq!(cdn.edges, CdnEdges::Named(vec!["eu".into(), "us".into()]));
        assert_eq!(cdn.edges.scope("c", 1), "c.us");
        // No regions declared: the edge names are labels, placed nowhere.
        assert!(cdn.edge_regions.is_empty());
        assert_eq!(
            cdn.origin,
            CdnOrigin::Database(crate::scenario::ids::DatabaseId(0))
        );
        assert_eq!(
            loaded.scenario.keyspaces[crate::scenario::ids::KeyspaceId(0)].value_size,
            Dist::LogNormal {
                mean: 51_200.0,
                spread: LogNormalSpread::Cv(1.5)
            }
        );
        let pareto = load_str(&with(
            "edges = 3",
            "{ dist = \"pareto\", min = \"1KiB\", alpha = 1.5 }",
        ))
        .expect("valid");
        assert_eq!(
            pareto.scenario.cdns[crate::scenario::ids::CdnId(0)]
                .edges
                .scope("c", 2),
            "c.edge[2]"
        );
    }

    #[test]
    fn bad_edges_prices_and_sizes_are_rejected() {
        for (cdn, size, expected) in [
            ("edges = [\"eu\", \"eu\"]", "\"1KiB\"", "appears twice"),
            ("edges = 0", "\"1KiB\"", "edges"),
            (
                "price_per_gb = -1.0",
                "\"1KiB\"",
                "must be zero or more, found -1",
            ),
            ("", "{ dist = \"exp\", mean = \"0B\" }", "from 1 byte to 1GiB"),
            (
                "",
                "{ dist = \"uniform\", min = \"2KiB\", max = \"1KiB\" }",
                "at least `min`",
            ),
            (
                "",
                "{ dist = \"gamma\", mean = \"1KiB\", cv = 1.0 }",
                "unknown value `gamma`",
            ),
        ] {
            let error = load_str(&with(cdn, size)).expect_err("rejected").to_string();
            assert!(
                error.contains(expected),
                "`{cdn}` / {size}: expected `{expected}` in\n{error}"
            );
        }
    }
}
