//! "Did you mean": the closest valid name to a misspelt one.

/// The candidate closest to `name` by Jaro–Winkler similarity, if it is close enough to be a
/// plausible typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_near_names_only() {
        let names = [
            "no_executive_sponsor",
            "poor_data_quality",
            "change_resistance",
        ];
        assert_eq!(
            super::closest("no_exec_sponsor", names),
            Some("no_executive_sponsor")
        );
        assert_eq!(
            super::closest("poor_data_qualty", names),
            Some("poor_data_quality")
        );
        assert_eq!(super::closest("zzz", names), None);
    }
}
