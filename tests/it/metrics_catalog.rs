//! The catalogue of metrics (`capsim::metrics::catalog`) is complete and is
//! what README.md documents: every metric a shipped scenario writes is
//! declared, in the files it is declared for, and the README's tables are
//! the catalogue's (`UPDATE_README=1` rewrites them).

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
