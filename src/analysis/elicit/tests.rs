//! Known answers for the fitting and the file's checks (the pool's and Cooke's tests sit beside
//! their code).

use super::fit::{Distribution, Family, fit_expert, fit_family};
use super::judgements::load;
use super::*;
use crate::scenario::source::Source;

/// Quantiles of a known distribution at `levels`, as (level, value).
fn quantiles_of(d: &Distribution, levels: &[f64]) -> Vec<(f64, f64)> {
    levels.iter().map(|&p| (p, d.quantile(p))).collect()
}

/// Fitting a family to its own exact quantiles gives back its parameters: the least-squares
/// problem has a zero at the truth, and Levenberg–Marquardt converges to it quadratically, so
/// the error is that of statrs' inverse CDFs (about 1e-10 and better).
#[test]
fn fitting_recovers_the_parameters_of_exact_quantiles() {
    let cases = [
        (Family::Beta, [2.0, 5.0]),
        (Family::Beta, [0.8, 12.0]),
        (Family::Gamma, [3.0, 0.5]),
        (Family::Lognormal, [1.2, 0.4]),
        (Family::Normal, [-3.0, 2.5]),
        (Family::StudentT, [10.0, 1.5]),
    ];
    for (family, parameters) in cases {
        let truth = Distribution::new(family, parameters);
        let points = quantiles_of(&truth, &[0.1, 0.5, 0.9]);
        let fit = fit_family(family, &points, None).expect("fit");
        for (got, want) in fit.distribution.parameters.iter().zip(parameters) {
            assert!(
                (got - want).abs() < 1e-6 * want.abs().max(1.0),
                "{family:?}: {:?} against {parameters:?}",
                fit.distribution.parameters
            );
        }
        assert!(
            fit.sum_of_squares < 1e-18,
            "{family:?}: {}",
            fit.sum_of_squares
        );
    }
}

#[test]
fn the_best_family_is_the_one_the_quantiles_came_from() {
    // Lognormal quantiles: the lognormal fits exactly, the gamma does not.
    let truth = Distribution::new(Family::Lognormal, [0.0, 0.8]);
    let judgement = Judgement::Quantiles(quantiles_of(&truth, &[0.05, 0.25, 0.5, 0.75, 0.95]));
    let fit = fit_expert(Kind::Positive, &judgement).expect("fit");
    assert_eq!(fit.best_fit().distribution.family, Family::Lognormal);
    assert!(fit.fits[0].sum_of_squares > 1e-6, "{:?}", fit.fits[0]);
    // Normal quantiles on a real quantity: the normal, not the t.
    let truth = Distribution::new(Family::Normal, [5.0, 1.0]);
    let judgement = Judgement::Quantiles(quantiles_of(&truth, &[0.05, 0.25, 0.5, 0.75, 0.95]));
    let fit = fit_expert(Kind::Real, &judgement).expect("fit");
    assert_eq!(fit.best_fit().distribution.family, Family::Normal);
}

#[test]
fn inconsistent_quantiles_leave_a_fit_error() {
    // Four quantiles no two-parameter beta matches (a median far off-centre in a narrow
    // interval): the error is the reported misfit, not zero.
    let judgement = Judgement::Quantiles(vec![(0.1, 0.2), (0.5, 0.21), (0.75, 0.5), (0.9, 0.55)]);
    let fit = fit_expert(Kind::Probability, &judgement).expect("fit");
    let best = fit.best_fit();
    assert!(best.sum_of_squares > 1e-3, "{}", best.sum_of_squares);
    // It is the sum of the squared CDF errors at the fitted parameters.
    let recomputed: f64 = [(0.1, 0.2), (0.5, 0.21), (0.75, 0.5), (0.9, 0.55)]
        .iter()
        .map(|&(p, x)| (best.distribution.cdf(x) - p).powi(2))
        .sum();
    assert!((best.sum_of_squares - recomputed).abs() < 1e-15);
}

#[test]
fn min_mode_max_matches_the_quantiles_and_the_mode_of_a_beta() {
    // Beta(3, 7): mode 0.25; its 5 % and 95 % quantiles are the min and max at 90 %.
    let truth = Distribution::new(Family::Beta, [3.0, 7.0]);
    let judgement = Judgement::MinModeMax {
        min: truth.quantile(0.05),
        mode: 0.25,
        max: truth.quantile(0.95),
        confidence: 0.9,
    };
    let fit = fit_expert(Kind::Probability, &judgement).expect("fit");
    let [a, b] = fit.best_fit().distribution.parameters;
    assert!((a - 3.0).abs() < 1e-6 && (b - 7.0).abs() < 1e-6, "{a} {b}");
}

#[test]
fn a_probability_with_an_interval_is_a_beta_with_that_median_and_central_interval() {
    let truth = Distribution::new(Family::Beta, [4.0, 9.0]);
    let judgement = Judgement::ProbabilityInterval {
        probability: truth.quantile(0.5),
        low: truth.quantile(0.1),
        high: truth.quantile(0.9),
        level: 0.8,
    };
    let fit = fit_expert(Kind::Probability, &judgement).expect("fit");
    let [a, b] = fit.best_fit().distribution.parameters;
    assert!((a - 4.0).abs() < 1e-6 && (b - 9.0).abs() < 1e-6, "{a} {b}");
}

fn file(experts: &str) -> String {
    format!(
        "[quantity]\nid = \"change_resistance.probability\"\nkind = \"probability\"\nfactor = \"change_resistance\"\n{experts}"
    )
}

fn refusal(text: &str) -> String {
    match load(&Source::new("j.toml", text.to_string())) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_valid_file_is_read_in_every_form() {
    let text = file(
        "[[experts]]\nname = \"A\"\njudgement = { p10 = 0.2, p50 = 0.35, p90 = 0.55 }\n\
         [[experts]]\nname = \"B\"\njudgement = { min = 0.1, mode = 0.3, max = 0.6, confidence = 0.9 }\n\
         [[experts]]\nname = \"C\"\njudgement = { probability = 0.3, low = 0.2, high = 0.45, level = 0.8 }\n",
    );
    let j = load(&Source::new("j.toml", text)).expect("valid");
    assert_eq!(j.experts.len(), 3);
    assert_eq!(
        j.experts[0].judgement,
        Judgement::Quantiles(vec![(0.1, 0.2), (0.5, 0.35), (0.9, 0.55)])
    );
    assert_eq!(
        j.quantity.target,
        Some(Target::FactorProbability {
            factor: "change_resistance".into()
        })
    );
    let result = elicit(&j, PoolMethod::Linear, Alpha::Given(0.0)).expect("pooled");
    assert!(
        result
            .experts
            .iter()
            .all(|e| (e.weight - 1.0 / 3.0).abs() < 1e-15)
    );
    assert!(result.pooled.mean > 0.25 && result.pooled.mean < 0.45);
}

#[test]
fn bad_files_are_refused_with_the_field_and_the_fix() {
    let unordered = refusal(&file(
        "[[experts]]\nname = \"A\"\njudgement = { p10 = 0.4, p50 = 0.35, p90 = 0.55 }\n",
    ));
    assert!(
        unordered.contains("experts[0].judgement.p50"),
        "{unordered}"
    );
    assert!(unordered.contains("quantiles must increase"), "{unordered}");
    let outside = refusal(&file(
        "[[experts]]\nname = \"A\"\njudgement = { p10 = 0.0, p90 = 0.5 }\n",
    ));
    assert!(outside.contains("experts[0].judgement.p10"), "{outside}");
    let mixed = refusal(&file(
        "[[experts]]\nname = \"A\"\njudgement = { p10 = 0.1, p90 = 0.5, mode = 0.2 }\n",
    ));
    assert!(mixed.contains("mixes the keys"), "{mixed}");
    let twice = refusal(&file(
        "[[experts]]\nname = \"A\"\njudgement = { p10 = 0.1, p90 = 0.5 }\n[[experts]]\nname = \" A \"\njudgement = { p10 = 0.1, p90 = 0.5 }\n",
    ));
    assert!(
        twice.contains("experts[1].name") && twice.contains("twice"),
        "{twice}"
    );
    let none = refusal(&file(""));
    assert!(
        none.contains("experts") && none.contains("1 to 100"),
        "{none}"
    );
    let zero = refusal(&file(
        "[[experts]]\nname = \"A\"\nweight = 0.0\njudgement = { p10 = 0.1, p90 = 0.5 }\n",
    ));
    assert!(zero.contains("every weight is 0"), "{zero}");
    let partial = refusal(&file(
        "[[experts]]\nname = \"A\"\nweight = 1.0\njudgement = { p10 = 0.1, p90 = 0.5 }\n[[experts]]\nname = \"B\"\njudgement = { p10 = 0.1, p90 = 0.5 }\n",
    ));
    assert!(partial.contains("experts[1].weight"), "{partial}");
    let unanswered = refusal(&file(
        "[[seed_questions]]\nid = \"q1\"\nanswer = 3.0\n[[seed_questions]]\nid = \"q2\"\nanswer = 5.0\n\
         [[experts]]\nname = \"A\"\njudgement = { p10 = 0.1, p90 = 0.5 }\n\
         [[experts.calibration]]\nquestion = \"q1\"\np5 = 1.0\np50 = 2.0\np95 = 4.0\n",
    ));
    assert!(
        unanswered.contains("experts[0].calibration") && unanswered.contains("\"q2\""),
        "{unanswered}"
    );
    let unknown = refusal(&file(
        "[[experts]]\nname = \"A\"\njudgement = { p10 = 0.1, p90 = 0.5 }\n\
         [[experts.calibration]]\nquestion = \"q9\"\np5 = 1.0\np50 = 2.0\np95 = 4.0\n",
    ));
    assert!(unknown.contains("no seed question \"q9\""), "{unknown}");
}

#[test]
fn a_hostile_file_cannot_ask_for_too_many_experts() {
    let many: String = (0..101)
        .map(|i| format!("[[experts]]\nname = \"E{i}\"\njudgement = {{ p10 = 0.1, p90 = 0.5 }}\n"))
        .collect();
    assert!(refusal(&file(&many)).contains("101 [[experts]]"));
}

#[test]
fn cooke_weights_need_seed_questions() {
    let text = file("[[experts]]\nname = \"A\"\njudgement = { p10 = 0.1, p90 = 0.5 }\n");
    let j = load(&Source::new("j.toml", text)).expect("valid");
    let error = elicit(&j, PoolMethod::Cooke, Alpha::Given(0.0)).expect_err("no seeds");
    assert!(error.to_string().contains("--pool"), "{error}");
    assert_eq!(error.exit_code(), 2);
}

/// The known-answer cases of SHELF's own test suite (the R package SHELF by J. Oakley,
/// tests/testthat/test-fitting.R): fixed values, the probabilities a known distribution gives
/// them, and the parameters fitted back (SHELF's tolerance there: 1e-3 relative). The scaled
/// beta on [10, 60] is mapped to [0, 1] (crmcast's beta has no limits) and the gamma's lower
/// limit 10 subtracted from its values.
#[test]
fn shelf_test_suite_cases_are_fitted_back() {
    use statrs::distribution::{Beta, ContinuousCDF, Gamma, LogNormal, Normal};
    /// (family, true parameters, (probability, value) points).
    type Case = (Family, [f64; 2], Vec<(f64, f64)>);
    let cases: [Case; 4] = [
        (
            Family::Normal,
            [10.0, 20.0],
            [-10.0, 10.0, 50.0]
                .iter()
                .map(|&x| (Normal::new(10.0, 20.0).unwrap().cdf(x), x))
                .collect(),
        ),
        (
            Family::Beta,
            [5.0, 20.0],
            [18.0, 20.0, 24.0]
                .iter()
                .map(|&v| {
                    let x = (v - 10.0) / 50.0;
                    (Beta::new(5.0, 20.0).unwrap().cdf(x), x)
                })
                .collect(),
        ),
        (
            Family::Lognormal,
            [30f64.ln(), 0.5],
            [22.0, 30.0, 42.0]
                .iter()
                .map(|&x| (LogNormal::new(30f64.ln(), 0.5).unwrap().cdf(x), x))
                .collect(),
        ),
        (
            Family::Gamma,
            [50.0, 2.0],
            [32.0, 35.0, 37.0]
                .iter()
                .map(|&v| (Gamma::new(50.0, 2.0).unwrap().cdf(v - 10.0), v - 10.0))
                .collect(),
        ),
    ];
    for (family, truth, points) in cases {
        let fit = fit_family(family, &points, None).expect("fit");
        for (got, want) in fit.distribution.parameters.iter().zip(truth) {
            assert!(
                (got / want - 1.0).abs() < 1e-6,
                "{family:?}: {:?} against {truth:?}",
                fit.distribution.parameters
            );
        }
    }
}

/// SHELF's test "linear pooling works" (tests/testthat/test-linearpool.R): three experts'
/// quartiles from a gamma(10, 4), a normal(3, 2) and a lognormal(ln 3, 2), pooled with weights
/// 1/6, 2/6, 3/6: the pool's 0.95 quantile has the closed-form mixture CDF 0.95, and its CDF at
/// 1.5 is the weighted closed form (SHELF's tolerance 1e-4; here the fits are exact to 1e-9).
#[test]
fn shelf_linear_pool_test_case() {
    use super::pool::Mixture;
    use statrs::distribution::{ContinuousCDF, Gamma, LogNormal, Normal};
    let levels = [0.25, 0.5, 0.75];
    let gamma = Gamma::new(10.0, 4.0).unwrap();
    let normal = Normal::new(3.0, 2.0).unwrap();
    let lognormal = LogNormal::new(3f64.ln(), 2.0).unwrap();
    let fitted = |family, points: Vec<(f64, f64)>| {
        fit_family(family, &points, None).expect("fit").distribution
    };
    let experts = vec![
        fitted(
            Family::Gamma,
            levels.iter().map(|&p| (p, gamma.inverse_cdf(p))).collect(),
        ),
        fitted(
            Family::Normal,
            levels.iter().map(|&p| (p, normal.inverse_cdf(p))).collect(),
        ),
        fitted(
            Family::Lognormal,
            levels
                .iter()
                .map(|&p| (p, lognormal.inverse_cdf(p)))
                .collect(),
        ),
    ];
    let weights = [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0];
    let closed = |x: f64| {
        weights[0] * gamma.cdf(x) + weights[1] * normal.cdf(x) + weights[2] * lognormal.cdf(x)
    };
    let pool = Mixture::new(experts, weights.to_vec());
    let q95 = pool.quantile(0.95);
    assert!((closed(q95) - 0.95).abs() < 1e-9, "{q95}: {}", closed(q95));
    assert!((pool.cdf(1.5) - closed(1.5)).abs() < 1e-9);
}

/// Judgements no family can follow (a spike 1e-11 wide; a 1 % interval spanning 21 orders of
/// magnitude) still give a finite fit, its error and a finite pool: the shapes stop at their
/// bounds and every quantile is a bounded bisection.
#[test]
fn extreme_judgements_give_finite_fits_and_pools() {
    let cases = [
        (
            Kind::Probability,
            Judgement::Quantiles(vec![(0.25, 0.3), (0.75, 0.300_000_000_01)]),
        ),
        (
            Kind::Positive,
            Judgement::MinModeMax {
                min: 1e-9,
                mode: 1e-8,
                max: 1e12,
                confidence: 0.01,
            },
        ),
        (
            Kind::Probability,
            Judgement::Quantiles(vec![(0.05, 1e-12), (0.95, 0.999_999_999_999)]),
        ),
    ];
    for (kind, judgement) in cases {
        let fit = fit_expert(kind, &judgement).expect("fit");
        for f in &fit.fits {
            assert!(f.sum_of_squares.is_finite(), "{judgement:?}: {f:?}");
        }
        let mixture = super::pool::Mixture::new(vec![fit.best_fit().distribution], vec![1.0]);
        let summary = super::pool::Summary::of(&mixture);
        assert!(summary.mean.is_finite(), "{judgement:?}: {summary:?}");
        assert!(
            summary.quantiles.iter().all(|(_, q)| q.is_finite()),
            "{judgement:?}: {summary:?}"
        );
    }
}
