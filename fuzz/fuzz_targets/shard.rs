//! Shard-file bytes → `merge`'s parser and verifier (digest, scenario, consistency):
//! never a panic; a refusal whose message renders, or finite, consistent numbers.

#![no_main]

#[path = "common.rs"]
#[allow(dead_code)]
mod common;
#[path = "files.rs"]
#[allow(dead_code)]
mod files;

use libfuzzer_sys::fuzz_target;

/// Shard files of the shipped scenarios are about 0.5 MiB.
const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() <= MAX_INPUT_BYTES {
        files::check_shard_bytes(data);
    }
});
