//! Shared helpers: load scenario text, run it, read metrics, run the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use capsim::results::RunResult;
use capsim::scenario::{Scenario, load_file, load_str};
use capsim::study::run;

/// The repository root (where `scenarios/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scenario shipped in `scenarios/`.
pub fn shipped(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

/// Every shipped scenario file, sorted.
pub fn shipped_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

/// Loads scenario text that must be valid.
pub fn scenario(text: &str) -> Scenario {
    match load_str(text) {
        Ok(loaded) => loaded.scenario,
        Err(error) => panic!("scenario should load:\n{error}"),
    }
}

/// Loads a scenario file that must be valid, with overrides.
pub fn scenario_file(path: &Path, overrides: &[&str]) -> Scenario {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    match load_file(path, &overrides) {
        Ok(loaded) => loaded.scenario,
        Err(error) => panic!("{} should load:\n{error}", path.display()),
    }
}

/// Runs a scenario that must finish.
pub fn simulate(scenario: &Scenario) -> RunResult {
    run(scenario).unwrap_or_else(|error| panic!("run failed: {error}"))
}

/// A time series of a scope that must exist: (window end in s, value).
pub fn series(result: &RunResult, scope: &str, name: &str) -> Vec<(f64, f64)> {
    assert!(
        result.timeseries.scopes.iter().any(|s| s == scope),
        "no scope {scope}"
    );
    result.timeseries.series(scope, name)
}

/// A summary value that must exist.
pub fn metric(result: &RunResult, scope: &str, name: &str) -> f64 {
    result
        .summary
        .get(scope, name)
        .unwrap_or_else(|| panic!("summary has no {scope}/{name}"))
}

/// The `capsim` binary, ready to run.
/// The end of the first window after `after_s` in which goodput
/// (`throughput_rps`) is at least `share` of the offered load.
pub fn goodput_back(result: &RunResult, after_s: f64, share: f64) -> Option<f64> {
    let goodput = series(result, "overall", "throughput_rps");
    let offered = series(result, "overall", "offered_rps");
    goodput
        .iter()
        .zip(&offered)
        .find(|((time, good), (_, offered))| *time > after_s && *good >= share * offered)
        .map(|((time, _), _)| *time)
}

/// Runs `capsim run` on a scenario given as text (written to a temporary
/// file), with its outputs in the same temporary folder.
pub fn run_text(text: &str) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).expect("scenario written");
    let output = capsim()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .expect("capsim runs");
    (dir, output)
}

pub fn capsim() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("capsim").expect("binary built");
    command.env("NO_COLOR", "1").current_dir(root());
    command
}

/// Conservation at the end of a run: every request that arrived after
/// warm-up, plus those already in flight then, has completed, failed, or is
/// still in flight.
pub fn assert_conserved(result: &RunResult) {
    let arrived = metric(result, "overall", "requests") + metric(result, "overall", "in_flight_at_warmup");
    let accounted = metric(result, "overall", "completed")
        + metric(result, "overall", "errors")
        + metric(result, "overall", "in_flight_at_end");
    assert_eq!(arrived, accounted, "arrived = completed + failed + in flight");
}

/// Decodes a PNG file into (width, height, RGB or RGBA pixels, bytes per pixel).
pub fn decode_png(path: &Path) -> (u32, u32, Vec<u8>, usize) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{} is not a PNG: {e}", path.display()));
    let mut pixels = vec![0; reader.output_buffer_size().expect("sized")];
    let info = reader
        .next_frame(&mut pixels)
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()));
    pixels.truncate(info.buffer_size());
    let channels = info.color_type.samples();
    (info.width, info.height, pixels, channels)
}

/// Pixels that are not white, and pixels of exactly `rgb`.
pub fn png_ink(path: &Path, rgb: [u8; 3]) -> (usize, usize) {
    let (_, _, pixels, channels) = decode_png(path);
    let mut ink = 0;
    let mut matching = 0;
    for pixel in pixels.chunks(channels) {
        if pixel[..3] != [255, 255, 255] {
            ink += 1;
        }
        if pixel[..3] == rgb {
            matching += 1;
        }
    }
    (ink, matching)
}

/// Parses an SVG file as XML and returns its text; the root must be `<svg>`.
pub fn parse_svg(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let document =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    assert_eq!(
        document.root_element().tag_name().name(),
        "svg",
        "{}",
        path.display()
    );
    text
}

/// A program a test needs that a fresh machine may lack (Chromium): the
/// first of `names` on PATH. Missing, it fails the test on CI (`CI=true`,
/// as `.ci/run` sets), where it must run; elsewhere the test skips, and
/// says so once per test binary in one loud line on stderr (written past
/// the test harness's capture, so `cargo test` shows it).
pub fn external_program(names: &[&str], install: &str) -> Option<PathBuf> {
    static SAID: std::sync::Once = std::sync::Once::new();
    let found = find_program(names);
    if found.is_none() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "{} is required on CI (CI=true): {install}",
            names[0]
        );
        SAID.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "!!! SKIPPED: tests that need {} (not on PATH; {install}) !!!",
                names[0]
            );
        });
    }
    found
}

/// The first of `names` found on PATH.
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Runs a command with stdout and stderr in files (no pipe can fill up),
/// killing it after `limit`; returns (status success, stdout, stderr).
pub fn run_with_limit(command: std::process::Command, limit: std::time::Duration) -> (bool, String, String) {
    let (status, stdout, stderr) = run_bounded(command, limit);
    (status.success(), stdout, stderr)
}

/// `run_with_limit`, returning the exit status itself.
pub fn run_bounded(
    mut command: std::process::Command,
    limit: std::time::Duration,
) -> (std::process::ExitStatus, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"));
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let read = |path: &Path| String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
    (status, read(&out_path), read(&err_path))
}

/// The names of the files in `dir`, sorted (none if it does not exist).
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A scenario whose only fault strikes a pool no request calls (`batch`):
/// a drill that requests never saw.
pub const UNSEEN_FAULT: &str = r#"
[scenario]
name = "unseen fault"
seed = 1
duration = "2m"
warmup = "10s"
window = "10s"

[workload]
arrivals = { kind = "open", rate = "50/s", users = 1000 }
mix = [{ class = "a", weight = 1, call = "web/a" }]

[pool.web]
instances = 1
workers = 100

[pool.web.endpoint.a]
service = "5ms"

[pool.batch]
instances = 1
workers = 10

[pool.batch.endpoint.job]
service = "5ms"

[[faults]]
at = "30s"
kill = "pool.batch"
"#;
