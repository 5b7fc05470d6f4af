//! The catalogue of metrics (`capsim::metrics::catalog`) is complete and is
//! what README.md documents: every metric a shipped scenario writes is
//! declared, in the files it is declared for, and the README's tables are
//! the catalogue's (`UPDATE_README=1` rewrites them); and the code that reads
//! metrics (report, results, studies) names them through its constants.

use capsim::metrics::catalog::{self, Files};

use crate::support::{root, scenario_file, shipped_scenarios, simulate};

const BEGIN: &str = "<!-- metrics:begin -->\n";
const END: &str = "<!-- metrics:end -->";

#[test]
fn every_metric_a_shipped_scenario_writes_is_catalogued() {
    let mut problems = Vec::new();
    for path in shipped_scenarios() {
        let result = simulate(&scenario_file(&path, &[]));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let summary = result
            .summary
            .rows
            .iter()
            .map(|row| (row.metric, "summary.csv", Files::in_summary as fn(Files) -> bool));
        let series = result.timeseries.rows.iter().map(|row| {
            (
                row.metric,
                "timeseries.csv",
                Files::in_timeseries as fn(Files) -> bool,
            )
        });
        for (metric, file, allowed) in summary.chain(series) {
            let problem = match catalog::lookup(metric) {
                None => format!("{name}: `{metric}` in {file} is not in the catalogue"),
                Some(declared) if !allowed(declared.files) => {
                    format!(
                        "{name}: `{metric}` is in {file}, but the catalogue says {:?}",
                        declared.files
                    )
                }
                Some(_) => continue,
            };
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn readme_tables_are_the_catalogue() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let start = readme
        .find(BEGIN)
        .expect("README.md has the metrics:begin marker")
        + BEGIN.len();
    let end = readme.find(END).expect("README.md has the metrics:end marker");
    let expected = catalog::markdown();
    if readme[start..end] == expected {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).expect("README.md is writable");
        return;
    }
    panic!(
        "README.md's metrics tables differ from src/metrics/catalog.rs; \
         refresh them with `UPDATE_README=1 cargo test --test it metrics_catalog`"
    );
}

/// The README's paragraph on `timeseries.csv` names only catalogued
/// metrics that are written per window.
#[test]
fn readme_timeseries_paragraph_names_per_window_metrics() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("`timeseries.csv` has, per window:")
        .expect("README.md describes timeseries.csv");
    let paragraph = &readme[start..start + readme[start..].find("\n\n").unwrap()];
    // Scopes and scenario keys the paragraph also names.
    let not_metrics = ["timeseries.csv", "overall", "sticky", "cores", "max_connections"];
    let mut checked = 0;
    for (index, word) in paragraph.split('`').enumerate() {
        if index % 2 == 0 || not_metrics.contains(&word) {
            continue;
        }
        for name in expand(word) {
            match catalog::lookup(&name) {
                Some(metric) => assert!(
                    metric.files.in_timeseries(),
                    "README says `{name}` is in timeseries.csv; the catalogue says {:?}",
                    metric.files
                ),
                None => panic!("README's timeseries.csv paragraph names `{name}`, which is not a metric"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} names checked");
}

/// `a_{b,c}_d` → `a_b_d`, `a_c_d`.
fn expand(word: &str) -> Vec<String> {
    match word.split_once('{') {
        None => vec![word.to_owned()],
        Some((head, rest)) => {
            let (choices, tail) = rest.split_once('}').expect("a closing brace");
            choices
                .split(',')
                .map(|choice| format!("{head}{choice}{tail}"))
                .collect()
        }
    }
}

/// The folders whose code reads metrics by name: the report, the results
/// and the studies.
const READERS: [&str; 3] = ["src/report", "src/results", "src/study"];

/// String literals in `READERS` that equal a catalogued metric's name but
/// name something else: a chart's file, a column header, a legend label, a
/// scenario key, a unit suffix. Each is `(file, word, how many times, what
/// it is)`; one more occurrence than listed fails the test.
const NOT_METRICS: &[(&str, &str, usize, &str)] = &[
    (
        "src/results/axis.rs",
        "cores",
        2,
        "scenario fields a sweep may vary",
    ),
    (
        "src/results/axis.rs",
        "instances",
        1,
        "a scenario field a sweep may vary",
    ),
    (
        "src/results/axis.rs",
        "workers",
        1,
        "a scenario field a sweep may vary",
    ),
    (
        "src/report/bottleneck.rs",
        "workers",
        1,
        "the busiest resource's label",
    ),
    ("src/report/run_charts.rs", "dns_answers", 1, "a chart's file"),
    (
        "src/report/run_charts.rs",
        "errors",
        2,
        "a chart's file, a legend label",
    ),
    ("src/report/run_charts.rs", "evictions", 1, "a legend label"),
    ("src/report/run_charts.rs", "hit_ratio", 1, "a chart's file"),
    ("src/report/run_charts.rs", "imbalance", 1, "a chart's file"),
    ("src/report/run_charts.rs", "in_flight", 1, "a chart's file"),
    ("src/report/run_charts.rs", "instances", 1, "a chart's file"),
    ("src/report/run_charts.rs", "misses", 1, "a legend label"),
    ("src/report/run_charts.rs", "rejected", 1, "a legend label"),
    ("src/report/run_charts.rs", "requests", 1, "a legend label"),
    ("src/report/run_charts.rs", "retries", 1, "a legend label"),
    ("src/report/run_charts.rs", "sessions_lost", 1, "a chart's file"),
    ("src/report/run_charts.rs", "unavailable", 1, "a legend label"),
    (
        "src/report/run_charts.rs",
        "utilization",
        2,
        "a chart's file, a unit suffix",
    ),
    ("src/report/run_page.rs", "instances", 1, "a column header"),
    ("src/report/run_page.rs", "rejected", 1, "a column header"),
    ("src/report/run_page.rs", "requests", 2, "column headers"),
    ("src/report/run_page.rs", "served", 1, "a column header"),
    ("src/report/run_page.rs", "utilization", 2, "column headers"),
    (
        "src/report/study_files.rs",
        "replications",
        1,
        "a key of sweep.toml",
    ),
    ("src/report/sweep_charts.rs", "utilization", 1, "a chart's file"),
    (
        "src/report/sweep_charts.rs",
        "workers",
        1,
        "the busiest resource's label",
    ),
    (
        "src/results/headroom.rs",
        "workers",
        1,
        "the saturating resource's label",
    ),
    ("src/results/knobs.rs", "cores", 1, "a scenario key"),
    ("src/results/knobs.rs", "instances", 1, "a scenario key"),
    ("src/study/feasibility.rs", "cores", 1, "a kind of server"),
    ("src/study/feasibility.rs", "workers", 1, "a kind of server"),
];

/// The string literals of Rust source, with their lines, outside comments
/// and outside the item after each `#[cfg(test)]` (test modules may name
/// metrics by string). Raw strings count; char literals and lifetimes are
/// skipped.
fn string_literals(code: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = code.chars().collect();
    let line_at = |index: usize| 1 + chars[..index].iter().filter(|&&c| c == '\n').count();
    let mut literals = Vec::new();
    // Inside a `#[cfg(test)]` item: the brace depth to return to.
    let mut skipping: Option<Option<usize>> = None;
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..chars.len().min(i + 12)].iter().collect();
        match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            '#' if rest.starts_with("#[cfg(test)]") => {
                skipping = Some(None);
                i += "#[cfg(test)]".len();
            }
            '{' => {
                if skipping == Some(None) {
                    skipping = Some(Some(depth));
                }
                depth += 1;
                i += 1;
            }
            '}' => {
                depth -= 1;
                if skipping == Some(Some(depth)) {
                    skipping = None;
                }
                i += 1;
            }
            ';' => {
                if skipping == Some(None) {
                    skipping = None;
                }
                i += 1;
            }
            '\'' => {
                // 'x' or '\n' is a char; anything else is a lifetime.
                if chars.get(i + 1) == Some(&'\\') {
                    i += 2;
                    while chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if chars.get(i + 2) == Some(&'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            'r' if i > 0
                && !chars[i - 1].is_alphanumeric()
                && chars[i + 1..].iter().find(|&&c| c != '#') == Some(&'"') =>
            {
                let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
                let start = i + 2 + hashes;
                let close: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let mut end = start;
                while !chars[end..].iter().collect::<String>().starts_with(&close) {
                    end += 1;
                }
                if skipping.is_none() {
                    literals.push((line_at(i), chars[start..end].iter().collect()));
                }
                i = end + close.len();
            }
            '"' => {
                let start = i + 1;
                let mut end = start;
                while chars[end] != '"' {
                    end += if chars[end] == '\\' { 2 } else { 1 };
                }
                if skipping.is_none() {
                    literals.push((line_at(i), chars[start..end].iter().collect()));
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    literals
}

#[test]
fn the_literal_scan_sees_code_and_skips_comments_and_tests() {
    let code = r##"
        // "in_comment"
        const A: &str = "code"; /* "block" */ let c = '"'; let d = '\''; fn f<'a>() {}
        let raw = r#"raw "quoted""#;
        #[cfg(test)]
        mod tests { fn g() { let _ = "test_only"; { "nested_test" } } }
        #[cfg(test)]
        const T: &str = "test_const";
        let after = "after";
    "##;
    let literals: Vec<String> = string_literals(code).into_iter().map(|(_, text)| text).collect();
    assert_eq!(literals, ["code", "raw \"quoted\"", "after"]);
}

/// Code that reads a metric names it through the catalogue
/// (`metric::UTILIZATION.name`), so a renamed metric cannot leave a chart,
/// a comparison or a study reading a name no run writes. Every string
/// literal in the readers' code that equals a catalogued name fails this
/// test, unless `NOT_METRICS` lists it as a word that names something else.
#[test]
fn readers_name_metrics_through_the_catalogue() {
    let mut found: std::collections::BTreeMap<(String, &str), Vec<usize>> = Default::default();
    for folder in READERS {
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        let mut folders = vec![root().join(folder)];
        while let Some(dir) = folders.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        for path in files {
            let relative = path
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let code = std::fs::read_to_string(&path).unwrap();
            for (line, text) in string_literals(&code) {
                if let Some(metric) = catalog::lookup(&text) {
                    found
                        .entry((relative.clone(), metric.name))
                        .or_default()
                        .push(line);
                }
            }
        }
    }
    let mut problems = Vec::new();
    for ((file, name), lines) in &found {
        let allowed = NOT_METRICS
            .iter()
            .find(|(f, word, _, _)| f == file && word == name)
            .map_or(0, |&(_, _, count, _)| count);
        if lines.len() > allowed {
            problems.push(format!(
                "{file}: \"{name}\" on line(s) {lines:?}: name the metric as metric::{}.name \
                 (or, if the word names something else, list it in NOT_METRICS)",
                name.to_uppercase()
            ));
        }
    }
    for (file, word, count, _) in NOT_METRICS {
        let seen = found.get(&(file.to_string(), *word)).map_or(0, Vec::len);
        if seen < *count {
            problems.push(format!(
                "NOT_METRICS lists \"{word}\" {count} time(s) in {file}, the code has it {seen}: lower the count"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
