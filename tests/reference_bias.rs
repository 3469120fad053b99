//! The small-study-effect methods (Egger, Begg, trim and fill, fail-safe N, PET, PEESE) against
//! R's metafor 3.8, case by case.
//!
//! The expected values in `tests/reference/fixtures_bias.json` were computed by metafor
//! (`regtest`, `ranktest`, `trimfill`, `fsn`, and `lm` for the PET/PEESE standard errors and
//! p-values) with tight convergence; `tests/reference/make_fixtures_bias.R` writes them (run
//! `Rscript tests/reference/make_fixtures_bias.R` from the repository root; R is not needed to run
//! this test). Each case holds the data as CSV text, the options, and the expected JSON tree,
//! laid out as metapool serializes [`metapool::bias::Bias`].
//!
//! All mismatches of all cases are collected and reported in one failure.

mod common;

use common::{reference_cases, Case, Mismatches};
use metapool::bias::small_study_effects;
use metapool::input::{read_studies, ReadSettings};
use metapool::model::{CiType, Settings};
use metapool::tau2::Method;
use serde_json::Value;
use std::collections::BTreeSet;

/// The fixtures must hold at least this many cases, so the test cannot pass vacuously.
const MIN_CASES: usize = 150;

/// Compares two JSON trees: numbers with [`common::close`] (no τ or I² rule: `begg.tau` is
/// Kendall's τ), everything else exactly; objects must have the same keys.
fn compare(m: &mut Mismatches, case: &str, path: &str, ours: &Value, theirs: &Value) {
    match (ours, theirs) {
        (Value::Number(_), Value::Number(_)) => m.number(case, path, ours, theirs),
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let sub = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => compare(m, case, &sub, x, y),
                    (x, y) => m.push(
                        case,
                        &sub,
                        x.unwrap_or(&Value::from("(missing)")),
                        y.unwrap_or(&Value::from("(missing)")),
                    ),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                m.push(
                    case,
                    &format!("{path}.len"),
                    &Value::from(a.len()),
                    &Value::from(b.len()),
                );
                return;
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(m, case, &format!("{path}[{i}]"), x, y);
            }
        }
        _ => m.exact(case, path, ours, theirs),
    }
}

#[test]
fn every_bias_number_agrees_with_metafor() {
    let cases = reference_cases("fixtures_bias.json", MIN_CASES);
    let mut m = Mismatches::new();
    let mut coverage: BTreeSet<(String, String)> = BTreeSet::new();
    let (mut exact, mut approx, mut filled, mut right, mut undefined) = (0, 0, 0, 0, 0);

    for case in &cases {
        let c = Case::new(case);
        let (name, exp) = (c.name, c.expected);
        let (method, ci, level) = (c.method, c.ci, c.level);
        coverage.insert((method.to_string(), ci.to_string()));
        m.notes(name, &case["notes"]);
        match exp["begg"]["exact"].as_bool() {
            Some(true) => exact += 1,
            Some(false) => approx += 1,
            None => undefined += 1,
        }
        if exp["trimfill"]["k0"].as_u64().is_some_and(|k0| k0 > 0) {
            filled += 1;
        }
        if exp["trimfill"]["side"] == "right" {
            right += 1;
        }

        let settings = Settings {
            method: Method::parse(method).expect("a metafor method code"),
            ci: CiType::parse(ci).expect("a CI type"),
            level,
        };
        let studies = match read_studies(c.data, &ReadSettings::default()) {
            Ok(input) => input.studies,
            Err(e) => {
                m.push(
                    name,
                    "read",
                    &Value::from(format!("error: {e}")),
                    &Value::from("studies"),
                );
                continue;
            }
        };
        let ours = match small_study_effects(&studies, &settings) {
            Ok(b) => serde_json::to_value(&b).expect("bias serializes"),
            Err(e) => {
                m.push(
                    name,
                    "bias",
                    &Value::from(format!("error: {e}")),
                    &Value::from("results"),
                );
                continue;
            }
        };
        compare(&mut m, name, "", &ours, exp);
    }

    // Every tested method × CI type, both kinds of Begg p-value, filled studies on both sides.
    let mut missing = Vec::new();
    for method in ["FE", "DL", "REML", "ML", "PM"] {
        for ci in ["z", "hksj"] {
            if !coverage.contains(&(method.to_string(), ci.to_string())) {
                missing.push(format!("{method}/{ci}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fixtures do not cover: {}",
        missing.join(", ")
    );
    assert!(
        exact > 0 && approx > 0 && undefined > 0,
        "Begg: {exact} exact, {approx} normal, {undefined} undefined"
    );
    assert!(
        filled > 0 && right > 0,
        "trim and fill: {filled} cases with k0 > 0, {right} on the right"
    );

    m.finish(cases.len());
}
