//! capsim: a deterministic discrete-event simulator for capacity planning of
//! web architectures.

pub mod engine;
