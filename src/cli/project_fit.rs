//! `crmcast calibrate --data projects.csv`: read project records (checking every cell, with
//! the row and column of each problem), fit them (`analysis::project_fit`), write the fitted
//! catalogue with its parameter uncertainty, and print the fit report.

use super::calibrate::{CalibrateArgs, command_line};
use super::load;
use crate::analysis::imputation::ImputationSettings;
use crate::analysis::project_fit::{
    self, FitOptions, MissingData, ProjectData, ProjectFit, RUNAWAY_COLUMN,
};
use crate::error::Error;
use crate::export::catalogue::{Provenance, Uncertainty, calibrated_text, today};
use crate::export::{self, Format};
use crate::model::Catalogue;
use crate::model::catalogue::BUILTIN_CATALOGUE;
use crate::scenario::data_file::{data_error, missing, open_csv, record_problem, refuse_bad_cells};
use crate::scenario::read_text;
use crate::scenario::source::Source;
use crate::scenario::suggest::closest;
use std::path::Path;

const OUTCOME_COLUMNS: [&str; 5] = [
    "outcome",
    "overrun",
    "slip",
    "benefit_realisation",
    RUNAWAY_COLUMN,
];

/// What a column of the file holds.
enum Column {
    Project,
    Factor(usize),
    Outcome,
    Overrun,
    Slip,
    Realisation,
    Runaway,
    Covariate(String),
}

/// Read and check the file; every problem is collected with its row and column.
pub fn read(
    path: &Path,
    catalogue: &Catalogue,
    covariates: &[String],
) -> Result<ProjectData, Error> {
    let (mut reader, header) = open_csv(path, false)?;
    let factor_ids: Vec<&str> = catalogue.factors.iter().map(|f| f.id.as_str()).collect();
    let mut columns = Vec::new();
    for (c, name) in header.iter().enumerate() {
        if header.iter().take(c).any(|n| n == name) {
            return Err(data_error(
                path,
                format!("column `{name}` appears twice"),
                "keep one of them",
            ));
        }
        let column = match name {
            "project" => Column::Project,
            "outcome" => Column::Outcome,
            "overrun" => Column::Overrun,
            "slip" => Column::Slip,
            "benefit_realisation" => Column::Realisation,
            RUNAWAY_COLUMN => Column::Runaway,
            _ => match factor_ids.iter().position(|f| *f == name) {
                Some(i) => Column::Factor(i),
                None if covariates.iter().any(|c| c == name) => Column::Covariate(name.into()),
                None => {
                    let mut known: Vec<&str> = factor_ids.clone();
                    known.extend(OUTCOME_COLUMNS);
                    let hint = closest(name, known.iter().copied())
                        .map(|c| format!("did you mean `{c}`? "))
                        .unwrap_or_default();
                    return Err(data_error(
                        path,
                        format!("unknown column `{name}`"),
                        &format!(
                            "{hint}columns are `project`, factor ids (see `crmcast factors`), {}, and covariates named with --covariates",
                            OUTCOME_COLUMNS.join(", ")
                        ),
                    ));
                }
            },
        };
        columns.push(column);
    }
    for named in covariates {
        if !header.iter().any(|h| h == named) {
            return Err(data_error(
                path,
                format!("--covariates names `{named}`, which is not a column"),
                "name columns of the file",
            ));
        }
    }
    let factors: Vec<usize> = columns
        .iter()
        .filter_map(|c| match c {
            Column::Factor(i) => Some(*i),
            _ => None,
        })
        .collect();
    if factors.is_empty() {
        return Err(data_error(
            path,
            "no column rates a factor of the catalogue".into(),
            "name rating columns by factor id (see `crmcast factors`)",
        ));
    }
    if !columns.iter().any(|c| {
        matches!(
            c,
            Column::Outcome
                | Column::Overrun
                | Column::Slip
                | Column::Realisation
                | Column::Runaway
        )
    }) {
        return Err(data_error(
            path,
            "no outcome column".into(),
            &format!("add at least one of {}", OUTCOME_COLUMNS.join(", ")),
        ));
    }

    let mut data = ProjectData {
        origin: path.display().to_string(),
        factors: factors.clone(),
        runaway_recorded: columns.iter().any(|c| matches!(c, Column::Runaway)),
        ..ProjectData::default()
    };
    let mut problems = Vec::new();
    let mut raw_covariates: Vec<Vec<String>> = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(record_problem(path, e)?);
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let mut ratings = Vec::with_capacity(factors.len());
        let (mut class, mut overrun, mut slip, mut realisation) = (None, None, None, None);
        let mut runaway = None;
        let mut covariate_cells = Vec::new();
        for (column, cell) in columns.iter().zip(record.iter()) {
            let name = |c: &Column| match c {
                Column::Factor(i) => factor_ids[*i].to_string(),
                Column::Outcome => "outcome".into(),
                Column::Overrun => "overrun".into(),
                Column::Slip => "slip".into(),
                Column::Realisation => "benefit_realisation".into(),
                Column::Runaway => RUNAWAY_COLUMN.into(),
                Column::Covariate(n) => n.clone(),
                Column::Project => "project".into(),
            };
            let mut problem = |expected: &str| {
                problems.push(format!(
                    "row {line}, column `{}`: \"{}\" — expected {expected}",
                    name(column),
                    crate::terminal::escape_line(cell)
                ));
            };
            let number = |low: f64, high: f64| {
                cell.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= low && *v <= high)
            };
            match column {
                Column::Project => {}
                Column::Factor(_) => ratings.push(match cell.to_ascii_lowercase().as_str() {
                    c if missing(c) => None,
                    "present" | "yes" | "true" => Some(1.0),
                    "absent" | "no" | "false" => Some(0.0),
                    _ => number(0.0, 1.0).or_else(|| {
                        problem("a rating: a severity from 0 (absent) to 1, present/absent, or empty (missing)");
                        None
                    }),
                }),
                Column::Outcome => {
                    class = match cell.to_ascii_lowercase().as_str() {
                        c if missing(c) => None,
                        "success" => Some(0),
                        "challenged" => Some(1),
                        "failed" => Some(2),
                        _ => {
                            problem("success, challenged, failed or empty (missing)");
                            None
                        }
                    }
                }
                Column::Overrun | Column::Slip => {
                    let value = if missing(cell) {
                        None
                    } else {
                        number(-0.999_999, 1e6).or_else(|| {
                            problem("a fraction above -1 (0.27 = 27 % over plan) or empty");
                            None
                        })
                    };
                    if matches!(column, Column::Overrun) {
                        overrun = value;
                    } else {
                        slip = value;
                    }
                }
                Column::Realisation => {
                    realisation = if missing(cell) {
                        None
                    } else {
                        number(0.0, 1.0).filter(|v| *v > 0.0).or_else(|| {
                            problem("a share of the planned benefit in (0, 1] or empty");
                            None
                        })
                    }
                }
                Column::Runaway => {
                    runaway = match cell.to_ascii_lowercase().as_str() {
                        c if missing(c) => None,
                        "yes" | "true" | "1" => Some(true),
                        "no" | "false" | "0" => Some(false),
                        _ => {
                            problem("yes or no (also true/false, 1/0), or empty (not recorded)");
                            None
                        }
                    }
                }
                Column::Covariate(_) => covariate_cells.push(cell.to_string()),
            }
        }
        data.ratings.push(ratings);
        data.class.push(class);
        data.overrun.push(overrun);
        data.slip.push(slip);
        data.benefit_realisation.push(realisation);
        data.runaway.push(runaway);
        raw_covariates.push(covariate_cells);
    }
    refuse_bad_cells(
        path,
        problems,
        "fitted",
        "correct the cells listed (leave a cell empty for a missing value)",
    )?;
    if data.ratings.is_empty() {
        return Err(data_error(
            path,
            "no project rows".into(),
            "add one row per past project",
        ));
    }
    data.presence_only = (0..factors.len())
        .map(|k| {
            data.ratings
                .iter()
                .filter_map(|r| r[k])
                .all(|v| v == 0.0 || v == 1.0)
        })
        .collect();
    code_covariates(&mut data, &columns, &raw_covariates);
    Ok(data)
}

/// Numeric covariates as they are; a text column as one 0/1 column per level but the first
/// (alphabetically), named `column=level`.
fn code_covariates(data: &mut ProjectData, columns: &[Column], raw: &[Vec<String>]) {
    let names: Vec<&String> = columns
        .iter()
        .filter_map(|c| match c {
            Column::Covariate(n) => Some(n),
            _ => None,
        })
        .collect();
    data.covariates = vec![Vec::new(); raw.len()];
    for (j, name) in names.iter().enumerate() {
        let cells: Vec<&str> = raw.iter().map(|r| r[j].as_str()).collect();
        let numeric = cells
            .iter()
            .all(|c| missing(c) || c.parse::<f64>().is_ok_and(f64::is_finite));
        if numeric {
            data.covariate_names.push((*name).clone());
            for (row, c) in cells.iter().enumerate() {
                data.covariates[row].push(c.parse::<f64>().ok());
            }
            continue;
        }
        let mut levels: Vec<&str> = cells.iter().copied().filter(|c| !missing(c)).collect();
        levels.sort_unstable();
        levels.dedup();
        for level in levels.iter().skip(1) {
            data.covariate_names.push(format!("{name}={level}"));
            for (row, c) in cells.iter().enumerate() {
                data.covariates[row].push((!missing(c)).then_some(f64::from(u8::from(c == level))));
            }
        }
    }
}

pub fn run(args: CalibrateArgs) -> Result<(), Error> {
    let Some(path) = args.data.as_deref() else {
        return Err(Error::Internal("calibrate --data without a path".into()));
    };
    let (catalogue_origin, catalogue_text) = match &args.catalogue {
        Some(file) => (file.display().to_string(), read_text(file)?),
        None => (
            "data/catalogue.toml (built in)".into(),
            BUILTIN_CATALOGUE.to_string(),
        ),
    };
    let base = Catalogue::parse(&Source::new(
        catalogue_origin.clone(),
        catalogue_text.clone(),
    ))?;
    let scenario = load(args.scenario.as_ref(), None)?;
    let covariates: Vec<String> = args
        .covariates
        .iter()
        .flat_map(|c| c.split(','))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let data = read(path, &base, &covariates)?;
    // Before the fit: no output may replace an input (`--data X -o X`).
    crate::input::opened::check_outputs([
        (Some(args.output.as_path()), "--output"),
        (args.report.as_deref(), "--report"),
    ])?;
    let options = FitOptions {
        burn: scenario.project.team_burn_share,
        failed_share: scenario.project.failed_benefit_share,
        folds: 5,
        seed: args.seed,
        missing: match args.missing {
            super::calibrate::MissingValues::CompleteCases => MissingData::CompleteCases,
            super::calibrate::MissingValues::Impute => MissingData::Impute(ImputationSettings {
                imputations: args.imputations,
                seed: args.seed,
                ..ImputationSettings::default()
            }),
        },
    };
    let progress = super::progress::Progress::with_template(
        args.imputations as u64,
        args.quiet,
        "{spinner} {bar:40} {pos}/{len} imputed data sets fitted  eta {eta}",
    );
    let fit = project_fit::fit_observed(&data, &base, &options, &|| progress.advance(1));
    progress.finish();
    let fit = fit?;
    for warning in &fit.warnings {
        say!("warning: {warning}");
    }
    let (fitted, parameters, covariance) = project_fit::fitted_catalogue(&base, &data, &fit);
    let provenance = Provenance {
        command: command_line(),
        date: today(),
        crmcast_version: env!("CARGO_PKG_VERSION").into(),
        lines: vec![
            (
                "project data".into(),
                format!("{} ({} projects)", path.display(), fit.rows),
            ),
            ("base catalogue".into(), catalogue_origin),
            (
                "method".into(),
                "maximum likelihood per channel (docs/CALIBRATION.md)".into(),
            ),
            ("missing values".into(), missing_provenance(&fit)),
            (
                "rated factors".into(),
                fit.impacts
                    .iter()
                    .map(|w| w.factor.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("runaway model".into(), runaway_provenance(&fit)),
        ],
    };
    let uncertainty = Uncertainty {
        comment: "Joint normal uncertainty of the fitted parameters (drawn per trial with\n--parameter-uncertainty); written by crmcast calibrate --data.",
        source: format!("crmcast calibrate --data {}", path.display()),
        parameters: &parameters,
        covariance: &covariance,
    };
    let text = calibrated_text(&catalogue_text, &fitted, &provenance, Some(uncertainty))?;
    // Refuse to write what a scenario could not read back.
    Catalogue::parse(&Source::new(
        args.output.display().to_string(),
        text.clone(),
    ))?;
    export::write_output(Some(&args.output), "--output", |out| {
        out.write_all(text.as_bytes())
    })?;
    let exporter = export::exporter(args.format.unwrap_or(Format::Table));
    let document = crate::presentation::project_fit::document(&fit);
    export::write_output(args.report.as_deref(), "--report", |out| {
        exporter.document(&document, out)
    })?;
    say!(
        "{}: the fitted catalogue of {} rated factors",
        args.output.display(),
        fit.impacts.len()
    );
    Ok(())
}

/// One line on how missing values were handled, for the catalogue's header.
fn missing_provenance(fit: &ProjectFit) -> String {
    let m = &fit.missing_data;
    match m.imputations {
        Some(imputations) => format!(
            "{} of {} projects had a missing value ({} values): multiple imputation by chained equations (predictive mean matching, {} completed data sets, {} cycles), pooled by Rubin's rules",
            m.rows_with_missing,
            fit.rows,
            m.missing_values,
            imputations,
            m.iterations.unwrap_or(0)
        ),
        None => format!(
            "{} of {} projects had a missing value ({} values): each model fitted on its complete cases",
            m.rows_with_missing, fit.rows, m.missing_values
        ),
    }
}

/// One line on the runaway hazard for the catalogue's header.
fn runaway_provenance(fit: &ProjectFit) -> String {
    match &fit.runaway {
        None => format!(
            "not fitted (no `{RUNAWAY_COLUMN}` column; cost and schedule fitted on every project)"
        ),
        Some(m) if m.written => format!(
            "fitted on {} projects ({} runaways, excluded from the cost and schedule fits)",
            m.rows_used, m.runaways
        ),
        Some(m) => format!(
            "kept from the base catalogue: {}",
            m.note.as_deref().unwrap_or("not fitted")
        ),
    }
}
