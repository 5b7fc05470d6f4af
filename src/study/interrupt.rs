//! A process-wide request to stop simulating: what Ctrl-C sets. Every run
//! checks it every `run::CHECK_EVERY` events and between windows, and ends
//! with `RunError::Interrupted`, so a single run, replications, sweeps,
//! plans and comparisons all stop within milliseconds of wall time, however
//! long their windows, and their callers write no results.
//!
//! The flag is global because a signal is: there is one per process, and
//! the runs it must reach are spread over rayon's threads. Only the binary
//! sets it; the library only reads it.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Asks every run in this process to stop (within `run::CHECK_EVERY` events).
pub fn request_stop() {
    STOP_REQUESTED.store(true, Ordering::Relaxed);
}

/// Whether `request_stop` has been called.
pub fn stop_requested() -> bool {
    STOP_REQUESTED.load(Ordering::Relaxed)
}
