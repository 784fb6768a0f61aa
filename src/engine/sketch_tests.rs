//! Unit tests of the quantile sketch (split from sketch.rs to keep it readable).

use super::*;

#[test]
fn buckets_are_monotone_and_representatives_within_the_bound() {
    let mut previous = 0;
    let mut x = -60000.0f64;
    while x < 60000.0 {
        let b = bucket(x);
        assert!(b >= previous, "bucket order broke at {x}");
        previous = b;
        if x.abs() >= 2f64.powi(EXP_MIN) && x.abs() < 2f64.powi(EXP_MAX) {
            let r = representative(b);
            assert!(((r - x) / x).abs() <= RELATIVE_ERROR + 1e-15, "x={x} r={r}");
        }
        x += 0.37 + x.abs() * 0.001;
    }
    assert_eq!(representative(bucket(0.0)), 0.0);
    assert_eq!(bucket(1e-9), bucket(0.0));
}

#[test]
fn lower_tail_mean_of_a_uniform_grid() {
    // 1..=1000: the lowest 10 % are 1..=100, mean 50.5 (to the buckets' 0.39 %).
    let mut sketch = Sketch::default();
    for k in 1..=1000 {
        sketch.add(k as f64);
    }
    let (mean, se) = sketch.lower_tail_mean(0.1);
    assert!((mean - 50.5).abs() < 50.5 * RELATIVE_ERROR * 2.0, "{mean}");
    // Var of 1..100 = 833.25, edge ≈ 100: √((833.25 + 0.9·49.5²)/100) = 5.51.
    assert!((se - 5.51).abs() < 0.1, "{se}");
}

#[test]
fn quantiles_of_a_known_sequence() {
    let mut s = Sketch::default();
    for i in 1..=10_000 {
        s.add(i as f64);
    }
    for &q in &[0.1, 0.5, 0.8, 0.9] {
        let exact = (q * 10_000.0f64).ceil();
        let est = s.quantile(q);
        assert!(((est.value - exact) / exact).abs() <= RELATIVE_ERROR);
        assert!(est.low <= est.value && est.value <= est.high);
    }
    // The order-statistic interval spans about ±1.96·√(n q (1−q)) ranks.
    let median = s.quantile(0.5);
    assert!((median.high - median.low - 2.0 * 1.96 * 50.0).abs() < 0.02 * 5000.0);
}

#[test]
fn merge_equals_one_pass() {
    let (mut a, mut b, mut all) = (Sketch::default(), Sketch::default(), Sketch::default());
    for i in 0..1000 {
        let x = (i as f64 * 0.731).sin() * 10.0;
        if i % 3 == 0 {
            a.add(x)
        } else {
            b.add(x)
        }
        all.add(x);
    }
    a.merge(&b);
    assert_eq!(a, all);
}

#[test]
fn tail_mean_of_a_uniform_grid() {
    // Values 1..=6000: the top sixth is 5001..=6000, mean 5500.5; companion = 2x.
    let mut t = TailSketch::default();
    for i in 1..=6000 {
        t.add(i as f64, 2.0 * i as f64);
    }
    let tail = t.upper_tail(1.0 / 6.0);
    assert!((tail.mean - 5500.5).abs() / 5500.5 < RELATIVE_ERROR);
    assert!((tail.companion_mean - 11001.0).abs() / 11001.0 < RELATIVE_ERROR);
    // Standard deviation of 5001..=6000 is about 288.8; the companion's is twice that.
    let sd = tail.companion_standard_error * 1000f64.sqrt();
    assert!((sd - 2.0 * 288.82).abs() < 2.0, "{sd}");
}

#[test]
fn sparse_serialisation_round_trips() {
    let mut t = TailSketch::default();
    for i in 0..500 {
        t.add((i as f64 * 0.37).sin() * 3.0, i as f64 * 0.01);
    }
    let text = serde_json::to_string(&t).expect("serialise");
    let back: TailSketch = serde_json::from_str(&text).expect("parse");
    assert_eq!(back, t);
    assert!(text.len() < 60_000, "{} bytes", text.len());
}

/// The documented bound (docs/MODEL.md §10): an interpolated quantile of Exp(1) lies within
/// the systematic bound width·δ/8 (δ = 1 − e^−width, the density's relative change across
/// the bucket) plus 4 standard errors of the sample quantile, √(q(1−q)/n)/f(x_q), of the
/// closed-form quantile −ln(1 − q); and in the same bucket as the exact order statistic.
#[test]
fn interpolated_quantiles_of_an_exponential_meet_the_bound() {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Exp1};
    let n = 200_000usize;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
    let mut values: Vec<f64> = (0..n).map(|_| Exp1.sample(&mut rng)).collect();
    let mut sketch = Sketch::default();
    values.iter().for_each(|&x| sketch.add(x));
    values.sort_unstable_by(f64::total_cmp);
    for q in [0.1, 0.25, 0.5, 0.8, 0.9, 0.99] {
        let truth = -(1.0f64 - q).ln();
        let estimate = sketch.quantile(q).value;
        let (low, high) = bucket_bounds(bucket(truth));
        let width = high - low;
        let systematic = width * (1.0 - (-width).exp()) / 8.0;
        let se = (q * (1.0 - q) / n as f64).sqrt() / (1.0 - q);
        assert!(
            (estimate - truth).abs() <= systematic + 4.0 * se,
            "q={q}: {estimate} against {truth} (bound {systematic} + 4·{se})"
        );
        let exact = values[(q * n as f64).ceil() as usize - 1];
        assert_eq!(bucket(estimate), bucket(exact), "q={q}");
        // Interpolation beats the midpoint: well inside half a bucket of the order statistic.
        assert!(
            (estimate - exact).abs() < 0.25 * width,
            "q={q}: {estimate} vs {exact}"
        );
    }
}

/// The artefact: two different distributions whose medians share a bucket printed the
/// same midpoint. Interpolated, they differ, and each is close to its exact median.
#[test]
fn different_distributions_do_not_share_a_quantile() {
    use crate::model::distribution::standard_normal_inverse;
    let n = 20_000;
    let (mut a, mut b) = (Sketch::default(), Sketch::default());
    for i in 0..n {
        let z = standard_normal_inverse((i as f64 + 0.5) / n as f64);
        a.add(1000.0 + 100.0 * z);
        b.add(1001.0 + 100.0 * z);
    }
    let (qa, qb) = (a.quantile(0.5), b.quantile(0.5));
    // Both medians lie in the bucket [1000, 1004): the old midpoint read 1002 for both.
    assert_eq!(bucket(1000.0), bucket(1001.0));
    assert_ne!(qa.value, qb.value);
    assert_ne!((qa.low, qa.high), (qb.low, qb.high));
    assert!(
        (qa.value - 1000.0).abs() < 0.5 && (qb.value - 1001.0).abs() < 0.5,
        "{qa:?} {qb:?}"
    );
}

/// Reading inside buckets keeps the sketch exact under merging: any split, same quantiles.
#[test]
fn interpolated_quantiles_do_not_depend_on_the_merge_order() {
    let (mut a, mut b, mut all) = (Sketch::default(), Sketch::default(), Sketch::default());
    for i in 0..5000 {
        let x = (i as f64 * 0.377).sin() * 50.0 + (i % 7) as f64;
        if i % 2 == 0 {
            a.add(x)
        } else {
            b.add(x)
        }
        all.add(x);
    }
    let mut ba = b.clone();
    ba.merge(&a);
    a.merge(&b);
    for q in [0.1, 0.5, 0.9] {
        assert_eq!(a.quantile(q), all.quantile(q));
        assert_eq!(ba.quantile(q), all.quantile(q));
    }
}
