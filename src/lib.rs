//! capsim: a deterministic discrete-event simulator for capacity planning of
//! web architectures.

pub mod calibrate;
pub mod engine;
pub mod metrics;
pub mod model;
pub mod report;
pub mod results;
pub mod scenario;
pub mod study;
