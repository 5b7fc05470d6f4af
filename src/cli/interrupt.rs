//! Ctrl-C (SIGINT) and SIGTERM: the first asks every run to stop at its next
//! window boundary (`study::interrupt`), after which the command writes no
//! results and exits with `EXIT_INTERRUPTED`; a second one ends the process
//! at once. Either way no output looks complete: files still being written
//! carry a `.partial` name, and `summary.csv` (written last) is absent.

use std::sync::atomic::{AtomicU32, Ordering};

use capsim::study::interrupt;

use super::EXIT_INTERRUPTED;

static SIGNALS: AtomicU32 = AtomicU32::new(0);

/// Installs the handler; a failure to install leaves the default (the
/// process ends at once), which is still safe, so it is only reported.
pub fn install() {
    let installed = ctrlc::set_handler(|| {
        if SIGNALS.fetch_add(1, Ordering::Relaxed) == 0 {
            interrupt::request_stop();
            eprintln!(
                "\ninterrupted: stopping at the end of the current window (press Ctrl-C again to quit now)"
            );
        } else {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    if let Err(error) = installed {
        eprintln!("warning: cannot handle Ctrl-C ({error}); an interrupted run ends at once");
    }
}

/// The exit code a command ends with: its own, unless it was interrupted.
pub fn exit_code(code: u8) -> u8 {
    if interrupt::stop_requested() {
        EXIT_INTERRUPTED
    } else {
        code
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
