//! Analysis: turning accumulators into estimates with standard errors ([`report`]) and
//! checking them against published figures ([`targets`]) and against precision targets
//! ([`precision`]).

pub mod amount;
pub mod calibrate;
pub mod causes;
pub mod decision;
pub mod elicit;
pub mod gain_uncertainty;
pub mod imputation;
pub mod optimize;
pub mod outside_view;
pub mod precision;
pub mod presentation;
pub mod project_fit;
pub mod reference_class;
pub mod regression;
pub mod report;
pub mod score;
pub mod sensitivity;
pub mod significance;
pub mod targets;
pub mod update;
pub mod value_of_information;
pub use report::Report;
