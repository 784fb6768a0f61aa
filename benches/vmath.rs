//! The lane-wise math of `model::vmath` against glibc, per element.
//!
//! `cargo bench --bench vmath` — each function over an array of 4096 values
//! (`Throughput::Elements`, so criterion reports elements per second): `glibc` is std's scalar
//! call in a loop (for Φ⁻¹: the engine's scalar AS 241, `sampling::fast_normal_inverse`, with
//! glibc's `ln`), `lanes` the 8-lane version inside `vmath::dispatch` (AVX-512 or AVX2 on
//! x86-64), `twin` the scalar twin in a plain loop outside `dispatch` (what code evaluating one
//! trial at a time gets: the baseline instruction set).
//!
//! Measured 2026-12-06 on the 2-core AMD EPYC (AVX-512 path), criterion medians per element,
//! machine shared with other builds (load 6–11, so absolute times are inflated; the ratios
//! come from one run): exp 9.4 ns glibc → 2.7 ns lanes (3.5×); ln 7.7 → 3.5 ns (2.2×);
//! Φ⁻¹ 12.5 ns scalar AS 241 → 10.1 ns (1.2×: the lanes pay for the tail, ln and √, which
//! the scalar code skips for the 85 % of p in the central region); x^(1/3) 19.6 ns `powf` →
//! 8.8 ns (2.2×). The scalar twins are slower than glibc (exp 10.0, ln 13.0, Φ⁻¹ 41, root 34
//! ns): they exist for identity with the lanes, not for speed.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crmcast::engine::sampling::fast_normal_inverse;
use crmcast::model::vmath::{self, LANES, Lanes};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;

const N: usize = 4096;

/// The lane function over the whole array, compiled inside `dispatch` (never inlined into the
/// bench loop, so that its code can be found and read with objdump).
#[inline(never)]
fn over_lanes(xs: &[f64], out: &mut [f64], f: impl Fn(Lanes) -> Lanes) {
    vmath::dispatch(
        #[inline(always)]
        || {
            for (o, x) in out.chunks_exact_mut(LANES).zip(xs.chunks_exact(LANES)) {
                let mut lanes = [0.0; LANES];
                lanes.copy_from_slice(x);
                o.copy_from_slice(&f(lanes));
            }
        },
    )
}

#[inline(never)]
fn over_scalars(xs: &[f64], out: &mut [f64], f: impl Fn(f64) -> f64) {
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = f(x);
    }
}

fn inputs(rng: &mut Xoshiro256PlusPlus, range: std::ops::Range<f64>) -> Vec<f64> {
    (0..N).map(|_| rng.random_range(range.clone())).collect()
}

fn compare(
    c: &mut Criterion,
    name: &str,
    xs: &[f64],
    glibc: impl Fn(f64) -> f64 + Copy,
    lanes: impl Fn(Lanes) -> Lanes + Copy,
    twin: impl Fn(f64) -> f64 + Copy,
) {
    let mut group = c.benchmark_group(format!("vmath/{name}"));
    group.throughput(Throughput::Elements(N as u64));
    let mut out = vec![0.0; N];
    group.bench_function(BenchmarkId::from_parameter("glibc"), |b| {
        b.iter(|| {
            over_scalars(black_box(xs), &mut out, glibc);
            black_box(&out);
        })
    });
    group.bench_function(BenchmarkId::from_parameter("lanes"), |b| {
        b.iter(|| {
            over_lanes(black_box(xs), &mut out, lanes);
            black_box(&out);
        })
    });
    group.bench_function(BenchmarkId::from_parameter("twin"), |b| {
        b.iter(|| {
            over_scalars(black_box(xs), &mut out, twin);
            black_box(&out);
        })
    });
    group.finish();
}

// `#[inline(always)] |x| vmath::exp(x)` is not redundant: see the comment in `benches`.
#[allow(clippy::redundant_closure)]
fn benches(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(16);
    // Ranges like the engine's: log-normal exponents, logs of uniforms, Φ⁻¹ of uniforms, the
    // Kumaraswamy severity's roots of uniforms.
    let xs = inputs(&mut rng, -30.0..30.0);
    // Lane functions are passed as `#[inline(always)]` closures: a function item would be
    // called through its `Fn::call` shim, compiled outside `dispatch` for the baseline.
    compare(
        c,
        "exp",
        &xs,
        f64::exp,
        #[inline(always)]
        |x| vmath::exp(x),
        vmath::exp1,
    );
    let xs = inputs(&mut rng, 1e-12..1.0);
    compare(
        c,
        "ln",
        &xs,
        f64::ln,
        #[inline(always)]
        |x| vmath::ln(x),
        vmath::ln1,
    );
    let xs = inputs(&mut rng, 1e-12..1.0);
    compare(
        c,
        "normal_inverse",
        &xs,
        fast_normal_inverse,
        #[inline(always)]
        |x| vmath::normal_inverse(x),
        vmath::normal_inverse1,
    );
    let xs = inputs(&mut rng, 1e-12..1.0);
    compare(
        c,
        "root3",
        &xs,
        |x| x.powf(1.0 / 3.0),
        #[inline(always)]
        |x| vmath::root(x, 3.0),
        |x| vmath::root1(x, 3.0),
    );
}

criterion_group!(vmath_benches, benches);
criterion_main!(vmath_benches);
