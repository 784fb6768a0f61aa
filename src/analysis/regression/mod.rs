//! Fitting factor weights to project-level data by maximum likelihood: the pure numerics, with
//! no file I/O and no printing.
//!
//! - [`linear`]: the Gaussian linear model (ordinary least squares by QR), Student-t intervals;
//! - [`logistic`]: binary logistic regression by Newton–Raphson (IRLS);
//! - [`cloglog`]: binary regression with the complementary log-log link (the runaway hazard);
//! - [`ordinal`]: proportional-odds logistic regression for ordered outcome classes;
//! - [`censored`]: the benefit model, a Tobit-type regression with multiplicative impacts;
//! - [`metrics`]: scores of predicted probabilities, calibration tables and k-fold splits.
//!
//! Every fit takes a design matrix *without* an intercept column (rows = projects, columns =
//! named factors) and reports each coefficient with a standard error and a 95 % interval.
//! The fits check their inputs first, so a bad data set yields a [`FitError`] that names the
//! offending row or column, never a panic or a silent NaN. (Predictions and scores take rows
//! shaped by the calling code and panic on a length mismatch, which is a programming error.)

pub mod bounded_linear;
pub mod censored;
pub mod cloglog;
pub mod linear;
pub mod logistic;
pub mod metrics;
mod newton;
pub mod ordinal;
mod profile;
pub mod rubin;

pub use bounded_linear::{Intervals, linear_bounded};
pub use censored::{CensoredFit, censored_benefit};
pub use cloglog::{CloglogFit, cloglog, cloglog_probability};
pub use linear::{LinearFit, linear};
pub use logistic::{LogisticFit, logistic};
pub use metrics::{CalibrationBin, auc, brier, calibration_table, folds, log_loss, training_rows};
pub use ordinal::{OrdinalFit, ordinal_logistic};

use nalgebra::DMatrix;
use serde::Serialize;
use statrs::function::erf::erfc;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// The standard normal 0.975 quantile: the half-width, in standard errors, of a 95 % Wald
/// interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The name given to the intercept the fits add in front of the named columns.
pub const INTERCEPT: &str = "intercept";

/// A column's residual after projection on the columns before it, relative to its own length,
/// below which the column counts as a linear combination of them. Far above rounding error
/// (1e-16) and far below any real variation.
const COLLINEARITY_TOLERANCE: f64 = 1e-9;

/// A logistic coefficient times its column's standard deviation beyond which the coefficient
/// is taken to diverge (separation): a log odds ratio of 10 per standard deviation (odds ×22 000)
/// does not come out of a finite-sample fit of overlapping classes.
const SEPARATION_LIMIT: f64 = 10.0;

/// Why a model could not be fitted. Each message says what is wrong and how to fix the data.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    #[error("the design has {columns} columns but {names} names: give one name per column")]
    NameCount { columns: usize, names: usize },

    #[error(
        "the design has {design} rows but the outcome has {outcome} values: give one outcome per row"
    )]
    RowCount { design: usize, outcome: usize },

    #[error(
        "{rows} rows cannot identify {coefficients} coefficients: at least {} rows are needed",
        .coefficients + 1
    )]
    TooFewRows { rows: usize, coefficients: usize },

    #[error("row {row}, `{column}` is {value}: every value must be a finite number")]
    NonFinite {
        row: usize,
        column: String,
        value: f64,
    },

    #[error("row {row}, `{column}` is {value}, outside {expected}")]
    OutOfRange {
        row: usize,
        column: String,
        value: f64,
        expected: &'static str,
    },

    #[error(
        "the design is singular: {} {} constant or a linear combination of the columns before \
         it (the intercept included); drop or merge {}",
        listed(.columns),
        if .columns.len() == 1 { "is" } else { "are" },
        if .columns.len() == 1 { "it" } else { "them" }
    )]
    Singular { columns: Vec<String> },

    #[error("need at least 2 outcome classes, got {class_count}")]
    TooFewClasses { class_count: usize },

    #[error("row {row} has class {class}, but the classes are 0..{class_count}")]
    ClassOutOfRange {
        row: usize,
        class: usize,
        class_count: usize,
    },

    #[error(
        "class {class} (of 0..{class_count}) has no observations: the model cannot place it; \
         merge it with a neighbouring class or collect more rows"
    )]
    EmptyClass { class: usize, class_count: usize },

    #[error(
        "all {rows} benefit realisations are at the cap of 1: the data say nothing about the \
         spread below it; collect rows with a realised benefit under 1"
    )]
    AllCensored { rows: usize },

    #[error(
        "separation: the outcome is (almost) perfectly predicted by {}, so the coefficient \
         runs off to infinity; drop or merge the column, or collect more rows",
        listed(.columns)
    )]
    Separation { columns: Vec<String> },

    #[error(
        "the fit did not converge in {iterations} iterations (last relative step {last_step:.3e}); \
         the data may be nearly separated or nearly collinear"
    )]
    NotConverged { iterations: usize, last_step: f64 },

    #[error(
        "the information matrix is not positive definite at the optimum: {detail}; \
         some coefficient is not identified by the data"
    )]
    NotIdentified { detail: String },
}

/// "column `a`" or "columns `a`, `b`".
fn listed(columns: &[String]) -> String {
    let list: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
    match list.len() {
        1 => format!("column {}", list[0]),
        _ => format!("columns {}", list.join(", ")),
    }
}

/// One estimated parameter with its standard error and 95 % interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficient {
    pub name: String,
    pub estimate: f64,
    pub standard_error: f64,
    pub low: f64,
    pub high: f64,
    /// How `low` and `high` were found.
    pub interval: IntervalMethod,
    /// Whether a constraint holds the estimate on its bound (an impact that must be
    /// non-negative, which the data alone would put below 0).
    pub held_at_bound: bool,
    /// With multiply imputed data, the fraction of the information about this parameter that
    /// the missing values took away (Rubin's γ); `None` for a fit on complete data.
    pub fraction_missing_information: Option<f64>,
}

/// How a 95 % interval was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// `estimate ± 1.96·SE` (or its image under a monotone map, such as `exp`), cut at a bound
    /// where the parameter has one.
    Wald,
    /// `estimate ± t·SE`, Student's t with the residual degrees of freedom (linear models).
    StudentT,
    /// The values the profile deviance does not reject ([`profile`]): for a constrained
    /// coefficient near or on its bound.
    ProfileLikelihood,
    /// Rubin's rules over multiply imputed data: `estimate ± t_ν·√T` with Barnard and Rubin's
    /// degrees of freedom ([`rubin`]), cut at a bound where the parameter has one.
    Rubin,
}

impl IntervalMethod {
    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            IntervalMethod::Wald => "Wald",
            IntervalMethod::StudentT => "t",
            IntervalMethod::ProfileLikelihood => "profile likelihood",
            IntervalMethod::Rubin => "Rubin",
        }
    }
}

impl Coefficient {
    /// `estimate ± quantile · standard_error`, a Wald interval.
    fn symmetric(name: &str, estimate: f64, standard_error: f64, quantile: f64) -> Self {
        Coefficient {
            name: name.to_string(),
            estimate,
            standard_error,
            low: estimate - quantile * standard_error,
            high: estimate + quantile * standard_error,
            interval: IntervalMethod::Wald,
            held_at_bound: false,
            fraction_missing_information: None,
        }
    }

    fn with_interval(mut self, method: IntervalMethod) -> Self {
        self.interval = method;
        self
    }
}

/// Serialises a matrix as a list of rows (nalgebra's own serde form is column-major and flat).
fn serialize_matrix<S: serde::Serializer>(
    matrix: &DMatrix<f64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut rows = serializer.serialize_seq(Some(matrix.nrows()))?;
    for row in matrix.row_iter() {
        rows.serialize_element(&row.iter().copied().collect::<Vec<f64>>())?;
    }
    rows.end()
}

/// Checks the shapes and that every design value is finite.
fn check_design(x: &DMatrix<f64>, names: &[String], outcomes: usize) -> Result<(), FitError> {
    if names.len() != x.ncols() {
        return Err(FitError::NameCount {
            columns: x.ncols(),
            names: names.len(),
        });
    }
    if outcomes != x.nrows() {
        return Err(FitError::RowCount {
            design: x.nrows(),
            outcome: outcomes,
        });
    }
    for (column, name) in names.iter().enumerate() {
        if let Some((row, &value)) = x
            .column(column)
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite())
        {
            return Err(FitError::NonFinite {
                row,
                column: name.clone(),
                value,
            });
        }
    }
    Ok(())
}

/// Fails unless there are more rows than coefficients.
fn check_row_count(rows: usize, coefficients: usize) -> Result<(), FitError> {
    if rows <= coefficients {
        return Err(FitError::TooFewRows { rows, coefficients });
    }
    Ok(())
}

/// `[1 | x]`.
fn with_intercept(x: &DMatrix<f64>) -> DMatrix<f64> {
    x.clone().insert_column(0, 1.0)
}

/// The intercept's name followed by the columns' names.
fn names_with_intercept(names: &[String]) -> Vec<String> {
    std::iter::once(INTERCEPT.to_string())
        .chain(names.iter().cloned())
        .collect()
}

/// `aᵀ b` for tall matrices of the same row count, summed over blocks of rows that fit in
/// the cache: one dot product per entry over whole columns streams every column from memory
/// once per entry, which at 10⁶ rows made the product memory-bound (and the time superlinear).
pub fn gram(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    const BLOCK_ROWS: usize = 2048;
    let mut product = DMatrix::zeros(a.ncols(), b.ncols());
    let mut start = 0;
    while start < a.nrows() {
        let rows = BLOCK_ROWS.min(a.nrows() - start);
        product.gemm_tr(1.0, &a.rows(start, rows), &b.rows(start, rows), 1.0);
        start += rows;
    }
    product
}

/// Fails with [`FitError::Singular`] naming every column of `[1 | x]` that is (numerically) a
/// linear combination of the columns before it, read off R of a Householder QR
/// ([`triangular_factor`]). A constant column is a multiple of the intercept, so it is named too.
fn check_rank(x: &DMatrix<f64>, names: &[String]) -> Result<(), FitError> {
    let all_names = names_with_intercept(names);
    let r = triangular_factor(x);
    let dependent: Vec<String> = all_names
        .into_iter()
        .enumerate()
        .filter(|&(j, _)| {
            // Q is orthogonal, so column j of R has the length of column j of [1 | x], and
            // |R_jj| is what is left of it after projection on the columns before it.
            let length = r.column(j).norm();
            let remaining = if j < r.nrows() { r[(j, j)].abs() } else { 0.0 };
            length == 0.0 || remaining <= COLLINEARITY_TOLERANCE * length
        })
        .map(|(_, name)| name)
        .collect();
    if dependent.is_empty() {
        Ok(())
    } else {
        Err(FitError::Singular { columns: dependent })
    }
}

/// R of a QR decomposition of `[1 | x]` (Householder, so stable on nearly collinear columns),
/// computed over blocks of rows (TSQR: the R so far stacked on the next block, factored again),
/// so that each factorisation stays in cache and the cost is linear in the rows.
fn triangular_factor(x: &DMatrix<f64>) -> DMatrix<f64> {
    const BLOCK_ROWS: usize = 2048;
    let columns = x.ncols() + 1;
    let mut r = DMatrix::<f64>::zeros(0, columns);
    let mut start = 0;
    while start < x.nrows() {
        let rows = BLOCK_ROWS.min(x.nrows() - start);
        let block = with_intercept(&x.rows(start, rows).into_owned());
        let mut stacked = DMatrix::zeros(r.nrows() + rows, columns);
        stacked.rows_mut(0, r.nrows()).copy_from(&r);
        stacked.rows_mut(r.nrows(), rows).copy_from(&block);
        r = stacked.qr().r();
        start += rows;
    }
    r
}

/// Names the columns whose slope, scaled by the column's standard deviation, exceeds
/// [`SEPARATION_LIMIT`]: the signature of a logistic coefficient running off to infinity.
fn diverging_columns(x: &DMatrix<f64>, slopes: &[f64], names: &[String]) -> Vec<String> {
    let rows = x.nrows() as f64;
    names
        .iter()
        .zip(slopes)
        .enumerate()
        .filter(|&(column, (_, slope))| {
            let values = x.column(column);
            let mean = values.sum() / rows;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / rows).sqrt();
            let effect = slope.abs() * sd;
            effect > SEPARATION_LIMIT || effect.is_nan()
        })
        .map(|(_, (name, _))| name.clone())
        .collect()
}

/// The logistic function `1 / (1 + e^−t)`, without overflow for large |t|.
fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// `ln σ(t)`, accurate in both tails.
fn log_sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        -(-t).exp().ln_1p()
    } else {
        t - t.exp().ln_1p()
    }
}

/// Below this, `ln Φ(t)` and `φ(t)/Φ(t)` come from the asymptotic series (erfc underflows
/// near t = −38); at −30 the series' first neglected term is 1.6·10⁻¹² relative.
const NORMAL_TAIL_SWITCH: f64 = -30.0;

/// `(ln Φ(t), φ(t)/Φ(t))` for the standard normal, accurate far into the lower tail.
fn log_normal_cdf_and_mills(t: f64) -> (f64, f64) {
    if t <= NORMAL_TAIL_SWITCH {
        normal_tail_series(t)
    } else {
        normal_tail_by_erfc(t)
    }
}

/// Φ(t) = φ(t)/(−t) · (1 − 1/t² + 3/t⁴ − 15/t⁶ + 105/t⁸ − …), for t ≪ 0.
fn normal_tail_series(t: f64) -> (f64, f64) {
    let u = 1.0 / (t * t);
    let series = 1.0 - u * (1.0 - u * (3.0 - u * (15.0 - u * 105.0)));
    let log_density = -0.5 * t * t - 0.5 * (2.0 * PI).ln();
    (log_density - (-t).ln() + series.ln(), -t / series)
}

/// Φ(t) = erfc(−t/√2)/2, with ln Φ from the upper tail where Φ is near 1.
fn normal_tail_by_erfc(t: f64) -> (f64, f64) {
    let lower = 0.5 * erfc(-t * FRAC_1_SQRT_2);
    let log_cdf = if t > 0.0 {
        (-0.5 * erfc(t * FRAC_1_SQRT_2)).ln_1p()
    } else {
        lower.ln()
    };
    let density = (-0.5 * t * t).exp() / (2.0 * PI).sqrt();
    (log_cdf, density / lower)
}

/// The covariance of a maximum-likelihood estimate: the inverse of the observed information
/// `−H`, by Cholesky (which also proves `−H` positive definite).
fn inverse_information(hessian: &DMatrix<f64>) -> Result<DMatrix<f64>, FitError> {
    let information = -hessian;
    match information.clone().cholesky() {
        // Exactly symmetric: the inverse is, up to rounding, and a catalogue's [uncertainty]
        // table refuses a matrix whose mirror entries differ beyond 10⁻¹².
        Some(cholesky) => {
            let inverse = cholesky.inverse();
            Ok((&inverse + inverse.transpose()) * 0.5)
        }
        None => Err(FitError::NotIdentified {
            detail: format!(
                "the Cholesky factorisation of the {0}×{0} information matrix failed",
                information.nrows()
            ),
        }),
    }
}

/// `β₀ + Σ βⱼ·xⱼ` for coefficients listed intercept first and one row of covariates.
///
/// Panics if `row` does not have one value per covariate.
fn linear_predictor(coefficients: &[Coefficient], row: &[f64]) -> f64 {
    assert_eq!(row.len() + 1, coefficients.len(), "one value per covariate");
    coefficients[0].estimate
        + coefficients[1..]
            .iter()
            .zip(row)
            .map(|(c, v)| c.estimate * v)
            .sum::<f64>()
}

/// The square roots of a covariance matrix's diagonal.
fn standard_errors(covariance: &DMatrix<f64>) -> Vec<f64> {
    covariance
        .diagonal()
        .iter()
        .map(|v| v.max(0.0).sqrt())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{Continuous, ContinuousCDF, Normal};

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn messages_name_the_problem() {
        let singular = FitError::Singular {
            columns: names(&["a"]),
        }
        .to_string();
        assert!(
            singular.contains("column `a` is constant") && singular.contains("drop or merge it")
        );
        let two = FitError::Separation {
            columns: names(&["a", "b"]),
        }
        .to_string();
        assert!(two.contains("predicted by columns `a`, `b`, so"), "{two}");
        let both = FitError::Singular {
            columns: names(&["a", "b"]),
        }
        .to_string();
        assert!(both.contains("columns `a`, `b` are constant") && both.contains("merge them"));
        let rows = FitError::TooFewRows {
            rows: 3,
            coefficients: 5,
        }
        .to_string();
        assert!(rows.contains("3 rows cannot identify 5 coefficients: at least 6 rows"));
        let stuck = FitError::NotConverged {
            iterations: 100,
            last_step: 0.5,
        }
        .to_string();
        assert!(stuck.contains("100 iterations"), "{stuck}");
    }

    #[test]
    fn z95_is_the_normal_quantile() {
        let normal = Normal::new(0.0, 1.0).expect("standard normal");
        assert!((normal.inverse_cdf(0.975) - Z95).abs() < 1e-9);
    }

    #[test]
    fn duplicate_and_constant_columns_are_named() {
        let x = DMatrix::from_row_slice(
            5,
            4,
            &[
                1.0, 2.0, 1.0, 3.0, //
                2.0, 1.0, 2.0, 3.0, //
                3.0, 5.0, 3.0, 3.0, //
                4.0, 2.0, 4.0, 3.0, //
                5.0, 7.0, 5.0, 3.0,
            ],
        );
        let error = check_rank(&x, &names(&["a", "b", "a_copy", "flat"])).unwrap_err();
        match &error {
            FitError::Singular { columns } => assert_eq!(columns, &names(&["a_copy", "flat"])),
            other => panic!("expected Singular, got {other:?}"),
        }
        let message = error.to_string();
        assert!(
            message.contains("`a_copy`") && message.contains("`flat`"),
            "{message}"
        );
    }

    #[test]
    fn a_combination_of_columns_is_named() {
        // c = 2a − b + 1: collinear with the intercept and the two columns before it.
        let (a, b) = (
            [0.3, 1.2, 2.5, 0.1, 4.0, 2.2],
            [1.0, 0.5, 3.0, 2.0, 0.4, 1.1],
        );
        let c: Vec<f64> = a.iter().zip(&b).map(|(a, b)| 2.0 * a - b + 1.0).collect();
        let x = DMatrix::from_fn(6, 3, |r, col| [a[r], b[r], c[r]][col]);
        let error = check_rank(&x, &names(&["a", "b", "c"])).unwrap_err();
        assert!(matches!(&error, FitError::Singular { columns } if columns == &names(&["c"])));
        assert!(check_rank(&x.columns(0, 2).into_owned(), &names(&["a", "b"])).is_ok());
    }

    #[test]
    fn log_sigmoid_is_accurate_in_both_tails() {
        for t in [-800.0, -40.0, -1.0, 0.0, 1.0, 40.0, 800.0] {
            let direct = sigmoid(t).ln();
            let stable = log_sigmoid(t);
            if direct.is_finite() {
                assert!(
                    (direct - stable).abs() <= 1e-12 * direct.abs() + 1e-15,
                    "{t}"
                );
            }
        }
        assert_eq!(log_sigmoid(-800.0), -800.0);
        assert!((log_sigmoid(40.0) + (-40.0f64).exp()).abs() < 1e-30);
    }

    #[test]
    fn normal_tail_matches_statrs_and_the_series() {
        let normal = Normal::new(0.0, 1.0).expect("standard normal");
        for t in [-25.0, -8.0, -1.5, 0.0, 0.7, 3.0, 9.0] {
            let (log_cdf, mills) = log_normal_cdf_and_mills(t);
            let reference = normal.cdf(t);
            assert!(
                (log_cdf - reference.ln()).abs() < 1e-12 * log_cdf.abs().max(1e-3),
                "{t}"
            );
            assert!(
                (mills - normal.pdf(t) / reference).abs() < 1e-10 * mills.max(1e-12),
                "{t}"
            );
        }
        // Where the two forms meet they agree, so the switch leaves no step.
        for t in [-35.0, NORMAL_TAIL_SWITCH, -27.0] {
            let (series, exact) = (normal_tail_series(t), normal_tail_by_erfc(t));
            assert!(
                (series.0 / exact.0 - 1.0).abs() < 1e-12,
                "{t}: {series:?} {exact:?}"
            );
            assert!(
                (series.1 / exact.1 - 1.0).abs() < 1e-10,
                "{t}: {series:?} {exact:?}"
            );
        }
        // ln Φ(−200) = −200²/2 − ln 200 − ln √(2π) + ln(1 − 1/200² + …).
        let (log_cdf, mills) = log_normal_cdf_and_mills(-200.0);
        let leading = -20_000.0 - 200f64.ln() - 0.5 * (2.0 * PI).ln() - 1.0 / 40_000.0;
        assert!((log_cdf - leading).abs() < 1e-8);
        assert!((mills - 200.0).abs() < 0.01);
    }
}
