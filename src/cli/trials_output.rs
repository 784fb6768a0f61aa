//! `--trials-output FILE`: every trial of a run as CSV, one row per trial and strategy
//! (columns in docs/OUTPUT.md), or as Parquet when FILE ends in `.parquet` ([`trials_parquet`]).
//! The run keeps no trials, so they are replayed
//! ([`crate::engine::records`]) after it: the batches it simulated, formatted in parallel and
//! written in order, so the bytes are the same at any thread count. The file is streamed
//! (a run of 10⁷ trials makes gigabytes) and written atomically.

use super::interrupt;
use super::progress::Progress;
use super::trials_parquet;
use crate::engine::records::{Cursor, Replay, factor_columns, outcome_name};
use crate::engine::{Ending, RunSettings, SimulationResult};
use crate::error::Error;
use crate::export::{self, safe_text};
use crate::scenario::Scenario;
use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The columns before the per-factor severities, in file order (the notebooks rely on it).
pub const COLUMNS: [&str; 13] = [
    "trial",
    "strategy",
    "outcome",
    "cost",
    "overrun",
    "slip",
    "benefit_realisation",
    "annual_benefit",
    "npv",
    "roi",
    "payback_years",
    "primary_cause",
    "runaway",
];

/// Above this estimated size the user is warned before the file is written.
const WARN_BYTES: f64 = 1e9;
/// Trials formatted to measure the bytes per trial for the size estimate.
const SAMPLE_TRIALS: u64 = 256;
/// Formatted rows held in memory, at most (two windows of units: one being formatted, one
/// being written); a unit is a batch, or part of one when a batch alone would exceed its share.
const MEMORY_BYTES: f64 = 512e6;
const MIN_UNIT_BYTES: f64 = 4e6;

/// One CSV row, borrowing everything: the same fields in the same order as
/// [`crate::engine::records::TrialRecord`] (a test checks that the two serialize alike).
#[derive(Serialize)]
struct Row<'a> {
    trial: u64,
    strategy: &'a str,
    outcome: &'static str,
    cost: f64,
    overrun: f64,
    slip: f64,
    benefit_realisation: f64,
    annual_benefit: f64,
    npv: f64,
    roi: f64,
    payback_years: f64,
    primary_cause: &'a str,
    runaway: bool,
    severities: &'a [f64],
}

/// Refuse a `--trials-output` that would collide with the report: the same file as `--output`
/// (one would overwrite the other), or standard output when the report goes there too. Cheap;
/// meant to be called before the run, so that a long run is not spent for nothing.
pub fn check_paths(trials_output: &Path, output: Option<&Path>) -> Result<(), Error> {
    let stdout = |p: Option<&Path>| p.is_none_or(|p| p == Path::new("-"));
    if !stdout(Some(trials_output)) {
        let folder = match trials_output.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let problem = if trials_output.is_dir() {
            Some(format!("{} is a folder", trials_output.display()))
        } else if !folder.is_dir() {
            Some(format!("the folder {} does not exist", folder.display()))
        } else {
            None
        };
        if let Some(message) = problem {
            return Err(Error::BadOption {
                option: "--trials-output".into(),
                message,
                fix: "give a file in an existing, writable folder (or - for standard output)"
                    .into(),
            });
        }
    }
    if stdout(Some(trials_output)) && stdout(output) {
        return Err(Error::BadOption {
            option: "--trials-output".into(),
            message: "`-` sends the trials to standard output, where the report goes too".into(),
            fix: "give --trials-output a file (e.g. trials.csv), or send the report to a file with --output".into(),
        });
    }
    if let Some(output) = output
        && !stdout(Some(output))
        && same_file(trials_output, output)
    {
        return Err(Error::BadOption {
            option: "--trials-output".into(),
            message: format!(
                "{} is also the --output file; the report would overwrite the trials",
                trials_output.display()
            ),
            fix:
                "give --trials-output and --output different files, e.g. --trials-output trials.csv"
                    .into(),
        });
    }
    Ok(())
}

/// Whether two paths name the same file: the same absolute path once the folders are resolved
/// (`./a.csv`, `dir/../a.csv`), or, for existing files, the same file by identity (links).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    let resolve = |p: &Path| -> Option<PathBuf> {
        let folder = match p.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        Some(std::fs::canonicalize(folder).ok()?.join(p.file_name()?))
    };
    match (resolve(a), resolve(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Write every trial the run simulated (`result`: its batches, which for a `--precision` run
/// that stopped early or a shard are not all of `settings`) to `path`, `-` for standard output.
pub fn write(
    scenario: &Scenario,
    settings: &RunSettings,
    result: &SimulationResult,
    path: &Path,
    quiet: bool,
) -> Result<(), Error> {
    if result.ending == Ending::Interrupted {
        return Err(Error::Interrupted {
            done: format!("{} trials", result.trials),
            fix: "",
        });
    }
    let replay = Replay::new(scenario, settings);
    let trials = replay.batch_trials(result.batches.0..result.batches.1);
    // The replay redraws the trials from the settings: they must be the run's.
    let agrees = result.seed == settings.seed
        && result.sampling == settings.sampling
        && result.requested_trials == settings.trials
        && result.parameter_uncertainty == settings.parameter_uncertainty
        && trials.end - trials.start == result.trials;
    if !agrees {
        return Err(Error::Internal(format!(
            "--trials-output was given settings that are not the run's (seed {} vs {}, {} trials vs batches {:?})",
            settings.seed, result.seed, result.trials, result.batches
        )));
    }
    let pool = crate::engine::worker_pool(settings.threads)?;
    // Without the handler, Ctrl-C would kill the process and leave the temporary file behind.
    interrupt::install();
    let threads = pool.current_num_threads().max(1);
    let progress = Progress::with_template(
        trials.end - trials.start,
        quiet,
        "{spinner} writing trials {bar:40} {human_pos}/{human_len}  {per_sec}  eta {eta}",
    );
    if trials_parquet::wanted(path) {
        let writer = trials_parquet::Writer::new(scenario, &replay)?;
        let per_trial = trials_parquet::bytes_per_trial(scenario);
        let units = units(
            &replay,
            result.batches.0..result.batches.1,
            per_trial,
            trials_parquet::UNIT_BYTES,
        );
        let groups = trials_parquet::row_groups(units, per_trial);
        let written = export::write_output_streaming(Some(path), "--trials-output", |out| {
            writer.stream(&pool, &groups, out, &progress)
        });
        progress.finish();
        return written;
    }
    let rows = Rows::new(scenario, &replay);
    let per_trial =
        rows.bytes_per_trial(trials.start..trials.end.min(trials.start + SAMPLE_TRIALS))?;
    let header = rows.header()?;
    let estimate = header.len() as f64 + per_trial * (trials.end - trials.start) as f64;
    if estimate > WARN_BYTES {
        // Two significant figures: a hint, not a promise.
        let per_gigabyte = (WARN_BYTES / per_trial).max(1.0);
        let figure = 10f64.powi((per_gigabyte.log10().floor() as i32 - 1).max(0));
        let per_gigabyte = (per_gigabyte / figure).floor() * figure;
        say!(
            "warning: --trials-output {} will be about {:.1} GB ({} trials × {} strategies)\n  fix: use fewer --trials (about {:.0} trials make 1 GB), or leave out --trials-output",
            path.display(),
            estimate / 1e9,
            trials.end - trials.start,
            replay.strategies(),
            per_gigabyte
        );
    }
    let unit_bytes = (MEMORY_BYTES / (2 * threads) as f64).max(MIN_UNIT_BYTES);
    let units = units(
        &replay,
        result.batches.0..result.batches.1,
        per_trial,
        unit_bytes,
    );
    let written = export::write_output_streaming(Some(path), "--trials-output", |out| {
        out.write_all(&header).map_err(write_error)?;
        stream(&rows, &pool, &units, threads, out, &progress)
    });
    progress.finish();
    written
}

/// An error writing to the destination: the destination reports the real one
/// (`export::write_output_streaming`).
fn write_error(e: std::io::Error) -> Error {
    Error::Internal(format!("writing the trials failed: {e}"))
}

/// The units of work: each batch of `batches`, split into equal parts when its rows would
/// exceed `unit_bytes`. Splitting costs redrawing a part's predecessors in its batch (a batch
/// is entered at its start), so batches stay whole whenever they fit.
fn units(replay: &Replay, batches: Range<u64>, per_trial: f64, unit_bytes: f64) -> Vec<Range<u64>> {
    let mut units = Vec::new();
    for batch in batches {
        let trials = replay.batch_trials(batch..batch + 1);
        let size = trials.end - trials.start;
        let parts = ((size as f64 * per_trial / unit_bytes).ceil() as u64).clamp(1, size.max(1));
        for k in 0..parts {
            units.push(trials.start + size * k / parts..trials.start + size * (k + 1) / parts);
        }
    }
    units
}

/// Format the units in parallel, a window at a time, on a producer thread, while this thread
/// writes the previous window: the rendezvous channel keeps at most two windows in memory.
fn stream(
    rows: &Rows<'_>,
    pool: &rayon::ThreadPool,
    units: &[Range<u64>],
    threads: usize,
    out: &mut dyn Write,
    progress: &Progress,
) -> Result<(), Error> {
    let total: u64 = units.iter().map(|u| u.end - u.start).sum();
    // Written buffers go back to the formatter: reused, their pages stay mapped instead of
    // being faulted in afresh for every window.
    let spare = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
    let spare = &spare;
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Result<Vec<Vec<u8>>, Error>>(0);
        scope.spawn(move || {
            for window in units.chunks(threads) {
                let formatted = if interrupt::requested() {
                    Err(Error::Interrupted {
                        done: format!(
                            "the run, while writing its {total} trials to --trials-output"
                        ),
                        fix: ", or leave out --trials-output",
                    })
                } else {
                    pool.install(|| {
                        window
                            .par_iter()
                            .map_init(
                                || rows.cursor(),
                                |cursor, unit| {
                                    let reused = spare.lock().ok().and_then(|mut s| s.pop());
                                    rows.format(cursor, unit.clone(), reused.unwrap_or_default())
                                },
                            )
                            .collect()
                    })
                };
                let failed = formatted.is_err();
                // The writer hung up (it failed): nothing more is wanted.
                if send.send(formatted).is_err() || failed {
                    return;
                }
            }
        });
        let mut units = units.iter();
        for window in receive {
            for (mut bytes, unit) in window?.into_iter().zip(units.by_ref()) {
                out.write_all(&bytes).map_err(write_error)?;
                progress.advance(unit.end - unit.start);
                bytes.clear();
                if let Ok(mut spare) = spare.lock() {
                    spare.push(bytes);
                }
            }
        }
        Ok(())
    })
}

/// What formatting rows needs: the replay, and the scenario's names.
struct Rows<'a> {
    replay: &'a Replay,
    /// Ids as CSV text cells (`export::safe_text`).
    strategies: Vec<Cow<'a, str>>,
    factors: Vec<Cow<'a, str>>,
    columns: Vec<String>,
}

/// One thread's state for formatting: the replay cursor and a severity row.
struct RowCursor {
    cursor: Cursor,
    severities: Vec<f64>,
}

impl<'a> Rows<'a> {
    fn new(scenario: &'a Scenario, replay: &'a Replay) -> Self {
        Rows {
            replay,
            strategies: scenario
                .strategies
                .iter()
                .map(|s| safe_text(&s.id))
                .collect(),
            factors: scenario.factors.iter().map(|f| safe_text(&f.id)).collect(),
            columns: factor_columns(scenario)
                .iter()
                .map(|c| safe_text(c).into_owned())
                .collect(),
        }
    }

    fn cursor(&self) -> RowCursor {
        RowCursor {
            cursor: self.replay.cursor(),
            severities: vec![0.0; self.factors.len()],
        }
    }

    fn header(&self) -> Result<Vec<u8>, Error> {
        let mut csv = csv::Writer::from_writer(Vec::new());
        let columns = COLUMNS
            .iter()
            .copied()
            .chain(self.columns.iter().map(String::as_str));
        csv.write_record(columns).map_err(format_error)?;
        csv.into_inner().map_err(|e| format_error(e.into_error()))
    }

    /// The mean bytes per trial (all strategies' rows) over `trials`.
    fn bytes_per_trial(&self, trials: Range<u64>) -> Result<f64, Error> {
        let count = (trials.end - trials.start).max(1);
        Ok(self.format(&mut self.cursor(), trials, Vec::new())?.len() as f64 / count as f64)
    }

    /// The rows of `trials`, trial-major, appended to `buffer`.
    fn format(
        &self,
        state: &mut RowCursor,
        trials: Range<u64>,
        buffer: Vec<u8>,
    ) -> Result<Vec<u8>, Error> {
        let RowCursor { cursor, severities } = state;
        let mut csv = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(buffer);
        let mut failed = None;
        self.replay.replay(cursor, trials, |view| {
            for (s, strategy) in self.strategies.iter().enumerate() {
                if failed.is_some() {
                    return;
                }
                let o = view.outcome(s);
                view.severities(s, severities);
                let row = Row {
                    trial: view.trial,
                    strategy,
                    outcome: outcome_name(o.class),
                    cost: o.investment,
                    overrun: o.overrun,
                    slip: o.slip,
                    benefit_realisation: o.benefit_realisation,
                    annual_benefit: o.annual_benefit,
                    npv: o.npv,
                    roi: o.roi,
                    payback_years: o.payback_years,
                    primary_cause: o.primary_cause.map_or("", |i| &self.factors[i]),
                    runaway: o.runaway,
                    severities,
                };
                failed = csv.serialize(row).err();
            }
        });
        if let Some(e) = failed {
            return Err(format_error(e));
        }
        csv.into_inner().map_err(|e| format_error(e.into_error()))
    }
}

/// Formatting into memory cannot fail but for a bug (a row csv cannot represent).
fn format_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("formatting the trials failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::records::records;
    use crate::engine::{Sampling, Shard};

    #[test]
    fn rows_serialize_like_trial_records() {
        // The streamed rows and `records` (the workbook's trials sheet) must be one format.
        let scenario = Scenario::builtin_default().expect("built-in scenario");
        let settings = RunSettings {
            trials: 20_000,
            seed: 3,
            threads: 1,
            sampling: Sampling::Lhs,
            shard: Shard::WHOLE,
            parameter_uncertainty: false,
        };
        let replay = Replay::new(&scenario, &settings);
        let rows = Rows::new(&scenario, &replay);
        let streamed = rows
            .format(&mut rows.cursor(), 0..300, Vec::new())
            .expect("format");
        let mut csv = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        for record in records(&scenario, &settings, 300) {
            csv.serialize(record).expect("serialize");
        }
        let from_records = csv.into_inner().expect("flush");
        assert_eq!(
            String::from_utf8_lossy(&streamed),
            String::from_utf8_lossy(&from_records)
        );
        let header = String::from_utf8(rows.header().expect("header")).expect("utf-8");
        let fields = header.trim_end().split(',').count();
        assert_eq!(fields, COLUMNS.len() + scenario.factors.len());
        let first = String::from_utf8_lossy(&streamed);
        let first = first.lines().next().expect("a row");
        assert_eq!(first.split(',').count(), fields);
    }

    #[test]
    fn units_cover_the_batches_in_order() {
        let scenario = Scenario::builtin_default().expect("built-in scenario");
        let settings = RunSettings {
            trials: 40_000,
            ..RunSettings::default()
        };
        let replay = Replay::new(&scenario, &settings);
        // 1 kB per trial against 4 MB units: each batch of 16,384 trials in 5 parts.
        let units = units(&replay, 0..3, 1e3, 4e6);
        assert_eq!(units.len(), 5 + 5 + 2);
        assert_eq!(units[0].start, 0);
        assert!(
            units
                .windows(2)
                .all(|w| w[0].end == w[1].start && w[0].start < w[0].end)
        );
        assert_eq!(units.last().map(|u| u.end), Some(40_000));
        assert_eq!(super::units(&replay, 1..2, 10.0, 4e6), vec![16_384..32_768]);
    }

    #[test]
    fn colliding_paths_are_refused() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let file = folder.path().join("t.csv");
        let same = folder.path().join(".").join("t.csv");
        let refused = |a: &Path, b: Option<&Path>| matches!(check_paths(a, b), Err(Error::BadOption { option, .. }) if option == "--trials-output");
        assert!(refused(&file, Some(&file)));
        assert!(refused(&file, Some(&same)));
        assert!(refused(Path::new("-"), None));
        assert!(refused(Path::new("-"), Some(Path::new("-"))));
        assert!(check_paths(&file, None).is_ok());
        assert!(check_paths(&file, Some(Path::new("-"))).is_ok());
        assert!(check_paths(Path::new("-"), Some(&file)).is_ok());
        assert!(check_paths(&file, Some(&folder.path().join("report.json"))).is_ok());
        // An existing file reached through a link is the same file.
        #[cfg(unix)]
        {
            std::fs::write(&file, "x").expect("write");
            let link = folder.path().join("link.csv");
            std::os::unix::fs::symlink(&file, &link).expect("symlink");
            assert!(refused(&link, Some(&file)));
        }
    }
}
