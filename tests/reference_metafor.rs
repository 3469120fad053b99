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

use common::{close, ABS, REL};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The fixtures must hold at least this many cases, so the test cannot pass vacuously.
const MIN_CASES: usize = 300;

/// Numeric fields of `report.overall` and the key of metafor's value in `expected`.
const OVERALL_NUMBERS: [&str; 23] = [
    "k",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "stat",
    "df",
    "p",
    "pi_lower",
    "pi_upper",
    "tau2",
    "tau",
    "tau2_ci_lower",
    "tau2_ci_upper",
    "I2",
    "I2_ci_lower",
    "I2_ci_upper",
    "H2",
    "H2_ci_lower",
    "H2_ci_upper",
    "Q",
    "Q_df",
    "Q_p",
];

/// Per-study fields: (field of `report.studies[i]`, array in `expected`).
const STUDY_NUMBERS: [(&str, &str); 6] = [
    ("yi", "yi"),
    ("se", "study_se"),
    ("vi", "study_vi"),
    ("ci_lower", "study_ci_lower"),
    ("ci_upper", "study_ci_upper"),
    ("weight", "weights"),
];

struct Mismatches {
    list: Vec<String>,
    /// Notes the generator attached to failing cases (e.g. a metafor search limit).
    notes: BTreeMap<String, Vec<String>>,
    by_field: BTreeMap<String, usize>,
    cases_failing: BTreeSet<String>,
}

impl Mismatches {
    fn push(&mut self, case: &str, field: &str, ours: &Value, theirs: &Value) {
        self.list
            .push(format!("{case} | {field} | ours {ours} | metafor {theirs}"));
        let key = field.split('[').next().unwrap_or(field).to_string();
        *self.by_field.entry(key).or_default() += 1;
        self.cases_failing.insert(case.to_string());
    }
}

/// Compares one number: null must meet null, numbers must be [`close`].
/// `tau` is also accepted when τ̂² agrees (near 0 the square root magnifies metafor's
/// boundary residue: τ² = 3e-13 gives τ = 5e-7).
fn compare(m: &mut Mismatches, case: &str, field: &str, ours: &Value, theirs: &Value) {
    match (ours.as_f64(), theirs.as_f64()) {
        (None, None) if ours.is_null() && theirs.is_null() => {}
        (Some(a), Some(b)) => {
            let ok = close(a, b) || (field == "tau" && close(a * a, b * b));
            if !ok {
                m.push(case, field, ours, theirs);
            }
        }
        _ => m.push(case, field, ours, theirs),
    }
}

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
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/fixtures.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let fixtures: Value = serde_json::from_str(&text).expect("fixtures.json is JSON");
    let cases = fixtures["cases"]
        .as_array()
        .expect("fixtures.json has a cases array");
    assert!(
        cases.len() >= MIN_CASES,
        "only {} cases in {path}; expected at least {MIN_CASES}",
        cases.len()
    );

    let mut m = Mismatches {
        list: Vec::new(),
        notes: BTreeMap::new(),
        by_field: BTreeMap::new(),
        cases_failing: BTreeSet::new(),
    };
    let mut coverage: BTreeSet<(String, String, &str)> = BTreeSet::new();
    let mut compared = 0usize;

    for case in cases {
        let name = case["name"].as_str().expect("case name");
        let data = case["data"].as_str().expect("case data");
        let opts = &case["options"];
        let exp = &case["expected"];
        let method = opts["method"].as_str().expect("options.method");
        let ci = opts["ci"].as_str().expect("options.ci");
        let level = opts["level"].as_f64().expect("options.level");
        coverage.insert((method.to_string(), ci.to_string(), precision_form(data)));
        let notes: Vec<String> = case["notes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if !notes.is_empty() {
            m.notes.insert(name.to_string(), notes);
        }

        let doc = metapool::Document {
            data: data.to_string(),
            options: metapool::Options {
                method: Some(method.into()),
                ci: Some(ci.into()),
                level: Some(level),
                ci_level_in: None,
                ..Default::default()
            },
        };
        let report = match metapool::analyze(&doc) {
            Ok(r) => r,
            Err(e) => {
                m.push(
                    name,
                    "analyze",
                    &Value::from(format!("error: {e}")),
                    &Value::from("a report"),
                );
                continue;
            }
        };
        let v = serde_json::to_value(&report).expect("report serializes");
        let overall = &v["overall"];

        compare(&mut m, name, "report.k", &v["k"], &exp["k"]);
        for field in OVERALL_NUMBERS {
            compare(&mut m, name, field, &overall[field], &exp[field]);
            compared += 1;
        }
        for field in ["method", "ci"] {
            if overall[field] != exp[field] {
                m.push(name, field, &overall[field], &exp[field]);
            }
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
            if row["study"] != labels[i] {
                m.push(
                    name,
                    &format!("studies[{i}].study"),
                    &row["study"],
                    &labels[i],
                );
            }
            for (field, key) in STUDY_NUMBERS {
                let theirs = &exp[key][i];
                compare(
                    &mut m,
                    name,
                    &format!("studies[{i}].{field}"),
                    &row[field],
                    theirs,
                );
                compared += 1;
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

    if !m.list.is_empty() {
        let summary: Vec<String> = m
            .by_field
            .iter()
            .map(|(f, n)| format!("{f}: {n}"))
            .collect();
        let notes: Vec<String> = m
            .cases_failing
            .iter()
            .filter_map(|c| m.notes.get(c).map(|n| format!("{c}: {}", n.join("; "))))
            .collect();
        panic!(
            "{} mismatches with metafor (tolerance max({ABS:e}, {REL:e}·|metafor|)) in {} of {} \
             cases; {} numbers compared.\nBy field: {}\n\ncase | field | ours | metafor\n{}\n\n\
             Generator notes on failing cases:\n{}",
            m.list.len(),
            m.cases_failing.len(),
            cases.len(),
            compared,
            summary.join(", "),
            m.list.join("\n"),
            if notes.is_empty() {
                "(none)".to_string()
            } else {
                notes.join("\n")
            }
        );
    }
}
