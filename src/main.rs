//! `crmcast`: the one place where typed errors become a message and an exit code
//! (0 success, 1 internal error, 2 bad input).

use clap::Parser;

fn main() {
    let cli = crmcast::cli::Cli::parse();
    if let Err(error) = crmcast::cli::execute(cli) {
        // Escaped: a message may quote a file name, a CSV cell or a line of a file.
        eprintln!("error: {}", crmcast::terminal::escape(&error.to_string()));
        std::process::exit(error.exit_code());
    }
}
