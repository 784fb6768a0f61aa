//! The engine's random numbers: eight xoshiro256++ streams side by side, one per lane, so that
//! eight trials draw their uniforms in one vector step.
//!
//! A batch seeds its eight streams from SplitMix64 started at [`super::batch_seed`]: lane `k`
//! takes the outputs `4k .. 4k+3` as its state (the way `Xoshiro256PlusPlus::seed_from_u64`
//! seeds one stream). Trial `8c + k` of the batch is lane `k` of chunk `c`; its `d`-th uniform is
//! lane `k` of the chunk's `d`-th step. A uniform is `(x >> 11 + ½) · 2⁻⁵³`, in the open
//! interval (0, 1), so an inverse CDF never sees 0 or 1 (docs/MODEL.md §2).

// Lane loops index several arrays by lane: the form LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use crate::model::vmath::{LANES, Lanes};

/// Eight xoshiro256++ states, word-major (`s[w][lane]`), so that each step is four vector
/// operations on eight lanes.
#[derive(Debug, Clone)]
pub struct LaneRng {
    s: [[u64; LANES]; 4],
}

/// SplitMix64's step: the seeding sequence.
#[inline]
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl LaneRng {
    /// The eight streams of one batch, from its 64-bit seed.
    pub fn new(seed: u64) -> Self {
        let mut state = seed;
        let mut s = [[0u64; LANES]; 4];
        for lane in 0..LANES {
            for word in s.iter_mut() {
                word[lane] = splitmix(&mut state);
            }
        }
        // An all-zero state never leaves zero; SplitMix64 cannot give four zeros in a row from
        // any seed, but a fixed fallback costs nothing.
        for lane in 0..LANES {
            if s.iter().all(|w| w[lane] == 0) {
                s[0][lane] = 1;
            }
        }
        LaneRng { s }
    }

    /// One step of every stream: eight 64-bit outputs.
    #[inline(always)]
    pub fn next_u64(&mut self) -> [u64; LANES] {
        let mut state = self.s;
        let out = step(&mut state);
        self.s = state;
        out
    }

    /// Eight uniforms in (0, 1): the top 53 bits of each output, centred in their cell.
    #[inline(always)]
    pub fn uniforms(&mut self) -> Lanes {
        to_uniforms(self.next_u64())
    }

    /// Fill `out` with one chunk's uniforms: `out[d]` is every lane's `d`-th uniform.
    #[inline(always)]
    pub fn fill(&mut self, out: &mut [Lanes]) {
        // The state stays in registers (a local copy) for the whole chunk.
        let mut state = self.s;
        for slot in out.iter_mut() {
            *slot = to_uniforms(step(&mut state));
        }
        self.s = state;
    }
}

/// xoshiro256++'s step on eight states held word-major in a local array.
#[inline(always)]
fn step(s: &mut [[u64; LANES]; 4]) -> [u64; LANES] {
    let [mut s0, mut s1, mut s2, mut s3] = *s;
    let mut out = [0u64; LANES];
    for k in 0..LANES {
        out[k] = s0[k]
            .wrapping_add(s3[k])
            .rotate_left(23)
            .wrapping_add(s0[k]);
        let t = s1[k] << 17;
        s2[k] ^= s0[k];
        s3[k] ^= s1[k];
        s1[k] ^= s2[k];
        s0[k] ^= s3[k];
        s2[k] ^= t;
        s3[k] = s3[k].rotate_left(45);
    }
    *s = [s0, s1, s2, s3];
    out
}

/// The top 53 bits of each output, centred in their cell: a uniform in the open (0, 1).
#[inline(always)]
fn to_uniforms(x: [u64; LANES]) -> Lanes {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    let mut u = [0.0; LANES];
    for k in 0..LANES {
        u[k] = ((x[k] >> 11) as f64 + 0.5) * SCALE;
    }
    u
}

/// One batch's trials one at a time, for code that evaluates a trial at a time (the analyses,
/// `crmcast update`, project records): the same uniforms the lane core gives the same trial.
#[derive(Debug, Clone)]
pub struct TrialStream {
    rng: LaneRng,
    chunk: Vec<Lanes>,
    /// The lane the next trial takes; `LANES` when a new chunk must be drawn.
    lane: usize,
    trial: Vec<f64>,
}

impl TrialStream {
    /// Trials of the batch whose seed is `seed`, each with `dimensions` uniforms.
    pub fn new(seed: u64, dimensions: usize) -> Self {
        TrialStream {
            rng: LaneRng::new(seed),
            chunk: vec![[0.0; LANES]; dimensions],
            lane: LANES,
            trial: vec![0.0; dimensions],
        }
    }

    /// The next trial's uniforms, in the order of
    /// [`crate::engine::trial::CompiledScenario::dimensions`].
    #[inline]
    pub fn next_trial(&mut self) -> &[f64] {
        if self.lane == LANES {
            self.rng.fill(&mut self.chunk);
            self.lane = 0;
        }
        for (u, slot) in self.trial.iter_mut().zip(&self.chunk) {
            *u = slot[self.lane];
        }
        self.lane += 1;
        &self.trial
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn each_lane_is_the_reference_xoshiro256plusplus() {
        // Lane k's state is SplitMix64's outputs 4k..4k+3: the reference generator given the same
        // state must give the same outputs.
        let mut rng = LaneRng::new(12345);
        let states: Vec<[u8; 32]> = (0..LANES)
            .map(|lane| {
                let mut bytes = [0u8; 32];
                for w in 0..4 {
                    bytes[8 * w..8 * w + 8].copy_from_slice(&rng.s[w][lane].to_le_bytes());
                }
                bytes
            })
            .collect();
        let mut reference: Vec<Xoshiro256PlusPlus> = states
            .iter()
            .map(|s| Xoshiro256PlusPlus::from_seed(*s))
            .collect();
        for _ in 0..1000 {
            let out = rng.next_u64();
            for (lane, r) in reference.iter_mut().enumerate() {
                assert_eq!(out[lane], r.random::<u64>());
            }
        }
    }

    #[test]
    fn seeding_matches_seed_from_u64_for_the_first_lane() {
        // Xoshiro256PlusPlus::seed_from_u64 fills its state from SplitMix64 too: lane 0 is that
        // generator exactly.
        let mut rng = LaneRng::new(99);
        let mut reference = Xoshiro256PlusPlus::seed_from_u64(99);
        for _ in 0..100 {
            assert_eq!(rng.next_u64()[0], reference.random::<u64>());
        }
    }

    #[test]
    fn uniforms_are_open_and_have_the_right_moments() {
        let mut rng = LaneRng::new(7);
        let n = 200_000;
        let (mut sum, mut square) = (0.0, 0.0);
        for _ in 0..n / LANES {
            for u in rng.uniforms() {
                assert!(u > 0.0 && u < 1.0);
                sum += u;
                square += u * u;
            }
        }
        let mean = sum / n as f64;
        let variance = square / n as f64 - mean * mean;
        // SE of the mean of U(0,1): √(1/12/n) ≈ 6.5e-4; of the variance ≈ √(1/180/n) ≈ 1.7e-4.
        assert!(
            (mean - 0.5).abs() < 4.0 * (1.0 / 12.0 / n as f64).sqrt(),
            "{mean}"
        );
        assert!((variance - 1.0 / 12.0).abs() < 4.0 * (1.0 / 180.0 / n as f64).sqrt());
    }
}
