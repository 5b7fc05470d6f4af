//! Studies: running scenarios and everything built from runs. A single run
//! is one thread and is fully determined by its scenario (seed included).
//! Analytic estimates live here too, beside the simulation they check.

pub mod cache_theory;
pub mod feasibility;
mod run;

pub use run::{Control, RunError, RunResult, run, run_observed};
