//! Catalogue-file text → parse and validation with the built-in default scenario: never a
//! panic; a refusal whose message renders, or a scenario that passes the scenario target's checks.

#![no_main]

#[path = "common.rs"]
#[allow(dead_code)]
mod common;
#[path = "files.rs"]
#[allow(dead_code)]
mod files;

use libfuzzer_sys::fuzz_target;

/// Real catalogue files are tens of kilobytes.
const MAX_INPUT_BYTES: usize = 256 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    if let Ok(text) = std::str::from_utf8(data) {
        files::check_catalogue_text(text);
    }
});
