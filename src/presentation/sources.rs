//! What `crmcast sources` shows, and the reference page docs/SOURCES.md: the source registry
//! as a reader's reference list, or one source in full with the catalogue factors that cite it.

use crate::model::Catalogue;
use crate::model::sources::{Citation, Kind, Registry};
use crate::presentation::Document;
use crate::presentation::Section;

const CSV_HEADER: [&str; 10] = [
    "label",
    "kind",
    "title",
    "original_title",
    "language",
    "author",
    "publisher",
    "year",
    "says",
    "cited_in",
];

fn csv_row(c: &Citation) -> Vec<String> {
    vec![
        c.label.clone(),
        c.kind.name().into(),
        c.title.clone(),
        c.original_title.clone().unwrap_or_default(),
        c.language.clone(),
        c.author.clone(),
        c.publisher.clone(),
        c.year.clone(),
        c.says.clone(),
        c.cited_in.clone().unwrap_or_default(),
    ]
}

/// The reference list: one row per source, grouped by kind in the registry's order.
pub fn list(registry: &Registry) -> Document {
    let rows = registry
        .sources
        .iter()
        .map(|c| {
            vec![
                c.label.clone(),
                c.kind.name().into(),
                c.year.clone(),
                c.author.clone(),
                c.title.clone(),
            ]
        })
        .collect();
    Document {
        title: format!(
            "crmcast sources — {} sources cited by the catalogue, the defaults, the scenarios and the docs; `crmcast sources LABEL` shows one in full",
            registry.sources.len()
        ),
        sections: vec![Section {
            title: "Sources by short label".into(),
            header: ["label", "kind", "year", "author", "title (in English)"]
                .map(String::from)
                .to_vec(),
            rows,
        }],
        record: serde_json::to_value(registry).unwrap_or(serde_json::Value::Null),
        csv_header: CSV_HEADER.map(String::from).to_vec(),
        csv_rows: registry.sources.iter().map(csv_row).collect(),
    }
}

/// One source in full, with the built-in catalogue's factors that cite it.
pub fn one(c: &Citation, catalogue: &Catalogue) -> Document {
    let mut rows = vec![
        vec!["label".into(), c.label.clone()],
        vec!["kind".into(), c.kind.name().into()],
        vec!["title".into(), c.title.clone()],
    ];
    if let Some(original) = &c.original_title {
        rows.push(vec!["original title".into(), original.clone()]);
    }
    rows.extend([
        vec!["language".into(), c.language.clone()],
        vec!["author".into(), c.author.clone()],
        vec!["publisher".into(), c.publisher.clone()],
        vec!["year".into(), c.year.clone()],
        vec!["says".into(), c.says.clone()],
    ]);
    if let Some(by) = &c.cited_in {
        rows.push(vec!["cited in".into(), by.clone()]);
    }
    rows.push(vec!["reference".into(), c.reference()]);
    let citing: Vec<&str> = catalogue
        .factors
        .iter()
        .filter(|f| f.sources.contains(&c.label))
        .map(|f| f.id.as_str())
        .collect();
    let mut sections = vec![Section {
        title: c.label.clone(),
        header: ["field", "value"].map(String::from).to_vec(),
        rows,
    }];
    if !citing.is_empty() {
        sections.push(Section {
            title: format!(
                "Factors of the built-in catalogue that cite \"{}\"",
                c.label
            ),
            header: ["factor", "name"].map(String::from).to_vec(),
            rows: catalogue
                .factors
                .iter()
                .filter(|f| citing.contains(&f.id.as_str()))
                .map(|f| vec![f.id.clone(), f.name.clone()])
                .collect(),
        });
    }
    let mut record = serde_json::to_value(c).unwrap_or(serde_json::Value::Null);
    if let Some(object) = record.as_object_mut() {
        object.insert("cited_by_factors".into(), serde_json::json!(citing));
    }
    Document {
        title: format!("crmcast sources — {}", c.label),
        sections,
        record,
        csv_header: CSV_HEADER.map(String::from).to_vec(),
        csv_rows: vec![csv_row(c)],
    }
}

/// The sources a scenario cites (its own, its mitigations' and its factors'), in the registry's
/// order, as a reference list a report can print after its inputs: label and full citation.
/// A label the registry does not have cannot occur (validation refuses it) and is skipped.
pub fn cited_by(scenario: &crate::scenario::Scenario, registry: &Registry) -> Section {
    let cited: std::collections::BTreeSet<&str> = scenario
        .sources
        .iter()
        .chain(scenario.mitigations.iter().flat_map(|m| &m.sources))
        .chain(scenario.factors.iter().flat_map(|f| &f.sources))
        .map(String::as_str)
        .collect();
    Section {
        title: "Sources cited".into(),
        header: ["label", "reference"].map(String::from).to_vec(),
        rows: registry
            .sources
            .iter()
            .filter(|c| cited.contains(c.label.as_str()))
            .map(|c| vec![c.label.clone(), c.reference()])
            .collect(),
    }
}

/// docs/SOURCES.md below its introduction: every source by kind, in the registry's order, with
/// its full citation. `tests/docs.rs` checks the page holds exactly this text.
pub fn reference_page(registry: &Registry) -> String {
    let mut text = String::new();
    let kinds = [
        (
            Kind::Article,
            "The source articles",
            "The articles crmcast was founded on. Titles are translated into English; the original title follows.",
        ),
        (
            Kind::Figure,
            "Published figures, as the articles cite them",
            "crmcast knows these figures only through the article named under \"cited in\".",
        ),
        (
            Kind::Publication,
            "Literature",
            "Cited for the model's method, its heavy tail and its estimating error.",
        ),
    ];
    for (kind, heading, intro) in kinds {
        text.push_str(&format!("## {heading}\n\n{intro}\n"));
        for c in registry.sources.iter().filter(|c| c.kind == kind) {
            text.push_str(&format!("\n### {}\n\n", c.label));
            text.push_str(&format!("- **Title:** {}\n", c.title));
            if let Some(original) = &c.original_title {
                text.push_str(&format!("- **Original title:** {original}\n"));
            }
            text.push_str(&format!("- **Language:** {}\n", c.language));
            text.push_str(&format!("- **Author:** {}\n", c.author));
            text.push_str(&format!("- **Publisher:** {}\n", c.publisher));
            text.push_str(&format!("- **Year:** {}\n", c.year));
            if let Some(by) = &c.cited_in {
                text.push_str(&format!("- **Cited in:** {by}\n"));
            }
            text.push_str(&format!("- **What it says:** {}\n", c.says));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_one_row_per_source_and_one_source_names_the_factors_citing_it() {
        let registry = Registry::builtin().expect("registry");
        let catalogue = Catalogue::builtin().expect("catalogue");
        let all = list(&registry);
        assert_eq!(all.sections[0].rows.len(), registry.sources.len());
        assert_eq!(all.csv_rows.len(), registry.sources.len());
        let forum = registry
            .get("10 reasons for CRM failure, n.d.")
            .expect("entry");
        let document = one(forum, &catalogue);
        let citing = &document.sections[1].rows;
        let expected = catalogue
            .factors
            .iter()
            .filter(|f| f.sources.contains(&forum.label))
            .count();
        assert!(expected > 0);
        assert_eq!(citing.len(), expected);
        assert_eq!(
            document.record["cited_by_factors"]
                .as_array()
                .map(|a| a.len()),
            Some(expected)
        );
    }

    #[test]
    fn a_scenario_cites_its_own_its_mitigations_and_its_factors_sources() {
        let registry = Registry::builtin().expect("registry");
        let scenario = crate::scenario::Scenario::builtin_default().expect("scenario");
        let section = cited_by(&scenario, &registry);
        let labels: Vec<&str> = section.rows.iter().map(|r| r[0].as_str()).collect();
        // The scenario's own, a mitigation's only (Prosci) and a factor's only (IDC).
        for label in ["Shibuya, n.d.", "Prosci Best Practices", "IDC, n.d."] {
            assert!(labels.contains(&label), "{label}: {labels:?}");
        }
        assert!(
            !labels.contains(&"Flyvbjerg 2006"),
            "not cited by the scenario"
        );
    }

    #[test]
    fn the_page_gives_every_source_a_heading() {
        let registry = Registry::builtin().expect("registry");
        let page = reference_page(&registry);
        for c in &registry.sources {
            assert!(
                page.contains(&format!("\n### {}\n", c.label)),
                "{}",
                c.label
            );
        }
    }
}
