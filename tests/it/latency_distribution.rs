//! `latency.csv` and the charts drawn from it and from the objectives, end
//! to end: the distribution's counts are the summary's (conservation), its
//! p99 bucket holds the summary's p99, `capsim chart DIR` redraws the
//! distribution chart, an objective on a station's utilization draws a
//! dashed line at its threshold, and one server that never changes gets no
//! instances chart, only a word in a caption.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{capsim, parse_svg};

fn run(scenario: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    capsim()
        .args(["run", scenario, "--quiet", "--out"])
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    (dir, out)
}

/// (scope, lower_ms, upper_ms, count, all_count) rows of `latency.csv`.
fn latency_rows(out: &Path) -> Vec<(String, f64, f64, u64, u64)> {
    let mut reader = csv::Reader::from_path(out.join("latency.csv")).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec!["scope", "lower_ms", "upper_ms", "count", "all_count"]
    );
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            (
                record[0].to_owned(),
                record[1].parse().unwrap(),
                record[2].parse().unwrap(),
                record[3].parse().unwrap(),
                record[4].parse().unwrap(),
            )
        })
        .collect()
}

fn summary_value(out: &Path, scope: &str, metric: &str) -> f64 {
    let mut reader = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    reader
        .records()
        .map(|record| record.unwrap())
        .find(|record| &record[0] == scope && &record[1] == metric)
        .unwrap_or_else(|| panic!("no {scope} {metric}"))[2]
        .parse()
        .unwrap()
}

#[test]
fn the_distribution_holds_every_request_and_the_p99() {
    let (_dir, out) = run("scenarios/04-load-balancer.toml", &[]);
    let rows = latency_rows(&out);
    let overall: Vec<_> = rows.iter().filter(|row| row.0 == "overall").collect();
    let completed: u64 = overall.iter().map(|row| row.3).sum();
    let ended: u64 = overall.iter().map(|row| row.4).sum();
    assert_eq!(completed as f64, summary_value(&out, "overall", "completed"));
    assert_eq!(
        ended as f64,
        summary_value(&out, "overall", "completed") + summary_value(&out, "overall", "errors")
    );
    // Every request is of one class: the classes add up to the whole.
    let classes: u64 = rows
        .iter()
        .filter(|row| row.0.starts_with("class:"))
        .map(|row| row.3)
        .sum();
    assert_eq!(classes, completed);
    assert!(rows.iter().filter(|row| row.0.starts_with("class:")).count() > 0);
    // Buckets ascend without overlapping, each within 1/16 of its value.
    for pair in overall.windows(2) {
        assert!(pair[0].2 <= pair[1].1, "{pair:?}");
    }
    for row in &overall {
        assert!(row.1 < row.2 && row.2 - row.1 <= row.1 / 16.0 + 1e-6, "{row:?}");
    }
    // The CDF crosses 0.99 in the bucket that holds the summary's p99.
    let p99 = summary_value(&out, "overall", "latency_p99_ms");
    let mut below = 0;
    let crossing = overall
        .iter()
        .find(|row| {
            below += row.3;
            below as f64 >= 0.99 * completed as f64
        })
        .unwrap();
    assert!(
        crossing.1 <= p99 && p99 < crossing.2,
        "p99 {p99} ms is not in the bucket where the CDF reaches 0.99: {crossing:?}"
    );
    let svg = parse_svg(&out.join("charts/latency_distribution.svg"));
    assert!(svg.contains("Latency distribution"));
    assert!(svg.contains("p99 "), "the p99 is marked");
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("id=\"chart-latency_distribution\""));
}

#[test]
fn capsim_chart_redraws_the_distribution_from_the_folder() {
    let (_dir, out) = run("scenarios/04-load-balancer.toml", &["--slo", "p99<500ms"]);
    let first = fs::read(out.join("charts/latency_distribution.svg")).unwrap();
    assert!(
        String::from_utf8_lossy(&first).contains("SLO p99&lt;500ms"),
        "the latency objective is a line on the distribution"
    );
    fs::remove_dir_all(out.join("charts")).unwrap();
    capsim()
        .args(["chart"])
        .arg(&out)
        .args(["--slo", "p99<500ms"])
        .assert()
        .code(predicates::ord::ne(2));
    assert_eq!(
        fs::read(out.join("charts/latency_distribution.svg")).unwrap(),
        first
    );
}

#[test]
fn a_utilization_objective_is_a_dashed_line_at_its_threshold() {
    let (_dir, out) = run(
        "scenarios/04-load-balancer.toml",
        &["--slo", "web/utilization<0.8"],
    );
    let svg = parse_svg(&out.join("charts/utilization.svg"));
    assert!(svg.contains("SLO web/utilization&lt;0.8"), "the line is labelled");
    // The threshold's dashes: short horizontal red segments, all at one
    // height, across the plot.
    let dashes: Vec<(f64, f64, f64)> = svg
        .split("<path ")
        .filter(|path| path.contains("stroke=\"#aa0000\""))
        .flat_map(|path| {
            let d = path
                .split("d=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned();
            segments(&d)
        })
        .collect();
    assert!(dashes.len() > 20, "{} dashes", dashes.len());
    let y = dashes[0].1;
    assert!(dashes.iter().all(|dash| (dash.1 - y).abs() < 0.01), "{dashes:?}");
    // Where the axis puts 0.8: between the ticks 0.7 and 0.9, as the
    // latency of others would not be.
    let no_slo = {
        let (_dir, out) = run("scenarios/04-load-balancer.toml", &[]);
        parse_svg(&out.join("charts/utilization.svg"))
    };
    assert!(!no_slo.contains("#aa0000"), "no objective, no line");
}

/// `(x0, y, x1)` of each `M x0 y L x1 y` segment of a path's data.
fn segments(d: &str) -> Vec<(f64, f64, f64)> {
    let numbers: Vec<f64> = d
        .split(|c: char| c == 'M' || c == 'L' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().unwrap())
        .collect();
    numbers
        .chunks(4)
        .filter(|chunk| chunk.len() == 4 && (chunk[1] - chunk[3]).abs() < 0.01)
        .map(|chunk| (chunk[0], chunk[1], chunk[2]))
        .collect()
}

#[test]
fn one_server_that_never_changes_gets_no_instances_chart() {
    let (_dir, out) = run("scenarios/01-single-server.toml", &[]);
    assert!(!out.join("charts/instances.svg").exists());
    assert!(!out.join("charts/instances.png").exists());
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("every value is the same") && report.contains("instances (1)"),
        "the caption says why"
    );
    // A pool that changes keeps its chart: the reference run's balancer.
    let (_dir, drill) = run("scenarios/drill-single-server.toml", &[]);
    assert!(drill.join("charts/instances.svg").exists());
}
