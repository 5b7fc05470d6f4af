//! End-to-end tests, one binary with a module per behaviour.

mod support;

mod analytic;
mod autoscaling;
mod caching;
mod cdn;
mod cdn_regions;
mod charts;
mod cli;
mod compare;
mod conservation;
mod determinism;
mod diagnostics;
mod drills;
mod fuzz_scenarios;
mod golden;
mod graph;
mod hardening_runtime;
mod interrupt;
mod layers;
mod metrics_catalog;
mod model_behaviour;
mod plan;
mod properties;
mod queueing;
mod queues;
mod regions;
mod regression;
mod replication;
mod replications;
mod report_html;
mod schema;
mod semi_sync;
mod sessions;
mod sweeps;
mod tutorial;
