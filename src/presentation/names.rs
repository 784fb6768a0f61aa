//! Display names, in one place: a strategy's name with its role in the decision, written the
//! same way in tables, charts, the HTML report and the workbook.

/// A strategy's name with its role ("baseline", "recommended"). A role the name already
/// states ("No mitigation (baseline)") is not repeated: "No mitigation (baseline) (baseline)"
/// read like a copy-paste error.
pub fn strategy_name(name: &str, baseline: bool, recommended: bool) -> String {
    let lower = name.to_lowercase();
    let baseline = baseline && !lower.contains("baseline");
    let recommended = recommended && !lower.contains("recommended");
    match (baseline, recommended) {
        (true, true) => format!("{name} (baseline, recommended)"),
        (true, false) => format!("{name} (baseline)"),
        (false, true) => format!("{name} (recommended)"),
        (false, false) => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::strategy_name;

    #[test]
    fn a_role_the_name_states_is_not_repeated() {
        assert_eq!(
            strategy_name("No mitigation (baseline)", true, false),
            "No mitigation (baseline)"
        );
        assert_eq!(
            strategy_name("Do nothing", true, false),
            "Do nothing (baseline)"
        );
        assert_eq!(
            strategy_name("People first", false, true),
            "People first (recommended)"
        );
        assert_eq!(
            strategy_name("No mitigation (baseline)", true, true),
            "No mitigation (baseline) (recommended)"
        );
        assert_eq!(strategy_name("Tools", false, false), "Tools");
    }
}
