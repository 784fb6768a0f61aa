//! `--record LEDGER.csv`: append a command's forecast to the forecast ledger (docs/SCORE.md).
//! The arguments flatten into any command that forecasts (`run`, `compare`, `update`):
//! [`check`] before the long work refuses a wrong file early, [`record`] appends the figures
//! after it. The clock is read here, never below the CLI.

use super::bad_option;
use crate::error::Error;
use crate::export::ledger::{self, Forecast, Recording};
use crate::scenario::Scenario;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Append this forecast to a forecast ledger (CSV; created with its header if absent): one
    /// row per strategy, with empty columns for the outcomes, for `crmcast score` once they are
    /// known (docs/SCORE.md).
    #[arg(long, value_name = "LEDGER")]
    pub record: Option<PathBuf>,
    /// With --record: the date to record, YYYY-MM-DD [default: $SOURCE_DATE_EPOCH, else today
    /// in UTC].
    #[arg(long, requires = "record", value_name = "DATE")]
    pub record_date: Option<String>,
}

/// Refuse, before any work, a ledger that is not one (wrong header), that is also `--output`,
/// or that is one of the command's inputs; and a bad `--record-date`.
pub fn check(args: &RecordArgs, output: Option<&Path>) -> Result<(), Error> {
    let Some(path) = &args.record else {
        return Ok(());
    };
    if let Some(output) = output {
        let same = output == path
            || std::fs::canonicalize(output)
                .ok()
                .is_some_and(|o| std::fs::canonicalize(path).ok() == Some(o));
        if same {
            return Err(bad_option(
                "--record",
                format!("{} is also the --output file", path.display()),
                "record to a ledger of its own, e.g. --record ledger.csv",
            ));
        }
    }
    crate::input::opened::check_output(path, "--record")?;
    date(args)?;
    ledger::existing(path).map(|_| ())
}

/// The date to record: `--record-date`, else `SOURCE_DATE_EPOCH` (reproducible builds' variable),
/// else the system clock, in UTC.
pub fn date(args: &RecordArgs) -> Result<String, Error> {
    if let Some(text) = &args.record_date {
        let text = text.trim();
        if !ledger::is_date(text) {
            return Err(bad_option(
                "--record-date",
                format!("`{text}` is not a date YYYY-MM-DD"),
                "give the date as YYYY-MM-DD, e.g. --record-date 2026-03-31",
            ));
        }
        return Ok(text.to_string());
    }
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let seconds = epoch.trim().parse::<i64>().ok().filter(|s| {
            // Years 1970 to 9999.
            (0..253_402_300_800).contains(s)
        });
        return match seconds {
            Some(s) => Ok(ledger::utc_date(s)),
            None => Err(bad_option(
                "SOURCE_DATE_EPOCH",
                format!("`{epoch}` is not a Unix time in seconds"),
                "set SOURCE_DATE_EPOCH to whole seconds since 1970 (or unset it), or give --record-date",
            )),
        };
    }
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Ok(ledger::utc_date(seconds))
}

/// The file name a scenario came from, without its folder (`built-in` for the default).
pub fn file_name(path: Option<&Path>) -> String {
    path.and_then(|p| p.file_name())
        .map_or_else(|| "built-in".into(), |n| n.to_string_lossy().into_owned())
}

/// Append `forecasts` of `scenario` (read from `path`) to the ledger `args` names, if any.
pub fn record(
    args: &RecordArgs,
    scenario: &Scenario,
    path: Option<&Path>,
    (trials, seed): (u64, u64),
    forecasts: &[Forecast],
) -> Result<(), Error> {
    let Some(ledger_path) = &args.record else {
        return Ok(());
    };
    let recording = Recording {
        recorded: date(args)?,
        scenario: scenario.name.clone(),
        scenario_file: file_name(path),
        scenario_text: scenario.source_text.clone(),
        trials,
        seed,
    };
    ledger::append(ledger_path, &ledger::rows(&recording, forecasts))
}
