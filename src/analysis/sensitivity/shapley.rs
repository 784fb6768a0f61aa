//! Shapley effects of dependent Gaussian inputs: each input's fair share of the output variance
//! when inputs are correlated, so that the shares add up to the whole. Owns the exact Gaussian
//! conditional sampler and the random-permutation estimator of Song, Nelson & Staum (2016); the
//! caller owns the map from normal space to the model's inputs.
//!
//! # The game
//!
//! Inputs live in normal space: `X ~ N(0, Σ)` on `d` coordinates, `Σ` positive definite. The
//! players are the `k` groups of coordinates given (every coordinate belongs to exactly one);
//! for a set `J` of players, `X_J` is their coordinates and `X_−J` the rest. The cost of `J` is
//! the "total" form recommended by Song et al.,
//! `c(J) = E[Var(Y | X_−J)]`, with `c(∅) = 0` and `c(all) = Var(Y)`, and the Shapley effect of
//! player `i` is `Sh_i = Σ_{J ∌ i} |J|!(k − |J| − 1)!/k! · (c(J ∪ {i}) − c(J))`, the average of
//! `i`'s marginal cost over all orders in which the players can join. The effects sum to
//! `Var(Y)`; this module reports them divided by the variance, so they sum to 1.
//!
//! # Estimator (random permutations)
//!
//! For `m = 1, …, M` (`permutations`): draw a uniformly random order `π` of the players; walk
//! it, adding one player at a time; after adding `π_t`, estimate the cost of the prefix set
//! `J_t = {π_1, …, π_t}` and credit the increment `Δ_{π_t, m} = ĉ_m(J_t) − ĉ_m(J_{t−1})` to the
//! player just added (`ĉ_m(J_0) = 0`). Each prefix cost is estimated afresh, with `N_O`
//! (`outer`) draws `x_−J ~ N(0, Σ)_−J` and, for each, `N_I` (`inner`) draws
//! `x_J ~ X_J | X_−J = x_−J`:
//! `ĉ(J) = (1/N_O) Σ_o s²_o`, where `s²_o` is the sample variance (denominator `N_I − 1`) of the
//! `N_I` outputs at outer draw `o` — an unbiased estimate of `c(J)`. The last prefix is the set
//! of all players, whose "conditional" draws are plain draws of `X`: so `V_m = ĉ_m(all)` is an
//! unbiased estimate of `Var(Y)` by the same formula, and the permutation's increments add up
//! to it. Song et al. recommend `N_O = 1`, `N_I = 3` and as many permutations as the budget
//! allows. Cost: `M · k · N_O · N_I` evaluations.
//!
//! Conditional sampling is exact for a Gaussian: with `R = −J`,
//! `X_J | X_R = x_R ~ N(Σ_JR Σ_RR⁻¹ x_R, Σ_JJ − Σ_JR Σ_RR⁻¹ Σ_RJ)`, drawn through the Cholesky
//! factor of the conditional covariance (computed once per block and set, and cached within a
//! chunk of permutations). The outer draws `x_R` are taken from a draw of the whole `X = L z`.
//!
//! # Normalisation and standard errors
//!
//! `V̂ = (1/M) Σ_m V_m` is the reported variance and `ŝ_i = (1/M) Σ_m Δ_{i,m} / V̂` the effect;
//! since each permutation's increments add to `V_m`, the effects sum to 1 exactly. The standard
//! error comes from the per-permutation increments: `SE_i = sd_m(u_{i,m}) / √M`, where
//! `u_{i,m} = (Δ_{i,m} − ŝ_i V_m) / V̂` is the normalised increment linearised for the ratio
//! (delta method), so the noise of `V̂` is counted too; the sd has denominator `M − 1`. The 95 %
//! interval is normal, `ŝ_i ± 1.96 SE_i`. Effects are not clamped to `[0, 1]`.
//!
//! References: E. Song, B. L. Nelson & J. Staum (2016), *Shapley effects for global sensitivity
//! analysis: theory and computation*, SIAM/ASA J. Uncertainty Quantification 4, 1060–1083;
//! B. Iooss & C. Prieur (2019), *Shapley effects for sensitivity analysis with correlated
//! inputs*, Int. J. Uncertainty Quantification 9, 493–514.

use super::{
    Index, NORMAL_95, SensitivityError, mean_and_sd, stream_seed, validate_groups,
    variance_is_negligible,
};
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng, seq::SliceRandom};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// Permutations walked by one task with one random stream: fixed, so results do not depend on
/// the number of threads.
const PERMUTATIONS_PER_CHUNK: usize = 32;
/// Bytes of conditional samplers' pieces one chunk keeps cached ([`PieceCache`]). With 256
/// factors a piece holds up to 256² numbers (512 KiB) and a chunk meets ~8 000 distinct sets:
/// unbounded, the cache took gigabytes.
const SAMPLER_CACHE_BYTES: usize = 32 * 1024 * 1024;
/// Two entries `Σ_ij`, `Σ_ji` differing by more than this fraction of `√(Σ_ii Σ_jj)` make the
/// matrix asymmetric rather than rounded.
const SYMMETRY_TOLERANCE: f64 = 1e-9;

/// Shapley effects, one per group in the order given, normalised to sum to 1.
#[derive(Debug, Clone, Serialize)]
pub struct ShapleyEffects {
    pub effects: Vec<Index>,
    /// Estimated output variance `V̂` (the mean over permutations of `ĉ(all players)`).
    pub variance: f64,
    pub permutations: usize,
    /// Model evaluations spent: `permutations · groups · outer · inner`.
    pub evaluations: usize,
}

/// Shapley effects of `model` for inputs `X ~ N(0, covariance)`, by the random-permutation
/// algorithm described in the module docs.
///
/// `model` maps a point of normal space (one value per row of `covariance`) to the output.
/// `groups[g]` lists the coordinates of player `g`; every coordinate must belong to exactly
/// one. Each of the `permutations` random orders estimates `groups.len()` costs with `outer`
/// × `inner` conditional samples (Song et al. recommend `outer = 1`, `inner = 3`).
pub fn shapley_effects<F: Fn(&[f64]) -> f64 + Sync>(
    model: F,
    covariance: &DMatrix<f64>,
    groups: &[(String, Vec<usize>)],
    permutations: usize,
    outer: usize,
    inner: usize,
    seed: u64,
) -> Result<ShapleyEffects, SensitivityError> {
    let game = Permutations {
        covariance,
        groups,
        permutations,
        outer,
        inner,
        seed,
    };
    let dimensions = covariance.nrows().max(1);
    shapley_effects_with(
        || (),
        |_: &mut (), points: &[f64], outputs: &mut [f64]| {
            for (point, output) in points.chunks(dimensions).zip(outputs) {
                *output = model(point);
            }
        },
        &game,
        &crate::engine::NoObserver,
    )
}

/// The problem of [`shapley_effects_with`]: see [`shapley_effects`] for each part.
pub struct Permutations<'a> {
    pub covariance: &'a DMatrix<f64>,
    pub groups: &'a [(String, Vec<usize>)],
    pub permutations: usize,
    pub outer: usize,
    pub inner: usize,
    pub seed: u64,
}

/// [`shapley_effects`] for a model that needs scratch space (`init` makes one per chunk of
/// permutations: the results do not depend on it) and evaluates points together:
/// `model(state, points, outputs)` writes the output of each point of `points` (one after
/// another, a row of `covariance` each) to `outputs`, a permutation's `groups · outer · inner`
/// points at a time. Told to `observer` one permutation at a time, which may stop the work
/// ([`SensitivityError::Interrupted`]).
pub fn shapley_effects_with<S, I, F>(
    init: I,
    model: F,
    problem: &Permutations,
    observer: &dyn crate::engine::Observer,
) -> Result<ShapleyEffects, SensitivityError>
where
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &[f64], &mut [f64]) + Sync,
{
    let Permutations {
        covariance,
        groups,
        permutations,
        outer,
        inner,
        seed,
    } = *problem;
    let sigma = checked_covariance(covariance)?;
    let dimensions = sigma.nrows();
    let owner = validate_groups(dimensions, groups)?;
    let owner: Vec<usize> = owner
        .iter()
        .enumerate()
        .map(|(coordinate, player)| {
            player.ok_or(SensitivityError::UngroupedCoordinate { coordinate })
        })
        .collect::<Result<_, _>>()?;
    for (what, given, minimum) in [
        ("permutations", permutations, 2),
        ("outer samples", outer, 1),
        ("inner samples", inner, 2),
    ] {
        if given < minimum {
            return Err(SensitivityError::TooFew {
                what,
                given,
                minimum,
            });
        }
    }
    let players = groups.len();
    let evaluations = [players, outer, inner]
        .iter()
        .try_fold(permutations, |product, &factor| product.checked_mul(factor))
        .ok_or_else(|| SensitivityError::TooLarge {
            what: format!(
                "{permutations} permutations × {players} groups × {outer} outer × {inner} inner"
            ),
        })?;
    let factor = sigma
        .clone()
        .cholesky()
        .ok_or_else(|| SensitivityError::NotPositiveDefinite {
            detail: "its Cholesky factorisation fails (a variance is not positive, or the \
                     correlations are inconsistent)"
                .into(),
        })?
        .l();

    let components = components(&sigma, &factor);
    let game = Game {
        sigma: &sigma,
        components: &components,
        owner: &owner,
        groups,
        outer,
        inner,
    };
    let chunks = permutations.div_ceil(PERMUTATIONS_PER_CHUNK);
    let walked: Vec<Result<Vec<Walk>, SensitivityError>> = (0..chunks)
        .into_par_iter()
        .map(|chunk| {
            let first = chunk * PERMUTATIONS_PER_CHUNK;
            let count = PERMUTATIONS_PER_CHUNK.min(permutations - first);
            let mut state = init();
            let mut model =
                |points: &[f64], outputs: &mut [f64]| model(&mut state, points, outputs);
            game.walk_chunk(&mut model, count, stream_seed(seed, chunk as u64), observer)
        })
        .collect();
    let mut walks = Vec::with_capacity(permutations);
    for chunk in walked {
        walks.extend(chunk?);
    }

    let count = walks.len() as f64;
    let variance = walks.iter().map(|w| w.variance).sum::<f64>() / count;
    let mean = walks.iter().map(|w| w.mean).sum::<f64>() / count;
    if variance_is_negligible(variance, mean) {
        return Err(SensitivityError::ZeroVariance { variance, mean });
    }
    let effects = groups
        .iter()
        .enumerate()
        .map(|(player, (name, _))| {
            let estimate =
                walks.iter().map(|w| w.increments[player]).sum::<f64>() / count / variance;
            let linearised: Vec<f64> = walks
                .iter()
                .map(|w| (w.increments[player] - estimate * w.variance) / variance)
                .collect();
            let standard_error = mean_and_sd(&linearised).1 / count.sqrt();
            Index {
                name: name.clone(),
                estimate,
                low: estimate - NORMAL_95 * standard_error,
                high: estimate + NORMAL_95 * standard_error,
                standard_error,
            }
        })
        .collect();
    Ok(ShapleyEffects {
        effects,
        variance,
        permutations,
        evaluations,
    })
}

/// Checks that `covariance` is square, finite and symmetric up to rounding; returns its
/// symmetric part (positive definiteness is checked by the Cholesky factorisation).
fn checked_covariance(covariance: &DMatrix<f64>) -> Result<DMatrix<f64>, SensitivityError> {
    let (rows, columns) = covariance.shape();
    if rows != columns {
        return Err(SensitivityError::NotSquare { rows, columns });
    }
    if rows == 0 {
        return Err(SensitivityError::NoDimensions);
    }
    for row in 0..rows {
        for column in 0..columns {
            let value = covariance[(row, column)];
            if !value.is_finite() {
                return Err(SensitivityError::NonFiniteCovariance { row, column, value });
            }
        }
    }
    for row in 0..rows {
        for column in row + 1..columns {
            let (upper, lower) = (covariance[(row, column)], covariance[(column, row)]);
            let scale = (covariance[(row, row)] * covariance[(column, column)])
                .abs()
                .sqrt();
            if (upper - lower).abs() > SYMMETRY_TOLERANCE * scale {
                return Err(SensitivityError::NotSymmetric {
                    row,
                    column,
                    upper,
                    lower,
                });
            }
        }
    }
    Ok((covariance + covariance.transpose()) * 0.5)
}

/// What one permutation leaves: the increment credited to each player, and the estimated
/// variance `V_m = ĉ_m(all)` and output mean of its last step.
struct Walk {
    increments: Vec<f64>,
    variance: f64,
    mean: f64,
}

/// The fixed parts of the problem, shared by every chunk.
struct Game<'a> {
    sigma: &'a DMatrix<f64>,
    /// The independent blocks of `Σ` (see [`Component`]).
    components: &'a [Component],
    /// The player owning each coordinate.
    owner: &'a [usize],
    groups: &'a [(String, Vec<usize>)],
    outer: usize,
    inner: usize,
}

impl Game<'_> {
    /// Walks `count` random permutations with the stream seeded by `chunk_seed`. A
    /// permutation's conditional points are all drawn first, in the order of its steps, and
    /// then evaluated together: the model draws no random numbers, so the stream and every
    /// point are those of evaluating each point as it is drawn.
    fn walk_chunk<F: FnMut(&[f64], &mut [f64])>(
        &self,
        model: &mut F,
        count: usize,
        chunk_seed: u64,
        observer: &dyn crate::engine::Observer,
    ) -> Result<Vec<Walk>, SensitivityError> {
        let players = self.groups.len();
        let dimensions = self.owner.len();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(chunk_seed);
        let mut cache = PieceCache::new(self.components.len());
        let per_step = self.outer * self.inner;
        let mut buffers = Buffers {
            normals: vec![0.0; dimensions],
            joint: vec![0.0; dimensions],
            centre: vec![0.0; dimensions],
            point: vec![0.0; dimensions],
            points: Vec::with_capacity(players * per_step * dimensions),
            outputs: vec![0.0; players * per_step],
        };
        let mut walks = Vec::with_capacity(count);
        let per_permutation = (players * per_step) as u64;
        for _ in 0..count {
            if observer.should_stop() {
                return Err(SensitivityError::Interrupted);
            }
            let mut order: Vec<usize> = (0..players).collect();
            order.shuffle(&mut rng);
            let mut joined = vec![false; players];
            buffers.points.clear();
            for &player in &order {
                joined[player] = true;
                let sampler = cache.sampler(self, &joined)?;
                self.draw_points(&sampler, &mut rng, &mut buffers);
            }
            model(&buffers.points, &mut buffers.outputs);
            if let Some(bad) = buffers.outputs.iter().position(|y| !y.is_finite()) {
                return Err(SensitivityError::NonFiniteOutput {
                    value: buffers.outputs[bad],
                    point: buffers.points[bad * dimensions..(bad + 1) * dimensions].to_vec(),
                });
            }
            let mut increments = vec![0.0; players];
            let (mut previous, mut last_mean) = (0.0, 0.0);
            for (&player, outputs) in order.iter().zip(buffers.outputs.chunks(per_step)) {
                let (cost, mean) = self.cost(outputs);
                increments[player] = cost - previous;
                (previous, last_mean) = (cost, mean);
            }
            observer.advance(per_permutation);
            walks.push(Walk {
                increments,
                variance: previous,
                mean: last_mean,
            });
        }
        Ok(walks)
    }

    /// The `outer × inner` points of one cost estimate for the set behind `sampler`, appended
    /// to `buffers.points`.
    fn draw_points(
        &self,
        sampler: &ConditionalSampler,
        rng: &mut Xoshiro256PlusPlus,
        buffers: &mut Buffers,
    ) {
        let Buffers {
            normals,
            joint,
            centre,
            point,
            points,
            ..
        } = buffers;
        for _ in 0..self.outer {
            // x_−J: each block with conditioning coordinates drawn whole, X_C = L_C z (its
            // coordinates in J are overwritten by the inner draws below).
            for &k in &sampler.conditioned {
                let component = &self.components[k];
                let size = component.coordinates.len();
                fill_normals(rng, &mut normals[..size]);
                lower_times(&component.factor, &normals[..size], &mut joint[..size]);
                for (&c, &x) in component.coordinates.iter().zip(&joint[..size]) {
                    point[c] = x;
                }
            }
            // Conditional means Σ_JR Σ_RR⁻¹ x_R per block (zero when nothing is conditioned on).
            let mut slot = 0;
            for piece in &sampler.pieces {
                for i in 0..piece.set.len() {
                    centre[slot] = piece
                        .rest
                        .iter()
                        .enumerate()
                        .map(|(r, &c)| piece.weights[(i, r)] * point[c])
                        .sum();
                    slot += 1;
                }
            }
            for _ in 0..self.inner {
                let mut slot = 0;
                for piece in &sampler.pieces {
                    let draws = &mut normals[..piece.set.len()];
                    fill_normals(rng, draws);
                    for (i, &c) in piece.set.iter().enumerate() {
                        let spread: f64 = (0..=i).map(|t| piece.factor[(i, t)] * draws[t]).sum();
                        point[c] = centre[slot] + spread;
                        slot += 1;
                    }
                }
                points.extend_from_slice(point);
            }
        }
    }

    /// `ĉ(J) = (1/N_O) Σ_o s²_o` from the outputs of one cost estimate's points (outer draw
    /// by outer draw), and the mean of those outputs.
    fn cost(&self, outputs: &[f64]) -> (f64, f64) {
        let (mut variance_sum, mut output_sum) = (0.0, 0.0);
        for outputs in outputs.chunks(self.inner) {
            let (mean, sd) = mean_and_sd(outputs);
            variance_sum += sd * sd;
            output_sum += mean;
        }
        let outer = self.outer as f64;
        (variance_sum / outer, output_sum / outer)
    }
}

/// Scratch space reused by every cost estimate of a chunk.
struct Buffers {
    normals: Vec<f64>,
    joint: Vec<f64>,
    centre: Vec<f64>,
    point: Vec<f64>,
    /// A permutation's points, one after another.
    points: Vec<f64>,
    /// Their outputs.
    outputs: Vec<f64>,
}

/// An independent block of `Σ`: coordinates correlated (directly or through others) only with
/// each other, and the lower Cholesky factor of their covariance. Conditioning acts within a
/// block, so a set's sampler is factored block by block: with the study's inputs, one block of
/// correlated factor normals and one block per other coordinate, instead of one matrix of them all.
struct Component {
    coordinates: Vec<usize>,
    factor: DMatrix<f64>,
}

/// The blocks of `sigma` (connected components of its non-zero pattern), in the order of their
/// first coordinate, with their factors taken from the whole factor `L` (the factor of a block
/// of a block-diagonal matrix is the block of its factor).
fn components(sigma: &DMatrix<f64>, factor: &DMatrix<f64>) -> Vec<Component> {
    let dimensions = sigma.nrows();
    let mut label: Vec<Option<usize>> = vec![None; dimensions];
    let mut components = Vec::new();
    for start in 0..dimensions {
        if label[start].is_some() {
            continue;
        }
        let id = components.len();
        let mut members = vec![start];
        label[start] = Some(id);
        let mut next = 0;
        while next < members.len() {
            let c = members[next];
            next += 1;
            for other in 0..dimensions {
                if label[other].is_none() && sigma[(c, other)] != 0.0 {
                    label[other] = Some(id);
                    members.push(other);
                }
            }
        }
        members.sort_unstable();
        let block = DMatrix::from_fn(members.len(), members.len(), |i, j| {
            factor[(members[i], members[j])]
        });
        components.push(Component {
            coordinates: members,
            factor: block,
        });
    }
    components
}

/// Exact sampler of `X_J | X_R` for one set `J` of players (`R` = the other coordinates), block
/// by block.
struct ConditionalSampler<'a> {
    /// The blocks with coordinates in `R`: drawn whole for each outer sample.
    conditioned: Vec<usize>,
    /// One piece per block with coordinates in `J`.
    pieces: Vec<&'a Piece>,
}

/// The pieces met so far, per block and keyed by which of the block's coordinates are in `J`.
/// A piece depends on its block's part of `J` only, so a walk that adds a player outside a
/// block reuses the block's piece: with the study's inputs, one block of correlated factor
/// normals and one block per other coordinate, the factor block is factorised once per factor
/// joining a walk rather than once per player. Past [`SAMPLER_CACHE_BYTES`] the cache is
/// emptied; pieces are a pure function of their block and set, so the results do not change,
/// only some factorisations are repeated.
struct PieceCache {
    blocks: Vec<HashMap<Vec<bool>, Piece>>,
    bytes: usize,
    /// Per block, its coordinates' membership in `J` (reused).
    keys: Vec<Vec<bool>>,
}

impl PieceCache {
    fn new(blocks: usize) -> Self {
        PieceCache {
            blocks: (0..blocks).map(|_| HashMap::new()).collect(),
            bytes: 0,
            keys: vec![Vec::new(); blocks],
        }
    }

    /// The sampler of the set `joined` (a flag per player).
    fn sampler(
        &mut self,
        game: &Game,
        joined: &[bool],
    ) -> Result<ConditionalSampler<'_>, SensitivityError> {
        if self.bytes > SAMPLER_CACHE_BYTES {
            self.blocks.iter_mut().for_each(HashMap::clear);
            self.bytes = 0;
        }
        let mut conditioned = Vec::new();
        for (k, component) in game.components.iter().enumerate() {
            let key = &mut self.keys[k];
            key.clear();
            key.extend(component.coordinates.iter().map(|&c| joined[game.owner[c]]));
            if key.iter().any(|&inside| !inside) {
                conditioned.push(k);
            }
            if key.iter().any(|&inside| inside) && !self.blocks[k].contains_key(key.as_slice()) {
                let piece = Piece::new(game, component, key, joined)?;
                self.bytes += piece.bytes();
                self.blocks[k].insert(key.clone(), piece);
            }
        }
        let pieces = self
            .keys
            .iter()
            .zip(&self.blocks)
            .filter_map(|(key, block)| block.get(key.as_slice()))
            .collect();
        Ok(ConditionalSampler {
            conditioned,
            pieces,
        })
    }
}

/// The conditional law of one block's coordinates in `J` given its coordinates in `R`.
struct Piece {
    /// Coordinates in `J`, ascending.
    set: Vec<usize>,
    /// Coordinates in `R`, ascending.
    rest: Vec<usize>,
    /// `Σ_JR Σ_RR⁻¹` (`|J| × |R|`) within the block.
    weights: DMatrix<f64>,
    /// Lower Cholesky factor of `Σ_JJ − Σ_JR Σ_RR⁻¹ Σ_RJ` within the block.
    factor: DMatrix<f64>,
}

impl Piece {
    /// Its heap size, roughly: what it costs in the cache.
    fn bytes(&self) -> usize {
        8 * (self.weights.len() + self.factor.len() + self.set.len() + self.rest.len()) + 64
    }

    /// The piece of block `component` whose coordinates in `J` are flagged in `key` (at least
    /// one); `joined` names the set in errors.
    fn new(
        game: &Game,
        component: &Component,
        key: &[bool],
        joined: &[bool],
    ) -> Result<Self, SensitivityError> {
        let not_definite = |what: &str| {
            let names: Vec<&str> = (0..joined.len())
                .filter(|&p| joined[p])
                .map(|p| game.groups[p].0.as_str())
                .collect();
            SensitivityError::NotPositiveDefinite {
                detail: format!(
                    "the {what} of {names:?} given the other inputs cannot be factorised in \
                     floating point (the matrix is nearly singular)"
                ),
            }
        };
        let block = |rows: &[usize], columns: &[usize]| {
            DMatrix::from_fn(rows.len(), columns.len(), |i, j| {
                game.sigma[(rows[i], columns[j])]
            })
        };
        let (mut set, mut rest) = (Vec::new(), Vec::new());
        for (&c, &inside) in component.coordinates.iter().zip(key) {
            if inside { set.push(c) } else { rest.push(c) }
        }
        if rest.is_empty() {
            // Conditioning on nothing: the block's own factor.
            return Ok(Piece {
                weights: DMatrix::zeros(set.len(), 0),
                factor: component.factor.clone(),
                set,
                rest,
            });
        }
        let rest_rest = block(&rest, &rest)
            .cholesky()
            .ok_or_else(|| not_definite("covariance of the conditioning inputs"))?;
        let rest_set = block(&rest, &set);
        // Σ_RR⁻¹ Σ_RJ, then its transpose is the regression of X_J on X_R.
        let solved = rest_rest.solve(&rest_set);
        let conditional = block(&set, &set) - rest_set.transpose() * &solved;
        let conditional = (&conditional + conditional.transpose()) * 0.5;
        let factor = conditional
            .cholesky()
            .ok_or_else(|| not_definite("conditional covariance"))?
            .l();
        Ok(Piece {
            set,
            rest,
            weights: solved.transpose(),
            factor,
        })
    }
}

fn fill_normals(rng: &mut Xoshiro256PlusPlus, values: &mut [f64]) {
    for value in values {
        *value = rng.sample(StandardNormal);
    }
}

/// `out = L z` for lower-triangular `L`.
fn lower_times(lower: &DMatrix<f64>, z: &[f64], out: &mut [f64]) {
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = (0..=i).map(|t| lower[(i, t)] * z[t]).sum();
    }
}
