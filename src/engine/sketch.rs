//! A mergeable quantile sketch with a fixed log-linear bucket layout (like HdrHistogram):
//! a value's bucket is its binary exponent and the top [`MANTISSA_BITS`] bits of its
//! mantissa, read straight from the IEEE-754 bits. Counts are integers, so merging is exact,
//! order-free and bit-reproducible; memory is fixed whatever the trial count.
//!
//! Error bound: a quantile is read by interpolating within its bucket (the bucket's
//! observations taken as spread evenly over its range, docs/MODEL.md §10), so it lies in the
//! same bucket as the exact order statistic: for `2^-16 ≤ |x| < 2^16` the error is less than
//! one bucket width, `|x|·2^-MANTISSA_BITS` (0.78 %), and for a density that changes by a share
//! δ of itself across the bucket the systematic error is at most `width·δ/8`, far below the
//! Monte Carlo interval. Two different distributions therefore no longer report the same
//! bucket midpoint. Smaller magnitudes collapse to zero (absolute error < 2^-16 ≈ 1.5e-5);
//! larger ones saturate at ±2^16 and are counted. Histograms and tail means still read each
//! bucket at its midpoint (error ≤ 2^-(MANTISSA_BITS+1) = 0.39 %).

use super::accumulate::{FIXED_POINT_LIMIT, check_sums, from_fixed, from_fixed_square, to_fixed};
use serde::{Deserialize, Serialize};

pub const MANTISSA_BITS: u32 = 7;
const SUB_BUCKETS: usize = 1 << MANTISSA_BITS;
const EXP_MIN: i32 = -16;
const EXP_MAX: i32 = 16;
const PER_SIGN: usize = (EXP_MAX - EXP_MIN) as usize * SUB_BUCKETS;
/// Buckets: negative values, zero, positive values.
pub const BUCKETS: usize = 2 * PER_SIGN + 1;
/// Largest relative error of a reported quantile inside the covered range.
pub const RELATIVE_ERROR: f64 = 1.0 / (2 * SUB_BUCKETS) as f64;

/// Bucket index of a value; indices increase with the value.
#[inline]
pub fn bucket(x: f64) -> usize {
    let magnitude = x.abs();
    // Also sends NaN to the zero bucket; the engine never produces NaN (tested).
    let smallest = f64::from_bits(((EXP_MIN + 1023) as u64) << 52);
    if magnitude < smallest || magnitude.is_nan() {
        return PER_SIGN;
    }
    let bits = magnitude.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1023;
    let offset = if exponent >= EXP_MAX {
        PER_SIGN - 1
    } else {
        let mantissa = ((bits >> (52 - MANTISSA_BITS)) & (SUB_BUCKETS as u64 - 1)) as usize;
        (exponent - EXP_MIN) as usize * SUB_BUCKETS + mantissa
    };
    if x > 0.0 {
        PER_SIGN + 1 + offset
    } else {
        PER_SIGN - 1 - offset
    }
}

/// The value a bucket reports: the midpoint of its range.
pub fn representative(index: usize) -> f64 {
    if index == PER_SIGN {
        return 0.0;
    }
    let (low, high) = bucket_bounds(index);
    0.5 * (low + high)
}

/// The `j`-th (1-based) of `count` observations in bucket `index`, read as spread evenly
/// over the bucket's range.
fn within_bucket(index: usize, j: u64, count: u64) -> f64 {
    if index == PER_SIGN || count == 0 {
        return representative(index);
    }
    let (low, high) = bucket_bounds(index);
    low + (high - low) * ((j as f64 - 0.5) / count as f64)
}

/// The range `[low, high)` of values a bucket holds (by magnitude; the zero bucket holds
/// `(−2⁻¹⁶, 2⁻¹⁶)`), in increasing order of value.
pub fn bucket_bounds(index: usize) -> (f64, f64) {
    let smallest = 2f64.powi(EXP_MIN);
    if index == PER_SIGN {
        return (-smallest, smallest);
    }
    let (sign, offset) = if index > PER_SIGN {
        (1.0, index - PER_SIGN - 1)
    } else {
        (-1.0, PER_SIGN - 1 - index)
    };
    let exponent = (offset / SUB_BUCKETS) as i32 + EXP_MIN;
    let mantissa = (offset % SUB_BUCKETS) as f64;
    let low = 2f64.powi(exponent) * (1.0 + mantissa / SUB_BUCKETS as f64);
    let high = 2f64.powi(exponent) * (1.0 + (mantissa + 1.0) / SUB_BUCKETS as f64);
    if sign > 0.0 {
        (low, high)
    } else {
        (-high, -low)
    }
}

/// Counts per bucket. Serialised sparsely, as (bucket, count) pairs of the non-empty buckets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "SparseSketch", try_from = "SparseSketch")]
pub struct Sketch {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }
}

/// A two-sided 95 % order-statistic interval for a quantile, and the point estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantileEstimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Sketch {
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.counts[bucket(x)] += 1;
        self.total += 1;
    }

    pub fn reset(&mut self) {
        self.counts.fill(0);
        self.total = 0;
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn merge(&mut self, other: &Sketch) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
    }

    /// [`Self::merge`] with checked arithmetic, for sketches read from files: `None` on an
    /// overflow, never a wrapped count.
    pub fn checked_merge(&mut self, other: &Sketch) -> Option<()> {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.checked_add(*b)?;
        }
        self.total = self.total.checked_add(other.total)?;
        Some(())
    }

    /// The value of the `rank`-th smallest observation (1-based), to the sketch's precision:
    /// the `j`-th of the `c` observations in its bucket `[low, high)` is read at
    /// `low + (j − ½)/c · (high − low)` (the zero bucket at 0). A function of the integer counts
    /// alone, so as exact and order-free as the counts.
    pub fn value_at_rank(&self, rank: u64) -> f64 {
        let rank = rank.clamp(1, self.total.max(1));
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            if seen + count >= rank {
                return within_bucket(index, rank - seen, count);
            }
            seen += count;
        }
        f64::NAN
    }

    /// The `q`-quantile (the `⌈q·n⌉`-th smallest value) with its distribution-free 95 % interval:
    /// the order statistics at ranks `n·q ∓ 1.96·√(n·q·(1−q))`.
    pub fn quantile(&self, q: f64) -> QuantileEstimate {
        let n = self.total as f64;
        let centre = (q * n).ceil().max(1.0);
        let half = 1.959_963_984_540_054 * (n * q * (1.0 - q)).sqrt();
        // The interval is widened by the bucket resolution, so that it never claims more
        // precision than the sketch holds.
        let low = self.value_at_rank((n * q - half).floor().max(1.0) as u64);
        let high = self.value_at_rank(((n * q + half).ceil() + 1.0).min(n) as u64);
        QuantileEstimate {
            value: self.value_at_rank(centre as u64),
            low: low - low.abs() * RELATIVE_ERROR,
            high: high + high.abs() * RELATIVE_ERROR,
        }
    }

    /// The mean of the lowest `share` of observations (CVaR of the lower tail), from the bucket
    /// representatives — the bucket straddling the tail's edge contributes pro rata — with the
    /// CVaR estimator's standard error `√([Var_tail + (1 − f)(mean − VaR)²] / (n f))`.
    pub fn lower_tail_mean(&self, share: f64) -> (f64, f64) {
        let n = self.total as f64;
        let wanted = (share * n).max(1.0);
        let (mut taken, mut sum, mut square, mut edge) = (0.0, 0.0, 0.0, f64::NAN);
        for (index, &count) in self.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let take = (count as f64).min(wanted - taken);
            let value = representative(index);
            taken += take;
            sum += take * value;
            square += take * value * value;
            edge = value;
            if taken >= wanted {
                break;
            }
        }
        if taken == 0.0 {
            return (f64::NAN, f64::NAN);
        }
        let mean = sum / taken;
        let variance = (square / taken - mean * mean).max(0.0);
        let f = taken / n;
        let se = ((variance + (1.0 - f) * (mean - edge).powi(2)) / (n * f)).sqrt();
        (mean, se)
    }

    /// The non-empty buckets in increasing order, as (reported value, count): the whole
    /// distribution, for histograms.
    pub fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(index, &count)| (representative(index), count))
    }

    /// The share of observations at or above `x` (to bucket precision: the bucket holding `x`
    /// counts as above).
    pub fn share_at_least(&self, x: f64) -> f64 {
        let from = bucket(x);
        self.counts[from..].iter().sum::<u64>() as f64 / self.total.max(1) as f64
    }

    /// The number of observations above `x`, the bucket holding `x` counted in proportion to
    /// the part of its range above `x` (values spread evenly inside a bucket: the error is at
    /// most that bucket's count). Not an integer in general.
    pub fn count_above(&self, x: f64) -> f64 {
        let at = bucket(x);
        let above: u64 = self.counts[at + 1..].iter().sum();
        let (low, high) = bucket_bounds(at);
        let part = if high > low {
            ((high - x) / (high - low)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        above as f64 + part * self.counts[at] as f64
    }

    /// The share of observations above `x` ([`Self::count_above`] over the total).
    pub fn share_above(&self, x: f64) -> f64 {
        self.count_above(x) / self.total.max(1) as f64
    }

    /// Hill's tail index over the largest `share` of observations, each read as its bucket's
    /// representative (see [`TailSketch::hill`], which uses exact sums), with SE `α̂/√k`.
    pub fn hill(&self, share: f64) -> (f64, f64) {
        let buckets = (0..BUCKETS)
            .rev()
            .map(|i| (self.counts[i], representative(i), i));
        hill_over(buckets, (share * self.total as f64).max(1.0))
    }

    /// The mean of the observations at or above `x` (the bucket holding `x` counted whole),
    /// each read as its bucket's representative, with SE `sd/√k`.
    pub fn mean_at_least(&self, x: f64) -> (f64, f64) {
        let (mut count, mut sum, mut square) = (0.0, 0.0, 0.0);
        for index in bucket(x)..BUCKETS {
            let c = self.counts[index] as f64;
            let value = representative(index);
            count += c;
            sum += c * value;
            square += c * value * value;
        }
        mean_and_error(count, sum, square)
    }
}

/// Hill's estimator over buckets given from the largest down as (count, value, index): the
/// largest `wanted` observations. Whole buckets count at their value; the bucket straddling the
/// tail's edge is read as spread evenly over its range, so its taken part and the threshold
/// `u` (the k-th largest value) move smoothly with `wanted` rather than in bucket steps. The
/// standard error is the delta method's, `α̂²·sd(ln x)/√k`, which reduces to `α̂/√k` for an
/// exact Pareto tail and stays honest for a tail that is only close to one.
fn hill_over(buckets: impl Iterator<Item = (u64, f64, usize)>, wanted: f64) -> (f64, f64) {
    let (mut count, mut log_sum, mut log_square, mut threshold) = (0.0, 0.0, 0.0, f64::NAN);
    for (c, value, index) in buckets {
        if c == 0 {
            continue;
        }
        if value <= 0.0 {
            break;
        }
        let c = c as f64;
        let take = (wanted - count).min(c);
        let log = if take < c {
            let (low, high) = bucket_bounds(index);
            let width = (high - low) * take / c;
            threshold = high - width;
            (high - 0.5 * width).ln()
        } else {
            threshold = bucket_bounds(index).0;
            value.ln()
        };
        count += take;
        log_sum += take * log;
        log_square += take * log * log;
        if count >= wanted {
            break;
        }
    }
    if count < 2.0 || threshold.is_nan() || threshold <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let mean_log = log_sum / count;
    let excess = mean_log - threshold.ln();
    if excess <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let alpha = 1.0 / excess;
    let sd = (log_square / count - mean_log * mean_log).max(0.0).sqrt();
    (alpha, alpha * alpha * sd / count.sqrt())
}

fn mean_and_error(count: f64, sum: f64, square: f64) -> (f64, f64) {
    if count == 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = sum / count;
    let variance = (square / count - mean * mean).max(0.0);
    (mean, (variance / count).sqrt())
}

/// A sketch that also sums, per bucket, the values, their squares and a companion variable
/// (schedule slip beside cost): the mean of the worst tail and of its companion follow exactly
/// up to the one bucket that straddles the tail's edge. The sums are fixed-point integers (see
/// [`super::accumulate::Moments`]), so merging is exact in any order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "SparseTailSketch", try_from = "SparseTailSketch")]
pub struct TailSketch {
    pub sketch: Sketch,
    /// Per bucket: Σx, Σx², Σcompanion, Σcompanion² in fixed point.
    sums: Vec<[i128; 4]>,
}

impl Default for TailSketch {
    fn default() -> Self {
        TailSketch {
            sketch: Sketch::default(),
            sums: vec![[0; 4]; BUCKETS],
        }
    }
}

/// The serialised form of a [`Sketch`].
#[derive(Serialize, Deserialize)]
struct SparseSketch {
    total: u64,
    /// (bucket index, count) for every non-empty bucket, in bucket order.
    buckets: Vec<(u32, u64)>,
}

impl From<Sketch> for SparseSketch {
    fn from(s: Sketch) -> Self {
        SparseSketch {
            total: s.total,
            buckets: s
                .counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, c)| (i as u32, *c))
                .collect(),
        }
    }
}

impl TryFrom<SparseSketch> for Sketch {
    type Error = String;
    fn try_from(s: SparseSketch) -> Result<Self, String> {
        let mut sketch = Sketch::default();
        for (index, count) in s.buckets {
            let slot = sketch
                .counts
                .get_mut(index as usize)
                .ok_or_else(|| format!("sketch bucket {index} is beyond the last ({BUCKETS})"))?;
            *slot = count;
        }
        // Checked: counts from a file may add up past 2⁶⁴.
        let sum = sketch
            .counts
            .iter()
            .try_fold(0u64, |total, &count| total.checked_add(count));
        if sum != Some(s.total) {
            return Err("sketch counts do not add up to its total".into());
        }
        sketch.total = s.total;
        Ok(sketch)
    }
}

/// The serialised form of a [`TailSketch`].
#[derive(Serialize, Deserialize)]
struct SparseTailSketch {
    sketch: Sketch,
    /// (bucket index, [Σx, Σx², Σcompanion, Σcompanion²]) for every non-empty bucket.
    sums: Vec<(u32, [i128; 4])>,
}

impl From<TailSketch> for SparseTailSketch {
    fn from(t: TailSketch) -> Self {
        let sums = t
            .sums
            .iter()
            .enumerate()
            .filter(|(i, _)| t.sketch.counts[*i] > 0)
            .map(|(i, s)| (i as u32, *s))
            .collect();
        SparseTailSketch {
            sketch: t.sketch,
            sums,
        }
    }
}

impl TryFrom<SparseTailSketch> for TailSketch {
    type Error = String;
    fn try_from(t: SparseTailSketch) -> Result<Self, String> {
        let mut sums = vec![[0; 4]; BUCKETS];
        for (index, value) in t.sums {
            *sums
                .get_mut(index as usize)
                .ok_or_else(|| format!("tail bucket {index} is beyond the last ({BUCKETS})"))? =
                value;
        }
        Ok(TailSketch {
            sketch: t.sketch,
            sums,
        })
    }
}

/// Mean of the top tail of a variable and of its companion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailMean {
    pub mean: f64,
    /// Asymptotic standard error of the tail mean: `√([Var_tail + (1−f)(mean − VaR)²] / (n f))`
    /// for tail share `f` (the CVaR estimator's variance).
    pub standard_error: f64,
    pub companion_mean: f64,
    /// Standard error of the companion's tail mean, `sd_tail / √(n f)`.
    pub companion_standard_error: f64,
    pub threshold: f64,
}

impl TailSketch {
    #[inline]
    pub fn add(&mut self, x: f64, companion: f64) {
        let index = bucket(x);
        self.sketch.counts[index] += 1;
        self.sketch.total += 1;
        let (value, other) = (to_fixed(x) as i128, to_fixed(companion) as i128);
        let sums = &mut self.sums[index];
        sums[0] += value;
        sums[1] += value * value;
        sums[2] += other;
        sums[3] += other * other;
    }

    pub fn reset(&mut self) {
        self.sketch.reset();
        self.sums.fill([0; 4]);
    }

    pub fn merge(&mut self, other: &TailSketch) {
        self.sketch.merge(&other.sketch);
        for (mine, theirs) in self.sums.iter_mut().zip(&other.sums) {
            for k in 0..4 {
                mine[k] += theirs[k];
            }
        }
    }

    /// [`Self::merge`] with checked arithmetic: `None` on an overflow, never a wrapped sum.
    pub fn checked_merge(&mut self, other: &TailSketch) -> Option<()> {
        self.sketch.checked_merge(&other.sketch)?;
        for (mine, theirs) in self.sums.iter_mut().zip(&other.sums) {
            for k in 0..4 {
                mine[k] = mine[k].checked_add(theirs[k])?;
            }
        }
        Some(())
    }

    /// Whether every bucket's sums are possible for its count: the values' sum within the
    /// count times the bucket's range, the companion's within ±the fixed-point limit, and
    /// both sums of squares consistent ([`check_sums`]). Buckets without a count hold no sums.
    pub fn check_sums(&self) -> Result<(), String> {
        for (index, (&count, sums)) in self.sketch.counts.iter().zip(&self.sums).enumerate() {
            if count == 0 {
                if *sums != [0; 4] {
                    return Err(format!("tail bucket {index} has sums but no values"));
                }
                continue;
            }
            // The outermost buckets also hold every value beyond the sketch's range.
            let (low, high) = match index {
                0 => (-FIXED_POINT_LIMIT, bucket_bounds(index).1),
                i if i == BUCKETS - 1 => (bucket_bounds(index).0, FIXED_POINT_LIMIT),
                _ => bucket_bounds(index),
            };
            check_sums(count, sums[0], sums[1], low, high)
                .map_err(|e| format!("tail bucket {index}: {e}"))?;
            check_sums(
                count,
                sums[2],
                sums[3],
                -FIXED_POINT_LIMIT,
                FIXED_POINT_LIMIT,
            )
            .map_err(|e| format!("tail bucket {index} (companion): {e}"))?;
        }
        Ok(())
    }

    /// Hill's estimate of the tail index α over the largest `share` of observations (all
    /// positive): `k / Σ ln(x_j / u)` for the `k = n·share` largest values `x_j` and the
    /// threshold `u` at the tail's edge, with the delta-method standard error
    /// `α̂²·sd(ln x)/√k` (`α̂/√k` for an exact Pareto tail). Whole buckets count at their mean
    /// (exact sums); the bucket at the edge is read as spread evenly over its range.
    /// `(NaN, NaN)` without a positive tail.
    pub fn hill(&self, share: f64) -> (f64, f64) {
        let buckets = (0..BUCKETS).rev().map(|i| {
            let c = self.sketch.counts[i];
            let mean = if c == 0 {
                0.0
            } else {
                from_fixed(self.sums[i][0]) / c as f64
            };
            (c, mean, i)
        });
        hill_over(buckets, (share * self.sketch.total as f64).max(1.0))
    }

    /// The mean of the observations at or above `x`, from the exact per-bucket sums (the
    /// bucket holding `x` counted whole), with the standard error `sd/√k` of a mean of `k`
    /// values; `(NaN, NaN)` when none is at or above `x`.
    pub fn mean_at_least(&self, x: f64) -> (f64, f64) {
        let (mut count, mut sum, mut square) = (0.0, 0.0, 0.0);
        for index in bucket(x)..BUCKETS {
            count += self.sketch.counts[index] as f64;
            sum += from_fixed(self.sums[index][0]);
            square += from_fixed_square(self.sums[index][1]);
        }
        mean_and_error(count, sum, square)
    }

    /// Means over the largest `share` of observations; the straddling bucket contributes
    /// pro rata.
    pub fn upper_tail(&self, share: f64) -> TailMean {
        let n = self.sketch.total as f64;
        let wanted = (share * n).max(1.0);
        let (mut count, mut sum, mut square, mut companion, mut companion_square) =
            (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut threshold = f64::NAN;
        for index in (0..BUCKETS).rev() {
            let c = self.sketch.counts[index] as f64;
            if c == 0.0 {
                continue;
            }
            let take = (wanted - count).min(c) / c;
            let [
                value_sum,
                value_square_sum,
                companion_sum,
                companion_square_sum,
            ] = self.sums[index];
            let (value_sum, companion_sum) = (from_fixed(value_sum), from_fixed(companion_sum));
            count += take * c;
            sum += take * value_sum;
            square += take * from_fixed_square(value_square_sum);
            companion += take * companion_sum;
            companion_square += take * from_fixed_square(companion_square_sum);
            threshold = value_sum / c;
            if count >= wanted {
                break;
            }
        }
        let mean = sum / count;
        let variance = (square / count - mean * mean).max(0.0);
        let standard_error =
            ((variance + (1.0 - share) * (mean - threshold).powi(2)) / (n * share)).sqrt();
        let companion_mean = companion / count;
        let companion_variance =
            (companion_square / count - companion_mean * companion_mean).max(0.0);
        TailMean {
            mean,
            standard_error,
            companion_mean,
            companion_standard_error: (companion_variance / count).sqrt(),
            threshold,
        }
    }
}

#[path = "sketch_columns.rs"]
mod columns;
pub use columns::bucket_lanes;

#[cfg(test)]
#[path = "sketch_tests.rs"]
mod tests;
