//! Studies: running scenarios and everything built from runs. A single run
//! is one thread and is fully determined by its scenario (seed included).
//! Analytic estimates live here too, beside the simulation they check.

pub mod analytic;
pub mod axis;
pub mod bottleneck;
pub mod cache_estimate;
pub mod cache_theory;
pub mod compare;
pub mod feasibility;
pub mod interrupt;
pub mod knobs;
pub mod plan;
pub mod replicate;
mod run;
pub mod schedule;
pub mod shard;
pub mod slo;
pub mod stats;
pub mod sweep;
pub mod sweep_analysis;
pub mod usl;

pub use run::{Control, RunError, RunResult, run, run_observed};
