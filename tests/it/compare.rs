//! `capsim compare`: shipped scenarios side by side show the differences
//! their comments promise, variants share random numbers (the same arrivals
//! reach both designs), and the CSV, charts and page are written.

use std::fs;
use std::path::Path;

use predicates::str::contains;

use crate::support::{capsim, parse_svg};

/// Runs `capsim compare` with `args` into a temporary folder; returns the
/// folder and stdout.
fn compare(args: &[&str]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = capsim()
        .arg("compare")
        .args(args)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "compare failed:\n{stdout}\n{stderr}");
    (dir, stdout)
}

/// The cells of the table row for `scope` and `metric`.
fn row<'a>(table: &'a str, scope: &str, metric: &str) -> Vec<&'a str> {
    table
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.len() > 2 && cells[0] == scope && cells[1] == metric)
        .unwrap_or_else(|| panic!("no row {scope} {metric} in:\n{table}"))
}

fn number(cell: &str) -> f64 {
    cell.trim_end_matches('%')
        .parse()
        .unwrap_or_else(|_| panic!("`{cell}` is not a number"))
}

#[test]
fn separating_the_database_frees_the_web_cpu() {
    // 01's comments: the one box's CPU is at ≈ 74 %; 02's: the web box drops
    // to ≈ 30 % once the database has its own machine. The table gives
    // utilizations in percent ("74.4 % (server CPU)"), differences in
    // percentage points ("-44.6 pp").
    let (dir, table) = compare(&[
        "scenarios/01-single-server.toml",
        "scenarios/02-separate-database.toml",
    ]);
    let header = row(&table, "scope", "metric");
    assert_eq!(
        header,
        [
            "scope",
            "metric",
            "01-single-server",
            "02-separate-database",
            "diff",
            "diff",
            "%"
        ]
    );
    // The bottleneck row lines up the two designs' busiest stations.
    let bottleneck = row(&table, "bottleneck", "utilization");
    assert_eq!(
        (bottleneck[3], bottleneck[4], bottleneck[7], bottleneck[8]),
        ("%", "(server", "%", "(web"),
        "{bottleneck:?}"
    );
    let (single, separate) = (number(bottleneck[2]), number(bottleneck[6]));
    assert!((70.0..78.0).contains(&single), "01 CPU {single}");
    assert!((26.0..34.0).contains(&separate), "02 web CPU {separate}");
    assert_eq!(bottleneck[11], "pp", "{bottleneck:?}");
    let diff = number(bottleneck[10]);
    // Each of the three is rounded to 0.1 pp (at most 0.05 off).
    assert!((diff - (separate - single)).abs() <= 0.15 + 1e-9, "diff {diff}");
    assert!(number(bottleneck[12]) < -50.0, "more than halved: {bottleneck:?}");
    // Each design's own stations have their rows; the other design has none.
    assert_eq!(row(&table, "server", "cpu_utilization")[4], "-");
    assert_eq!(row(&table, "web", "cpu_utilization")[2], "-");
    // 02's comment: p99 is lower despite two extra network hops.
    let p99 = row(&table, "overall", "latency_p99_ms");
    assert!(number(p99[4]) < 0.0, "p99 should drop: {p99:?}");

    let csv = fs::read_to_string(dir.path().join("compare.csv")).unwrap();
    assert!(csv.starts_with("variant,scope,metric,value,diff,diff_pct\n"));
    assert!(csv.contains("\n02-separate-database,bottleneck,utilization,0.2"));
    assert_outputs(dir.path(), &["01-single-server", "02-separate-database"]);
}

#[test]
fn a_small_box_variant_overloads_the_cpu_with_the_same_arrivals() {
    // 03's comments: with --set pool.web.size=m5.large the old box at the new
    // load is overloaded (ρ ≈ 0.9 on the CPU) and p99 jumps.
    let (dir, table) = compare(&[
        "scenarios/03-vertical-scaling.toml",
        "--variant",
        "small:pool.web.size=m5.large",
        "--slo",
        "p99<200ms",
    ]);
    // In percent: "22.4 %  89.6 %  +67.2 pp  +300.0 %".
    let cpu = row(&table, "web", "cpu_utilization");
    let (big, small) = (number(cpu[2]), number(cpu[4]));
    assert!((20.0..26.0).contains(&big), "m5.2xlarge CPU {big}");
    assert!((85.0..95.0).contains(&small), "m5.large CPU {small}");
    assert!(number(cpu[8]) > 250.0, "CPU load more than triples: {cpu:?}");
    // The CPU queue shows in the tail: tens of milliseconds on top of the
    // ≈ 60 ms the client's network already takes.
    let p99 = row(&table, "overall", "latency_p99_ms");
    assert!(
        number(p99[4]) > 20.0 && number(p99[5]) > 25.0,
        "p99 jumps: {p99:?}"
    );
    // Common random numbers: both designs see exactly the same requests.
    let requests = row(&table, "overall", "requests");
    assert_eq!(requests[2], requests[3], "same arrivals in both variants");
    assert_eq!(requests[4], "0");
    assert_outputs(dir.path(), &["03-vertical-scaling", "small"]);
    let page = fs::read_to_string(dir.path().join("compare.html")).unwrap();
    assert!(page.contains("id=\"slo-table\"") && page.contains("p99&lt;200ms"));
}

/// The per-variant folders, the CSV, the overlay charts and the page.
fn assert_outputs(dir: &Path, variants: &[&str]) {
    for variant in variants {
        for file in ["summary.csv", "report.html", "charts/latency.png"] {
            assert!(dir.join(variant).join(file).is_file(), "{variant}/{file} missing");
        }
        let resolved = fs::read_to_string(dir.join(variant).join("scenario.resolved.toml")).unwrap();
        assert!(
            resolved.contains("seed = 1"),
            "every variant runs with the shared seed"
        );
    }
    for chart in [
        "compare_latency_p99",
        "compare_throughput",
        "compare_errors",
        "compare_utilization",
    ] {
        let svg = parse_svg(&dir.join("charts").join(format!("{chart}.svg")));
        for variant in variants {
            assert!(svg.contains(variant), "{chart}.svg has no line for {variant}");
        }
        crate::support::decode_png(&dir.join("charts").join(format!("{chart}.png")));
    }
    let page = fs::read_to_string(dir.join("compare.html")).unwrap();
    assert!(page.contains("id=\"compare-table\""));
    assert_eq!(page.matches("<svg").count(), 4, "four overlay charts inline");
    for variant in variants {
        assert!(page.contains(&format!("href=\"{variant}/report.html\"")));
    }
}

#[test]
fn variants_override_seeds_so_all_share_random_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let other_seed = dir.path().join("other-seed.toml");
    let text = fs::read_to_string(crate::support::shipped("02-separate-database.toml")).unwrap();
    fs::write(
        &other_seed,
        text.replacen("seed = 1", "seed = 7", 1)
            .replacen("duration = \"10m\"", "duration = \"2m\"", 1),
    )
    .unwrap();
    let out = dir.path().join("out");
    capsim()
        .arg("compare")
        .arg(crate::support::shipped("02-separate-database.toml"))
        .arg(&other_seed)
        .args(["--set", "scenario.duration=2m", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stderr(contains(
            "note: `other-seed` runs with seed 1 (its scenario says 7)",
        ));
    // Same scenario, same seed: identical results.
    let first = fs::read(out.join("02-separate-database/summary.csv")).unwrap();
    let second = fs::read(out.join("other-seed/summary.csv")).unwrap();
    assert!(
        first == second,
        "the same design with the shared seed gives the same summary"
    );
}

#[test]
fn compare_rejects_what_it_cannot_compare() {
    capsim()
        .args(["compare", "scenarios/02-separate-database.toml"])
        .assert()
        .code(2)
        .stderr(contains("nothing to compare"));
    capsim()
        .args([
            "compare",
            "scenarios/02-separate-database.toml",
            "--variant",
            "pool.web.instances=2",
        ])
        .assert()
        .code(2)
        .stderr(contains("expected NAME:PATH=VALUE"));
    capsim()
        .args([
            "compare",
            "scenarios/02-separate-database.toml",
            "--variant",
            "02-separate-database:pool.web.instances=2",
        ])
        .assert()
        .code(2)
        .stderr(contains("two variants are named `02-separate-database`"));
    capsim()
        .args([
            "compare",
            "scenarios/02-separate-database.toml",
            "--variant",
            "big:pool.web.instancs=2",
        ])
        .assert()
        .code(2)
        .stderr(contains("instancs"));
}
