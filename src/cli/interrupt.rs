//! Ctrl-C (SIGINT) and SIGTERM: the first asks every run to stop, which each
//! does within 65 536 events (`study::interrupt`), after which the command writes no
//! results and ends as `Failure::Interrupted` (exit 130); a second one ends the process
//! at once. Either way no output looks complete: files still being written
//! carry a `.partial` name, and `summary.csv` (written last) is absent.

use std::sync::atomic::{AtomicU32, Ordering};

use capsim::study::interrupt;

use super::outcome::{Failure, Outcome, exit_now};

static SIGNALS: AtomicU32 = AtomicU32::new(0);

/// Installs the handler; a failure to install leaves the default (the
/// process ends at once), which is still safe, so it is only reported.
pub fn install() {
    let installed = ctrlc::set_handler(|| {
        if SIGNALS.fetch_add(1, Ordering::Relaxed) == 0 {
            interrupt::request_stop();
            eprintln!("\ninterrupted: stopping (press Ctrl-C again to quit now)");
        } else {
            exit_now(Err(Failure::Interrupted));
        }
    });
    if let Err(error) = installed {
        eprintln!("warning: cannot handle Ctrl-C ({error}); an interrupted run ends at once");
    }
}

/// How a command ended: as it says, unless it was interrupted.
pub fn unless_interrupted(outcome: Outcome) -> Outcome {
    if interrupt::stop_requested() {
        Err(Failure::Interrupted)
    } else {
        outcome
    }
}

/// Whether the command was interrupted; if so, also tells the user that it
/// writes nothing. A study whose runs were stopped has only partial results,
/// which must not be written as if they were whole (the runs after a Ctrl-C
/// end at once, as failures).
pub fn announce_if_interrupted() -> bool {
    let stopped = interrupt::stop_requested();
    if stopped {
        eprintln!("interrupted: no results were written");
    }
    stopped
}
