//! Sampling designs: where each trial's uniforms come from. `Random` draws every number from
//! the batch's pseudo-random stream (the engine's reference design). `LatinHypercube` and
//! `Sobol` fill a `dimensions`-vector of uniforms per trial; the trial then maps them to
//! normals and severities by inverse CDFs, so the copula and common random numbers work the
//! same under every design. Each batch is an independent randomisation of its design, which is
//! what makes batch-means standard errors valid for the two structured designs.

use crate::engine::BATCH_TRIALS;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// How trials draw their random inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// Independent pseudo-random draws (Xoshiro256++ per batch).
    #[default]
    Random,
    /// Latin hypercube: per batch and dimension, one point in each of the batch's equal strata.
    Lhs,
    /// Owen-scrambled Sobol points (Burley's hash-based scrambling), one net per batch.
    Sobol,
}

impl Sampling {
    pub fn name(self) -> &'static str {
        match self {
            Sampling::Random => "random",
            Sampling::Lhs => "lhs",
            Sampling::Sobol => "sobol",
        }
    }
}

/// Dimensions `sobol_burley` provides per seed; higher ones are padded with fresh seeds.
const SOBOL_DIMENSIONS: usize = 256;
/// Sobol points are f32 on a 2⁻²⁴ grid; a pseudo-random jitter inside the grid cell makes the
/// uniform continuous (and never exactly 0) without moving the point out of its cell.
const SOBOL_CELL: f64 = 1.0 / (1u64 << 24) as f64;

/// Per-worker state for the structured designs. Allocated once per worker, refilled per batch.
pub struct BatchSampler {
    sampling: Sampling,
    dimensions: usize,
    trials: usize,
    /// Latin hypercube strata, trial-major: `strata[trial * dimensions + d]`.
    strata: Vec<u16>,
    /// One permutation being shuffled.
    permutation: Vec<u16>,
    /// Sobol scramble seed per block of 256 dimensions.
    sobol_seeds: Vec<u32>,
    uniforms: Vec<f64>,
}

impl BatchSampler {
    pub fn new(sampling: Sampling, dimensions: usize) -> Self {
        let strata_len = if sampling == Sampling::Lhs {
            dimensions * BATCH_TRIALS as usize
        } else {
            0
        };
        BatchSampler {
            sampling,
            dimensions,
            trials: 0,
            strata: vec![0; strata_len],
            permutation: Vec::with_capacity(if sampling == Sampling::Lhs {
                BATCH_TRIALS as usize
            } else {
                0
            }),
            sobol_seeds: vec![0; dimensions.div_ceil(SOBOL_DIMENSIONS)],
            uniforms: vec![0.0; dimensions],
        }
    }

    /// Prepare a batch of `trials` trials, drawing the design's randomisation from `rng`.
    pub fn start_batch<R: Rng>(&mut self, rng: &mut R, trials: usize) {
        self.trials = trials;
        match self.sampling {
            Sampling::Random => {}
            Sampling::Lhs => {
                for d in 0..self.dimensions {
                    self.permutation.clear();
                    self.permutation.extend(0..trials as u16);
                    // Fisher–Yates.
                    for i in (1..trials).rev() {
                        let j = rng.random_range(0..=i);
                        self.permutation.swap(i, j);
                    }
                    for (t, &stratum) in self.permutation.iter().enumerate() {
                        self.strata[t * self.dimensions + d] = stratum;
                    }
                }
            }
            Sampling::Sobol => {
                for seed in self.sobol_seeds.iter_mut() {
                    *seed = rng.random::<u32>();
                }
            }
        }
    }

    /// The uniforms of trial `trial` of the batch, each in (0, 1).
    #[inline]
    pub fn uniforms<R: Rng>(&mut self, rng: &mut R, trial: usize) -> &[f64] {
        match self.sampling {
            Sampling::Random => {
                for u in self.uniforms.iter_mut() {
                    *u = open_unit(rng.random::<f64>());
                }
            }
            Sampling::Lhs => {
                let scale = 1.0 / self.trials as f64;
                let strata = &self.strata[trial * self.dimensions..(trial + 1) * self.dimensions];
                for (u, &stratum) in self.uniforms.iter_mut().zip(strata) {
                    *u = open_unit((stratum as f64 + rng.random::<f64>()) * scale);
                }
            }
            Sampling::Sobol => {
                for (d, u) in self.uniforms.iter_mut().enumerate() {
                    let point = sobol_burley::sample(
                        trial as u32,
                        (d % SOBOL_DIMENSIONS) as u32,
                        self.sobol_seeds[d / SOBOL_DIMENSIONS],
                    ) as f64;
                    *u = open_unit(point + rng.random::<f64>() * SOBOL_CELL);
                }
            }
        }
        &self.uniforms
    }
}

/// Keep a uniform strictly inside (0, 1), so that inverse CDFs stay finite.
#[inline]
fn open_unit(u: f64) -> f64 {
    u.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0)
}

/// Φ⁻¹(p), the standard normal quantile, by Wichura's algorithm AS 241 (PPND16): relative
/// error about 1e-16 for p in (0, 1). Written out because the trial loop needs one per factor
/// under the structured designs and statrs' general-purpose inverse is several times slower;
/// tested against statrs.
#[inline]
pub fn fast_normal_inverse(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        let num = ((((((2.509_080_928_730_122_7e3 * r + 3.343_057_558_358_813e4) * r
            + 6.726_577_092_700_87e4)
            * r
            + 4.592_195_393_154_987e4)
            * r
            + 1.373_169_376_550_946e4)
            * r
            + 1.971_590_950_306_551_3e3)
            * r
            + 1.331_416_678_917_843_8e2)
            * r
            + 3.387_132_872_796_366_5;
        let den = ((((((5.226_495_278_852_545e3 * r + 2.872_908_573_572_194_3e4) * r
            + 3.930_789_580_009_271e4)
            * r
            + 2.121_379_430_158_659_7e4)
            * r
            + 5.394_196_021_424_751e3)
            * r
            + 6.871_870_074_920_579e2)
            * r
            + 4.231_333_070_160_091e1)
            * r
            + 1.0;
        return q * num / den;
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-tail.ln()).sqrt();
    let value = if r <= 5.0 {
        r -= 1.6;
        let num = ((((((7.745_450_142_783_414e-4 * r + 2.272_384_498_926_918_4e-2) * r
            + 2.417_807_251_774_506e-1)
            * r
            + 1.270_458_252_452_368_4)
            * r
            + 3.647_848_324_763_204_5)
            * r
            + 5.769_497_221_460_691)
            * r
            + 4.630_337_846_156_546)
            * r
            + 1.423_437_110_749_683_5;
        let den = ((((((1.050_750_071_644_416_9e-9 * r + 5.475_938_084_995_345e-4) * r
            + 1.519_866_656_361_645_7e-2)
            * r
            + 1.481_039_764_274_800_8e-1)
            * r
            + 6.897_673_349_851e-1)
            * r
            + 1.676_384_830_183_803_8)
            * r
            + 2.053_191_626_637_759)
            * r
            + 1.0;
        num / den
    } else {
        r -= 5.0;
        let num = ((((((2.010_334_399_292_288e-7 * r + 2.711_555_568_743_487_6e-5) * r
            + 1.242_660_947_388_078_4e-3)
            * r
            + 2.653_218_952_657_612_4e-2)
            * r
            + 2.965_605_718_285_048_7e-1)
            * r
            + 1.784_826_539_917_291_3)
            * r
            + 5.463_784_911_164_114)
            * r
            + 6.657_904_643_501_103;
        let den = ((((((2.044_263_103_389_939_7e-15 * r + 1.421_511_758_316_446e-7) * r
            + 1.846_318_317_510_054_8e-5)
            * r
            + 7.868_691_311_456_133e-4)
            * r
            + 1.487_536_129_085_061_5e-2)
            * r
            + 1.369_298_809_227_358e-1)
            * r
            + 5.998_322_065_558_88e-1)
            * r
            + 1.0;
        num / den
    };
    if q < 0.0 { -value } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::distribution::standard_normal_inverse;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn as241_matches_statrs() {
        let mut p = 1e-300;
        while p < 1.0 {
            for x in [p, 1.0 - p] {
                if x <= 0.0 || x >= 1.0 {
                    continue;
                }
                let (fast, reference) = (fast_normal_inverse(x), standard_normal_inverse(x));
                assert!(
                    (fast - reference).abs() <= 1e-13 * reference.abs().max(1.0),
                    "p={x}: {fast} vs {reference}"
                );
            }
            p *= 1.7;
        }
        assert_eq!(fast_normal_inverse(0.5), 0.0);
    }

    /// Every stratum of every dimension holds exactly one point of a Latin hypercube batch.
    #[test]
    fn latin_hypercube_fills_each_stratum_once() {
        let (dimensions, trials) = (5, 1000);
        let mut sampler = BatchSampler::new(Sampling::Lhs, dimensions);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        sampler.start_batch(&mut rng, trials);
        let mut seen = vec![vec![false; trials]; dimensions];
        for t in 0..trials {
            let u = sampler.uniforms(&mut rng, t).to_vec();
            for (d, &x) in u.iter().enumerate() {
                let stratum = (x * trials as f64) as usize;
                assert!(
                    !seen[d][stratum],
                    "stratum {stratum} of dimension {d} twice"
                );
                seen[d][stratum] = true;
            }
        }
    }

    /// A (0, m, 1)-net: each of 2^k equal intervals holds 2^(m−k) points of a 2^m-point batch,
    /// in every dimension, including padded ones beyond 256.
    #[test]
    fn sobol_points_are_balanced_in_every_dimension() {
        let dimensions = 300;
        let mut sampler = BatchSampler::new(Sampling::Sobol, dimensions);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let trials = 1024;
        sampler.start_batch(&mut rng, trials);
        let mut counts = vec![[0u32; 64]; dimensions];
        for t in 0..trials {
            let u = sampler.uniforms(&mut rng, t).to_vec();
            for (d, &x) in u.iter().enumerate() {
                assert!(x > 0.0 && x < 1.0);
                counts[d][(x * 64.0) as usize] += 1;
            }
        }
        for (d, c) in counts.iter().enumerate() {
            assert!(c.iter().all(|&k| k == 16), "dimension {d}: {c:?}");
        }
    }
}
