//! Ctrl-C, for every command. The first press asks the work to stop: the simulation engines
//! poll [`requested`] between batches and end with "interrupted after N trials" (exit 130);
//! no output is written after it ([`export::cancel_writes`]). Work that does not poll (a
//! numerical fit, the tornado, Sobol or Shapley estimates, …) is ended by the handler itself
//! after [`GRACE`]: once no output is being written ([`export::writing`]), it says so and
//! exits 130, so every command stops within about a second with no partial output and no
//! temporary file. A second press ends the process at once.

use crate::error::Error;
use crate::export;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long the handler leaves polling work to stop by itself (and say how far it got).
pub const GRACE: Duration = Duration::from_millis(500);

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Install the handler (once per process). If it cannot be installed, Ctrl-C keeps its default
/// effect, which also leaves no partial output file (outputs are renamed into place whole).
pub fn install() {
    INSTALL.call_once(|| {
        let started = Instant::now();
        let _ = ctrlc::set_handler(move || {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            export::cancel_writes();
            say!("\ninterrupt: stopping…");
            let pressed = Instant::now();
            let done = format!("{:.1} s", started.elapsed().as_secs_f64());
            while pressed.elapsed() < GRACE {
                std::thread::sleep(Duration::from_millis(20));
            }
            // Polling work would have ended the process by now; this work does not poll. Wait
            // for a write in progress (it gives up at its commit), then end here, holding the
            // lock so that no other write starts.
            let _writing = export::writing();
            let error = Error::Interrupted { done, fix: "" };
            say!("error: {error}");
            std::process::exit(error.exit_code());
        });
    });
}

pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
