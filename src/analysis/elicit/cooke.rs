//! Cooke's classical model (R. M. Cooke, *Experts in Uncertainty*, 1991, ch. 12): experts are
//! weighted by how well their 5 %, 50 % and 95 % quantiles did on seed questions whose answers
//! are known.
//!
//! - **Calibration.** The N answers fall into the four inter-quantile bins (≤ q5, (q5, q50],
//!   (q50, q95], > q95), which a calibrated expert fills with p = (0.05, 0.45, 0.45, 0.05).
//!   With s the expert's shares, I(s, p) = Σ sⱼ ln(sⱼ/pⱼ) (0 ln 0 = 0), and 2N·I(s, p) is
//!   asymptotically χ² with 3 degrees of freedom; the calibration score is its p-value,
//!   C = 1 − χ²₃(2N·I(s, p)).
//! - **Information.** Per question, the intrinsic range [L, U] spans every expert's quantiles
//!   and the answer, widened by a 10 % overshoot of its length on each side: [L*, U*]. The
//!   expert's density is uniform between consecutive quantiles (q0 = L*, q4 = U*) with masses
//!   p, and its information against the uniform background on [L*, U*] is
//!   Σⱼ pⱼ ln(pⱼ (U* − L*) / (qⱼ − qⱼ₋₁)). The score is the mean over the questions.
//! - **Weights (global).** wₑ ∝ Cₑ · Iₑ · 1{Cₑ ≥ α}, normalised; α is given (default 0: every
//!   expert keeps a weight), or chosen as the calibration score, among the experts', that
//!   maximises the decision maker's combined score (see [`optimal_alpha`]).
//!
//! The background is uniform (Cooke's log-uniform option for quantities spanning orders of
//! magnitude is not offered).

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// The probabilities of the four inter-quantile bins of 5/50/95 % quantiles.
pub const BIN_PROBABILITIES: [f64; 4] = [0.05, 0.45, 0.45, 0.05];
/// The cumulative levels of the elicited seed quantiles.
pub const SEED_LEVELS: [f64; 3] = [0.05, 0.50, 0.95];
/// The overshoot of the intrinsic range on each side, as a fraction of its length (Cooke's
/// and EXCALIBUR's customary 10 %).
pub const OVERSHOOT: f64 = 0.10;

/// One expert's scores on the seed questions and the weight they give.
#[derive(Debug, Clone, Serialize)]
pub struct ExpertScore {
    /// How many answers fell in each inter-quantile bin.
    pub bins: [usize; 4],
    pub calibration: f64,
    pub information: f64,
    /// C · I · 1{C ≥ α}.
    pub unnormalised_weight: f64,
    /// The weight in the pool: the unnormalised weights scaled to sum to 1.
    pub weight: f64,
}

/// Every expert's scores, in the order given.
#[derive(Debug, Clone, Serialize)]
pub struct Scores {
    pub questions: usize,
    pub alpha: f64,
    /// Whether α was chosen by [`optimal_alpha`].
    pub alpha_optimised: bool,
    pub experts: Vec<ExpertScore>,
}

/// The bin (0..4) of an answer against quantiles q5 < q50 < q95.
fn bin(quantiles: [f64; 3], answer: f64) -> usize {
    quantiles.iter().take_while(|&&q| answer > q).count()
}

/// How many answers fall in each bin.
pub fn bin_counts(quantiles: &[[f64; 3]], answers: &[f64]) -> [usize; 4] {
    let mut counts = [0; 4];
    for (q, &x) in quantiles.iter().zip(answers) {
        counts[bin(*q, x)] += 1;
    }
    counts
}

/// I(s, p) = Σ sⱼ ln(sⱼ/pⱼ), with 0 ln 0 = 0.
pub fn relative_information(shares: [f64; 4], p: [f64; 4]) -> f64 {
    shares
        .iter()
        .zip(p)
        .filter(|(s, _)| **s > 0.0)
        .map(|(s, p)| s * (s / p).ln())
        .sum()
}

/// The calibration score of bin counts: 1 − χ²₃(2N·I(s, p)).
pub fn calibration(counts: [usize; 4]) -> f64 {
    let n: usize = counts.iter().sum();
    if n == 0 {
        return f64::NAN;
    }
    let shares = counts.map(|c| c as f64 / n as f64);
    let statistic = 2.0 * n as f64 * relative_information(shares, BIN_PROBABILITIES);
    match ChiSquared::new(3.0) {
        Ok(chi) => chi.sf(statistic.max(0.0)),
        Err(_) => f64::NAN,
    }
}

/// The intrinsic range [L*, U*] of a question: every expert's quantiles and the answer (if
/// known), widened by [`OVERSHOOT`] on each side.
pub fn intrinsic_range(quantiles: &[[f64; 3]], answer: Option<f64>) -> (f64, f64) {
    let values = quantiles.iter().flatten().copied().chain(answer);
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    let length = high - low;
    (low - OVERSHOOT * length, high + OVERSHOOT * length)
}

/// The information of piecewise-uniform quantiles against the uniform on `range`.
pub fn information(quantiles: [f64; 3], range: (f64, f64)) -> f64 {
    let (low, high) = range;
    let edges = [low, quantiles[0], quantiles[1], quantiles[2], high];
    BIN_PROBABILITIES
        .iter()
        .enumerate()
        .map(|(j, p)| p * (p * (high - low) / (edges[j + 1] - edges[j])).ln())
        .sum()
}

/// Each expert's calibration and information on the seed questions: `quantiles[e][i]` is
/// expert e's 5/50/95 % quantiles on question i, `answers[i]` its known answer.
pub fn calibration_and_information(
    quantiles: &[Vec<[f64; 3]>],
    answers: &[f64],
) -> Vec<([usize; 4], f64, f64)> {
    let ranges: Vec<(f64, f64)> = (0..answers.len())
        .map(|i| {
            let on_question: Vec<[f64; 3]> = quantiles.iter().map(|e| e[i]).collect();
            intrinsic_range(&on_question, Some(answers[i]))
        })
        .collect();
    quantiles
        .iter()
        .map(|expert| {
            let counts = bin_counts(expert, answers);
            let information = expert
                .iter()
                .zip(&ranges)
                .map(|(q, r)| information(*q, *r))
                .sum::<f64>()
                / answers.len() as f64;
            (counts, calibration(counts), information)
        })
        .collect()
}

/// Global weights with cut-off `alpha`; `None` when no expert reaches it.
pub fn weights(calibration_information: &[(f64, f64)], alpha: f64) -> Option<Vec<(f64, f64)>> {
    let raw: Vec<f64> = calibration_information
        .iter()
        .map(|&(c, i)| if c >= alpha { c * i } else { 0.0 })
        .collect();
    let total: f64 = raw.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    Some(raw.iter().map(|&w| (w, w / total)).collect())
}

/// Score the experts and weight them with cut-off `alpha`, or with the optimised α when
/// `alpha` is `None`. `None` when no expert's calibration reaches a given α.
pub fn score(quantiles: &[Vec<[f64; 3]>], answers: &[f64], alpha: Option<f64>) -> Option<Scores> {
    let scored = calibration_and_information(quantiles, answers);
    let pairs: Vec<(f64, f64)> = scored.iter().map(|&(_, c, i)| (c, i)).collect();
    let chosen = match alpha {
        Some(a) => a,
        None => optimal_alpha(quantiles, answers, &pairs),
    };
    let weighted = weights(&pairs, chosen)?;
    Some(Scores {
        questions: answers.len(),
        alpha: chosen,
        alpha_optimised: alpha.is_none(),
        experts: scored
            .iter()
            .zip(weighted)
            .map(
                |(&(bins, calibration, information), (raw, weight))| ExpertScore {
                    bins,
                    calibration,
                    information,
                    unnormalised_weight: raw,
                    weight,
                },
            )
            .collect(),
    })
}

/// The CDF, at `x`, of piecewise-uniform quantiles on `range`.
fn piecewise_cdf(quantiles: [f64; 3], range: (f64, f64), x: f64) -> f64 {
    let edges = [range.0, quantiles[0], quantiles[1], quantiles[2], range.1];
    let levels = [0.0, 0.05, 0.50, 0.95, 1.0];
    if x <= edges[0] {
        return 0.0;
    }
    for j in 0..4 {
        if x <= edges[j + 1] {
            let t = (x - edges[j]) / (edges[j + 1] - edges[j]);
            return levels[j] + t * (levels[j + 1] - levels[j]);
        }
    }
    1.0
}

/// The decision maker's 5/50/95 % quantiles on one question: the weighted mixture of the
/// experts' piecewise-uniform distributions on the range, inverted by bisection.
fn decision_maker_quantiles(experts: &[[f64; 3]], weights: &[f64], range: (f64, f64)) -> [f64; 3] {
    SEED_LEVELS.map(|p| {
        let (mut low, mut high) = range;
        // 64 halvings: below a double's resolution of the range.
        for _ in 0..64 {
            let middle = 0.5 * (low + high);
            let cdf: f64 = experts
                .iter()
                .zip(weights)
                .map(|(q, w)| w * piecewise_cdf(*q, range, middle))
                .sum();
            if cdf < p {
                low = middle;
            } else {
                high = middle;
            }
        }
        0.5 * (low + high)
    })
}

/// Cooke's optimised decision maker: among α = 0 and the experts' calibration scores, the one
/// whose decision maker (the weighted pool, scored on the seed questions as a virtual expert
/// from its own 5/50/95 % quantiles) has the largest calibration × information. Ties go to the
/// smaller α. The decision maker's information is that of its piecewise-uniform quantiles, as
/// for the experts (an approximation: EXCALIBUR integrates the mixture's own density).
pub fn optimal_alpha(quantiles: &[Vec<[f64; 3]>], answers: &[f64], pairs: &[(f64, f64)]) -> f64 {
    let ranges: Vec<(f64, f64)> = (0..answers.len())
        .map(|i| {
            let on_question: Vec<[f64; 3]> = quantiles.iter().map(|e| e[i]).collect();
            intrinsic_range(&on_question, Some(answers[i]))
        })
        .collect();
    let mut candidates: Vec<f64> = std::iter::once(0.0)
        .chain(pairs.iter().map(|p| p.0))
        .filter(|a| a.is_finite())
        .collect();
    candidates.sort_by(f64::total_cmp);
    candidates.dedup();
    let mut best = (0.0, f64::NEG_INFINITY);
    for alpha in candidates {
        let Some(w) = weights(pairs, alpha) else {
            continue;
        };
        let w: Vec<f64> = w.iter().map(|p| p.1).collect();
        let dm: Vec<[f64; 3]> = (0..answers.len())
            .map(|i| {
                let on_question: Vec<[f64; 3]> = quantiles.iter().map(|e| e[i]).collect();
                decision_maker_quantiles(&on_question, &w, ranges[i])
            })
            .collect();
        let c = calibration(bin_counts(&dm, answers));
        let info = dm
            .iter()
            .zip(&ranges)
            .map(|(q, r)| information(*q, *r))
            .sum::<f64>()
            / answers.len() as f64;
        if c * info > best.1 {
            best = (alpha, c * info);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// χ²₃'s survival function in closed form: 2(1 − Φ(√x)) + √(2x/π)·e^(−x/2), with 1 − Φ
    /// from statrs' normal (erfc: a different code path from its chi-squared, and no
    /// cancellation in the tail).
    fn chi3_survival(x: f64) -> f64 {
        use statrs::distribution::Normal;
        let upper = Normal::standard().sf(x.sqrt());
        2.0 * upper + (2.0 * x / std::f64::consts::PI).sqrt() * (-x / 2.0).exp()
    }

    #[test]
    fn calibration_is_the_chi_squared_p_value_of_a_hand_computation() {
        // 10 answers falling 1/4/4/1 in the bins: s = (0.1, 0.4, 0.4, 0.1),
        // I = 2·0.1 ln 2 + 2·0.4 ln(0.4/0.45) = 0.0444030…, 2N·I = 0.888060…
        let i = 0.2 * 2f64.ln() + 0.8 * (0.4f64 / 0.45).ln();
        assert!((i - 0.044_403_0).abs() < 1e-7);
        let expected = chi3_survival(20.0 * i);
        assert!((expected - 0.8283).abs() < 1e-4, "{expected}");
        let got = calibration([1, 4, 4, 1]);
        // Two numerical routes (the incomplete gamma, erf) agree to a few 1e-11.
        assert!((got - expected).abs() < 1e-9, "{got} {expected}");
        // All 10 answers in the central bins, half each: s = (0, .5, .5, 0).
        let i = (0.5f64 / 0.45).ln();
        assert!((calibration([0, 5, 5, 0]) - chi3_survival(20.0 * i)).abs() < 1e-9);
        // All outside the 90 % intervals: s = (.5, 0, 0, .5), I = ln 10, 2N·I = 46.05, a
        // p-value of about 5.5e-10 (compared relatively: it is tiny).
        let tiny = chi3_survival(20.0 * 10f64.ln());
        assert!(tiny < 1e-9);
        assert!((calibration([5, 0, 0, 5]) / tiny - 1.0).abs() < 1e-6);
    }

    #[test]
    fn answers_fall_in_the_bins_by_the_quantiles() {
        let q = [[1.0, 2.0, 3.0]; 5];
        // On a quantile counts as at or below it.
        assert_eq!(bin_counts(&q, &[0.5, 1.0, 2.5, 3.0, 3.5]), [2, 0, 2, 1]);
    }

    #[test]
    fn information_is_a_hand_computation() {
        // Quantiles 0/5/10, answer 5: [L, U] = [0, 10], [L*, U*] = [-1, 11] (12 long);
        // bins 1, 5, 5, 1 wide: I = 2·0.05 ln(0.05·12/1) + 2·0.45 ln(0.45·12/5).
        let range = intrinsic_range(&[[0.0, 5.0, 10.0]], Some(5.0));
        assert_eq!(range, (-1.0, 11.0));
        let expected = 0.1 * 0.6f64.ln() + 0.9 * 1.08f64.ln();
        assert!((information([0.0, 5.0, 10.0], range) - expected).abs() < 1e-15);
        // A narrower expert on the same range is more informative.
        assert!(information([4.0, 5.0, 6.0], range) > expected);
    }

    /// Ten questions with answers 1..=10; a calibrated expert's 90 % intervals hold 9 of them
    /// with the medians splitting them; an overconfident one's narrow intervals miss most.
    fn panel() -> (Vec<Vec<[f64; 3]>>, Vec<f64>) {
        let answers: Vec<f64> = (1..=10).map(f64::from).collect();
        let calibrated = answers
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                // Medians alternately above and below; one answer beyond the q95.
                let m = if i % 2 == 0 { x + 0.5 } else { x - 0.5 };
                if i == 9 {
                    [x - 3.0, x - 2.0, x - 1.0]
                } else {
                    [m - 2.0, m, m + 2.0]
                }
            })
            .collect();
        let overconfident = answers
            .iter()
            .map(|&x| [x + 0.6, x + 0.7, x + 0.8])
            .collect();
        (vec![calibrated, overconfident], answers)
    }

    #[test]
    fn a_calibrated_expert_outweighs_an_overconfident_one() {
        let (quantiles, answers) = panel();
        let scores = score(&quantiles, &answers, Some(0.0)).expect("weights");
        let (good, bad) = (&scores.experts[0], &scores.experts[1]);
        assert_eq!(good.bins, [0, 5, 4, 1]);
        assert_eq!(bad.bins, [10, 0, 0, 0]);
        assert!(good.calibration > 0.5, "{}", good.calibration);
        assert!(bad.calibration < 1e-6, "{}", bad.calibration);
        // The overconfident expert is the more informative, and still weighs less.
        assert!(bad.information > good.information);
        assert!(good.weight > bad.weight);
        assert!((good.weight + bad.weight - 1.0).abs() < 1e-12);
    }

    #[test]
    fn experts_below_alpha_weigh_nothing() {
        let (quantiles, answers) = panel();
        let scores = score(&quantiles, &answers, Some(0.01)).expect("weights");
        assert_eq!(scores.experts[1].weight, 0.0);
        assert_eq!(scores.experts[0].weight, 1.0);
        // No one reaches α = 1.
        assert!(score(&quantiles, &answers, Some(1.0)).is_none());
        // The optimised α is 0 or one of the experts' calibration scores, and cuts whoever
        // is below it.
        let optimised = score(&quantiles, &answers, None).expect("weights");
        assert!(optimised.alpha_optimised);
        let a = optimised.alpha;
        assert!(a == 0.0 || optimised.experts.iter().any(|e| e.calibration == a));
        for e in &optimised.experts {
            assert!(e.calibration >= a || e.weight == 0.0);
        }
    }
}
