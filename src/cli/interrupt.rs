//! Ctrl-C: the first press asks the engine to stop at the next batch; the run then ends with
//! "interrupted", exit code 130, and no output file (outputs are only ever written whole, after
//! the run). A second press ends the process at once.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Install the handler (once per process). If it cannot be installed, Ctrl-C keeps its default
/// effect, which also leaves no partial output file.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\ninterrupt: stopping after the current batches…");
        });
    });
}

pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
