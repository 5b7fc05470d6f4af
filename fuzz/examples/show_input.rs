//! Prints the scenario text (and `--set` overrides) that a fuzz input stands
//! for, to turn a crash artifact into a regression test:
//!
//!     cargo run --example show_input -- load_toml artifacts/load_toml/crash-…
//!
//! Targets: `load_scenario` and `load_toml` read the whole input;
//! `run_scenario` reads its first byte as the mode (even: text, odd: a
//! generated document) and the rest as that target's input.

use capsim_fuzz::toml_gen::{Choices, document};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(target), Some(path)) = (args.next(), args.next()) else {
        eprintln!("usage: show_input <load_scenario|load_toml|run_scenario> <input file>");
        std::process::exit(2);
    };
    let data = std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
    let (text, overrides) = match (target.as_str(), data.split_first()) {
        ("load_toml", _) => (document(&mut Choices::new(&data)), Vec::new()),
        ("run_scenario", Some((mode, rest))) if mode % 2 == 1 => {
            (document(&mut Choices::new(rest)), Vec::new())
        }
        ("run_scenario", Some((_, rest))) => capsim_fuzz::decode(rest),
        _ => capsim_fuzz::decode(&data),
    };
    for line in &overrides {
        println!("# --set {line}");
    }
    print!("{text}");
}
