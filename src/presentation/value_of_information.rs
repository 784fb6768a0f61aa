//! What `crmcast value-of-information` shows: the go / no-go decision with the EVPI, and the
//! EVPPI of every factor with the best decision if it strikes and if it does not.

use crate::analysis::value_of_information::ValueOfInformation;
use crate::presentation::Document;
use crate::presentation::Section;
use crate::presentation::format::money;

pub fn document(v: &ValueOfInformation, scenario_name: &str) -> Document {
    let amount = |x: f64| format!("{} {}", v.currency, money(x));
    let summary = Section {
        title: "The go / no-go decision".into(),
        header: ["item", "value"].map(String::from).to_vec(),
        rows: vec![
            vec!["best decision now".into(), v.decision_now.clone()],
            vec!["its expected NPV".into(), amount(v.expected_net_benefit)],
            vec![
                "EVPI: knowing the outcome before deciding is worth".into(),
                format!(
                    "{} ± {}",
                    amount(v.evpi.value),
                    money(v.evpi.standard_error)
                ),
            ],
        ],
    };
    let factors = Section {
        title:
            "EVPPI: what it is worth to learn, before investing, whether each factor will strike"
                .into(),
        header: [
            "factor",
            "P(strikes)",
            "best decision if it strikes",
            "if it does not",
            "EVPPI",
            "se",
        ]
        .map(String::from)
        .to_vec(),
        rows: v
            .factors
            .iter()
            .map(|f| {
                vec![
                    f.factor.clone(),
                    format!("{:.1} %", 100.0 * f.probability),
                    f.decision_if_present.clone(),
                    f.decision_if_absent.clone(),
                    amount(f.evppi.value),
                    money(f.evppi.standard_error),
                ]
            })
            .collect(),
    };
    let mut csv_rows = vec![vec![
        "evpi".to_string(),
        String::new(),
        v.evpi.value.to_string(),
        v.evpi.standard_error.to_string(),
        String::new(),
        String::new(),
        String::new(),
    ]];
    csv_rows.extend(v.factors.iter().map(|f| {
        vec![
            "evppi".into(),
            f.factor.clone(),
            f.evppi.value.to_string(),
            f.evppi.standard_error.to_string(),
            f.probability.to_string(),
            f.decision_if_present.clone(),
            f.decision_if_absent.clone(),
        ]
    }));
    Document {
        title: format!(
            "crmcast value-of-information — {scenario_name} — {} trials, seed {}; decisions: do not invest, or one of the strategies",
            v.trials, v.seed
        ),
        sections: vec![summary, factors],
        record: serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
        csv_header: [
            "measure",
            "factor",
            "value",
            "se",
            "probability",
            "decision_if_present",
            "decision_if_absent",
        ]
        .map(String::from)
        .to_vec(),
        csv_rows,
    }
}
