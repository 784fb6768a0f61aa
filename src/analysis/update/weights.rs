//! The progress model's likelihood of a status given one trial (docs/UPDATE.md), in logs, and
//! the per-observation bookkeeping behind the evidence checks.
//!
//! For the plan as it stands (the continue option) a trial gives the final cost `B·C`, the
//! final duration `D·T` and the benefit realisation `R` (before the failed project's cut). At
//! `t` months its fraction of work done is `φ = t/(D·T)` (assumption: work proceeds evenly
//! over the trial's own duration). The terms:
//! - still running at `t > 0`: `φ < 1`, else the trial is impossible;
//! - reported progress `π ~ N(φ, progress_sd²)` (assumption: unbiased reporting);
//! - cost to date `AC`: `AC/(B·C) ~ Beta(φk, (1 − φ)k)`, density divided by `B·C` for the
//!   change of variable (assumption: cost accrues with work);
//! - a benefit signal `ρ ~ N(R, benefit_signal_sd²)`.

use crate::model::progress::ProgressModel;
use statrs::distribution::{Beta, Continuous};

/// What the plan gives in one trial, as the likelihood reads it.
#[derive(Debug, Clone, Copy)]
pub struct PlanTrial {
    /// Final cost over budget, `C`.
    pub cost_ratio: f64,
    /// Final duration over plan, `T`.
    pub duration_ratio: f64,
    /// Benefit realisation before the failed project's cut.
    pub realisation: f64,
}

/// The status's evidence other than the factors, compiled once.
#[derive(Debug, Clone)]
pub struct Likelihood {
    elapsed_months: f64,
    duration_months: f64,
    budget: f64,
    progress: Option<f64>,
    cost_to_date: Option<f64>,
    benefit_signal: Option<f64>,
    model: ProgressModel,
}

/// `ln` of the normal density of `x` around `mean` with sd `sd`.
fn ln_normal(x: f64, mean: f64, sd: f64) -> f64 {
    let z = (x - mean) / sd;
    -0.5 * z * z - sd.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

impl Likelihood {
    pub fn new(
        elapsed_months: f64,
        duration_months: f64,
        budget: f64,
        progress: Option<f64>,
        cost_to_date: Option<f64>,
        benefit_signal: Option<f64>,
        model: ProgressModel,
    ) -> Likelihood {
        Likelihood {
            elapsed_months,
            duration_months,
            budget,
            progress,
            // At t = 0 nothing can have been spent on the work: the cost term says nothing.
            cost_to_date: cost_to_date.filter(|_| elapsed_months > 0.0),
            benefit_signal,
            model,
        }
    }

    /// The terms this status has, in the order [`Self::terms`] writes them, in words.
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if self.elapsed_months > 0.0 {
            names.push(format!(
                "still running after {} months",
                trim(self.elapsed_months)
            ));
        }
        if let Some(p) = self.progress {
            names.push(format!("progress {} %", trim(100.0 * p)));
        }
        if let Some(ac) = self.cost_to_date {
            names.push(format!(
                "cost to date {}",
                crate::analysis::amount::money(ac)
            ));
        }
        if let Some(r) = self.benefit_signal {
            names.push(format!("benefit signal {}", trim(r)));
        }
        names
    }

    /// How many terms [`Self::terms`] writes.
    pub fn len(&self) -> usize {
        usize::from(self.elapsed_months > 0.0)
            + usize::from(self.progress.is_some())
            + usize::from(self.cost_to_date.is_some())
            + usize::from(self.benefit_signal.is_some())
    }

    /// The plan's fraction of work done at the status in this trial.
    pub fn fraction_done(&self, trial: &PlanTrial) -> f64 {
        self.elapsed_months / (self.duration_months * trial.duration_ratio)
    }

    /// Write each term's log likelihood into `out` (one per term, see [`Self::names`]) and
    /// return their sum.
    pub fn terms(&self, trial: &PlanTrial, out: &mut [f64]) -> f64 {
        let phi = self.fraction_done(trial);
        let running = phi < 1.0;
        let mut k = 0;
        let mut push = |value: f64| {
            out[k] = value;
            k += 1;
            value
        };
        let mut total = 0.0;
        if self.elapsed_months > 0.0 {
            total += push(if running { 0.0 } else { f64::NEG_INFINITY });
        }
        if let Some(p) = self.progress {
            total += push(ln_normal(p, phi.min(1.0), self.model.progress_sd));
        }
        if let Some(ac) = self.cost_to_date {
            let final_cost = self.budget * trial.cost_ratio;
            let share = ac / final_cost;
            let k = self.model.cost_concentration;
            let term = if !running || share >= 1.0 || share <= 0.0 {
                f64::NEG_INFINITY
            } else {
                match Beta::new(phi * k, (1.0 - phi) * k) {
                    Ok(beta) => beta.ln_pdf(share) - final_cost.ln(),
                    Err(_) => f64::NEG_INFINITY,
                }
            };
            total += push(term);
        }
        if let Some(r) = self.benefit_signal {
            total += push(ln_normal(
                r,
                trial.realisation,
                self.model.benefit_signal_sd,
            ));
        }
        total
    }
}

/// A number without trailing zeros ("6", "6.5").
fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Running `(max log w, Σ e^{l − max}, Σ e^{2(l − max)})` of one observation's log terms: its
/// Kish effective sample size if it were the only weight, kept without overflow and merged in
/// batch order (deterministic at any thread count).
#[derive(Debug, Clone, Copy)]
pub struct Partial {
    max: f64,
    sum: f64,
    sum_sq: f64,
}

impl Default for Partial {
    fn default() -> Self {
        Partial {
            max: f64::NEG_INFINITY,
            sum: 0.0,
            sum_sq: 0.0,
        }
    }
}

impl Partial {
    pub fn add(&mut self, log: f64) {
        if log == f64::NEG_INFINITY || log.is_nan() {
            return;
        }
        if log > self.max {
            let scale = (self.max - log).exp();
            self.sum *= scale;
            self.sum_sq *= scale * scale;
            self.max = log;
        }
        let w = (log - self.max).exp();
        self.sum += w;
        self.sum_sq += w * w;
    }

    pub fn merge(&mut self, other: &Partial) {
        if other.max == f64::NEG_INFINITY {
            return;
        }
        if other.max > self.max {
            let scale = (self.max - other.max).exp();
            self.sum *= scale;
            self.sum_sq *= scale * scale;
            self.max = other.max;
        }
        let scale = (other.max - self.max).exp();
        self.sum += other.sum * scale;
        self.sum_sq += other.sum_sq * scale * scale;
    }

    pub fn effective(&self) -> f64 {
        if self.sum_sq > 0.0 {
            self.sum * self.sum / self.sum_sq
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_is_kish_of_the_terms() {
        let logs = [-1.0, 0.5, -700.0, 3.0, f64::NEG_INFINITY, 2.0];
        let mut whole = Partial::default();
        logs.iter().for_each(|&l| whole.add(l));
        let (mut a, mut b) = (Partial::default(), Partial::default());
        logs[..3].iter().for_each(|&l| a.add(l));
        logs[3..].iter().for_each(|&l| b.add(l));
        a.merge(&b);
        let w: Vec<f64> = logs.iter().map(|l| l.exp()).collect();
        let kish = w.iter().sum::<f64>().powi(2) / w.iter().map(|x| x * x).sum::<f64>();
        assert!((whole.effective() - kish).abs() < 1e-12);
        assert!((a.effective() - kish).abs() < 1e-12);
    }

    #[test]
    fn cost_term_is_the_beta_density_with_its_jacobian() {
        let model = ProgressModel::default();
        let l = Likelihood::new(6.0, 12.0, 1000.0, None, Some(300.0), None, model);
        let trial = PlanTrial {
            cost_ratio: 1.2,
            duration_ratio: 1.0,
            realisation: 1.0,
        };
        let mut out = [0.0; 2];
        let total = l.terms(&trial, &mut out);
        // φ = 0.5, share = 300/1200 = 0.25, Beta(15, 15).
        let beta = Beta::new(15.0, 15.0).unwrap();
        assert_eq!(out[0], 0.0);
        assert!((out[1] - (beta.pdf(0.25) / 1200.0).ln()).abs() < 1e-12);
        assert_eq!(total, out[0] + out[1]);
        // Finished before now: impossible.
        let late = PlanTrial {
            duration_ratio: 0.4,
            ..trial
        };
        assert_eq!(l.terms(&late, &mut out), f64::NEG_INFINITY);
    }

    #[test]
    fn progress_and_benefit_terms_are_normal_densities() {
        let model = ProgressModel::default();
        let l = Likelihood::new(6.0, 12.0, 1000.0, Some(0.3), None, Some(0.7), model);
        assert_eq!(l.len(), 3);
        assert_eq!(
            l.names(),
            [
                "still running after 6 months",
                "progress 30 %",
                "benefit signal 0.7"
            ]
        );
        let trial = PlanTrial {
            cost_ratio: 1.0,
            duration_ratio: 1.25,
            realisation: 0.8,
        };
        let mut out = [0.0; 3];
        l.terms(&trial, &mut out);
        let normal =
            |x: f64, m: f64, s: f64| statrs::distribution::Normal::new(m, s).unwrap().ln_pdf(x);
        // φ = 6 / (12 · 1.25) = 0.4.
        assert!((out[1] - normal(0.3, 0.4, model.progress_sd)).abs() < 1e-12);
        assert!((out[2] - normal(0.7, 0.8, model.benefit_signal_sd)).abs() < 1e-12);
    }
}
