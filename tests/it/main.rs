//! End-to-end tests, one binary with a module per behaviour.

mod support;

mod caching;
mod cli;
mod conservation;
mod determinism;
mod diagnostics;
mod drills;
mod model_behaviour;
mod queueing;
mod regression;
mod replication;
