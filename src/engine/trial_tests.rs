//! Parameter uncertainty in the one-trial path: what is drawn, and how the severity variants
//! are keyed (kept apart from `trial.rs` for its length).

use super::*;
use crate::scenario::source::Source;

/// One factor that strikes often, three mitigations on its severity with the same stated
/// multiplier 0.5 (two with a range, one without), a fourth on its probability, and a
/// strategy per mitigation.
fn scenario() -> Scenario {
    let mitigation = |id: &str, effect: &str| {
        format!(
            "[[mitigations]]\nid = \"{id}\"\ncost = {{ value = 1.0 }}\n[[mitigations.effects]]\nfactor = \"change_resistance\"\n{effect}\n"
        )
    };
    let text = format!(
        "[scenario]\nname = \"variants\"\n[project]\nbudget = 1000.0\nduration_months = 12.0\nhorizon_years = 5.0\ndiscount_rate = 0.1\n[benefits]\nmodel = \"direct\"\nannual = {{ value = 500.0 }}\n[factors.change_resistance]\nprobability = 0.9\n{}{}{}{}[[strategies]]\nid = \"base\"\nbaseline = true\n[[strategies]]\nid = \"a\"\nmitigations = [\"a\"]\n[[strategies]]\nid = \"b\"\nmitigations = [\"b\"]\n[[strategies]]\nid = \"c\"\nmitigations = [\"c\"]\n[[strategies]]\nid = \"ad\"\nmitigations = [\"a\", \"d\"]\n",
        mitigation("a", "severity = 0.5\nseverity_range = [0.2, 0.8]"),
        mitigation("b", "severity = 0.5\nseverity_range = [0.2, 0.8]"),
        mitigation("c", "severity = 0.5"),
        mitigation("d", "probability = 0.5\nprobability_range = [0.1, 1.0]"),
    );
    Scenario::from_source(&Source::new("variants.toml", text)).expect("valid")
}

#[test]
fn without_the_flag_nothing_is_drawn() {
    let s = scenario();
    let (fixed, flagged) = (
        CompiledScenario::new(&s),
        CompiledScenario::with_uncertainty(&s, true),
    );
    assert_eq!(fixed.drawn_multipliers(), 0);
    assert_eq!(flagged.drawn_multipliers(), 3);
    // Flagged, the catalogue's uncertain parameters are drawn too.
    assert_eq!(
        flagged.dimensions(),
        fixed.dimensions() + 3 + flagged.uncertain_parameters()
    );
    assert!(fixed.effects.is_none() && fixed.retarget.is_none());
}

#[test]
fn drawn_variants_are_keyed_by_the_mitigations_that_act() {
    let s = scenario();
    let i = s
        .factors
        .iter()
        .position(|f| f.id == "change_resistance")
        .unwrap();
    // Fixed: a, b, c and ad share the multiplier 0.5, so one variant besides the base's.
    let fixed = CompiledScenario::new(&s);
    assert_eq!(fixed.variant_offset[i + 1] - fixed.variant_offset[i], 2);
    // Drawn: a (and ad, the same drawn multiplier), b and c each their own.
    let compiled = CompiledScenario::with_uncertainty(&s, true);
    assert_eq!(
        compiled.variant_offset[i + 1] - compiled.variant_offset[i],
        4
    );
    let n = compiled.factors;
    let variant = |strategy: usize| compiled.strategy_variant[strategy * n + i];
    assert_eq!(
        variant(1),
        variant(4),
        "a and ad share a's drawn multiplier"
    );
    assert!(variant(1) != variant(2) && variant(2) != variant(3));

    let mut scratch = compiled.scratch();
    let mut presence = vec![0u64; compiled.strategies * n];
    let mut stream = TrialStream::new(7, compiled.dimensions());
    let mut severities = vec![vec![0.0; n]; compiled.strategies];
    let (mut differ, mut both) = (0, 0);
    for _ in 0..2_000 {
        compiled.draw(&mut stream, &mut scratch);
        compiled.evaluate_all(&mut scratch, &mut presence);
        for (strategy, out) in severities.iter_mut().enumerate() {
            compiled.severities(&scratch, strategy, out);
        }
        let [base, a, b, c, ad] = [0, 1, 2, 3, 4].map(|k| severities[k][i]);
        // The probability is not drawn for a, b, c: the factor strikes under all or none.
        assert!([a, b, c].iter().all(|&x| (x > 0.0) == (base > 0.0)));
        if base > 0.0 {
            both += 1;
            differ += usize::from(a != b);
            assert_eq!(c, base * 0.5, "c's multiplier is fixed");
            for x in [a, b] {
                assert!(x >= 0.2 * base * (1.0 - 1e-12) && x <= 0.8 * base * (1.0 + 1e-12));
            }
            // Common random numbers: ad applies a's drawn multiplier when the factor strikes.
            assert!(ad == 0.0 || ad == a, "{ad} vs {a}");
        } else {
            assert_eq!(ad, 0.0, "a mitigation never adds a factor");
        }
    }
    assert!(both > 1_000 && differ == both, "{differ} of {both}");
}
