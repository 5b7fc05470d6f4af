//! Shared checks and input decoding for the fuzz targets in `fuzz_targets/`.
//!
//! The targets feed text to `capsim::scenario::load_text` and check the
//! loader's contract: no panic, no hang, no unbounded allocation, and every
//! input either loads or is rejected with at least one error diagnostic that
//! has a message. A scenario that loads must also survive what the command
//! line does with it next: the feasibility estimate, rendering its warnings,
//! and writing the resolved scenario, which must load back equal.
//!
//! `toml_gen` builds syntactically valid TOML from fuzzer bytes, with keys and
//! values drawn mostly from the scenario vocabulary, so the loader's semantic
//! checks are reached far more often than by mutating raw bytes.

pub mod toml_gen;

use std::path::Path;

use capsim::scenario::{Loaded, Style, dump, load_text};

/// Splits fuzzer bytes into scenario text and `--set` overrides: the text is
/// everything before the first pair of NUL bytes, the overrides are the lines
/// after it. Non-UTF-8 bytes become U+FFFD, so every input reaches the loader.
pub fn decode(data: &[u8]) -> (String, Vec<String>) {
    let split = data.windows(2).position(|pair| pair == [0, 0]);
    let (text, rest) = match split {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(text).into_owned();
    let overrides = String::from_utf8_lossy(rest)
        .lines()
        .filter(|line| !line.is_empty())
        .take(16)
        .map(str::to_owned)
        .collect();
    (text, overrides)
}

/// The directory relative `file = ...` paths resolve against: an empty one,
/// so the fuzzer cannot reach the repository's files by accident.
pub fn base_dir() -> &'static Path {
    Path::new("/nonexistent-capsim-fuzz-dir")
}

/// Loads `text` and checks the loader's contract; returns the scenario when
/// it loaded.
pub fn check_load(text: &str, overrides: &[String]) -> Option<Loaded> {
    match load_text("fuzz.toml", text, overrides, base_dir(), "fuzz") {
        Err(error) => {
            let errors: Vec<_> = error.errors().collect();
            assert!(!errors.is_empty(), "a rejected scenario has at least one error");
            for diagnostic in &errors {
                assert!(
                    !diagnostic.message.trim().is_empty(),
                    "every error has a message: {diagnostic:?}"
                );
            }
            // Rendering points into the source text: spans must be valid.
            // (Plain only: it is most of an iteration's time, and the
            // coloured style differs only in escape codes.)
            let plain = error.render(Style::Plain);
            assert!(plain.contains("error"), "{plain}");
            None
        }
        Ok(loaded) => {
            let _ = loaded.render_warnings(Style::Plain);
            let loads = capsim::study::feasibility::estimate(&loaded.scenario);
            let _ = capsim::study::feasibility::warnings(&loads);
            // Compiling the model (samplers, programs, arenas) must not panic
            // either: one event's budget runs just that.
            if small_enough_to_run(&loaded.scenario) {
                let mut scenario = loaded.scenario.clone();
                scenario.limits.max_events = 1;
                let _ = capsim::study::run(&scenario);
            }
            let resolved = dump::to_toml(&loaded.scenario);
            match load_text("resolved.toml", &resolved, &[], base_dir(), "resolved") {
                Ok(again) => assert!(
                    again.scenario == loaded.scenario,
                    "the resolved scenario loads back equal\n{resolved}"
                ),
                Err(error) => panic!("the resolved scenario does not load:\n{error}\n{resolved}"),
            }
            Some(loaded)
        }
    }
}

/// Whether a loaded scenario is small enough to simulate inside a fuzz
/// iteration; larger ones are still loaded and checked, just not run.
pub fn small_enough_to_run(scenario: &capsim::scenario::Scenario) -> bool {
    let windows = scenario.duration.as_nanos() / scenario.window.as_nanos().max(1);
    let users = match &scenario.workload.arrivals {
        capsim::scenario::Arrivals::Open { users, .. } => *users,
        capsim::scenario::Arrivals::Closed { users, .. } => *users,
    };
    let workers: u64 = scenario
        .pools
        .iter()
        .map(|pool| pool.instances as u64 * pool.workers as u64)
        .sum();
    windows <= 2_000 && users <= 100_000 && workers <= 100_000
}
