//! One test per bug found, named for the bug, so it stays fixed.

// Found by the scenario fuzzers (`fuzz/`, `tests/it/fuzz_scenarios.rs`) and the
// scale probes of issue 8. Inputs that crash or exhaust the machine run in a
// child `capsim` under a memory cap and a time limit, so a regression fails
// this test instead of taking the test binary (or the CI machine) down. The
// time limits are liveness bounds, tens of times what a linear-time loader
// needs, not speed measurements.

/// How a child `capsim` ended: its exit code, or `None` when a signal
/// (abort, stack overflow, the time limit) ended it; and its stderr.
fn capsim_capped(args: &[&str], memory_kib: u64, limit: std::time::Duration) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let err_path = dir.path().join("stderr");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {memory_kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(crate::support::root())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("capsim starts");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > limit {
            child.kill().expect("kill");
            child.wait().expect("wait");
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let stderr = String::from_utf8_lossy(&std::fs::read(&err_path).unwrap_or_default()).into_owned();
    match status {
        Some(status) => (status.code(), stderr),
        None => (None, format!("still running after {limit:?}\n{stderr}")),
    }
}

/// Writes `text` to `scenario.toml` in a new temporary directory.
fn scenario_in_temp_dir(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).expect("scenario written");
    (dir, path)
}

const ONE_POOL_HEAD: &str = r#"
[scenario]
duration = "1s"
[workload]
arrivals = { kind = "open", rate = "10/s" }
mix = [{ class = "q", call = "p0/e0" }]
"#;

/// `file = "/dev/zero"` (or any endless file) was read to the end: the CSV
/// reader grew one record without bound until the allocator gave up (abort,
/// exit by signal 6, after about 4 GiB).
#[test]
fn an_empirical_file_without_end_is_read_without_bound() {
    let text = format!(
        "{ONE_POOL_HEAD}[pool.p0]\nworkers = 1\n[pool.p0.endpoint.e0]\n\
         service = {{ dist = \"empirical\", file = \"/dev/zero\", unit = \"ms\" }}\n"
    );
    let (_dir, path) = scenario_in_temp_dir(&text);
    let (code, stderr) = capsim_capped(
        &["validate", path.to_str().unwrap()],
        1 << 20,
        std::time::Duration::from_secs(60),
    );
    assert_eq!(code, Some(2), "a diagnostic, exit 2:\n{stderr}");
    assert!(stderr.contains("/dev/zero"), "{stderr}");
}

/// A gamma's cv passed the loader's `> 0` check but not `rand_distr`'s: a cv
/// of 1e-300 makes the scale 0 and a cv of 1e300 the shape 0, and
/// `Sampler::new` panicked ("checked at load: shape and scale > 0").
#[test]
fn a_gamma_with_an_extreme_cv_panics_when_the_model_is_compiled() {
    for cv in ["1e-300", "1e300"] {
        let text = format!(
            "{ONE_POOL_HEAD}[pool.p0]\nworkers = 1\n[pool.p0.endpoint.e0]\n\
             service = {{ dist = \"gamma\", mean = \"1ms\", cv = {cv} }}\n"
        );
        match capsim::scenario::load_str(&text) {
            Err(error) => {
                assert!(
                    error
                        .errors()
                        .any(|d| d.message.contains("cv")
                            || d.path.as_deref().is_some_and(|p| p.ends_with("cv"))),
                    "cv = {cv}: the diagnostic names `cv`:\n{error}"
                )
            }
            Ok(loaded) => {
                let result = crate::support::simulate(&loaded.scenario);
                crate::support::assert_conserved(&result);
            }
        }
    }
}

/// Inline empirical samples given as numbers with a unit were not bounded
/// like durations: `samples = [1e300], unit = "s"` loaded as +inf ns, and
/// the resolved scenario wrote it as 18446744073709551615 ns, which loads back
/// as a different distribution (so `scenario.resolved.toml` does not
/// reproduce the run).
#[test]
fn empirical_samples_beyond_the_time_range_change_in_the_resolved_scenario() {
    let text = format!(
        "{ONE_POOL_HEAD}[pool.p0]\nworkers = 1\n[pool.p0.endpoint.e0]\n\
         service = {{ dist = \"empirical\", samples = [1e300], unit = \"s\" }}\n"
    );
    match capsim::scenario::load_str(&text) {
        Err(error) => assert!(error.errors().count() > 0),
        Ok(loaded) => {
            let resolved = capsim::scenario::dump::to_toml(&loaded.scenario);
            let again = crate::support::scenario(&resolved);
            assert!(
                again == loaded.scenario,
                "the resolved scenario loads back different:\n{resolved}"
            );
        }
    }
}

/// The call-loop check (`scenario::check::call_cycles`) walks the call graph
/// by recursion, one stack frame per call: a chain of 30 000 endpoints (a
/// 2.2 MB file, well under the 16 MiB limit) overflowed the main thread's
/// stack and aborted (`validate`, test profile: from about 20 000; release:
/// from about 40 000). The feasibility estimate recurses the same way.
#[test]
fn a_long_call_chain_overflows_the_stack() {
    let mut text = format!("{ONE_POOL_HEAD}[pool.p0]\nworkers = 1\n");
    let length = 30_000;
    for index in 0..length {
        text.push_str(&format!("[pool.p0.endpoint.e{index}]\nservice = \"1ms\"\n"));
        if index + 1 < length {
            text.push_str(&format!("steps = [{{ call = \"p0/e{}\" }}]\n", index + 1));
        }
    }
    let (_dir, path) = scenario_in_temp_dir(&text);
    let (code, stderr) = capsim_capped(
        &["validate", path.to_str().unwrap()],
        2 << 20,
        std::time::Duration::from_secs(120),
    );
    assert!(
        matches!(code, Some(0 | 2)),
        "exit 0, or 2 with a diagnostic; got {code:?}:\n{stderr:.2000}"
    );
}

/// The feasibility estimate (`study::feasibility`, run by `validate` and
/// `run`) walks every call path separately: an endpoint that calls the next
/// pool's endpoint twice, 40 pools deep (a 4 KB file), is 2^40 paths. It
/// took 12 s at 24 pools (release) and doubles with each pool.
#[test]
fn validating_calls_that_fan_out_takes_exponential_time() {
    let mut text = ONE_POOL_HEAD.to_owned();
    let depth = 40;
    for index in 0..depth {
        text.push_str(&format!(
            "[pool.p{index}]\nworkers = 1\n[pool.p{index}.endpoint.e0]\nservice = \"1ms\"\n"
        ));
        if index + 1 < depth {
            let next = index + 1;
            text.push_str(&format!(
                "steps = [{{ call = \"p{next}/e0\" }}, {{ call = \"p{next}/e0\" }}]\n"
            ));
        }
    }
    let (_dir, path) = scenario_in_temp_dir(&text);
    let (code, stderr) = capsim_capped(
        &["validate", path.to_str().unwrap()],
        2 << 20,
        std::time::Duration::from_secs(60),
    );
    assert!(
        matches!(code, Some(0 | 2)),
        "exit 0, or 2 with a diagnostic; got {code:?}:\n{stderr:.2000}"
    );
}

/// Each user's DNS cache is a slot per (user, DNS name), allocated when the
/// model is compiled: 100 000 000 users (the `MAX_USERS` bound) and 4 DNS
/// names asked for one 3.2 GB allocation before the first event, and a
/// scenario with more names asks for more (abort under a 2 GiB cap).
#[test]
fn dns_caches_are_allocated_for_every_user_up_front() {
    let mut text = String::from(
        "[scenario]\nduration = \"1s\"\n[workload]\n\
         arrivals = { kind = \"open\", rate = \"10/s\", users = 100000000 }\nmix = [",
    );
    let names = 4;
    for index in 0..names {
        text.push_str(&format!("{{ class = \"c{index}\", call = \"d{index}/e0\" }}, "));
    }
    text.push_str("]\n[pool.p0]\nworkers = 1\n[pool.p0.endpoint.e0]\nservice = \"1ms\"\n");
    for index in 0..names {
        text.push_str(&format!("[dns.d{index}]\ntarget = \"p0\"\nttl = \"60s\"\n"));
    }
    let (dir, path) = scenario_in_temp_dir(&text);
    let out = dir.path().join("out");
    let (code, stderr) = capsim_capped(
        &[
            "run",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
        2 << 20,
        std::time::Duration::from_secs(120),
    );
    assert!(
        matches!(code, Some(0 | 2)),
        "exit 0, or 2 with a diagnostic; got {code:?}:\n{stderr:.2000}"
    );
}

/// A closed workload schedules every user's first think time when the model
/// is compiled: 100 000 000 users (the `MAX_USERS` bound) hold 100 M events
/// and user records at once (10 M users peaked at 630 MB RSS in release;
/// 100 M abort under a 2 GiB cap), whatever the think time.
#[test]
fn closed_users_are_all_scheduled_up_front() {
    let text = "[scenario]\nduration = \"1s\"\n[workload]\n\
        arrivals = { kind = \"closed\", users = 100000000, think = { dist = \"exp\", mean = \"1000d\" } }\n\
        mix = [{ class = \"q\", call = \"p0/e0\" }]\n\
        [pool.p0]\nworkers = 1\n[pool.p0.endpoint.e0]\nservice = \"1ms\"\n";
    let (dir, path) = scenario_in_temp_dir(text);
    let out = dir.path().join("out");
    let (code, stderr) = capsim_capped(
        &[
            "run",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
        2 << 20,
        std::time::Duration::from_secs(120),
    );
    assert!(
        matches!(code, Some(0 | 2)),
        "exit 0, or 2 with a diagnostic; got {code:?}:\n{stderr:.2000}"
    );
}

/// A DNS name may share its name with its target (`[dns.web]` with
/// `target = "web"` beside `[pool.web]`): names are shared across kinds, but
/// the check resolved `web` through `Scenario::pool_behind`, which follows a
/// DNS name to its target first — `web` again, forever. `validate` hung
/// (the recursion is a tail call, so it loops instead of overflowing).
/// Found by the `run_scenario` fuzz target.
#[test]
fn a_dns_name_that_targets_its_own_name_hangs_the_loader() {
    let text = "[scenario]\nduration = \"2s\"\n[workload]\n\
        arrivals = { kind = \"open\", rate = \"50/s\" }\nmix = [{ class = \"a\", call = \"web/view\" }]\n\
        [pool.web]\nworkers = 1\n[pool.web.endpoint.view]\nservice = \"1ms\"\n\
        [dns.web]\ntarget = \"web\"\nttl = \"1s\"\n";
    let (_dir, path) = scenario_in_temp_dir(text);
    let (code, stderr) = capsim_capped(
        &["validate", path.to_str().unwrap()],
        1 << 20,
        std::time::Duration::from_secs(30),
    );
    assert_eq!(code, Some(2), "a diagnostic, exit 2:\n{stderr}");
    assert!(stderr.contains("`web`"), "{stderr}");
}

/// `capsim run … | head` panicked ("failed printing to stdout: Broken
/// pipe") once `head` had gone: the summary is printed after the outputs
/// are written, so the command now stops quietly with exit 0.
#[test]
fn a_closed_stdout_made_the_summary_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let commands: [Vec<&str>; 2] = [
        vec!["validate", "scenarios/01-single-server.toml"],
        vec![
            "run",
            "scenarios/01-single-server.toml",
            "--set",
            "scenario.duration=30s",
            "--set",
            "scenario.warmup=10s",
            "--out",
            out.to_str().unwrap(),
        ],
    ];
    for args in commands {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_capsim"))
            .args(&args)
            .current_dir(crate::support::root())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("capsim starts");
        // The reader goes before capsim writes a byte.
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("capsim ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    }
    assert!(
        out.join("summary.csv").is_file(),
        "the run's outputs are complete"
    );
}

#[test]
fn the_busiest_line_and_the_report_named_different_bottlenecks() {
    // `capsim run` chose its `busiest` line among the scenario's components by
    // a rule of its own, and report.html among every station of the summary
    // by another: with a shard busier than its database as a whole, the
    // terminal said `profiles_db` and the page `profiles_db.shard[2].primary`.
    // Both now rank stations by `results::bottleneck`.
    let dir = tempfile::tempdir().expect("temp dir");
    let output = crate::support::capsim()
        .args(["run", "scenarios/11-sharding.toml", "--out"])
        .arg(dir.path())
        .args(["--set", "scenario.duration=1m", "--set", "scenario.warmup=0s"])
        .output()
        .expect("capsim runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .map(str::trim_start)
        .find(|line| line.starts_with("busiest"))
        .expect("a busiest line");
    let named = line["busiest".len()..]
        .split_whitespace()
        .next()
        .expect("a station");
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("report.html");
    let marker = "closest to saturation is <strong>";
    let start = html.find(marker).expect("the report names a bottleneck") + marker.len();
    let on_page = &html[start..start + html[start..].find("</strong>").expect("closed")];
    assert_eq!(named, on_page, "{line}");
    assert!(named.starts_with("profiles_db.shard["), "{line}");
}
