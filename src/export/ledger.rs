//! The forecast ledger (docs/SCORE.md): a CSV with one row per forecast strategy, which
//! `crmcast run|compare --record LEDGER.csv` appends to and `crmcast score` reads once the
//! outcome columns are filled in. This module owns the file format both ways: [`LedgerRecord`]
//! is the contract (notebooks read it with pandas), [`append`] adds rows without ever damaging
//! a ledger, [`read`] checks every cell with its line and column.
//!
//! Appending rewrites the whole file through the one owner of output files (atomic: a failure
//! leaves the old ledger as it was), keeping the existing rows byte for byte. Text from a
//! scenario goes through the CSV exporter's formula guard and loses control characters, so a
//! name cannot become a spreadsheet formula or a terminal escape.

use crate::analysis::report::Report;
use crate::analysis::score::Scored;
use crate::error::Error;
use crate::input::Kind;
use crate::scenario::data_file::{data_error, missing};
use std::path::Path;

/// The ledger's columns, in order: the header `append` writes and checks.
pub const COLUMNS: [&str; 18] = [
    "recorded",
    "scenario",
    "scenario_file",
    "scenario_sha256",
    "strategy",
    "recommended",
    "trials",
    "seed",
    "p_success",
    "overrun_p50",
    "overrun_p80",
    "slip_p50",
    "slip_p80",
    "npv_mean",
    "actual_success",
    "actual_overrun",
    "actual_slip",
    "actual_npv",
];

/// One row of the ledger (the serde record; docs/SCORE.md describes every column). Fractions
/// are fractions (0.25 = 25 % over budget), money in the scenario's currency.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LedgerRecord {
    /// UTC date of the forecast, YYYY-MM-DD.
    pub recorded: String,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario's file name, without its folder (`built-in` for the default).
    pub scenario_file: String,
    /// The first 12 hex digits of the SHA-256 of the scenario's text.
    pub scenario_sha256: String,
    /// The strategy's id.
    pub strategy: String,
    /// Whether the decision summary recommends this strategy.
    pub recommended: bool,
    pub trials: u64,
    pub seed: u64,
    pub p_success: f64,
    pub overrun_p50: f64,
    pub overrun_p80: f64,
    pub slip_p50: f64,
    pub slip_p80: f64,
    pub npv_mean: f64,
    /// Filled in by the user: yes/no, 1/0, true/false; empty while unknown.
    pub actual_success: String,
    /// Filled in by the user: final cost over budget, a fraction (0.27) or percent (27%).
    pub actual_overrun: String,
    /// Filled in by the user: final duration over plan, a fraction or percent.
    pub actual_slip: String,
    /// Optional: the realised NPV (kept for the record; not scored).
    pub actual_npv: String,
}

/// What every row of one recording shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// UTC date, YYYY-MM-DD (the CLI reads the clock; nothing below it does).
    pub recorded: String,
    pub scenario: String,
    pub scenario_file: String,
    /// The scenario's text, hashed into `scenario_sha256`.
    pub scenario_text: String,
    pub trials: u64,
    pub seed: u64,
}

/// One strategy's (or, for `update`, one option's) forecast figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub strategy: String,
    pub recommended: bool,
    pub p_success: f64,
    pub overrun_p50: f64,
    pub overrun_p80: f64,
    pub slip_p50: f64,
    pub slip_p80: f64,
    pub npv_mean: f64,
}

/// The forecasts of every strategy of a run's report.
pub fn forecasts(report: &Report) -> Vec<Forecast> {
    report
        .strategies
        .iter()
        .map(|s| {
            let m = |id: &str| {
                s.metrics
                    .iter()
                    .find(|m| m.id == id)
                    .map_or(f64::NAN, |m| m.estimate.value)
            };
            Forecast {
                strategy: s.id.clone(),
                recommended: s.id == report.decision.recommended,
                p_success: m("p_success"),
                overrun_p50: m("overrun_p50"),
                overrun_p80: m("overrun_p80"),
                slip_p50: m("slip_p50"),
                slip_p80: m("slip_p80"),
                npv_mean: m("npv_mean"),
            }
        })
        .collect()
}

/// The forecasts of `crmcast update`: one per option from now (continue, each strategy still
/// possible, stop), the best one marked recommended. NPV is the whole-life NPV (sunk cost
/// included), comparable with a `run`'s `npv_mean`; overrun and slip are final, from the start.
pub fn update_forecasts(result: &crate::analysis::update::UpdateResult) -> Vec<Forecast> {
    result
        .options
        .iter()
        .enumerate()
        .map(|(index, o)| Forecast {
            strategy: o.id.clone(),
            recommended: index == result.decision.best,
            p_success: o.p_success.value,
            overrun_p50: o.overrun.p50.value,
            overrun_p80: o.overrun.p80.value,
            slip_p50: o.slip.p50.value,
            slip_p80: o.slip.p80.value,
            npv_mean: o.npv_total.mean.value,
        })
        .collect()
}

/// A text cell safe in a spreadsheet and on a terminal: control characters become spaces,
/// then the CSV exporter's formula guard.
fn cell(text: &str) -> String {
    let plain: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    super::safe_text(&plain).into_owned()
}

/// The rows a recording adds, one per forecast.
pub fn rows(recording: &Recording, forecasts: &[Forecast]) -> Vec<LedgerRecord> {
    let sha = super::shard::sha256_hex(recording.scenario_text.as_bytes());
    forecasts
        .iter()
        .map(|f| LedgerRecord {
            recorded: cell(&recording.recorded),
            scenario: cell(&recording.scenario),
            scenario_file: cell(&recording.scenario_file),
            scenario_sha256: sha[..12].to_string(),
            strategy: cell(&f.strategy),
            recommended: f.recommended,
            trials: recording.trials,
            seed: recording.seed,
            p_success: f.p_success,
            overrun_p50: f.overrun_p50,
            overrun_p80: f.overrun_p80,
            slip_p50: f.slip_p50,
            slip_p80: f.slip_p80,
            npv_mean: f.npv_mean,
            actual_success: String::new(),
            actual_overrun: String::new(),
            actual_slip: String::new(),
            actual_npv: String::new(),
        })
        .collect()
}

fn not_a_ledger(path: &Path, found: &str) -> Error {
    let mut shown: String = found.chars().take(120).collect();
    if found.chars().count() > 120 {
        shown.push('…');
    }
    data_error(
        path,
        format!(
            "line 1: this is not a crmcast forecast ledger: its header is `{shown}`, expected `{}`",
            COLUMNS.join(",")
        ),
        "give --record a new file name (crmcast writes the header) or a ledger written by `crmcast run --record`; the file was left as it was",
    )
}

/// The existing ledger's text, checked to start with the ledger header; `None` when there is
/// no file yet or it is empty. Run before a long simulation, so a wrong file is refused early.
pub fn existing(path: &Path) -> Result<Option<String>, Error> {
    if !path.exists() {
        return Ok(None);
    }
    let text = crate::input::read_text_to_rewrite(path, Kind::Csv)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let first = text.lines().next().unwrap_or("");
    let header: Vec<&str> = first
        .trim_end_matches('\r')
        .split(',')
        .map(str::trim)
        .collect();
    if header != COLUMNS {
        return Err(not_a_ledger(path, first));
    }
    Ok(Some(text))
}

/// Append `rows` to the ledger at `path` (created with its header when absent), atomically.
pub fn append(path: &Path, rows: &[LedgerRecord]) -> Result<(), Error> {
    let old = existing(path)?;
    let mut writer = csv::WriterBuilder::new()
        .has_headers(old.is_none())
        .from_writer(Vec::new());
    for row in rows {
        writer
            .serialize(row)
            .map_err(|e| Error::Internal(format!("writing a ledger row: {e}")))?;
    }
    let new = writer
        .into_inner()
        .map_err(|e| Error::Internal(format!("writing the ledger rows: {e}")))?;
    super::write_output(Some(path), "--record", |out| {
        if let Some(old) = &old {
            out.write_all(old.as_bytes())?;
            if !old.ends_with('\n') {
                out.write_all(b"\n")?;
            }
        }
        out.write_all(&new)
    })
}

/// A ledger as `crmcast score` reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    /// Rows with at least one outcome filled in.
    pub rows: Vec<Scored>,
    /// Rows read in all.
    pub total: usize,
    /// Rows without any outcome (not scored yet).
    pub skipped: usize,
}

/// Read and check a ledger: every forecast cell must be a number, every outcome cell empty or
/// valid; the first bad cell is refused with its line, column and the fix.
pub fn read(path: &Path) -> Result<Ledger, Error> {
    let text = crate::input::read_text(path, Kind::Csv)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| data_error(path, format!("line 1: {e}"), "save the ledger as CSV"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let mut index = [0usize; 8];
    let needed = [
        "p_success",
        "overrun_p50",
        "overrun_p80",
        "slip_p50",
        "slip_p80",
        "actual_success",
        "actual_overrun",
        "actual_slip",
    ];
    for (slot, name) in index.iter_mut().zip(needed) {
        *slot = column(name).ok_or_else(|| {
            data_error(
                path,
                format!("line 1: the ledger has no `{name}` column"),
                "score a ledger written by `crmcast run --record` (docs/SCORE.md lists its columns)",
            )
        })?;
    }
    let npv = column("actual_npv");
    let mut ledger = Ledger {
        rows: Vec::new(),
        total: 0,
        skipped: 0,
    };
    for record in reader.records() {
        let record = record.map_err(|e| {
            data_error(
                path,
                format!("{e}"),
                "save the ledger as CSV (quotes balanced)",
            )
        })?;
        let line = record.position().map_or(0, |p| p.line());
        ledger.total += 1;
        let at = |i: usize| record.get(i).unwrap_or("").trim();
        let bad = |name: &str, value: &str, expected: &str, fix: &str| {
            let value: String = value.chars().take(40).collect();
            data_error(
                path,
                format!(
                    "line {line} (row {}), column {name}: `{value}` is not {expected}",
                    ledger.total
                ),
                fix,
            )
        };
        let outcome = |i: usize| {
            let v = at(index[i]);
            (!missing(v)).then_some(v)
        };
        let (success, overrun, slip) = (outcome(5), outcome(6), outcome(7));
        let npv_cell = npv.map(at).filter(|v| !missing(v));
        if success.is_none() && overrun.is_none() && slip.is_none() && npv_cell.is_none() {
            ledger.skipped += 1;
            continue;
        }
        let forecast_fix = "the forecast columns are written by `crmcast run --record`: restore the value, or delete the row";
        let mut figures = [0.0; 5];
        for (k, figure) in figures.iter_mut().enumerate() {
            let v = at(index[k]);
            *figure = v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && (k > 0 || (0.0..=1.0).contains(x)))
                .ok_or_else(|| {
                    let what = if k == 0 {
                        "a probability in [0, 1]"
                    } else {
                        "a number"
                    };
                    bad(needed[k], v, what, forecast_fix)
                })?;
        }
        let success = match success {
            None => None,
            Some(v) => Some(match v.to_ascii_lowercase().as_str() {
                "yes" | "1" | "true" => true,
                "no" | "0" | "false" => false,
                _ => {
                    return Err(bad(
                        "actual_success",
                        v,
                        "an outcome",
                        "write yes or no (also 1/0, true/false) for whether the project met its objectives, or leave the cell empty while unknown",
                    ));
                }
            }),
        };
        let fraction = |name: &str, v: Option<&str>| -> Result<Option<f64>, Error> {
            v.map(|v| {
                crate::scenario::overruns::parse_overrun(v).ok_or_else(|| {
                    bad(
                        name,
                        v,
                        "a fraction above −1",
                        "write the share over plan as a fraction (0.27 = 27 % over) or a percent (27%), or leave the cell empty while unknown",
                    )
                })
            })
            .transpose()
        };
        let overrun = fraction("actual_overrun", overrun)?;
        let slip = fraction("actual_slip", slip)?;
        if let Some(v) = npv_cell
            && !v.parse::<f64>().is_ok_and(f64::is_finite)
        {
            return Err(bad(
                "actual_npv",
                v,
                "an amount",
                "write the realised NPV as a plain number (no currency sign or thousands separators), or leave it empty",
            ));
        }
        ledger.rows.push(Scored {
            p_success: figures[0],
            overrun_p50: figures[1],
            overrun_p80: figures[2],
            slip_p50: figures[3],
            slip_p80: figures[4],
            success,
            overrun,
            slip,
        });
    }
    Ok(ledger)
}

/// The UTC date (YYYY-MM-DD) of a Unix time in seconds (Hinnant's civil-from-days).
pub fn utc_date(unix_seconds: i64) -> String {
    let z = unix_seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Whether `text` is a valid calendar date YYYY-MM-DD (years 1000–9999).
pub fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1000 && (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        // 2000-02-29 is day 11016 since the epoch; 2026-12-06 is day 20793.
        assert_eq!(utc_date(11_016 * 86_400 + 3_600), "2000-02-29");
        assert_eq!(utc_date(20_793 * 86_400), "2026-12-06");
        assert_eq!(utc_date(-1), "1969-12-31");
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2024-13-01"));
        assert!(!is_date("24-01-01"));
        assert!(!is_date("2024-1-01"));
    }

    #[test]
    fn an_update_records_one_row_per_option() {
        use crate::analysis::report::Estimate;
        use crate::analysis::update::*;
        let e = |v: f64| Estimate::normal(v, 0.0);
        let d = |base: f64| Distribution {
            mean: e(base),
            p10: e(base - 0.2),
            p50: e(base),
            p80: e(base + 0.1),
            p90: e(base + 0.2),
        };
        let option = |id: &str, kind: OptionKind, base: f64| OptionForecast {
            id: id.into(),
            kind,
            added_mitigations: vec![],
            p_success: e(base),
            overrun: d(base),
            slip: d(base / 2.0),
            npv_total: d(1000.0 * base),
            npv_forward: d(500.0 * base),
            p_forward_loss: e(0.1),
            gain_over_continue: e(0.0),
        };
        let result = UpdateResult {
            trials: 100,
            seed: 1,
            ending: crate::engine::Ending::Completed,
            effective_trials: 50.0,
            largest_weight_share: 0.1,
            evidence: vec![],
            prior: option("continue", OptionKind::Continue, 0.3),
            options: vec![
                option("continue", OptionKind::Continue, 0.4),
                option("stop", OptionKind::Stop, 0.0),
            ],
            decision: UpdateDecision {
                best: 1,
                runner_up: Some(0),
                gain_over_runner_up: None,
                significant: false,
            },
            then_and_now: vec![],
        };
        let f = update_forecasts(&result);
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].strategy.as_str(), f[0].recommended),
            ("continue", false)
        );
        assert!(f[1].recommended);
        assert_eq!(f[0].overrun_p80, 0.5);
        assert_eq!(f[0].slip_p50, 0.2);
        assert_eq!(f[0].npv_mean, 400.0);
    }

    #[test]
    fn cells_cannot_inject() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("a\u{1b}[31mred"), "a [31mred");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("plain"), "plain");
    }
}
