//! `--trials-output FILE`: every trial of a run as CSV (owned by the trials-output work).

use crate::engine::{RunSettings, SimulationResult};
use crate::error::Error;
use crate::scenario::Scenario;
use std::path::Path;

pub fn write(
    _scenario: &Scenario,
    _settings: &RunSettings,
    _result: &SimulationResult,
    _path: &Path,
    _quiet: bool,
) -> Result<(), Error> {
    Err(Error::Internal("--trials-output is not built yet".into()))
}
