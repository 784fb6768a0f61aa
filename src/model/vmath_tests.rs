//! Unit tests of the lane-wise math (split from vmath.rs to keep it readable): accuracy against
//! glibc (`f64::exp`, `f64::ln`, `f64::powf`) and AS 241, special values, and bit identity of
//! lanes (under `dispatch`, so with AVX-512 / AVX2 on this machine) with the scalar twins.

// Lane functions are passed to `dispatch`'s loop as `#[inline(always)]` closures, not as
// function items: an item is called through its `Fn::call` shim, which LLVM may leave out of
// line, compiled for the baseline, and the identity test would then not see vector code.
#![allow(clippy::redundant_closure)]

use super::*;
use crate::engine::sampling::fast_normal_inverse;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Distance in units in the last place between two finite doubles (the count of doubles
/// between them, across zero too).
fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        return 0;
    }
    assert!(a.is_finite() && b.is_finite(), "{a} vs {b}");
    let key = |x: f64| {
        let magnitude = (x.to_bits() & !(1 << 63)) as i64;
        if x.is_sign_negative() {
            -magnitude
        } else {
            magnitude
        }
    };
    key(a).abs_diff(key(b))
}

fn relative(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { ((a - b) / b).abs() }
}

/// Worst ulp and relative errors of `f` against `reference` over `xs` (relative error only
/// where the reference is a normal number).
#[derive(Debug, Default)]
struct Worst {
    points: usize,
    /// Points where the result is not the reference's bits.
    differ: usize,
    ulps: u64,
    relative: f64,
    at: f64,
}

impl Worst {
    fn add(&mut self, x: f64, got: f64, want: f64) {
        let u = ulps(got, want);
        self.points += 1;
        self.differ += usize::from(u != 0);
        let r = if want.is_normal() {
            relative(got, want)
        } else {
            0.0
        };
        if r > self.relative {
            self.relative = r;
            self.at = x;
        }
        self.ulps = self.ulps.max(u);
    }
}

/// Evaluates the lane version under `dispatch`, 8 values at a time.
fn lanes_of(xs: &[f64], f: impl Fn(Lanes) -> Lanes) -> Vec<f64> {
    dispatch(
        #[inline(always)]
        || {
            let mut out = vec![0.0; xs.len()];
            for (o, x) in out.chunks_exact_mut(LANES).zip(xs.chunks_exact(LANES)) {
                o.copy_from_slice(&f(x.try_into().expect("8 lanes")));
            }
            out
        },
    )
}

fn pad(mut xs: Vec<f64>) -> Vec<f64> {
    while !xs.len().is_multiple_of(LANES) {
        xs.push(0.5);
    }
    xs
}

fn exp_points(rng: &mut Xoshiro256PlusPlus, count: usize) -> Vec<f64> {
    let mut xs: Vec<f64> = (0..count)
        .map(|_| rng.random_range(-708.0..709.0))
        .collect();
    // Near 0 (where e^x ≈ 1 + x), the reduction's edges ±ln2/2, the ends of the range.
    xs.extend((0..count / 16).map(|_| rng.random_range(-1e-3..1e-3)));
    for k in -1022..=1023 {
        let edge = (k as f64 + 0.5) * std::f64::consts::LN_2;
        xs.extend([edge, edge.next_up(), edge.next_down()]);
    }
    xs.extend([
        0.0,
        -0.0,
        1e-300,
        -1e-300,
        1e-17,
        709.78,
        709.782712893384,
        -708.39,
        1.0,
    ]);
    xs.retain(|x| (-745.0..=709.782712893384).contains(x));
    pad(xs)
}

fn ln_points(rng: &mut Xoshiro256PlusPlus, count: usize) -> Vec<f64> {
    // Every positive finite double equally likely by its bits (all exponents, subnormals too),
    // then uniform on [0.5, 2] and near 1, where ln x is small and relative error is hardest.
    let mut xs: Vec<f64> = (0..count)
        .map(|_| f64::from_bits(rng.random_range(1..0x7ff0_0000_0000_0000)))
        .collect();
    xs.extend((0..count / 4).map(|_| rng.random_range(0.5..2.0)));
    xs.extend((0..count / 4).map(|_| 1.0 + rng.random_range(-1e-6..1e-6)));
    xs.extend((0..count / 16).map(|_| rng.random_range(0.0..1.0)));
    xs.extend([
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE.next_down(),
        f64::from_bits(1),
        f64::MAX,
        1.0,
        1.0f64.next_up(),
        1.0f64.next_down(),
        std::f64::consts::SQRT_2,
        std::f64::consts::FRAC_1_SQRT_2,
        2.0,
        0.5,
    ]);
    pad(xs)
}

fn probability_points(rng: &mut Xoshiro256PlusPlus, count: usize) -> Vec<f64> {
    let mut ps: Vec<f64> = (0..count).map(|_| rng.random_range(0.0..1.0)).collect();
    // The tails, log-uniformly down to 1e-300, on both sides.
    ps.extend((0..count / 2).map(|_| 10f64.powf(-rng.random_range(0.0..300.0))));
    ps.extend((0..count / 2).map(|_| 1.0 - 10f64.powf(-rng.random_range(0.0..16.0))));
    ps.extend([
        1e-300,
        f64::MIN_POSITIVE,
        1.0 - f64::EPSILON / 2.0,
        0.5,
        0.075,
        0.925,
    ]);
    ps.extend((1..=53).map(|k| 1.0 - 2f64.powi(-k)));
    ps.retain(|p| *p > 0.0 && *p < 1.0);
    pad(ps)
}

fn root_points(rng: &mut Xoshiro256PlusPlus, count: usize) -> Vec<f64> {
    let mut xs: Vec<f64> = (0..count)
        .map(|_| f64::from_bits(rng.random_range(1..=1f64.to_bits())))
        .collect();
    xs.extend((0..count).map(|_| rng.random_range(0.0..1.0)));
    xs.extend([
        1.0,
        f64::from_bits(1),
        f64::MIN_POSITIVE,
        1e-300,
        0.5,
        1.0f64.next_down(),
    ]);
    xs.retain(|x| *x > 0.0);
    pad(xs)
}

/// x^(1/n) to about half an ulp: glibc's `powf` (≈ 0.52 ulp) at `inv = fl(1/n)`, corrected
/// by the factor x^(1/n − inv) ≈ 1 + ln(x)·(1/n − inv) (added, not multiplied, so that the
/// correction is not rounded to a multiple of 2⁻⁵²).
fn root_reference(x: f64, n: f64) -> f64 {
    let inv = 1.0 / n;
    let d = -n.mul_add(inv, -1.0) / n;
    let p = x.powf(inv);
    p + p * (x.ln() * d)
}

const SHAPES: [f64; 8] = [0.3, 0.5, 1.5, 3.0, 4.0, 7.3, 12.0, 0.1];

#[allow(clippy::print_stderr)] // the survey quoted in vmath.rs (`-- --ignored --nocapture`)
fn survey(count: usize, print: bool) -> [Worst; 4] {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(16);
    let mut worst: [Worst; 4] = Default::default();
    let xs = exp_points(&mut rng, count);
    for (&x, &got) in xs.iter().zip(&lanes_of(
        &xs,
        #[inline(always)]
        |x| exp(x),
    )) {
        worst[0].add(x, got, x.exp());
    }
    let xs = ln_points(&mut rng, count);
    for (&x, &got) in xs.iter().zip(&lanes_of(
        &xs,
        #[inline(always)]
        |x| ln(x),
    )) {
        worst[1].add(x, got, x.ln());
    }
    let ps = probability_points(&mut rng, count);
    for (&p, &got) in ps.iter().zip(&lanes_of(
        &ps,
        #[inline(always)]
        |x| normal_inverse(x),
    )) {
        worst[2].add(p, got, fast_normal_inverse(p));
    }
    let xs = root_points(&mut rng, count / SHAPES.len());
    for n in SHAPES {
        for (&x, &got) in xs.iter().zip(&lanes_of(
            &xs,
            #[inline(always)]
            |x| root(x, n),
        )) {
            worst[3].add(x, got, root_reference(x, n));
        }
    }
    if print {
        for (name, w) in ["exp", "ln", "normal_inverse", "root"].iter().zip(&worst) {
            eprintln!(
                "{name}: {} points, {} not the reference's bits, max {} ulp, max relative {:.3e} at {:e}",
                w.points, w.differ, w.ulps, w.relative, w.at
            );
        }
    }
    worst
}

/// The accuracy the module promises, over 2^18 random points per function plus edge cases.
#[test]
fn accuracy_against_glibc_and_as241() {
    let [e, l, n, r] = survey(1 << 18, false);
    assert!(e.relative <= 4e-16 && e.ulps <= 1, "exp {e:?}");
    assert!(l.relative <= 4e-16 && l.ulps <= 1, "ln {l:?}");
    assert!(n.relative <= 1e-15, "normal_inverse {n:?}");
    assert!(r.relative <= 4e-16 && r.ulps <= 2, "root {r:?}");
}

/// The survey quoted in the module's doc: 10^7 points per function.
#[test]
#[ignore = "slow (10 s in release, more in the test profile); --ignored --nocapture prints it"]
fn accuracy_survey_ten_million_points() {
    let [e, l, n, r] = survey(10_000_000, true);
    assert!(e.relative <= 4e-16 && l.relative <= 4e-16, "{e:?} {l:?}");
    assert!(n.relative <= 1e-15 && r.relative <= 4e-16, "{n:?} {r:?}");
}

/// Subnormal results of exp (x in [−745, −708.4]) round once: within an ulp of glibc.
#[test]
fn exp_rounds_subnormal_results_once() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let xs = pad((0..100_000)
        .map(|_| rng.random_range(-745.0..-708.3))
        .collect());
    for (&x, &got) in xs.iter().zip(&lanes_of(
        &xs,
        #[inline(always)]
        |x| exp(x),
    )) {
        assert!(
            ulps(got, x.exp()) <= 1,
            "exp({x}) = {got}, glibc {}",
            x.exp()
        );
    }
}

#[test]
fn special_values_are_those_of_std() {
    let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
    // Infinities, NaN, overflow, underflow to 0, ln of 0 and of negatives: exactly std's.
    let xs = [
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NAN,
        709.8,
        710.0,
        1e300,
        -1e300,
        -746.0,
        0.0,
        -0.0,
        -1.0,
        -f64::MIN_POSITIVE,
    ];
    for x in xs {
        assert!(same(exp1(x), x.exp()), "exp({x}) = {}", exp1(x));
        assert!(same(ln1(x), x.ln()), "ln({x}) = {}", ln1(x));
    }
    // The largest finite e^x and the smallest subnormal ln: finite, within an ulp.
    assert!(ulps(exp1(709.782712893384), 709.782712893384f64.exp()) <= 1);
    assert!(ulps(ln1(f64::from_bits(1)), f64::from_bits(1).ln()) <= 1);
    assert_eq!(exp1(0.0), 1.0);
    assert_eq!(ln1(1.0), 0.0);
    assert_eq!(normal_inverse1(0.0), f64::NEG_INFINITY);
    assert_eq!(normal_inverse1(1.0), f64::INFINITY);
    assert_eq!(normal_inverse1(0.5), 0.0);
    for p in [-0.1, 1.1, f64::NAN, f64::INFINITY] {
        assert!(normal_inverse1(p).is_nan(), "Φ⁻¹({p})");
    }
    for n in [0.3, 1.0, 2.0, 3.0] {
        assert_eq!(root1(0.0, n), 0.0);
        assert_eq!(root1(1.0, n), 1.0);
        assert!(root1(f64::NAN, n).is_nan());
    }
    assert_eq!(root1(0.3, 1.0), 0.3);
    assert_eq!(root1(0.3, 2.0), 0.3f64.sqrt());
    assert_eq!(root1(0.25, 2.0), 0.5);
    assert_eq!(root1(1e-300, 0.001), 0.0);
}

/// In the central region (|p − ½| ≤ 0.425) the lanes do AS 241's operations in its order.
#[test]
fn normal_inverse_is_as241_itself_in_the_central_region() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let ps = pad((0..100_000)
        .map(|_| rng.random_range(0.075..=0.925))
        .collect());
    for (&p, &got) in ps.iter().zip(&lanes_of(
        &ps,
        #[inline(always)]
        |x| normal_inverse(x),
    )) {
        assert_eq!(got.to_bits(), fast_normal_inverse(p).to_bits(), "p = {p}");
    }
}

/// Lanes (vectorised under `dispatch`) and scalar twins (outside it) give the same bits,
/// special values included, whichever lane a value sits in.
#[test]
fn lanes_and_scalar_twins_are_bit_identical() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    // Generic (not `dyn`), so that the lane function is inlined into `dispatch` and vectorised.
    fn check(mut xs: Vec<f64>, lane: impl Fn(Lanes) -> Lanes, one: impl Fn(f64) -> f64) {
        xs.extend([
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e-310,
        ]);
        let xs = pad(xs);
        for (&x, &got) in xs.iter().zip(&lanes_of(&xs, lane)) {
            let want = one(x);
            assert!(
                got.to_bits() == want.to_bits(),
                "{x}: lanes {got}, scalar {want}"
            );
        }
    }
    check(
        exp_points(&mut rng, 50_000),
        #[inline(always)]
        |x| exp(x),
        exp1,
    );
    check(
        ln_points(&mut rng, 50_000),
        #[inline(always)]
        |x| ln(x),
        ln1,
    );
    check(
        probability_points(&mut rng, 50_000),
        #[inline(always)]
        |x| normal_inverse(x),
        normal_inverse1,
    );
    for n in SHAPES.into_iter().chain([1.0, 2.0]) {
        check(
            root_points(&mut rng, 20_000),
            #[inline(always)]
            |x| root(x, n),
            |x| root1(x, n),
        );
    }
}

/// The AVX2 path (pulp's `V3`; `dispatch` takes AVX-512 on this machine when it can) gives
/// the same bits as the scalar twins too.
#[cfg(target_arch = "x86_64")]
#[test]
fn avx2_path_gives_the_same_bits() {
    let Some(v3) = pulp::x86::V3::try_new() else {
        return;
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
    let xs = pad((0..40_000).map(|_| rng.random_range(-1.0..1.0)).collect());
    let out = v3.vectorize(
        #[inline(always)]
        || {
            let mut out = vec![0.0; 4 * xs.len()];
            for (k, x) in xs.chunks_exact(LANES).enumerate() {
                let mut a = [0.0; LANES];
                a.copy_from_slice(x);
                let p = a.map(|x| x.abs());
                let at = |j: usize| 4 * k * LANES + j * LANES;
                out[at(0)..at(1)].copy_from_slice(&exp(a.map(|x| 700.0 * x)));
                out[at(1)..at(2)].copy_from_slice(&ln(p.map(|x| x * 1e300)));
                out[at(2)..at(3)].copy_from_slice(&normal_inverse(p));
                out[at(3)..at(4)].copy_from_slice(&root(p, 3.0));
            }
            out
        },
    );
    for (k, x) in xs.chunks_exact(LANES).enumerate() {
        for (i, &x) in x.iter().enumerate() {
            let p = x.abs();
            let want = [
                exp1(700.0 * x),
                ln1(p * 1e300),
                normal_inverse1(p),
                root1(p, 3.0),
            ];
            for (j, w) in want.iter().enumerate() {
                let got = out[4 * k * LANES + j * LANES + i];
                assert_eq!(got.to_bits(), w.to_bits(), "function {j} at {x}");
            }
        }
    }
}

/// Φ⁻¹ of many vectors at once gives each value the bits the per-vector function gives it,
/// whatever mix of central and tail values the vectors hold (all central, all tail, one tail
/// lane, the edges 0, 1 and NaN), and whatever the count of vectors (a short last gathering).
#[test]
fn normal_inverse_of_many_vectors_is_the_per_vector_function() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(21);
    for vectors in [1usize, 2, 3, 18, 21, 64] {
        for mix in 0..6 {
            let p: Vec<Lanes> = (0..vectors)
                .map(|v| {
                    std::array::from_fn(|k| match mix {
                        0 => rng.random_range(0.1..0.9),
                        1 => rng.random_range(0.0..0.05),
                        2 if k == v % LANES => 0.999,
                        2 => 0.5,
                        3 => [0.0, 1.0, f64::NAN, 1e-300, 0.075, 0.925, 0.5, 0.3][k],
                        _ => rng.random::<f64>(),
                    })
                })
                .collect();
            let mut many = vec![[0.0; LANES]; vectors];
            dispatch(
                #[inline(always)]
                || normal_inverse_many(&p, &mut many),
            );
            for (v, (got, x)) in many.iter().zip(&p).enumerate() {
                let want = dispatch(
                    #[inline(always)]
                    || normal_inverse(*x),
                );
                assert_eq!(
                    got.map(f64::to_bits),
                    want.map(f64::to_bits),
                    "{vectors} vectors, mix {mix}, vector {v}: {x:?}"
                );
            }
        }
    }
}
