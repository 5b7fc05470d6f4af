//! A deterministic fuzzer over the files a scenario reads and the folders
//! results go to (issue 22), run in `cargo test` beside
//! `fuzz_scenarios.rs`.
//!
//! File references: each case names one to three sample files — inside the
//! scenario's folder or outside it, absolute, through `../`, through
//! symbolic links (to inside, to outside, dangling, looping), FIFOs,
//! devices, folders, files larger than the limit, a line without end,
//! binary junk — in the scenario text or through `--set`, with files
//! allowed anywhere or not. The contract: no panic and no hang; a file
//! outside the folder is refused unless allowed; a FIFO, device or folder
//! is refused; a message never quotes 11 characters in a row of another
//! file's line and never carries a control character; a scenario that
//! loads read only files inside its folder (unless allowed), and its
//! resolved form — long sample lists in side files — loads back equal.
//!
//! Output folders: each case builds a folder state — missing, empty, a file
//! instead of a folder, a folder capsim wrote (then edited: files added,
//! replaced, deleted, stale `.partial` files, a tampered marker), someone
//! else's folder, the scenario's own folder or a sample file's, one nested
//! inside the scenario's folder, a symbolic link to a folder — and writes a
//! run there with or without `force`, sometimes while another claim holds
//! it. The contract: the claim is refused exactly when the rules say; a
//! file capsim did not write is never changed or deleted (with `force`,
//! only files of the names the run writes may be replaced); nothing outside
//! the output folder changes; a finished write lists every file in the
//! marker and leaves no partial file; a second claim while one holds is
//! refused; a folder capsim wrote takes the next run without `force`.
//! A few cases drive `capsim run` itself.
//!
//! The generator is seeded: every run tries the same cases, and a failure
//! names the case. Runtime: a few seconds.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::symlink;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use capsim::engine::random::{Stream, stream};
use capsim::report::out_dir::{MARKER, OutDir, OutDirError, Rules};
use capsim::report::{RUN_FILES, write_run};
use capsim::results::RunResult;
use capsim::scenario::dump::{RESOLVED_FILE, resolved};
use capsim::scenario::{FileAccess, Style, load_file, load_text_with};
use rand::RngExt;

/// Cases of file references per run.
const FILE_CASES: usize = 400;
/// Cases of output folders per run (library level; each writes a few
/// runs, every file synced to disk, about 50 ms).
const OUT_CASES: usize = 80;
/// Cases of output folders through `capsim run`.
const CLI_CASES: usize = 6;
/// Longest any one case may take (wall time): cases take milliseconds, so
/// this only catches a read that blocks or never ends.
const CASE_LIMIT: Duration = Duration::from_secs(60);

/// A line of someone else's file.
const CREDENTIAL: &str = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn scenario_text(service: &str) -> String {
    format!(
        "[scenario]\nduration = \"2s\"\nwindow = \"1s\"\n[workload]\narrivals = {{ kind = \"open\", rate = \"20/s\" }}\n\
         mix = [{{ class = \"q\", call = \"p/e\" }}]\n[pool.p]\nworkers = 8\n[pool.p.endpoint.e]\nservice = {service}\n"
    )
}

/// Runs `cases` on a worker thread; a case that takes longer than
/// `CASE_LIMIT` fails the test (naming it) instead of hanging it.
fn with_watchdog(name: &'static str, cases: impl FnOnce(&mpsc::Sender<String>) + Send + 'static) {
    let (progress, heartbeat) = mpsc::channel::<String>();
    let worker = std::thread::spawn(move || cases(&progress));
    let mut current = String::from("(before the first case)");
    loop {
        match heartbeat.recv_timeout(CASE_LIMIT) {
            Ok(case) => current = case,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("{name}: a case ran for more than {CASE_LIMIT:?} (a read blocks?)\n{current}")
            }
        }
    }
    if let Err(payload) = worker.join() {
        std::panic::resume_unwind(payload);
    }
}

struct Rng(Stream);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n.max(1))
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn bytes(&mut self, count: usize) -> Vec<u8> {
        (0..count).map(|_| self.below(256) as u8).collect()
    }
}

// File references.

/// The scenario's folder `root/s`, someone else's folder `root/o`, and the
/// files the cases name.
struct World {
    root: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let s = root.path().join("s");
        let o = root.path().join("o");
        fs::create_dir_all(s.join("sub")).unwrap();
        fs::create_dir_all(&o).unwrap();
        fs::write(o.join("secret.csv"), format!("1\n{CREDENTIAL}\n")).unwrap();
        fs::write(o.join("good.csv"), "1\n2\n3\n").unwrap();
        fs::write(s.join("secret.csv"), format!("ms\n2\n{CREDENTIAL}\n")).unwrap();
        let many: String = (1..=300).map(|i| format!("{i}\n")).collect();
        fs::write(s.join("good.csv"), many).unwrap();
        fs::write(s.join("sub/good.csv"), "latency_ms,other\n4,x\n5,y\n").unwrap();
        fs::write(s.join("long-line.csv"), "1".repeat(70 * 1024)).unwrap();
        let big = fs::File::create(s.join("big.csv")).unwrap();
        big.set_len(300 << 20).unwrap();
        let fifo = s.join("fifo.csv");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        symlink(o.join("secret.csv"), s.join("to-outside.csv")).unwrap();
        symlink(s.join("good.csv"), s.join("to-inside.csv")).unwrap();
        symlink(s.join("missing.csv"), s.join("dangling.csv")).unwrap();
        symlink(s.join("loop-b.csv"), s.join("loop-a.csv")).unwrap();
        symlink(s.join("loop-a.csv"), s.join("loop-b.csv")).unwrap();
        symlink(&o, s.join("other")).unwrap();
        World { root }
    }

    fn folder(&self) -> PathBuf {
        self.root.path().join("s")
    }

    fn outside(&self) -> PathBuf {
        self.root.path().join("o")
    }
}

/// A file reference a case may write in `file = "..."`.
fn reference(rng: &mut Rng, world: &World) -> String {
    let s = world.folder();
    let o = world.outside();
    let absolute = |path: PathBuf| path.to_string_lossy().into_owned();
    match rng.below(26) {
        0 => "good.csv".into(),
        1 => "sub/good.csv".into(),
        2 => "sub/../good.csv".into(),
        3 => "../s/good.csv".into(),
        4 => absolute(s.join("good.csv")),
        5 => "secret.csv".into(),
        6 => "../o/secret.csv".into(),
        7 => "sub/../../o/secret.csv".into(),
        8 => absolute(o.join("secret.csv")),
        9 => absolute(o.join("good.csv")),
        10 => "to-outside.csv".into(),
        11 => "to-inside.csv".into(),
        12 => "dangling.csv".into(),
        13 => "loop-a.csv".into(),
        14 => "other/secret.csv".into(),
        15 => "fifo.csv".into(),
        16 => "big.csv".into(),
        17 => "long-line.csv".into(),
        18 => "junk.csv".into(),
        19 => "sub".into(),
        20 => ".".into(),
        21 => "/dev/zero".into(),
        22 => "/dev/null".into(),
        23 => "/proc/self/status".into(),
        24 => "missing.csv".into(),
        _ => {
            // A path of junk: control characters, quotes, `/`, accents, long.
            let length = 1 + rng.below(300);
            (0..length)
                .map(|_| match rng.below(4) {
                    0 => char::from(1 + rng.below(0x1f) as u8),
                    1 => char::from_u32(0xa0 + rng.below(0x260) as u32).unwrap_or('x'),
                    _ => char::from(0x20 + rng.below(0x5f) as u8),
                })
                .collect()
        }
    }
}

/// `file` as a TOML basic string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// What the rules say of a reference: `None` when it cannot resolve.
struct Expected {
    target: Option<PathBuf>,
    inside: bool,
    regular: bool,
}

fn expected(world: &World, file: &str) -> Expected {
    let folder = fs::canonicalize(world.folder()).unwrap();
    let target = fs::canonicalize(world.folder().join(file)).ok();
    let inside = target.as_ref().is_some_and(|target| target.starts_with(&folder));
    let regular = target
        .as_ref()
        .and_then(|target| fs::metadata(target).ok())
        .is_some_and(|metadata| metadata.is_file());
    Expected {
        target,
        inside,
        regular,
    }
}

fn assert_no_leak(text: &str, case: &str) {
    let chars: Vec<char> = CREDENTIAL.chars().collect();
    for window in chars.windows(11) {
        let piece: String = window.iter().collect();
        assert!(
            !text.contains(&piece),
            "{case}: a message quotes `{piece}` of another file's line:\n{text}"
        );
    }
    if let Some(bad) = text
        .chars()
        .find(|&c| c != '\n' && (c.is_control() || ('\u{80}'..='\u{9f}').contains(&c)))
    {
        panic!("{case}: a message carries the control character {bad:?}:\n{text}");
    }
}

/// How file cases ended, to show the generator reaches every path.
#[derive(Default, Debug)]
struct FileTally {
    loaded: usize,
    side_files: usize,
    outside: usize,
    not_regular: usize,
    too_large: usize,
}

fn file_case(
    rng: &mut Rng,
    world: &World,
    number: usize,
    progress: &mpsc::Sender<String>,
    tally: &mut FileTally,
) {
    let junk_length = 1 + rng.below(200);
    fs::write(world.folder().join("junk.csv"), rng.bytes(junk_length)).unwrap();
    let access = if rng.chance(3) {
        FileAccess::Anywhere
    } else {
        FileAccess::InsideFolder
    };
    let count = 1 + rng.below(3);
    let files: Vec<String> = (0..count).map(|_| reference(rng, world)).collect();
    let dist = |file: &str, rng: &mut Rng| {
        let column = if rng.chance(4) {
            ", column = \"latency_ms\""
        } else {
            ""
        };
        format!(
            "{{ dist = \"empirical\", file = {}, unit = \"ms\"{column} }}",
            toml_string(file)
        )
    };
    // The first in the text (service), the others as steps, one of them
    // perhaps through --set.
    let mut steps = Vec::new();
    let mut overrides = Vec::new();
    for file in &files[1..] {
        let step = format!("{{ delay = {} }}", dist(file, rng));
        steps.push(step);
    }
    let mut text = scenario_text(&dist(&files[0], rng));
    if !steps.is_empty() {
        let list = format!("[{}]", steps.join(", "));
        if rng.chance(2) {
            overrides.push(format!("pool.p.endpoint.e.steps={list}"));
        } else {
            text.push_str(&format!("steps = {list}\n"));
        }
    }
    let description =
        format!("file case {number} ({access:?}): files {files:?}\noverrides: {overrides:?}\n{text}");
    progress.send(description.clone()).unwrap();
    let through_file = rng.chance(2);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let loaded = if through_file {
            let path = world.folder().join("fuzz.toml");
            fs::write(&path, &text).unwrap();
            capsim::scenario::load_file_with(&path, &overrides, access)
        } else {
            load_text_with("fuzz.toml", &text, &overrides, &world.folder(), "fuzz", access)
        };
        let folder = fs::canonicalize(world.folder()).unwrap();
        match loaded {
            Err(error) => {
                let rendered = error.render(Style::Plain);
                assert_no_leak(&rendered, &description);
                tally.outside += usize::from(rendered.contains("outside the scenario's folder"));
                tally.not_regular += usize::from(rendered.contains("not a regular file"));
                tally.too_large +=
                    usize::from(rendered.contains("larger than") || rendered.contains("longer than"));
                for file in &files {
                    let expected = expected(world, file);
                    if expected.target.is_some() && !expected.inside && access == FileAccess::InsideFolder {
                        assert!(
                            rendered.contains("outside the scenario's folder"),
                            "{description}\n`{file}` is outside but no message says so:\n{rendered}"
                        );
                    }
                    if expected.target.is_some()
                        && !expected.regular
                        && (expected.inside || access == FileAccess::Anywhere)
                    {
                        assert!(
                            rendered.contains("not a regular file"),
                            "{description}\n`{file}` is not a regular file but no message says so:\n{rendered}"
                        );
                    }
                }
            }
            Ok(loaded) => {
                assert_no_leak(&loaded.render_warnings(Style::Plain), &description);
                for file in &files {
                    let expected = expected(world, file);
                    assert!(
                        expected.regular,
                        "{description}\n`{file}` loaded but is not a regular file"
                    );
                    if access == FileAccess::InsideFolder {
                        assert!(expected.inside, "{description}\n`{file}` is outside but loaded");
                    }
                }
                if access == FileAccess::InsideFolder {
                    for input in &loaded.inputs {
                        assert!(
                            input.starts_with(&folder),
                            "{description}\nread `{}`, outside the folder",
                            input.display()
                        );
                    }
                }
                // The resolved form, long lists in side files, loads back equal.
                let out = tempfile::tempdir().unwrap();
                let resolved = resolved(&loaded.scenario);
                tally.loaded += 1;
                tally.side_files += usize::from(!resolved.side_files.is_empty());
                for side in &resolved.side_files {
                    fs::write(out.path().join(&side.name), &side.bytes).unwrap();
                }
                fs::write(out.path().join(RESOLVED_FILE), &resolved.toml).unwrap();
                let again = load_file(&out.path().join(RESOLVED_FILE), &[]).unwrap_or_else(|error| {
                    panic!("{description}\nthe resolved scenario does not load:\n{error}")
                });
                assert!(
                    again.scenario == loaded.scenario,
                    "{description}\nloads back different"
                );
            }
        }
    }));
    if let Err(payload) = outcome {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|text| (*text).to_owned()))
            .unwrap_or_default();
        panic!("{message}\n{description}");
    }
}

#[test]
fn random_file_references_are_read_only_where_allowed_and_never_quoted() {
    with_watchdog("file references", |progress| {
        let world = World::new();
        let mut rng = Rng(stream(0x022f_11e5, "tests.fuzz_files.references"));
        let mut tally = FileTally::default();
        for number in 0..FILE_CASES {
            file_case(&mut rng, &world, number, progress, &mut tally);
        }
        let FileTally {
            loaded,
            side_files,
            outside,
            not_regular,
            too_large,
        } = tally;
        assert!(
            [loaded, side_files, outside, not_regular, too_large]
                .iter()
                .all(|&count| count > 0),
            "the generator misses a path: {tally:?}"
        );
    });
}

// Output folders.

/// Every file and link under `dir`: relative path → contents (a link: its
/// target).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            let relative = path.strip_prefix(dir).unwrap().to_owned();
            if kind.is_symlink() {
                let target = fs::read_link(&path).unwrap();
                files.insert(relative, target.as_os_str().as_encoded_bytes().to_vec());
            } else if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                files.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// A small run to write, simulated once.
fn tiny_run() -> (capsim::scenario::Scenario, RunResult) {
    let loaded = capsim::scenario::load_str(&scenario_text("\"2ms\"")).unwrap();
    let result = capsim::study::run(&loaded.scenario).unwrap();
    (loaded.scenario, result)
}

/// Names a folder's foreign files may have: capsim's own among them.
const NAMES: &[&str] = &[
    "summary.csv",
    "timeseries.csv",
    "events.csv",
    "scenario.resolved.toml",
    "report.html",
    "notes.txt",
    "charts/latency.svg",
    "charts/mine.png",
    "scenario.resolved.samples-1.csv",
    "data/input.csv",
];

/// How a case's output folder starts.
#[derive(Debug, Clone, Copy)]
enum Start {
    Missing,
    Empty,
    AFile,
    Foreign,
    Capsims,
    ScenarioFolder,
    SampleFolder,
    Nested,
    Link,
}

const STARTS: [Start; 9] = [
    Start::Missing,
    Start::Empty,
    Start::AFile,
    Start::Foreign,
    Start::Capsims,
    Start::ScenarioFolder,
    Start::SampleFolder,
    Start::Nested,
    Start::Link,
];

/// Adds files capsim did not write to `dir`, noting them in `foreign`.
/// (Not partial files' names: in a folder capsim wrote, those are taken for
/// what a killed capsim left.)
fn add_foreign(rng: &mut Rng, dir: &Path, foreign: &mut BTreeSet<PathBuf>) {
    for _ in 0..1 + rng.below(4) {
        let name = NAMES[rng.below(NAMES.len())];
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let length = 1 + rng.below(40);
        fs::write(&path, rng.bytes(length)).unwrap();
        foreign.insert(path);
    }
}

/// How output cases ended, by their start and outcome.
type OutTally = BTreeSet<String>;

fn out_case(
    rng: &mut Rng,
    number: usize,
    run: &(capsim::scenario::Scenario, RunResult),
    progress: &mpsc::Sender<String>,
    tally: &mut OutTally,
) {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("s");
    fs::create_dir_all(folder.join("data")).unwrap();
    fs::write(folder.join("s.toml"), scenario_text("\"2ms\"")).unwrap();
    fs::write(folder.join("data/input.csv"), "1\n2\n").unwrap();
    let inputs: Vec<PathBuf> = [folder.join("s.toml"), folder.join("data/input.csv")]
        .iter()
        .map(|path| fs::canonicalize(path).unwrap())
        .collect();
    let start = STARTS[rng.below(STARTS.len())];
    let force = rng.chance(3);
    let mut foreign: BTreeSet<PathBuf> = BTreeSet::new();
    let resolved = resolved(&run.0);
    let out = match start {
        Start::Missing => root.path().join("new/out"),
        Start::Empty => {
            fs::create_dir(root.path().join("out")).unwrap();
            root.path().join("out")
        }
        Start::AFile => {
            fs::write(root.path().join("out"), "a file").unwrap();
            root.path().join("out")
        }
        Start::Foreign => {
            let out = root.path().join("out");
            fs::create_dir(&out).unwrap();
            add_foreign(rng, &out, &mut foreign);
            if rng.chance(2) {
                // Named like a partial file, in a folder that is not capsim's.
                fs::write(out.join(".summary.csv.4242.partial"), "someone's").unwrap();
                foreign.insert(out.join(".summary.csv.4242.partial"));
            }
            out
        }
        Start::Capsims | Start::Link => {
            let out = root.path().join("out");
            let earlier = OutDir::claim(&out, &Rules::default()).unwrap();
            write_run(&earlier, &resolved, &run.1).unwrap();
            for name in ["charts/old.svg", "charts/old.png"] {
                earlier.write_atomic(name, b"<svg/>").unwrap();
            }
            drop(earlier);
            // Then edited: files added, replaced, deleted; stale partials;
            // a tampered marker.
            if rng.chance(2) {
                add_foreign(rng, &out, &mut foreign);
            }
            if rng.chance(3) {
                let name = ["summary.csv", "charts/old.svg", "events.csv"][rng.below(3)];
                fs::remove_file(out.join(name)).unwrap();
                fs::write(out.join(name), "replaced by someone").unwrap();
                foreign.insert(out.join(name));
            }
            if rng.chance(3) {
                fs::remove_file(out.join(RUN_FILES[rng.below(RUN_FILES.len())])).unwrap();
            }
            if rng.chance(2) {
                fs::write(out.join(".timeseries.csv.77.partial"), "half").unwrap();
                fs::write(out.join("charts/.x.png.78.partial"), "half").unwrap();
            }
            if rng.chance(3) {
                let mut marker = fs::OpenOptions::new()
                    .append(true)
                    .open(out.join(MARKER))
                    .unwrap();
                std::io::Write::write_all(&mut marker, b"../s/s.toml\n/etc/passwd\ndata/../../s/s.toml\n")
                    .unwrap();
            }
            if matches!(start, Start::Link) {
                symlink(&out, root.path().join("link")).unwrap();
                root.path().join("link")
            } else {
                out
            }
        }
        Start::ScenarioFolder => folder.clone(),
        Start::SampleFolder => folder.join("data"),
        Start::Nested => folder.join("results"),
    };
    // Files already there that capsim did not write: the scenario's folder's.
    if matches!(start, Start::ScenarioFolder | Start::SampleFolder | Start::Nested) {
        for (path, _) in snapshot(&folder) {
            foreign.insert(folder.join(path));
        }
    }
    let busy = rng.chance(8);
    let description = format!(
        "out case {number}: {start:?}, force {force}, busy {busy}, out {}",
        out.display()
    );
    progress.send(description.clone()).unwrap();
    let before = snapshot(root.path());
    let foreign_bytes: BTreeMap<PathBuf, Vec<u8>> = foreign
        .iter()
        .filter_map(|path| fs::read(path).ok().map(|bytes| (path.clone(), bytes)))
        .collect();
    let had_marker = out.join(MARKER).exists();
    let non_empty = fs::read_dir(&out)
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false);
    let canonical = fs::canonicalize(&out).ok();
    let input_folder = inputs.iter().any(|input| input.parent() == canonical.as_deref());
    let rules = Rules {
        force,
        inputs: &inputs,
    };
    let claimed = OutDir::claim(&out, &rules);
    match (&claimed, start) {
        (Err(OutDirError::NotAFolder { .. }), Start::AFile) => {}
        (Err(OutDirError::InputFolder { .. }), _) if input_folder => {}
        (Err(OutDirError::Foreign { .. }), _) if !had_marker && non_empty && !force => {}
        (Ok(_), _)
            if !matches!(start, Start::AFile) && !input_folder && (had_marker || !non_empty || force) => {}
        (other, _) => panic!("{description}: claimed {other:?}"),
    }
    let Ok(claimed) = claimed else {
        assert!(
            snapshot(root.path()) == before,
            "{description}: a refused claim changed files"
        );
        tally.insert(format!("{start:?} refused"));
        return;
    };
    if busy {
        let second = OutDir::claim(&out, &rules);
        assert!(
            matches!(second, Err(OutDirError::Busy { .. })),
            "{description}: a second claim while the first holds: {second:?}"
        );
        tally.insert("busy refused".to_owned());
    }
    let written = write_run(&claimed, &resolved, &run.1);
    // Which names a run writes (its files, and the report it replaces): a
    // foreign file of one may be replaced only with force.
    let out_canonical = fs::canonicalize(&out).unwrap();
    let run_names: BTreeSet<PathBuf> = RUN_FILES
        .iter()
        .chain(&["report.html"])
        .map(|name| out_canonical.join(name))
        .collect();
    for (path, bytes) in &foreign_bytes {
        let real = fs::canonicalize(path.parent().unwrap())
            .map(|parent| parent.join(path.file_name().unwrap()))
            .unwrap_or_else(|_| path.clone());
        let replaceable = force && run_names.contains(&real);
        if !replaceable {
            assert!(
                fs::read(path).ok().as_ref() == Some(bytes),
                "{description}: `{}` was not capsim's and changed ({written:?})",
                path.display()
            );
        }
    }
    // Nothing outside the output folder changed.
    let after = snapshot(root.path());
    for (path, bytes) in &before {
        let full = root.path().join(path);
        let in_out = fs::canonicalize(&full)
            .map(|path| path.starts_with(&out_canonical))
            .unwrap_or(true)
            || full.starts_with(&out);
        if !in_out {
            assert!(
                after.get(path) == Some(bytes),
                "{description}: `{}` changed",
                path.display()
            );
        }
    }
    tally.insert(format!(
        "{start:?} {}",
        if written.is_ok() {
            "written"
        } else {
            "write refused"
        }
    ));
    match &written {
        Ok(_) => {
            let listed = claimed.listed();
            for name in RUN_FILES {
                assert!(claimed.join(name).is_file(), "{description}: {name} missing");
                assert!(
                    listed.iter().any(|l| l == name),
                    "{description}: {name} not listed"
                );
            }
        }
        Err(error) => assert!(
            !force && error.to_string().contains("was not written by capsim"),
            "{description}: the write failed: {error}"
        ),
    }
    drop(claimed);
    if written.is_ok() {
        let leftovers: Vec<_> = snapshot(&out)
            .into_keys()
            .filter(|path| path.to_string_lossy().ends_with(".partial"))
            .filter(|path| !foreign.contains(&out.join(path)))
            .collect();
        assert!(
            leftovers.is_empty(),
            "{description}: partial files left: {leftovers:?}"
        );
        // The folder is capsim's now: the next run needs no force.
        let again = OutDir::claim(
            &out,
            &Rules {
                force: false,
                inputs: &inputs,
            },
        )
        .unwrap_or_else(|error| panic!("{description}: a second run is refused: {error}"));
        if let Err(error) = write_run(&again, &resolved, &run.1) {
            panic!("{description}: a second run into capsim's folder failed: {error}");
        }
    }
}

#[test]
fn random_output_folders_take_results_only_where_capsim_wrote() {
    with_watchdog("output folders", |progress| {
        let run = tiny_run();
        let mut rng = Rng(stream(0x22f0_07d1, "tests.fuzz_files.outputs"));
        let mut tally = OutTally::new();
        for number in 0..OUT_CASES {
            out_case(&mut rng, number, &run, progress, &mut tally);
        }
        for needed in [
            "Missing written",
            "Empty written",
            "AFile refused",
            "Foreign refused",
            "Foreign written",
            "Capsims written",
            "Capsims write refused",
            "ScenarioFolder refused",
            "SampleFolder refused",
            "Nested written",
            "Link written",
            "busy refused",
        ] {
            assert!(tally.contains(needed), "no case ended `{needed}`: {tally:?}");
        }
    });
}

#[test]
fn random_output_folders_through_capsim_run() {
    let mut rng = Rng(stream(0x22c1_1000, "tests.fuzz_files.cli"));
    for number in 0..CLI_CASES {
        let root = tempfile::tempdir().unwrap();
        let folder = root.path().join("s");
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join("s.toml"), scenario_text("\"2ms\"")).unwrap();
        let out = match rng.below(4) {
            0 => root.path().join("out"),
            1 => folder.clone(),
            _ => root.path().join("out"),
        };
        let mut foreign = BTreeSet::new();
        if out != folder && rng.chance(2) {
            fs::create_dir_all(&out).unwrap();
            add_foreign(&mut rng, &out, &mut foreign);
        }
        let force = rng.chance(2);
        let before = snapshot(root.path());
        let mut args: Vec<OsString> = vec!["run".into(), folder.join("s.toml").into(), "-q".into()];
        if force {
            args.push("--force".into());
        }
        args.extend(["--out".into(), out.clone().into()]);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_capsim"))
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let description = format!("cli case {number}: {args:?}");
        let expected = if out == folder || (!foreign.is_empty() && !force) {
            2
        } else {
            0
        };
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{description}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let after = snapshot(root.path());
        for path in &foreign {
            let relative = path.strip_prefix(root.path()).unwrap();
            let name = path.strip_prefix(&out).unwrap().to_string_lossy().into_owned();
            let replaceable = force
                && (RUN_FILES.contains(&name.as_str())
                    || name == "report.html"
                    || name.starts_with("charts/"));
            if !replaceable {
                assert!(
                    after.get(relative) == before.get(relative),
                    "{description}: `{}` changed",
                    path.display()
                );
            }
        }
        if expected == 2 {
            assert!(after == before, "{description}: a refused run changed files");
        }
    }
}
