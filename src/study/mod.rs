//! Studies: running scenarios and everything built from runs. A single run
//! is one thread and is fully determined by its scenario (seed included).
//! Analytic estimates live here too, beside the simulation they check.
//! What the runs produce, and what is read from it without running
//! anything (objectives, the bottleneck, a sweep's table and analysis, a
//! plan), is `results`'s, one layer down, where `report` reads it too.

pub mod analytic;
pub mod cache_estimate;
pub mod cache_theory;
pub mod compare;
pub mod design;
pub mod feasibility;
pub mod interrupt;
pub mod plan;
pub mod replicate;
mod run;
pub mod schedule;
pub mod stats;
pub mod sweep;

pub use run::{CHECK_EVERY, Control, RunError, TraceSink, run, run_observed, run_traced};
