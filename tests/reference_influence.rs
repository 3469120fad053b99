//! Leave-one-out fits, influence diagnostics and cumulative meta-analysis against metafor's
//! `leave1out()`, `influence()` and `cumul()`.
//!
//! `tests/reference/fixtures_influence.json` is written by
//! `Rscript tests/reference/make_fixtures_influence.R` (R is not needed to run this test).
//! All mismatches are collected and reported in one failure.

mod common;

use common::{close, close_i2};
use serde_json::Value;

/// The fixtures hold 6 datasets × 9 methods × 2 CI types.
const MIN_CASES: usize = 100;

/// Fields where our `null` stands for metafor's value by design: a fit of one study has no
/// heterogeneity (metafor prints I² = 0, H² = 1, Q_p = 1; the report leaves them empty).
fn null_by_design(field: &str, fit_k: Option<u64>) -> bool {
    fit_k == Some(1) && matches!(field, "I2" | "H2" | "Q_p")
}


fn compare(
    failures: &mut Vec<String>,
    case: &str,
    part: &str,
    rows: &[Value],
    expected: &Value,
    fields: &[(&str, &str)],
) {
    for (ours_name, theirs_name) in fields {
        let theirs = expected[*theirs_name].as_array().unwrap_or_else(|| panic!("{case}: {part}.{theirs_name}"));
        if theirs.len() != rows.len() {
            failures.push(format!("{case}: {part} has {} rows, metafor {}", rows.len(), theirs.len()));
            continue;
        }
        for (i, (row, t)) in rows.iter().zip(theirs).enumerate() {
            let o = &row[*ours_name];
            let ok = match (o.as_f64(), t.as_f64()) {
                (Some(a), Some(b)) if *ours_name == "I2" => close_i2(a, b),
                (Some(a), Some(b)) => close(a, b),
                (None, None) => true,
                (None, Some(_)) => null_by_design(ours_name, row["k"].as_u64()),
                (Some(_), None) => false,
            };
            if !ok {
                failures.push(format!("{case}: {part}[{i}].{ours_name}: ours {o}, metafor {t}"));
            }
        }
    }
}

#[test]
fn leave1out_influence_and_cumulative_agree_with_metafor() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/fixtures_influence.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() >= MIN_CASES, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let doc = metapool::Document {
            data: case["data"].as_str().unwrap().to_string(),
            options: serde_json::from_value(case["options"].clone()).unwrap(),
        };
        let report = match metapool::analyze(&doc) {
            Ok(r) => serde_json::to_value(r).unwrap(),
            Err(e) => {
                failures.push(format!("{name}: error {e}"));
                continue;
            }
        };
        let e = &case["expected"];
        let l1o = report["leave1out"].as_array().expect("leave1out rows");
        compare(
            &mut failures,
            name,
            "leave1out",
            l1o,
            &e["leave1out"],
            &[
                ("estimate", "estimate"),
                ("se", "se"),
                ("stat", "stat"),
                ("p", "p"),
                ("ci_lower", "ci_lower"),
                ("ci_upper", "ci_upper"),
                ("Q", "Q"),
                ("Q_p", "Q_p"),
                ("tau2", "tau2"),
                ("I2", "I2"),
                ("H2", "H2"),
            ],
        );
        compare(
            &mut failures,
            name,
            "influence",
            l1o,
            &e["influence"],
            &[
                ("rstudent", "rstudent"),
                ("dffits", "dffits"),
                ("cook_d", "cook_d"),
                ("cov_r", "cov_r"),
                ("hat", "hat"),
                ("weight", "weight"),
                ("dfbetas", "dfbetas"),
            ],
        );
        let flags = e["influence"]["influential"].as_array().unwrap();
        for (i, (row, f)) in l1o.iter().zip(flags).enumerate() {
            if row["influential"].as_bool() != f.as_bool() {
                failures.push(format!("{name}: influence[{i}].influential: ours {}, metafor {f}", row["influential"]));
            }
        }
        let cu = report["cumulative"].as_array().expect("cumulative rows");
        let order: Vec<&str> = cu.iter().map(|r| r["study"].as_str().unwrap()).collect();
        let theirs: Vec<&str> =
            e["cumulative"]["study"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        if order != theirs {
            failures.push(format!("{name}: cumulative order {order:?}, metafor {theirs:?}"));
        }
        compare(
            &mut failures,
            name,
            "cumulative",
            cu,
            &e["cumulative"],
            &[
                ("estimate", "estimate"),
                ("se", "se"),
                ("ci_lower", "ci_lower"),
                ("ci_upper", "ci_upper"),
                ("Q", "Q"),
                ("tau2", "tau2"),
                ("I2", "I2"),
                ("H2", "H2"),
            ],
        );
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
