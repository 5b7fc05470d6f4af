//! Issue 22, files: what a scenario may read, and where results may go.
//!
//! - Item 4: a sample file outside the scenario's folder (absolute, `../`,
//!   a symbolic link, or named through `--set`) is refused unless
//!   `--allow-outside-files`, and no message quotes more than a short,
//!   printable prefix of another file's line.
//! - Item 5: `--out` writes only into a new or empty folder or one capsim
//!   wrote (its `.capsim-out`), never into the folder of an input, one
//!   capsim at a time; only files capsim wrote are replaced or deleted, and
//!   `.partial` files a killed run left are removed.
//! - Item 7 (files): a device, a FIFO or a folder as the scenario or as a
//!   sample file is refused at once (exit 2), never read without end or
//!   waited on.
//! - Item 8: the resolved scenario of a run with millions of samples runs
//!   again.
//!
//! Every test drives the `capsim` binary in a child process with a time
//! limit and a memory cap, so a regression fails the test rather than
//! hanging it or exhausting the machine.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a child `capsim` ended: its exit code (`None`: killed by a signal or
/// the time limit), stdout and stderr.
struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `capsim ARGS` in `dir` under a 2 GiB memory cap, killed after
/// `limit`.
fn capsim_in(dir: &Path, args: &[OsString], limit: Duration) -> Ended {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out_path = scratch.path().join("stdout");
    let err_path = scratch.path().join("stderr");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).expect("stdout file"))
        .stderr(fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("capsim starts");
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if started.elapsed() > limit {
            child.kill().expect("kill");
            child.wait().expect("wait");
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |path: &Path| String::from_utf8_lossy(&fs::read(path).unwrap_or_default()).into_owned();
    Ended {
        code,
        stdout: read(&out_path),
        stderr: read(&err_path),
    }
}

fn capsim(args: Vec<OsString>) -> Ended {
    capsim_in(Path::new("."), &args, Duration::from_secs(120))
}

/// Arguments of mixed strings and paths.
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        vec![$(OsString::from(AsRef::<OsStr>::as_ref(&$arg))),*]
    };
}

/// A small scenario whose endpoint's service time is `service`.
fn scenario(service: &str) -> String {
    format!(
        r#"
[scenario]
duration = "4s"
window = "1s"
[workload]
arrivals = {{ kind = "open", rate = "20/s" }}
mix = [{{ class = "q", call = "p/e" }}]
[pool.p]
workers = 16
[pool.p.endpoint.e]
service = {service}
"#
    )
}

/// A folder `root/s` holding `s.toml` (with `service`), and beside `s`
/// a file of someone else's (`root/secret.csv`) whose second line is a
/// credential.
struct Layout {
    root: tempfile::TempDir,
}

const CREDENTIAL: &str = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

impl Layout {
    fn new(service: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("s")).unwrap();
        fs::write(root.path().join("s/s.toml"), scenario(service)).unwrap();
        fs::write(root.path().join("secret.csv"), format!("1\n{CREDENTIAL}\n")).unwrap();
        Layout { root }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn scenario(&self) -> PathBuf {
        self.path("s/s.toml")
    }
}

fn sample_file(file: &str) -> String {
    format!("{{ dist = \"empirical\", file = \"{file}\", unit = \"ms\" }}")
}

/// No 11 characters in a row of the credential line are in `text`.
fn assert_not_quoted(text: &str, case: &str) {
    let chars: Vec<char> = CREDENTIAL.chars().collect();
    for window in chars.windows(11) {
        let piece: String = window.iter().collect();
        assert!(
            !text.contains(&piece),
            "{case}: the message quotes `{piece}` of another file's line:\n{text}"
        );
    }
}

// Item 4.

#[test]
fn a_sample_file_outside_the_scenario_folder_is_refused_and_not_quoted() {
    let layout = Layout::new(&sample_file("../secret.csv"));
    let absolute = layout.path("secret.csv");
    std::os::unix::fs::symlink(&absolute, layout.path("s/link.csv")).unwrap();
    let set_absolute = format!(
        "pool.p.endpoint.e.service={}",
        sample_file(absolute.to_str().unwrap())
    );
    let set_link = format!("pool.p.endpoint.e.service={}", sample_file("link.csv"));
    let cases: [(&str, Vec<OsString>); 3] = [
        ("../", args!["validate", layout.scenario()]),
        (
            "--set absolute",
            args!["validate", layout.scenario(), "--set", set_absolute],
        ),
        (
            "--set symbolic link",
            args!["validate", layout.scenario(), "--set", set_link],
        ),
    ];
    for (case, args) in cases {
        let ended = capsim(args);
        assert_eq!(ended.code, Some(2), "{case}: exit 2\n{}", ended.stderr);
        assert!(
            ended.stderr.contains("outside the scenario's folder"),
            "{case}: says why\n{}",
            ended.stderr
        );
        assert!(
            ended.stderr.contains("--allow-outside-files"),
            "{case}: says how\n{}",
            ended.stderr
        );
        assert_not_quoted(&ended.stderr, case);
    }
}

#[test]
fn with_allow_outside_files_only_a_short_printable_prefix_is_quoted() {
    let layout = Layout::new(&sample_file("../secret.csv"));
    let ended = capsim(args!["validate", layout.scenario(), "--allow-outside-files"]);
    assert_eq!(ended.code, Some(2), "{}", ended.stderr);
    assert!(
        ended
            .stderr
            .contains("line 2: `aws_secret…` is not a non-negative number"),
        "{}",
        ended.stderr
    );
    assert_not_quoted(&ended.stderr, "--allow-outside-files");
    // Binary junk inside the folder is quoted escaped, never raw.
    fs::write(layout.path("s/junk.csv"), b"1\n\x1b]0;owned\x07\x00\xff\xfe\n").unwrap();
    fs::write(layout.scenario(), scenario(&sample_file("junk.csv"))).unwrap();
    let ended = capsim(args!["validate", layout.scenario()]);
    assert_eq!(ended.code, Some(2), "{}", ended.stderr);
    assert!(
        ended.stderr.contains("line 2: `\\u{1b}]0;owned\\u{7}…`"),
        "{}",
        ended.stderr
    );
    assert!(
        !ended.stderr.contains('\u{1b}') && !ended.stderr.contains('\u{7}'),
        "control characters reach the terminal:\n{}",
        ended.stderr
    );
}

// Item 7 (files).

#[test]
fn a_device_fifo_or_folder_is_refused_at_once() {
    let layout = Layout::new(&sample_file("pipe.csv"));
    let fifo = layout.path("s/pipe.csv");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(status.success());
    let folder_as_samples = format!("pool.p.endpoint.e.service={}", sample_file("."));
    let cases: [(&str, Vec<OsString>, &str); 4] = [
        (
            "/dev/zero as the scenario",
            args!["validate", "/dev/zero"],
            "/dev/zero",
        ),
        ("a FIFO as the scenario", args!["validate", fifo], "pipe.csv"),
        (
            "a FIFO as a sample file",
            args!["validate", layout.scenario()],
            "pipe.csv",
        ),
        (
            "a folder as a sample file",
            args!["validate", layout.scenario(), "--set", folder_as_samples].to_vec(),
            "`.`",
        ),
    ];
    for (case, args, names) in cases {
        let started = Instant::now();
        let ended = capsim_in(Path::new("."), &args, Duration::from_secs(30));
        assert_eq!(ended.code, Some(2), "{case}: exit 2 at once\n{}", ended.stderr);
        assert!(
            ended.stderr.contains("not a regular file") && ended.stderr.contains(names),
            "{case}: a clear message\n{}",
            ended.stderr
        );
        assert!(started.elapsed() < Duration::from_secs(20), "{case}: fast");
    }
}

// Item 5.

/// Every file under `dir` (relative paths) with its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_owned();
                files.push((relative, fs::read(&path).unwrap_or_default()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn out_at_the_scenario_folder_never_overwrites_an_input() {
    // The sample file is named like an output: `--out` at the scenario's
    // folder replaced it with the run's summary, and the next run read
    // the summary as samples.
    let layout = Layout::new(&sample_file("summary.csv"));
    fs::write(layout.path("s/summary.csv"), "latency_ms\n2\n4\n6\n").unwrap();
    let before = tree(&layout.path("s"));
    for extra in [&[][..], &["--force"][..]] {
        let mut args: Vec<OsString> = args!["run", layout.scenario(), "-q", "--out", layout.path("s")];
        args.extend(extra.iter().map(OsString::from));
        let ended = capsim(args);
        assert_eq!(ended.code, Some(2), "{extra:?}: refused\n{}", ended.stderr);
        assert!(
            ended.stderr.contains("which this command reads"),
            "{extra:?}: says why\n{}",
            ended.stderr
        );
        assert!(
            tree(&layout.path("s")) == before,
            "{extra:?}: the scenario's folder is untouched"
        );
    }
}

#[test]
fn out_refuses_a_folder_of_other_files_and_deletes_only_its_own() {
    let layout = Layout::new("\"2ms\"");
    let out = layout.path("mine");
    fs::create_dir_all(out.join("charts")).unwrap();
    fs::write(out.join("notes.txt"), "my notes").unwrap();
    fs::write(out.join("charts/diagram.png"), "my drawing").unwrap();
    let before = tree(&out);
    let ended = capsim(args!["run", layout.scenario(), "-q", "--out", out]);
    assert_eq!(ended.code, Some(2), "refused\n{}", ended.stderr);
    assert!(
        ended.stderr.contains("holds files capsim did not write"),
        "{}",
        ended.stderr
    );
    assert!(ended.stderr.contains("--force"), "{}", ended.stderr);
    assert!(tree(&out) == before, "nothing in the folder changed");
    // With --force: written, and the user's files are still there.
    let ended = capsim(args!["run", layout.scenario(), "-q", "--force", "--out", out]);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "my notes");
    assert_eq!(
        fs::read_to_string(out.join("charts/diagram.png")).unwrap(),
        "my drawing"
    );
    assert!(out.join("summary.csv").is_file());
    // Now capsim's: a second run needs no --force and still deletes only
    // what capsim wrote.
    let ended = capsim(args!["run", layout.scenario(), "-q", "--out", out]);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(
        fs::read_to_string(out.join("charts/diagram.png")).unwrap(),
        "my drawing"
    );
    // A file of an output's name put there by someone else stops the run.
    fs::remove_file(out.join("report.html")).unwrap();
    fs::write(out.join("report.html"), "my report").unwrap();
    let ended = capsim(args!["run", layout.scenario(), "-q", "--out", out]);
    assert_eq!(ended.code, Some(2), "{}", ended.stderr);
    assert!(
        ended.stderr.contains("was not written by capsim"),
        "{}",
        ended.stderr
    );
    assert_eq!(fs::read_to_string(out.join("report.html")).unwrap(), "my report");
}

#[test]
fn every_command_with_out_refuses_a_folder_of_other_files() {
    let layout = Layout::new("\"2ms\"");
    let scenario = layout.scenario();
    // A finished sweep shard, for merge.
    let shard = layout.path("shard");
    let ended = capsim(args![
        "sweep",
        scenario,
        "--vary",
        "pool.p.workers=8,16",
        "--shard",
        "0/1",
        "-q",
        "--out",
        shard
    ]);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    let foreign = layout.path("foreign");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("summary.csv"), "someone else's").unwrap();
    let diagram = foreign.join("summary.csv");
    let commands: [Vec<OsString>; 7] = [
        args!["run", scenario, "--replications", "2", "--out", foreign],
        args![
            "sweep",
            scenario,
            "--vary",
            "pool.p.workers=8,16",
            "--out",
            foreign
        ],
        args![
            "plan", scenario, "--load", "20/s", "--slo", "p99<1s", "--out", foreign
        ],
        args![
            "compare",
            scenario,
            "--variant",
            "a:pool.p.workers=8",
            "--out",
            foreign
        ],
        args!["merge", shard, "--out", foreign],
        args!["chart", foreign],
        args!["graph", scenario, "--out", diagram],
    ];
    let before = tree(&foreign);
    for args in commands {
        let ended = capsim(args.clone());
        // `chart` finds no run there (exit 2) before it would write.
        assert_eq!(ended.code, Some(2), "{args:?}\n{}", ended.stderr);
        assert!(tree(&foreign) == before, "{args:?} changed the folder");
    }
    // Merging into a shard's own folder would overwrite an input.
    let ended = capsim(args!["merge", shard, "--out", shard]);
    assert_eq!(ended.code, Some(2), "{}", ended.stderr);
    assert!(
        ended.stderr.contains("which this command reads"),
        "{}",
        ended.stderr
    );
}

#[test]
fn a_second_run_into_a_busy_folder_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let long = root.path().join("long.toml");
    fs::write(
        &long,
        scenario("{ dist = \"exp\", mean = \"1ms\" }")
            .replace("duration = \"4s\"", "duration = \"100h\"")
            .replace("window = \"1s\"", "window = \"10s\"")
            .replace("rate = \"20/s\"", "rate = \"7200/s\""),
    )
    .unwrap();
    let short = root.path().join("short.toml");
    fs::write(&short, scenario("\"2ms\"")).unwrap();
    let out = root.path().join("out");
    let mut first = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args!["run", long, "-q", "--out", out])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Until the first run is simulating (its time series is being written).
    let started = Instant::now();
    while !fs::read_dir(&out)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        })
        .unwrap_or(false)
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = capsim(args!["run", short, "-q", "--out", out]);
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(second.code, Some(1), "{}", second.stderr);
    assert!(
        second.stderr.contains("another capsim is writing into"),
        "{}",
        second.stderr
    );
    assert!(!out.join("summary.csv").exists(), "no mix of the two runs");
    // The killed run's partial file is removed by the next run there.
    let third = capsim(args!["run", short, "-q", "--out", out]);
    assert_eq!(third.code, Some(0), "{}", third.stderr);
    let leftovers: Vec<String> = tree(&out)
        .into_iter()
        .map(|(path, _)| path.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "stale partial files: {leftovers:?}");
}

// Item 8.

#[test]
fn a_resolved_scenario_with_two_million_samples_runs_again() {
    // 2 000 000 samples of 1 s: 4 MB here, 24 MB written out in
    // nanoseconds, more than the 16 MiB a scenario file may be.
    let count = 2_000_000;
    let mut samples = String::with_capacity(2 * count);
    for index in 0..count {
        samples.push_str(if index % 2 == 0 { "1," } else { "2," });
    }
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("many.toml");
    fs::write(
        &file,
        scenario(&format!(
            "{{ dist = \"empirical\", unit = \"s\", samples = [{samples}] }}"
        ))
        .replace("rate = \"20/s\"", "rate = \"2/s\""),
    )
    .unwrap();
    let first = root.path().join("first");
    let second = root.path().join("second");
    let ended = capsim(args!["run", file, "-q", "--out", first]);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    let resolved = first.join("scenario.resolved.toml");
    assert!(fs::metadata(&resolved).unwrap().len() < 16 << 20);
    let ended = capsim(args!["run", resolved, "-q", "--out", second]);
    assert_eq!(
        ended.code,
        Some(0),
        "the resolved scenario runs again:\n{}",
        ended.stderr
    );
    for name in [
        "summary.csv",
        "scenario.resolved.toml",
        "scenario.resolved.samples-1.csv",
    ] {
        assert!(
            fs::read(first.join(name)).unwrap() == fs::read(second.join(name)).unwrap(),
            "{name} differs when the resolved scenario is run again"
        );
    }
    assert!(ended.stdout.is_empty());
}
