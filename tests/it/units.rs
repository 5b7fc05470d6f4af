//! One unit per quantity: error rates are fractions in CSV files and
//! percentages wherever people read them (the terminal, report.html's
//! cards and tables, compare's table), and `--format md` prints the tables
//! of `compare`, `sweep` and `plan` as Markdown with the same cells.

use std::fs;

use crate::support::capsim;

const SHORT: [&str; 4] = ["--set", "scenario.duration=30s", "--set", "scenario.warmup=10s"];

fn stdout_of(args: &[&str]) -> String {
    let output = capsim().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "capsim {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The drill kills the only server for a while: about 22 % of requests fail.
#[test]
fn error_rates_are_fractions_in_csv_and_percentages_in_text() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let out_text = out.display().to_string();
    let terminal = stdout_of(&["run", "scenarios/drill-single-server.toml", "--out", &out_text]);
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    let fraction: f64 = summary
        .lines()
        .find_map(|line| line.strip_prefix("overall,error_rate,"))
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.1..0.5).contains(&fraction), "{fraction}");
    let percent = format!("{:.3}", 100.0 * fraction);
    assert!(terminal.contains(&format!("errors {percent}%")), "{terminal}");
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    // The card, the requests table and the table of every value agree.
    assert!(
        page.contains(&format!(
            "<div class=\"value\">{percent} %</div><div class=\"label\">error rate"
        )),
        "card"
    );
    assert!(
        page.contains(&format!("<td class=\"num\">{percent} %</td>")),
        "requests table"
    );
    assert!(
        page.contains(&format!(
            "<td>overall</td><td>error_rate</td><td class=\"num\">{percent} %</td>"
        )),
        "summary table"
    );
    // No table shows the error rate as a fraction.
    let four = format!("{fraction:.4}");
    assert!(!page.contains(&format!(">{four}<")), "{four} in report.html");
}

#[test]
fn compare_sweep_and_plan_print_markdown_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let scenario = "scenarios/01-single-server.toml";
    let markdown_rows = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|line| line.starts_with('|'))
            .map(str::to_owned)
            .collect()
    };
    let compare = stdout_of(
        &[
            &[
                "compare",
                scenario,
                "--variant",
                "fast:workload.arrivals.rate=300/s",
            ][..],
            &SHORT,
            &["--format", "md", "--out", &out("compare")],
        ]
        .concat(),
    );
    let rows = markdown_rows(&compare);
    assert!(
        rows[0].starts_with("| scope | metric | 01-single-server | fast | diff | diff % |"),
        "{compare}"
    );
    assert!(
        rows[1].starts_with("| --- | --- | ---: | ---: | ---: | ---: |"),
        "{compare}"
    );
    let errors = rows
        .iter()
        .find(|row| row.starts_with("| overall | error_rate |"))
        .unwrap();
    assert!(errors.contains(" % |") && errors.contains(" pp |"), "{errors}");
    // Every row has the header's number of cells.
    let cells = |row: &str| row.matches(" | ").count();
    assert!(rows.iter().all(|row| cells(row) == cells(&rows[0])), "{compare}");

    let sweep = stdout_of(
        &[
            &["sweep", scenario, "--vary", "workload.arrivals.rate=50/s,100/s"][..],
            &SHORT,
            &["--format", "md", "--out", &out("sweep")],
        ]
        .concat(),
    );
    let rows = markdown_rows(&sweep);
    assert_eq!(
        rows[0],
        "| point | values | throughput/s | p99 ms | errors % | cost $/month | SLOs | bottleneck | knee |"
    );
    assert_eq!(rows.len(), 4, "{sweep}");
    assert!(rows[2].starts_with("| 0 | 50/s | "), "{sweep}");

    let plan = stdout_of(
        &[
            &[
                "plan",
                scenario,
                "--load",
                "100/s",
                "--slo",
                "p99<2s",
                "--slo",
                "error_rate<0.01",
            ][..],
            &["--replications", "2"],
            &SHORT,
            &["--format", "md", "--out", &out("plan")],
        ]
        .concat(),
    );
    let rows = markdown_rows(&plan);
    assert!(
        rows[0].starts_with("| step | phase | ")
            && rows[0].contains("| $/month | p99<2s | error_rate<0.01 | busiest | why |"),
        "{plan}"
    );
    assert!(rows[2].starts_with("| 1 | start | "), "{plan}");
    assert!(rows[2].contains(" %, bound "), "error rates in percent: {plan}");
    assert!(plan.contains("\n- cost $"), "{plan}");
}
