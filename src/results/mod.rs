//! Results: what runs produce, and everything read from it without running
//! anything. A run's result, a summary over replications, service-level
//! objectives and their verdicts, why a run completed nothing, its drills, the bottleneck rule and the headroom, a sweep's grid,
//! table and analysis, a plan and its knobs.
//!
//! This layer sits below both of its users: `study` runs simulations and
//! fills these types, `report` writes and draws them, and neither imports
//! the other's results from above. Nothing here simulates, reads the clock
//! or touches a file; a value computed here from a table is the same
//! whether the table came from runs or was read back from disk.

pub mod axis;
pub mod bottleneck;
pub mod drills;
pub mod headroom;
pub mod interval;
pub mod knobs;
pub mod plan;
mod run;
pub mod shard;
pub mod slo;
pub mod stall;
pub mod sweep;
pub mod sweep_analysis;
pub mod usl;

pub use run::{Replicated, RunResult};
