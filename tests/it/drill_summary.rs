//! A drill's answer where a person looks first: `capsim run` prints a line
//! per fault that struck (detection, RTO, RPO where writes were lost,
//! failed requests, users affected) and report.html shows them in a Drills
//! block right after the summary, each component named once; both carry
//! the numbers of summary.csv's `drill:` scopes.

use std::path::Path;

use crate::support::{capsim, shipped};

/// Runs `scenario` into a temporary folder; its stdout, summary.csv rows
/// and report.html.
fn run(scenario: &Path, overrides: &[&str]) -> (String, Vec<(String, String, String)>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = capsim();
    command.arg("run").arg(scenario).arg("--out").arg(dir.path());
    for set in overrides {
        command.args(["--set", set]);
    }
    let output = command.output().expect("capsim runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}");
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).expect("summary.csv");
    let rows = summary
        .lines()
        .skip(1)
        .map(|line| {
            // A scope may be quoted (a partition's `|` is not, but be safe).
            let (rest, value) = line.rsplit_once(',').expect("three columns");
            let (scope, metric) = rest.rsplit_once(',').expect("three columns");
            (
                scope.trim_matches('"').to_owned(),
                metric.to_owned(),
                value.to_owned(),
            )
        })
        .collect();
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("report.html");
    (stdout, rows, html)
}

fn value(rows: &[(String, String, String)], scope: &str, metric: &str) -> Option<f64> {
    rows.iter()
        .find(|(s, m, _)| s == scope && m == metric)
        .map(|(_, _, value)| value.parse().expect("a number"))
}

fn drill_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("drill "))
        .collect()
}

#[test]
fn a_single_server_drill_prints_its_rto_and_blast_radius() {
    let (stdout, rows, html) = run(&shipped("drill-single-server.toml"), &[]);
    let scope = "drill:web.instance[0]@120s";
    let rto = value(&rows, scope, "rto_s").expect("recovered");
    let failed: f64 = ["rejected", "timeout", "refused", "reset", "unavailable"]
        .iter()
        .map(|cause| value(&rows, scope, &format!("errors_{cause}")).unwrap_or(0.0))
        .sum();
    let users = value(&rows, scope, "users_affected").expect("users");
    let attempts = value(&rows, scope, "failed_attempts").expect("attempts");
    assert!(failed > 30_000.0 && users > 10_000.0, "{failed} {users}");
    assert_eq!(
        value(&rows, scope, "time_to_detect_s"),
        None,
        "nothing detects a lone server"
    );
    let lines = drill_lines(&stdout);
    assert_eq!(
        lines,
        [format!(
            "drill    web.instance[0] at 120 s: not detected, RTO {rto} s, {failed} requests failed \
             ({attempts} attempts), {users} users affected"
        )],
        "{stdout}"
    );
    // The Drills block is in the first screen: after the summary cards and
    // the SLO verdicts, before the bottleneck and the tables; it names the
    // instance once.
    let drills = html.find("<section id=\"drills\">").expect("a Drills block");
    let summary = html.find("<section id=\"summary\">").expect("a summary");
    let slo = html.find("<section id=\"slo\">").expect("SLOs");
    let bottleneck = html.find("<section id=\"bottleneck\">").expect("a bottleneck");
    assert!(summary < slo && slo < drills && drills < bottleneck);
    let block = &html[drills..bottleneck];
    assert!(
        block.contains(&format!(
            "<tr><td>web.instance[0]</td><td class=\"num\">120</td><td>not detected</td><td class=\"num\">{rto}</td><td></td><td class=\"num\">{failed}</td><td class=\"num\">{users}</td></tr>"
        )),
        "{block}"
    );
    assert!(!block.contains("pool.web"), "the kind is not repeated: {block}");
    // No longer buried among "Other components".
    let others = html.find("id=\"components-table\"").map_or("", |start| {
        &html[start..start + html[start..].find("</table>").unwrap()]
    });
    assert!(!others.contains("drill:"), "{others}");
}

/// A failover that loses writes has an RPO, which both the line and the
/// block show, with its detection time.
#[test]
fn a_primary_database_drill_shows_detection_and_rpo() {
    let (stdout, rows, html) = run(&shipped("drill-primary-database.toml"), &[]);
    let scope = "drill:db.primary@180s";
    let detect = value(&rows, scope, "time_to_detect_s").expect("detected");
    let rpo = value(&rows, scope, "rpo_s").expect("writes lost");
    let lost = value(&rows, scope, "lost_writes").expect("lost writes");
    let lines = drill_lines(&stdout);
    assert_eq!(lines.len(), 1, "{stdout}");
    let line = lines[0];
    assert!(line.starts_with("drill    db.primary at 180 s: "), "{line}");
    assert!(line.contains(&format!("detected after {detect} s")), "{line}");
    assert!(
        line.contains(&format!("RPO {rpo:.3} s ({lost} writes lost)")),
        "{line}"
    );
    let block = &html[html.find("<section id=\"drills\">").expect("a Drills block")..];
    let block = &block[..block.find("</section>").unwrap()];
    assert!(block.contains("<td>db.primary</td>"), "{block}");
    assert!(
        block.contains(&format!("<td class=\"num\">{detect}</td>")),
        "{block}"
    );
}

/// Random faults can strike many times: the terminal shows the first ten
/// and counts the rest; a run without faults prints no drill line and has
/// no Drills block.
#[test]
fn many_drills_are_capped_and_none_are_absent() {
    let text = std::fs::read_to_string(shipped("drill-single-server.toml")).expect("shipped");
    let random = text.replace(
        "at = \"2m\"\nkill = \"pool.web.instance[0]\"\nfor = \"1m\"",
        "kill = \"pool.web.instance[0]\"\nmtbf = { dist = \"exp\", mean = \"10s\" }\nmttr = { dist = \"exp\", mean = \"1s\" }",
    );
    assert_ne!(random, text, "the fault was replaced");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("random.toml");
    std::fs::write(&path, random).expect("written");
    let (stdout, rows, html) = run(&path, &[]);
    let drills = rows
        .iter()
        .filter(|(scope, metric, _)| scope.starts_with("drill:") && metric == "fault_at_s")
        .count();
    assert!(drills > 10, "{drills} drills");
    let lines = drill_lines(&stdout);
    assert_eq!(lines.len(), 11, "{stdout}");
    assert_eq!(
        lines[10],
        format!(
            "drill    … and {} more in summary.csv (`drill:` scopes)",
            drills - 10
        )
    );
    assert!(html.contains(&format!("{} more drills are in summary.csv", drills - 10)));

    let (stdout, _, html) = run(&shipped("01-single-server.toml"), &["scenario.duration=2m"]);
    assert!(drill_lines(&stdout).is_empty(), "{stdout}");
    assert!(!html.contains("id=\"drills\""));
}
