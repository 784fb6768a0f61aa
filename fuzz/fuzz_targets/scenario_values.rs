//! Structure-aware companion of the `scenario` target: the input bytes choose the values of a
//! scenario that is always well-formed TOML with the right keys, so nearly every input gets
//! past parsing and exercises validation's ranges and the engine's arithmetic at extreme
//! values (bounds, 0, 1, subnormals, 10¹³, the odd NaN or out-of-range value that must be
//! refused). The text goes through the same checks as the `scenario` target.
//!
//! Set FUZZ_PRINT=1 to print the scenario text of an input (to turn a crash into a test):
//!   FUZZ_PRINT=1 RUSTC_BOOTSTRAP=1 cargo fuzz run scenario_values fuzz/artifacts/scenario_values/<file>

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::fmt::Write;

static FACTORS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    crmcast::model::Catalogue::builtin_factor_ids().expect("the built-in catalogue")
});

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(text) = scenario(&mut u) else {
        return;
    };
    if std::env::var_os("FUZZ_PRINT").is_some() {
        eprintln!("----- scenario -----\n{text}--------------------");
    }
    common::check_text(&text);
});

/// A TOML float (TOML spells the non-finite ones nan, inf, -inf).
fn f(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{x:?}")
    }
}

/// A number meant for the range [lo, hi]: mostly inside it, with its edges and the awkward
/// values (0, 1, subnormals, next to the bounds) over-represented; now and then outside it.
fn num(u: &mut Unstructured, lo: f64, hi: f64) -> Result<f64> {
    let pick: u8 = u.arbitrary()?;
    Ok(match pick {
        0..=9 => lo,
        10..=19 => hi,
        20..=24 => 0.0f64.clamp(lo, hi),
        25..=29 => 1.0f64.clamp(lo, hi),
        30..=33 => (lo + f64::MIN_POSITIVE).min(hi),
        34..=37 => (lo + 5e-324).min(hi),
        38..=41 => hi - (hi - lo) * f64::EPSILON,
        42..=45 => lo + (hi - lo) * 1e-12,
        46 => f64::NAN,
        47 => f64::INFINITY,
        48 => hi * 2.0 + 1.0,
        49 => lo - 1.0,
        50 => f64::from_bits(u.arbitrary()?),
        _ => {
            let r: u32 = u.arbitrary()?;
            lo + (hi - lo) * (r as f64 / u32::MAX as f64)
        }
    })
}

/// A unit number (probabilities, shares, multipliers).
fn unit(u: &mut Unstructured) -> Result<f64> {
    num(u, 0.0, 1.0)
}

/// `{ value }`, `{ min, max }`, `{ min, mode, max }` or `{ low, high, confidence }`.
fn distribution(u: &mut Unstructured, lo: f64, hi: f64) -> Result<String> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => format!("{{ value = {} }}", f(num(u, lo, hi)?)),
        1 => {
            let (a, b) = (num(u, lo, hi)?, num(u, lo, hi)?);
            format!("{{ min = {}, max = {} }}", f(a.min(b)), f(a.max(b)))
        }
        2 => {
            let mut v = [num(u, lo, hi)?, num(u, lo, hi)?, num(u, lo, hi)?];
            v.sort_by(f64::total_cmp);
            format!(
                "{{ min = {}, mode = {}, max = {} }}",
                f(v[0]),
                f(v[1]),
                f(v[2])
            )
        }
        _ => {
            let (a, b) = (num(u, 0.0, hi)?, num(u, 0.0, hi)?);
            let confidence = num(u, 0.5, 0.999)?;
            format!(
                "{{ low = {}, high = {}, confidence = {} }}",
                f(a.min(b)),
                f(a.max(b)),
                f(confidence)
            )
        }
    })
}

fn severity(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => format!("{{ kind = \"fixed\", value = {} }}", f(unit(u)?)),
        1 => {
            let (a, b) = (unit(u)?, unit(u)?);
            format!(
                "{{ kind = \"uniform\", min = {}, max = {} }}",
                f(a.min(b)),
                f(a.max(b))
            )
        }
        2 => {
            let mut v = [unit(u)?, unit(u)?, unit(u)?];
            v.sort_by(f64::total_cmp);
            format!(
                "{{ kind = \"triangular\", min = {}, mode = {}, max = {} }}",
                f(v[0]),
                f(v[1]),
                f(v[2])
            )
        }
        _ => format!(
            "{{ kind = \"kumaraswamy\", a = {}, b = {} }}",
            f(num(u, 0.05, 100.0)?),
            f(num(u, 0.05, 100.0)?)
        ),
    })
}

fn scenario(u: &mut Unstructured) -> Result<String> {
    let mut t = String::from("[scenario]\nname = \"fuzz\"\n\n[project]\n");
    let w = &mut t;
    writeln!(w, "budget = {}", f(num(u, 1.0, 1e13)?)).unwrap();
    writeln!(w, "duration_months = {}", f(num(u, 1e-9, 600.0)?)).unwrap();
    writeln!(w, "horizon_years = {}", f(num(u, 1e-9, 100.0)?)).unwrap();
    writeln!(w, "discount_rate = {}", f(num(u, -0.5, 1.0)?)).unwrap();
    if u.arbitrary()? {
        writeln!(w, "team_burn_share = {}", f(num(u, 0.0, 10.0)?)).unwrap();
    }
    if u.arbitrary()? {
        writeln!(w, "failed_benefit_share = {}", f(unit(u)?)).unwrap();
    }
    if u.arbitrary()? {
        let (min_realisation, max_overrun) = (unit(u)?, num(u, 0.0, 100.0)?);
        let below = min_realisation * unit(u)?;
        let at_least = max_overrun + (100.0 - max_overrun) * unit(u)?;
        writeln!(
            w,
            "objectives = {{ min_benefit_realisation = {}, max_overrun = {}, max_slip = {} }}",
            f(min_realisation),
            f(max_overrun),
            f(num(u, 0.0, 100.0)?)
        )
        .unwrap();
        writeln!(
            w,
            "failure = {{ benefit_realisation_below = {}, overrun_at_least = {} }}",
            f(below),
            f(at_least)
        )
        .unwrap();
    }
    if u.arbitrary()? {
        writeln!(
            w,
            "estimate = {{ log_cost_mean = {}, log_cost_sd = {}, log_schedule_mean = {}, log_schedule_sd = {}, cost_schedule_correlation = {}, benefit_sd = {} }}",
            f(num(u, -3.0, 3.0)?),
            f(num(u, 0.0, 3.0)?),
            f(num(u, -3.0, 3.0)?),
            f(num(u, 0.0, 3.0)?),
            f(num(u, -0.99, 0.99)?),
            f(num(u, 0.0, 2.0)?)
        )
        .unwrap();
    }

    if u.arbitrary()? {
        writeln!(
            w,
            "\n[benefits]\nmodel = \"direct\"\nannual = {}",
            distribution(u, 0.0, 1e13)?
        )
        .unwrap();
    } else {
        writeln!(
            w,
            "\n[benefits]\nmodel = \"levers\"\nbaseline_revenue = {}\nmargin = {}\nchurn_rate = {}",
            f(num(u, 1e-9, 1e13)?),
            f(unit(u)?),
            f(unit(u)?)
        )
        .unwrap();
        writeln!(w, "[benefits.levers]").unwrap();
        for lever in [
            "new_customers",
            "churn_reduction",
            "spend_per_customer",
            "items_per_purchase",
            "purchase_frequency",
        ] {
            if u.arbitrary()? {
                writeln!(w, "{lever} = {}", distribution(u, -0.99, 10.0)?).unwrap();
            }
        }
    }

    for factor in FACTORS.iter() {
        if u.ratio(1, 3)? {
            writeln!(w, "\n[factors.{factor}]").unwrap();
            if u.arbitrary()? {
                writeln!(w, "probability = {}", f(unit(u)?)).unwrap();
            }
            if u.arbitrary()? {
                writeln!(w, "severity = {}", severity(u)?).unwrap();
            }
            if u.arbitrary()? {
                writeln!(
                    w,
                    "impact = {{ benefit = {}, cost = {}, schedule = {} }}",
                    f(unit(u)?),
                    f(num(u, 0.0, 5.0)?),
                    f(num(u, 0.0, 5.0)?)
                )
                .unwrap();
            }
        }
    }

    for _ in 0..u.int_in_range(0..=3u8)? {
        let a = u.choose(&FACTORS)?;
        let b = u.choose(&FACTORS)?;
        writeln!(
            w,
            "\n[[correlations]]\nfactors = [\"{a}\", \"{b}\"]\nrho = {}",
            f(num(u, -0.99, 0.99)?)
        )
        .unwrap();
    }

    let mitigations = u.int_in_range(0..=6u8)? as usize;
    for k in 0..mitigations {
        writeln!(
            w,
            "\n[[mitigations]]\nid = \"m{k}\"\ncost = {}",
            distribution(u, 0.0, 1e13)?
        )
        .unwrap();
        let mut used = vec![false; FACTORS.len()];
        for _ in 0..u.int_in_range(1..=4u8)? {
            let i = u.choose_index(FACTORS.len())?;
            if std::mem::replace(&mut used[i], true) {
                continue;
            }
            writeln!(w, "[[mitigations.effects]]\nfactor = \"{}\"", FACTORS[i]).unwrap();
            let (p, s) = match u.int_in_range(0..=2u8)? {
                0 => (Some(unit(u)?), None),
                1 => (None, Some(unit(u)?)),
                _ => (Some(unit(u)?), Some(unit(u)?)),
            };
            if let Some(p) = p {
                writeln!(w, "probability = {}", f(p)).unwrap();
            }
            if let Some(s) = s {
                writeln!(w, "severity = {}", f(s)).unwrap();
            }
        }
    }

    let strategies = u.int_in_range(1..=6u8)? as usize;
    let baseline = u.choose_index(strategies)?;
    for k in 0..strategies {
        let chosen: Vec<String> = (0..mitigations)
            .filter(|_| k != baseline && u.arbitrary().unwrap_or(false))
            .map(|m| format!("\"m{m}\""))
            .collect();
        writeln!(
            w,
            "\n[[strategies]]\nid = \"s{k}\"\nmitigations = [{}]",
            chosen.join(", ")
        )
        .unwrap();
        if k == baseline {
            writeln!(w, "baseline = true").unwrap();
        }
    }

    let trials = 1 + u.int_in_range(0..=common::MAX_TRIALS - 1)?;
    let seed: u64 = u.arbitrary()?;
    writeln!(w, "\n[simulation]\ntrials = {trials}\nseed = {seed}").unwrap();
    Ok(t)
}
