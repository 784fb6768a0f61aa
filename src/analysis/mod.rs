//! Analysis: turning accumulators into estimates with standard errors ([`report`]).

pub mod report;
pub use report::Report;
