//! Golden values: the first draws of the random streams and of every
//! distribution sampler, and two figures of a whole run, pinned exactly.
//!
//! Results must not change when a dependency is upgraded: `rand_pcg`'s
//! generator, `rand`'s `random::<f64>()` and `random_range` (whose algorithm
//! changed between rand 0.8 and 0.9), and `rand_distr`'s exponential
//! (ziggurat), normal, gamma (two algorithms, for shape below and above 1) and
//! Pareto samplers all decide what a scenario's numbers are. Each check
//! compares exact `f64` bit patterns (or integers) against a file in
//! `tests/golden/`. When a change is intended — and only then, since it
//! changes every published result — regenerate the files with
//! `UPDATE_GOLDEN=1 cargo test golden` and review the diff.

use std::fmt::Write;
use std::path::PathBuf;

use capsim::engine::random::{replication_seed, stream};
use capsim::model::Sampler;
use capsim::scenario::Dist;
use capsim::scenario::dist::LogNormalSpread;
use rand::{Rng, RngExt};

use crate::support::{metric, scenario_file, shipped, simulate};

/// Draws per sampler and per stream.
const DRAWS: usize = 5;

/// Compares `actual` with `tests/golden/<name>.txt`, or writes the file when
/// `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"));
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|value| value == "1") {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("tests/golden/ can be created");
        std::fs::write(&path, actual).expect("the golden file can be written");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error} (UPDATE_GOLDEN=1 writes it)", path.display()));
    if expected != actual {
        let differences: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .filter(|(expected, actual)| expected != actual)
            .map(|(expected, actual)| format!("- {expected}\n+ {actual}"))
            .collect();
        panic!(
            "{} changed: random draws, and so every result, would change\n{}\n\
             (if this change is intended, run with UPDATE_GOLDEN=1 and review the diff)",
            path.display(),
            differences.join("\n")
        );
    }
}

/// One line: a label, then each value as its bit pattern and, for reading,
/// its decimal form.
fn line(out: &mut String, label: &str, values: &[f64]) {
    write!(out, "{label}:").unwrap();
    for value in values {
        write!(out, " {:#018x} ({value})", value.to_bits()).unwrap();
    }
    out.push('\n');
}

#[test]
fn the_first_draws_of_every_sampler_are_pinned() {
    let ms = 1e6;
    let samplers: [(&str, Dist); 12] = [
        ("const", Dist::Const { value: 1.5 * ms }),
        ("exp", Dist::Exp { mean: 4.0 * ms }),
        (
            "uniform",
            Dist::Uniform {
                min: ms,
                max: 5.0 * ms,
            },
        ),
        (
            "normal",
            Dist::Normal {
                mean: 4.0 * ms,
                sd: ms,
            },
        ),
        // Half the mass below zero: exercises the redraw of negative values.
        ("normal redrawing negatives", Dist::Normal { mean: 0.0, sd: ms }),
        (
            "lognormal by cv",
            Dist::LogNormal {
                mean: 4.0 * ms,
                spread: LogNormalSpread::Cv(1.0),
            },
        ),
        (
            "lognormal by p99",
            Dist::LogNormal {
                mean: 4.0 * ms,
                spread: LogNormalSpread::P99(40.0 * ms),
            },
        ),
        // Shape 4 and shape 0.25: rand_distr uses a different method below 1.
        (
            "gamma cv 0.5",
            Dist::Gamma {
                mean: 4.0 * ms,
                cv: 0.5,
            },
        ),
        (
            "gamma cv 2",
            Dist::Gamma {
                mean: 4.0 * ms,
                cv: 2.0,
            },
        ),
        ("pareto", Dist::Pareto { min: ms, alpha: 2.5 }),
        (
            "empirical",
            Dist::Empirical {
                samples: vec![ms, 3.0 * ms, 8.0 * ms],
            },
        ),
        (
            "empirical single",
            Dist::Empirical {
                samples: vec![7.0 * ms],
            },
        ),
    ];
    let mut out = String::from("# first draws of each sampler from stream(42, \"golden\"); values in ns\n");
    for (label, dist) in &samplers {
        let sampler = Sampler::new(dist);
        let mut rng = stream(42, "golden");
        let draws: Vec<f64> = (0..DRAWS).map(|_| sampler.sample(&mut rng)).collect();
        line(&mut out, label, &draws);
    }
    golden("samplers", &out);
}

#[test]
fn the_first_draws_of_the_streams_are_pinned() {
    let mut out = String::from("# first draws of engine streams, by (seed, name)\n");
    let streams: [(u64, &str); 4] = [
        (42, "golden"),
        (1, "workload.arrivals"),
        (0, ""),
        (u64::MAX, "pool.web.endpoint.view_page.service"),
    ];
    for (seed, name) in streams {
        let mut rng = stream(seed, name);
        let words: Vec<String> = (0..DRAWS).map(|_| format!("{:#018x}", rng.next_u64())).collect();
        writeln!(out, "next_u64 {seed} {name:?}: {}", words.join(" ")).unwrap();
    }
    // The conversions the model uses (thinning, probabilities, jitter,
    // uniform and empirical draws; user, balancer and power-of-two picks).
    let mut rng = stream(42, "golden");
    let units: Vec<f64> = (0..DRAWS).map(|_| rng.random::<f64>()).collect();
    line(&mut out, "random::<f64>", &units);
    let mut rng = stream(42, "golden");
    let users: Vec<String> = (0..DRAWS)
        .map(|_| rng.random_range(0..10_000u32).to_string())
        .collect();
    writeln!(out, "random_range(0..10000u32): {}", users.join(" ")).unwrap();
    let mut rng = stream(42, "golden");
    let picks: Vec<String> = (0..DRAWS)
        .map(|_| rng.random_range(0..7usize).to_string())
        .collect();
    writeln!(out, "random_range(0..7usize): {}", picks.join(" ")).unwrap();
    let mut rng = stream(42, "golden");
    let wide: Vec<String> = (0..DRAWS)
        .map(|_| rng.random_range(0..100_000_000_000u64).to_string())
        .collect();
    writeln!(out, "random_range(0..1e11 u64): {}", wide.join(" ")).unwrap();
    let seeds: Vec<String> = (0..DRAWS as u64)
        .map(|index| format!("{:#018x}", replication_seed(1, index)))
        .collect();
    writeln!(out, "replication_seed(1, 0..5): {}", seeds.join(" ")).unwrap();
    golden("streams", &out);
}

#[test]
fn a_whole_run_of_scenario_04_is_pinned() {
    let result = simulate(&scenario_file(&shipped("04-load-balancer.toml"), &[]));
    let mut out = String::from("# scenarios/04-load-balancer.toml, summary.csv\n");
    for name in ["requests", "latency_p99_ms"] {
        let value = metric(&result, "overall", name);
        writeln!(out, "overall,{name}: {:#018x} ({value})", value.to_bits()).unwrap();
    }
    golden("run_04_load_balancer", &out);
}
