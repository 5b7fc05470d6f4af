//! `capsim graph`: every shipped scenario's topology as Mermaid and as
//! Graphviz dot, checked for structure (each node defined once with a
//! valid id, every edge between defined nodes, balanced brackets and
//! quotes) and, for dot, rendered by Graphviz itself.

use std::collections::BTreeSet;
use std::path::Path;

use predicates::str::contains;

use crate::support::{self, capsim, find_program, may_skip_external, run_with_limit, shipped_scenarios};

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

/// Checks dot structure: balanced braces, quoted ids, defined endpoints.
fn check_dot(text: &str) -> Vec<(String, String)> {
    assert!(text.starts_with("digraph topology {\n") && text.ends_with("}\n"));
    assert_eq!(
        text.matches('{').count(),
        text.matches('}').count(),
        "unbalanced braces"
    );
    let mut nodes = BTreeSet::new();
    let mut edges = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with('"')) {
        let unescaped = line.replace("\\\"", "");
        assert_eq!(unescaped.matches('"').count() % 2, 0, "unbalanced quotes: {line}");
        let parts: Vec<&str> = line.split('"').collect();
        if parts[2] == " -> " {
            assert!(
                nodes.contains(parts[1]) && nodes.contains(parts[3]),
                "undefined endpoint: {line}"
            );
            edges.push((parts[1].to_owned(), parts[3].to_owned()));
        } else {
            assert!(is_identifier(parts[1]), "bad id in {line}");
            assert!(nodes.insert(parts[1].to_owned()), "{} defined twice", parts[1]);
        }
    }
    edges
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
    assert_eq!(check_dot(&graph(&path, "dot")), expected);
}

#[test]
fn every_shipped_scenario_gives_valid_mermaid_and_dot() {
    let dot_program = find_program(&["dot"]);
    if dot_program.is_none() {
        assert!(
            may_skip_external(),
            "Graphviz `dot` is required to check the dot output: apt-get install graphviz \
             (.ci/run installs it; set CAPSIM_SKIP_EXTERNAL=1 to skip outside CI)"
        );
        eprintln!("skipping `dot -Tsvg`: Graphviz is not installed and CAPSIM_SKIP_EXTERNAL=1");
    }
    for path in shipped_scenarios() {
        let edges = check_mermaid(&graph(&path, "mermaid"));
        assert!(
            edges.iter().any(|(from, _)| from == "users"),
            "{}: users reach nothing",
            path.display()
        );
        let dot = graph(&path, "dot");
        assert_eq!(
            check_dot(&dot),
            edges,
            "{}: both formats draw the same edges",
            path.display()
        );
        if let Some(program) = &dot_program {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("topology.dot");
            std::fs::write(&file, &dot).unwrap();
            let mut command = std::process::Command::new(program);
            command.arg("-Tsvg").arg(&file);
            let (ok, svg, stderr) = run_with_limit(command, std::time::Duration::from_secs(60));
            assert!(
                ok && stderr.trim().is_empty(),
                "{}: dot failed: {stderr}",
                path.display()
            );
            let options = roxmltree::ParsingOptions {
                allow_dtd: true,
                ..roxmltree::ParsingOptions::default()
            };
            let document =
                roxmltree::Document::parse_with_options(&svg, options).expect("Graphviz writes XML");
            let titles: Vec<&str> = document
                .descendants()
                .filter(|n| n.has_tag_name("title"))
                .filter_map(|n| n.text())
                .collect();
            assert!(titles.contains(&"users"), "{}: {titles:?}", path.display());
        }
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
