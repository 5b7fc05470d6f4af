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
