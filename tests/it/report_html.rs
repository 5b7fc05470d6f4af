//! report.html in a real browser: headless Chromium opens the report of a
//! reference run, the test fails on any console message (the page has no
//! script, and its content security policy makes the browser report any
//! attempt to fetch from the network), checks that the charts and tables
//! are in the rendered DOM, and saves a screenshot (also copied to
//! `target/report-screenshot.png` for a person to look at).
//!
//! Chromium is required on CI (`CI=true`; .ci/run installs Debian's
//! `chromium`). Elsewhere, without it, these tests skip and say so in one
//! loud line on stderr.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use capsim::report::html;

use crate::support::{self, capsim, run_with_limit};

/// The browser, or `None` when it is missing and the tests may skip.
fn chromium() -> Option<PathBuf> {
    support::external_program(
        &["chromium", "chromium-browser", "google-chrome"],
        "apt-get install chromium",
    )
}

/// What the browser did with a page.
struct Visit {
    dom: String,
    /// Console messages (logs, errors, blocked fetches), one per line.
    console: Vec<String>,
}

/// Opens `page` in headless Chromium: dumps the DOM after load and, with
/// `screenshot`, also saves a 1280-pixel-wide screenshot.
fn visit(browser: &Path, page: &Path, screenshot: Option<&Path>) -> Visit {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let base = |command: &mut Command| {
        command.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ]);
        command.arg(format!("--user-data-dir={}", profile.path().display()));
    };
    let mut dump = Command::new(browser);
    base(&mut dump);
    dump.args(["--dump-dom", &url]);
    let (ok, dom, stderr) = run_with_limit(dump, Duration::from_secs(120));
    assert!(ok, "chromium --dump-dom failed:\n{stderr}");
    let mut console = console_lines(&stderr);
    if let Some(path) = screenshot {
        let mut shot = Command::new(browser);
        base(&mut shot);
        shot.args([
            "--window-size=1280,2400",
            &format!("--screenshot={}", path.display()),
            &url,
        ]);
        let (ok, _, stderr) = run_with_limit(shot, Duration::from_secs(120));
        assert!(ok && path.is_file(), "chromium --screenshot failed:\n{stderr}");
        console.extend(console_lines(&stderr));
    }
    Visit { dom, console }
}

/// Chromium logs every console message (and every blocked fetch, as a
/// content-security-policy violation) as a `CONSOLE` line on stderr.
fn console_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_browser_check_catches_scripts_and_network_fetches() {
    // The harness itself, on pages built with the report's own shell: if it
    // could not see these, a clean report would prove nothing.
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.html");
    let body = "<img src=\"https://example.invalid/logo.png\">\
                <script>console.error('from a script')</script>";
    fs::write(&bad, html::page("bad", "<h1>bad</h1>", body, "")).unwrap();
    let visit = visit(&browser, &bad, None);
    assert!(
        visit.console.iter().any(|line| line.contains("example.invalid")),
        "a fetch from the network went unnoticed: {:?}",
        visit.console
    );
    assert!(
        visit.console.iter().any(|line| line.contains("script")),
        "a script went unnoticed: {:?}",
        visit.console
    );
}

#[test]
fn the_report_opens_cleanly_with_its_charts_and_tables() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    capsim()
        .args([
            "run",
            "scenarios/04-load-balancer.toml",
            "--quiet",
            "--slo",
            "p99<200ms",
            "--slo",
            "web/cpu_utilization<0.2",
            "--out",
        ])
        .arg(&out)
        .assert()
        // One objective is missed on purpose (the report shows a miss): the
        // run writes everything and exits 3, the code of a missed SLO.
        .code(3);
    let screenshot = dir.path().join("report.png");
    let visit = visit(&browser, &out.join("report.html"), Some(&screenshot));
    assert!(
        visit.console.is_empty(),
        "console messages:\n{}",
        visit.console.join("\n")
    );

    let dom = &visit.dom;
    for id in [
        "summary",
        "slo-table",
        "bottleneck-station",
        "bottleneck-table",
        "requests-table",
        "stations-table",
        "components-table",
        "summary-table",
        "events-table",
        "topology-nodes",
        "topology-diagram",
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "no #{id} in the rendered page"
        );
    }
    let charts = fs::read_dir(out.join("charts")).unwrap().count() / 2;
    // Every chart inline, and the topology drawn as one more SVG.
    assert_eq!(dom.matches("<svg").count(), charts + 1, "every chart inline");
    assert_eq!(dom.matches("<svg id=\"topology-diagram\"").count(), 1);
    assert_eq!(dom.matches("<figure id=\"chart-").count(), charts);
    assert!(dom.contains("The station closest to saturation is <strong>web</strong>: CPU 22."));
    assert!(dom.contains("<td class=\"pass\">met</td>") && dom.contains("<td class=\"fail\">missed</td>"));
    assert!(dom.contains("1 of 2 objectives met."));

    let (width, height, _, _) = support::decode_png(&screenshot);
    assert_eq!((width, height), (1280, 2400));
    let (ink, _) = support::png_ink(&screenshot, [0, 0, 0]);
    assert!(
        ink > 100_000,
        "the screenshot is nearly blank ({ink} non-white pixels)"
    );
    // Chart lines in the palette's first colour are visible on screen.
    let blue = capsim::report::chart::PALETTE[0];
    let (_, lines) = support::png_ink(&screenshot, [blue.0, blue.1, blue.2]);
    assert!(
        lines > 200,
        "no chart line visible in the screenshot ({lines} pixels)"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(support::root().join("target"), PathBuf::from);
    fs::create_dir_all(&target).unwrap();
    fs::copy(&screenshot, target.join("report-screenshot.png")).unwrap();
}

#[test]
fn a_report_without_slos_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    capsim()
        .args([
            "run",
            "scenarios/01-single-server.toml",
            "--quiet",
            "--set",
            "scenario.duration=2m",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("id=\"no-slo\">No SLOs were given."));
    assert!(page.contains("The station closest to saturation is <strong>server</strong>: CPU"));
    assert!(page.contains(&format!("content=\"{}\"", html::CSP)));
    // Self-contained: nothing is loaded from anywhere.
    for reference in ["src=", "<link", "@import", "url(", "<script"] {
        assert!(!page.contains(reference), "report.html contains `{reference}`");
    }
}

/// The bottom edge, in CSS pixels from the top of the page, of each element
/// with one of `ids`, as Chromium lays out `page` in a 1280×900 window.
/// The report itself runs no script (its content security policy forbids
/// it), so a copy without that policy gets a short script that writes the
/// positions into the DOM, which `--dump-dom` then shows.
fn bottoms(browser: &Path, page: &Path, ids: &[&str]) -> Vec<(String, Option<f64>)> {
    let html = fs::read_to_string(page).unwrap();
    let policy = format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        html::CSP
    );
    assert!(
        html.contains(&policy),
        "the report has its content security policy"
    );
    let list = ids
        .iter()
        .map(|id| format!("\"{id}\""))
        .collect::<Vec<_>>()
        .join(",");
    let script = format!(
        "<script>const r=[];for(const id of [{list}]){{const e=document.getElementById(id);\
         r.push(id+\"=\"+(e?e.getBoundingClientRect().bottom:\"none\"));}}\
         document.body.setAttribute(\"data-bottoms\",r.join(\" \"));</script></body>"
    );
    let measured = page.with_file_name("measure.html");
    fs::write(&measured, html.replace(&policy, "").replace("</body>", &script)).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let mut dump = Command::new(browser);
    dump.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--window-size=1280,900",
        "--dump-dom",
    ]);
    dump.arg(format!("--user-data-dir={}", profile.path().display()));
    dump.arg(format!("file://{}", measured.canonicalize().unwrap().display()));
    let (ok, dom, stderr) = run_with_limit(dump, Duration::from_secs(120));
    assert!(ok, "chromium --dump-dom failed:\n{stderr}");
    let start = dom.find("data-bottoms=\"").expect("the script ran") + "data-bottoms=\"".len();
    let end = start + dom[start..].find('"').unwrap();
    dom[start..end]
        .split(' ')
        .map(|pair| {
            let (id, value) = pair.split_once('=').unwrap();
            (id.to_owned(), value.parse::<f64>().ok())
        })
        .collect()
}

/// The answer is on the first screen: in report.html of a drill with
/// objectives, at 1280×900, the SLO verdicts, headroom, the bottleneck and
/// the drill's RTO all end above 900 px. The screenshot of that screen is
/// kept as `target/report-first-screen.png` for a person to look at.
#[test]
fn the_first_screen_answers_verdicts_headroom_bottleneck_and_rto() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    capsim()
        .args(["run", "scenarios/drill-primary-database.toml", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let report = out.join("report.html");
    let page = fs::read_to_string(&report).unwrap();
    assert!(page.contains("objectives met."), "the drill has objectives");
    assert!(
        page.contains("<th>RTO (s)</th>"),
        "the drills table gives the RTO"
    );
    let ids = ["slo-table", "headroom", "bottleneck-node", "drills-table"];
    for (id, bottom) in bottoms(&browser, &report, &ids) {
        let bottom = bottom.unwrap_or_else(|| panic!("no #{id} in the report"));
        assert!(
            bottom > 0.0 && bottom <= 900.0,
            "#{id} ends at {bottom} px, below the first screen"
        );
    }

    let screenshot = dir.path().join("first-screen.png");
    let profile = tempfile::tempdir().unwrap();
    let mut shot = Command::new(&browser);
    shot.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--window-size=1280,900",
    ]);
    shot.arg(format!("--user-data-dir={}", profile.path().display()));
    shot.arg(format!("--screenshot={}", screenshot.display()));
    shot.arg(format!("file://{}", report.canonicalize().unwrap().display()));
    let (ok, _, stderr) = run_with_limit(shot, Duration::from_secs(120));
    assert!(
        ok && screenshot.is_file(),
        "chromium --screenshot failed:\n{stderr}"
    );
    let (width, height, _, _) = support::decode_png(&screenshot);
    assert_eq!((width, height), (1280, 900));
    let (ink, _) = support::png_ink(&screenshot, [0, 0, 0]);
    assert!(
        ink > 20_000,
        "the first screen is nearly blank ({ink} non-white pixels)"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(support::root().join("target"), PathBuf::from);
    fs::create_dir_all(&target).unwrap();
    fs::copy(&screenshot, target.join("report-first-screen.png")).unwrap();
}
