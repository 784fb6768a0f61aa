//! `crmcast reference-class`: the outside view. Read past projects' cost overruns (checking
//! every cell, with the row and column of each problem) or take the built-in class, and print
//! the class's distribution, the budget uplift needed at P50/P80/P90 and a lognormal fit. The
//! statistics are in `analysis::reference_class`; docs/REFERENCE_CLASS.md is the contract.

use super::{OutputArgs, bad_option};
use crate::analysis::reference_class::{
    self, BuiltinClass, ClassDescription, ReferenceClassResult,
};
use crate::error::Error;
use crate::export::{self, Format};
use crate::scenario::overruns;
use clap::Args;
use std::path::PathBuf;

/// Missing rows listed in the result.
const LISTED_MISSING: usize = 50;
/// The largest budget accepted (as `project.budget`).
const MAX_BUDGET: f64 = 1e13;

#[derive(Debug, Args)]
pub struct ReferenceClassArgs {
    /// Past projects' cost overruns: a CSV file with a header, one row per project
    /// (docs/REFERENCE_CLASS.md). Without it, the built-in class of IT projects reconstructed
    /// from Flyvbjerg & Budzier (2011).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// With --data: the column holding the overruns, as fractions (0.27 = 27 % over budget) or
    /// percentages (27%) [default: overrun].
    #[arg(long, value_name = "NAME")]
    pub column: Option<String>,
    /// Levels of the uplift table, in percent: the budget is exceeded with probability
    /// 100 − level.
    #[arg(long, value_name = "PERCENTS", default_value = "50,80,90")]
    pub levels: String,
    /// A budget to uplift: each level then shows the budget it needs, B·(1 + uplift).
    #[arg(long, value_name = "AMOUNT")]
    pub budget: Option<f64>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `50,80,90` → [0.5, 0.8, 0.9]: percents strictly between 0 and 100, ascending, distinct.
fn parse_levels(text: &str) -> Result<Vec<f64>, Error> {
    let fix = "give percents between 0 and 100, e.g. --levels 50,80,90";
    let mut levels = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let percent = part
            .trim_start_matches(['P', 'p'])
            .trim_end_matches('%')
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0 && *v < 100.0)
            .ok_or_else(|| {
                bad_option(
                    "--levels",
                    format!("`{part}` is not a percent in (0, 100)"),
                    fix,
                )
            })?;
        levels.push(percent / 100.0);
    }
    if levels.is_empty() {
        return Err(bad_option("--levels", "no level given".into(), fix));
    }
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    Ok(levels)
}

pub fn run(args: ReferenceClassArgs) -> Result<(), Error> {
    let levels = parse_levels(&args.levels)?;
    if let Some(b) = args.budget
        && !(b.is_finite() && b > 0.0 && b <= MAX_BUDGET)
    {
        return Err(bad_option(
            "--budget",
            format!("{b} is outside the valid range (0, 10^13]"),
            "give the planned cost as a positive amount, e.g. --budget 1000000",
        ));
    }
    let result = match &args.data {
        None => {
            if args.column.is_some() {
                return Err(bad_option(
                    "--column",
                    "--column names a column of --data, and no --data was given".into(),
                    "add --data FILE.csv, or drop --column",
                ));
            }
            reference_class::analyse_builtin(&BuiltinClass::builtin(), &levels)
        }
        Some(path) => {
            let column = args.column.as_deref().unwrap_or("overrun");
            let data = overruns::read(path, column)?;
            crate::input::opened::check_outputs([(args.output.output.as_deref(), "--output")])?;
            let n = data.values.len();
            let class = ClassDescription {
                kind: "sample".into(),
                name: format!("past projects in {}", path.display()),
                source: path.display().to_string(),
                projects: n as u64,
                missing: data.missing_rows.len() as u64,
                missing_rows: data
                    .missing_rows
                    .iter()
                    .take(LISTED_MISSING)
                    .copied()
                    .collect(),
                column: Some(column.to_string()),
            };
            let result = reference_class::analyse_sample(class, &data.values, &levels).map_err(
                |message| {
                    crate::scenario::data_file::data_error(
                        path,
                        message,
                        "give the overruns of several different projects",
                    )
                },
            )?;
            warn(&result, &data, args.output.quiet);
            result
        }
    };
    let result = match args.budget {
        Some(b) => result.with_budget(b),
        None => result,
    };
    let document = crate::presentation::reference_class::document(&result);
    let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
    export::write_output(args.output.output.as_deref(), "--output", |out| {
        exporter.document(&document, out)
    })
}

/// Notes and warnings on stderr: missing rows, open intervals, values that look like percents.
fn warn(result: &ReferenceClassResult, data: &overruns::Overruns, quiet: bool) {
    if !quiet && !data.missing_rows.is_empty() {
        say!(
            "note: {} row(s) have no overrun and are left out (rows {}{})",
            data.missing_rows.len(),
            data.missing_rows
                .iter()
                .take(10)
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if data.missing_rows.len() > 10 {
                ", …"
            } else {
                ""
            }
        );
    }
    let open: Vec<String> = result
        .uplifts
        .iter()
        .filter(|u| u.ranks.low_rank.is_none() || u.ranks.high_rank.is_none())
        .map(|u| {
            format!(
                "P{}",
                crate::presentation::reference_class::percent_label(u.level)
            )
        })
        .collect();
    if !open.is_empty() {
        say!(
            "warning: with {} projects the 95 % interval of {} reaches beyond the sample's values; read the lognormal fit beside it, and add projects",
            result.summary.projects,
            open.join(", ")
        );
    }
    if let Some(median) = result.summary.median.value
        && median.abs() > 2.0
    {
        say!(
            "warning: the median overrun is {:.0} %: if the column holds percentages, write them as 27% or 0.27, not 27",
            100.0 * median
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::overruns::parse_overrun;

    #[test]
    fn overrun_cells() {
        assert_eq!(parse_overrun("0.27"), Some(0.27));
        assert_eq!(parse_overrun("27%"), Some(0.27));
        assert_eq!(parse_overrun("27 %"), Some(0.27));
        assert_eq!(parse_overrun("-5%"), Some(-0.05));
        assert_eq!(parse_overrun("-1"), None);
        assert_eq!(parse_overrun("-100%"), None);
        assert_eq!(parse_overrun("abc"), None);
        assert_eq!(parse_overrun("inf"), None);
        assert_eq!(parse_overrun("NaN"), None);
    }

    #[test]
    fn levels() {
        assert_eq!(parse_levels("50,80,90").unwrap(), vec![0.5, 0.8, 0.9]);
        assert_eq!(parse_levels("P90, 80%,P50").unwrap(), vec![0.5, 0.8, 0.9]);
        assert!(parse_levels("0").is_err());
        assert!(parse_levels("100").is_err());
        assert!(parse_levels("").is_err());
        assert!(parse_levels("x").is_err());
    }
}
