//! Every number of the report against R's metafor, case by case.
//!
//! The expected values in `tests/reference/fixtures.json` were computed by metafor (rma, predict,
//! confint, weights) with tight convergence; `tests/reference/make_fixtures.R` writes them (run
//! `Rscript tests/reference/make_fixtures.R` from the repository root; R is not needed to run this
//! test). Each case holds the data as CSV text (precision given as `vi`, `sei` or `lower`/`upper`),
//! the options, and the expected numbers.
//!
//! All mismatches of all cases are collected and reported in one failure, so a single run shows
//! everything that disagrees.

mod common;

use common::{document, reference_cases, Case, Mismatches, FIT_NUMBERS};
use serde_json::Value;
use std::collections::BTreeSet;

/// The fixtures must hold at least this many cases, so the test cannot pass vacuously.
const MIN_CASES: usize = 300;

/// Per-study fields: (field of `report.studies[i]`, array in `expected`).
const STUDY_NUMBERS: [(&str, &str); 6] = [
    ("yi", "yi"),
    ("se", "study_se"),
    ("vi", "study_vi"),
    ("ci_lower", "study_ci_lower"),
    ("ci_upper", "study_ci_upper"),
    ("weight", "weights"),
];

fn precision_form(csv: &str) -> &'static str {
    let header = csv.lines().next().unwrap_or("");
    if header.contains("lower") {
        "ci"
    } else if header.contains("sei") {
        "sei"
    } else {
        "vi"
    }
}

#[test]
fn every_number_agrees_with_metafor() {
    let cases = reference_cases("fixtures.json", MIN_CASES);
    // No I² rule here: every I² must be close to metafor's.
    let mut m = Mismatches::new().tau_from_tau2();
    let mut coverage: BTreeSet<(String, String, &str)> = BTreeSet::new();

    for case in &cases {
        let c = Case::new(case);
        let (name, exp) = (c.name, c.expected);
        coverage.insert((
            c.method.to_string(),
            c.ci.to_string(),
            precision_form(c.data),
        ));
        m.notes(name, &case["notes"]);

        let Some(v) = m.analyze(name, &document(c.data, c.method, c.ci, c.level)) else {
            continue;
        };
        let overall = &v["overall"];

        m.number(name, "report.k", &v["k"], &exp["k"]);
        for field in FIT_NUMBERS {
            m.number(name, field, &overall[field], &exp[field]);
        }
        for field in ["method", "ci"] {
            m.exact(name, field, &overall[field], &exp[field]);
        }

        let ours_studies = v["studies"].as_array().cloned().unwrap_or_default();
        let labels = exp["study"].as_array().expect("expected.study");
        if ours_studies.len() != labels.len() {
            m.push(
                name,
                "studies.len",
                &Value::from(ours_studies.len()),
                &Value::from(labels.len()),
            );
            continue;
        }
        for (i, row) in ours_studies.iter().enumerate() {
            m.exact(
                name,
                &format!("studies[{i}].study"),
                &row["study"],
                &labels[i],
            );
            for (field, key) in STUDY_NUMBERS {
                m.number(
                    name,
                    &format!("studies[{i}].{field}"),
                    &row[field],
                    &exp[key][i],
                );
            }
        }
    }

    // Every method × CI type must have been exercised with every way of giving the precision.
    let mut missing = Vec::new();
    for method in ["FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB"] {
        for ci in ["z", "hksj"] {
            for form in ["vi", "sei", "ci"] {
                if !coverage.contains(&(method.to_string(), ci.to_string(), form)) {
                    missing.push(format!("{method}/{ci}/{form}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fixtures do not cover: {}",
        missing.join(", ")
    );

    m.finish(cases.len());
}
