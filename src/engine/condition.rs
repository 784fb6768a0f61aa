//! Conditioning one drawn trial on what a running project has shown (`crmcast update`,
//! docs/UPDATE.md): the factors observed present or absent so far, exactly, through the
//! Gaussian copula; an observed severity; and which factors have already struck (locked: no
//! option from now can mitigate them away).
//!
//! The trial's independent factor normals `e` are walked in catalogue order (GHK: Geweke,
//! Hajivassiliou and Keane; Genz 1992). For an observed factor `i`, given `e_1..e_{i−1}`, the
//! likelihood is `a·1{e_i < c} + b·1{e_i ≥ c}` with `c = (t_i − Σ_{j<i} L_ij e_j)/L_ii`; the
//! trial's weight is multiplied by the likelihood's mass under `e_i ~ N(0, 1)` and `e_i` is
//! replaced by the tilted normal's quantile at the trial's own `u = Φ(e_i)`, so the trial keeps
//! every other draw and stays coupled to the prior. Unknown factors keep `e_i` bit for bit.
//! Pure: no I/O; the caller owns the random streams.

use super::batch_seed;
use super::sampling::fast_normal_inverse;
use super::trial::{CompiledScenario, TrialScratch};
use crate::model::distribution::Severity;
use rand::{Rng, RngExt};

/// The side stream's seed tweak (ASCII "Update"): batch `b` of a run with seed `s` draws its
/// strike times from `batch_seed(s ^ SIDE_STREAM_TWEAK, b)`, never from the trial's stream, so
/// the update's trials are `crmcast run`'s trials.
pub const SIDE_STREAM_TWEAK: u64 = 0x5570_6461_7465;

/// The seed of batch `batch`'s side stream.
pub fn side_seed(seed: u64, batch: u64) -> u64 {
    batch_seed(seed ^ SIDE_STREAM_TWEAK, batch)
}

/// What is known of one factor at the status, in the form the conditioning needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FactorState {
    Unknown,
    AbsentSoFar,
    /// Struck; `severity_uniform` is the severity uniform `v = F(s_obs / g)` of an observed
    /// severity ([`severity_uniform`]).
    Present {
        severity_uniform: Option<f64>,
    },
}

/// One observed factor: its index and likelihood `a·1{z < t} + b·1{z ≥ t}`.
#[derive(Debug, Clone, Copy)]
struct Observed {
    factor: usize,
    a: f64,
    b: f64,
    severity_uniform: Option<f64>,
}

/// A status compiled against a compiled scenario whose strategy `plan` is the plan as it
/// stands (the continue option).
#[derive(Debug, Clone)]
pub struct Conditioning {
    plan: usize,
    /// `f = min(t/D, 1)`: the fraction of the planned duration elapsed.
    fraction: f64,
    states: Vec<FactorState>,
    observed: Vec<Observed>,
}

/// `Φ(x)` to full relative precision in both tails.
#[inline]
fn phi(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// `Φ⁻¹(p)` with `p` kept inside the open unit interval.
#[inline]
fn phi_inverse(p: f64) -> f64 {
    fast_normal_inverse(p.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0))
}

impl Conditioning {
    /// `fraction` is `f = min(t/D, 1)`; `states` has one entry per factor.
    pub fn new(plan: usize, fraction: f64, states: Vec<FactorState>) -> Conditioning {
        let observed = states
            .iter()
            .enumerate()
            .filter_map(|(factor, state)| match *state {
                FactorState::Unknown => None,
                // Present: struck by now (probability f given present, a constant, dropped).
                FactorState::Present { severity_uniform } => Some(Observed {
                    factor,
                    a: 1.0,
                    b: 0.0,
                    severity_uniform,
                }),
                // Absent so far: absent, or present and striking after now (1 − f).
                FactorState::AbsentSoFar => Some(Observed {
                    factor,
                    a: 1.0 - fraction,
                    b: 1.0,
                    severity_uniform: None,
                }),
            })
            .collect();
        Conditioning {
            plan,
            fraction,
            states,
            observed,
        }
    }

    /// Observed factors, in catalogue order (the order of the terms [`Self::condition`] writes).
    pub fn observed_factors(&self) -> impl Iterator<Item = usize> + '_ {
        self.observed.iter().map(|o| o.factor)
    }

    /// Whether conditioning leaves the plan's outcome untouched (no factor observed): then the
    /// trial before and after conditioning is the same trial for the plan.
    pub fn leaves_plan_alone(&self) -> bool {
        self.observed.is_empty()
    }

    /// Condition a trial drawn by [`CompiledScenario::draw_raw`] (before `finish_draw`): move
    /// the observed factors' normals and severity uniforms, write each observed factor's log
    /// GHK factor into `terms` (one per observed factor) and return their sum, the trial's log
    /// weight from the factors. `−∞`: the trial cannot show this status.
    pub fn condition(
        &self,
        compiled: &CompiledScenario,
        scratch: &mut TrialScratch,
        terms: &mut [f64],
    ) -> f64 {
        let correlation = compiled.correlation();
        let e = &mut scratch.independent;
        let mut total = 0.0;
        for (k, obs) in self.observed.iter().enumerate() {
            let i = obs.factor;
            let row = correlation.lower_row(i);
            // The same sum, in the same order, as `CorrelationModel::correlate`.
            let mu: f64 = row[..i].iter().zip(&e[..i]).map(|(l, e)| l * e).sum();
            let diagonal = row[i];
            let threshold = compiled.threshold(self.plan, i);
            let c = (threshold - mu) / diagonal;
            let (below, above) = (phi(c), phi(-c));
            let lower_mass = obs.a * below;
            let upper_mass = obs.b * above;
            let mass = lower_mass + upper_mass;
            terms[k] = mass.ln();
            total += terms[k];
            if mass.is_nan() || mass <= 0.0 {
                continue;
            }
            // u = Φ(e_i), 1 − u = Φ(−e_i), each to full precision.
            let (u, v) = (phi(e[i]), phi(-e[i]));
            let lower = u * mass < lower_mass;
            let moved = if lower {
                // Quantile u·mass/A of N(0, 1) truncated to (−∞, c).
                phi_inverse(below * (u * mass / lower_mass).min(1.0))
            } else {
                // Quantile of the part above c, written through the complement for the tail.
                -phi_inverse(above * (v * mass / upper_mass).min(1.0))
            };
            e[i] = settle(moved, mu, diagonal, threshold, lower);
            if let Some(v) = obs.severity_uniform {
                scratch.severity_uniform[i] = v;
            }
        }
        total
    }

    /// Draw the trial's strike times from the side stream (one uniform per factor, always) and
    /// list the factors locked at the status: those present, and the unknown ones whose strike
    /// time `τ_i·D` is before now. Absent-so-far factors are never locked.
    pub fn locks<R: Rng>(&self, side: &mut R, locked: &mut Vec<usize>) {
        locked.clear();
        for (i, state) in self.states.iter().enumerate() {
            let tau = side.random::<f64>();
            match state {
                FactorState::Present { .. } => locked.push(i),
                FactorState::Unknown if tau < self.fraction => locked.push(i),
                _ => {}
            }
        }
    }

    /// Lock `locked` to the plan's threshold and severity in every strategy (between
    /// `draw_raw` and `finish_draw`).
    pub fn lock(&self, compiled: &CompiledScenario, scratch: &mut TrialScratch, locked: &[usize]) {
        for &i in locked {
            compiled.lock(scratch, i, self.plan);
        }
    }

    /// Undo [`Self::lock`] (after the trial is evaluated).
    pub fn unlock(
        &self,
        compiled: &CompiledScenario,
        scratch: &mut TrialScratch,
        locked: &[usize],
    ) {
        for &i in locked {
            compiled.unlock(scratch, i);
        }
    }
}

/// A trial's factor normals and severity uniforms as drawn, kept to evaluate the plan on the
/// unconditioned trial (the prior) before conditioning it.
#[derive(Debug, Clone, Default)]
pub struct RawDraw {
    independent: Vec<f64>,
    severity: Vec<f64>,
}

impl RawDraw {
    pub fn save(&mut self, scratch: &TrialScratch) {
        self.independent.clone_from(&scratch.independent);
        self.severity.clone_from(&scratch.severity_uniform);
    }

    pub fn restore(&self, scratch: &mut TrialScratch) {
        scratch.independent.copy_from_slice(&self.independent);
        scratch.severity_uniform.copy_from_slice(&self.severity);
    }
}

/// Make sure `z = μ + L_ii·x` lands on the side of the threshold the tilted draw chose (below
/// for the lower part), stepping `x` by ulps if rounding put it on the boundary.
#[inline]
fn settle(x: f64, mu: f64, diagonal: f64, threshold: f64, lower: bool) -> f64 {
    let inside = |x: f64| {
        let z = mu + diagonal * x;
        if lower { z < threshold } else { z >= threshold }
    };
    let mut x = x;
    for _ in 0..256 {
        if inside(x) {
            return x;
        }
        x = if lower { x.next_down() } else { x.next_up() };
    }
    x
}

/// The severity uniform `v = F(x)` at which the severity law gives `x`, or `None` when `x` is
/// outside the law's support (for a fixed severity: unless `x` is that value, to 1e-9).
pub fn severity_uniform(law: Severity, x: f64) -> Option<f64> {
    // The status validator accepts a rating within 1e-9 of the support's ends (the severity
    // rescaled by several multipliers rounds): read such a rating at the end it touches.
    let (low, high) = match law {
        Severity::Fixed { value } => (value, value),
        Severity::Uniform { min, max } | Severity::Triangular { min, max, .. } => (min, max),
        Severity::Kumaraswamy { .. } => (0.0, 1.0),
    };
    let x = if (low - 1e-9..=high + 1e-9).contains(&x) {
        x.clamp(low, high)
    } else {
        x
    };
    let v = match law {
        Severity::Fixed { value } => {
            return ((x - value).abs() <= 1e-9).then_some(0.5);
        }
        Severity::Uniform { min, max } => {
            if !(min..=max).contains(&x) {
                return None;
            }
            if max > min {
                (x - min) / (max - min)
            } else {
                0.5
            }
        }
        Severity::Triangular { min, mode, max } => {
            if !(min..=max).contains(&x) {
                return None;
            }
            let width = max - min;
            if width <= 0.0 {
                0.5
            } else if x <= mode {
                if mode > min {
                    (x - min) * (x - min) / (width * (mode - min))
                } else {
                    0.0
                }
            } else {
                1.0 - (max - x) * (max - x) / (width * (max - mode))
            }
        }
        Severity::Kumaraswamy { a, b } => {
            if !(0.0..=1.0).contains(&x) {
                return None;
            }
            1.0 - (1.0 - x.powf(a)).powf(b)
        }
    };
    Some(v.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rating_a_rounding_beyond_the_support_reads_at_its_end() {
        let law = Severity::Triangular {
            min: 0.1,
            mode: 0.3,
            max: 0.6,
        };
        assert_eq!(severity_uniform(law, 0.6 + 5e-10), Some(1.0));
        assert_eq!(severity_uniform(law, 0.1 - 5e-10), Some(0.0));
        assert_eq!(severity_uniform(law, 0.6 + 1e-6), None);
        let law = Severity::Kumaraswamy { a: 2.0, b: 2.0 };
        assert_eq!(severity_uniform(law, 1.0 + 5e-10), Some(1.0));
    }

    #[test]
    fn severity_uniform_inverts_the_law() {
        let laws = [
            Severity::Uniform { min: 0.2, max: 0.7 },
            Severity::Triangular {
                min: 0.1,
                mode: 0.3,
                max: 0.9,
            },
            Severity::Kumaraswamy { a: 2.0, b: 3.0 },
        ];
        for law in laws {
            for k in 1..20 {
                let u = k as f64 / 20.0;
                let x = law.inverse_cdf(u);
                let v = severity_uniform(law, x).expect("inside the support");
                assert!((v - u).abs() < 1e-12, "{law:?} at {u}: {v}");
            }
        }
        assert_eq!(
            severity_uniform(Severity::Uniform { min: 0.2, max: 0.7 }, 0.8),
            None
        );
        assert_eq!(severity_uniform(Severity::Fixed { value: 0.4 }, 0.5), None);
        assert_eq!(
            severity_uniform(Severity::Fixed { value: 0.4 }, 0.4),
            Some(0.5)
        );
    }

    #[test]
    fn settle_lands_on_the_chosen_side() {
        // A draw exactly on the threshold moves just below it (lower) or stays (upper).
        let (mu, d, t) = (0.3, 0.7, 1.0);
        let x = (t - mu) / d;
        assert!(mu + d * settle(x, mu, d, t, true) < t);
        assert!(mu + d * settle(x, mu, d, t, false) >= t);
    }

    #[test]
    fn phi_tails_are_precise() {
        assert!((phi(-30.0) / 4.906_713_927_148_187e-198 - 1.0).abs() < 1e-10);
        assert!((phi(0.0) - 0.5).abs() < 1e-16);
        assert!((phi_inverse(phi(-8.0)) + 8.0).abs() < 1e-10);
    }
}
