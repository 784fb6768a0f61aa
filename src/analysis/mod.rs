//! Analysis: turning accumulators into estimates with standard errors ([`report`]) and
//! checking them against published figures ([`targets`]).

pub mod report;
pub mod targets;
pub use report::Report;
