//! Charts of a reference run, end to end: `capsim run` draws every chart
//! type its metrics call for, each SVG parses as XML and each PNG decodes,
//! neither is blank (the data lines are there in the palette's colours),
//! metrics that new component kinds will add get their charts by name,
//! events become markers, `capsim chart DIR` redraws the same bytes, and a
//! second run gives byte-identical charts.

use std::fs;
use std::path::{Path, PathBuf};

use capsim::report::chart::{HEIGHT, PALETTE, PANEL_HEIGHT, WIDTH};
use predicates::str::contains;

use crate::support::{self, capsim, parse_svg, png_ink};

/// The charts the load-balancer scenario's metrics call for.
/// (Its four instances never change: no `instances` chart, only a word in
/// a caption.)
const REFERENCE_CHARTS: [&str; 13] = [
    "database_operations",
    "errors",
    "hit_ratio",
    "imbalance",
    "in_flight",
    "latency",
    "latency_by_class",
    "latency_distribution",
    "other_metrics",
    "queue",
    "throughput",
    "utilization",
    "wait",
];

/// Runs the reference scenario (04, load balancer) into a temporary folder.
fn reference_run(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    capsim()
        .args(["run", "scenarios/04-load-balancer.toml", "--quiet", "--out"])
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    (dir, out)
}

/// Chart names (file stems) in `charts/`, sorted, with both extensions present.
fn chart_names(out: &Path) -> Vec<String> {
    let mut stems: Vec<String> = fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "svg"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    for stem in &stems {
        assert!(
            out.join("charts").join(format!("{stem}.png")).is_file(),
            "{stem}.png is missing"
        );
    }
    stems
}

/// One chart's SVG parses and has a title, axis texts and data lines; its
/// PNG decodes at the chart's size with lines drawn in the palette.
fn assert_chart_is_drawn(out: &Path, name: &str) {
    let svg_path = out.join("charts").join(format!("{name}.svg"));
    let svg = parse_svg(&svg_path);
    assert!(svg.contains("<text"), "{name}.svg has no text");
    let axis = if name == "latency_distribution" {
        "latency (ms, log scale)"
    } else {
        "time ("
    };
    assert!(svg.contains(axis), "{name}.svg has no `{axis}` axis label");
    // The SVG is resvg's own (text as outlines): a data line is an unfilled
    // path of several segments, in the palette's first colour.
    let first = PALETTE[0];
    let stroke = format!("#{:02x}{:02x}{:02x}", first.0, first.1, first.2);
    let lines = svg
        .split("<path ")
        .filter(|path| path.contains("fill=\"none\"") && path.to_ascii_lowercase().contains(&stroke))
        .filter(|path| {
            path.split(['>', '/'])
                .next()
                .is_some_and(|tag| tag.matches(" L ").count() >= 2)
        })
        .count();
    assert!(lines > 0, "{name}.svg draws no line in {stroke}");

    let png_path = out.join("charts").join(format!("{name}.png"));
    let (width, height, pixels, channels) = support::decode_png(&png_path);
    assert_eq!(width, WIDTH, "{name}.png width");
    assert!(
        height == HEIGHT || (height - 48) % PANEL_HEIGHT == 0,
        "{name}.png height {height}"
    );
    let total = pixels.len() / channels;
    let (ink, first_colour) = png_ink(&png_path, [first.0, first.1, first.2]);
    // Text, axes, grid and lines: a few per cent of the pixels, far from blank
    // and far from a filled canvas.
    assert!(
        ink > total / 50 && ink < total / 2,
        "{name}.png: {ink} of {total} pixels drawn"
    );
    assert!(
        first_colour > 300,
        "{name}.png: only {first_colour} pixels of the first line colour"
    );
}

#[test]
fn every_chart_of_the_reference_run_is_valid_and_drawn() {
    let (_dir, out) = reference_run(&[]);
    assert_eq!(chart_names(&out), REFERENCE_CHARTS);
    for name in REFERENCE_CHARTS {
        assert_chart_is_drawn(&out, name);
    }
    let latency = fs::read_to_string(out.join("charts/latency.svg")).unwrap();
    for text in [
        "Latency percentiles",
        "latency (ms)",
        "time (s)",
        "p50",
        "p95",
        "p99",
        "warm-up end",
    ] {
        assert!(latency.contains(text), "latency.svg lacks `{text}`");
    }
    let utilization = fs::read_to_string(out.join("charts/utilization.svg")).unwrap();
    for text in [
        "web workers",
        "web CPU",
        "db workers",
        "utilization (fraction busy)",
    ] {
        assert!(utilization.contains(text), "utilization.svg lacks `{text}`");
    }
    let classes = svg_texts(&out.join("charts/latency_by_class.svg"));
    for text in ["view_page", "update", "p50", "p99"] {
        assert!(
            classes.iter().any(|t| t == text),
            "latency_by_class.svg lacks `{text}`: {classes:?}"
        );
    }
}

/// The texts of an SVG's `<text>` elements, trimmed.
fn svg_texts(path: &Path) -> Vec<String> {
    let svg = parse_svg(path);
    let document = roxmltree::Document::parse(&svg).unwrap();
    document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text())
        .map(|text| text.trim().to_owned())
        .collect()
}

/// Appends rows to a CSV file of the run.
fn append(path: &Path, rows: &str) {
    let mut text = fs::read_to_string(path).unwrap();
    text.push_str(rows);
    fs::write(path, text).unwrap();
}

#[test]
fn metrics_of_new_components_and_faults_get_charts_and_markers() {
    let (_dir, out) = reference_run(&[]);
    // What replicated databases, caches, autoscaling and fault drills will
    // write: the charts must follow the metric names alone.
    let mut rows = String::new();
    for window in 1..=60 {
        let time = window * 10;
        let lag = if (30..40).contains(&window) { 250.0 } else { 5.0 };
        let instances = if window < 30 { 4 } else { 3 };
        rows.push_str(&format!(
            "{time},db,replication_lag_ms,{lag}\n{time},web,instances,{instances}\n\
             {time},cache,hit_ratio,0.8\n{time},overall,cost_usd,0.0016\n{time},overall,errors_partition,{}\n",
            window % 3
        ));
    }
    append(&out.join("timeseries.csv"), &rows);
    append(
        &out.join("events.csv"),
        "300,fault,web-1,killed\n315,detection,lb,web-1 failed its health checks\n400,scale_out,web,3 -> 4\n",
    );
    capsim()
        .arg("chart")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("report.html"));
    let names = chart_names(&out);
    for name in ["replication_lag", "instances", "cost", "hit_ratio", "errors"] {
        assert!(names.contains(&name.to_owned()), "no {name} chart in {names:?}");
        assert_chart_is_drawn(&out, name);
    }
    let lag = fs::read_to_string(out.join("charts/replication_lag.svg")).unwrap();
    for text in [
        "Replication lag",
        "replication lag (ms)",
        "fault web-1",
        "scale out web",
    ] {
        assert!(lag.contains(text), "replication_lag.svg lacks `{text}`");
    }
    let errors = fs::read_to_string(out.join("charts/errors.svg")).unwrap();
    assert!(errors.contains("failed: partition"));
    let hit_ratio = svg_texts(&out.join("charts/hit_ratio.svg"));
    assert!(hit_ratio.iter().any(|t| t == "cache") && hit_ratio.iter().any(|t| t == "www"));
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("<td>fault</td><td>web-1</td><td>killed</td>"));
}

#[test]
fn chart_redraws_what_run_drew_and_runs_repeat_byte_for_byte() {
    let (_first_dir, first) = reference_run(&["--slo", "p99<200ms"]);
    let (_second_dir, second) = reference_run(&["--slo", "p99<200ms"]);
    let files: Vec<String> = chart_names(&first)
        .iter()
        .flat_map(|name| [format!("charts/{name}.svg"), format!("charts/{name}.png")])
        .chain(["report.html".to_owned()])
        .collect();
    for file in &files {
        assert!(
            fs::read(first.join(file)).unwrap() == fs::read(second.join(file)).unwrap(),
            "{file} differs between two runs of the same scenario and seed"
        );
    }
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|file| fs::read(first.join(file)).unwrap())
        .collect();
    capsim()
        .args(["chart", "--slo", "p99<200ms"])
        .arg(&first)
        .assert()
        .success()
        .stdout(contains("SLO p99<200ms  met"));
    for (file, bytes) in files.iter().zip(before) {
        assert!(
            fs::read(first.join(file)).unwrap() == bytes,
            "`capsim chart` redrew {file} differently"
        );
    }
}

#[test]
fn stale_charts_are_removed_when_a_folder_is_redrawn() {
    let (_dir, out) = reference_run(&[]);
    // A chart an earlier capsim drew (its marker lists it), and a file of
    // the user's.
    fs::write(out.join("charts/old_metric.svg"), "<svg/>").unwrap();
    let mut marker = fs::read_to_string(out.join(".capsim-out")).unwrap();
    marker.push_str("charts/old_metric.svg\n");
    fs::write(out.join(".capsim-out"), marker).unwrap();
    fs::write(out.join("charts/notes.txt"), "mine").unwrap();
    capsim().arg("chart").arg(&out).assert().success();
    assert!(!out.join("charts/old_metric.svg").exists());
    assert!(
        out.join("charts/notes.txt").exists(),
        "only chart files are removed"
    );
}

#[test]
fn chart_rejects_a_folder_without_a_run() {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("chart")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("has no `summary.csv`: it is not a finished run"));
    fs::write(
        dir.path().join("summary.csv"),
        "scope,metric,value\noverall,requests,lots\n",
    )
    .unwrap();
    capsim()
        .arg("chart")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("line 2: `lots` in `value` is not a number"));
}

#[test]
fn a_bad_slo_stops_run_and_chart_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    capsim()
        .args([
            "run",
            "scenarios/04-load-balancer.toml",
            "--slo",
            "p99<200",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains(
            "invalid SLO `p99<200`: `200` has no unit: write `200ms`",
        ));
    assert!(!out.exists(), "nothing is written for a bad SLO");
    capsim()
        .args(["chart", "--slo", "latency"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("expected METRIC<THRESHOLD"));
    capsim()
        .args(["chart", "--slo", "web/cpu_utilisation<0.8"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains(
            "`cpu_utilisation` is not a metric (did you mean `cpu_utilization`?)",
        ));
}

#[test]
fn a_failed_run_leaves_no_report_or_charts_of_the_previous_one() {
    let (_dir, out) = reference_run(&[]);
    assert!(out.join("report.html").is_file() && out.join("charts/latency.svg").is_file());
    capsim()
        .args([
            "run",
            "scenarios/04-load-balancer.toml",
            "--quiet",
            "--set",
            "limits.max_in_flight=5",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(1);
    assert!(
        !out.join("report.html").exists(),
        "the old report would describe results that are gone"
    );
    assert!(!out.join("charts/latency.svg").exists() && !out.join("charts/latency.png").exists());
}
