//! `crmcast`: the one place where typed errors become a message and an exit code
//! (0 success, 1 internal error, 2 bad input, 130 interrupted).

use clap::Parser;
use std::io::Write;

fn main() {
    reserve_standard_streams();
    let cli = crmcast::cli::Cli::parse();
    if let Err(error) = crmcast::cli::execute(cli) {
        // Held to the end: the Ctrl-C handler must not exit with its own message meanwhile.
        let _writing = crmcast::export::writing();
        // Escaped: a message may quote a file name, a CSV cell or a line of a file. A closed or
        // full stderr loses the message, never the exit code (no panic).
        let message = crmcast::terminal::escape(&error.to_string()).into_owned();
        let _ = writeln!(std::io::stderr().lock(), "error: {message}");
        std::process::exit(error.exit_code());
    }
}

/// Started with stdin, stdout or stderr closed (`2>&-`), the next file crmcast opens would get
/// that descriptor, and a message for stderr would land in an output file. Point every closed
/// one at /dev/null first, as Unix tools do.
fn reserve_standard_streams() {
    #[cfg(unix)]
    {
        use std::os::fd::{AsRawFd, IntoRawFd};
        for _ in 0..3 {
            let Ok(null) = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")
            else {
                return;
            };
            if null.as_raw_fd() > 2 {
                return; // 0, 1 and 2 are all open; this one closes on drop.
            }
            // It filled a closed standard descriptor: keep it open for the process's life.
            let _ = null.into_raw_fd();
        }
    }
}
