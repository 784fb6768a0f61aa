//! Money: present value of a benefit stream that starts at go-live, NPV, ROI and payback.
//!
//! Benefits flow continuously at a constant annual rate from go-live until the horizon and
//! are discounted continuously at `δ = ln(1 + r)`, so a whole year at rate `A` received in year
//! one is worth `A·(1 − e^{−δ})/δ`. The investment is paid at time zero.

/// Discounting constants computed once per scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Discounting {
    /// `δ = ln(1 + r)`; zero when the rate is zero.
    pub force: f64,
    pub horizon_years: f64,
    /// `e^{−δ H}`.
    horizon_factor: f64,
}

impl Discounting {
    pub fn new(discount_rate: f64, horizon_years: f64) -> Self {
        let force = discount_rate.ln_1p();
        Discounting {
            force,
            horizon_years,
            horizon_factor: (-force * horizon_years).exp(),
        }
    }

    /// Present value of a flow of `annual` per year from `start_years` to the horizon.
    #[inline]
    /// `e^{−δ H}`.
    pub fn horizon_factor(&self) -> f64 {
        self.horizon_factor
    }

    pub fn present_value(&self, annual: f64, start_years: f64) -> f64 {
        if start_years >= self.horizon_years || annual == 0.0 {
            return 0.0;
        }
        if self.force.abs() < 1e-12 {
            return annual * (self.horizon_years - start_years);
        }
        annual * (super::vmath::exp1(-self.force * start_years) - self.horizon_factor) / self.force
    }
}

/// Undiscounted payback time in years: go-live plus the years of benefit that repay the
/// investment; infinite when the benefit is zero.
#[inline]
pub fn payback_years(investment: f64, annual: f64, start_years: f64) -> f64 {
    if annual <= 0.0 {
        f64::INFINITY
    } else {
        start_years + investment / annual
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annuity_matches_sum_of_discrete_years_in_the_limit() {
        // A flow of 100/year for 5 years at 8 %, split into fine steps, equals the closed form.
        let d = Discounting::new(0.08, 5.0);
        let steps = 100_000;
        let dt = 5.0 / steps as f64;
        let numeric: f64 = (0..steps)
            .map(|k| 100.0 * dt * (1.08f64).powf(-((k as f64 + 0.5) * dt)))
            .sum();
        assert!((d.present_value(100.0, 0.0) - numeric).abs() < 1e-6);
    }

    #[test]
    fn late_start_and_zero_rate() {
        let d = Discounting::new(0.0, 5.0);
        assert_eq!(d.present_value(10.0, 2.0), 30.0);
        assert_eq!(d.present_value(10.0, 6.0), 0.0);
        let d = Discounting::new(0.1, 3.0);
        // Starting one year later is worth exactly 1/1.1 of starting now, minus the lost tail.
        let now = d.present_value(1.0, 0.0);
        let later = d.present_value(1.0, 1.0);
        let tail = (1.1f64).powf(-3.0) * (1.0 - 1.0 / 1.1) / (1.1f64).ln();
        assert!((later - (now / 1.1 - tail)).abs() < 1e-12);
    }

    #[test]
    fn payback() {
        assert_eq!(payback_years(100.0, 50.0, 1.0), 3.0);
        assert!(payback_years(100.0, 0.0, 1.0).is_infinite());
    }
}
