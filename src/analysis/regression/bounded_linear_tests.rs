use super::*;
use crate::analysis::regression::linear::student_t_quantile;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// `n` rows of (a, b, c): a and b severities in [0, 1], c a free covariate; y = 0.2 + βᵀx + σε.
fn data(n: usize, beta: [f64; 3], sigma: f64, seed: u64) -> (DMatrix<f64>, Vec<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = DMatrix::from_fn(n, 3, |_, c| {
        if c < 2 {
            rng.random::<f64>()
        } else {
            rng.sample::<f64, _>(StandardNormal)
        }
    });
    let y = (0..n)
        .map(|r| {
            let noise: f64 = rng.sample(StandardNormal);
            0.2 + (0..3).map(|c| beta[c] * x[(r, c)]).sum::<f64>() + sigma * noise
        })
        .collect();
    (x, y)
}

const BOUNDED: [bool; 3] = [true, true, false];

/// The constrained minimum by brute force: every working set, the equality-constrained solution
/// on it, kept if feasible; the best of those. Exponential, so only for small p.
fn brute_force(g: &DMatrix<f64>, center: &DVector<f64>, bounded: &[bool]) -> DVector<f64> {
    let p = center.len();
    let mut best: Option<(f64, DVector<f64>)> = None;
    for mask in 0u32..(1 << p) {
        if (0..p).any(|j| mask & (1 << j) != 0 && !bounded[j]) {
            continue;
        }
        let free: Vec<usize> = (0..p).filter(|&j| mask & (1 << j) == 0).collect();
        let mut z = DVector::zeros(p);
        if !free.is_empty() {
            let g_ff = DMatrix::from_fn(free.len(), free.len(), |a, b| g[(free[a], free[b])]);
            // Held coordinates at 0: z_F = c_F + G_FF⁻¹ G_FW c_W.
            let rhs = DVector::from_fn(free.len(), |a, _| {
                (0..p)
                    .filter(|w| mask & (1 << w) != 0)
                    .map(|w| g[(free[a], w)] * center[w])
                    .sum::<f64>()
            });
            let solved = g_ff.cholesky().unwrap().solve(&rhs);
            for (a, &j) in free.iter().enumerate() {
                z[j] = center[j] + solved[a];
            }
        }
        if (0..p).any(|j| bounded[j] && z[j] < -1e-12) {
            continue;
        }
        let d = &z - center;
        let value = d.dot(&(g * &d));
        if best.as_ref().is_none_or(|(v, _)| value < *v) {
            best = Some((value, z));
        }
    }
    best.unwrap().1
}

#[test]
fn the_active_set_finds_the_brute_force_minimum() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    for case in 0..300 {
        let p = 2 + case % 5;
        let a = DMatrix::from_fn(p + 3, p, |_, _| rng.sample::<f64, _>(StandardNormal));
        let g = a.transpose() * &a + DMatrix::identity(p, p) * 0.05;
        let center = DVector::from_fn(p, |_, _| rng.sample::<f64, _>(StandardNormal));
        let bounded: Vec<bool> = (0..p).map(|j| j % 3 != 2).collect();
        let found = nearest_feasible(&g, &center, &bounded, None).unwrap();
        let truth = brute_force(&g, &center, &bounded);
        assert!(
            (&found - &truth).amax() < 1e-9,
            "case {case}: {found} against {truth}"
        );
    }
}

#[test]
fn without_a_binding_constraint_the_fit_is_least_squares() {
    let (x, y) = data(400, [0.6, 0.8, 0.3], 0.2, 1);
    let names = names(&["a", "b", "c"]);
    let ols = linear(&x, &y, &names).unwrap();
    let fit = linear_bounded(&x, &y, &names, &BOUNDED, Intervals::Profile).unwrap();
    assert!(ols.coefficients.iter().skip(1).all(|c| c.low > 0.0));
    for (a, b) in fit.coefficients.iter().zip(&ols.coefficients) {
        assert!((a.estimate - b.estimate).abs() < 1e-12, "{a:?} {b:?}");
        assert!((a.low - b.low).abs() < 1e-12 && (a.high - b.high).abs() < 1e-12);
        assert_eq!(a.interval, IntervalMethod::StudentT);
        assert!(!a.held_at_bound);
    }
    assert!((fit.residual_sd - ols.residual_sd).abs() < 1e-12);
}

/// An estimate near 0 but not held: the profile interval's upper end is the t interval's (the
/// other coefficients are far from their bounds, so RSS(b) − RSS is the exact quadratic), and
/// its lower end is 0, the bound.
#[test]
fn near_the_bound_the_profile_interval_is_the_t_interval_cut_at_zero() {
    let names = names(&["a", "b", "c"]);
    let (mut checked, mut seed) = (0, 10);
    while checked < 5 {
        seed += 1;
        let (x, y) = data(200, [0.01, 0.8, 0.3], 0.3, seed);
        let ols = linear(&x, &y, &names).unwrap();
        let a = &ols.coefficients[1];
        if !(a.estimate > 0.0 && a.low < 0.0) {
            continue;
        }
        checked += 1;
        let fit = linear_bounded(&x, &y, &names, &BOUNDED, Intervals::Profile).unwrap();
        let c = &fit.coefficients[1];
        assert_eq!(c.interval, IntervalMethod::ProfileLikelihood);
        assert!(!c.held_at_bound);
        assert_eq!(c.low, 0.0);
        assert!(
            (c.high - a.high).abs() < 1e-6 * a.standard_error,
            "{c:?} {a:?}"
        );
    }
}

#[test]
fn a_negative_estimate_is_held_at_zero_and_the_rest_refitted() {
    let names = names(&["a", "b", "c"]);
    let (x, y) = data(300, [-0.3, 0.5, 0.2], 0.2, 3);
    let fit = linear_bounded(&x, &y, &names, &BOUNDED, Intervals::Profile).unwrap();
    let a = &fit.coefficients[1];
    assert_eq!(a.estimate, 0.0);
    assert!(a.held_at_bound);
    assert_eq!(a.interval, IntervalMethod::ProfileLikelihood);
    assert_eq!(a.low, 0.0);
    assert!(a.high > 0.0 && a.high < 0.1, "{a:?}");
    // The others: least squares without column a (a held at 0 is the model without it).
    let without = linear(&x.columns(1, 2).into_owned(), &y, &names[1..]).unwrap();
    for (j, c) in [0, 2, 3].into_iter().zip([0, 1, 2]) {
        let expected = without.coefficients[c].estimate;
        assert!(
            (fit.coefficients[j].estimate - expected).abs() < 1e-10,
            "{j}: {} against {expected}",
            fit.coefficients[j].estimate
        );
    }
    // Its residual sd keeps the full model's degrees of freedom (n − 4).
    let rss: f64 = fit.residuals.iter().map(|r| r * r).sum();
    assert!((fit.residual_sd - (rss / 296.0).sqrt()).abs() < 1e-12);
}

/// Coverage, over repeated data sets, of the 95 % interval of an impact whose truth is the bound
/// 0: the known ½ + ½·0.95 = 0.975 (the estimate is held at 0 half the time; Self and Liang
/// 1987), and of one inside at 0.95; each within 3.5 binomial standard errors.
#[test]
fn intervals_cover_a_true_zero_and_an_interior_truth_at_their_known_rates() {
    let names = names(&["a", "b", "c"]);
    let repetitions = 2000;
    let (mut zero_covered, mut interior_covered, mut held) = (0, 0, 0);
    for seed in 0..repetitions {
        let (x, y) = data(60, [0.0, 0.5, 0.3], 0.3, 1000 + seed);
        let fit = linear_bounded(&x, &y, &names, &BOUNDED, Intervals::Profile).unwrap();
        let (a, b) = (&fit.coefficients[1], &fit.coefficients[2]);
        zero_covered += usize::from(a.low <= 0.0 && 0.0 <= a.high);
        interior_covered += usize::from(b.low <= 0.5 && 0.5 <= b.high);
        held += usize::from(a.held_at_bound);
    }
    let n = repetitions as f64;
    let within = |count: usize, rate: f64| {
        let se = (rate * (1.0 - rate) / n).sqrt();
        ((count as f64 / n) - rate).abs() < 3.5 * se
    };
    assert!(
        within(zero_covered, 0.975),
        "{zero_covered} of {repetitions}"
    );
    assert!(within(interior_covered, 0.95), "{interior_covered}");
    assert!(within(held, 0.5), "held {held}");
}

#[test]
fn the_t_quantile_is_students() {
    // t₀.₉₇₅ with 10 degrees of freedom, from tables: 2.228139.
    assert!((student_t_quantile(10) - 2.228_138_851_986_5).abs() < 1e-9);
}
