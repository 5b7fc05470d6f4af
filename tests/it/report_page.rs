//! What report.html says, read from the file `capsim run` writes (no
//! browser needed): the topology as a diagram with every component and
//! edge once and no boxes overlapping; means ± 95 % intervals after
//! replications, in the cards and in the terminal's answer lines; a fault
//! no request saw reads "not seen by requests", not "RTO 0"; the SLO table
//! gives thresholds and measured values in one unit.

use std::fs;
use std::path::Path;

use capsim::report::graph::Topology;

use crate::support::{UNSEEN_FAULT, capsim, run_text, shipped};

/// Runs `scenario` with `extra` arguments; its report.html and stdout.
fn report(scenario: &Path, extra: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = capsim()
        .arg("run")
        .arg(scenario)
        .args(extra)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        fs::read_to_string(out.join("report.html")).unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The inline topology `<svg>` of a report.
fn diagram(page: &str) -> &str {
    let start = page
        .find("<svg id=\"topology-diagram\"")
        .expect("the report draws the topology");
    let end = start + page[start..].find("</svg>").unwrap() + "</svg>".len();
    &page[start..end]
}

#[derive(Debug)]
struct Rect {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

fn rect(node: roxmltree::Node) -> Rect {
    let number = |name: &str| node.attribute(name).unwrap().parse::<f64>().unwrap();
    Rect {
        x: number("x"),
        y: number("y"),
        width: number("width"),
        height: number("height"),
    }
}

#[test]
fn the_topology_is_a_diagram_with_every_component_and_edge_once() {
    for name in ["05-database-replication.toml", "09-multi-datacenter.toml"] {
        let path = shipped(name);
        let scenario = capsim::scenario::load_file(&path, &[]).unwrap().scenario;
        let topology = Topology::of(&scenario);
        // The components as the scenario declares them, counted apart from
        // the topology: the users and one node per component.
        let components = 1
            + scenario.dns.len()
            + scenario.balancers.len()
            + scenario.pools.len()
            + scenario.queues.len()
            + scenario.databases.len()
            + scenario.caches.len()
            + scenario.cdns.len();
        assert_eq!(topology.nodes.len(), components, "{name}");

        let (page, _) = report(
            &path,
            &["--set", "scenario.duration=40s", "--set", "scenario.warmup=10s"],
        );
        let svg = diagram(&page);
        let document = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        let nodes: Vec<roxmltree::Node> = document
            .descendants()
            .filter(|n| n.attribute("class") == Some("node"))
            .collect();
        assert_eq!(nodes.len(), components, "{name}: one box per component");
        for node in &topology.nodes {
            let drawn: Vec<_> = nodes
                .iter()
                .filter(|n| n.attribute("data-id") == Some(node.id.as_str()))
                .collect();
            assert_eq!(drawn.len(), 1, "{name}: {} drawn once", node.name);
            assert_eq!(drawn[0].attribute("data-kind"), Some(node.kind));
            let text: String = drawn[0]
                .descendants()
                .filter(|n| n.has_tag_name("tspan"))
                .filter_map(|n| n.text())
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                text.starts_with(&node.name),
                "{name}: `{text}` names {}",
                node.name
            );
        }
        // Built-in sizes and counts are in the boxes.
        assert!(svg.contains("m5.large"), "{name}: the pool's size is shown");

        let edges: Vec<(&str, &str)> = document
            .descendants()
            .filter(|n| n.attribute("class") == Some("edge"))
            .map(|n| (n.attribute("data-from").unwrap(), n.attribute("data-to").unwrap()))
            .collect();
        assert_eq!(edges.len(), topology.edges.len(), "{name}");
        for edge in &topology.edges {
            let count = edges
                .iter()
                .filter(|(from, to)| *from == edge.from && *to == edge.to)
                .count();
            assert_eq!(count, 1, "{name}: {} → {} drawn once", edge.from, edge.to);
            assert!(
                svg.contains(&format!(">{}</text>", capsim::report::html::escape(&edge.label))),
                "{name}: label {}",
                edge.label
            );
        }

        let boxes: Vec<Rect> = nodes
            .iter()
            .map(|n| rect(n.children().find(|c| c.has_tag_name("rect")).unwrap()))
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let apart = a.x + a.width <= b.x
                    || b.x + b.width <= a.x
                    || a.y + a.height <= b.y
                    || b.y + b.height <= a.y;
                assert!(apart, "{name}: {a:?} overlaps {b:?}");
            }
        }
        // Data centers are boxes around their components.
        let groups = document
            .descendants()
            .filter(|n| n.attribute("class") == Some("group"))
            .count();
        let expected = if name.starts_with("09") { 2 } else { 0 };
        assert_eq!(groups, expected, "{name}");
        // The diagram is in the details, after the first screen's blocks.
        assert!(page.find("id=\"topology\"").unwrap() > page.find("id=\"slo\"").unwrap());
        // The tables remain, folded.
        assert!(page.contains("<summary>The same as tables</summary>"));
    }
}

#[test]
fn replications_show_means_with_their_intervals() {
    let (page, stdout) = report(
        &shipped("drill-single-server.toml"),
        &["--replications", "3", "--set", "scenario.duration=4m"],
    );
    let card = |metric: &str| {
        let start = page
            .find(&format!("data-metric=\"{metric}\"><div class=\"value\">"))
            .unwrap_or_else(|| panic!("no {metric} card"));
        let value = &page[start..];
        let value = &value[value.find("\"value\">").unwrap() + 8..];
        value[..value.find('<').unwrap()].to_owned()
    };
    for metric in ["requests", "throughput_rps", "error_rate", "latency_p99_ms"] {
        assert!(card(metric).contains(" ± "), "{metric}: {}", card(metric));
    }
    assert!(card("error_rate").ends_with(" %"), "{}", card("error_rate"));
    assert!(page.contains("id=\"replicated\""));
    assert!(
        page.contains("<td class=\"num\">61 ± 0</td>"),
        "the drill's RTO ± its interval"
    );
    // The terminal's answer lines.
    for line in [
        "  requests ",
        "  latency  ",
        "  busiest  ",
        "  drill    ",
        "  cost     ",
    ] {
        let found = stdout
            .lines()
            .find(|l| l.starts_with(line))
            .unwrap_or_else(|| panic!("no `{line}` line in\n{stdout}"));
        assert!(found.contains(" ± "), "{found}");
    }
    assert!(
        stdout.contains("  drill    web.instance[0] at 120 s: not detected, RTO 61 ± 0 s, "),
        "{stdout}"
    );
}

#[test]
fn a_fault_no_request_saw_is_not_rto_0_in_the_report() {
    let text = UNSEEN_FAULT;
    let (dir, output) = run_text(text);
    assert!(output.status.success());
    let page = fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(
        page.contains("<tr><td>pool batch</td><td class=\"num\">30</td><td>not detected</td><td>not seen by requests</td>"),
        "{page}"
    );
}

#[test]
fn the_slo_table_gives_thresholds_and_values_in_one_unit() {
    let (page, _) = report(
        &shipped("drill-single-server.toml"),
        &[
            "--slo",
            "errors<1%",
            "--slo",
            "p99<200ms",
            "--slo",
            "web/cpu_utilization<0.8",
        ],
    );
    let start = page.find("<table id=\"slo-table\">").unwrap();
    let table = &page[start..start + page[start..].find("</table>").unwrap()];
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("<tr><td>")).collect();
    assert_eq!(rows.len(), 3, "{table}");
    // An error rate as a percentage on both sides, never `< 0.01`.
    assert!(
        rows[0].starts_with("<tr><td>errors&lt;1%</td><td>&lt; 1 %</td><td class=\"num\">"),
        "{}",
        rows[0]
    );
    let measured = rows[0].split("<td class=\"num\">").nth(1).unwrap();
    let measured = &measured[..measured.find('<').unwrap()];
    assert!(measured.ends_with(" %"), "{measured}");
    let percent: f64 = measured.trim_end_matches(" %").parse().unwrap();
    assert!(
        percent > 1.0 && percent < 100.0,
        "{measured}: the drill fails requests"
    );
    assert!(
        rows[1].contains("<td>&lt; 200 ms</td><td class=\"num\">"),
        "{}",
        rows[1]
    );
    assert!(rows[1].contains(" ms</td><td class=\"pass\">"), "{}", rows[1]);
    // A utilization is a share too.
    assert!(
        rows[2].contains("<td>&lt; 80 %</td><td class=\"num\">"),
        "{}",
        rows[2]
    );
    assert!(rows[2].contains(" %</td><td class=\""), "{}", rows[2]);
}
