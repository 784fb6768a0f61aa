//! Scenario text → parse and validate → a few trials checked one by one → a short run →
//! report → JSON. Any panic is a bug; so is a NaN or an infinity in a trial's outcome or in the
//! report, and so is a mitigated strategy doing worse than a less mitigated one on the same
//! draws. Invalid scenarios must be refused with an error whose message renders.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

/// Real scenario files are a few kilobytes.
const MAX_INPUT_BYTES: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    if let Ok(text) = std::str::from_utf8(data) {
        common::check_text(text);
    }
});
