use super::*;
use crate::scenario::source::Source;

fn shipped(name: &str, text: &str) -> (Scenario, Inputs) {
    let scenario = Scenario::from_source(&Source::new(name, text)).unwrap();
    let reference = Reference::of(&scenario).unwrap();
    let inputs = inputs(&scenario, &reference);
    (scenario, inputs)
}

fn retail() -> (Scenario, Inputs) {
    shipped(
        "retail_chain.toml",
        include_str!("../../scenarios/retail_chain.toml"),
    )
}

fn multinational() -> (Scenario, Inputs) {
    shipped(
        "multinational.toml",
        include_str!("../../scenarios/multinational.toml"),
    )
}

fn texts(row: &[Cell]) -> Vec<String> {
    row.iter().map(Cell::display).collect()
}

/// The rows of `table` whose first cell reads `first`.
fn rows_of<'a>(table: &'a Table, first: &str) -> Vec<&'a Vec<Cell>> {
    table
        .rows
        .iter()
        .filter(|row| row[0].display() == first)
        .collect()
}

#[test]
fn every_row_has_one_cell_per_column() {
    for (_, inputs) in [retail(), multinational()] {
        for table in inputs.tables() {
            assert!(!table.columns.is_empty(), "{}", table.id);
            for row in &table.rows {
                assert_eq!(row.len(), table.columns.len(), "{}: {row:?}", table.id);
            }
        }
        assert!(inputs.warnings.is_empty());
    }
}

#[test]
fn every_changed_factor_appears_beside_its_catalogue_value() {
    let (scenario, inputs) = retail();
    let catalogue = Catalogue::builtin().unwrap();
    let mut changed = 0;
    for factor in &scenario.factors {
        let original = catalogue
            .factors
            .iter()
            .find(|f| f.id == factor.id)
            .unwrap();
        let rows = rows_of(&inputs.factors, &factor.name);
        let differs = factor.probability != original.probability
            || factor.severity != original.severity
            || factor.impact != original.impact;
        assert_eq!(differs, !rows.is_empty(), "{}", factor.id);
        if factor.probability != original.probability {
            let row = rows
                .iter()
                .find(|r| r[2].display() == "chance it strikes")
                .unwrap();
            assert_eq!(row[3], Cell::number(original.probability, Unit::Share));
            assert_eq!(row[4], Cell::number(factor.probability, Unit::Share));
        }
        changed += differs as usize;
    }
    // retail_chain.toml overrides five factors; one of them (insufficient training, 0.45) to
    // the catalogue's own value, which changes nothing and is not listed.
    assert_eq!(changed, 4);
    let training = scenario
        .factors
        .iter()
        .find(|f| f.id == "insufficient_training")
        .unwrap();
    assert!(rows_of(&inputs.factors, &training.name).is_empty());
    let data = rows_of(
        &inputs.factors,
        "Poor data quality (inaccurate, incomplete, duplicated, scattered)",
    );
    let what: Vec<String> = data.iter().map(|r| r[2].display()).collect();
    // Probability, severity and the benefit impact change; cost and schedule keep the catalogue's.
    assert_eq!(
        what,
        [
            "chance it strikes",
            "severity when it strikes",
            "share of the benefit lost"
        ]
    );
    assert_eq!(
        data[1][4].display(),
        "Kumaraswamy (a = 3, b = 2), mean 0.64"
    );
    assert_eq!(data[2][4].display(), "40 %");
}

#[test]
fn a_partial_impact_shows_as_a_multiplier_beside_the_catalogue() {
    let (_, inputs) = multinational();
    let erp: Vec<_> = inputs
        .factors
        .rows
        .iter()
        .filter(|r| r[2].display() == "duration multiplied by")
        .collect();
    assert_eq!(erp.len(), 1);
    assert_eq!(erp[0][4], Cell::number(0.30f64.exp(), Unit::Multiplier));
    assert_eq!(erp[0][4].display(), "× 1.35");
    // The changed estimating error shows with the catalogue's value.
    let row = rows_of(
        &inputs.project,
        "Estimating error of duration (sd of log duration)",
    );
    assert_eq!(
        texts(row[0]),
        [
            "Estimating error of duration (sd of log duration)",
            "0.2",
            "0.15"
        ]
    );
    // Direct benefits: the distribution in words and its mean as a number.
    let benefit = &inputs.benefits.rows[0];
    assert_eq!(
        benefit[1].display(),
        "triangular: lowest 2,000,000, most likely 4,500,000, highest 8,000,000"
    );
    assert_eq!(benefit[2], Cell::number(14_500_000.0 / 3.0, Unit::Money));
}

#[test]
fn mitigations_show_their_cost_distribution_and_effects_in_words() {
    let (scenario, inputs) = retail();
    assert_eq!(inputs.mitigations.rows.len(), scenario.mitigations.len());
    let goals = rows_of(
        &inputs.mitigations,
        "SMART CRM goals aligned with company strategy",
    )[0];
    assert_eq!(
        goals[1].display(),
        "triangular: lowest 30,000, most likely 45,000, highest 75,000"
    );
    assert_eq!(goals[2], Cell::number(50_000.0, Unit::Money));
    let effects = goals[3].display();
    let lines: Vec<&str> = effects.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        "No clear CRM strategy, vision or goals: 50 % less likely (uncertain: 20 % to 70 %); \
         20 % less severe when it strikes (uncertain: 0 % to 40 %)"
    );
    assert!(
        lines[1].ends_with(": 30 % less likely (uncertain: 10 % to 50 %)"),
        "{}",
        lines[1]
    );
    // The effects table carries the same multipliers as numbers.
    let first = &inputs.effects.rows[0];
    assert_eq!(first[2], Cell::number(0.5, Unit::Multiplier));
    assert_eq!(first[3], Cell::number(0.3, Unit::Multiplier));
    assert_eq!(first[4], Cell::number(0.8, Unit::Multiplier));
    let count: usize = scenario.mitigations.iter().map(|m| m.effects.len()).sum();
    assert_eq!(inputs.effects.rows.len(), count);
}

#[test]
fn strategies_are_their_mitigations_and_the_baseline_is_named_once() {
    let (scenario, inputs) = retail();
    assert_eq!(inputs.strategies.rows.len(), scenario.strategies.len());
    let baseline = &inputs.strategies.rows[0];
    assert_eq!(
        texts(baseline),
        ["No mitigation (baseline)", "none", "0", "0"]
    );
    let case = rows_of(&inputs.strategies, "Fix the case's four causes")[0];
    assert_eq!(
        case[1].display(),
        "Executive sponsor with resources\nSMART CRM goals aligned with company strategy\n\
         Data standards and data cleansing\nTraining and change management with feedback channels"
    );
    assert_eq!(case[2], Cell::number(4.0, Unit::Number));
    // Sum of the four triangular means: 160,000 + 50,000 + 160,000 + 190,000.
    let Cell::Number { value, unit } = case[3] else {
        panic!("{case:?}")
    };
    assert_eq!(unit, Unit::Money);
    assert!((value - 560_000.0).abs() < 1e-6, "{value}");
    assert_eq!(strategy_name("Do nothing", true), "Do nothing (baseline)");
    assert_eq!(strategy_name("Do nothing", false), "Do nothing");
}

#[test]
fn project_and_levers_show_values_and_defaults() {
    let (_, inputs) = retail();
    let budget = rows_of(&inputs.project, "Budget")[0];
    assert_eq!(budget[1], Cell::number(3_000_000.0, Unit::Money));
    assert_eq!(budget[1].display(), "3,000,000");
    assert_eq!(
        texts(rows_of(&inputs.project, "Success: cost overrun at most")[0]),
        ["Success: cost overrun at most", "25 %", "25 %"]
    );
    assert_eq!(
        texts(rows_of(&inputs.project, "Planned duration")[0])[1],
        "18 months"
    );
    let spend = rows_of(&inputs.benefits, "Uplift: spend per customer")[0];
    assert_eq!(
        spend[1].display(),
        "triangular: lowest 0 %, most likely 1 %, highest 5 %"
    );
    assert_eq!(
        spend[3].display(),
        "triangular: lowest 0 %, most likely 4.3 %, highest 43 %"
    );
    assert_eq!(
        rows_of(&inputs.benefits, "Uplift: items per purchase")[0][3].display(),
        "default"
    );
}

#[test]
fn numbers_format_by_unit() {
    assert_eq!(format_number(0.075, Unit::Share), "7.5 %");
    assert_eq!(format_number(-1234.6, Unit::Money), "-1,235");
    assert_eq!(format_number(7.0, Unit::Years), "7 years");
    assert_eq!(format_number(0.5, Unit::Multiplier), "× 0.50");
    assert_eq!(format_number(-0.0001, Unit::Number), "0");
    let lognormal = Continuous::lognormal_from_interval(100.0, 400.0, 0.9);
    assert_eq!(
        distribution(&lognormal, Unit::Money),
        "lognormal: 90 % between 100 and 400, median 200"
    );
    assert_eq!(
        distribution(&Continuous::Fixed { value: 0.2 }, Unit::Share),
        "fixed at 20 %"
    );
}
