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
