//! crmcast: forecast how a CRM implementation will turn out before anyone pays for it.
//!
//! The crate is cut by concept:
//! - [`scenario`]: the TOML scenario format, its validation, and error locations;
//! - [`model`]: factors, distributions, the correlation structure and the economics of one trial;
//! - [`engine`]: sampling, trial evaluation and streaming accumulators (pure: no I/O);
//! - [`analysis`]: turning accumulators into estimates with standard errors and comparisons;
//! - [`export`]: table, JSON, CSV and Markdown output;
//! - [`cli`]: the command-line layer (argument parsing, progress, files);
//! - [`input`]: opening input files safely; [`terminal`]: text from files made safe to print.
//!
//! A library user can run the engine without the CLI:
//! ```
//! let scenario = crmcast::scenario::Scenario::builtin_default().unwrap();
//! let result = crmcast::engine::simulate(&scenario, &crmcast::engine::RunSettings {
//!     trials: 20_000, seed: 7, threads: 1, ..Default::default() }, &crmcast::engine::NoObserver).unwrap();
//! let report = crmcast::analysis::Report::build(&scenario, &result);
//! let p_success = report.baseline().metric("p_success").unwrap();
//! assert!(p_success.value > 0.0 && p_success.se > 0.0);
//! ```

// Errors carry the file, place, message and fix; they are large but travel only on the cold
// path of bad input, so boxing them would buy nothing.
#![allow(clippy::result_large_err)]
// `println!`/`eprintln!` panic on a closed or full stream (`2>&1 | head -1`, `2>&-`): messages
// go through `cli`'s `say!`, results through `export::write_output`.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod analysis;
pub mod cli;
pub mod engine;
pub mod error;
pub mod export;
pub mod input;
pub mod model;
pub mod presentation;
pub mod scenario;
pub mod terminal;

pub use error::{Error, ErrorKind};
