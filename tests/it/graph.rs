//! `capsim graph`: every shipped scenario's topology as Mermaid and as
//! Graphviz dot, checked for structure (each node defined once with a
//! valid id, every edge between defined nodes, balanced brackets and
//! quotes); dot by a strict pure-Rust parser (`crate::dot`), so no
//! Graphviz is needed.

use std::collections::BTreeSet;
use std::path::Path;

use predicates::str::contains;

use crate::dot;
use crate::support::{self, capsim, shipped_scenarios};

fn graph(scenario: &Path, format: &str) -> String {
    let output = capsim()
        .arg("graph")
        .arg(scenario)
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn is_identifier(id: &str) -> bool {
    id.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks Mermaid flowchart structure; returns the edges as (from, to).
fn check_mermaid(text: &str) -> Vec<(String, String)> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"));
    let mut nodes = BTreeSet::new();
    let mut edges = Vec::new();
    let mut depth = 0;
    for line in lines {
        let line = line.trim();
        assert_eq!(line.matches('"').count() % 2, 0, "unbalanced quotes: {line}");
        if let Some(rest) = line.strip_prefix("subgraph ") {
            let id = rest.split('[').next().unwrap();
            assert!(is_identifier(id), "bad subgraph id in {line}");
            depth += 1;
        } else if line == "end" {
            depth -= 1;
            assert!(depth >= 0, "`end` without `subgraph`");
        } else if let Some((from, rest)) = line.split_once(" -->|\"") {
            let (_, to) = rest
                .rsplit_once("\"| ")
                .unwrap_or_else(|| panic!("bad edge: {line}"));
            assert!(
                nodes.contains(from) && nodes.contains(to),
                "edge to an undefined node: {line}"
            );
            edges.push((from.to_owned(), to.to_owned()));
        } else {
            let id_end = line
                .find(['[', '(', '{'])
                .unwrap_or_else(|| panic!("not a node: {line}"));
            let (id, shape) = line.split_at(id_end);
            assert!(is_identifier(id), "bad node id `{id}`");
            assert!(nodes.insert(id.to_owned()), "node {id} defined twice");
            let opens = shape.chars().filter(|c| "[({".contains(*c)).count();
            let closes = shape.chars().filter(|c| "])}".contains(*c)).count();
            assert_eq!(opens, closes, "unbalanced shape: {line}");
            assert!(
                shape.contains("\"") && !shape.contains("\"\""),
                "label must be quoted: {line}"
            );
        }
    }
    assert_eq!(depth, 0, "unclosed subgraph");
    edges
}

/// Parses dot with the strict parser (`crate::dot`) and checks what
/// Graphviz would draw: a `digraph`, every node stated once with a valid id,
/// a label and a shape, every edge between stated nodes with a label, every
/// cluster labelled. Returns the edges as (from, to).
fn check_dot(text: &str) -> Vec<(String, String)> {
    let graph = dot::parse(text).unwrap_or_else(|error| panic!("malformed dot: {error}\n{text}"));
    assert!(graph.directed && graph.name.as_deref() == Some("topology"));
    assert_eq!(graph.attributes.get("rankdir").map(String::as_str), Some("LR"));
    let mut nodes = BTreeSet::new();
    for node in &graph.nodes {
        assert!(is_identifier(&node.id), "bad id `{}`", node.id);
        assert!(nodes.insert(node.id.as_str()), "{} stated twice", node.id);
        for key in ["label", "shape"] {
            assert!(node.attributes.contains_key(key), "{} has no {key}", node.id);
        }
    }
    for subgraph in &graph.subgraphs {
        let name = subgraph.name.as_deref().unwrap_or_default();
        assert!(name.starts_with("cluster_"), "subgraph `{name}` is not a cluster");
        assert!(
            subgraph.attributes.contains_key("label"),
            "cluster `{name}` has no label"
        );
    }
    graph
        .edges
        .iter()
        .map(|edge| {
            assert!(
                nodes.contains(edge.from.as_str()) && nodes.contains(edge.to.as_str()),
                "edge {} -> {} to an undefined node",
                edge.from,
                edge.to
            );
            assert!(
                edge.attributes.contains_key("label"),
                "edge {} -> {} has no label",
                edge.from,
                edge.to
            );
            (edge.from.clone(), edge.to.clone())
        })
        .collect()
}

#[test]
fn the_load_balancer_scenario_draws_its_request_path() {
    let expected: Vec<(String, String)> = [
        ("users", "dns_www"),
        ("dns_www", "balancer_lb"),
        ("balancer_lb", "pool_web"),
        ("pool_web", "database_db"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let path = support::shipped("04-load-balancer.toml");
    let mermaid = graph(&path, "mermaid");
    assert_eq!(check_mermaid(&mermaid), expected);
    assert!(mermaid.contains("  users -->|\"view_page, update\"| dns_www\n"));
    assert!(mermaid.contains("  pool_web -->|\"read, write\"| database_db\n"));
    assert!(mermaid.contains("pool_web[\"web<br/>pool, 4 × m5.large, 64 workers\"]"));
    let dot_text = graph(&path, "dot");
    assert_eq!(check_dot(&dot_text), expected);
    let parsed = dot::parse(&dot_text).unwrap();
    let pool = parsed.node("pool_web").unwrap();
    assert_eq!(
        dot::label_text(&pool.attributes["label"]),
        "web\npool, 4 × m5.large, 64 workers"
    );
    assert_eq!(pool.attributes["shape"], "box");
    assert_eq!(
        parsed.node("database_db").unwrap().attributes["shape"],
        "cylinder"
    );
    assert_eq!(
        parsed.node("balancer_lb").unwrap().attributes["shape"],
        "trapezium"
    );
    assert_eq!(parsed.edges[0].attributes["label"], "view_page, update");
    assert_eq!(parsed.edges[3].attributes["label"], "read, write");
}

#[test]
fn data_centers_are_labelled_clusters_in_dot() {
    let dot_text = graph(&support::shipped("09-multi-datacenter.toml"), "dot");
    check_dot(&dot_text);
    let parsed = dot::parse(&dot_text).unwrap();
    let labels: Vec<&str> = parsed
        .subgraphs
        .iter()
        .map(|s| s.attributes["label"].as_str())
        .collect();
    assert_eq!(labels, ["dc-us (us)", "dc-eu (eu)"]);
    assert_eq!(
        parsed.node("pool_web_eu").unwrap().subgraph.as_deref(),
        Some("cluster_dc_eu__eu_")
    );
    assert_eq!(parsed.node("users").unwrap().subgraph, None);
}

#[test]
fn every_shipped_scenario_gives_valid_mermaid_and_dot() {
    for path in shipped_scenarios() {
        let edges = check_mermaid(&graph(&path, "mermaid"));
        assert!(
            edges.iter().any(|(from, _)| from == "users"),
            "{}: users reach nothing",
            path.display()
        );
        assert_eq!(
            check_dot(&graph(&path, "dot")),
            edges,
            "{}: both formats draw the same edges",
            path.display()
        );
    }
}

#[test]
fn graph_writes_a_file_and_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("topology.mmd");
    capsim()
        .args(["graph", "scenarios/02-separate-database.toml", "--out"])
        .arg(&out)
        .assert()
        .success();
    check_mermaid(&std::fs::read_to_string(&out).unwrap());
    capsim()
        .args(["graph", "scenarios/02-separate-database.toml", "--format", "svg"])
        .assert()
        .code(2)
        .stderr(contains("invalid value 'svg'"));
    capsim()
        .args(["graph", "scenarios/no-such-file.toml"])
        .assert()
        .code(2)
        .stderr(contains("no such file"));
}
