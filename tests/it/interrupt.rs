//! Stopping a run from outside: Ctrl-C (or SIGTERM) stops it at the next
//! window and leaves no output at all; SIGKILL leaves only files whose
//! names say they are partial — never a `summary.csv`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use capsim::report::out_dir::MARKER;

use crate::support;

/// An M/M/8 run long enough (hours simulated, 10 s windows) to be
/// interrupted in the middle, with the output folder holding an earlier
/// run's files (listed in its marker, as capsim leaves them), which must
/// not survive as if they were this run's.
fn start_long_run(out: &Path) -> Child {
    std::fs::create_dir_all(out).unwrap();
    std::fs::write(out.join("summary.csv"), "scope,metric,value\nold,run,1\n").unwrap();
    std::fs::write(out.join(MARKER), "summary.csv\n").unwrap();
    start(&["run"], out)
}

/// Starts `capsim ARGS... long.toml --out OUT -q` on the long M/M/8
/// scenario, written beside `out`.
fn start(args: &[&str], out: &Path) -> Child {
    let scenario = out.parent().unwrap().join("long.toml");
    std::fs::write(
        &scenario,
        r#"
[scenario]
duration = "100h"
window = "10s"
[workload]
arrivals = { kind = "open", rate = "7200/s" }
mix = [{ class = "q", call = "server/q" }]
[pool.server]
workers = 8
[pool.server.endpoint.q]
service = { dist = "exp", mean = "1ms" }
"#,
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .arg("-q")
        .arg(&scenario)
        .arg("--out")
        .arg(out)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("capsim starts")
}

/// Waits until the run has started writing its time series (a `.partial`
/// file exists), so the signal lands in the middle of the simulation.
fn wait_until_simulating(out: &Path) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if support::file_names(out)
            .iter()
            .any(|name| name.ends_with(".partial"))
        {
            std::thread::sleep(Duration::from_millis(300));
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the run never started writing: {:?}", support::file_names(out));
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Waits for the child, killing it if it does not end within a minute (a
/// liveness bound: it should stop within one 10 s window, milliseconds).
fn wait_bounded(mut child: Child) -> (Option<i32>, String) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            return (status.code(), stderr);
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the interrupted run did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_stops_the_run_and_leaves_no_output() {
    for signal_name in ["INT", "TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let child = start_long_run(&out);
        wait_until_simulating(&out);
        signal(&child, signal_name);
        let (code, stderr) = wait_bounded(child);
        assert_eq!(code, Some(130), "SIG{signal_name}: exit code; stderr: {stderr}");
        assert!(stderr.contains("interrupted at"), "SIG{signal_name}: {stderr}");
        assert!(
            stderr.contains("no results were written"),
            "SIG{signal_name}: {stderr}"
        );
        assert_eq!(
            support::file_names(&out),
            Vec::<String>::new(),
            "SIG{signal_name}: nothing left behind"
        );
    }
}

#[test]
fn a_killed_run_leaves_only_files_marked_partial() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let child = start_long_run(&out);
    wait_until_simulating(&out);
    signal(&child, "KILL");
    let (code, _) = wait_bounded(child);
    assert_eq!(code, None, "ended by the signal");
    let names = support::file_names(&out);
    assert!(!names.is_empty(), "the time series was being written");
    for name in &names {
        assert!(
            name == MARKER || (name.starts_with('.') && name.ends_with(".partial")),
            "`{name}` looks like a finished output"
        );
    }
}

/// Studies of many runs (a sweep, a plan) stop the same way: the runs still
/// going end at their next window and the ones not started end at once, as
/// failures — which must not be written up as a finished study.
#[test]
fn ctrl_c_stops_a_sweep_or_a_plan_and_writes_nothing() {
    let studies: [&[&str]; 2] = [
        &[
            "sweep",
            "--vary",
            "workload.arrivals.rate=3000/s,3600/s,4200/s",
            "--threads",
            "2",
        ],
        &["plan", "--load", "7200/s", "--slo", "p99<100ms", "--threads", "2"],
    ];
    for args in studies {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let child = start(args, &out);
        // Loading takes milliseconds; the runs take hours.
        std::thread::sleep(Duration::from_millis(1500));
        signal(&child, "INT");
        let (code, stderr) = wait_bounded(child);
        assert_eq!(code, Some(130), "{args:?}: exit code; stderr: {stderr}");
        assert!(stderr.contains("no results were written"), "{args:?}: {stderr}");
        let names = support::file_names(&out);
        assert!(
            names
                .iter()
                .all(|name| name.ends_with(".partial") || name == MARKER),
            "{args:?}: nothing that looks complete: {names:?}"
        );
    }
}
