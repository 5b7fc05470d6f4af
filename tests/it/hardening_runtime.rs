//! Runs that cannot finish end cleanly and soon (issue 22, items 1 and 6):
//! a workload whose arrivals alone exceed `limits.max_events` is refused at
//! load time with the estimate; an overloaded system whose clients time out
//! stops at `limits.max_calls_in_flight` with exit 1 and names the station
//! that held the queue, before memory runs out; the dead client timeouts of
//! a retry storm do not fill memory; a clock that stops advancing ends the
//! run with an error; Ctrl-C and SIGTERM work within a second of wall time
//! however long the window.

use predicates::str::contains;

use crate::support;

/// A rate so high that arrivals share nanoseconds: refused before anything
/// is simulated (it ran for about 21 minutes until `max_events` before),
/// with the file, line and column of `arrivals`, the estimate and a hint.
#[test]
fn a_workload_beyond_the_event_budget_is_refused_at_load_time_with_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dense.toml");
    std::fs::write(
        &file,
        "[scenario]\nduration = \"5m\"\n[workload]\narrivals = { kind = \"open\", rate = \"1e15/s\" }\n\
         mix = [{ class = \"q\", call = \"server/q\" }]\n[pool.server]\nworkers = 8\n\
         [pool.server.endpoint.q]\nservice = \"1ms\"\n",
    )
    .unwrap();
    // Line 4, at the rate's opening quote.
    let place = format!("{}:4:36", file.display());
    support::capsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(contains(place))
        .stderr(contains("field `workload.arrivals.rate`"))
        .stderr(contains("about 3.000e17 requests in 5m"))
        .stderr(contains("`limits.max_events` (10000000000)"))
        .stderr(contains("stop at the limit after 17 minutes"))
        .stderr(contains("raise `max_events` under `[limits]`"));
    assert!(!dir.path().join("out").join("summary.csv").exists());
    // The same for rates up to the largest float, and through `--set`.
    support::capsim()
        .args(["validate", "scenarios/01-single-server.toml"])
        .args(["--set", "workload.arrivals.rate=1e308/s"])
        .assert()
        .code(2)
        .stderr(contains("limits.max_events"));
}

/// The overload: 20 000/s against a server that completes about
/// 8 000/s, clients timing out after 2 s. The abandoned attempts stay queued
/// at `web` (a timeout abandons an attempt, not its work at the servers), so
/// requests in flight stay near 40 000 while calls at the servers grow by
/// 12 000 a second; it aborted for want of 7 GB and left a `.partial` file.
/// Now it stops at `limits.max_calls_in_flight` with exit 1, naming the
/// station and its queue, under an address-space limit of 2 GB (the run
/// needs about 250 MB) — which on the old code ends in an allocation failure
/// within seconds instead of taking the test machine's memory.
#[test]
fn an_overload_with_client_timeouts_stops_at_the_call_limit_naming_the_station() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -v 2000000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_capsim"))
        .args(["run", "scenarios/drill-single-server.toml", "--quiet"])
        .args(["--set", "workload.arrivals.rate=20000/s"])
        .args(["--set", "scenario.duration=2h"])
        .arg("--out")
        .arg(&out)
        .current_dir(support::root())
        .env("NO_COLOR", "1");
    let (status, _, stderr) = support::run_bounded(command, std::time::Duration::from_secs(120));
    let code = status.code();
    assert_eq!(code, Some(1), "exit code; stderr:\n{stderr}");
    for expected in [
        "calls were at the servers, more than limits.max_calls_in_flight (2000000)",
        "the system cannot keep up",
        "The queue is at `web`",
        "for attempts the clients had given up on",
        "bound the queue (`queue_capacity`)",
        "no results were written",
    ] {
        assert!(stderr.contains(expected), "missing `{expected}` in:\n{stderr}");
    }
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|entries| entries.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "nothing is left behind: {left:?}");
}

/// The library's view of the same stop, smaller: the error names the
/// station, its queue and the abandoned attempts in it, and the count of
/// calls is the limit's, give or take one slice of events.
#[test]
fn the_call_limit_error_carries_the_overloaded_station() {
    let scenario = support::scenario_file(
        &support::shipped("drill-single-server.toml"),
        &[
            "workload.arrivals.rate=20000/s",
            "scenario.duration=2h",
            "limits.max_calls_in_flight=50000",
        ],
    );
    let error = capsim::study::run(&scenario).expect_err("the run cannot keep up");
    let capsim::study::RunError::CallLimit {
        limit,
        calls,
        at,
        overload: Some(overload),
    } = error
    else {
        panic!("not the call limit: {error}");
    };
    assert_eq!(limit, 50_000);
    assert!(calls > limit && calls < limit + 2 * 65_536, "{calls}");
    assert_eq!(overload.station, "web");
    assert!(overload.waiting <= overload.calls && overload.calls <= calls);
    assert!(overload.waiting > 45_000, "{overload:?}");
    // Clients wait for at most rate × timeout = 40 000 attempts; the rest of
    // the queue is attempts they gave up on.
    assert!(overload.abandoned <= overload.waiting, "{overload:?}");
    let awaited = overload.waiting - overload.abandoned;
    assert!(awaited <= 41_000 && overload.abandoned > 5_000, "{overload:?}");
    // 12 000 more calls a second than `web` can pass on: a few seconds.
    assert!(at.as_secs_f64() < 60.0, "{at}");
}

/// Retries without backoff against a server that rejects at once: every
/// attempt fails within the client's latency, and each leaves its 10 s
/// timeout behind in the calendar — 100 000 requests a second, each tried
/// 101 times, left ten million a second (the old code held 632 MB after
/// 20 million events and aborted under this test's 600 MB address-space
/// limit). Dead timeouts are now dropped, and the run ends at its event
/// budget with exit 1 in about 40 MB.
#[test]
fn dead_client_timeouts_of_a_retry_storm_do_not_fill_memory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("storm.toml");
    std::fs::write(
        &file,
        "[scenario]\nduration = \"2m\"\n[workload]\narrivals = { kind = \"open\", rate = \"100000/s\" }\n\
         timeout = \"10s\"\nretry = { retries = 100, backoff = \"0s\" }\nmix = [{ class = \"q\", call = \"web/q\" }]\n\
         [pool.web]\nworkers = 8\nqueue_capacity = 1\n[pool.web.endpoint.q]\nservice = { dist = \"exp\", mean = \"1ms\" }\n\
         [limits]\nmax_events = 30000000\n",
    )
    .unwrap();
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -v 600000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_capsim"))
        .args(["run", "--quiet"])
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .env("NO_COLOR", "1");
    let (status, _, stderr) = support::run_bounded(command, std::time::Duration::from_secs(120));
    let code = status.code();
    assert_eq!(code, Some(1), "exit code; stderr:\n{stderr}");
    assert!(
        stderr.contains("it handled 30000000 events (limits.max_events)"),
        "{stderr}"
    );
}

/// A closed loop that takes no time (zero think, service and network
/// times) never moves the clock; it ran until `max_events` (an hour of
/// wall time). It now ends with exit 1 at `max_events_per_instant`.
#[test]
fn a_clock_that_stops_advancing_ends_the_run_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("loop.toml");
    std::fs::write(
        &file,
        "[scenario]\nduration = \"1m\"\n[workload]\narrivals = { kind = \"closed\", users = 10, think = \"0s\" }\n\
         mix = [{ class = \"q\", call = \"server/q\" }]\n[pool.server]\nworkers = 8\n\
         [pool.server.endpoint.q]\nservice = \"0s\"\n[limits]\nmax_events_per_instant = 1000000\n",
    )
    .unwrap();
    support::capsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1)
        .stderr(contains("the run stopped at 0s: the clock stopped advancing"))
        .stderr(contains(
            "events happened at that one instant (limits.max_events_per_instant)",
        ))
        .stderr(contains("no results were written"));
}

/// A run whose one window is 30 days long: the stop request used to be
/// read only when a window ended, so Ctrl-C and SIGTERM did nothing for
/// minutes. Now the run stops within a slice of events (milliseconds); this
/// allows 2 s from the signal to the exit for a loaded machine.
#[test]
fn ctrl_c_stops_a_run_within_a_second_however_long_its_window() {
    for signal_name in ["INT", "TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let file = dir.path().join("month.toml");
        std::fs::write(
            &file,
            "[scenario]\nduration = \"30d\"\nwindow = \"30d\"\n[workload]\n\
             arrivals = { kind = \"open\", rate = \"1000/s\" }\nmix = [{ class = \"q\", call = \"server/q\" }]\n\
             [pool.server]\nworkers = 8\n[pool.server.endpoint.q]\nservice = { dist = \"exp\", mean = \"1ms\" }\n",
        )
        .unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_capsim"))
            .args(["run", "-q"])
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("capsim starts");
        // Simulating once the time series file is open; the window ends
        // 30 simulated days later, minutes of wall time.
        let started = std::time::Instant::now();
        while !support::file_names(&out)
            .iter()
            .any(|name| name.ends_with(".partial"))
        {
            assert!(started.elapsed().as_secs() < 60, "the run never started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal_name}"))
            .arg(child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
        let signalled = std::time::Instant::now();
        let code = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status.code();
            }
            if signalled.elapsed().as_secs() > 60 {
                child.kill().unwrap();
                panic!("SIG{signal_name}: the run did not stop within a minute");
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let took = signalled.elapsed();
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert_eq!(code, Some(130), "SIG{signal_name}: {stderr}");
        assert!(
            took < std::time::Duration::from_secs(2),
            "SIG{signal_name}: stopped {took:?} after the signal"
        );
        assert!(stderr.contains("interrupted at"), "{stderr}");
        assert_eq!(
            support::file_names(&out),
            Vec::<String>::new(),
            "nothing left behind"
        );
    }
}
