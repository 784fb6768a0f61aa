//! The factor list of `crmcast factors`. The sections of every other command, and the number
//! formatting, live in [`crate::presentation`]; they are re-exported here for older paths.

pub use crate::presentation::Section;
pub use crate::presentation::format::{error, interval, money, signed, value, with_error};
pub use crate::presentation::run::{sections, title};

pub fn factor_sections(list: &super::FactorList) -> Vec<Section> {
    let s = list.scenario;
    let rows = list
        .factors
        .iter()
        .map(|f| {
            vec![
                f.id.clone(),
                s.categories[f.category].id.clone(),
                s.groups[f.cause_group].id.clone(),
                format!("{:.2}", f.probability),
                format!("{:.2}", f.severity.mean()),
                format!("{:.3}", f.impact.benefit),
                format!("{:.3}", f.impact.cost),
                format!("{:.3}", f.impact.schedule),
                format!("{:.3}", f.impact.runaway),
                crate::model::sources::citation_list(&f.sources),
            ]
        })
        .collect();
    vec![
        Section {
            title: format!(
                "Factor catalogue {} ({} factors; `crmcast sources` gives each source in full)",
                s.catalogue_version,
                list.factors.len()
            ),
            header: [
                "id",
                "category",
                "survey group",
                "probability",
                "mean severity",
                "benefit",
                "log cost",
                "log duration",
                "runaway (log hazard)",
                "sources",
            ]
            .iter()
            .map(|h| h.to_string())
            .collect(),
            rows,
        },
        estimate_section(s),
    ]
}

/// The estimating error and the runaway mechanism every trial shares (docs/MODEL.md §5, §5a).
fn estimate_section(s: &crate::scenario::Scenario) -> Section {
    let e = &s.project.estimate;
    let r = &s.project.runaway;
    let row = |name: &str, value: f64, meaning: &str| {
        vec![name.to_string(), format!("{value:.4}"), meaning.to_string()]
    };
    Section {
        title: "Estimating error and runaway (every trial, factors or not)".into(),
        header: ["parameter", "value", "meaning"].map(String::from).to_vec(),
        rows: vec![
            row(
                "log_cost_mean",
                e.log_cost_mean,
                "mean of the log cost ratio without trouble",
            ),
            row("log_cost_sd", e.log_cost_sd, "its standard deviation"),
            row(
                "log_schedule_mean",
                e.log_schedule_mean,
                "mean of the log duration ratio without trouble",
            ),
            row(
                "log_schedule_sd",
                e.log_schedule_sd,
                "its standard deviation",
            ),
            row(
                "cost_schedule_correlation",
                e.cost_schedule_correlation,
                "correlation of the two errors",
            ),
            row(
                "benefit_sd",
                e.benefit_sd,
                "sd of the log benefit noise (mean one)",
            ),
            row(
                "runaway base_probability",
                r.base_probability,
                "chance a project no factor strikes runs away",
            ),
            row(
                "runaway size_min",
                r.size_min,
                "smallest cost multiplier of a runaway (Pareto scale)",
            ),
            row(
                "runaway tail",
                r.tail,
                "Pareto tail index of the runaway's cost multiplier",
            ),
            row(
                "runaway schedule",
                r.schedule,
                "log duration grows by this times ln(multiplier)",
            ),
        ],
    }
}
