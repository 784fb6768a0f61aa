//! Analysis: turning accumulators into estimates with standard errors ([`report`]) and
//! checking them against published figures ([`targets`]) and against precision targets
//! ([`precision`]).

pub mod calibrate;
pub mod precision;
pub mod project_fit;
pub mod regression;
pub mod report;
pub mod targets;
pub use report::Report;
