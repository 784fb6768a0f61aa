//! Sketches filled a column at a time (the engine's batched accumulation,
//! `accumulate::add_block`): bucket indices are computed in one pass with integer operations on
//! the IEEE-754 bits, which LLVM vectorises, then counted; the tail sketch's fixed-point sums
//! likewise. The counts and sums are exactly those of adding the values one by one.

use super::super::accumulate::to_fixed_lanes;
use super::super::block::BLOCK_TRIALS;
use super::{EXP_MIN, MANTISSA_BITS, PER_SIGN, Sketch, TailSketch};

/// The high 32 bits of 2^EXP_MIN, the smallest magnitude outside the zero bucket (its low
/// 32 bits are 0).
const SMALLEST_HIGH: u32 = ((EXP_MIN + 1023) as u32) << 20;
const INFINITY_HIGH: u32 = 0x7ff0_0000;

/// [`super::bucket`] without branches or float-to-integer conversions, in 32-bit integer
/// operations, so that a pass over a column vectorises eight lanes at a time: the bucket is
/// read from the high word of the bits (sign, exponent and the top 20 mantissa bits), offset so
/// that 2^EXP_MIN is 0 and capped at the last bucket (which also takes infinity). NaN (whose
/// mantissa may be non-zero in the low word only) and magnitudes below 2^EXP_MIN go to the zero
/// bucket. Equal to [`super::bucket`] for every `f64` (tested).
#[inline(always)]
pub fn bucket_lanes(x: f64) -> u16 {
    let bits = x.to_bits();
    let (high, low) = ((bits >> 32) as u32, bits as u32);
    let magnitude = high & 0x7fff_ffff;
    let offset = ((magnitude >> (20 - MANTISSA_BITS)) as i32 - ((EXP_MIN + 1023) << MANTISSA_BITS))
        .min(PER_SIGN as i32 - 1);
    let nan = magnitude > INFINITY_HIGH || (magnitude == INFINITY_HIGH && low != 0);
    let index = if magnitude < SMALLEST_HIGH || nan {
        PER_SIGN as i32
    } else if high >> 31 == 0 {
        PER_SIGN as i32 + 1 + offset
    } else {
        PER_SIGN as i32 - 1 - offset
    };
    index as u16
}

impl Sketch {
    /// [`Sketch::add`] for every value of `xs`, in chunks of a block.
    #[inline(always)]
    pub fn add_slice(&mut self, xs: &[f64]) {
        let mut indices = [0u16; BLOCK_TRIALS];
        // A slice, so that the counts' address is not reloaded after every increment.
        let counts = &mut self.counts[..];
        for chunk in xs.chunks(BLOCK_TRIALS) {
            let indices = &mut indices[..chunk.len()];
            for (index, &x) in indices.iter_mut().zip(chunk) {
                *index = bucket_lanes(x);
            }
            for &index in indices.iter() {
                counts[index as usize] += 1;
            }
        }
        self.total += xs.len() as u64;
    }
}

impl TailSketch {
    /// [`TailSketch::add`] for every pair of `xs` and `companions` (of equal length), in chunks
    /// of a block.
    #[inline(always)]
    pub fn add_slices(&mut self, xs: &[f64], companions: &[f64]) {
        debug_assert_eq!(xs.len(), companions.len());
        let mut indices = [0u16; BLOCK_TRIALS];
        let mut values = [0i64; BLOCK_TRIALS];
        let mut others = [0i64; BLOCK_TRIALS];
        let (counts, all_sums) = (&mut self.sketch.counts[..], &mut self.sums[..]);
        for (chunk, companion) in xs.chunks(BLOCK_TRIALS).zip(companions.chunks(BLOCK_TRIALS)) {
            let n = chunk.len();
            for ((index, value), &x) in indices.iter_mut().zip(values.iter_mut()).zip(chunk) {
                *index = bucket_lanes(x);
                *value = to_fixed_lanes(x);
            }
            for (other, &c) in others.iter_mut().zip(companion) {
                *other = to_fixed_lanes(c);
            }
            for ((&index, &value), &other) in indices[..n].iter().zip(&values).zip(&others) {
                let index = index as usize;
                counts[index] += 1;
                let (value, other) = (value as i128, other as i128);
                let sums = &mut all_sums[index];
                sums[0] += value;
                sums[1] += value * value;
                sums[2] += other;
                sums[3] += other * other;
            }
        }
        self.sketch.total += xs.len() as u64;
    }
}
