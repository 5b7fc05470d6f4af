//! A reader of standard output that goes away (`capsim schema | head`) ends
//! every command that prints quietly: exit 0, nothing on stderr. Each
//! command here writes into a pipe whose reading end is already closed, so
//! its first write fails with a broken pipe, every time.

use std::process::{Command, Stdio};

use crate::support::root;

/// Runs capsim with `args`, its stdout a pipe nobody reads; returns the
/// exit code and stderr.
fn into_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("capsim starts");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_printing_command_ends_quietly_when_stdout_closes() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let short = ["--set", "scenario.duration=30s", "--set", "scenario.warmup=10s"];
    let run_out = out("run");
    let mut commands: Vec<Vec<String>> = vec![
        vec!["schema".into()],
        vec!["--help".into()],
        vec!["graph".into(), "scenarios/04-load-balancer.toml".into()],
        vec!["validate".into(), "scenarios/04-load-balancer.toml".into()],
    ];
    let scenario = "scenarios/01-single-server.toml".to_owned();
    let with = |head: &[&str], out: &str| {
        let mut args: Vec<String> = head.iter().map(|s| s.to_string()).collect();
        args.extend(short.iter().map(|s| s.to_string()));
        args.extend(["--out".to_owned(), out.to_owned()]);
        args
    };
    commands.push(with(&["run", &scenario], &run_out));
    commands.push(vec!["chart".into(), run_out.clone()]);
    commands.push(with(
        &["compare", &scenario, "--variant", "b:pool.server.workers=16"],
        &out("compare"),
    ));
    let vary = ["sweep", &scenario, "--vary", "workload.arrivals.rate=50/s,100/s"];
    commands.push(with(&vary, &out("sweep")));
    for shard in ["0/2", "1/2"] {
        let sharded = [&vary[..], &["--shard", shard]].concat();
        commands.push(with(&sharded, &out(&shard.replace('/', "-"))));
    }
    commands.push(vec![
        "merge".into(),
        out("0-2"),
        out("1-2"),
        "--out".into(),
        out("merged"),
    ]);
    commands.push(with(
        &[
            "plan",
            &scenario,
            "--load",
            "50/s",
            "--slo",
            "p99<2s",
            "--replications",
            "2",
        ],
        &out("plan"),
    ));
    for args in &commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stderr) = into_closed_pipe(&args);
        assert_eq!(code, Some(0), "capsim {}: {stderr}", args.join(" "));
        assert!(
            !stderr.contains("error") && !stderr.contains("panicked"),
            "capsim {}: {stderr}",
            args.join(" ")
        );
    }
}
