//! Issue 22's hardening: results that claim nothing when nothing was
//! measured, faults that cannot panic, diagnostics and outputs bounded in
//! time and size, precise percentiles at every scale, and names that cannot
//! smuggle formulas or text-direction controls into outputs.

use crate::support::capsim;

/// A restore with `for` has nothing to undo: it is refused at load time
/// (exit 2, the `for` field named), not a panic in the run (exit 101).
#[test]
fn a_restore_with_for_is_a_load_time_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("restore.toml");
    std::fs::write(
        &path,
        r#"[scenario]
duration = "10s"

[workload]
arrivals = { kind = "open", rate = "10/s" }
mix = [{ class = "a", call = "web/x" }]

[pool.web]
workers = 2

[pool.web.endpoint.x]
service = "1ms"

[[faults]]
at = "2s"
for = "3s"
restore = "pool.web"
"#,
    )
    .expect("write");
    let out = dir.path().join("out");
    let runs: [Vec<&std::ffi::OsStr>; 2] = [
        vec!["validate".as_ref(), path.as_os_str()],
        vec![
            "run".as_ref(),
            path.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
    ];
    for arguments in runs {
        let command = arguments[0].to_string_lossy().into_owned();
        let output = capsim().args(&arguments).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains("a restore cannot last `for` a time") && stderr.contains("faults[0].for"),
            "{stderr}"
        );
        assert!(stderr.contains("restore.toml:16:7"), "{stderr}");
    }
}

/// A minimal valid scenario with `name` as its title and `pool` as its pool.
fn named(title: &str, pool: &str, class: &str) -> String {
    format!(
        r#"[scenario]
name = "{title}"
duration = "10s"

[workload]
arrivals = {{ kind = "open", rate = "10/s" }}
mix = [{{ class = "{class}", call = "{pool}/x" }}]

[pool."{pool}"]
workers = 2

[pool."{pool}".endpoint.x]
service = "1ms"
"#
    )
}

fn load_errors(text: &str, overrides: &[&str]) -> Vec<String> {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    match capsim::scenario::load_text("names.toml", text, &overrides, std::path::Path::new("."), "n") {
        Ok(_) => Vec::new(),
        Err(error) => error.errors().map(|d| d.message.clone()).collect(),
    }
}

/// Names become CSV cells; one that starts like a formula is refused at
/// load time, for components, classes and compared variants alike.
#[test]
fn names_that_a_spreadsheet_reads_as_formulas_are_refused() {
    assert!(load_errors(&named("ok", "web", "a"), &[]).is_empty());
    let errors = load_errors(&named("ok", "-1-1", "a"), &[]);
    assert!(
        errors
            .iter()
            .any(|e| e == "`-1-1` starts with `-`, which a spreadsheet reads as a formula"),
        "{errors:?}"
    );
    let errors = load_errors(&named("ok", "web", "-2-3"), &[]);
    assert!(
        errors.iter().any(|e| e.contains("`-2-3` starts with `-`")),
        "{errors:?}"
    );
    // `+`, `=` and `@` were never name characters; they stay refused.
    for name in ["+1", "=1+1", "@SUM(A1)"] {
        assert!(!load_errors(&named("ok", "web", name), &[]).is_empty(), "{name}");
    }
    // Through the CLI, exit 2 with the field.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("formula.toml");
    std::fs::write(&path, named("ok", "web", "a")).expect("write");
    let output = capsim()
        .arg("validate")
        .arg(&path)
        .args(["--set", "workload.mix[0].class=-1-1"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("workload.mix[0].class") && stderr.contains("--set #1"),
        "{stderr}"
    );
    // A compared variant's name is a CSV cell too.
    let output = capsim()
        .arg("compare")
        .arg(&path)
        .args(["--variant=-1-1:pool.web.workers=4", "--out"])
        .arg(dir.path().join("compare"))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid variant name `-1-1`"), "{stderr}");
}

/// A right-to-left override in the title (or anywhere) is refused at load
/// time, at its line and column, so it never reaches report.html's title.
#[test]
fn text_direction_controls_are_refused_where_they_are() {
    let text = named("sales \u{202E}gpj.exe", "web", "a");
    let overrides: Vec<String> = Vec::new();
    let error = capsim::scenario::load_text("bidi.toml", &text, &overrides, std::path::Path::new("."), "b")
        .expect_err("a direction control is refused");
    let diagnostic = error.errors().next().expect("an error");
    assert_eq!(
        diagnostic.message,
        "the scenario contains U+202E RIGHT-TO-LEFT OVERRIDE, an invisible character that reorders how text is displayed"
    );
    let location = error
        .sources
        .locate(diagnostic.span.as_ref().expect("a span"))
        .expect("located");
    assert_eq!((location.line, location.column), (2, 15));
    // In an override, and in a comment, too; each one is reported.
    let errors = load_errors(
        &format!("# \u{2067}isolate\u{2069}\n{}", named("ok", "web", "a")),
        &["scenario.description=a\u{200F}b"],
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
}

/// Two minutes of service per request in a one-minute run: 6,020 requests
/// arrive and none completes.
const NOTHING_COMPLETES: &str = r#"[scenario]
name = "saturated"
duration = "60s"

[workload]
arrivals = { kind = "open", rate = "100/s" }
mix = [{ class = "a", call = "web/x" }]

[pool.web]
workers = 1

[pool.web.endpoint.x]
service = "2m"
"#;

/// A run in which nothing completed has no latency — blank cells, not 0 —
/// no error rate (nothing ended), meets no SLO on them, and says it is
/// saturated: on stdout, in summary.csv and in report.html.
#[test]
fn a_run_in_which_nothing_completed_reports_no_latency_and_misses_its_slo() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("saturated.toml");
    std::fs::write(&path, NOTHING_COMPLETES).expect("write");
    let out = dir.path().join("out");
    let output = capsim()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .args(["--slo", "p99<200ms", "--slo", "errors<0.1%"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Its SLOs are missed: the results are written and the run exits 3.
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains(
            "latency  no request completed: saturated — 6020 of 6020 requests still in flight at the end"
        ) && stdout.contains("queueing at `web`"),
        "{stdout}"
    );
    assert!(stdout.contains("errors - (none ended)"), "{stdout}");
    let headline = stdout.split("results in").next().unwrap_or_default();
    assert!(
        !headline.contains("0.00 ms"),
        "no latency or wait of 0 ms:\n{stdout}"
    );
    assert!(
        headline.contains("mean wait for a worker -, none served"),
        "{stdout}"
    );
    assert!(
        stdout.contains("SLO p99<200ms  MISSED: overall/latency_p99_ms has no value (no request completed)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("SLO errors<0.1%  MISSED: overall/error_rate has no value (no request ended"),
        "{stdout}"
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary");
    for row in [
        "overall,completed,0",
        "overall,error_rate,\n",
        "overall,latency_mean_ms,\n",
        "overall,latency_p50_ms,\n",
        "overall,latency_p99_ms,\n",
        "overall,latency_max_ms,\n",
        "class:a,latency_p99_ms,\n",
        "overall,cost_per_million_requests_usd,\n",
        "web,residence_mean_ms,\n",
    ] {
        assert!(summary.contains(row), "summary.csv lacks `{row}`:\n{summary}");
    }
    // Every window's latency is blank too.
    let timeseries = std::fs::read_to_string(out.join("timeseries.csv")).expect("timeseries");
    let latency_rows: Vec<&str> = timeseries
        .lines()
        .filter(|line| line.contains(",overall,latency_p99_ms,"))
        .collect();
    assert_eq!(latency_rows.len(), 6);
    assert!(
        latency_rows.iter().all(|row| row.ends_with(',')),
        "{latency_rows:?}"
    );
    let report = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(report.contains("<p id=\"stall\" class=\"fail\">no request completed: saturated"));
    assert!(report.contains("missed: no request completed"));
    assert!(!report.contains(">met<"), "no objective is met");
}

/// A 1 ns run measures nothing: its latency is blank, not 0.
#[test]
fn a_one_nanosecond_run_reports_no_latency() {
    let scenario =
        crate::support::scenario(&NOTHING_COMPLETES.replace("duration = \"60s\"", "duration = \"1ns\""));
    let result = crate::support::simulate(&scenario);
    for name in [
        "latency_mean_ms",
        "latency_p50_ms",
        "latency_p99_ms",
        "latency_max_ms",
        "error_rate",
    ] {
        let value = crate::support::metric(&result, "overall", name);
        assert!(value.is_nan(), "{name} = {value}");
    }
    let stall = capsim::results::stall::stall(
        result
            .summary
            .rows
            .iter()
            .map(|row| (row.scope.as_str(), row.metric)),
        &|scope, metric| result.summary.get(scope, metric),
    )
    .expect("nothing completed");
    assert_eq!(
        stall.describe(),
        "no request completed: none arrived while measuring"
    );
}

/// Latencies of about 10 µs (uniform service 5–15 µs, nothing else on the
/// path) have their percentiles to 0.1 %: p50 is 10 µs, where the old
/// 1 µs-floored histogram said 10.24 µs (+2.4 %).
#[test]
fn microsecond_percentiles_are_precise_end_to_end() {
    let scenario = crate::support::scenario(
        r#"[scenario]
duration = "100s"

[workload]
arrivals = { kind = "open", rate = "2000/s" }
mix = [{ class = "a", call = "web/x" }]

[pool.web]
workers = 64

[pool.web.endpoint.x]
service = { dist = "uniform", min = "5us", max = "15us" }
"#,
    );
    let result = crate::support::simulate(&scenario);
    let completed = crate::support::metric(&result, "overall", "completed");
    assert!(completed > 190_000.0, "{completed}");
    // The sample median of ~200,000 uniform draws is within 0.02 µs (4
    // standard errors) of 10 µs; the histogram adds at most 0.1 %.
    let p50 = crate::support::metric(&result, "overall", "latency_p50_ms") * 1e3;
    assert!((p50 - 10.0).abs() < 0.02 + 0.01, "p50 {p50} µs");
    let p99 = crate::support::metric(&result, "overall", "latency_p99_ms") * 1e3;
    assert!((p99 - 14.9).abs() < 0.03, "p99 {p99} µs");
}

/// `capsim validate FILE`, killed (and failed) after `seconds`: returns
/// (exit success, stderr).
fn validate_within(path: &std::path::Path, seconds: u64) -> (bool, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_capsim"));
    command.arg("validate").arg(path).env("NO_COLOR", "1");
    let (ok, _, stderr) = crate::support::run_with_limit(command, std::time::Duration::from_secs(seconds));
    (ok, stderr)
}

const VALID_TAIL: &str = r#"
[pool.web]
workers = 4

[pool.web.endpoint.x]
service = "1ms"
"#;

/// 50,000 unknown keys took more than two minutes to render, 10,000 bad
/// profile entries on one 270 KB line 49 s: rendering is linear, shows
/// the first 50 errors, counts the rest, and cuts long lines to a window.
#[test]
fn many_errors_render_quickly_and_only_the_first_are_shown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut keys = String::from("[scenario]\nduration = \"1m\"\n");
    for index in 0..50_000 {
        keys.push_str(&format!("k{index} = 1\n"));
    }
    keys.push_str("[workload]\narrivals = { kind = \"open\", rate = \"10/s\", users = 10 }\nmix = [{ class = \"a\", call = \"web/x\" }]\n");
    keys.push_str(VALID_TAIL);
    let path = dir.path().join("keys.toml");
    std::fs::write(&path, keys).expect("write");
    let (ok, stderr) = validate_within(&path, 30);
    assert!(!ok);
    assert_eq!(stderr.matches("error: unknown key").count(), 50, "{stderr}");
    assert!(stderr.contains("keys.toml:52:1"), "{stderr}");
    assert!(
        stderr.contains("… and 49,950 more errors (only the first 50 are shown)"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "error: 50,000 problems in `{}`; nothing was simulated\n"
                .replace("{}", &path.display().to_string())
                .as_str()
        )
    );

    let entries: Vec<&str> = vec!["{ at = \"1x\", rate = \"5/s\" }"; 10_000];
    let profile = format!(
        "[scenario]\nduration = \"1m\"\n[workload]\narrivals = {{ kind = \"open\", rate = \"10/s\", users = 10 }}\n\
         mix = [{{ class = \"a\", call = \"web/x\" }}]\nprofile = [{}]\n{VALID_TAIL}",
        entries.join(",")
    );
    assert!(profile.len() > 270_000);
    let path = dir.path().join("profile.toml");
    std::fs::write(&path, profile).expect("write");
    let (ok, stderr) = validate_within(&path, 30);
    assert!(!ok);
    assert!(stderr.contains("… and 9,950 more errors"), "{stderr}");
    // The 50th entry's `at` is at column 19 + 49 × 28 on line 6.
    assert!(stderr.contains("profile.toml:6:1391"), "{stderr}");
    assert!(stderr.len() < 60_000, "{} bytes of diagnostics", stderr.len());
    assert!(
        stderr.lines().all(|line| line.chars().count() < 300),
        "a line is cut to a window"
    );
}

/// 100,000 classes took 72 s to validate: more than `MAX_CLASSES` is an
/// error at once, before anything is read; so are more than
/// `MAX_COMPONENTS` components of a kind.
#[test]
fn classes_and_components_are_bounded_at_load_time() {
    use capsim::scenario::bounds::{MAX_CLASSES, MAX_COMPONENTS};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from(
        "[scenario]\nduration = \"1m\"\n[workload]\narrivals = { kind = \"open\", rate = \"10/s\" }\nmix = [\n",
    );
    for index in 0..100_000 {
        text.push_str(&format!("  {{ class = \"c{index}\", call = \"web/x\" }},\n"));
    }
    text.push_str("]\n");
    text.push_str(VALID_TAIL);
    let path = dir.path().join("classes.toml");
    std::fs::write(&path, &text).expect("write");
    let (ok, stderr) = validate_within(&path, 30);
    assert!(!ok);
    assert!(
        stderr.contains(&format!(
            "100000 request classes are more than the {MAX_CLASSES} a scenario may have (field `workload.mix`)"
        )),
        "{stderr}"
    );
    // Exactly at the bound is fine.
    let at_bound: String = text.lines().take(5 + MAX_CLASSES).collect::<Vec<_>>().join("\n");
    let at_bound = format!("{at_bound}\n]\n{VALID_TAIL}");
    assert!(capsim::scenario::load_str(&at_bound).is_ok());
    let mut pools = String::from(
        "[scenario]\nduration = \"1m\"\n[workload]\narrivals = { kind = \"open\", rate = \"10/s\" }\nmix = [{ class = \"a\", call = \"web/x\" }]\n",
    );
    pools.push_str(VALID_TAIL);
    for index in 0..MAX_COMPONENTS {
        pools.push_str(&format!(
            "[pool.p{index}]\nworkers = 1\n[pool.p{index}.endpoint.x]\nservice = \"1ms\"\n"
        ));
    }
    let error = capsim::scenario::load_str(&pools).expect_err("one pool too many");
    let messages: Vec<&str> = error.errors().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [format!(
            "1001 pools are more than the {MAX_COMPONENTS} a scenario may have"
        )]
    );
}

/// A run with many request classes draws at most two files per chart
/// family: the classes with the most requests, and the others as one
/// panel (10,000 classes wrote 1,686 chart files).
#[test]
fn many_classes_share_a_bounded_number_of_chart_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from(
        "[scenario]\nduration = \"5s\"\nwindow = \"1s\"\n[workload]\narrivals = { kind = \"open\", rate = \"2000/s\" }\nmix = [\n",
    );
    for index in 0..60 {
        text.push_str(&format!(
            "  {{ class = \"c{index}\", weight = {}, call = \"web/x\" }},\n",
            1 + index % 5
        ));
    }
    text.push_str("]\n");
    text.push_str(VALID_TAIL);
    let path = dir.path().join("classes.toml");
    std::fs::write(&path, &text).expect("write");
    let out = dir.path().join("out");
    capsim()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
    let charts: Vec<String> = std::fs::read_dir(out.join("charts"))
        .expect("charts")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("latency_by_class") && name.ends_with(".svg"))
        .collect();
    assert_eq!(charts.len(), 2, "{charts:?}");
    let second = std::fs::read_to_string(out.join("charts/latency_by_class_2.svg")).expect("svg");
    assert!(second.contains("the other 37 classes (max)"));
}
