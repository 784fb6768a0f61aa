//! Hostile cases: numbers (filled in by issue #13's work; see docs/SECURITY.md).

#[allow(unused_imports)]
use super::support::*;
