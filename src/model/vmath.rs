//! Lane-wise transcendental functions for the trial core: `exp`, `ln`, Φ⁻¹ and `x^(1/n)` on
//! [`Lanes`] (eight trials, one `f64` each), plus scalar twins (`exp1`, `ln1`, …) that return
//! the same bits, and [`dispatch`], which runs a closure with the best SIMD features the CPU
//! has (AVX-512 or AVX2 + FMA on x86-64, detected at run time by `pulp`).
//!
//! Every function is one branch-free scalar kernel (`select`s, no `if` on lane values, no
//! tables) applied to each lane by a fixed-length loop. Inlined into a function compiled with
//! AVX2 or AVX-512 (that is, inside [`dispatch`]), LLVM turns the loop into 4- or 8-wide vector
//! code; the scalar twin is the same kernel on one value. Only `+ − × ÷ √` are used, each
//! correctly rounded by IEEE 754, and never fused (no `mul_add`): so a lane, its scalar twin,
//! the AVX-512, AVX2, SSE2 and aarch64 builds all give the same bits, and the fallback path
//! never calls libm's slow software `fma`.
//!
//! Algorithms:
//! - `exp`: `x = n·ln2 + r`, `n = round(x/ln2)` by the 1.5·2⁵² trick, `|r| ≤ ln2/2`, with
//!   Cody–Waite reduction (`ln2` split in fdlibm's `ln2_hi` + `ln2_lo`; `n·ln2_hi` is exact);
//!   `e^r = 1 + (r_hi + (r²·P(r) − r_lo))` with `P` the Taylor series of `(e^r − 1 − r)/r²`
//!   to degree 11 (so `e^r` to degree 13: truncation ≤ 4e-18 relative); the result is scaled by
//!   `2^n₁ · 2^n₂` (`n₁ + n₂ = n`, built from the exponent bits) so that overflow, gradual
//!   underflow and subnormal results round once.
//! - `ln`: fdlibm's `e_log.c` (as in musl): `x = 2^k·z`, `z ∈ [√½, √2)` from the bits
//!   (subnormals first scaled by 2⁵⁴), `f = z − 1`, `s = f/(2 + f)`,
//!   `ln(1+f) = f − f²/2 + s·(f²/2 + R(s²))` with fdlibm's degree-7 Remez polynomial `R`
//!   (coefficients `Lg1`…`Lg7`), plus `k·ln2_hi + k·ln2_lo`; the sums are carried as a
//!   double-double (f² by Dekker's exact product) and rounded once, so `ln` is off glibc's
//!   (correctly rounded in practice) only near ties.
//! - `normal_inverse`: Wichura's AS 241 (PPND16), with the same coefficients and order of
//!   operations as [`crate::engine::sampling::fast_normal_inverse`]; the central and tail
//!   rational functions are both computed for every lane (the tail's two pieces by selecting
//!   coefficients) and one division serves whichever the lane takes. In the central region
//!   (|p − ½| ≤ 0.425) the result is AS 241's to the bit.
//! - `root`: `x^(1/n) = exp(ln(x)/n)` with the logarithm as a double-double, divided by `n` in
//!   double-double (Dekker's exact product by Veltkamp splitting, no FMA) and passed to `exp`
//!   with its low part, so the error grows neither with `|ln x|` nor with `1/n` (plain
//!   `exp(ln(x)/n)` is off by up to ~6e-14/n near 1e-300); `n = 1` returns `x`, `n = 2` the
//!   correctly rounded `sqrt`. Note `root(x, n)` is x^(1/n), not `powf(x, 1.0/n)`: they differ
//!   by the rounding of `1/n` (up to 1e-14 relative near 1e-300 for n = 3).
//!
//! Measured accuracy (`cargo test --release --lib model::vmath -- --ignored --nocapture`
//! prints this survey; random points plus edge cases, seed 16):
//!
//! | function | points | reference | not its bits | max ulp | max relative |
//! |---|---|---|---|---|---|
//! | exp on [−708, 709] | 1.06e7 | glibc `exp` | 9.2 % | 1 | 2.2e-16 |
//! | ln on (0, ∞), subnormals too | 1.56e7 | glibc `ln` | 0.16 % | 1 | 2.2e-16 |
//! | normal_inverse on (0, 1), to 1e-300 and 1 − 2⁻⁵³ | 2.0e7 | AS 241 with glibc `ln` | 0.004 % | 5 | 7.7e-16 |
//! | root, n ∈ {0.1, 0.3, 0.5, 1.5, 3, 4, 7.3, 12} | 2.0e7 | glibc `powf`, corrected for fl(1/n) | 15 % | 1 | 2.2e-16 |
//!
//! AS 241 in floating point amplifies a one-ulp change of its `ln` (near ties, where glibc and
//! this `ln` round differently) into up to 5 ulps of Φ⁻¹: that, not the approximation, is the
//! 7.7e-16. Subnormal results of `exp` (x in [−745, −708.4]) are within an ulp of glibc.

#![allow(clippy::redundant_closure)]

/// Trials evaluated together: one `f64` lane each (a 512-bit AVX-512 register, two AVX2 ones).
pub const LANES: usize = 8;
/// One quantity for [`LANES`] trials.
pub type Lanes = [f64; LANES];

/// Runs `f` compiled with the best SIMD features of this CPU (x86-64: AVX-512 `V4`, else AVX2 +
/// FMA `V3`, else the baseline; aarch64: NEON), chosen at run time. The lane functions of this
/// module must be called inside `f` (directly or through `#[inline(always)]` callers) to be
/// vectorised with those features; results are the same bits on every path.
///
/// Mark the closure `#[inline(always)]` (allowed on closures on stable Rust):
/// `dispatch(#[inline(always)] || { … })`. `f` is one function called from each feature
/// path; unless forced, LLVM keeps a large closure out of line, compiled for the baseline
/// (seen in the bench build: an SSE2 closure called from the AVX2 and AVX-512 paths).
#[inline]
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}

/// `if c { a } else { b }` on values: LLVM makes it a select (a blend in vector code), not a
/// branch, since neither side has effects.
#[inline(always)]
fn select(c: bool, a: f64, b: f64) -> f64 {
    if c { a } else { b }
}

/// Applies a scalar kernel to every lane: a fixed-length loop that LLVM vectorises.
#[inline(always)]
// Closures passed here are `#[inline(always)]`: a function item or a plain closure is called
// through an out-of-line shim compiled for the baseline, defeating the vector code (so clippy's
// `redundant_closure` is allowed in this module).
fn each(x: Lanes, kernel: impl Fn(f64) -> f64) -> Lanes {
    let mut out = [0.0; LANES];
    for k in 0..LANES {
        out[k] = kernel(x[k]);
    }
    out
}

/// 1.5·2⁵²: adding it rounds a double of magnitude below 2⁵¹ to an integer (ties to even), and
/// that integer sits in the low bits of the sum.
const ROUNDER: f64 = 6_755_399_441_055_744.0;
/// ln 2 split as in fdlibm (its hexadecimal bits): `LN2_HI` has 32 significant bits (so
/// `n·LN2_HI` is exact for |n| < 2²¹), `LN2_LO` the rest.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LOG2_E: f64 = std::f64::consts::LOG2_E;

/// 2^m for an integer-valued `m` in [−1022, 1023], written as `m + ROUNDER`: the low 12 bits
/// of that sum's bits plus the bias are the exponent field.
#[inline(always)]
fn two_to(m_plus_rounder: f64) -> f64 {
    f64::from_bits(m_plus_rounder.to_bits().wrapping_add(1023) << 52)
}

/// e^(x + xl) for a small correction `xl` (|xl| ≤ ulp(x)); `exp` passes `xl = 0`.
#[inline(always)]
fn exp_kernel(x: f64, xl: f64) -> f64 {
    // Beyond these e^x is 0 or ∞ in f64; clamping keeps n in range (NaN passes through).
    let x = select(x > 710.0, 710.0, x);
    let x = select(x < -746.0, -746.0, x);
    let n = (x * LOG2_E + ROUNDER) - ROUNDER;
    let r_hi = x - n * LN2_HI;
    let r_lo = n * LN2_LO - xl;
    let r = r_hi - r_lo;
    // (e^r − 1 − r)/r², Taylor coefficients 1/2!, …, 1/13!.
    let p = 1.0 / 6_227_020_800.0;
    let p = p * r + 1.0 / 479_001_600.0;
    let p = p * r + 1.0 / 39_916_800.0;
    let p = p * r + 1.0 / 3_628_800.0;
    let p = p * r + 1.0 / 362_880.0;
    let p = p * r + 1.0 / 40_320.0;
    let p = p * r + 1.0 / 5_040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let e = 1.0 + (r_hi + (r * r * p - r_lo));
    // n in [−1077, 1025] split in two halves, each a normal power of two: one rounding only.
    let n1 = n * 0.5 + ROUNDER;
    let n2 = (n - (n1 - ROUNDER)) + ROUNDER;
    e * two_to(n1) * two_to(n2)
}

/// fdlibm's `log` polynomial coefficients (`e_log.c`, `Lg1`…`Lg7`, by their hexadecimal bits:
/// 0.6666…, 0.3999…, 0.2857…, 0.2222…, 0.1818…, 0.1531…, 0.1479…).
const LG: [f64; 7] = [
    f64::from_bits(0x3fe5_5555_5555_5593),
    f64::from_bits(0x3fd9_9999_9997_fa04),
    f64::from_bits(0x3fd2_4924_9422_9359),
    f64::from_bits(0x3fcc_71c5_1d8e_78af),
    f64::from_bits(0x3fc7_4664_96cb_03de),
    f64::from_bits(0x3fc3_9a09_d078_c69f),
    f64::from_bits(0x3fc2_f112_df3e_5244),
];

/// x = 2^k·z with z in [√½, √2), for finite x > 0 (subnormals first scaled by 2⁵⁴); other
/// inputs give garbage the callers select away. Returns (k, f = z − 1, s = f/(2 + f), R(s²)).
#[inline(always)]
fn ln_reduce(x: f64) -> (f64, f64, f64, f64) {
    let subnormal = x < f64::MIN_POSITIVE;
    let x = select(subnormal, x * 18_014_398_509_481_984.0, x); // × 2⁵⁴
    let bits = x.to_bits();
    // Measured from the bits of √½, so that z lands in [√½, √2).
    let tmp = bits.wrapping_sub(0x3fe6_a09e_667f_3bcd);
    let z = f64::from_bits(bits.wrapping_sub(tmp & (0xfff << 52)));
    // k = tmp >> 52 (signed, 12 bits) as a double without a vector int→float conversion
    // (AVX2 has none): 2⁵² + (k + 2048) built from the bits, minus 2⁵² + 2048.
    let k = f64::from_bits(0x4330_0000_0000_0000 | ((tmp >> 52) ^ 0x800))
        - (4_503_599_627_370_496.0 + 2048.0);
    let k = k - select(subnormal, 54.0, 0.0);
    let f = z - 1.0;
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s4 * (LG[1] + s4 * (LG[3] + s4 * LG[5]));
    let t2 = s2 * (LG[0] + s4 * (LG[2] + s4 * (LG[4] + s4 * LG[6])));
    (k, f, s, t1 + t2)
}

/// ln x as a double-double `hi + lo` (|lo| ≤ ulp(hi)) with an absolute error of a few 1e-18:
/// fdlibm's (musl's) ln(1 + f) = f − f²/2 + s·(f²/2 + R), plus k·ln2, with f² exact by
/// Dekker's product, `k·ln2_hi` exact and each sum by Knuth's fast two-sum (larger term
/// first). `ln` rounds it once (so it is off glibc only near ties); `root` needs the extra
/// bits since its division by n < 1 magnifies the logarithm's absolute error.
#[inline(always)]
fn ln_double(x: f64) -> (f64, f64) {
    let (k, f, s, r) = ln_reduce(x);
    let (f_hi, f_lo) = split(f);
    let f2 = f * f;
    let f2_err = ((f_hi * f_hi - f2) + 2.0 * (f_hi * f_lo)) + f_lo * f_lo;
    let half_f2 = 0.5 * f2;
    // f − f²/2, then + s·(f²/2 + R) ≈ f³/6: each sum's larger term first (|f| ≤ 0.42).
    let m = f - half_f2;
    let m_err = (f - m) - half_f2;
    let c = s * (half_f2 + r);
    let m2 = m + c;
    let m2_err = (m - m2) + c;
    let tiny = ((k * LN2_LO - 0.5 * f2_err) + m_err) + m2_err;
    // k·ln2_hi + ln z: |k·ln2_hi| ≥ 0.69 > 0.35 ≥ |ln z| unless k = 0.
    let a = k * LN2_HI;
    let hi = a + m2;
    let lo = ((a - hi) + m2) + tiny;
    (hi, lo)
}

#[inline(always)]
fn ln_kernel(x: f64) -> f64 {
    let (hi, lo) = ln_double(x);
    let value = hi + lo;
    let special = select(
        x == 0.0,
        f64::NEG_INFINITY,
        select(x == f64::INFINITY, x, f64::NAN),
    );
    select(x > 0.0 && x < f64::INFINITY, value, special)
}

/// AS 241's three rational functions, coefficients highest degree first (numerator, then
/// denominator), as in `sampling::fast_normal_inverse`.
const CENTRAL: [[f64; 8]; 2] = [
    [
        2.509_080_928_730_122_7e3,
        3.343_057_558_358_813e4,
        6.726_577_092_700_87e4,
        4.592_195_393_154_987e4,
        1.373_169_376_550_946e4,
        1.971_590_950_306_551_3e3,
        1.331_416_678_917_843_8e2,
        3.387_132_872_796_366_5,
    ],
    [
        5.226_495_278_852_545e3,
        2.872_908_573_572_194_3e4,
        3.930_789_580_009_271e4,
        2.121_379_430_158_659_7e4,
        5.394_196_021_424_751e3,
        6.871_870_074_920_579e2,
        4.231_333_070_160_091e1,
        1.0,
    ],
];
const NEAR_TAIL: [[f64; 8]; 2] = [
    [
        7.745_450_142_783_414e-4,
        2.272_384_498_926_918_4e-2,
        2.417_807_251_774_506e-1,
        1.270_458_252_452_368_4,
        3.647_848_324_763_204_5,
        5.769_497_221_460_691,
        4.630_337_846_156_546,
        1.423_437_110_749_683_5,
    ],
    [
        1.050_750_071_644_416_9e-9,
        5.475_938_084_995_345e-4,
        1.519_866_656_361_645_7e-2,
        1.481_039_764_274_800_8e-1,
        6.897_673_349_851e-1,
        1.676_384_830_183_803_8,
        2.053_191_626_637_759,
        1.0,
    ],
];
const FAR_TAIL: [[f64; 8]; 2] = [
    [
        2.010_334_399_292_288e-7,
        2.711_555_568_743_487_6e-5,
        1.242_660_947_388_078_4e-3,
        2.653_218_952_657_612_4e-2,
        2.965_605_718_285_048_7e-1,
        1.784_826_539_917_291_3,
        5.463_784_911_164_114,
        6.657_904_643_501_103,
    ],
    [
        2.044_263_103_389_939_7e-15,
        1.421_511_758_316_446e-7,
        1.846_318_317_510_054_8e-5,
        7.868_691_311_456_133e-4,
        1.487_536_129_085_061_5e-2,
        1.369_298_809_227_358e-1,
        5.998_322_065_558_88e-1,
        1.0,
    ],
];

/// Horner's rule, highest degree first.
#[inline(always)]
fn horner(c: &[f64; 8], x: f64) -> f64 {
    let mut acc = c[0];
    for &ci in &c[1..] {
        acc = acc * x + ci;
    }
    acc
}

#[inline(always)]
fn normal_inverse_kernel(p: f64) -> f64 {
    let q = p - 0.5;
    let central = q.abs() <= 0.425;
    let r = 0.180625 - q * q;
    let c_num = q * horner(&CENTRAL[0], r);
    let c_den = horner(&CENTRAL[1], r);
    let tail = select(q < 0.0, p, 1.0 - p);
    let t = (-ln_kernel(tail)).sqrt();
    let near = t <= 5.0;
    let t = select(near, t - 1.6, t - 5.0);
    let mut t_num = select(near, NEAR_TAIL[0][0], FAR_TAIL[0][0]);
    let mut t_den = select(near, NEAR_TAIL[1][0], FAR_TAIL[1][0]);
    for i in 1..8 {
        t_num = t_num * t + select(near, NEAR_TAIL[0][i], FAR_TAIL[0][i]);
        t_den = t_den * t + select(near, NEAR_TAIL[1][i], FAR_TAIL[1][i]);
    }
    // −(a/b) = (−a)/b exactly: one division serves both branches.
    let num = select(central, c_num, select(q < 0.0, -t_num, t_num));
    let den = select(central, c_den, t_den);
    let value = num / den;
    let edge = select(
        p == 0.0,
        f64::NEG_INFINITY,
        select(p == 1.0, f64::INFINITY, f64::NAN),
    );
    select(p > 0.0 && p < 1.0, value, edge)
}

/// What `root` needs of `n`: `1/n` and Veltkamp's split of `n` into two 26-bit halves.
#[derive(Clone, Copy)]
struct RootOf {
    inv: f64,
    hi: f64,
    lo: f64,
}

/// 2²⁷ + 1: Veltkamp's splitter for doubles.
const SPLITTER: f64 = 134_217_729.0;

#[inline(always)]
fn split(a: f64) -> (f64, f64) {
    let c = SPLITTER * a;
    let hi = c - (c - a);
    (hi, a - hi)
}

impl RootOf {
    #[inline(always)]
    fn new(n: f64) -> Self {
        let (hi, lo) = split(n);
        RootOf {
            inv: 1.0 / n,
            hi,
            lo,
        }
    }
}

#[inline(always)]
fn root_kernel(x: f64, n: f64, of: RootOf) -> f64 {
    let (hi, lo) = ln_double(x);
    // (hi + lo)/n = yh + yl: yh·n = p + e exactly (Dekker), hi − p exact (Sterbenz).
    let yh = hi * of.inv;
    let p = yh * n;
    let (yh_hi, yh_lo) = split(yh);
    let e = ((yh_hi * of.hi - p) + yh_hi * of.lo + yh_lo * of.hi) + yh_lo * of.lo;
    let yl = (((hi - p) - e) + lo) * of.inv;
    // Far beyond e^±709 the result is 0 or ∞ anyway; the clamp keeps the split finite.
    let out_of_range = yh.abs() > 1000.0;
    let yh = select(yh > 1000.0, 1000.0, select(yh < -1000.0, -1000.0, yh));
    let yl = select(out_of_range, 0.0, yl);
    let value = exp_kernel(yh, yl);
    let special = select(x == 0.0, 0.0, select(x == f64::INFINITY, x, f64::NAN));
    select(x > 0.0 && x < f64::INFINITY, value, special)
}

/// e^x per lane. e^(−∞) = 0, e^x = ∞ beyond 709.78, NaN stays NaN.
#[inline(always)]
pub fn exp(x: Lanes) -> Lanes {
    each(
        x,
        #[inline(always)]
        |x| exp_kernel(x, 0.0),
    )
}

/// ln x per lane. ln 0 = −∞, ln ∞ = ∞, ln of a negative number or NaN is NaN.
#[inline(always)]
pub fn ln(x: Lanes) -> Lanes {
    each(
        x,
        #[inline(always)]
        |x| ln_kernel(x),
    )
}

/// Φ⁻¹(p) per lane, the standard normal quantile (AS 241). Φ⁻¹(0) = −∞, Φ⁻¹(1) = ∞, NaN
/// outside [0, 1].
#[inline(always)]
pub fn normal_inverse(p: Lanes) -> Lanes {
    // A quarter of vectors (0.85⁸) lie wholly in the central region, where a lane's value is
    // `q·N(r)/D(r)` whichever branch is computed: the tail's logarithm, root and polynomials are
    // skipped for them, with the same bits.
    if p.iter().all(|&p| (p - 0.5).abs() <= 0.425) {
        each(
            p,
            #[inline(always)]
            |p| {
                let q = p - 0.5;
                let r = 0.180625 - q * q;
                q * horner(&CENTRAL[0], r) / horner(&CENTRAL[1], r)
            },
        )
    } else {
        each(
            p,
            #[inline(always)]
            |p| normal_inverse_kernel(p),
        )
    }
}

/// [`normal_inverse`] of every vector of `p`, into `out`: the same bits, cheaper when many
/// values are given. The central formula is computed for every value; the values outside the
/// central region (about 15 % of uniforms) are gathered eight at a time and only those run the
/// whole kernel, instead of every vector with one such lane (three vectors in four).
#[inline(always)]
pub fn normal_inverse_many(p: &[Lanes], out: &mut [Lanes]) {
    debug_assert_eq!(p.len(), out.len());
    for (o, &x) in out.iter_mut().zip(p) {
        *o = each(
            x,
            #[inline(always)]
            |p| {
                let q = p - 0.5;
                let r = 0.180625 - q * q;
                q * horner(&CENTRAL[0], r) / horner(&CENTRAL[1], r)
            },
        );
    }
    // Gathered branch-free: every value is written to the next free slot, which only a tail
    // value keeps (the slot's index advances by one for it, by zero otherwise).
    let mut pending = [0.5; LANES];
    let mut at = [0usize; LANES];
    let mut count = 0;
    for (v, x) in p.iter().enumerate() {
        for (k, &value) in x.iter().enumerate() {
            pending[count] = value;
            at[count] = v * LANES + k;
            // Not central: NaN too, which the whole kernel maps to NaN.
            let central = (value - 0.5).abs() <= 0.425;
            count += usize::from(!central);
            if count == LANES {
                tail_values(&pending, &at, count, out);
                count = 0;
            }
        }
    }
    if count > 0 {
        tail_values(&pending, &at, count, out);
    }
}

/// The whole Φ⁻¹ kernel on gathered values; the first `count` written back to their places
/// (`at`: vector · LANES + lane).
#[inline(always)]
fn tail_values(pending: &Lanes, at: &[usize; LANES], count: usize, out: &mut [Lanes]) {
    let values = each(
        *pending,
        #[inline(always)]
        |p| normal_inverse_kernel(p),
    );
    for (&flat, &value) in at.iter().zip(&values).take(count) {
        out[flat / LANES][flat % LANES] = value;
    }
}

/// x^(1/n) per lane, for x in [0, 1] and n > 0 (n = 1: x itself; n = 2: `sqrt`).
#[inline(always)]
pub fn root(x: Lanes, n: f64) -> Lanes {
    // n is the same for every lane: branching on it keeps the lanes together.
    if n == 1.0 {
        x
    } else if n == 2.0 {
        each(
            x,
            #[inline(always)]
            |x| x.sqrt(),
        )
    } else {
        let of = RootOf::new(n);
        each(
            x,
            #[inline(always)]
            |x| root_kernel(x, n, of),
        )
    }
}

/// [`exp`] of one value: the same bits as the lane version.
#[inline(always)]
pub fn exp1(x: f64) -> f64 {
    exp_kernel(x, 0.0)
}

/// [`ln`] of one value: the same bits as the lane version.
#[inline(always)]
pub fn ln1(x: f64) -> f64 {
    ln_kernel(x)
}

/// [`normal_inverse`] of one value: the same bits as the lane version.
#[inline(always)]
pub fn normal_inverse1(p: f64) -> f64 {
    normal_inverse_kernel(p)
}

/// [`root`] of one value: the same bits as the lane version.
#[inline(always)]
pub fn root1(x: f64, n: f64) -> f64 {
    if n == 1.0 {
        x
    } else if n == 2.0 {
        x.sqrt()
    } else {
        root_kernel(x, n, RootOf::new(n))
    }
}

#[cfg(test)]
#[path = "vmath_tests.rs"]
mod tests;
